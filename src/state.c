/*
 * state.c - the SQLite state: accounts keyed by stable id with the row last written, their
 * history, and the runs. The only file that talks to SQLite. Rows are stored as their 36 cells,
 * each written as "LENGTH:BYTES", which keeps every value exactly.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "plan.h"
#include "state.h"
#include "testhook.h"

struct state {
	char *path;
	sqlite3 *db;          /* NULL: read-only and no state yet */
	int lock_fd;          /* -1 when not locked */
	bool readonly;
	int version;          /* schema version of the file (read-only: may be older) */
	bool in_commit;       /* between state_commit_begin() and _end() or _abort() */
	sqlite3_stmt *fetch;  /* one row by key, for lazy accounts */
};

/* Schema steps, applied in order: user_version N means the first N steps are done. */
static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  started INTEGER NOT NULL,"
	"  finished INTEGER NOT NULL,"
	"  command TEXT NOT NULL,"
	"  files TEXT,"
	"  n_create INTEGER NOT NULL DEFAULT 0,"
	"  n_update INTEGER NOT NULL DEFAULT 0,"
	"  n_unchanged INTEGER NOT NULL DEFAULT 0,"
	"  n_expire INTEGER NOT NULL DEFAULT 0,"
	"  n_reactivate INTEGER NOT NULL DEFAULT 0,"
	"  n_rename INTEGER NOT NULL DEFAULT 0,"
	"  n_rejected INTEGER NOT NULL DEFAULT 0,"
	"  rolled_back INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE accounts ("
	"  key TEXT PRIMARY KEY,"
	"  dn TEXT,"
	"  type TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('active', 'expired')),"
	"  mail TEXT NOT NULL,"
	"  row TEXT NOT NULL,"
	"  run_id INTEGER REFERENCES runs(id),"
	"  updated INTEGER NOT NULL);"
	/* prev_*: the account before the run, for rollback (prev_status NULL: created) */
	"CREATE TABLE account_history ("
	"  id INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  key TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  reason TEXT,"
	"  status TEXT NOT NULL,"
	"  mail TEXT NOT NULL,"
	"  row TEXT NOT NULL,"
	"  prev_dn TEXT, prev_type TEXT, prev_status TEXT, prev_mail TEXT, prev_row TEXT,"
	"  prev_run_id INTEGER);"
	"CREATE INDEX account_history_key ON account_history(key);",
	/* 2: values changed by hand in Medimail's console and kept (reconcile, hand-edits =
	 * keep): the row carries value while the directory gives base */
	"CREATE TABLE kept_values ("
	"  key TEXT NOT NULL REFERENCES accounts(key) ON DELETE CASCADE,"
	"  col INTEGER NOT NULL,"
	"  value TEXT NOT NULL,"
	"  base TEXT NOT NULL,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id),"
	"  PRIMARY KEY (key, col));",
};
#define SCHEMA_VERSION ((int)ARRAY_SIZE(migrations))

static const char sql_history[] =
	"INSERT INTO account_history(run_id, key, action, reason, status, mail, row, prev_dn,"
	" prev_type, prev_status, prev_mail, prev_row, prev_run_id)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

static const char sql_upsert[] =
	"INSERT INTO accounts(key, dn, type, status, mail, row, run_id, updated)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
	" ON CONFLICT(key) DO UPDATE SET dn = excluded.dn, type = excluded.type,"
	" status = excluded.status, mail = excluded.mail, row = excluded.row,"
	" run_id = excluded.run_id, updated = excluded.updated";

/* SQLite's "disk I/O error" says little: the system's errno says "File too large". */
static const char *sys_why(struct state *s)
{
	int e = s->db ? sqlite3_system_errno(s->db) : 0;

	return e ? strerror(e) : NULL;
}

static void db_err(struct state *s, char **err, const char *what)
{
	const char *why = sys_why(s);

	*err = xasprintf("state %s: %s: %s%s%s%s", s->path, what,
			 s->db ? sqlite3_errmsg(s->db) : "no database", why ? " (" : "",
			 why ? why : "", why ? ")" : "");
}

static int exec(struct state *s, const char *sql, char **err)
{
	char *msg = NULL;
	const char *why;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		why = sys_why(s);
		*err = xasprintf("state %s: %s%s%s%s", s->path, msg ? msg : sqlite3_errmsg(s->db),
				 why ? " (" : "", why ? why : "", why ? ")" : "");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int prepare(struct state *s, const char *sql, sqlite3_stmt **st, char **err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		db_err(s, err, "prepare");
		return -1;
	}
	return 0;
}

static const char *status_text(enum acct_status st)
{
	return st == ST_EXPIRED ? "expired" : "active";
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* Row encoding: for each cell "LEN:" and LEN bytes. */
static void row_encode(struct strbuf *sb, const struct row *r)
{
	char num[24];

	sb->len = 0;
	sb_addn(sb, "", 0);
	for (int i = 0; i < NCOLS; i++) {
		const char *v = row_get(r, (enum col)i);
		size_t n = strlen(v), k = sizeof(num) - 1;

		/* printf is too slow here: 36 cells, twice per account, 100,000 accounts */
		num[k] = ':';
		do
			num[--k] = (char)('0' + n % 10);
		while ((n /= 10) && k);
		sb_addn(sb, num + k, sizeof(num) - k);
		sb_addn(sb, v, strlen(v));
	}
}

static int row_decode(const char *p, struct row *r)
{
	const char *v[NCOLS];
	size_t len[NCOLS];

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < NCOLS; i++) {
		char *end;
		unsigned long n;

		if (*p < '0' || *p > '9')
			return -1;
		errno = 0;
		n = strtoul(p, &end, 10);
		if (errno || *end != ':' || strnlen(end + 1, n) < n)
			return -1;
		v[i] = end + 1;
		len[i] = n;
		p = end + 1 + n;
	}
	if (*p)
		return -1;
	row_fill(r, v, len);
	return 0;
}

static int migrate(struct state *s, char **err)
{
	sqlite3_stmt *st = NULL;
	char *sql = NULL;
	int version, rc = -1;

	if (exec(s, "BEGIN IMMEDIATE", err))
		return -1;
	if (prepare(s, "PRAGMA user_version", &st, err))
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_err(s, err, "reading the schema version");
		goto out;
	}
	version = sqlite3_column_int(st, 0);
	if (version > SCHEMA_VERSION) {
		*err = xasprintf("state %s: schema version %d is newer than this program's (%d)",
				 s->path, version, SCHEMA_VERSION);
		goto out;
	}
	for (; version < SCHEMA_VERSION; version++) {
		if (exec(s, migrations[version], err))
			goto out;
	}
	/* the version is a literal in a PRAGMA: it cannot be bound */
	sql = xasprintf("PRAGMA user_version = %d", SCHEMA_VERSION);
	if (exec(s, sql, err) || exec(s, "COMMIT", err))
		goto out;
	rc = 0;
out:
	free(sql);
	sqlite3_finalize(st);
	if (rc)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int schema_version(struct state *s, int *version, char **err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (prepare(s, "PRAGMA user_version", &st, err))
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_err(s, err, "reading the schema version");
		goto out;
	}
	*version = sqlite3_column_int(st, 0);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* Exclusive lock (shared when read-only) on PATH.lock. Sets errno = EWOULDBLOCK when held. */
static int take_lock(struct state *s, char **err)
{
	char *lock_path = xasprintf("%s.lock", s->path);
	int flags = s->readonly ? O_RDONLY : O_RDWR | O_CREAT;
	int rc = -1, e;

	/* a planted symlink must not make us create or lock its target */
	s->lock_fd = open(lock_path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		e = errno;
		/* read-only and no lock file: no run ever wrote here */
		if (s->readonly && e == ENOENT)
			rc = 0;
		else if (e == ELOOP)
			*err = xasprintf("lock file %s is a symbolic link: refused (remove it)",
					 lock_path);
		else
			*err = xasprintf("cannot open lock file %s: %s", lock_path, strerror(e));
		errno = e;
		goto out;
	}
	if (flock(s->lock_fd, (s->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		e = errno;
		if (e == EWOULDBLOCK)
			*err = xasprintf("another medimail-sync run holds the lock on %s",
					 lock_path);
		else
			*err = xasprintf("cannot lock %s: %s", lock_path, strerror(e));
		errno = e;
		goto out;
	}
	rc = 0;
out:
	free(lock_path);
	return rc;
}

/* Create the file with mode 0600 before SQLite opens it, whatever the umask. */
static int create_file(const char *path, char **err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = -1, e;

	if (fd < 0 && errno == EEXIST) {
		rc = 0;
		goto out;
	}
	if (fd < 0 || fchmod(fd, 0600) < 0) {
		e = errno;
		*err = xasprintf("cannot create state file %s: %s", path, strerror(e));
		errno = e;
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The state file and SQLite's files beside it (WAL, shared memory, rollback journal) are
 * plain files of ours: a symlink or another kind of file is refused, and a mode that lets
 * group or others in (0644 from an older version or a copy) is tightened to 0600. errno EPERM
 * on failure. */
static int check_file(const char *path, bool optional, char **err)
{
	struct stat st;
	int fd, rc = -1, e;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT && optional)
			return 0;
		if (e == ELOOP)
			*err = xasprintf("state file %s is a symbolic link: refused (a state is "
					 "a plain file; move the real file there)", path);
		else
			*err = xasprintf("state file %s: %s", path, strerror(e));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		*err = xasprintf("state file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*err = xasprintf("state file %s is not a regular file: refused", path);
		goto out;
	}
	if ((st.st_mode & 077) && fchmod(fd, st.st_mode & 0600) < 0) {
		*err = xasprintf("state file %s has mode %04o, open to group or others, and "
				 "cannot be tightened to 0600: %s", path,
				 (unsigned)(st.st_mode & 07777), strerror(errno));
		goto out;
	}
	if (st.st_mode & 077)
		log_notice("%s: mode %04o tightened to %04o (the state holds personal data)",
			   path, (unsigned)(st.st_mode & 07777), (unsigned)(st.st_mode & 0600));
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		errno = EPERM;
	return rc;
}

static int check_files(const char *path, char **err)
{
	static const char *const sidecars[] = { "-wal", "-shm", "-journal" };
	char *side;
	int rc;

	if (check_file(path, false, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(sidecars); i++) {
		side = xasprintf("%s%s", path, sidecars[i]);
		rc = check_file(side, true, err);
		free(side);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int open_db(struct state *s, char **err)
{
	int flags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	int version, rc = -1;

#ifdef SQLITE_OPEN_NOFOLLOW
	flags |= SQLITE_OPEN_NOFOLLOW;
#endif
	if (sqlite3_open_v2(s->path, &s->db, flags | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		db_err(s, err, "open");
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (exec(s, "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON", err))
		goto out;
	if (s->readonly) {
		if (schema_version(s, &version, err))
			goto out;
		if (version == 0) {
			/* an empty file: nothing to read */
			sqlite3_close(s->db);
			s->db = NULL;
		} else if (version > SCHEMA_VERSION) {
			*err = xasprintf("state %s: schema version %d is newer than this "
					 "program's (%d)", s->path, version, SCHEMA_VERSION);
			goto out;
		}
		/* an older schema is read as it is (a plan right after an upgrade): the
		 * tables a later step adds read as empty; apply migrates it */
		s->version = version;
		rc = 0;
		goto out;
	}
	/* reading scans the table once: the default page cache (2 MiB) is enough; a commit
	 * raises it (state_commit) */
	if (exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		 " PRAGMA cache_size = -2048", err))
		goto out;
	rc = migrate(s, err);
out:
	return rc;
}

struct state *state_open(const char *path, bool readonly, bool lock, char **err)
{
	struct state *s = xcalloc(1, sizeof(*s));
	char *dir_copy = xstrdup(path);
	const char *dir = dirname(dir_copy);
	struct stat sb;
	int e = EIO;

	*err = NULL;
	s->path = xstrdup(path);
	s->lock_fd = -1;
	s->readonly = readonly;
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		e = errno == ENOENT ? ENOENT : ENOTDIR;
		if (readonly && e == ENOENT)
			goto ok;
		*err = xasprintf("state directory %s does not exist (state file %s)", dir, path);
		goto fail;
	}
	/* whoever may write there could plant a symlink or swap the files between our checks */
	if (dir_check_private(dir, "state directory", err) < 0) {
		e = EPERM;
		goto fail;
	}
	if (lock && take_lock(s, err)) {
		e = errno;
		goto fail;
	}
	if (lstat(path, &sb) < 0 && errno == ENOENT && readonly)
		goto ok;
	if (!readonly && create_file(path, err)) {
		e = errno;
		goto fail;
	}
	if (check_files(path, err)) {
		e = EPERM;
		goto fail;
	}
	if (open_db(s, err)) {
		e = EIO;
		goto fail;
	}
ok:
	free(dir_copy);
	return s;
fail:
	free(dir_copy);
	state_close(s);
	/* EWOULDBLOCK only comes from flock(): the lock is held by another run */
	errno = e ? e : EIO;
	return NULL;
}

void state_close(struct state *s)
{
	if (!s)
		return;
	state_commit_abort(s);
	sqlite3_finalize(s->fetch);
	if (s->db)
		sqlite3_close(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->path);
	free(s);
}

/* row_digest() of an encoded row, without decoding it; false when the encoding is damaged. */
static bool encoded_digest(const char *p, uint64_t *out)
{
	static const char sep = DIGEST_SEP;
	uint64_t h = DIGEST_INIT;

	for (int i = 0; i < NCOLS; i++) {
		char *end;
		unsigned long n;

		if (*p < '0' || *p > '9')
			return false;
		errno = 0;
		n = strtoul(p, &end, 10);
		if (errno || *end != ':' || strnlen(end + 1, n) < n)
			return false;
		h = digest_add(h, end + 1, n);
		h = digest_add(h, &sep, 1);
		p = end + 1 + n;
	}
	*out = h;
	return *p == '\0';
}

static int load(struct state *s, struct state_account **out, size_t *n, bool lazy, char **err);

int state_load(struct state *s, struct state_account **out, size_t *n, char **err)
{
	return load(s, out, n, false, err);
}

int state_load_digests(struct state *s, struct state_account **out, size_t *n, char **err)
{
	return load(s, out, n, true, err);
}

int state_fetch_row(struct state *s, struct state_account *a, char **err)
{
	int rc = -1, step;

	if (!s->fetch && prepare(s, "SELECT row FROM accounts WHERE key = ?", &s->fetch, err))
		return -1;
	sqlite3_bind_text(s->fetch, 1, a->key, -1, SQLITE_STATIC);
	step = sqlite3_step(s->fetch);
	if (step != SQLITE_ROW) {
		if (step == SQLITE_DONE)
			*err = xasprintf("state %s: account %s disappeared", s->path, a->key);
		else
			db_err(s, err, a->key);
		goto out;
	}
	row_free(&a->row);
	if (row_decode(col_text(s->fetch, 0), &a->row)) {
		*err = xasprintf("state %s: account %s: damaged row", s->path, a->key);
		goto out;
	}
	a->lazy = false;
	rc = 0;
out:
	sqlite3_reset(s->fetch);
	sqlite3_clear_bindings(s->fetch);
	return rc;
}

int state_fetch_plan(void *arg, struct state_account *a)
{
	struct state_fetch *fc = arg;

	if (fc->err)
		return -1;
	return state_fetch_row(fc->st, a, &fc->err);
}

static int load(struct state *s, struct state_account **out, size_t *n, bool lazy, char **err)
{
	sqlite3_stmt *st = NULL;
	struct state_account *v = NULL;
	size_t cap = 0, len = 0;
	int rc = -1, step;

	*out = NULL;
	*n = 0;
	if (!s->db)
		return 0;
	/* the exact size: a doubled array of 100,000 accounts would waste a quarter of it */
	if (prepare(s, "SELECT count(*) FROM accounts", &st, err))
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) {
		cap = (size_t)sqlite3_column_int64(st, 0);
		v = xcalloc(cap, sizeof(*v));
	}
	sqlite3_finalize(st);
	st = NULL;
	if (prepare(s, "SELECT a.key, a.dn, a.type, a.status, a.row, a.run_id, r.started"
		    " FROM accounts a LEFT JOIN runs r ON r.id = a.run_id ORDER BY a.key", &st,
		    err))
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct state_account *a;

		xgrow(&v, &cap, len + 1, sizeof(*v));
		a = &v[len];
		memset(a, 0, sizeof(*a));
		if (lazy ? !encoded_digest(col_text(st, 4), &a->digest) :
			   row_decode(col_text(st, 4), &a->row) != 0) {
			*err = xasprintf("state %s: account %s: damaged row", s->path,
					 col_text(st, 0));
			goto out;
		}
		len++;
		a->key = xstrdup(col_text(st, 0));
		a->dn = xstrdup(col_text(st, 1));
		a->type = bal_type_parse(col_text(st, 2));
		a->status = strcmp(col_text(st, 3), "expired") == 0 ? ST_EXPIRED : ST_ACTIVE;
		a->run_id = sqlite3_column_int64(st, 5);
		a->written = sqlite3_column_int64(st, 6);
		a->lazy = lazy;
	}
	if (step != SQLITE_DONE) {
		db_err(s, err, "reading accounts");
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	rc = 0;
out:
	sqlite3_finalize(st);
	for (size_t i = 0; v && i < len; i++)
		state_account_free(&v[i]);
	free(v);
	return rc;
}

static bool item_writes(enum action a)
{
	return a == ACT_CREATE || a == ACT_UPDATE || a == ACT_EXPIRE || a == ACT_REACTIVATE ||
	       a == ACT_RENAME;
}

/* The run's row; n holds the counts of create, update, unchanged, expire, reactivate, rename
 * and rejected, in that order. */
static long long insert_run_counts(struct state *s, const size_t n[7],
				   const struct state_run_info *ri, char **err)
{
	sqlite3_stmt *st = NULL;
	long long now = time(NULL), id = -1;

	if (prepare(s, "INSERT INTO runs(started, finished, command, files, n_create, n_update,"
		    " n_unchanged, n_expire, n_reactivate, n_rename, n_rejected)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st, err))
		goto out;
	sqlite3_bind_int64(st, 1, ri && ri->started ? ri->started : now);
	sqlite3_bind_int64(st, 2, ri && ri->finished ? ri->finished : now);
	sqlite3_bind_text(st, 3, ri && ri->command ? ri->command : "apply", -1, SQLITE_STATIC);
	if (ri && ri->files)
		sqlite3_bind_text(st, 4, ri->files, -1, SQLITE_STATIC);
	for (int i = 0; i < 7; i++)
		sqlite3_bind_int64(st, 5 + i, (long long)n[i]);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_err(s, err, "recording the run");
		goto out;
	}
	id = sqlite3_last_insert_rowid(s->db);
out:
	sqlite3_finalize(st);
	return id;
}

static long long insert_run(struct state *s, const struct plan *p, const struct state_run_info *ri,
			    char **err)
{
	static const enum action order[] = { ACT_CREATE, ACT_UPDATE, ACT_UNCHANGED, ACT_EXPIRE,
					     ACT_REACTIVATE, ACT_RENAME, ACT_REJECTED };
	size_t n[ARRAY_SIZE(order)];

	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		n[i] = p->count[order[i]];
	return insert_run_counts(s, n, ri, err);
}

/* Statements and buffers reused for every account of a commit. */
struct commit_ctx {
	sqlite3_stmt *upsert, *hist, *remove;
	struct strbuf row, prev_row;
	long long run_id, now;
};

/* One account written (row NULL: removed) and its history line, with its previous values
 * for rollback. */
struct account_write {
	const char *key, *dn;
	enum bal_type type;
	const char *status;
	const struct row *row;
	const char *action, *reason;
	const struct state_account *prev;
};

static int write_account(struct state *s, struct commit_ctx *c, const struct account_write *w,
			 char **err)
{
	const struct state_account *prev = w->prev;
	const char *mail = w->row ? row_get(w->row, COL_MAIL) : row_get(&prev->row, COL_MAIL);
	sqlite3_stmt *u = c->upsert, *h = c->hist;

	c->row.len = 0;
	sb_addn(&c->row, "", 0);
	if (w->row) {
		row_encode(&c->row, w->row);
		sqlite3_bind_text(u, 1, w->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(u, 2, w->dn, -1, SQLITE_STATIC);
		sqlite3_bind_text(u, 3, bal_type_name(w->type), -1, SQLITE_STATIC);
		sqlite3_bind_text(u, 4, w->status, -1, SQLITE_STATIC);
		sqlite3_bind_text(u, 5, mail, -1, SQLITE_STATIC);
		sqlite3_bind_text(u, 6, c->row.buf, (int)c->row.len, SQLITE_STATIC);
		sqlite3_bind_int64(u, 7, c->run_id);
		sqlite3_bind_int64(u, 8, c->now);
	} else {
		u = c->remove;
		sqlite3_bind_text(u, 1, w->key, -1, SQLITE_STATIC);
	}
	if (sqlite3_step(u) != SQLITE_DONE) {
		db_err(s, err, w->key);
		return -1;
	}
	sqlite3_reset(u);

	sqlite3_clear_bindings(h);
	sqlite3_bind_int64(h, 1, c->run_id);
	sqlite3_bind_text(h, 2, w->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(h, 3, w->action, -1, SQLITE_STATIC);
	if (w->reason)
		sqlite3_bind_text(h, 4, w->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(h, 5, w->status, -1, SQLITE_STATIC);
	sqlite3_bind_text(h, 6, mail, -1, SQLITE_STATIC);
	sqlite3_bind_text(h, 7, c->row.buf, (int)c->row.len, SQLITE_STATIC);
	if (prev) {
		row_encode(&c->prev_row, &prev->row);
		sqlite3_bind_text(h, 8, prev->dn, -1, SQLITE_STATIC);
		sqlite3_bind_text(h, 9, bal_type_name(prev->type), -1, SQLITE_STATIC);
		sqlite3_bind_text(h, 10, status_text(prev->status), -1, SQLITE_STATIC);
		sqlite3_bind_text(h, 11, row_get(&prev->row, COL_MAIL), -1, SQLITE_STATIC);
		sqlite3_bind_text(h, 12, c->prev_row.buf, (int)c->prev_row.len, SQLITE_STATIC);
		sqlite3_bind_int64(h, 13, prev->run_id);
	}
	if (sqlite3_step(h) != SQLITE_DONE) {
		db_err(s, err, w->key);
		return -1;
	}
	sqlite3_reset(h);
	return 0;
}

static int commit_item(struct state *s, struct commit_ctx *c, const struct plan_item *it,
		       char **err)
{
	const struct account *cur = it->cur;
	const struct state_account *prev = it->prev;
	struct account_write w = {
		.key = cur ? cur->key : prev->key,
		.dn = cur ? cur->dn : prev->dn,
		.type = cur && it->act != ACT_EXPIRE ? cur->type : prev->type,
		.status = status_text(it->new_status),
		.row = plan_item_row(it),
		.action = action_name(it->act),
		.reason = it->reason != EXP_NONE ? expire_reason_name(it->reason) : NULL,
		.prev = prev,
	};

	return write_account(s, c, &w, err);
}

static const char *commit_key(const struct plan_item *it)
{
	return it->cur ? it->cur->key : it->prev->key;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(commit_key(*(const struct plan_item *const *)a),
		      commit_key(*(const struct plan_item *const *)b));
}

long long state_commit_begin(struct state *s, const struct plan *p,
			     const struct state_run_info *ri, char **err)
{
	struct commit_ctx c = { 0 };
	const struct plan_item **order = NULL;
	size_t total = 0, done = 0;
	long long id = -1;

	*err = NULL;
	if (s->readonly || !s->db || s->in_commit) {
		*err = xasprintf("state %s: %s", s->path, s->in_commit ? "a commit is under way" :
				 "opened read-only");
		goto out;
	}
	/* in key order, the primary key's B-tree is filled page after page: far fewer pages
	 * in the cache than random ids would touch */
	order = xcalloc(p->n ? p->n : 1, sizeof(*order));
	for (size_t i = 0; i < p->n; i++)
		if (item_writes(p->items[i].act))
			order[total++] = &p->items[i];
	qsort(order, total, sizeof(*order), by_key);
	/* 16 MiB of page cache: enough for a big commit written in key order */
	if (exec(s, "PRAGMA cache_size = -16384", err) || exec(s, "BEGIN IMMEDIATE", err))
		goto out;
	s->in_commit = true;
	c.now = ri && ri->finished ? ri->finished : time(NULL);
	c.run_id = insert_run(s, p, ri, err);
	if (c.run_id < 0)
		goto out;
	if (prepare(s, sql_upsert, &c.upsert, err) ||
	    prepare(s, sql_history, &c.hist, err))
		goto out;
	for (size_t i = 0; i < total; i++) {
		if (commit_item(s, &c, order[i], err))
			goto out;
		/* test hook: die inside the transaction, half the rows written */
		if (++done == (total + 1) / 2)
			test_crash_point("state-mid");
	}
	id = c.run_id;
out:
	free(order);
	sqlite3_finalize(c.upsert);
	sqlite3_finalize(c.hist);
	sb_free(&c.row);
	sb_free(&c.prev_row);
	if (id < 0)
		state_commit_abort(s);
	return id;
}

void state_commit_abort(struct state *s)
{
	if (s && s->in_commit)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (s)
		s->in_commit = false;
}

int state_commit_end(struct state *s, long long run_id, const struct state_run_info *ri,
		     char **err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	*err = NULL;
	if (!s->in_commit) {
		*err = xasprintf("state %s: no commit under way", s->path);
		return -1;
	}
	if (ri && (ri->files || ri->finished)) {
		if (prepare(s, "UPDATE runs SET files = coalesce(?, files),"
			    " finished = coalesce(?, finished) WHERE id = ?", &st, err))
			goto out;
		if (ri->files)
			sqlite3_bind_text(st, 1, ri->files, -1, SQLITE_STATIC);
		if (ri->finished)
			sqlite3_bind_int64(st, 2, ri->finished);
		sqlite3_bind_int64(st, 3, run_id);
		if (sqlite3_step(st) != SQLITE_DONE) {
			db_err(s, err, "recording the run");
			goto out;
		}
	}
	if (exec(s, "COMMIT", err))
		goto out;
	s->in_commit = false;
	rc = 0;
out:
	sqlite3_finalize(st);
	if (rc)
		state_commit_abort(s);
	return rc;
}

long long state_commit(struct state *s, const struct plan *p, const struct state_run_info *ri,
		       char **err)
{
	long long id = state_commit_begin(s, p, ri, err);

	if (id >= 0 && state_commit_end(s, id, NULL, err))
		id = -1;
	return id;
}

/* --- adopt and reconcile ---------------------------------------------------------------- */

long long state_record(struct state *s, const struct state_batch *b,
		       const struct state_run_info *ri, char **err)
{
	struct commit_ctx c = { 0 };
	sqlite3_stmt *keep = NULL;
	size_t n[7] = { b->added, b->replaced, b->unchanged, 0, 0, 0, 0 };
	long long id = -1;

	*err = NULL;
	if (s->readonly || !s->db || s->in_commit) {
		*err = xasprintf("state %s: %s", s->path, s->in_commit ? "a commit is under way" :
				 "opened read-only");
		return -1;
	}
	if (exec(s, "BEGIN IMMEDIATE", err))
		goto out;
	s->in_commit = true;
	c.now = ri && ri->finished ? ri->finished : time(NULL);
	c.run_id = insert_run_counts(s, n, ri, err);
	if (c.run_id < 0)
		goto out;
	if (prepare(s, sql_upsert, &c.upsert, err) || prepare(s, sql_history, &c.hist, err) ||
	    prepare(s, "DELETE FROM accounts WHERE key = ?", &c.remove, err) ||
	    prepare(s, "INSERT OR REPLACE INTO kept_values(key, col, value, base, run_id)"
		    " VALUES (?, ?, ?, ?, ?)", &keep, err))
		goto out;
	for (size_t i = 0; i < b->nput; i++) {
		const struct state_put *p = &b->put[i];
		struct account_write w = {
			.key = p->key, .dn = p->dn, .type = p->type,
			.status = p->row ? status_text(p->status) : "removed",
			.row = p->row, .action = p->action, .prev = p->prev,
		};

		if (!p->row && !p->prev) {
			*err = xasprintf("state %s: %s: nothing to remove", s->path, p->key);
			goto out;
		}
		if (write_account(s, &c, &w, err))
			goto out;
	}
	for (size_t i = 0; i < b->nkept; i++) {
		const struct kept_value *k = &b->kept[i];

		sqlite3_bind_text(keep, 1, k->key, -1, SQLITE_STATIC);
		sqlite3_bind_int(keep, 2, k->col);
		sqlite3_bind_text(keep, 3, k->value, -1, SQLITE_STATIC);
		sqlite3_bind_text(keep, 4, k->base, -1, SQLITE_STATIC);
		sqlite3_bind_int64(keep, 5, c.run_id);
		if (sqlite3_step(keep) != SQLITE_DONE) {
			db_err(s, err, k->key);
			goto out;
		}
		sqlite3_reset(keep);
	}
	if (exec(s, "COMMIT", err))
		goto out;
	s->in_commit = false;
	id = c.run_id;
out:
	sqlite3_finalize(c.upsert);
	sqlite3_finalize(c.hist);
	sqlite3_finalize(c.remove);
	sqlite3_finalize(keep);
	sb_free(&c.row);
	sb_free(&c.prev_row);
	if (id < 0)
		state_commit_abort(s);
	return id;
}

/* Every row of sql (with arg bound to its parameter, unless NULL), one element of size bytes
 * each, set by fill(); free_one() releases an element when the reading fails. *out is NULL
 * when there is none. */
static int load_all(struct state *s, const char *sql, const char *arg, const char *what,
		    size_t size, void (*fill)(sqlite3_stmt *st, void *elem),
		    void (*free_one)(void *elem), void **out, size_t *n, char **err)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;
	size_t cap = 0, len = 0;
	int rc = -1, step;

	*out = NULL;
	*n = 0;
	if (!s->db)
		return 0;
	if (prepare(s, sql, &st, err))
		goto out;
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		xgrow(&v, &cap, len + 1, size);
		fill(st, v + len++ * size);
	}
	if (step != SQLITE_DONE) {
		db_err(s, err, what);
		goto out;
	}
	*out = v;
	*n = len;
	v = NULL;
	rc = 0;
out:
	sqlite3_finalize(st);
	for (size_t i = 0; v && i < len; i++)
		free_one(v + i * size);
	free(v);
	return rc;
}

static void fill_kept(sqlite3_stmt *st, void *elem)
{
	struct kept_value *k = elem;

	k->key = xstrdup(col_text(st, 0));
	k->col = sqlite3_column_int(st, 1);
	k->value = xstrdup(col_text(st, 2));
	k->base = xstrdup(col_text(st, 3));
}

static void free_kept(void *elem)
{
	struct kept_value *k = elem;

	free(k->key);
	free(k->value);
	free(k->base);
}

int state_load_kept(struct state *s, struct kept_value **out, size_t *n, char **err)
{
	if (s->db && s->readonly && s->version < 2) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	return load_all(s, "SELECT key, col, value, base FROM kept_values ORDER BY key, col",
			NULL, "reading the kept values", sizeof(**out), fill_kept, free_kept,
			(void **)out, n, err);
}

static void fill_run(sqlite3_stmt *st, void *elem)
{
	struct state_run *r = elem;

	r->id = sqlite3_column_int64(st, 0);
	r->started = sqlite3_column_int64(st, 1);
	r->command = xstrdup(col_text(st, 2));
	r->files = xstrdup(col_text(st, 3));
	r->rolled_back = sqlite3_column_int(st, 4) != 0;
	for (int i = 0; i < 7; i++)
		r->count[i] = (size_t)sqlite3_column_int64(st, 5 + i);
}

static void free_run(void *elem)
{
	state_run_free(elem);
}

int state_load_runs(struct state *s, struct state_run **out, size_t *n, char **err)
{
	return load_all(s, "SELECT id, started, command, files, rolled_back, n_create, n_update,"
			" n_unchanged, n_expire, n_reactivate, n_rename, n_rejected FROM runs"
			" ORDER BY id", NULL, "reading runs", sizeof(**out), fill_run, free_run,
			(void **)out, n, err);
}

void state_run_free(struct state_run *r)
{
	if (!r)
		return;
	free(r->command);
	free(r->files);
	r->command = r->files = NULL;
}

/* --- for the "state" command (state_cmd.c) --------------------------------------------- */

const char *state_path(const struct state *s)
{
	return s->path;
}

bool state_readonly(const struct state *s)
{
	return s->readonly;
}

bool state_exists(const struct state *s)
{
	return s->db != NULL;
}

static void fill_entry(sqlite3_stmt *st, void *elem)
{
	struct state_entry *e = elem;

	e->key = xstrdup(col_text(st, 0));
	e->type = xstrdup(col_text(st, 1));
	e->status = xstrdup(col_text(st, 2));
	e->mail = xstrdup(col_text(st, 3));
	e->run = xstrdup(col_text(st, 4));
}

static void free_entry(void *elem)
{
	state_entry_free(elem);
}

int state_list(struct state *s, struct state_entry **out, size_t *n, char **err)
{
	return load_all(s, "SELECT key, type, status, mail, run_id FROM accounts"
			" ORDER BY mail, key", NULL, "listing accounts", sizeof(**out),
			fill_entry, free_entry, (void **)out, n, err);
}

void state_entry_free(struct state_entry *e)
{
	if (!e)
		return;
	free(e->key);
	free(e->type);
	free(e->status);
	free(e->mail);
	free(e->run);
	e->key = e->type = e->status = e->mail = e->run = NULL;
}

static void fill_event(sqlite3_stmt *st, void *elem)
{
	struct state_event *e = elem;

	e->run = xstrdup(col_text(st, 0));
	e->started = sqlite3_column_int64(st, 1);
	e->action = xstrdup(col_text(st, 2));
	e->reason = xstrdup(col_text(st, 3));
	e->status = xstrdup(col_text(st, 4));
	e->mail = xstrdup(col_text(st, 5));
	e->rolled_back = sqlite3_column_int(st, 6) != 0;
}

static void free_event(void *elem)
{
	state_event_free(elem);
}

int state_history(struct state *s, const char *key, struct state_event **out, size_t *n,
		  char **err)
{
	return load_all(s, "SELECT h.run_id, r.started, h.action, h.reason, h.status, h.mail,"
			" r.rolled_back FROM account_history h LEFT JOIN runs r"
			" ON r.id = h.run_id WHERE h.key = ? ORDER BY h.id", key,
			"reading history", sizeof(**out), fill_event, free_event, (void **)out,
			n, err);
}

void state_event_free(struct state_event *e)
{
	if (!e)
		return;
	free(e->run);
	free(e->action);
	free(e->reason);
	free(e->status);
	free(e->mail);
	e->run = e->action = e->reason = e->status = e->mail = NULL;
}

int state_forget(struct state *s, const char *key, char **err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	*err = NULL;
	if (s->readonly || !s->db) {
		*err = xasprintf("state %s: %s", s->path, s->readonly ? "opened read-only" :
				 "no database");
		goto out;
	}
	if (prepare(s, "DELETE FROM accounts WHERE key = ?", &st, err))
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_err(s, err, "forgetting the account");
		goto out;
	}
	if (sqlite3_changes(s->db) == 0) {
		*err = xasprintf("no account with key %s in the state", key);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* The statements of a rollback. */
struct undo {
	sqlite3_stmt *run, *hist, *del, *up, *mark, *unkeep;
};

/* Put back every account that run id wrote, newest change first: its previous row and status,
 * or removed when the run created it. */
static int undo_accounts(struct state *s, struct undo *u, long long id,
			 struct state_rollback *res, char **err)
{
	long long now = time(NULL);
	int step;

	sqlite3_bind_int64(u->hist, 1, id);
	while ((step = sqlite3_step(u->hist)) == SQLITE_ROW) {
		sqlite3_stmt *w = u->up;

		if (sqlite3_column_type(u->hist, 3) == SQLITE_NULL) {
			w = u->del;
			sqlite3_bind_value(u->del, 1, sqlite3_column_value(u->hist, 0));
			res->removed++;
		} else {
			for (int i = 0; i < 6; i++)
				sqlite3_bind_value(u->up, i + 1, sqlite3_column_value(u->hist, i));
			sqlite3_bind_value(u->up, 7, sqlite3_column_value(u->hist, 6));
			sqlite3_bind_int64(u->up, 8, now);
			res->restored++;
		}
		if (sqlite3_step(w) != SQLITE_DONE) {
			db_err(s, err, "restoring an account");
			return -1;
		}
		sqlite3_reset(w);
	}
	if (step != SQLITE_DONE) {
		db_err(s, err, "reading the run's history");
		return -1;
	}
	return 0;
}

int state_rollback(struct state *s, struct state_rollback *res, char **err)
{
	struct undo u = { 0 };
	bool in_tx = false;
	int rc = -1, step;

	*err = NULL;
	*res = (struct state_rollback){ 0 };
	if (s->readonly || !s->db) {
		*err = xasprintf("state %s: %s", s->path, s->readonly ? "opened read-only" :
				 "no database");
		goto out;
	}
	if (exec(s, "BEGIN IMMEDIATE", err))
		goto out;
	in_tx = true;
	if (prepare(s, "SELECT id FROM runs WHERE rolled_back = 0 ORDER BY id DESC LIMIT 1",
		    &u.run, err) ||
	    prepare(s, "SELECT key, prev_dn, prev_type, prev_status, prev_mail, prev_row,"
		    " prev_run_id FROM account_history WHERE run_id = ? ORDER BY id DESC",
		    &u.hist, err) ||
	    prepare(s, "DELETE FROM accounts WHERE key = ?", &u.del, err) ||
	    prepare(s, sql_upsert, &u.up, err) ||
	    prepare(s, "UPDATE runs SET rolled_back = 1 WHERE id = ?", &u.mark, err) ||
	    prepare(s, "DELETE FROM kept_values WHERE run_id = ?", &u.unkeep, err))
		goto out;
	step = sqlite3_step(u.run);
	if (step == SQLITE_DONE) {
		*err = xasprintf("state %s: no run to roll back", s->path);
		goto out;
	}
	if (step != SQLITE_ROW) {
		db_err(s, err, "finding the last run");
		goto out;
	}
	res->run_id = sqlite3_column_int64(u.run, 0);
	if (undo_accounts(s, &u, res->run_id, res, err))
		goto out;
	sqlite3_bind_int64(u.mark, 1, res->run_id);
	if (sqlite3_step(u.mark) != SQLITE_DONE) {
		db_err(s, err, "marking the run");
		goto out;
	}
	/* values kept by hand that the run recorded (reconcile) */
	sqlite3_bind_int64(u.unkeep, 1, res->run_id);
	if (sqlite3_step(u.unkeep) != SQLITE_DONE) {
		db_err(s, err, "removing the values kept by the run");
		goto out;
	}
	if (exec(s, "COMMIT", err))
		goto out;
	in_tx = false;
	rc = 0;
out:
	sqlite3_finalize(u.run);
	sqlite3_finalize(u.hist);
	sqlite3_finalize(u.del);
	sqlite3_finalize(u.up);
	sqlite3_finalize(u.mark);
	sqlite3_finalize(u.unkeep);
	if (in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
