/*
 * adopt_run.h - the "adopt" and "reconcile" commands, which close the loop with Medimail's
 * own account list (the console's export, read by export.c):
 *   adopt FILE      the directory (as plan reads it) against the export: which mailboxes
 *                   exist already; --commit records them in the state, so that the first
 *                   apply writes only real differences and no creation for them;
 *   reconcile FILE  the state against the export, after an import: files not imported,
 *                   values changed by hand, expiries not applied, accounts made in the
 *                   console; --commit makes the next apply put them right.
 * Both are dry runs unless --commit; with it the state is locked first (exit 5 when another
 * run holds it) and changed in one transaction, with a run of its own (command "adopt" or
 * "reconcile", the export as its file) that "state rollback" undoes. The reports are in
 * adopt_report.c.
 */
#ifndef MS_ADOPT_RUN_H
#define MS_ADOPT_RUN_H

#include "adopt.h"
#include "collect.h"
#include "conf.h"
#include "exitcode.h"
#include "reconcile.h"
#include "state.h"

struct adopt_run_opts {
	const char *export_path;   /* FILE */
	bool commit;               /* --commit: record in the state */
	bool accept_renames;       /* adopt --accept-renames */
	bool expire_orphans;       /* adopt --expire-orphans */
	bool quiet;
	const char *json_path;     /* --json FILE or "-" */
	long long now;             /* 0: time(NULL); MEDIMAIL_SYNC_NOW in tests */
};

struct export_list;

/* Everything one adopt or reconcile run found. Owned by adopt_main() / reconcile_main(),
 * which free it after the reports; the reports get a const view. */
struct adopt_session {
	const struct config *c;
	const struct adopt_run_opts *o;
	bool reconcile;                    /* which command */
	long long started, finished;       /* epoch s */
	long long clock_started;           /* time(NULL) at start */
	struct export_list *ex;            /* NULL when the export could not be read */
	struct medimail_account *view;     /* ex's accounts as the matchers see them */
	struct medimail_list mm;           /* over view */
	struct state_account *prev;        /* the state's accounts, rows loaded */
	size_t nprev;
	struct state_run *runs;            /* reconcile: the state's runs, to name them */
	size_t nruns;
	struct collection col;             /* adopt: the directory's accounts */
	bool compared;                     /* got as far as the comparison */
	struct adopt_result ar;            /* adopt */
	struct recon_result rr;            /* reconcile */
	long long run_id;                  /* the run --commit recorded, 0 when none */
	int exit_code;
};

int adopt_main(const struct config *c, const struct adopt_run_opts *o);
int reconcile_main(const struct config *c, const struct adopt_run_opts *o);

/* For plan and apply: with hand-edits = keep, the values kept by hand, for collect_opts.kept
 * (*k and *n; none without hand-edits = keep). 0, or -1 with *err (caller frees) when the
 * state cannot be read. Free them with kept_values_free(). */
int kept_values_load(const struct config *c, struct state *st, struct kept_value **k,
		     size_t *n, char **err) WUR;
void kept_values_free(struct kept_value *k, size_t n);

/* adopt_report.c: write the XLSX report (OUTDIR/adopt-... or reconcile-YYYYMMDD-HHMMSS.xlsx,
 * 0600, atomic) when the run got as far as the comparison, print the summary (stdout unless
 * quiet), log the one-line summary and write the JSON summary when asked. Errors writing a
 * report are logged; they do not change the exit code. Returns the XLSX path (caller frees)
 * or NULL. */
char *adopt_report(const struct adopt_session *s);

#endif
