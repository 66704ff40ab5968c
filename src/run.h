/*
 * run.h - one run of plan or apply: read the directories, map, validate, resolve ORG mailboxes,
 * plan against the state, write the loadusers file and commit the state.
 */
#ifndef MS_RUN_H
#define MS_RUN_H

#include "collect.h"
#include "conf.h"
#include "exitcode.h"
#include "plan.h"

struct run_opts {
	bool apply;
	bool override_limits;
	bool quiet;
	const char *json_path;    /* --json FILE or "-" */
	const char *metrics_path; /* --metrics FILE: Prometheus textfile */
	long long now;            /* 0: time(NULL); MEDIMAIL_SYNC_NOW in tests */
};

/* What one run did. run.c fills it from what each stage returns (the collection, the plan,
 * the files written); the reports read it as const and return what they wrote. No stage
 * writes into it. Owned by run_main(). */
struct run {
	const struct config *c;
	const struct run_opts *o;
	long long started, finished;      /* epoch s */
	long long clock_started;          /* time(NULL) at start: started may be a test's clock */
	struct collection col;            /* the accounts read and the sources, as collect()
					     returned them (its findings moved to f) */
	struct findings f;                /* every finding of the run: the collection's, then
					     the plan's (stale-account) */
	struct nat_db *national;          /* the national directory (NULL without the section):
					     the accounts' records live in it */
	struct state_account *prev;
	size_t nprev;
	struct plan plan;
	bool planned;
	char **files;                     /* written (apply) or to be written (plan) */
	size_t nfiles;
	size_t nrows;                     /* rows of the loadusers file (written or not) */
	bool nothing_to_do;
	int exit_code;
};

int run_main(const struct config *c, const struct run_opts *o);

#endif
