/*
 * testhook.h - the crash points of the crash-safety tests. MEDIMAIL_SYNC_CRASH_AT=NAME in the
 * environment makes the process die by SIGKILL at the crash point of that name, as a power cut
 * would: the tests then check that nothing was lost or half-written. Without it, a crash point
 * does nothing.
 */
#ifndef MS_TESTHOOK_H
#define MS_TESTHOOK_H

/* Raise SIGKILL when MEDIMAIL_SYNC_CRASH_AT equals name; return otherwise. Points in use:
 * "state-mid" (state.c), "before-rename" (output.c) and run.c's. */
void test_crash_point(const char *name);

#endif
