/*
 * adopt_report_int.h - inside the reports of adopt and reconcile, shared by adopt_report.c
 * (the terminal, log and JSON summaries) and adopt_xlsx.c (the XLSX report). Not for other
 * modules: they call adopt_report() (adopt_run.h).
 */
#ifndef MS_ADOPT_REPORT_INT_H
#define MS_ADOPT_REPORT_INT_H

#include "adopt_run.h"

/* The categories' labels and sheet names, untranslated (N_()): pass them through _(). */
extern const char *const adopt_labels[ADOPT_NCATS];
extern const char *const adopt_sheets[ADOPT_NCATS];
extern const char *const recon_labels[RECON_NCATS];
extern const char *const recon_sheets[RECON_NCATS];

/* Texts for the admin, translated; static strings. */
const char *conflict_text(enum adopt_conflict k);
const char *adopt_outcome_text(const struct adopt_item *it);
const char *recon_outcome_text(enum recon_outcome o);
const char *unit(const struct adopt_session *s);      /* the export's "line" or "row" */
const char *by_text(enum adopt_by b);                 /* how an account was matched */

/* The state's run id (s->runs), or NULL. Borrowed from s. */
const struct state_run *run_of(const struct adopt_session *s, long long id);

/* Write the XLSX report (OUTDIR/adopt-... or reconcile-YYYYMMDD-HHMMSS.xlsx). Returns its
 * path (caller frees), or NULL after logging why. */
char *adopt_xlsx_write(const struct adopt_session *s);

#endif
