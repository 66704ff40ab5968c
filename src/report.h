/*
 * report.h - what a run tells the admin: the terminal summary, the XLSX report, the JSON
 * summary for monitoring.
 */
#ifndef MS_REPORT_H
#define MS_REPORT_H
#include "run.h"
#endif
