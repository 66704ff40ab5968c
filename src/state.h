/*
 * state.h - the SQLite state: accounts keyed by stable id with the row last written, and the
 * runs. One file, WAL, every change in one transaction. A lock file beside it keeps two runs
 * apart.
 */
#ifndef MS_STATE_H
#define MS_STATE_H

#include "model.h"
#include "state_types.h"

struct plan;

struct state;

/* Open (creating the file with mode 0600 and migrating the schema unless readonly). The parent
 * directory must exist. With lock set, first lock PATH.lock (exclusive; shared when readonly),
 * failing at once if another run holds it. Readonly never creates anything: a missing file (or
 * directory) gives an empty state. NULL + *err (caller frees) on failure; then errno is
 * EWOULDBLOCK if and only if another run holds the lock (exit code 5). Free with state_close(). */
struct state *state_open(const char *path, bool readonly, bool lock, char **err) WUR;
void state_close(struct state *s);

/* All accounts (any status). Caller frees with state_account_free() each and free().
 * state_load_digests() leaves each row unloaded (lazy, with its digest): a run then loads
 * only the rows it changes or expires, with state_fetch_row(), so that a nightly run does not
 * hold the whole state in memory. */
int state_load(struct state *s, struct state_account **out, size_t *n, char **err) WUR;
int state_load_digests(struct state *s, struct state_account **out, size_t *n, char **err) WUR;
/* Load a lazy account's row. *err (caller frees) on failure. */
int state_fetch_row(struct state *s, struct state_account *a, char **err) WUR;
/* The plan's fetch callback (plan_opts.fetch) over state_fetch_row(): arg is a struct
 * state_fetch; after the first failure every call fails, and err holds why (caller frees). */
struct state_fetch {
	struct state *st;
	char *err;
};
int state_fetch_plan(void *arg, struct state_account *a);

/* The run's counts are taken from the plan. */
struct state_run_info {
	long long started, finished;    /* epoch s; 0 = now */
	const char *files;              /* files written, ";"-separated, may be NULL */
	const char *command;            /* "apply"; NULL = "apply" */
};

/* Record the plan's effects and the run in one transaction: created, updated, reactivated and
 * renamed accounts become active with their new row, expired ones expired with the expiry row;
 * unchanged and rejected ones are not touched. p must come from state_load() on this same
 * handle (the history keeps each account's previous values, for rollback). Returns the run id,
 * or -1 with *err (caller frees). Nothing is changed on failure. */
long long state_commit(struct state *s, const struct plan *p, const struct state_run_info *ri,
		       char **err) WUR;

/* state_commit() in two steps, so that the writes can go on while the loadusers file is being
 * written, and become durable only after it: _begin() opens the transaction and writes
 * everything (the run's files and end time may be NULL/0 then); _end() sets them (when
 * given), and commits; _abort() rolls back. Same return values; on failure the transaction
 * is rolled back. One commit at a time per handle, from the thread that opened it. */
long long state_commit_begin(struct state *s, const struct plan *p,
			     const struct state_run_info *ri, char **err) WUR;
int state_commit_end(struct state *s, long long run_id, const struct state_run_info *ri,
		     char **err) WUR;
void state_commit_abort(struct state *s);

/* Test hook (testhook.h): MEDIMAIL_SYNC_CRASH_AT=state-mid makes state_commit_begin() raise
 * SIGKILL mid-way. */

/* --- adopt and reconcile ---
 * One account changed outside a plan. */
struct state_put {
	const char *key, *dn;
	enum bal_type type;
	enum acct_status status;
	const struct row *row;                /* the row last written; NULL: remove the account
						 (it must have a prev) */
	const char *action;                   /* for its history: "adopt", "requeue"... */
	const struct state_account *prev;     /* its entry, from state_load() on this handle;
						 NULL when new */
};

struct state_batch {
	const struct state_put *put;
	size_t nput;
	const struct kept_value *kept;        /* values kept by hand; each replaces an earlier
						 one of the same key and column */
	size_t nkept;
	size_t added, replaced, unchanged;    /* the run's counts (state runs: CREATE, UPDATE,
						 UNCHANGED) */
};

/* Record a batch and its run (ri->command: "adopt", "reconcile"; ri->files: the export) in one
 * transaction, with each account's history, so that "state rollback" undoes it (kept values
 * included). Returns the run id, or -1 with *err (caller frees); nothing is changed on
 * failure. */
long long state_record(struct state *s, const struct state_batch *b,
		       const struct state_run_info *ri, char **err) WUR;

/* Every kept value. Caller frees with kept_value_free() each and free(). */
int state_load_kept(struct state *s, struct kept_value **out, size_t *n, char **err) WUR;

/* Every run, oldest first. Caller frees with state_run_free() each and free(). */
struct state_run {
	long long id, started;
	char *command;
	char *files;                          /* ";"-separated, "" when none */
	bool rolled_back;
	size_t count[7];                      /* create, update, unchanged, expire, reactivate,
						 rename, rejected */
};
int state_load_runs(struct state *s, struct state_run **out, size_t *n, char **err) WUR;
void state_run_free(struct state_run *r);

/* --- for the "state" command (state_cmd.h) ---
 * The file's path (borrowed, lives as long as s); whether s was opened read-only; whether the
 * file exists (false only when read-only and there is no state yet). */
const char *state_path(const struct state *s);
bool state_readonly(const struct state *s);
bool state_exists(const struct state *s);

/* Every account, by address then key, as text. Caller frees with state_entry_free() each and
 * free(); *err (caller frees) on failure. */
struct state_entry {
	char *key, *type, *status, *mail;
	char *run;                            /* the id of the run that last wrote it, "" when
						 none */
};
int state_list(struct state *s, struct state_entry **out, size_t *n, char **err) WUR;
void state_entry_free(struct state_entry *e);

/* What the runs did to the account key, oldest first (*n == 0: nothing, or no such key).
 * Caller frees with state_event_free() each and free(); *err (caller frees) on failure. */
struct state_event {
	char *run;                            /* the run's id */
	long long started;                    /* the run's start (epoch s), 0 unknown */
	char *action, *reason, *status, *mail;   /* "" when none */
	bool rolled_back;                     /* the run was rolled back */
};
int state_history(struct state *s, const char *key, struct state_event **out, size_t *n,
		  char **err) WUR;
void state_event_free(struct state_event *e);

/* Remove the account key from the state (its history stays): the next apply creates it again.
 * -1 with *err (caller frees) when s is read-only, when there is no such account, or on a
 * database error. */
int state_forget(struct state *s, const char *key, char **err) WUR;

/* Undo the last run not yet rolled back, in one transaction: every account it wrote gets its
 * previous row and status back, or is removed when the run created it, and the values it kept
 * by hand are dropped. Fills *res; -1 with *err (caller frees) when s is read-only, when
 * there is no run to roll back, or on a database error; nothing is changed then. */
struct state_rollback {
	long long run_id;                     /* the run undone */
	size_t restored, removed;             /* accounts */
};
int state_rollback(struct state *s, struct state_rollback *res, char **err) WUR;

/* The text a row is kept as in the state: for each of the 36 cells "LEN:" and LEN bytes.
 * Exposed for the fuzz harness. state_row_decode() fills r (zeroed first; free it with
 * row_free()) and returns 0, or -1 when text is not exactly that (r then holds nothing).
 * state_row_encode() returns the text of r; caller frees. */
int state_row_decode(const char *text, struct row *r) WUR;
char *state_row_encode(const struct row *r);
#endif
