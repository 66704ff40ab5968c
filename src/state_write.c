/*
 * state_write.c - the state store's writes: a run's plan committed (state_commit and its two
 * steps), a batch of adopt or reconcile recorded, an account forgotten, a run rolled back.
 * Each in one transaction, with every account's history for rollback. See state.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan.h"
#include "state_int.h"
#include "testhook.h"

static const char *status_text(enum acct_status st)
{
	return st == ST_EXPIRED ? "expired" : "active";
}

/* Row encoding: for each cell "LEN:" and LEN bytes (state.c:row_decode reads it). */
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

	if (state_prepare(s, "INSERT INTO runs(started, finished, command, files, n_create, n_update,"
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
		state_db_err(s, err, "recording the run");
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
		state_db_err(s, err, w->key);
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
		state_db_err(s, err, w->key);
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
	if (state_exec(s, "PRAGMA cache_size = -16384", err) || state_exec(s, "BEGIN IMMEDIATE", err))
		goto out;
	s->in_commit = true;
	c.now = ri && ri->finished ? ri->finished : time(NULL);
	c.run_id = insert_run(s, p, ri, err);
	if (c.run_id < 0)
		goto out;
	if (state_prepare(s, sql_upsert, &c.upsert, err) ||
	    state_prepare(s, sql_history, &c.hist, err))
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
		if (state_prepare(s, "UPDATE runs SET files = coalesce(?, files),"
			    " finished = coalesce(?, finished) WHERE id = ?", &st, err))
			goto out;
		if (ri->files)
			sqlite3_bind_text(st, 1, ri->files, -1, SQLITE_STATIC);
		if (ri->finished)
			sqlite3_bind_int64(st, 2, ri->finished);
		sqlite3_bind_int64(st, 3, run_id);
		if (sqlite3_step(st) != SQLITE_DONE) {
			state_db_err(s, err, "recording the run");
			goto out;
		}
	}
	if (state_exec(s, "COMMIT", err))
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
	if (state_exec(s, "BEGIN IMMEDIATE", err))
		goto out;
	s->in_commit = true;
	c.now = ri && ri->finished ? ri->finished : time(NULL);
	c.run_id = insert_run_counts(s, n, ri, err);
	if (c.run_id < 0)
		goto out;
	if (state_prepare(s, sql_upsert, &c.upsert, err) || state_prepare(s, sql_history, &c.hist, err) ||
	    state_prepare(s, "DELETE FROM accounts WHERE key = ?", &c.remove, err) ||
	    state_prepare(s, "INSERT OR REPLACE INTO kept_values(key, col, value, base, run_id)"
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
			state_db_err(s, err, k->key);
			goto out;
		}
		sqlite3_reset(keep);
	}
	if (state_exec(s, "COMMIT", err))
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
	if (state_prepare(s, "DELETE FROM accounts WHERE key = ?", &st, err))
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		state_db_err(s, err, "forgetting the account");
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
			state_db_err(s, err, "restoring an account");
			return -1;
		}
		sqlite3_reset(w);
	}
	if (step != SQLITE_DONE) {
		state_db_err(s, err, "reading the run's history");
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
	if (state_exec(s, "BEGIN IMMEDIATE", err))
		goto out;
	in_tx = true;
	if (state_prepare(s, "SELECT id FROM runs WHERE rolled_back = 0 ORDER BY id DESC LIMIT 1",
		    &u.run, err) ||
	    state_prepare(s, "SELECT key, prev_dn, prev_type, prev_status, prev_mail, prev_row,"
		    " prev_run_id FROM account_history WHERE run_id = ? ORDER BY id DESC",
		    &u.hist, err) ||
	    state_prepare(s, "DELETE FROM accounts WHERE key = ?", &u.del, err) ||
	    state_prepare(s, sql_upsert, &u.up, err) ||
	    state_prepare(s, "UPDATE runs SET rolled_back = 1 WHERE id = ?", &u.mark, err) ||
	    state_prepare(s, "DELETE FROM kept_values WHERE run_id = ?", &u.unkeep, err))
		goto out;
	step = sqlite3_step(u.run);
	if (step == SQLITE_DONE) {
		*err = xasprintf("state %s: no run to roll back", s->path);
		goto out;
	}
	if (step != SQLITE_ROW) {
		state_db_err(s, err, "finding the last run");
		goto out;
	}
	res->run_id = sqlite3_column_int64(u.run, 0);
	if (undo_accounts(s, &u, res->run_id, res, err))
		goto out;
	sqlite3_bind_int64(u.mark, 1, res->run_id);
	if (sqlite3_step(u.mark) != SQLITE_DONE) {
		state_db_err(s, err, "marking the run");
		goto out;
	}
	/* values kept by hand that the run recorded (reconcile) */
	sqlite3_bind_int64(u.unkeep, 1, res->run_id);
	if (sqlite3_step(u.unkeep) != SQLITE_DONE) {
		state_db_err(s, err, "removing the values kept by the run");
		goto out;
	}
	if (state_exec(s, "COMMIT", err))
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

/* The row codec's writing half, for the fuzz harness (state.h). */
char *state_row_encode(const struct row *r)
{
	struct strbuf sb = { 0 };

	row_encode(&sb, r);
	return sb_steal(&sb);
}
