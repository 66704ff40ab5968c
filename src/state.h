/*
 * state.h - the SQLite state: accounts keyed by stable id with the row last written, and the
 * runs. One file, WAL, every change in one transaction. A lock file beside it keeps two runs
 * apart.
 */
#ifndef MS_STATE_H
#define MS_STATE_H

#include "plan.h"

struct state;

/* Open (creating and migrating the schema unless readonly). With lock set, take an exclusive
 * lock on PATH.lock first, failing at once if another run holds it. NULL + *err on failure. */
struct state *state_open(const char *path, bool readonly, bool lock, char **err) WUR;
void state_close(struct state *s);

/* All accounts (any status). Caller frees with state_account_free() each and free(). */
int state_load(struct state *s, struct state_account **out, size_t *n, char **err) WUR;

struct state_run_info {
	long long started, finished;    /* epoch s */
	const char *files;              /* files written, ";"-separated, may be NULL */
	size_t count[ACT_NACTIONS];
	const char *command;            /* "apply" */
};

/* Record the plan's effects and the run in one transaction. Returns the run id, or -1. */
long long state_commit(struct state *s, const struct plan *p, const struct state_run_info *ri,
		       char **err) WUR;

/* Test hook: MEDIMAIL_SYNC_CRASH_AT=state-mid makes state_commit() raise SIGKILL mid-way. */

/* The "state" command: list, history KEY, runs, forget KEY, rollback. Prints to out. */
int state_cmd(struct state *s, int argc, char **argv, FILE *out, char **err) WUR;

#endif
