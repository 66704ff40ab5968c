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
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "state.h"
#include "state_int.h"

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

/* SQLite's "disk I/O error" says little: the system's errno says "File too large". */
static const char *sys_why(struct state *s)
{
	int e = s->db ? sqlite3_system_errno(s->db) : 0;

	return e ? strerror(e) : NULL;
}

void state_db_err(struct state *s, char **err, const char *what)
{
	const char *why = sys_why(s);

	*err = xasprintf("state %s: %s: %s%s%s%s", s->path, what,
			 s->db ? sqlite3_errmsg(s->db) : "no database", why ? " (" : "",
			 why ? why : "", why ? ")" : "");
}

int state_exec(struct state *s, const char *sql, char **err)
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

int state_prepare(struct state *s, const char *sql, sqlite3_stmt **st, char **err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		state_db_err(s, err, "prepare");
		return -1;
	}
	return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
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

/* The schema version (PRAGMA user_version) of the open database. */
static int schema_version(struct state *s, int *version, char **err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (state_prepare(s, "PRAGMA user_version", &st, err) == 0) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			*version = sqlite3_column_int(st, 0);
			rc = 0;
		} else {
			state_db_err(s, err, "reading the schema version");
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static int migrate(struct state *s, char **err)
{
	char *sql = NULL;
	int version, rc = -1;

	if (state_exec(s, "BEGIN IMMEDIATE", err))
		return -1;
	if (schema_version(s, &version, err))
		goto out;
	if (version > SCHEMA_VERSION) {
		*err = xasprintf("state %s: schema version %d is newer than this program's (%d)",
				 s->path, version, SCHEMA_VERSION);
		goto out;
	}
	for (; version < SCHEMA_VERSION; version++) {
		if (state_exec(s, migrations[version], err))
			goto out;
	}
	/* the version is a literal in a PRAGMA: it cannot be bound */
	sql = xasprintf("PRAGMA user_version = %d", SCHEMA_VERSION);
	if (state_exec(s, sql, err) || state_exec(s, "COMMIT", err))
		goto out;
	rc = 0;
out:
	free(sql);
	if (rc)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
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
		state_db_err(s, err, "open");
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	if (state_exec(s, "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON", err))
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
	if (state_exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
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

	if (!s->fetch && state_prepare(s, "SELECT row FROM accounts WHERE key = ?", &s->fetch, err))
		return -1;
	sqlite3_bind_text(s->fetch, 1, a->key, -1, SQLITE_STATIC);
	step = sqlite3_step(s->fetch);
	if (step != SQLITE_ROW) {
		if (step == SQLITE_DONE)
			*err = xasprintf("state %s: account %s disappeared", s->path, a->key);
		else
			state_db_err(s, err, a->key);
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
	if (state_prepare(s, "SELECT count(*) FROM accounts", &st, err))
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) {
		cap = (size_t)sqlite3_column_int64(st, 0);
		v = xcalloc(cap, sizeof(*v));
	}
	sqlite3_finalize(st);
	st = NULL;
	if (state_prepare(s, "SELECT a.key, a.dn, a.type, a.status, a.row, a.run_id, r.started"
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
		state_db_err(s, err, "reading accounts");
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
	if (state_prepare(s, sql, &st, err))
		goto out;
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		xgrow(&v, &cap, len + 1, size);
		fill(st, v + len++ * size);
	}
	if (step != SQLITE_DONE) {
		state_db_err(s, err, what);
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

/* The row codec, for the fuzz harness (state.h). */
int state_row_decode(const char *text, struct row *r)
{
	return row_decode(text, r);
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
