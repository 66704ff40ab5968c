/*
 * run.h - one run of plan or apply: read the directories, map, validate, plan, write.
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
	const char *json_path;
	const char *report_dir;   /* NULL: output directory */
	long long now;            /* 0: time(NULL); MEDIMAIL_SYNC_NOW in tests */
};

int run_main(const struct config *c, const struct run_opts *o);

#endif
