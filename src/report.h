/*
 * report.h - what a run tells the admin: the terminal summary, the syslog line, the JSON
 * summary for monitoring and the XLSX report.
 */
#ifndef MS_REPORT_H
#define MS_REPORT_H

#include "run.h"

/* Print the summary (stdout unless quiet), log the one-line summary, write the JSON summary
 * when asked. Errors writing a report are logged; they do not change r->exit_code. */
void report_run(struct run *r);

#endif
