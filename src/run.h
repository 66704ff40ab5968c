/*
 * run.h - one run of plan or apply: read the directories, map, validate, resolve ORG mailboxes,
 * plan against the state, write the loadusers file and commit the state.
 */
#ifndef MS_RUN_H
#define MS_RUN_H

#include "conf.h"
#include "plan.h"

/* Exit codes (documented in medimail-sync(8)). */
enum exit_code {
	EXIT_OK = 0,          /* success (also: nothing to do) */
	EXIT_FAIL = 1,        /* directory, I/O or state failure: nothing written */
	EXIT_USAGE = 2,       /* usage or configuration error */
	EXIT_LIMIT = 3,       /* a safety limit tripped: nothing written but the report */
	EXIT_REJECTED = 4,    /* completed, with rejected entries */
	EXIT_LOCKED = 5,      /* another run holds the lock */
};

struct run_opts {
	bool apply;
	bool override_limits;
	bool quiet;
	const char *json_path;    /* --json FILE or "-" */
	const char *metrics_path; /* --metrics FILE: Prometheus textfile */
	long long now;            /* 0: time(NULL); MEDIMAIL_SYNC_NOW in tests */
};

/* What one directory section gave. */
struct run_source {
	const struct conf_directory *d;
	size_t people, groups, orgs;
	unsigned long searches;
};

/* Everything a run knows, for the reports. Owned by run_main(). */
struct run {
	const struct config *c;
	const struct run_opts *o;
	long long started, finished;      /* epoch s */
	long long clock_started;          /* time(NULL) at start: started may be a test's clock */
	struct run_source *src;
	size_t nsrc;
	struct account *acc;              /* people then ORG mailboxes */
	size_t nacc, capacc;
	struct state_account *prev;
	size_t nprev;
	struct findings f;
	struct plan plan;
	bool planned;
	char **files;                     /* written (apply) or to be written (plan) */
	size_t nfiles;
	char *report;                     /* the XLSX report written, or NULL */
	size_t nrows;                     /* rows of the loadusers file (written or not) */
	bool nothing_to_do;
	int exit_code;
};

int run_main(const struct config *c, const struct run_opts *o);

#endif
