/*
 * validate.c - "medimail-sync validate FILE": check a hand-made loadusers CSV row by row.
 *
 * The file is streamed record by record (RFC 4180 quotes, ';' or ',' chosen from the header,
 * UTF-8 or Windows-1252 per cell, optional BOM), so memory stays bounded whatever its size:
 * a cell keeps at most CELL_CAP bytes and a record at most NCOLS + 1 cells.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "i18n.h"
#include "exitcode.h"
#include "validate.h"

#define CELL_CAP (4 * 32767 + 4)   /* bytes kept of a cell: enough to see it is too long */
#define MAX_SHOWN 1000             /* findings printed in detail */
#define VALUE_SHOWN 80             /* bytes of a value printed */

struct cell {
	char *p;
	size_t len, cap;
};

struct record {
	struct cell cells[NCOLS + 1];
	size_t ncells;         /* every cell seen, even those not kept */
	size_t used;           /* 1 + index of the last cell with content, 0 if none */
	long line;             /* physical line where the record starts */
	bool nul, open_quote;
};

/* Compact set of addresses seen: 64-bit hash -> first line. A false duplicate needs two
 * addresses with the same 64-bit hash: negligible, and it keeps memory small. */
struct seen {
	struct seen_slot {
		uint64_t hash;
		long line;
	} *slots;
	size_t cap, count;
};

struct vstate {
	const char *path;
	FILE *out;
	const struct checker *ck;
	size_t nerrors, nwarnings, nshown, nrows;
	struct seen seen;
};

static void cell_add(struct record *rec, char c)
{
	struct cell *cl;

	rec->used = rec->ncells;
	if (rec->ncells > NCOLS + 1)
		return;
	cl = &rec->cells[rec->ncells - 1];
	if (cl->len >= CELL_CAP)
		return;
	if (cl->len + 1 >= cl->cap)
		xgrow(&cl->p, &cl->cap, cl->len + 2, 1);
	cl->p[cl->len++] = c;
	cl->p[cl->len] = '\0';
}

static void record_reset(struct record *rec, long line)
{
	for (size_t i = 0; i <= NCOLS; i++) {
		rec->cells[i].len = 0;
		if (rec->cells[i].p)
			rec->cells[i].p[0] = '\0';
	}
	rec->ncells = 1;
	rec->used = 0;
	rec->line = line;
	rec->nul = rec->open_quote = false;
}

static void record_free(struct record *rec)
{
	for (size_t i = 0; i <= NCOLS; i++) {
		free(rec->cells[i].p);
		rec->cells[i].p = NULL;
	}
}

/* Read one record. Returns false at end of file (no record). */
static bool read_record(FILE *fp, char sep, long *line, struct record *rec)
{
	bool inq = false, fresh = true;
	int c = getc_unlocked(fp);

	if (c == EOF)
		return false;
	record_reset(rec, *line);
	for (;;) {
		if (c == EOF) {
			rec->open_quote = inq;
			break;
		}
		if (c == '\0') {
			rec->nul = true;
		} else if (inq) {
			if (c == '"') {
				c = getc_unlocked(fp);
				if (c != '"') {
					inq = false;
					continue;     /* c is the character after the quote */
				}
			}
			if (c == '\n')
				(*line)++;
			cell_add(rec, (char)c);
		} else if (c == '"' && fresh) {
			inq = true;
			fresh = false;
			rec->used = rec->ncells;
		} else if (c == sep) {
			rec->ncells++;
			fresh = true;
		} else if (c == '\n') {
			(*line)++;
			break;
		} else if (c != '\r') {
			cell_add(rec, (char)c);
			fresh = false;
		}
		c = getc_unlocked(fp);
	}
	return true;
}

/* Windows-1252 to UTF-8 (0x80-0x9f differ from Latin-1; unassigned bytes become U+FFFD). */
static void cp1252_to_utf8(struct cell *cl)
{
	static const uint16_t c1[32] = {
		0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030,
		0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd, 0xfffd, 0x2018, 0x2019, 0x201c,
		0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd,
		0x017e, 0x0178
	};
	struct strbuf sb = { 0 };

	sb_addn(&sb, "", 0);
	for (size_t i = 0; i < cl->len; i++) {
		unsigned u = (unsigned char)cl->p[i];

		if (u >= 0x80 && u < 0xa0)
			u = c1[u - 0x80];
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

static void record_to_utf8(struct record *rec)
{
	size_t n = rec->ncells < NCOLS + 1 ? rec->ncells : NCOLS + 1;

	for (size_t i = 0; i < n; i++)
		if (rec->cells[i].len && !utf8_valid(rec->cells[i].p, rec->cells[i].len))
			cp1252_to_utf8(&rec->cells[i]);
}

static const char *cell_text(const struct record *rec, size_t i)
{
	return i < rec->ncells && i <= NCOLS && rec->cells[i].p ? rec->cells[i].p : "";
}

/* Cells counted without trailing empty ones beyond the 36th (spreadsheets add them). */
static size_t record_width(const struct record *rec)
{
	return rec->ncells > NCOLS && rec->used <= NCOLS ? NCOLS : rec->ncells;
}

static bool record_blank(const struct record *rec)
{
	size_t n = rec->ncells < NCOLS + 1 ? rec->ncells : NCOLS + 1;

	if (rec->nul || rec->open_quote)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!str_empty(cell_text(rec, i)))
			return false;
	return true;
}

static void print_value(FILE *out, const char *v)
{
	size_t n = strlen(v), i;

	fprintf(out, " (%s \"", _("value"));
	for (i = 0; i < n && i < VALUE_SHOWN; i++) {
		unsigned char c = (unsigned char)v[i];

		fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
	fputs(n > VALUE_SHOWN ? "...\")" : "\")", out);
}

static void report(struct vstate *vs, long line, int col, const char *rule,
		   enum severity sev, const char *value, const char *message)
{
	if (sev == SEV_OFF)
		return;
	if (sev == SEV_ERROR)
		vs->nerrors++;
	else
		vs->nwarnings++;
	if (vs->nshown++ >= MAX_SHOWN) {
		if (vs->nshown == MAX_SHOWN + 1)
			fprintf(vs->out, _("%s: more than %d findings: the rest are only "
					   "counted\n"), vs->path, MAX_SHOWN);
		return;
	}
	fprintf(vs->out, "%s:%ld: %s: %s: %s%s", vs->path, line,
		col >= 0 && col < NCOLS ? columns[col].header : "-", rule,
		sev == SEV_WARNING ? _("warning: ") : "", message);
	if (value && *value)
		print_value(vs->out, value);
	fputc('\n', vs->out);
}

static void report_rule(struct vstate *vs, long line, int col, const char *rule,
			const char *value, const char *message)
{
	report(vs, line, col, rule, check_severity(vs->ck, rule), value, message);
}

static uint64_t hash_lower(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		h ^= (c >= 'A' && c <= 'Z') ? c + 32 : c;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Returns the line where the address was first seen, or 0 after recording it. */
static long seen_add(struct seen *s, const char *mail, long line)
{
	uint64_t h = hash_lower(mail);
	size_t i;

	if ((s->count + 1) * 4 > s->cap * 3) {
		struct seen_slot *old = s->slots;
		size_t oldcap = s->cap;

		s->cap = oldcap ? oldcap * 2 : 1024;
		s->slots = xcalloc(s->cap, sizeof(*s->slots));
		for (i = 0; i < oldcap; i++) {
			size_t j = old[i].hash & (s->cap - 1);

			if (!old[i].line)
				continue;
			while (s->slots[j].line)
				j = (j + 1) & (s->cap - 1);
			s->slots[j] = old[i];
		}
		free(old);
	}
	for (i = h & (s->cap - 1); s->slots[i].line; i = (i + 1) & (s->cap - 1))
		if (s->slots[i].hash == h)
			return s->slots[i].line;
	s->slots[i].hash = h;
	s->slots[i].line = line;
	s->count++;
	return 0;
}

static void check_record(struct vstate *vs, const struct record *rec)
{
	struct findings f = { 0 };
	struct row row = { .blob = NULL };
	char *where = NULL, *msg;
	const char *mail;
	long first;
	size_t i, width = record_width(rec);

	if (rec->open_quote) {
		report_rule(vs, rec->line, (int)(width <= NCOLS ? width - 1 : NCOLS - 1),
			    "csv-quote", NULL, _("a quoted cell is still open at end of file"));
		goto out;
	}
	if (rec->nul) {
		report_rule(vs, rec->line, -1, "csv-binary",
			    NULL, _("the record holds NUL bytes: not a text file?"));
		goto out;
	}
	if (width != NCOLS) {
		msg = xasprintf(_("the record has %zu cells instead of %d"), width, NCOLS);
		report_rule(vs, rec->line, -1, "csv-columns", NULL, msg);
		free(msg);
		goto out;
	}
	vs->nrows++;
	for (i = 0; i < NCOLS; i++)
		row_take(&row, (enum col)i, xstrndup(cell_text(rec, i), rec->cells[i].len));
	where = xasprintf("line %ld", rec->line);
	check_row(vs->ck, &row, bal_type_parse(row_get(&row, COL_TYPE_BAL)), where, &f);
	for (i = 0; i < f.n; i++)
		report(vs, rec->line, f.v[i].col, f.v[i].rule, f.v[i].sev, f.v[i].value,
		       f.v[i].message);
	mail = row_get(&row, COL_MAIL);
	if (!str_empty(mail) && strlen(mail) <= 254) {
		first = seen_add(&vs->seen, mail, rec->line);
		if (first) {
			msg = xasprintf(_("this address is already used on line %ld"), first);
			report_rule(vs, rec->line, COL_MAIL, "mail-duplicate", mail, msg);
			free(msg);
		}
	}
out:
	findings_free(&f);
	row_free(&row);
	free(where);
}

/* Choose ';' or ',' from the first line, then rewind. */
static int detect_separator(FILE *fp, char *sep)
{
	size_t semi = 0, comma = 0, n = 0;
	bool inq = false;
	int c;

	while ((c = getc_unlocked(fp)) != EOF && n++ < CELL_CAP * 4) {
		if (c == '"')
			inq = !inq;
		else if (!inq && c == '\n')
			break;
		else if (!inq && c == ';')
			semi++;
		else if (!inq && c == ',')
			comma++;
	}
	*sep = comma > semi ? ',' : ';';
	if (ferror(fp) || fseek(fp, 0, SEEK_SET) != 0)
		return -1;
	return 0;
}

/* Header row: 2 when it is not a loadusers header at all; wrong cells are reported. */
static int check_header(struct vstate *vs, struct record *rec)
{
	struct cell *c0 = &rec->cells[0];
	size_t i, nmatch = 0, width;
	char *t, *msg;

	if (c0->len >= 3 && memcmp(c0->p, "\xef\xbb\xbf", 3) == 0) {
		memmove(c0->p, c0->p + 3, c0->len - 2);
		c0->len -= 3;
	}
	record_to_utf8(rec);
	width = record_width(rec);
	for (i = 0; i < NCOLS && i < width; i++) {
		t = str_trim(cell_text(rec, i));
		nmatch += strcmp(t, columns[i].header) == 0;
		free(t);
	}
	if (rec->nul || rec->open_quote || width < NCOLS / 2 || nmatch < NCOLS / 2) {
		fprintf(vs->out, "%s:%ld: -: csv-header: ", vs->path, rec->line);
		fprintf(vs->out, _("not a loadusers header (%zu of the %d column headers "
				   "found)\n"), nmatch, NCOLS);
		return EXIT_USAGE;
	}
	if (width != NCOLS) {
		msg = xasprintf(_("the header has %zu cells instead of %d"), width, NCOLS);
		report_rule(vs, rec->line, -1, "csv-header", NULL, msg);
		free(msg);
	}
	for (i = 0; i < NCOLS && i < width; i++) {
		t = str_trim(cell_text(rec, i));
		if (strcmp(t, columns[i].header) != 0) {
			msg = xasprintf(_("header of column %zu must be \"%s\""), i + 1,
					columns[i].header);
			report_rule(vs, rec->line, (int)i, "csv-header", t, msg);
			free(msg);
		}
		free(t);
	}
	return EXIT_OK;
}

int validate_file(const char *path, const struct config *c, FILE *out)
{
	struct vstate vs = { .path = path, .out = out };
	struct checker *ck = NULL;
	struct record rec;
	FILE *fp = NULL;
	char *err = NULL, sep;
	long line = 1;
	int rc = EXIT_FAIL;

	memset(&rec, 0, sizeof(rec));
	ck = check_new(c, &err);
	if (!ck) {
		fprintf(stderr, "medimail-sync: %s\n", err);
		free(err);
		rc = EXIT_USAGE;
		goto out;
	}
	vs.ck = ck;
	fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "medimail-sync: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if (detect_separator(fp, &sep) < 0) {
		fprintf(stderr, "medimail-sync: %s: cannot read or rewind: %s\n", path,
			strerror(errno));
		goto out;
	}
	if (!read_record(fp, sep, &line, &rec)) {
		fprintf(out, "%s:1: -: csv-header: %s\n", path,
			_("empty file, not a loadusers file"));
		rc = EXIT_USAGE;
		goto out;
	}
	rc = check_header(&vs, &rec);
	if (rc != EXIT_OK)
		goto out;
	while (read_record(fp, sep, &line, &rec)) {
		if (record_blank(&rec))
			continue;
		record_to_utf8(&rec);
		check_record(&vs, &rec);
	}
	if (ferror(fp)) {
		fprintf(stderr, "medimail-sync: %s: read error\n", path);
		rc = EXIT_FAIL;
		goto out;
	}
	fprintf(out, _("%s: %zu rows, %zu errors, %zu warnings\n"), path, vs.nrows, vs.nerrors,
		vs.nwarnings);
	rc = vs.nerrors ? EXIT_REJECTED : EXIT_OK;
out:
	if (fp)
		fclose(fp);
	record_free(&rec);
	free(vs.seen.slots);
	check_free(ck);
	return rc;
}
