/*
 * sheet.c - one pull reader for CSV, XLSX and XLS: the format chosen by content, the row
 * buffer every format fills, the CSV reader (streamed, bounded), number and date texts, and
 * the loadusers columns a spreadsheet turned into numbers. The XLSX reader is sheet_xlsx.c
 * (the archive) and sheet_xlsx_xml.c (the parts' elements), the XLS reader sheet_xls.c.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "i18n.h"
#include "sheet_int.h"

static const struct sheet_limits default_limits = {
	.cell_bytes = 4 * 32767 + 4,
	.cells = 128,
	.part_bytes = 16ULL << 20,
	.sheet_bytes = 1ULL << 30,
	.sst_part_bytes = 512ULL << 20,
	.sst_count = 2000000,
	.sst_bytes = 64 << 20,
	.xml_memory = 64 << 20,
	.xls_seconds = 60,
	.xls_memory = 1 << 30,
};

/* ------------------------------------------------------------------------------------------ */
/* The row buffer */

void sheet_row_begin(struct sheet *s, long line)
{
	for (size_t i = 0; i < s->nreset; i++) {
		s->cb[i].len = 0;
		if (s->cb[i].p)
			s->cb[i].p[0] = '\0';
		s->cb[i].kind = SHEET_EMPTY;
		s->cb[i].cut = false;
		s->cb[i].more = 0;
	}
	s->nreset = 0;
	memset(&s->row, 0, sizeof(s->row));
	s->row.line = line;
}

bool sheet_buf_add(struct cellbuf *c, const char *p, size_t n, size_t cap)
{
	bool cut = false;

	if (c->len + n > cap) {
		for (size_t i = cap - c->len; i < n; i++)
			c->more += ((unsigned char)p[i] & 0xc0) != 0x80;
		n = cap - c->len;
		cut = c->cut = true;
	}
	if (n) {
		xgrow(&c->p, &c->cap, c->len + n + 1, 1);
		memcpy(c->p + c->len, p, n);
		c->len += n;
		c->p[c->len] = '\0';
	}
	return cut;
}

void sheet_cell_add(struct sheet *s, size_t col, const char *p, size_t n)
{
	if (col >= s->lim.cells) {
		s->row.cut = true;
		return;
	}
	if (col >= s->nreset)
		s->nreset = col + 1;
	if (sheet_buf_add(&s->cb[col], p, n, s->lim.cell_bytes))
		s->row.cut = true;
}

void sheet_cell_clear(struct sheet *s, size_t col)
{
	if (col < s->lim.cells && col < s->nreset) {
		s->cb[col].len = 0;
		if (s->cb[col].p)
			s->cb[col].p[0] = '\0';
		s->cb[col].kind = SHEET_EMPTY;
	}
}

void sheet_cell_kind(struct sheet *s, size_t col, enum sheet_kind kind)
{
	if (col < s->lim.cells) {
		s->cb[col].kind = kind;
		if (col >= s->nreset)
			s->nreset = col + 1;
	}
}

void sheet_row_publish(struct sheet *s)
{
	size_t n = s->row.ncells < s->lim.cells ? s->row.ncells : s->lim.cells;

	for (size_t i = 0; i < n; i++) {
		struct cellbuf *c = &s->cb[i];

		s->cells[i].text = c->len ? c->p : "";
		s->cells[i].len = c->len;
		s->cells[i].kind = c->len ? c->kind : SHEET_EMPTY;
		s->cells[i].more = c->more;
	}
	s->row.nkept = n;
	s->row.cell = s->cells;
}

const char *sheet_text(const struct sheet_row *row, size_t i)
{
	return i < row->nkept ? row->cell[i].text : "";
}

bool sheet_row_blank(const struct sheet_row *row)
{
	if (row->nul || row->open_quote)
		return false;
	for (size_t i = 0; i < row->nkept; i++)
		if (!str_empty(row->cell[i].text))
			return false;
	return true;
}

/* ------------------------------------------------------------------------------------------ */
/* Numbers and dates */

static locale_t c_locale;

static void c_locale_init(void)
{
	c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (!c_locale) {
		fprintf(stderr, "medimail-sync: newlocale(C): %s\n", strerror(errno));
		abort();
	}
}

locale_t sheet_c_locale(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, c_locale_init);
	return c_locale;
}

void sheet_number_text(double v, char buf[32])
{
	char e[40], digits[24];
	locale_t old = uselocale(sheet_c_locale());
	size_t nd = 0, i;
	int exp, p;
	bool neg = v < 0;

	if (!isfinite(v) || v == 0) {
		strcpy(buf, !isfinite(v) ? (isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf") : "0");
		goto out;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	/* e is "-d.ddde+XX": the digits without the point, and the exponent */
	for (i = neg; e[i] && e[i] != 'e'; i++)
		if (e[i] != '.')
			digits[nd++] = e[i];
	exp = atoi(e + i + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	i = 0;
	if (neg)
		buf[i++] = '-';
	if (exp < -6 || exp > 20) {
		buf[i++] = digits[0];
		if (nd > 1) {
			buf[i++] = '.';
			memcpy(buf + i, digits + 1, nd - 1);
			i += nd - 1;
		}
		snprintf(buf + i, 32 - i, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
	} else if (exp < 0) {
		buf[i++] = '0';
		buf[i++] = '.';
		for (int z = -1; z > exp; z--)
			buf[i++] = '0';
		memcpy(buf + i, digits, nd + 1);
	} else {
		for (size_t d = 0; d < nd || (int)d <= exp; d++) {
			if ((int)d == exp + 1)
				buf[i++] = '.';
			buf[i++] = d < nd ? digits[d] : '0';
		}
		buf[i] = '\0';
	}
out:
	uselocale(old);
}

void sheet_civil_date(long long days, char buf[32])
{
	/* days since 1970-01-01 to year, month, day (H. Hinnant's civil_from_days) */
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long y = (long long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;

	snprintf(buf, 32, "%04lld-%02u-%02u", y + (m <= 2), m, d);
}

/* ------------------------------------------------------------------------------------------ */
/* CSV */

/* Windows-1252 to UTF-8 (0x80-0x9f differ from Latin-1; unassigned bytes become U+FFFD). */
static void cp1252_to_utf8(struct cellbuf *cl)
{
	struct strbuf sb = { 0 };

	sb_addn(&sb, "", 0);
	for (size_t i = 0; i < cl->len; i++) {
		unsigned u = cp1252_char((unsigned char)cl->p[i]);

		if (u < 0x80) {
			sb_addc(&sb, (char)u);
		} else if (u < 0x800) {
			sb_addc(&sb, (char)(0xc0 | (u >> 6)));
			sb_addc(&sb, (char)(0x80 | (u & 0x3f)));
		} else {
			sb_addc(&sb, (char)(0xe0 | (u >> 12)));
			sb_addc(&sb, (char)(0x80 | ((u >> 6) & 0x3f)));
			sb_addc(&sb, (char)(0x80 | (u & 0x3f)));
		}
	}
	free(cl->p);
	cl->len = sb.len;
	cl->cap = sb.len + 1;   /* sb_steal() may shrink the buffer to the string */
	cl->p = sb_steal(&sb);
}

/* A cell cut at the byte limit may end inside a UTF-8 sequence: drop that tail, so that the
 * rest is still read as UTF-8. */
static void utf8_drop_partial(struct cellbuf *c)
{
	size_t i = c->len, k = 0;

	while (i > 0 && k < 3 && ((unsigned char)c->p[i - 1] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	if (i > 0 && (unsigned char)c->p[i - 1] >= 0xc0) {
		unsigned char lead = (unsigned char)c->p[i - 1];
		size_t need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : 1;

		if (k < need) {
			c->len = i - 1;
			c->p[c->len] = '\0';
		}
	}
}

void sheet_cell_utf8(struct cellbuf *c)
{
	if (c->cut)
		utf8_drop_partial(c);
	if (c->len && !utf8_valid(c->p, c->len))
		cp1252_to_utf8(c);
}

static void csv_add(struct sheet *s, char ch)
{
	size_t col = s->row.ncells - 1;
	struct cellbuf *c = &s->cb[col < s->lim.cells ? col : 0];

	s->row.used = s->row.ncells;
	/* the common case, byte after byte: room in the cell's buffer */
	if (col < s->lim.cells && c->len + 1 < c->cap && c->len < s->lim.cell_bytes) {
		if (col >= s->nreset)
			s->nreset = col + 1;
		c->p[c->len++] = ch;
		c->p[c->len] = '\0';
		return;
	}
	sheet_cell_add(s, col, &ch, 1);
}

/* One record into the row buffer. false at end of file (no record). */
static bool csv_record(struct sheet *s)
{
	FILE *fp = s->fp;
	bool inq = false, fresh = true;
	int c = getc_unlocked(fp);

	if (c == EOF)
		return false;
	sheet_row_begin(s, s->line);
	s->row.ncells = 1;
	for (;;) {
		if (c == EOF) {
			s->row.open_quote = inq;
			break;
		}
		if (c == '\0') {
			s->row.nul = true;
		} else if (inq) {
			if (c == '"') {
				c = getc_unlocked(fp);
				if (c != '"') {
					inq = false;
					continue;     /* c is the character after the quote */
				}
			}
			if (c == '\n')
				s->line++;
			csv_add(s, (char)c);
		} else if (c == '"' && fresh) {
			inq = true;
			fresh = false;
			s->row.used = s->row.ncells;
		} else if (c == s->sep) {
			s->row.ncells++;
			fresh = true;
		} else if (c == '\n') {
			s->line++;
			break;
		} else if (c != '\r') {
			csv_add(s, (char)c);
			fresh = false;
		}
		c = getc_unlocked(fp);
	}
	for (size_t i = 0; i < s->nreset; i++) {
		sheet_cell_utf8(&s->cb[i]);
		s->cb[i].kind = SHEET_TEXT;
	}
	return true;
}

/* Choose ';' or ',' from the first line, then go back to start. */
static int csv_separator(struct sheet *s, long start)
{
	size_t semi = 0, comma = 0, n = 0;
	bool inq = false;
	int c;

	while ((c = getc_unlocked(s->fp)) != EOF && n++ < s->lim.cell_bytes * 4) {
		if (c == '"')
			inq = !inq;
		else if (!inq && c == '\n')
			break;
		else if (!inq && c == ';')
			semi++;
		else if (!inq && c == ',')
			comma++;
	}
	s->sep = comma > semi ? ',' : ';';
	if (ferror(s->fp) || fseek(s->fp, start, SEEK_SET) != 0)
		return -1;
	return 0;
}

static int csv_next(struct sheet *s, char **err)
{
	if (!csv_record(s)) {
		if (ferror(s->fp)) {
			*err = xasprintf(_("%s: read error: %s"), s->path, strerror(EIO));
			errno = EIO;
			return -1;
		}
		return 0;
	}
	sheet_row_publish(s);
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Opening: the format by content */

static void limits_fill(struct sheet_limits *l, const struct sheet_limits *in)
{
	*l = default_limits;
	if (!in)
		return;
#define TAKE(f) if (in->f) l->f = in->f
	TAKE(cell_bytes);
	TAKE(cells);
	TAKE(part_bytes);
	TAKE(sheet_bytes);
	TAKE(sst_part_bytes);
	TAKE(sst_count);
	TAKE(sst_bytes);
	TAKE(xml_memory);
	TAKE(xls_seconds);
	TAKE(xls_memory);
#undef TAKE
}

struct sheet *sheet_open(const char *path, char **err)
{
	return sheet_open_opts(path, NULL, err);
}

struct sheet *sheet_open_opts(const char *path, const struct sheet_opts *o, char **err)
{
	static const unsigned char ole2[8] = { 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1 };
	struct sheet *s = xcalloc(1, sizeof(*s));
	unsigned char magic[8] = { 0 };
	struct stat st;
	size_t n;
	int e;

	*err = NULL;
	s->path = xstrdup(path);
	limits_fill(&s->lim, o ? o->limits : NULL);
	s->cb = xcalloc(s->lim.cells, sizeof(*s->cb));
	s->cells = xcalloc(s->lim.cells, sizeof(*s->cells));
	s->line = 1;
	s->fp = fopen(path, "rb");
	if (!s->fp)
		goto sys;
	if (fstat(fileno(s->fp), &st) != 0)
		goto sys;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto sys;
	}
	n = fread(magic, 1, sizeof(magic), s->fp);
	if (ferror(s->fp)) {
		errno = EIO;
		goto sys;
	}
	s->fmt = o && o->format != SHEET_AUTO ? o->format :
		 n >= 4 && memcmp(magic, "PK\3\4", 4) == 0 ? SHEET_XLSX :
		 n == 8 && memcmp(magic, ole2, 8) == 0 ? SHEET_XLS : SHEET_CSV;
	if (s->fmt == SHEET_CSV) {
		long start = n >= 3 && memcmp(magic, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;

		if (n >= 2 && (memcmp(magic, "\xff\xfe", 2) == 0 ||
			       memcmp(magic, "\xfe\xff", 2) == 0)) {
			*err = xasprintf(_("%s: UTF-16 text: save it as CSV UTF-8 (or XLSX)"), path);
			errno = EINVAL;
			goto fail;
		}
		if (fseek(s->fp, start, SEEK_SET) != 0 || csv_separator(s, start) != 0)
			goto sys;
		return s;
	}
	fclose(s->fp);
	s->fp = NULL;
	if (s->fmt == SHEET_XLSX ? sheet_xlsx_open(s, err) : sheet_xls_open(s, err))
		goto fail;
	return s;
sys:
	e = errno ? errno : EIO;
	*err = xasprintf("%s: %s", path, strerror(e));
	sheet_close(s);
	errno = e;
	return NULL;
fail:
	e = errno;
	sheet_close(s);
	errno = e;
	return NULL;
}

int sheet_next(struct sheet *s, const struct sheet_row **row, char **err)
{
	int rc;

	*err = NULL;
	switch (s->fmt) {
	case SHEET_XLSX:
		rc = sheet_xlsx_next(s, err);
		break;
	case SHEET_XLS:
		rc = sheet_xls_next(s, err);
		break;
	default:
		rc = csv_next(s, err);
		break;
	}
	*row = rc == 1 ? &s->row : NULL;
	return rc;
}

enum sheet_format sheet_format(const struct sheet *s)
{
	return s->fmt;
}

const char *sheet_name(const struct sheet *s)
{
	return s->name;
}

const char *sheet_unit(const struct sheet *s)
{
	return s->fmt == SHEET_CSV ? "line" : "row";
}

void sheet_close(struct sheet *s)
{
	if (!s)
		return;
	if (s->fp)
		fclose(s->fp);
	sheet_xls_close(s);
	sheet_xlsx_close(s);
	for (size_t i = 0; i < s->lim.cells; i++)
		free(s->cb[i].p);
	free(s->cb);
	free(s->cells);
	free(s->name);
	free(s->path);
	free(s);
}

/* ------------------------------------------------------------------------------------------ */
/* Loadusers columns that a spreadsheet turned into numbers or dates */

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Digits the column's identifier has, 0 when it is not a zero-padded number. */
static size_t col_width(enum col col, const char *id_type)
{
	static const struct {
		const char *type;
		size_t width;
	} id_widths[] = { { "FINESS", 9 }, { "SIREN", 9 }, { "SIRET", 14 } };
	char *t;
	size_t w = 0;

	switch (col) {
	case COL_CP:
		return 5;
	case COL_TEL1:
	case COL_TEL2:
		return 10;
	case COL_RPPS:
	case COL_ID_RESP:
		return 11;
	case COL_ADELI:
		return 9;
	case COL_ID_STRUCT:
		if (!id_type)
			return 0;
		t = str_trim(id_type);
		for (size_t i = 0; i < ARRAY_SIZE(id_widths); i++)
			if (strcasecmp(t, id_widths[i].type) == 0)
				w = id_widths[i].width;
		free(t);
		return w;
	default:
		return 0;
	}
}

char *sheet_loadusers_text(enum col col, const struct sheet_cell *cell, const char *id_type)
{
	const char *t = cell->text;
	size_t w;

	if (cell->kind == SHEET_DATE && col == COL_PEREMPTION && cell->len >= 10 &&
	    all_digits(t, 4) && t[4] == '-' && all_digits(t + 5, 2) && t[7] == '-' &&
	    all_digits(t + 8, 2))
		return xasprintf("%.2s-%.2s-%.2s", t + 2, t + 5, t + 8);
	if (cell->kind == SHEET_NUMBER && all_digits(t, cell->len)) {
		w = col_width(col, id_type);
		if (cell->len < w)
			return xasprintf("%0*d%s", (int)(w - cell->len), 0, t);
	}
	return xstrndup(t, cell->len);
}
