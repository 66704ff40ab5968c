/*
 * state_cmd.h - the "state" command: the state's accounts, an account's history and the runs
 * printed as aligned tables, and the forget and rollback sub-commands. It reads and writes the
 * state through state.h only.
 */
#ifndef MS_STATE_CMD_H
#define MS_STATE_CMD_H

#include <stdio.h>
#include "state.h"

/* The "state" command; argv[0] is the sub-command: list, history KEY, runs (the last 20),
 * forget KEY, rollback (the last run not yet rolled back). forget and rollback need a
 * read-write state. Prints to out. Returns 0, -1 on failure or -2 on a usage error, with *err
 * (caller frees): the caller prints it. */
int state_cmd(struct state *s, int argc, char **argv, FILE *out, char **err) WUR;

#endif
