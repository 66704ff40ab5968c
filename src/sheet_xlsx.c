/*
 * sheet_xlsx.c - the XLSX reader of sheet.h, on libzip and expat.
 *
 * Opening reads [Content_Types].xml (which part is the workbook), the workbook and its
 * relationships (the first worksheet, the shared strings, the styles), the styles (which cell
 * formats are dates) and the shared strings. The worksheet is then streamed: each sheet_next()
 * feeds expat chunks of the part until a </row> suspends the parser, so memory does not grow
 * with the file. Every part has a cap on its uncompressed bytes (zip bombs); a DTD is refused
 * (entity expansion); expat's own memory is capped (one huge token).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <expat.h>
#include <zip.h>

#include "i18n.h"
#include "sheet_int.h"

#define CHUNK 65536          /* bytes fed to expat at a time */
#define MAX_SHEETS 4096      /* <sheet> entries of the workbook kept */
#define MAX_RELS 8192        /* relationships kept */
#define MAX_FMTS 65536       /* number formats and cell formats kept */
#define MAX_ROW 1073741824L  /* beyond Excel's 1,048,576, far below LONG_MAX */
#define MAX_COL 1048576      /* beyond Excel's 16,384 */

enum fmt_kind { FK_NONE, FK_DATE, FK_TIME, FK_DATETIME };
enum part_kind { P_TYPES, P_WORKBOOK, P_RELS, P_STYLES, P_SST, P_SHEET };

struct rel {
	char *id, *type, *target;
};

struct wsheet {
	char *name, *rid;
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

/* ------------------------------------------------------------------------------------------ */
/* expat's memory, capped: a file cannot make it buffer a gigabyte-long token. Counted per
 * thread; sheet_xlsx sets the cap before each call into expat. */

#define MHDR 16
static __thread size_t mem_used, mem_cap;

static void *mem_malloc(size_t n)
{
	size_t *h;

	if (n > mem_cap || mem_used > mem_cap - n)
		return NULL;
	h = malloc(n + MHDR);
	if (!h)
		return NULL;
	*h = n;
	mem_used += n;
	return (char *)h + MHDR;
}

static void mem_free(void *p)
{
	size_t *h;

	if (!p)
		return;
	h = (size_t *)(void *)((char *)p - MHDR);
	mem_used -= *h;
	free(h);
}

static void *mem_realloc(void *p, size_t n)
{
	size_t *h, old;

	if (!p)
		return mem_malloc(n);
	h = (size_t *)(void *)((char *)p - MHDR);
	old = *h;
	if (n > old && (n - old > mem_cap || mem_used > mem_cap - (n - old)))
		return NULL;
	h = realloc(h, n + MHDR);
	if (!h)
		return NULL;
	mem_used = mem_used - old + n;
	*h = n;
	return (char *)h + MHDR;
}

static const XML_Memory_Handling_Suite mem_suite = { mem_malloc, mem_realloc, mem_free };

/* ------------------------------------------------------------------------------------------ */
/* Small helpers */

static const char *local_name(const char *name)
{
	const char *p = strrchr(name, '|');

	return p ? p + 1 : name;
}

/* An attribute without a namespace. */
static const char *attr(const char **atts, const char *name)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (strcmp(atts[i], name) == 0)
			return atts[i + 1];
	return NULL;
}

/* r:id, whatever the prefix: the relationships namespace (transitional or strict). */
static const char *attr_rid(const char **atts)
{
	for (size_t i = 0; atts[i]; i += 2) {
		const char *bar = strrchr(atts[i], '|');

		if (bar && strcmp(bar, "|id") == 0 && bar - atts[i] >= 14 &&
		    strncmp(bar - 14, "/relationships", 14) == 0)
			return atts[i + 1];
	}
	return NULL;
}

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A handler's error: parsing stops, sheet_xlsx reports it with the file, part and line. */
static void fail(struct xlsx *x, char *msg)
{
	if (!x->err)
		x->err = msg;
	else
		free(msg);
	XML_StopParser(x->p, XML_FALSE);
}

/* Empty the value buffer; it is always allocated afterwards. */
static void val_reset(struct xlsx *x)
{
	if (!x->val.p)
		xgrow(&x->val.p, &x->val.cap, 64, 1);
	x->val.len = 0;
	x->val.cut = false;
	x->val.more = 0;
	x->val.p[0] = '\0';
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* OOXML strings write characters XML cannot hold as _xHHHH_ ("_x000D_" for a carriage
 * return): decode them in place (never longer than the escape). */
static void ooxml_unescape(struct cellbuf *v)
{
	size_t i, o = 0;

	if (!v->len || !memchr(v->p, '_', v->len))
		return;
	for (i = 0; i < v->len; i++) {
		unsigned u = 0;
		int k;

		if (v->p[i] == '_' && i + 6 < v->len && v->p[i + 1] == 'x' && v->p[i + 6] == '_') {
			for (k = 2; k < 6 && hexval(v->p[i + k]) >= 0; k++)
				u = u * 16 + (unsigned)hexval(v->p[i + k]);
			if (k == 6 && u && (u < 0xd800 || u > 0xdfff)) {
				if (u < 0x80) {
					v->p[o++] = (char)u;
				} else if (u < 0x800) {
					v->p[o++] = (char)(0xc0 | (u >> 6));
					v->p[o++] = (char)(0x80 | (u & 0x3f));
				} else {
					v->p[o++] = (char)(0xe0 | (u >> 12));
					v->p[o++] = (char)(0x80 | ((u >> 6) & 0x3f));
					v->p[o++] = (char)(0x80 | (u & 0x3f));
				}
				i += 6;
				continue;
			}
		}
		v->p[o++] = v->p[i];
	}
	v->len = o;
	v->p[o] = '\0';
}

/* Join dir(base) and target, resolving "." and ".."; a leading '/' starts from the root.
 * NULL when ".." climbs above the root. */
static char *part_resolve(const char *base, const char *target)
{
	struct strbuf in = { 0 }, out = { 0 };
	const char *slash = strrchr(base, '/');
	char *seg, *save = NULL, *ret = NULL;

	if (target[0] != '/' && slash)
		sb_addn(&in, base, (size_t)(slash - base + 1));
	sb_add(&in, target);
	sb_addn(&out, "", 0);
	for (seg = strtok_r(in.buf, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			char *cut = strrchr(out.buf, '/');

			if (!out.len)
				goto out;
			out.len = cut ? (size_t)(cut - out.buf) : 0;
			out.buf[out.len] = '\0';
			continue;
		}
		if (out.len)
			sb_addc(&out, '/');
		sb_add(&out, seg);
	}
	ret = out.len ? sb_steal(&out) : NULL;
out:
	sb_free(&in);
	sb_free(&out);
	return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* Number formats: which are dates and times */

static unsigned char builtin_kind(uint32_t id)
{
	if (id >= 14 && id <= 17)
		return FK_DATE;
	if ((id >= 18 && id <= 21) || (id >= 45 && id <= 47))
		return FK_TIME;
	return id == 22 ? FK_DATETIME : FK_NONE;
}

/* A format code is a date when it has d or y (or m without h or s), a time with h or s;
 * quoted text, escaped characters, [colours], [$-locale] and AM/PM do not count. */
static unsigned char format_kind(const char *f)
{
	bool date = false, time = false, month = false;

	for (const char *p = f; *p; p++) {
		if (*p == '"') {
			const char *q = strchr(p + 1, '"');

			if (!q)
				break;
			p = q;
		} else if (*p == '\\' || *p == '_' || *p == '*') {
			if (!p[1])
				break;
			p++;
		} else if (*p == '[') {
			const char *q = strchr(p, ']');

			if (!q)
				break;
			if (q > p + 1 && strspn(p + 1, "hHmMsS") == (size_t)(q - p - 1))
				time = true;      /* elapsed time: [h], [mm], [ss] */
			p = q;
		} else if (strncasecmp(p, "AM/PM", 5) == 0 || strncasecmp(p, "A/P", 3) == 0) {
			p += p[1] == '/' ? 2 : 4;
			time = true;
		} else if (strncasecmp(p, "general", 7) == 0) {
			p += 6;
		} else {
			switch (*p | 0x20) {
			case 'd':
			case 'y':
				date = true;
				break;
			case 'm':
				month = true;
				break;
			case 'h':
			case 's':
				time = true;
				break;
			}
		}
	}
	if (month && !time)
		date = true;
	return date && time ? FK_DATETIME : date ? FK_DATE : time ? FK_TIME : FK_NONE;
}

static int numfmt_cmp(const void *a, const void *b)
{
	const struct numfmt *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void resolve_styles(struct xlsx *x)
{
	if (x->nfmts)
		qsort(x->fmts, x->nfmts, sizeof(*x->fmts), numfmt_cmp);
	x->xfkind = xcalloc(x->nxf ? x->nxf : 1, 1);
	for (size_t i = 0; i < x->nxf; i++) {
		struct numfmt key = { x->xf[i], 0 }, *f = NULL;

		if (x->nfmts)
			f = bsearch(&key, x->fmts, x->nfmts, sizeof(*x->fmts), numfmt_cmp);
		x->xfkind[i] = f ? f->kind : builtin_kind(x->xf[i]);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Serial numbers to dates */

/* Excel's serial v (days, fraction = time of day) as text, per the format's kind. false when
 * v is no date (negative, or past 9999-12-31): it stays a number. */
static bool serial_text(double v, unsigned char fk, bool d1904, char buf[32], enum sheet_kind *k)
{
	long long days, secs;
	char date[32];

	if (!(v >= 0 && v < 2958466))
		return false;
	days = (long long)v;
	secs = (long long)((v - (double)days) * 86400 + 0.5);
	if (secs >= 86400) {
		days++;
		secs -= 86400;
	}
	if (fk == FK_TIME && days == 0) {
		snprintf(buf, 32, "%02lld:%02lld:%02lld", secs / 3600, secs / 60 % 60, secs % 60);
		*k = SHEET_TIME;
		return true;
	}
	if (d1904)
		sheet_civil_date(days - 24107, date);          /* 0 = 1904-01-01 */
	else if (days == 60)
		strcpy(date, "1900-02-29");                   /* Lotus 1-2-3's leap day */
	else
		sheet_civil_date(days - (days < 60 ? 25568 : 25569), date);   /* 1 = 1900-01-01 */
	if (fk == FK_DATE)
		snprintf(buf, 32, "%s", date);
	else
		snprintf(buf, 32, "%s %02lld:%02lld:%02lld", date, secs / 3600, secs / 60 % 60,
			 secs % 60);
	*k = SHEET_DATE;
	return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Element handlers, per part */

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int internal)
{
	struct sheet *s = ud;

	(void)name, (void)sysid, (void)pubid, (void)internal;
	fail(s->x, xstrdup(_("a DTD (<!DOCTYPE>) is refused: XLSX parts have none")));
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int pe, const XML_Char *value,
			      int len, const XML_Char *base, const XML_Char *sysid,
			      const XML_Char *pubid, const XML_Char *notation)
{
	struct sheet *s = ud;

	(void)name, (void)pe, (void)value, (void)len, (void)base, (void)sysid, (void)pubid;
	(void)notation;
	fail(s->x, xstrdup(_("an entity declaration is refused")));
}

static void XMLCALL on_text(void *ud, const XML_Char *p, int n)
{
	struct sheet *s = ud;
	struct xlsx *x = s->x;

	if ((x->kind == P_SST && x->in_si && x->in_t && !x->in_rph) ||
	    (x->kind == P_SHEET && x->in_c &&
	     (x->in_v || (x->in_is && x->in_t && !x->in_rph))))
		sheet_buf_add(&x->val, p, (size_t)n, s->lim.cell_bytes);
}

static const char *const workbook_types[] = {
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
	"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
	"application/vnd.ms-excel.template.macroEnabled.main+xml",
};

static void types_start(struct xlsx *x, const char *el, const char **atts)
{
	const char *part = attr(atts, "PartName"), *type = attr(atts, "ContentType");

	if (strcmp(el, "Override") != 0 || !part || !type || x->wb)
		return;
	if (strcasecmp(type, "application/vnd.ms-excel.sheet.binary.macroEnabled.main") == 0)
		x->xlsb = true;
	for (size_t i = 0; i < ARRAY_SIZE(workbook_types); i++)
		if (strcasecmp(type, workbook_types[i]) == 0)
			x->wb = xstrdup(part + (part[0] == '/'));
}

static void workbook_start(struct xlsx *x, const char *el, const char **atts)
{
	const char *v;

	if (strcmp(el, "workbookPr") == 0) {
		v = attr(atts, "date1904");
		x->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
	} else if (strcmp(el, "sheet") == 0 && x->nsheets < MAX_SHEETS) {
		const char *rid = attr_rid(atts);

		if (!rid)
			return;
		xgrow(&x->sheets, &x->capsheets, x->nsheets + 1, sizeof(*x->sheets));
		v = attr(atts, "name");
		x->sheets[x->nsheets].name = xstrdup(v ? v : "");
		x->sheets[x->nsheets].rid = xstrdup(rid);
		x->nsheets++;
	}
}

static void rels_start(struct xlsx *x, const char *el, const char **atts)
{
	const char *id = attr(atts, "Id"), *type = attr(atts, "Type");
	const char *target = attr(atts, "Target"), *mode = attr(atts, "TargetMode");

	if (strcmp(el, "Relationship") != 0 || !id || !type || !target || !*target ||
	    (mode && strcasecmp(mode, "External") == 0) || x->nrels >= MAX_RELS)
		return;
	xgrow(&x->rels, &x->caprels, x->nrels + 1, sizeof(*x->rels));
	x->rels[x->nrels].id = xstrdup(id);
	x->rels[x->nrels].type = xstrdup(type);
	x->rels[x->nrels].target = xstrdup(target);
	x->nrels++;
}

static void styles_start(struct xlsx *x, const char *el, const char **atts)
{
	const char *id = attr(atts, "numFmtId"), *code;
	uint64_t n = 0;

	if (strcmp(el, "cellXfs") == 0) {
		x->in_cellxfs = true;
	} else if (strcmp(el, "xf") == 0 && x->in_cellxfs && x->nxf < MAX_FMTS) {
		if (!parse_uint(id, UINT32_MAX, &n))
			n = 0;
		xgrow(&x->xf, &x->capxf, x->nxf + 1, sizeof(*x->xf));
		x->xf[x->nxf++] = (uint32_t)n;
	} else if (strcmp(el, "numFmt") == 0 && x->nfmts < MAX_FMTS) {
		code = attr(atts, "formatCode");
		if (!code || !parse_uint(id, UINT32_MAX, &n))
			return;
		xgrow(&x->fmts, &x->capfmts, x->nfmts + 1, sizeof(*x->fmts));
		x->fmts[x->nfmts].id = (uint32_t)n;
		x->fmts[x->nfmts].kind = format_kind(code);
		x->nfmts++;
	}
}

static void sst_end_si(struct sheet *s)
{
	struct xlsx *x = s->x;

	if (x->nsst >= s->lim.sst_count) {
		fail(x, xasprintf(_("more than %zu shared strings"), s->lim.sst_count));
		return;
	}
	ooxml_unescape(&x->val);
	if (x->sst_len + x->val.len + 1 > s->lim.sst_bytes) {
		fail(x, xasprintf(_("the shared strings hold more than %zu bytes"),
				  s->lim.sst_bytes));
		return;
	}
	if (x->nsst == x->sst_offcap)
		xgrow(&x->sst_off, &x->sst_offcap, x->nsst + 1, sizeof(*x->sst_off));
	if (x->sst_len + x->val.len + 1 > x->sst_cap)
		xgrow(&x->sst, &x->sst_cap, x->sst_len + x->val.len + 1, 1);
	x->sst_off[x->nsst++] = x->sst_len;
	if (x->val.len)
		memcpy(x->sst + x->sst_len, x->val.p, x->val.len);
	x->sst_len += x->val.len;
	x->sst[x->sst_len++] = '\0';
}

/* Column index of a cell reference ("AB12" -> 27), or -1. */
static long ref_column(const char *r)
{
	long col = 0;

	if (!r)
		return -1;
	for (; (*r | 0x20) >= 'a' && (*r | 0x20) <= 'z'; r++) {
		col = col * 26 + ((*r | 0x20) - 'a' + 1);
		if (col > MAX_COL)
			return -1;
	}
	return col ? col - 1 : -1;
}

static void sheet_row_start(struct sheet *s, const char **atts)
{
	struct xlsx *x = s->x;
	uint64_t r;

	if (!parse_uint(attr(atts, "r"), MAX_ROW, &r) || r == 0)
		r = x->lastrow < MAX_ROW ? (uint64_t)x->lastrow + 1 : MAX_ROW;
	x->lastrow = (long)r;
	x->in_row = true;
	x->in_c = false;
	x->lastcol = (size_t)-1;
	sheet_row_begin(s, (long)r);
}

static void sheet_cell_start(struct sheet *s, const char **atts)
{
	struct xlsx *x = s->x;
	const char *t = attr(atts, "t");
	long col = ref_column(attr(atts, "r"));
	uint64_t st;

	x->col = col >= 0 ? (size_t)col : x->lastcol + 1;
	if (x->col > MAX_COL)
		x->col = MAX_COL;
	if (x->lastcol != (size_t)-1 && x->col <= x->lastcol)
		sheet_cell_clear(s, x->col);
	x->lastcol = x->col;
	if (x->col + 1 > s->row.ncells)
		s->row.ncells = x->col + 1;
	x->ctype = !t || strcmp(t, "n") == 0 ? 'n' : strcmp(t, "s") == 0 ? 's' :
		   strcmp(t, "inlineStr") == 0 ? 'i' : strcmp(t, "str") == 0 ? 'S' :
		   strcmp(t, "b") == 0 ? 'b' : strcmp(t, "d") == 0 ? 'd' : 'e';
	x->style = parse_uint(attr(atts, "s"), MAX_FMTS, &st) ? (size_t)st : 0;
	x->in_c = true;
	x->in_v = x->in_is = x->in_t = false;
	x->in_rph = 0;
	val_reset(x);
}

static bool xml_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim_blanks(struct cellbuf *v)
{
	size_t a = 0, b = v->len;

	while (a < b && xml_blank(v->p[a]))
		a++;
	while (b > a && xml_blank(v->p[b - 1]))
		b--;
	memmove(v->p, v->p + a, b - a);
	v->len = b - a;
	v->p[v->len] = '\0';
}

/* </c>: the cell's text and kind from its type, value and style. */
static void sheet_cell_end(struct sheet *s)
{
	struct xlsx *x = s->x;
	struct cellbuf *v = &x->val;
	enum sheet_kind k = SHEET_TEXT;
	const char *t;
	char num[32];
	uint64_t i;
	double d;
	char *end;

	x->in_c = false;
	t = v->p;
	switch (x->ctype) {
	case 's':
		trim_blanks(v);
		if (!parse_uint(v->p, SIZE_MAX, &i) || i >= x->nsst) {
			fail(x, xasprintf(_("row %ld: shared string \"%.20s\" does not exist (%zu "
					    "strings)"), s->row.line, v->p, x->nsst));
			return;
		}
		t = x->sst + x->sst_off[i];
		break;
	case 'i':
		ooxml_unescape(v);
		break;
	case 'b':
		trim_blanks(v);
		if (strcmp(v->p, "1") == 0 || strcmp(v->p, "true") == 0)
			t = "TRUE", k = SHEET_BOOL;
		else if (strcmp(v->p, "0") == 0 || strcmp(v->p, "false") == 0)
			t = "FALSE", k = SHEET_BOOL;
		break;
	case 'd':
		/* ISO 8601 "YYYY-MM-DD[THH:MM:SS]": the date, and the time when not midnight */
		trim_blanks(v);
		if (v->len >= 10 && v->p[4] == '-' && v->p[7] == '-') {
			bool midnight = v->len < 19 || strncmp(v->p + 10, "T00:00:00", 9) == 0;

			v->len = midnight ? 10 : 19;
			v->p[v->len] = '\0';
			if (!midnight)
				v->p[10] = ' ';
			k = SHEET_DATE;
		}
		break;
	case 'n':
		trim_blanks(v);
		if (!v->len)
			break;
		d = strtod_l(v->p, &end, sheet_c_locale());
		if (*end || !isfinite(d))
			break;            /* not a number: kept as text */
		k = SHEET_NUMBER;
		if (x->style >= x->nxf || x->xfkind[x->style] == FK_NONE ||
		    !serial_text(d, x->xfkind[x->style], x->date1904, num, &k))
			sheet_number_text(d, num);
		t = num;
		break;
	default:
		break;
	}
	if (!*t)
		return;
	if (x->col + 1 > s->row.used)
		s->row.used = x->col + 1;
	sheet_cell_add(s, x->col, t, strlen(t));
	sheet_cell_kind(s, x->col, k);
	if (v->cut)
		s->row.cut = true;
	if (t == v->p && x->col < s->lim.cells)
		s->cb[x->col].more += v->more;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct sheet *s = ud;
	struct xlsx *x = s->x;
	const char *el = local_name(name);

	switch (x->kind) {
	case P_TYPES:
		types_start(x, el, atts);
		break;
	case P_WORKBOOK:
		workbook_start(x, el, atts);
		break;
	case P_RELS:
		rels_start(x, el, atts);
		break;
	case P_STYLES:
		styles_start(x, el, atts);
		break;
	case P_SST:
		if (strcmp(el, "si") == 0) {
			x->in_si = true;
			x->in_t = false;
			x->in_rph = 0;
			val_reset(x);
		} else if (strcmp(el, "rPh") == 0) {
			x->in_rph++;
		} else if (strcmp(el, "t") == 0) {
			x->in_t = true;
		}
		break;
	case P_SHEET:
		if (strcmp(el, "row") == 0)
			sheet_row_start(s, atts);
		else if (strcmp(el, "c") == 0 && x->in_row)
			sheet_cell_start(s, atts);
		else if (!x->in_c)
			break;
		else if (strcmp(el, "v") == 0)
			x->in_v = true;
		else if (strcmp(el, "is") == 0)
			x->in_is = true;
		else if (strcmp(el, "rPh") == 0)
			x->in_rph++;
		else if (strcmp(el, "t") == 0)
			x->in_t = true;
		break;
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct sheet *s = ud;
	struct xlsx *x = s->x;
	const char *el = local_name(name);

	if (x->kind == P_STYLES && strcmp(el, "cellXfs") == 0) {
		x->in_cellxfs = false;
	} else if (x->kind == P_SST) {
		if (strcmp(el, "t") == 0)
			x->in_t = false;
		else if (strcmp(el, "rPh") == 0 && x->in_rph)
			x->in_rph--;
		else if (strcmp(el, "si") == 0 && x->in_si)
			sst_end_si(s), x->in_si = false;
	} else if (x->kind == P_SHEET) {
		if (strcmp(el, "v") == 0) {
			x->in_v = false;
		} else if (strcmp(el, "t") == 0) {
			x->in_t = false;
		} else if (strcmp(el, "rPh") == 0 && x->in_rph) {
			x->in_rph--;
		} else if (strcmp(el, "is") == 0) {
			x->in_is = false;
		} else if (strcmp(el, "c") == 0 && x->in_c) {
			sheet_cell_end(s);
		} else if (strcmp(el, "row") == 0 && x->in_row) {
			x->in_row = x->in_c = false;
			sheet_row_publish(s);
			x->row_ready = true;
			XML_StopParser(x->p, XML_TRUE);
		}
	}
}

/* ------------------------------------------------------------------------------------------ */
/* Reading a part */

/* "file: part: msg" (msg is freed), errno EINVAL. */
static char *part_error(struct sheet *s, char *msg)
{
	char *e = xasprintf("%s: %s: %s", s->path, s->x->part, msg);

	free(msg);
	errno = EINVAL;
	return e;
}

static void part_close(struct xlsx *x)
{
	if (x->p) {
		mem_cap = SIZE_MAX;
		XML_ParserFree(x->p);
		x->p = NULL;
	}
	if (x->zf)
		zip_fclose(x->zf);
	x->zf = NULL;
	free(x->part);
	x->part = NULL;
	free(x->err);
	x->err = NULL;
}

/* Open part name: 0, 1 when the archive has no such part, -1 on error (*err). */
static int part_open(struct sheet *s, const char *name, enum part_kind kind, uint64_t cap,
		     char **err)
{
	struct xlsx *x = s->x;
	zip_int64_t i = zip_name_locate(x->za, name, ZIP_FL_NOCASE);

	part_close(x);
	if (i < 0)
		return 1;
	x->part = xstrdup(name);
	x->kind = kind;
	x->nread = 0;
	x->cap = cap;
	x->zf = zip_fopen_index(x->za, (zip_uint64_t)i, 0);
	if (!x->zf) {
		*err = part_error(s, xstrdup(zip_error_strerror(zip_get_error(x->za))));
		return -1;
	}
	mem_cap = s->lim.xml_memory;
	x->p = XML_ParserCreate_MM(NULL, &mem_suite, "|");
	if (!x->p) {
		*err = part_error(s, xstrdup(_("cannot create an XML parser")));
		return -1;
	}
	XML_SetUserData(x->p, s);
	XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
	XML_SetEntityDeclHandler(x->p, on_entity);
	XML_SetElementHandler(x->p, on_start, on_end);
	XML_SetCharacterDataHandler(x->p, on_text);
	return 0;
}

/* Feed one chunk, or resume a suspended parse: 1 to go on, 0 at the end, -1 on error. */
static int part_step(struct sheet *s, char **err)
{
	struct xlsx *x = s->x;
	XML_ParsingStatus ps;
	enum XML_Status st;
	zip_uint64_t want;
	zip_int64_t n;
	void *buf;

	XML_GetParsingStatus(x->p, &ps);
	if (ps.parsing == XML_FINISHED)
		return 0;
	mem_cap = s->lim.xml_memory;
	if (ps.parsing == XML_SUSPENDED) {
		st = XML_ResumeParser(x->p);
	} else {
		buf = XML_GetBuffer(x->p, CHUNK);
		if (!buf) {
			*err = part_error(s, xasprintf(_("over the XML memory cap (%zu bytes)"),
							    s->lim.xml_memory));
			return -1;
		}
		/* up to the cap, then one byte more to see whether there is more */
		want = x->cap - x->nread < CHUNK ? x->cap - x->nread : CHUNK;
		n = zip_fread(x->zf, buf, want ? want : 1);
		if (n < 0) {
			*err = part_error(s, xasprintf(_("cannot read it: %s (damaged or truncated "
							    "file?)"), zip_file_strerror(x->zf)));
			return -1;
		}
		x->nread += (uint64_t)n;
		if (x->nread > x->cap) {
			*err = part_error(s, xasprintf(_("more than %llu bytes once uncompressed: "
							    "refused (a ZIP bomb?)"),
							  (unsigned long long)x->cap));
			return -1;
		}
		st = XML_ParseBuffer(x->p, (int)n, n == 0);
	}
	if (st == XML_STATUS_ERROR) {
		enum XML_Error code = XML_GetErrorCode(x->p);

		*err = part_error(s, xasprintf(_("line %lu: %s"),
						  (unsigned long)XML_GetCurrentLineNumber(x->p),
						  x->err ? x->err : code == XML_ERROR_NO_MEMORY ?
						  _("over the XML memory cap (a huge token?)") :
						  XML_ErrorString(code)));
		return -1;
	}
	XML_GetParsingStatus(x->p, &ps);
	return ps.parsing != XML_FINISHED;
}

/* Parse a whole part: 0, 1 when absent, -1 on error. */
static int part_parse(struct sheet *s, const char *name, enum part_kind kind, uint64_t cap,
		      char **err)
{
	int rc = part_open(s, name, kind, cap, err);

	if (rc == 0)
		do
			rc = part_step(s, err);
		while (rc == 1);
	part_close(s->x);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Opening */

static const struct rel *rel_by_id(const struct xlsx *x, const char *id)
{
	for (size_t i = 0; i < x->nrels; i++)
		if (strcmp(x->rels[i].id, id) == 0)
			return &x->rels[i];
	return NULL;
}

static const struct rel *rel_by_type(const struct xlsx *x, const char *suffix)
{
	for (size_t i = 0; i < x->nrels; i++)
		if (ends_with(x->rels[i].type, suffix))
			return &x->rels[i];
	return NULL;
}

static char *not_xlsx(struct sheet *s, const char *why)
{
	errno = EINVAL;
	return xasprintf(_("%s: not a readable XLSX file: %s"), s->path, why);
}

static int zip_failed(struct sheet *s, int code, char **err)
{
	zip_error_t ze;

	zip_error_init_with_code(&ze, code);
	if (zip_error_system_type(&ze) == ZIP_ET_SYS && zip_error_code_system(&ze)) {
		*err = xasprintf("%s: %s", s->path, strerror(zip_error_code_system(&ze)));
		errno = zip_error_code_system(&ze);
	} else {
		*err = xasprintf(_("%s: not a readable XLSX file: the ZIP archive is damaged or "
				   "truncated (%s)"), s->path, zip_error_strerror(&ze));
		errno = EINVAL;
	}
	zip_error_fini(&ze);
	return -1;
}

/* Workbook, relationships, styles, shared strings; then the worksheet, ready to stream. */
static int open_parts(struct sheet *s, char **err)
{
	struct xlsx *x = s->x;
	const struct rel *r = NULL;
	char *rels = NULL, *sheet = NULL, *part = NULL;
	const char *slash;
	int rc, ret = -1;

	rc = part_parse(s, "[Content_Types].xml", P_TYPES, s->lim.part_bytes, err);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		bool odf = zip_name_locate(x->za, "content.xml", 0) >= 0 &&
			   zip_name_locate(x->za, "mimetype", 0) >= 0;

		*err = not_xlsx(s, odf ? _("an OpenDocument file (ODS?): save it as XLSX or CSV") :
				_("a ZIP archive without [Content_Types].xml"));
		goto out;
	}
	if (!x->wb) {
		*err = not_xlsx(s, x->xlsb ? _("an XLSB (binary) workbook: save it as XLSX") :
				_("[Content_Types].xml names no workbook: not a spreadsheet"));
		goto out;
	}
	rc = part_parse(s, x->wb, P_WORKBOOK, s->lim.part_bytes, err);
	if (rc == 1)
		*err = not_xlsx(s, _("the workbook part named in [Content_Types].xml is missing"));
	if (rc)
		goto out;
	slash = strrchr(x->wb, '/');
	rels = xasprintf("%.*s_rels/%s.rels", slash ? (int)(slash - x->wb + 1) : 0, x->wb,
			 slash ? slash + 1 : x->wb);
	rc = part_parse(s, rels, P_RELS, s->lim.part_bytes, err);
	if (rc == 1)
		*err = not_xlsx(s, _("the workbook has no relationships part"));
	if (rc)
		goto out;
	for (size_t i = 0; i < x->nsheets && !sheet; i++) {
		r = rel_by_id(x, x->sheets[i].rid);
		if (r && ends_with(r->type, "/worksheet")) {
			sheet = part_resolve(x->wb, r->target);
			s->name = xstrdup(x->sheets[i].name);
		}
	}
	if (!sheet) {
		*err = not_xlsx(s, _("the workbook has no worksheet"));
		goto out;
	}
	r = rel_by_type(x, "/styles");
	if (r && (part = part_resolve(x->wb, r->target)) != NULL &&
	    part_parse(s, part, P_STYLES, s->lim.part_bytes, err) < 0)
		goto out;
	resolve_styles(x);
	free(part);
	part = NULL;
	r = rel_by_type(x, "/sharedStrings");
	if (r && (part = part_resolve(x->wb, r->target)) != NULL &&
	    part_parse(s, part, P_SST, s->lim.sst_part_bytes, err) < 0)
		goto out;
	rc = part_open(s, sheet, P_SHEET, s->lim.sheet_bytes, err);
	if (rc == 1)
		*err = not_xlsx(s, _("the worksheet part is missing"));
	if (rc)
		goto out;
	ret = 0;
out:
	free(rels);
	free(sheet);
	free(part);
	return ret;
}

int sheet_xlsx_open(struct sheet *s, char **err)
{
	int code = 0;

	s->x = xcalloc(1, sizeof(*s->x));
	s->x->za = zip_open(s->path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
	if (!s->x->za)
		return zip_failed(s, code, err);
	return open_parts(s, err);
}

int sheet_xlsx_next(struct sheet *s, char **err)
{
	struct xlsx *x = s->x;
	int rc;

	if (!x->p)
		return 0;
	x->row_ready = false;
	do {
		rc = part_step(s, err);
		if (rc < 0)
			return -1;
		if (x->row_ready)
			return 1;
	} while (rc == 1);
	return 0;
}

void sheet_xlsx_close(struct sheet *s)
{
	struct xlsx *x = s->x;

	if (!x)
		return;
	part_close(x);
	if (x->za)
		zip_discard(x->za);
	for (size_t i = 0; i < x->nsheets; i++) {
		free(x->sheets[i].name);
		free(x->sheets[i].rid);
	}
	for (size_t i = 0; i < x->nrels; i++) {
		free(x->rels[i].id);
		free(x->rels[i].type);
		free(x->rels[i].target);
	}
	free(x->sheets);
	free(x->rels);
	free(x->wb);
	free(x->fmts);
	free(x->xf);
	free(x->xfkind);
	free(x->sst);
	free(x->sst_off);
	free(x->val.p);
	free(x);
	s->x = NULL;
}
