/*
 * validate.h - "medimail-sync validate FILE": check a hand-made loadusers CSV row by row.
 */
#ifndef MS_VALIDATE_H
#define MS_VALIDATE_H

#include <stdio.h>
#include "conf.h"

/* Returns the exit code (EXIT_OK, EXIT_REJECTED when errors were found, EXIT_FAILURE on I/O).
 * c may be NULL (default rules). Findings are printed to out. */
int validate_file(const char *path, const struct config *c, FILE *out);

#endif
