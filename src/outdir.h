/*
 * outdir.h - housekeeping of the output directory, around a run that writes into it: the
 * temporary files of a run that was killed, the loadusers files the state could not record,
 * retention (output keep) and the post-command. No function here fails the run: each logs
 * what it could not do and returns.
 */
#ifndef MS_OUTDIR_H
#define MS_OUTDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* Remove the temporary files (.loadusers-*, .report-*, .adopt-*, .reconcile-*) that a killed
 * run left in dir. Call it with the state's lock held: no other run can be writing them. */
void outdir_remove_stale(const char *dir);

/* The state could not record the loadusers files already renamed into place: remove them, so
 * that nobody imports a file the state does not know. why: the state's error, naming the
 * state file. files[0..*n) stay owned by the caller; those removed are freed and dropped,
 * those that could not be removed are kept in order (*n is their count). */
void outdir_withdraw(char **files, size_t *n, const char *why);

/* Retention: keep the newest o->keep files of each kind (loadusers-, report-, adopt-,
 * reconcile-), and every file named in mine[0..nmine) (this run's, by path); nothing
 * happens when o->keep <= 0. */
void outdir_retain(const struct conf_output *o, const char *const *mine, size_t nmine);

/* The configured post-command cmd, through the shell: "$1" is report, "$2" loadusers ("" for
 * NULL). stdout_to_stderr: the command's stdout goes to stderr (stdout holds a JSON summary).
 * Its failure is logged. */
void outdir_post_command(const char *cmd, const char *report, const char *loadusers,
			 bool stdout_to_stderr);

#endif
