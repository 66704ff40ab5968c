/*
 * explain.h - "medimail-sync explain ENTRY": one directory entry, column by column. For a
 * person (or an ORG mailbox's group), found by DN or by the address it maps to: the directory
 * and structure it came from, whether it is leaving and why, each BAL rule tried and the one
 * that matched, then for each of the 36 columns the template, the attribute values read, each
 * transform step, the final cell and the rules that fired; and what the next apply would do
 * with it. Reads the directories as plan does and the state read-only; writes nothing.
 */
#ifndef MS_EXPLAIN_H
#define MS_EXPLAIN_H

#include <stdio.h>
#include "conf.h"

/* Returns an exit code: EXIT_OK (found, valid), EXIT_REJECTED (found, rejected), EXIT_FAIL
 * (a directory or state error, or no entry matched), EXIT_USAGE, EXIT_LOCKED. now: epoch s
 * (0: the clock). Prints to out. */
int explain_main(const struct config *c, const char *want, long long now, FILE *out);

#endif
