/*
 * validate.c - "medimail-sync validate FILE": check a hand-made loadusers file (CSV, XLSX or
 * XLS) row by row against the Medimail rules.
 *
 * The file is read through sheet.h, streamed row by row, so memory stays bounded whatever its
 * size. Cells a spreadsheet turned into numbers or dates get their loadusers text back
 * (sheet_loadusers_text). Positions are CSV lines or spreadsheet rows.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "i18n.h"
#include "exitcode.h"
#include "sheet.h"
#include "validate.h"

#define MAX_SHOWN 1000             /* findings printed in detail */
#define VALUE_SHOWN 80             /* bytes of a value printed */

struct vstate {
	const char *path;
	FILE *out;
	const struct checker *ck;
	bool csv;              /* a CSV file, not a spreadsheet */
	size_t nerrors, nwarnings, nshown, nrows;
	struct check_unique *unique;    /* the addresses seen, by line number */
};

/* Cells of a record. CSV: trailing empty cells beyond the 36th are not counted (spreadsheets
 * saved as CSV add them). XLSX, XLS: a row has no width of its own, only its last cell with
 * content: short rows are the 36 columns. */
static size_t record_width(const struct vstate *vs, const struct sheet_row *row)
{
	if (!vs->csv)
		return row->used <= NCOLS ? NCOLS : row->used;
	return row->ncells > NCOLS && row->used <= NCOLS ? NCOLS : row->ncells;
}

/* The first VALUE_SHOWN bytes of a cell, escaped (util.h: sb_add_visible). */
static void print_value(FILE *out, const char *v)
{
	size_t n = strlen(v);
	struct strbuf sb = { 0 };

	sb_addn(&sb, "", 0);
	sb_add_visible(&sb, v, n < VALUE_SHOWN ? n : VALUE_SHOWN);
	fprintf(out, " (%s \"%s%s\")", _("value"), sb.buf, n > VALUE_SHOWN ? "..." : "");
	sb_free(&sb);
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
	fprintf(vs->out, "%s:%ld: %s: %s: %s", vs->path, line,
		col >= 0 && col < NCOLS ? columns[col].header : "-", rule,
		sev == SEV_WARNING ? _("warning: ") : "");
	fput_visible(message, vs->out);     /* it may quote a cell */
	if (value && *value)
		print_value(vs->out, value);
	fputc('\n', vs->out);
}

static void report_rule(struct vstate *vs, long line, int col, const char *rule,
			const char *value, const char *message)
{
	report(vs, line, col, rule, check_severity(vs->ck, rule), value, message);
}

/* A date cell in Date de péremption outside 2000-2099: AA-MM-JJ cannot hold its century, and
 * such a date is most often AA-MM-JJ text that the spreadsheet read as JJ-MM-AA ("26-12-31"
 * typed in a French Excel is 26 December 1931). Never a silent change of the date. */
static void check_date_cell(struct vstate *vs, const struct sheet_row *row)
{
	const struct sheet_cell *c;
	char *msg;

	if (row->nkept <= COL_PEREMPTION)
		return;
	c = &row->cell[COL_PEREMPTION];
	if (c->kind != SHEET_DATE || c->len < 10 || c->text[4] != '-' ||
	    strncmp(c->text, "20", 2) == 0)
		return;     /* not a date, not a YYYY-MM-DD date (date-format), or 20xx */
	msg = xasprintf(_("the spreadsheet holds the date %.10s, outside 2000-2099: AA-MM-JJ "
			  "cannot write it (AA-MM-JJ text read as JJ-MM-AA?); format the column "
			  "as text"), c->text);
	report_rule(vs, row->line, COL_PEREMPTION, "date-century", c->text, msg);
	free(msg);
}

static void check_record(struct vstate *vs, const struct sheet_row *rec)
{
	static const struct sheet_cell empty = { "", 0, SHEET_EMPTY, 0 };
	struct findings f = { 0 };
	struct row row = { .blob = NULL };
	char *where = NULL, *msg, *line;
	const char *mail, *first, *id_type = sheet_text(rec, COL_TYPE_ID_STRUCT);
	size_t i, width = record_width(vs, rec), more[NCOLS] = { 0 };

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
	for (i = 0; i < NCOLS; i++) {
		row_take(&row, (enum col)i, sheet_loadusers_text((enum col)i,
			 i < rec->nkept ? &rec->cell[i] : &empty, id_type));
		more[i] = i < rec->nkept ? rec->cell[i].more : 0;
	}
	where = xasprintf("%s %ld", vs->csv ? "line" : "row", rec->line);
	check_row_cut(vs->ck, &row, bal_type_parse(row_get(&row, COL_TYPE_BAL)), where, more,
		      &f);
	for (i = 0; i < f.n; i++)
		report(vs, rec->line, f.v[i].col, f.v[i].rule, f.v[i].sev, f.v[i].value,
		       f.v[i].message);
	check_date_cell(vs, rec);
	mail = row_get(&row, COL_MAIL);
	if (!str_empty(mail) && strlen(mail) <= 254) {
		line = xasprintf("%ld", rec->line);
		first = check_unique_where(vs->unique, mail, line);
		free(line);
		if (first) {
			msg = vs->csv ?
			      xasprintf(_("this address is already used on line %s"), first) :
			      xasprintf(_("this address is already used on row %s"), first);
			report_rule(vs, rec->line, COL_MAIL, "mail-duplicate", mail, msg);
			free(msg);
		}
	}
out:
	findings_free(&f);
	row_free(&row);
	free(where);
}

/* Header row: EXIT_USAGE when it is not a loadusers header at all; wrong cells are reported. */
static int check_header(struct vstate *vs, const struct sheet_row *rec)
{
	size_t i, nmatch = 0, width = record_width(vs, rec);
	char *t, *msg;

	for (i = 0; i < NCOLS && i < width; i++) {
		t = str_trim(sheet_text(rec, i));
		nmatch += strcmp(t, columns[i].header) == 0;
		free(t);
	}
	/* a spreadsheet's header is its row 1: a sheet whose first row is further down has none */
	if (rec->line != 1)
		nmatch = 0;
	if (rec->nul || rec->open_quote || width < NCOLS / 2 || nmatch < NCOLS / 2) {
		fprintf(vs->out, "%s:1: -: csv-header: ", vs->path);
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
		t = str_trim(sheet_text(rec, i));
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

/* A file that cannot be read: one line on stderr; EXIT_USAGE when the content is at fault
 * (damaged, not a spreadsheet), EXIT_FAIL for the system's errors. */
static int read_failed(char *err)
{
	int rc = errno == EINVAL ? EXIT_USAGE : EXIT_FAIL;

	fprintf(stderr, "medimail-sync: %s\n", err);
	free(err);
	return rc;
}

int validate_file(const char *path, const struct config *c, FILE *out)
{
	struct vstate vs = { .path = path, .out = out };
	struct checker *ck = NULL;
	const struct sheet_row *rec;
	struct sheet *sh = NULL;
	char *err = NULL;
	int rc = EXIT_FAIL, r;

	ck = check_new(c, &err);
	if (!ck) {
		fprintf(stderr, "medimail-sync: %s\n", err);
		free(err);
		rc = EXIT_USAGE;
		goto out;
	}
	vs.ck = ck;
	vs.unique = check_unique_new(ck);
	sh = sheet_open(path, &err);
	if (!sh) {
		rc = read_failed(err);
		goto out;
	}
	vs.csv = sheet_format(sh) == SHEET_CSV;
	r = sheet_next(sh, &rec, &err);
	if (r < 0) {
		rc = read_failed(err);
		goto out;
	}
	if (r == 0) {
		fprintf(out, "%s:1: -: csv-header: %s\n", path,
			_("empty file, not a loadusers file"));
		rc = EXIT_USAGE;
		goto out;
	}
	rc = check_header(&vs, rec);
	if (rc != EXIT_OK)
		goto out;
	while ((r = sheet_next(sh, &rec, &err)) == 1)
		if (!sheet_row_blank(rec))
			check_record(&vs, rec);
	if (r < 0) {
		rc = read_failed(err);
		goto out;
	}
	fprintf(out, _("%s: %zu rows, %zu errors, %zu warnings\n"), path, vs.nrows, vs.nerrors,
		vs.nwarnings);
	rc = vs.nerrors ? EXIT_REJECTED : EXIT_OK;
out:
	sheet_close(sh);
	check_unique_free(vs.unique);
	check_free(ck);
	return rc;
}
