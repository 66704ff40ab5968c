/*
 * exitcode.h - the exit codes of medimail-sync, documented in medimail-sync(8). A run from a
 * timer must be able to tell them apart.
 */
#ifndef MS_EXITCODE_H
#define MS_EXITCODE_H

enum exit_code {
	EXIT_OK = 0,          /* success (also: nothing to do) */
	EXIT_FAIL = 1,        /* directory, I/O or state failure: nothing written */
	EXIT_USAGE = 2,       /* usage or configuration error */
	EXIT_LIMIT = 3,       /* a safety limit tripped: nothing written but the report */
	EXIT_REJECTED = 4,    /* completed, with rejected entries */
	EXIT_LOCKED = 5,      /* another run holds the lock */
};

#endif
