/*
 * sheet_int.h - what sheet.c (CSV, the row buffer) shares with the XLS reader (sheet_xls.c)
 * and the XLSX reader (sheet_xlsx.c, sheet_xlsx_xml.c). Private to the sheet module: other
 * modules include sheet.h only.
 */
#ifndef MS_SHEET_INT_H
#define MS_SHEET_INT_H

#include <locale.h>
#include <stdio.h>
#include "sheet.h"

/* A cell being filled: its bytes (capped at the cell limit), kept from row to row. */
struct cellbuf {
	char *p;
	size_t len, cap;
	enum sheet_kind kind;
	bool cut;
	size_t more;          /* characters dropped past the cell limit */
};

struct xls;
struct xlsx;

struct sheet {
	enum sheet_format fmt;
	char *path;
	struct sheet_limits lim;
	struct cellbuf *cb;          /* lim.cells buffers */
	struct sheet_cell *cells;    /* lim.cells, the public view of cb */
	size_t nreset;               /* buffers the last row touched */
	struct sheet_row row;
	/* CSV */
	FILE *fp;
	char sep;
	long line;
	/* XLS and XLSX: the worksheet's name */
	char *name;
	struct xls *xls;
	struct xlsx *x;
};

/* Append n bytes to c, up to cap bytes in all (NUL-terminated). true when some were cut; the
 * characters cut (UTF-8 lead bytes) are counted in c->more. */
bool sheet_buf_add(struct cellbuf *c, const char *p, size_t n, size_t cap);
/* Start a new row at position line: every cell empty. */
void sheet_row_begin(struct sheet *s, long line);
/* Append n bytes to cell col (kept up to the cell limit; a column over the cells limit is
 * dropped). Marks the row cut when something is dropped. */
void sheet_cell_add(struct sheet *s, size_t col, const char *p, size_t n);
/* Empty cell col (a cell given twice keeps the last). */
void sheet_cell_clear(struct sheet *s, size_t col);
/* A cell's bytes as UTF-8: a tail cut inside a character dropped, Windows-1252 converted when
 * they are not UTF-8. */
void sheet_cell_utf8(struct cellbuf *c);
/* Set the kind of cell col (its text stays). */
void sheet_cell_kind(struct sheet *s, size_t col, enum sheet_kind kind);
/* Fill the public view: cell[], nkept, used from the buffers. */
void sheet_row_publish(struct sheet *s);

/* The C locale, for strtod_l() and for printing numbers whatever LC_NUMERIC says. */
locale_t sheet_c_locale(void);
/* Calendar: "YYYY-MM-DD" of days since 1970-01-01 (proleptic Gregorian). */
void sheet_civil_date(long long days, char buf[32]);

int sheet_xls_open(struct sheet *s, char **err);
int sheet_xls_next(struct sheet *s, char **err);
void sheet_xls_close(struct sheet *s);
/* Called in the child process that runs libfreexl, right after fork (NULL: nothing). The fuzz
 * harness uses it to keep the sanitizers of a crashing child from reporting as the fuzzer. */
extern void (*sheet_xls_child_hook)(void);

int sheet_xlsx_open(struct sheet *s, char **err);
int sheet_xlsx_next(struct sheet *s, char **err);
void sheet_xlsx_close(struct sheet *s);

#endif
