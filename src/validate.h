/*
 * validate.h - "medimail-sync validate FILE": check a hand-made loadusers file (CSV, XLSX or
 * XLS, by content) row by row.
 */
#ifndef MS_VALIDATE_H
#define MS_VALIDATE_H

#include <stdio.h>
#include "conf.h"

/* Returns the exit code (EXIT_OK, EXIT_REJECTED when errors were found, EXIT_USAGE when the
 * file is not a loadusers file or cannot be read as one, EXIT_FAIL on I/O). c may be NULL
 * (default rules). Findings are printed to out as "file:line: column: rule: message"; a file
 * that cannot be read is one line on stderr. */
int validate_file(const char *path, const struct config *c, FILE *out);

#endif
