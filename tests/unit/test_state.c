/* test_state.c - cmocka unit tests of the SQLite state (src/state.c), in a temporary directory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "plan.h"
#include "state.h"
#include "state_cmd.h"
#include "tmpdir.h"

#define NOW 1741608000LL       /* 2025-03-10 12:00:00 UTC */

static char tmpdir[4096];

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static size_t dir_entries(void)
{
	long n = tmpdir_count(tmpdir);

	assert_true(n >= 0);
	return (size_t)n;
}

static int setup(void **st)
{
	(void)st;
	return tmpdir_make(tmpdir, sizeof(tmpdir), "test_state");
}

static int teardown(void **st)
{
	(void)st;
	return tmpdir_remove(tmpdir);
}

/* Run one SQL query on the file directly; returns its first column as text. */
static char *sql1(const char *path, const char *q)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *v = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void mk_acc(struct account *a, const char *key, const char *mail, const char *nom)
{
	memset(a, 0, sizeof(*a));
	a->key = xstrdup(key);
	a->dn = xasprintf("uid=%s,ou=people,dc=chu,dc=fr", key);
	a->type = BAL_PER;
	row_set(&a->row, COL_MAIL, mail);
	row_set(&a->row, COL_NOM, nom);
	row_set(&a->row, COL_PRENOM, "Hélène");
	row_set(&a->row, COL_SERVICE, "12:3:x;");     /* looks like the encoding itself */
	row_set(&a->row, COL_TYPE_BAL, "PER");
}

static void free_accs(struct account *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		account_free(&a[i]);
}

static void free_prev(struct state_account *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		state_account_free(&v[i]);
	free(v);
}

static struct plan_opts opts(void)
{
	struct plan_opts o = { .now = NOW, .grace_days = 7, .max_expire_count = -1,
			       .max_expire_percent = -1, .max_org_loss_percent = -1 };
	return o;
}

/* Plan acc against the state and commit it. Returns the run id. */
static long long apply(struct state *s, const struct account *acc, size_t n)
{
	struct state_account *prev;
	size_t nprev;
	struct plan p;
	struct plan_opts o = opts();
	struct state_run_info ri = { .started = NOW, .finished = NOW + 5, .files = "f.xlsx",
				     .command = "apply" };
	char *err = NULL;
	long long id;

	assert_int_equal(state_load(s, &prev, &nprev, &err), 0);
	assert_int_equal(plan_build(acc, n, prev, nprev, &o, &p), 0);
	id = state_commit(s, &p, &ri, &err);
	if (id < 0)
		fail_msg("%s", err);
	plan_free(&p);
	free_prev(prev, nprev);
	return id;
}

static const struct state_account *find(const struct state_account *v, size_t n, const char *k)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].key, k) == 0)
			return &v[i];
	return NULL;
}

static char *cmd(struct state *s, int rc_want, int argc, const char *a0, const char *a1)
{
	char *argv[] = { (char *)a0, (char *)a1, NULL };
	char *buf = NULL, *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc = state_cmd(s, argc, argv, f, &err);

	fclose(f);
	if (rc != rc_want)
		fail_msg("state %s: rc %d: %s", a0, rc, err ? err : "");
	if (rc) {
		free(buf);
		return err;
	}
	free(err);
	return buf;
}

static void test_create_mode_version(void **st)
{
	char *path = tpath("state.db"), *err = NULL, *v;
	struct state *s;
	struct stat sb;

	(void)st;
	umask(022);
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	state_close(s);
	v = sql1(path, "PRAGMA user_version");
	assert_string_equal(v, "2");
	free(v);
	v = sql1(path, "PRAGMA journal_mode");
	assert_string_equal(v, "wal");
	free(v);
	v = sql1(path, "PRAGMA integrity_check");
	assert_string_equal(v, "ok");
	free(v);
	/* opening again does not migrate twice */
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	state_close(s);
	free(path);
}

static void test_missing_dir(void **st)
{
	char *err = NULL;
	struct state *s;
	struct state_account *v;
	size_t n;

	(void)st;
	s = state_open("/nonexistent-ms-dir/state.db", false, true, &err);
	assert_null(s);
	assert_non_null(strstr(err, "/nonexistent-ms-dir"));
	assert_true(errno != EWOULDBLOCK);
	free(err);
	s = state_open("/nonexistent-ms-dir/state.db", true, true, &err);
	assert_non_null(s);
	assert_int_equal(state_load(s, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	state_close(s);
}

static void test_readonly_missing(void **st)
{
	char *path = tpath("none.db"), *err = NULL, *out;
	struct state *s;
	struct state_account *v;
	struct plan p = { 0 };
	size_t n;

	(void)st;
	s = state_open(path, true, true, &err);
	assert_non_null(s);
	assert_int_equal(state_load(s, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	assert_int_equal(state_commit(s, &p, NULL, &err), -1);
	assert_non_null(strstr(err, "read-only"));
	free(err);
	out = cmd(s, 0, 1, "list", NULL);
	assert_non_null(strstr(out, "no state yet"));
	free(out);
	out = cmd(s, -1, 1, "rollback", NULL);
	free(out);
	state_close(s);
	assert_int_equal(dir_entries(), 0);
	free(path);
}

/* issue 17: a planted symlink for the state or its lock is refused, its target untouched */
static void test_symlinks_refused(void **st)
{
	char *path = tpath("state.db"), *lock = tpath("state.db.lock");
	char *target = tpath("target"), *err = NULL;
	struct state *s;
	struct stat sb;
	int fd;

	(void)st;
	fd = open(target, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(symlink(target, path), 0);
	s = state_open(path, false, true, &err);
	assert_null(s);
	assert_non_null(strstr(err, "is a symbolic link"));
	assert_non_null(strstr(err, path));
	free(err);
	err = NULL;
	s = state_open(path, true, false, &err);        /* read-only too */
	assert_null(s);
	free(err);
	err = NULL;
	assert_int_equal(stat(target, &sb), 0);
	assert_int_equal(sb.st_size, 0);                /* SQLite wrote nothing there */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(lock), 0);
	unlink(target);

	/* the lock: O_NOFOLLOW, so its target is not even created */
	assert_int_equal(symlink(target, lock), 0);
	s = state_open(path, false, true, &err);
	assert_null(s);
	assert_non_null(strstr(err, "lock file"));
	assert_non_null(strstr(err, "symbolic link"));
	assert_true(errno != EWOULDBLOCK);
	free(err);
	assert_int_equal(lstat(target, &sb), -1);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	free(lock);
	free(target);
}

/* issue 17: an existing state at 0644 (and its WAL) is tightened to 0600 */
static void test_mode_tightened(void **st)
{
	char *path = tpath("state.db"), *wal = tpath("state.db-wal"), *err = NULL;
	struct state *s;
	struct stat sb;
	int fd;

	(void)st;
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	state_close(s);
	assert_int_equal(chmod(path, 0644), 0);
	fd = open(wal, O_CREAT | O_WRONLY, 0644);    /* an empty WAL left behind */
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	close(fd);
	s = state_open(path, true, false, &err);
	assert_non_null(s);
	state_close(s);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(chmod(path, 0640), 0);
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	state_close(s);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	if (stat(wal, &sb) == 0)
		assert_int_equal(sb.st_mode & 077, 0);
	free(path);
	free(wal);
}

/* issue 17: a state directory others may write into is refused, naming it */
static void test_dir_refused(void **st)
{
	char *path = tpath("state.db"), *err = NULL;
	struct state *s;

	(void)st;
	assert_int_equal(chmod(tmpdir, 0777), 0);
	s = state_open(path, false, true, &err);
	assert_null(s);
	assert_non_null(strstr(err, "state directory"));
	assert_non_null(strstr(err, tmpdir));
	assert_non_null(strstr(err, "writable by group or others"));
	free(err);
	err = NULL;
	assert_int_equal(chmod(tmpdir, 0775), 0);
	s = state_open(path, true, true, &err);
	assert_null(s);
	free(err);
	assert_int_equal(chmod(tmpdir, 0700), 0);
	assert_int_equal(dir_entries(), 0);             /* nothing created */
	free(path);
}

static void test_lock(void **st)
{
	char *path = tpath("state.db"), *err = NULL;
	struct state *s1, *s2;

	(void)st;
	s1 = state_open(path, false, true, &err);
	assert_non_null(s1);
	s2 = state_open(path, false, true, &err);
	assert_null(s2);
	assert_int_equal(errno, EWOULDBLOCK);
	assert_non_null(strstr(err, "another medimail-sync run holds the lock on"));
	assert_non_null(strstr(err, "state.db.lock"));
	free(err);
	/* plan (read-only, shared lock) is kept out too */
	s2 = state_open(path, true, true, &err);
	assert_null(s2);
	assert_int_equal(errno, EWOULDBLOCK);
	free(err);
	state_close(s1);
	s2 = state_open(path, false, true, &err);
	assert_non_null(s2);
	state_close(s2);
	free(path);
}

/* Run 1 creates 4 accounts; run 2 updates, expires, renames and creates. */
static void two_runs(struct state *s, struct account *r1, struct account *r2)
{
	mk_acc(&r1[0], "k1", "a@chu.fr", "A");
	mk_acc(&r1[1], "k2", "b@chu.fr", "B");
	mk_acc(&r1[2], "k3", "c@chu.fr", "C");
	mk_acc(&r1[3], "k4", "d@chu.fr", "D");
	assert_int_equal(apply(s, r1, 4), 1);

	mk_acc(&r2[0], "k1", "a@chu.fr", "A");           /* unchanged */
	mk_acc(&r2[1], "k2", "b@chu.fr", "B-CHANGED");   /* update */
	mk_acc(&r2[2], "k4", "d-new@chu.fr", "D");       /* rename; k3 gone */
	mk_acc(&r2[3], "k5", "e@chu.fr", "E");           /* create */
	assert_int_equal(apply(s, r2, 4), 2);
}

static void test_commit_reload(void **st)
{
	char *path = tpath("state.db"), *err = NULL, *v;
	struct account r1[4], r2[4];
	struct state_account *a;
	const struct state_account *x;
	struct state *s;
	size_t n;

	(void)st;
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	two_runs(s, r1, r2);
	state_close(s);

	s = state_open(path, true, false, &err);
	assert_non_null(s);
	assert_int_equal(state_load(s, &a, &n, &err), 0);
	assert_int_equal(n, 5);
	x = find(a, n, "k1");
	assert_true(row_equal(&x->row, &r1[0].row));
	assert_string_equal(row_get(&x->row, COL_SERVICE), "12:3:x;");
	assert_string_equal(row_get(&x->row, COL_PRENOM), "Hélène");
	assert_string_equal(row_get(&x->row, COL_RPPS), "");
	assert_int_equal(x->run_id, 1);
	assert_int_equal(x->status, ST_ACTIVE);
	assert_int_equal(x->type, BAL_PER);
	assert_string_equal(x->dn, "uid=k1,ou=people,dc=chu,dc=fr");
	x = find(a, n, "k2");
	assert_string_equal(row_get(&x->row, COL_NOM), "B-CHANGED");
	assert_int_equal(x->run_id, 2);
	x = find(a, n, "k3");
	assert_int_equal(x->status, ST_EXPIRED);
	assert_string_equal(row_get(&x->row, COL_PEREMPTION), "25-03-17");
	assert_string_equal(row_get(&x->row, COL_MAIL), "c@chu.fr");
	x = find(a, n, "k4");
	assert_int_equal(x->status, ST_ACTIVE);
	assert_string_equal(row_get(&x->row, COL_MAIL), "d-new@chu.fr");
	x = find(a, n, "k5");
	assert_int_equal(x->run_id, 2);

	/* lazy load: digests equal to the rows' digests, rows loaded on demand */
	{
		struct state_account *l;
		size_t nl;

		assert_int_equal(state_load_digests(s, &l, &nl, &err), 0);
		assert_int_equal(nl, n);
		for (size_t i = 0; i < nl; i++) {
			struct state_account *y = &l[i];

			x = find(a, n, y->key);
			assert_true(y->lazy);
			assert_string_equal(row_get(&y->row, COL_MAIL), "");
			assert_true(y->digest == row_digest(&x->row));
			assert_int_equal(state_fetch_row(s, y, &err), 0);
			assert_false(y->lazy);
			assert_true(row_equal(&y->row, &x->row));
		}
		free(l[0].key);
		l[0].key = xstrdup("no-such-key");
		l[0].lazy = true;
		assert_int_equal(state_fetch_row(s, &l[0], &err), -1);
		assert_non_null(strstr(err, "no-such-key"));
		free(err);
		err = NULL;
		free_prev(l, nl);
	}
	free_prev(a, n);
	state_close(s);

	v = sql1(path, "SELECT n_create || ',' || n_update || ',' || n_unchanged || ',' ||"
		 " n_expire || ',' || n_rename || ',' || files FROM runs WHERE id = 2");
	assert_string_equal(v, "1,1,1,1,1,f.xlsx");
	free(v);
	v = sql1(path, "SELECT count(*) FROM account_history");
	assert_string_equal(v, "8");      /* 4 creates, then update, expire, rename, create */
	free(v);
	v = sql1(path, "PRAGMA integrity_check");
	assert_string_equal(v, "ok");
	free(v);
	free_accs(r1, 4);
	free_accs(r2, 4);
	free(path);
}

static void test_commands_rollback(void **st)
{
	char *path = tpath("state.db"), *err = NULL, *out;
	struct account r1[4], r2[4];
	struct state_account *a, *prev;
	const struct state_account *x;
	struct plan_opts o = opts();
	struct state *s;
	struct plan p;
	size_t n;

	(void)st;
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	two_runs(s, r1, r2);

	out = cmd(s, 0, 1, "list", NULL);
	assert_non_null(strstr(out, "KEY  TYPE  STATUS   MAIL"));
	assert_non_null(strstr(out, "k3   PER   expired  c@chu.fr"));
	assert_non_null(strstr(out, "5 account(s)"));
	/* sorted by address: d-new@ after c@ and before e@ */
	assert_true(strstr(out, "c@chu.fr") < strstr(out, "d-new@chu.fr"));
	assert_true(strstr(out, "d-new@chu.fr") < strstr(out, "e@chu.fr"));
	free(out);
	out = cmd(s, 0, 2, "history", "k4");
	assert_non_null(strstr(out, "create"));
	assert_non_null(strstr(out, "rename"));
	free(out);
	out = cmd(s, 0, 1, "runs", NULL);
	assert_non_null(strstr(out, "f.xlsx"));
	assert_non_null(strstr(out, "ROLLED BACK"));
	free(out);
	free(cmd(s, -1, 2, "history", "nobody"));
	free(cmd(s, -2, 1, "bogus", NULL));
	free(cmd(s, -2, 1, "forget", NULL));

	/* roll back run 2: its changes are owed again */
	out = cmd(s, 0, 1, "rollback", NULL);
	assert_non_null(strstr(out, "rolled back run 2: 3 account(s) restored, 1 removed"));
	free(out);
	assert_int_equal(state_load(s, &a, &n, &err), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < 4; i++) {
		x = find(a, n, r1[i].key);
		assert_non_null(x);
		assert_true(row_equal(&x->row, &r1[i].row));
		assert_int_equal(x->status, ST_ACTIVE);
		assert_int_equal(x->run_id, 1);
	}
	assert_int_equal(plan_build(r2, 4, a, n, &o, &p), 0);
	assert_int_equal(p.count[ACT_CREATE], 1);
	assert_int_equal(p.count[ACT_UPDATE], 1);
	assert_int_equal(p.count[ACT_EXPIRE], 1);
	assert_int_equal(p.count[ACT_RENAME], 1);
	plan_free(&p);
	free_prev(a, n);
	out = cmd(s, 0, 1, "runs", NULL);
	assert_non_null(strstr(out, "yes"));
	free(out);

	/* forget one; then roll back run 1: all gone; then nothing left to roll back */
	out = cmd(s, 0, 2, "forget", "k1");
	assert_non_null(strstr(out, "forgot k1"));
	free(out);
	assert_int_equal(state_load(s, &prev, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_null(find(prev, n, "k1"));
	free_prev(prev, n);
	free(cmd(s, -1, 2, "forget", "k1"));
	free(cmd(s, 0, 1, "rollback", NULL));
	assert_int_equal(state_load(s, &prev, &n, &err), 0);
	assert_int_equal(n, 0);
	free_prev(prev, n);
	out = cmd(s, -1, 1, "rollback", NULL);
	assert_non_null(strstr(out, "no run to roll back"));
	free(out);
	state_close(s);
	out = sql1(path, "PRAGMA integrity_check");
	assert_string_equal(out, "ok");
	free(out);
	free_accs(r1, 4);
	free_accs(r2, 4);
	free(path);
}

/* MEDIMAIL_SYNC_CRASH_AT=state-mid: killed inside the transaction, nothing committed. */
static void test_crash_mid_commit(void **st)
{
	char *path = tpath("state.db"), *err = NULL, *v;
	struct account acc[10];
	struct state_account *a;
	struct state *s;
	int status;
	size_t n;
	pid_t pid;

	(void)st;
	for (int i = 0; i < 10; i++) {
		char key[8], mail[32];

		snprintf(key, sizeof(key), "k%d", i);
		snprintf(mail, sizeof(mail), "u%d@chu.fr", i);
		mk_acc(&acc[i], key, mail, "N");
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("MEDIMAIL_SYNC_CRASH_AT", "state-mid", 1);
		s = state_open(path, false, true, &err);
		if (s)
			(void)apply(s, acc, 10);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	s = state_open(path, false, true, &err);
	assert_non_null(s);
	assert_int_equal(state_load(s, &a, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(apply(s, acc, 10), 1);
	assert_int_equal(state_load(s, &a, &n, &err), 0);
	assert_int_equal(n, 10);
	free_prev(a, n);
	state_close(s);
	v = sql1(path, "PRAGMA integrity_check");
	assert_string_equal(v, "ok");
	free(v);
	free_accs(acc, 10);
	free(path);
}

/* 100,000 rows in one commit (the duration is printed, not asserted). */
/* The two-step commit: nothing is visible or kept until _end(); _abort() (or closing the
 * handle) rolls back; _end() records the files and end time given then. */
static void test_commit_two_steps(void **st)
{
	char *path = tpath("two.db"), *err = NULL, *v;
	struct account acc[2];
	struct state *s;
	struct state_account *prev;
	size_t nprev;
	struct plan p;
	struct plan_opts o = opts();
	struct state_run_info begin = { .started = NOW, .command = "apply" };
	struct state_run_info end = { .finished = NOW + 9, .files = "/out/loadusers-1.xlsx" };
	long long id;

	(void)st;
	mk_acc(&acc[0], "k1", "a@chu.fr", "A");
	mk_acc(&acc[1], "k2", "b@chu.fr", "B");
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	assert_int_equal(state_load(s, &prev, &nprev, &err), 0);
	assert_int_equal(plan_build(acc, 2, prev, nprev, &o, &p), 0);

	id = state_commit_begin(s, &p, &begin, &err);
	assert_true(id > 0);
	assert_int_equal(state_commit_begin(s, &p, &begin, &err), -1);   /* one at a time */
	free(err);
	err = NULL;
	state_commit_abort(s);
	v = sql1(path, "SELECT count(*) FROM accounts");
	assert_string_equal(v, "0");
	free(v);
	v = sql1(path, "SELECT count(*) FROM runs");
	assert_string_equal(v, "0");
	free(v);
	assert_int_equal(state_commit_end(s, id, &end, &err), -1);        /* none under way */
	free(err);
	err = NULL;

	id = state_commit_begin(s, &p, &begin, &err);
	assert_true(id > 0);
	assert_int_equal(state_commit_end(s, id, &end, &err), 0);
	v = sql1(path, "SELECT count(*) FROM accounts");
	assert_string_equal(v, "2");
	free(v);
	v = sql1(path, "SELECT files || ' ' || finished || ' ' || started FROM runs");
	assert_string_equal(v, "/out/loadusers-1.xlsx 1741608009 1741608000");
	free(v);

	/* closing the handle mid-commit rolls back */
	plan_free(&p);
	free_prev(prev, nprev);
	row_set(&acc[0].row, COL_NOM, "A2");
	assert_int_equal(state_load(s, &prev, &nprev, &err), 0);
	assert_int_equal(plan_build(acc, 2, prev, nprev, &o, &p), 0);
	assert_true(state_commit_begin(s, &p, &begin, &err) > 0);
	state_close(s);
	v = sql1(path, "SELECT count(*) FROM runs");
	assert_string_equal(v, "1");
	free(v);
	plan_free(&p);
	free_prev(prev, nprev);
	free_accs(acc, 2);
	free(path);
}

static void test_big_commit(void **st)
{
	const size_t n = getenv("TEST_STATE_SMALL") ? 5000 : 100000;
	char *path = tpath("state.db"), *err = NULL;
	struct account *acc = xcalloc(n, sizeof(*acc));
	struct state_account *a;
	struct plan_opts o = opts();
	struct timespec t0, t1, c0, c1;
	struct state *s;
	struct plan p;
	size_t na;

	(void)st;
	for (size_t i = 0; i < n; i++) {
		char key[32], mail[48];

		snprintf(key, sizeof(key), "uuid-%07zu", i);
		snprintf(mail, sizeof(mail), "user%07zu@chu.fr", i);
		mk_acc(&acc[i], key, mail, "NOM");
		for (int c = 0; c < NCOLS; c++)
			if (!*row_get(&acc[i].row, (enum col)c))
				row_set(&acc[i].row, (enum col)c, "some value");
	}
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	assert_int_equal(plan_build(acc, n, NULL, 0, &o, &p), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	assert_int_equal(state_commit(s, &p, NULL, &err), 1);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("commit of %zu accounts: %.3f s (cpu %.3f s)\n", n,
		      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
		      (double)(c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9);
	plan_free(&p);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(state_load(s, &a, &na, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("load of %zu accounts: %.3f s\n", na,
		      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_int_equal(na, n);
	assert_true(row_equal(&a[n - 1].row, &acc[n - 1].row));
	free_prev(a, na);
	state_close(s);
	free_accs(acc, n);
	free(acc);
	free(path);
}

/* A state of schema 1 (before kept values) is read as it is by a read-only open (a plan
 * right after an upgrade: no kept value), and migrated by the next read-write open. */
static void test_migrate_v1(void **st)
{
	char *path = tpath("state.db"), *err = NULL, *v;
	struct state *s;
	struct state_account *a;
	struct kept_value *kept;
	size_t n, nkept;
	sqlite3 *db;

	(void)st;
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	state_close(s);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE kept_values; PRAGMA user_version = 1",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	/* read-only: read as it is, the kept values empty, nothing migrated */
	s = state_open(path, true, false, &err);
	assert_non_null(s);
	assert_int_equal(state_load_digests(s, &a, &n, &err), 0);
	free(a);
	assert_int_equal(state_load_kept(s, &kept, &nkept, &err), 0);
	assert_int_equal(nkept, 0);
	state_close(s);
	v = sql1(path, "PRAGMA user_version");
	assert_string_equal(v, "1");
	free(v);
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	state_close(s);
	v = sql1(path, "SELECT count(*) FROM sqlite_master WHERE name = 'kept_values'");
	assert_string_equal(v, "1");
	free(v);
	free(path);
}

/* adopt and reconcile: accounts added, replaced and removed, values kept, in one run that
 * "state rollback" undoes; a batch that fails changes nothing. */
static void test_record(void **st)
{
	char *path = tpath("state.db"), *err = NULL, *v, *out;
	struct account r1[4], r2[4];
	struct state_account *a, *b;
	struct state_run *runs;
	struct kept_value *kept;
	struct row changed = { 0 }, fresh = { 0 };
	struct state *s;
	size_t n, nb, nruns, nkept;
	struct state_run_info ri = { .started = NOW, .finished = NOW + 1, .command = "reconcile",
				     .files = "export.csv" };
	long long id;

	(void)st;
	s = state_open(path, false, true, &err);
	assert_non_null(s);
	two_runs(s, r1, r2);
	assert_int_equal(state_load(s, &a, &n, &err), 0);
	row_copy(&changed, &find(a, n, "k1")->row);
	row_set(&changed, COL_NOM, "A-MEDIMAIL");
	row_set(&fresh, COL_MAIL, "z@chu.fr");
	{
		struct state_put put[] = {
			{ "k1", "uid=k1", BAL_PER, ST_ACTIVE, &changed, "adopt", find(a, n, "k1") },
			{ "medimail:z@chu.fr", "", BAL_NONE, ST_ACTIVE, &fresh, "adopt", NULL },
			{ "k2", "uid=k2", BAL_PER, ST_ACTIVE, NULL, "requeue", find(a, n, "k2") },
		};
		struct kept_value kv = { "k1", COL_NOM, "A-MEDIMAIL", "A" };
		struct state_batch batch = { put, 3, &kv, 1, 1, 2, 0 };
		struct state_put bad[] = {
			{ "k5", "uid=k5", BAL_PER, ST_ACTIVE, &changed, "adopt", find(a, n, "k5") },
			{ "nobody", "", BAL_PER, ST_ACTIVE, NULL, "requeue", NULL },
		};
		struct state_batch fails = { bad, 2, NULL, 0, 0, 2, 0 };

		/* the second change cannot be made: the first is not kept either */
		assert_int_equal(state_record(s, &fails, &ri, &err), -1);
		assert_non_null(strstr(err, "nobody"));
		free(err);
		err = NULL;
		id = state_record(s, &batch, &ri, &err);
		if (id < 0)
			fail_msg("%s", err);
		assert_int_equal(id, 3);
	}
	assert_int_equal(state_load(s, &b, &nb, &err), 0);
	assert_int_equal(nb, 5);
	assert_string_equal(row_get(&find(b, nb, "k1")->row, COL_NOM), "A-MEDIMAIL");
	assert_int_equal(find(b, nb, "k1")->run_id, 3);
	assert_null(find(b, nb, "k2"));
	assert_non_null(find(b, nb, "medimail:z@chu.fr"));
	assert_string_equal(row_get(&find(b, nb, "k5")->row, COL_NOM), "E");
	free_prev(b, nb);
	assert_int_equal(state_load_kept(s, &kept, &nkept, &err), 0);
	assert_int_equal(nkept, 1);
	assert_string_equal(kept[0].key, "k1");
	assert_int_equal(kept[0].col, COL_NOM);
	assert_string_equal(kept[0].value, "A-MEDIMAIL");
	assert_string_equal(kept[0].base, "A");
	free(kept[0].key);
	free(kept[0].value);
	free(kept[0].base);
	free(kept);
	assert_int_equal(state_load_runs(s, &runs, &nruns, &err), 0);
	assert_int_equal(nruns, 3);
	assert_string_equal(runs[0].files, "f.xlsx");
	assert_string_equal(runs[2].command, "reconcile");
	assert_string_equal(runs[2].files, "export.csv");
	assert_int_equal(runs[2].started, NOW);
	for (size_t i = 0; i < nruns; i++)
		state_run_free(&runs[i]);
	free(runs);
	v = sql1(path, "SELECT n_create || ' ' || n_update || ' ' || n_unchanged FROM runs"
		 " WHERE id = 3");
	assert_string_equal(v, "1 2 0");
	free(v);
	out = cmd(s, 0, 2, "history", "k2");
	assert_non_null(strstr(out, "requeue"));
	assert_non_null(strstr(out, "removed"));
	free(out);

	/* rollback: k1 and k2 as they were, the new account and the kept value gone */
	out = cmd(s, 0, 1, "rollback", NULL);
	assert_non_null(strstr(out, "rolled back run 3: 2 account(s) restored, 1 removed"));
	free(out);
	assert_int_equal(state_load(s, &b, &nb, &err), 0);
	assert_int_equal(nb, 5);
	assert_true(row_equal(&find(b, nb, "k1")->row, &find(a, n, "k1")->row));
	assert_int_equal(find(b, nb, "k1")->run_id, 1);
	assert_true(row_equal(&find(b, nb, "k2")->row, &find(a, n, "k2")->row));
	assert_null(find(b, nb, "medimail:z@chu.fr"));
	free_prev(b, nb);
	v = sql1(path, "SELECT count(*) FROM kept_values");
	assert_string_equal(v, "0");
	free(v);

	/* forgetting an account forgets its kept values */
	{
		struct state_put put = { "k1", "uid=k1", BAL_PER, ST_ACTIVE, &changed, "reconcile",
					 find(a, n, "k1") };
		struct kept_value kv = { "k1", COL_NOM, "A-MEDIMAIL", "A" };
		struct state_batch batch = { &put, 1, &kv, 1, 0, 1, 0 };

		assert_true(state_record(s, &batch, &ri, &err) > 0);
	}
	v = sql1(path, "SELECT count(*) FROM kept_values");
	assert_string_equal(v, "1");
	free(v);
	free(cmd(s, 0, 2, "forget", "k1"));
	v = sql1(path, "SELECT count(*) FROM kept_values");
	assert_string_equal(v, "0");
	free(v);
	state_close(s);

	/* read-only: refused */
	s = state_open(path, true, false, &err);
	assert_non_null(s);
	{
		struct state_batch empty = { 0 };

		assert_int_equal(state_record(s, &empty, &ri, &err), -1);
		assert_non_null(strstr(err, "read-only"));
		free(err);
	}
	state_close(s);
	row_free(&changed);
	row_free(&fresh);
	free_prev(a, n);
	free_accs(r1, 4);
	free_accs(r2, 4);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_mode_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_tightened, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_mid_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_two_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record, setup, teardown),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
