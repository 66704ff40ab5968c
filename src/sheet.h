/*
 * sheet.h - read a spreadsheet row by row: CSV, XLSX or XLS, chosen by the file's content
 * (ZIP magic "PK\3\4" = XLSX, OLE2 magic D0 CF 11 E0 A1 B1 1A E1 = XLS, anything else = CSV),
 * never by its name. The files come from outside: every size is capped and a hostile file is
 * an error message, never a crash or an unbounded allocation.
 *
 * - CSV: RFC 4180 quotes, ';' or ',' chosen from the first line, UTF-8 or Windows-1252 (per
 *   cell), optional UTF-8 BOM; streamed, line numbers are physical lines.
 * - XLSX (libzip + expat): the first worksheet of the workbook, streamed through expat in
 *   chunks; shared strings (rich text runs joined), inline strings, numbers, booleans, dates
 *   (numbers whose cell style has a date or time format). No DTD, no entity.
 * - XLS (libfreexl): the first worksheet, every cell type. libfreexl trusts the file (it reads
 *   out of bounds, leaks, loops or allocates what a hostile file asks), so it runs in a child
 *   process with CPU and memory limits, which sends the cells back through a pipe: a crash
 *   there is an error message here. sheet_open() forks: call it with no other thread running.
 * Numbers come out as the shortest decimal text that reads back to the same double
 * ("34000", "467330000", "10001045367"); dates as "YYYY-MM-DD".
 *
 * Errors: a message naming the file (and for XLSX the part) is returned in *err, allocated,
 * freed by the caller. errno tells the cause apart: EINVAL when the content is not a readable
 * spreadsheet (damaged, truncated, hostile, not CSV/XLSX/XLS), else the system's error of the
 * read (ENOENT, EACCES, EIO...).
 */
#ifndef MS_SHEET_H
#define MS_SHEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"

enum sheet_format { SHEET_AUTO, SHEET_CSV, SHEET_XLSX, SHEET_XLS };

/* What a cell held in the file. The text is always given; the kind says how to read it. */
enum sheet_kind {
	SHEET_EMPTY,      /* "" */
	SHEET_TEXT,       /* text as typed (every CSV cell that is not empty) */
	SHEET_NUMBER,     /* shortest round-trip decimal: "34000", "0.5", "1e+21" */
	SHEET_DATE,       /* "YYYY-MM-DD", or "YYYY-MM-DD HH:MM:SS" when the format shows a time */
	SHEET_TIME,       /* a time of day alone: "HH:MM:SS" */
	SHEET_BOOL,       /* "TRUE" or "FALSE" */
};

struct sheet_cell {
	const char *text;        /* UTF-8, NUL-terminated, "" when empty */
	size_t len;              /* bytes of text */
	enum sheet_kind kind;
	size_t more;             /* characters of the cell dropped past the cell limit (0: none),
				  * so that its real length can be told */
};

/* One row. It lives until the next sheet_next() or sheet_close(). */
struct sheet_row {
	const struct sheet_cell *cell;   /* cell[0 .. nkept - 1] */
	size_t nkept;            /* cells held: at most the cells limit */
	size_t ncells;           /* cells in the row: CSV fields, or 1 + the last column present */
	size_t used;             /* 1 + index of the last cell with content (CSV: or quotes); 0: none */
	long line;               /* CSV: physical line where the record starts; XLSX, XLS: row */
	bool nul;                /* CSV: the record holds NUL bytes (they are dropped) */
	bool open_quote;         /* CSV: a quoted cell is still open at end of file */
	bool cut;                /* a cell was cut to the cell limit, or cells over the limit dropped */
};

/* Caps, for hostile files. Zero fields take the default (in brackets). */
struct sheet_limits {
	size_t cell_bytes;       /* bytes kept of a cell [131072: 4 x 32767 + 4, enough to see that
				  * it is over an XLSX cell's 32767 characters] */
	size_t cells;            /* cells kept per row [128] */
	uint64_t part_bytes;     /* XLSX: uncompressed bytes read of a part other than the
				  * worksheet and the shared strings [16 MiB] */
	uint64_t sheet_bytes;    /* XLSX: uncompressed bytes of the worksheet [1 GiB] */
	uint64_t sst_part_bytes; /* XLSX: uncompressed bytes of the shared strings part [512 MiB] */
	size_t sst_count;        /* XLSX: shared strings [2,000,000] */
	size_t sst_bytes;        /* XLSX: total bytes of the shared strings kept [64 MiB] */
	size_t xml_memory;       /* XLSX: bytes expat may hold, e.g. for one huge token [64 MiB] */
	unsigned xls_seconds;    /* XLS: CPU seconds libfreexl may take [60] */
	size_t xls_memory;       /* XLS: address space of libfreexl's process [1 GiB]; not applied
				  * in a build with AddressSanitizer */
};

struct sheet_opts {
	enum sheet_format format;        /* SHEET_AUTO (by content) or a forced format */
	const struct sheet_limits *limits;   /* NULL: defaults */
};

struct sheet;

/* Open path and read what is needed before the first row (XLSX: workbook, styles, shared
 * strings; XLS: the whole file, through libfreexl). NULL on error, with *err and errno set. */
struct sheet *sheet_open(const char *path, char **err) WUR;
struct sheet *sheet_open_opts(const char *path, const struct sheet_opts *o, char **err) WUR;

/* Next row: 1 and *row set, 0 at the end, -1 on error (*err and errno set; the sheet can only
 * be closed). XLSX skips the rows the file leaves out (their numbers jump); XLS and CSV give
 * every row, blank ones included. */
int sheet_next(struct sheet *s, const struct sheet_row **row, char **err) WUR;

/* The format read, and the worksheet's name (NULL for CSV); they live as long as s. */
enum sheet_format sheet_format(const struct sheet *s);
const char *sheet_name(const struct sheet *s);
/* "line" for CSV, "row" for XLSX and XLS: the word that goes with sheet_row.line. */
const char *sheet_unit(const struct sheet *s);
void sheet_close(struct sheet *s);

/* Text of cell i of row, "" beyond the cells held. */
const char *sheet_text(const struct sheet_row *row, size_t i);
bool sheet_row_blank(const struct sheet_row *row);   /* no cell but blanks, no NUL, no quote */

/* The shortest decimal text that strtod() reads back as v, in the C locale, positional
 * ("34000", "0.001") unless the exponent is below -6 or above 20 ("1e+21"). buf holds 32. */
void sheet_number_text(double v, char buf[32]);

/* The text a loadusers cell stands for, when a spreadsheet turned it into a number or a date:
 * a number in CP gets its leading zeros back to 5 digits, Téléphone (1)/(2) to 10, RPPS and
 * Identifiant resp to 11, ADELI to 9, Identifiant structure resp to 9 (FINESS, SIREN) or 14
 * (SIRET) by id_type (the row's Type identifiant structure resp; other or NULL: unchanged);
 * a date in Date de péremption becomes AA-MM-JJ. Only whole numbers shorter than the width are
 * padded; anything else (text above all) is returned as it is. Returns a new string. */
char *sheet_loadusers_text(enum col col, const struct sheet_cell *cell, const char *id_type);

#endif
