/*
 * sheet_xlsx_int.h - what the two halves of the XLSX reader share: its state (struct xlsx)
 * and the entry points of the element handlers. Private to sheet_xlsx.c (the ZIP archive and
 * its parts: which parts, in which order, each streamed into expat under its caps) and
 * sheet_xlsx_xml.c (what the elements of each part mean: content types, workbook,
 * relationships, styles, shared strings, the worksheet's cells).
 */
#ifndef MS_SHEET_XLSX_INT_H
#define MS_SHEET_XLSX_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <expat.h>
#include <zip.h>

#include "sheet_int.h"

#define MAX_SHEETS 4096      /* <sheet> entries of the workbook kept */
#define MAX_RELS 8192        /* relationships kept */
#define MAX_FMTS 65536       /* number formats and cell formats kept */
#define MAX_ROW 1073741824L  /* beyond Excel's 1,048,576, far below LONG_MAX */
#define MAX_COL 1048576      /* beyond Excel's 16,384 */

enum fmt_kind { FK_NONE, FK_DATE, FK_TIME, FK_DATETIME };
enum part_kind { P_TYPES, P_WORKBOOK, P_RELS, P_STYLES, P_SST, P_SHEET };

/* A relationship and a worksheet of the workbook; their strings are in struct xlsx's strs. */
struct rel {
	const char *id, *type, *target;
};

struct wsheet {
	const char *name, *rid;
};

struct numfmt {
	uint32_t id;
	unsigned char kind;
};

struct xlsx {
	zip_t *za;
	/* the part being read */
	enum part_kind kind;
	char *part;
	zip_file_t *zf;
	uint64_t nread, cap;
	XML_Parser p;
	char *err;                 /* a handler's complaint, without file and part */
	/* [Content_Types].xml and the workbook */
	char *wb;
	bool xlsb, date1904;
	struct wsheet *sheets;
	size_t nsheets, capsheets;
	struct rel *rels;
	size_t nrels, caprels;
	struct arena strs;         /* the strings of sheets[] and rels[] */
	/* styles */
	struct numfmt *fmts;
	size_t nfmts, capfmts;
	uint32_t *xf;              /* numFmtId of each cellXfs entry */
	unsigned char *xfkind;
	size_t nxf, capxf;
	bool in_cellxfs;
	/* shared strings: NUL-terminated, one after the other */
	char *sst;
	size_t sst_len, sst_cap;
	size_t *sst_off;
	size_t nsst, sst_offcap;
	/* text of the element being read (<t>, <v>), capped like a cell */
	struct cellbuf val;
	bool in_si, in_t, in_v, in_is;
	int in_rph;
	/* worksheet */
	bool in_row, in_c, row_ready;
	long lastrow;
	size_t col, lastcol;
	char ctype;                /* 'n' number, 's' shared, 'i' inline, 'S' str, 'b', 'e', 'd' */
	size_t style;
};

/* Register the handlers of every part on p (user data: s; s->x->kind says which part). */
void sheet_xlsx_handlers(XML_Parser p, struct sheet *s);
/* Once the styles part is read: the date kind of each cell format (x->xfkind). */
void sheet_xlsx_resolve_styles(struct xlsx *x);
/* Free what the handlers built in x (the workbook's lists and names, the styles, the shared
 * strings, the value buffer); sheet_xlsx.c frees the rest, the archive and the part. */
void sheet_xlsx_xml_free(struct xlsx *x);

#endif
