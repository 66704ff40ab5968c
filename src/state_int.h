/*
 * state_int.h - inside the state store, shared by state.c (opening, schema, reading) and
 * state_write.c (commits, adopt and reconcile batches, forget, rollback). Not for other
 * modules: they use state.h.
 */
#ifndef MS_STATE_INT_H
#define MS_STATE_INT_H

#include <sqlite3.h>
#include "state.h"

struct state {
	char *path;
	sqlite3 *db;          /* NULL: read-only and no state yet */
	int lock_fd;          /* -1 when not locked */
	bool readonly;
	int version;          /* schema version of the file (read-only: may be older) */
	bool in_commit;       /* between state_commit_begin() and _end() or _abort() */
	sqlite3_stmt *fetch;  /* one row by key, for lazy accounts */
};

/* *err (caller frees) = "state PATH: what: SQLite's message (the system's errno)". */
void state_db_err(struct state *s, char **err, const char *what);
/* Run sql (no result rows); -1 with *err (caller frees) on failure. */
int state_exec(struct state *s, const char *sql, char **err);
/* Prepare sql into *st (caller finalizes); -1 with *err (caller frees) on failure. */
int state_prepare(struct state *s, const char *sql, sqlite3_stmt **st, char **err);

#endif
