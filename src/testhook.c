/*
 * testhook.c - the crash points of the crash-safety tests (see testhook.h).
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "testhook.h"

void test_crash_point(const char *name)
{
	const char *at = getenv("MEDIMAIL_SYNC_CRASH_AT");

	if (at && strcmp(at, name) == 0)
		raise(SIGKILL);
}
