/*
 * xsheet.h - the sheets of an XLSX report, written row by row (libxlsxwriter's constant-memory
 * mode: rows go strictly downwards, a sheet is complete before the next starts). Cells are
 * cleaned for XLSX (invalid UTF-8 and control characters replaced, text over a cell's limit
 * cut with a mark); a sheet full to XLSX's last row drops the rest and says how many. Shared
 * by the plan/apply report and the adopt/reconcile reports.
 */
#ifndef MS_XSHEET_H
#define MS_XSHEET_H

#include <stdbool.h>
#include <xlsxwriter.h>

#include "util.h"

/* One sheet being written: rows go strictly downwards (constant-memory mode). */
struct xsheet {
	lxw_worksheet *ws;
	lxw_row_t row;           /* current row; 0 is the header */
	int ncols;
	size_t *width;           /* widest text per column, in characters */
	bool skip;               /* the sheet is full: cells of this row are dropped */
	size_t dropped;
	lxw_error err;           /* first error */
};

struct xsheet_fmt {
	lxw_format *header, *error, *warning, *left;
};

/* The formats every report uses: header row, offending value (error), doubtful value
 * (warning), numbers aligned left. They belong to wb. */
lxw_error xsheet_fmt_add(lxw_workbook *wb, struct xsheet_fmt *fmt);

/* Start sheet name in wb with its header row; -1 on failure (s->err set). s is the caller's,
 * released by xsheet_end() in every case. */
int xsheet_start(lxw_workbook *wb, struct xsheet *s, const char *name,
		 const char *const *headers, int ncols, const struct xsheet_fmt *fmt);
/* Start a data row; false when the sheet is full (the row's cells are then dropped). */
bool xsheet_row(struct xsheet *s);
/* A text or number cell of the current row; f may be NULL. v NULL or "" writes a blank cell
 * when f is set (a highlighted empty value), nothing otherwise. */
void xsheet_str(struct xsheet *s, int col, const char *v, lxw_format *f);
void xsheet_num(struct xsheet *s, int col, double v, lxw_format *f);
/* Note the dropped rows, set the widths and the autofilter; returns the first error. */
lxw_error xsheet_end(struct xsheet *s);

/* A line of a summary sheet whose columns are Section | Item | Value | Detail. */
void xsheet_sum_line(struct xsheet *s, const char *part, const char *what, const char *val,
		     const char *detail, lxw_format *f);
void xsheet_sum_count(struct xsheet *s, const char *part, const char *what, double n,
		      const char *detail, const struct xsheet_fmt *fmt);

/* "YYYY-MM-DD HH:MM:SS" (local time) of epoch t, "-" for 0. Caller frees. */
char *xsheet_time(long long t);

#endif
