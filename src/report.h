/*
 * report.h - what a run tells the admin: the terminal summary, the syslog line, the JSON
 * summary for monitoring and the XLSX report.
 */
#ifndef MS_REPORT_H
#define MS_REPORT_H

#include <jansson.h>

#include "run.h"

/* Write the XLSX report (when the run got as far as a plan), print the summary (unless quiet:
 * to report_text_out()), log the one-line summary (a run that did not complete gives the
 * plan's counts as "the plan was", never as done), write the JSON summary and the metrics when asked. Errors
 * writing a report are logged; they do not change the run's exit code. Returns the path of
 * the XLSX report written (the caller frees it), or NULL. */
char *report_run(const struct run *r);

/* Write the XLSX report of r to path (mode 0600, through a temporary file renamed into place):
 * sheets Summary, Creations, Updates, Expiries, Renames, Rejections, Warnings, ORG (names
 * translated: Résumé, Créations, Mises à jour... in French); with the national directory,
 * its part of the summary, its record beside each creation and a sheet MSSanté.
 * r stays owned by the caller. On failure returns -1 and *err gets a message the caller frees. */
int report_xlsx_write(const struct run *r, const char *path, char **err) WUR;

/* Where a command's text summary goes: stderr when the JSON summary goes to stdout ("-"),
 * so that stdout holds the JSON alone; stdout otherwise. */
FILE *report_text_out(const char *json_path);

/* Write root (keys sorted, indented) to path, "-" for stdout, and release it. 0 or -1. */
int report_json_dump(json_t *root, const char *path);

/* The terminal summaries' colours (plan, apply, adopt, reconcile): report_colour_init(out)
 * decides once whether out can show them (a terminal, TERM not dumb, NO_COLOR unset);
 * report_paint() then sets one, or does nothing. */
enum colour { C_NONE, C_RED, C_GREEN, C_YELLOW, C_BOLD };
void report_colour_init(FILE *out);
void report_paint(FILE *out, enum colour c);
/* One finding on one line: "rejected: WHERE: COLUMN: RULE: MESSAGE (value "V")", or
 * "warning: ..." */
void report_finding(FILE *out, const struct finding *x);
/* s left-justified in width columns, counting characters rather than bytes. */
void report_padded(FILE *out, const char *s, size_t width);

#endif
