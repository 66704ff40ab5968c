/*
 * sheet_xlsx_xml.c - the XML half of the XLSX reader (sheet_xlsx.c reads the parts): what the
 * elements of each part mean. [Content_Types].xml names the workbook; the workbook lists the
 * worksheets and says whether dates count from 1904; its relationships name the parts; the
 * styles say which cell formats are dates or times; the shared strings are kept, capped; a
 * worksheet's rows are published one at a time (a </row> suspends the parser). A DTD or an
 * entity declaration is refused.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "sheet_xlsx_int.h"

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

/* A copy of s that lives as long as x (the workbook's names). */
static const char *keep(struct xlsx *x, const char *s)
{
	return arena_strndup(&x->strs, s, strlen(s));
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

void sheet_xlsx_resolve_styles(struct xlsx *x)
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

static void types_start(struct sheet *s, const char *el, const char **atts)
{
	struct xlsx *x = s->x;
	const char *part = attr(atts, "PartName"), *type = attr(atts, "ContentType");

	if (strcmp(el, "Override") != 0 || !part || !type || x->wb)
		return;
	if (strcasecmp(type, "application/vnd.ms-excel.sheet.binary.macroEnabled.main") == 0)
		x->xlsb = true;
	for (size_t i = 0; i < ARRAY_SIZE(workbook_types); i++)
		if (strcasecmp(type, workbook_types[i]) == 0)
			x->wb = xstrdup(part + (part[0] == '/'));
}

static void workbook_start(struct sheet *s, const char *el, const char **atts)
{
	struct xlsx *x = s->x;
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
		x->sheets[x->nsheets].name = keep(x, v ? v : "");
		x->sheets[x->nsheets].rid = keep(x, rid);
		x->nsheets++;
	}
}

static void rels_start(struct sheet *s, const char *el, const char **atts)
{
	struct xlsx *x = s->x;
	const char *id = attr(atts, "Id"), *type = attr(atts, "Type");
	const char *target = attr(atts, "Target"), *mode = attr(atts, "TargetMode");

	if (strcmp(el, "Relationship") != 0 || !id || !type || !target || !*target ||
	    (mode && strcasecmp(mode, "External") == 0) || x->nrels >= MAX_RELS)
		return;
	xgrow(&x->rels, &x->caprels, x->nrels + 1, sizeof(*x->rels));
	x->rels[x->nrels].id = keep(x, id);
	x->rels[x->nrels].type = keep(x, type);
	x->rels[x->nrels].target = keep(x, target);
	x->nrels++;
}

static void styles_start(struct sheet *s, const char *el, const char **atts)
{
	struct xlsx *x = s->x;
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

/* <t> (text) and <rPh> (a phonetic reading, whose text is skipped), in a shared string
 * (<si>) or an inline one (<is>). */
static void text_start(struct xlsx *x, const char *el)
{
	if (strcmp(el, "rPh") == 0)
		x->in_rph++;
	else if (strcmp(el, "t") == 0)
		x->in_t = true;
}

static void text_end(struct xlsx *x, const char *el)
{
	if (strcmp(el, "t") == 0)
		x->in_t = false;
	else if (strcmp(el, "rPh") == 0 && x->in_rph)
		x->in_rph--;
}

static void sst_start(struct sheet *s, const char *el, const char **atts)
{
	struct xlsx *x = s->x;

	(void)atts;
	if (strcmp(el, "si") == 0) {
		x->in_si = true;
		x->in_t = false;
		x->in_rph = 0;
		val_reset(x);
	} else {
		text_start(x, el);
	}
}

static void sheet_start(struct sheet *s, const char *el, const char **atts)
{
	struct xlsx *x = s->x;

	if (strcmp(el, "row") == 0)
		sheet_row_start(s, atts);
	else if (strcmp(el, "c") == 0 && x->in_row)
		sheet_cell_start(s, atts);
	else if (!x->in_c)
		return;
	else if (strcmp(el, "v") == 0)
		x->in_v = true;
	else if (strcmp(el, "is") == 0)
		x->in_is = true;
	else
		text_start(x, el);
}

/* The end of an element of the worksheet; </row> publishes the row and suspends the parser,
 * so that sheet_xlsx_next() returns it. */
static void sheet_end(struct sheet *s, const char *el)
{
	struct xlsx *x = s->x;

	if (strcmp(el, "v") == 0) {
		x->in_v = false;
	} else if (strcmp(el, "is") == 0) {
		x->in_is = false;
	} else if (strcmp(el, "c") == 0 && x->in_c) {
		sheet_cell_end(s);
	} else if (strcmp(el, "row") == 0 && x->in_row) {
		x->in_row = x->in_c = false;
		sheet_row_publish(s);
		x->row_ready = true;
		XML_StopParser(x->p, XML_TRUE);
	} else {
		text_end(x, el);
	}
}

/* The element start handlers, by part (x->kind) */
static void (*const starts[])(struct sheet *s, const char *el, const char **atts) = {
	[P_TYPES] = types_start,
	[P_WORKBOOK] = workbook_start,
	[P_RELS] = rels_start,
	[P_STYLES] = styles_start,
	[P_SST] = sst_start,
	[P_SHEET] = sheet_start,
};

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct sheet *s = ud;

	starts[s->x->kind](s, local_name(name), atts);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct sheet *s = ud;
	struct xlsx *x = s->x;
	const char *el = local_name(name);

	if (x->kind == P_STYLES && strcmp(el, "cellXfs") == 0) {
		x->in_cellxfs = false;
	} else if (x->kind == P_SST) {
		if (strcmp(el, "si") == 0 && x->in_si)
			sst_end_si(s), x->in_si = false;
		else
			text_end(x, el);
	} else if (x->kind == P_SHEET) {
		sheet_end(s, el);
	}
}

void sheet_xlsx_handlers(XML_Parser p, struct sheet *s)
{
	XML_SetUserData(p, s);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	XML_SetEntityDeclHandler(p, on_entity);
	XML_SetElementHandler(p, on_start, on_end);
	XML_SetCharacterDataHandler(p, on_text);
}

void sheet_xlsx_xml_free(struct xlsx *x)
{
	arena_free(&x->strs);
	free(x->sheets);
	free(x->rels);
	free(x->wb);
	free(x->val.p);
	free(x->fmts);
	free(x->xf);
	free(x->xfkind);
	free(x->sst);
	free(x->sst_off);
}
