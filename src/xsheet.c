/*
 * xsheet.c - the sheets of an XLSX report, written row by row in libxlsxwriter's
 * constant-memory mode: cells cleaned for XLSX, widths and the autofilter set when a sheet is
 * complete, A4 landscape when printed. Shared by the plan/apply report (report_xlsx.c) and the
 * adopt/reconcile reports (adopt_report.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "xsheet.h"

#define CELL_BYTES_MAX 32000     /* below the 32,767 characters of a cell, whatever the text */
#define WIDTH_MIN 6
#define WIDTH_MAX 60
#define FILL_ERROR 0xFFC7CE
#define FONT_ERROR 0x9C0006
#define FILL_WARNING 0xFFEB9C
#define FONT_WARNING 0x9C5700
#define FILL_HEADER 0xD9E1F2

/* Length of the valid UTF-8 sequence at p, 0 when p starts an invalid one. */
static size_t utf8_seq(const unsigned char *p)
{
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return utf8_valid((const char *)p, n) ? n : 0;
}

static bool bad_control(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

/* True when v can go in a cell as it is: valid UTF-8, no control character, not too long.
 * *width receives its length in code points. One pass, no copy. */
static bool cell_clean(const char *v, size_t *width)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t w = 0, n;

	while (*p) {
		if (*p < 0x80) {
			if (bad_control(*p))
				return false;
			p++;
		} else {
			n = utf8_seq(p);
			if (n == 0)
				return false;
			p += n;
		}
		w++;
	}
	*width = w;
	return (size_t)((const char *)p - v) <= CELL_BYTES_MAX;
}

/* A copy of v fit for a cell: invalid bytes and control characters replaced by U+FFFD,
 * overlong text cut with a mark. Caller frees. */
static char *cell_sanitise(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	struct strbuf sb = { 0 };
	size_t n;

	while (*p && sb.len < CELL_BYTES_MAX) {
		const unsigned char *q = p;

		/* copy the run of good sequences that start below the limit in one go */
		while (*p && (size_t)(p - q) < CELL_BYTES_MAX - sb.len) {
			n = utf8_seq(p);
			if (n == 0 || (n == 1 && bad_control(*p)))
				break;
			p += n;
		}
		if (p > q) {
			sb_addn(&sb, (const char *)q, (size_t)(p - q));
			continue;
		}
		sb_add(&sb, "\xef\xbf\xbd");
		p++;
	}
	if (*p)
		sb_add(&sb, " [\xe2\x80\xa6]");
	return sb_steal(&sb);
}

static void xsheet_fail(struct xsheet *s, lxw_error e)
{
	if (e && !s->err)
		s->err = e;
}

void xsheet_str(struct xsheet *s, int col, const char *v, lxw_format *f)
{
	char *tofree;
	const char *t;
	size_t w;

	if (s->skip || s->err || col >= s->ncols)
		return;
	if (!v || !*v) {
		/* an empty offending value still shows its colour */
		if (f)
			xsheet_fail(s, worksheet_write_blank(s->ws, s->row, (lxw_col_t)col, f));
		return;
	}
	tofree = NULL;
	t = v;
	if (!cell_clean(v, &w)) {
		t = tofree = cell_sanitise(v);
		w = utf8_len(t);
	}
	if (w > s->width[col])
		s->width[col] = w;
	xsheet_fail(s, worksheet_write_string(s->ws, s->row, (lxw_col_t)col, t, f));
	free(tofree);
}

void xsheet_num(struct xsheet *s, int col, double v, lxw_format *f)
{
	char *txt;

	if (s->skip || s->err || col >= s->ncols)
		return;
	txt = xasprintf("%g", v);
	if (strlen(txt) > s->width[col])
		s->width[col] = strlen(txt);
	free(txt);
	xsheet_fail(s, worksheet_write_number(s->ws, s->row, (lxw_col_t)col, v, f));
}

/* Start a data row; false (and the row's cells are dropped) once the sheet is full, keeping
 * the last row for a note. */
bool xsheet_row(struct xsheet *s)
{
	if (s->row + 2 >= LXW_ROW_MAX) {
		s->skip = true;
		s->dropped++;
		return false;
	}
	s->row++;
	return true;
}

int xsheet_start(lxw_workbook *wb, struct xsheet *s, const char *name,
		       const char *const *headers, int ncols, const struct xsheet_fmt *fmt)
{
	memset(s, 0, sizeof(*s));
	s->ws = workbook_add_worksheet(wb, name);
	if (!s->ws) {
		s->err = LXW_ERROR_MEMORY_MALLOC_FAILED;
		return -1;
	}
	s->ncols = ncols;
	s->width = xcalloc((size_t)ncols, sizeof(*s->width));
	for (int c = 0; c < ncols; c++)
		xsheet_str(s, c, headers[c], fmt->header);
	worksheet_freeze_panes(s->ws, 1, 0);
	/* printed or converted to PDF: A4 landscape, the header row on every page; narrow sheets
	 * one page wide, wider ones over several pages with the first column repeated */
	worksheet_set_landscape(s->ws);
	worksheet_set_paper(s->ws, 9);
	if (ncols <= 8)
		worksheet_fit_to_pages(s->ws, 1, 0);
	else
		xsheet_fail(s, worksheet_repeat_columns(s->ws, 0, 0));
	xsheet_fail(s, worksheet_repeat_rows(s->ws, 0, 0));
	xsheet_fail(s, worksheet_set_footer(s->ws, "&L&A&RPage &P / &N"));
	return s->err ? -1 : 0;
}

/* Note the dropped rows, set the widths and the autofilter, release s. */
lxw_error xsheet_end(struct xsheet *s)
{
	lxw_error e;
	char *note;

	if (s->dropped) {
		s->skip = false;
		s->row++;
		note = xasprintf(_("%zu more rows do not fit in an XLSX sheet"), s->dropped);
		xsheet_str(s, 0, note, NULL);
		free(note);
	}
	for (int c = 0; c < s->ncols && !s->err; c++) {
		size_t w = s->width[c] + 2;

		w = w < WIDTH_MIN ? WIDTH_MIN : w > WIDTH_MAX ? WIDTH_MAX : w;
		xsheet_fail(s, worksheet_set_column(s->ws, (lxw_col_t)c, (lxw_col_t)c, (double)w,
						   NULL));
	}
	if (!s->err && s->ws)
		xsheet_fail(s, worksheet_autofilter(s->ws, 0, 0, s->row,
						   (lxw_col_t)(s->ncols - 1)));
	free(s->width);
	s->width = NULL;
	e = s->err;
	return e;
}

char *xsheet_time(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (!t || !localtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		return xstrdup("-");
	return xstrdup(buf);
}

/* The summary sheet: Rubrique | Élément | Valeur | Détail. */
void xsheet_sum_line(struct xsheet *s, const char *part, const char *what, const char *val,
		     const char *detail, lxw_format *f)
{
	if (!xsheet_row(s))
		return;
	xsheet_str(s, 0, part, NULL);
	xsheet_str(s, 1, what, NULL);
	xsheet_str(s, 2, val, f);
	xsheet_str(s, 3, detail, NULL);
}

void xsheet_sum_count(struct xsheet *s, const char *part, const char *what, double n,
		      const char *detail, const struct xsheet_fmt *fmt)
{
	if (!xsheet_row(s))
		return;
	xsheet_str(s, 0, part, NULL);
	xsheet_str(s, 1, what, NULL);
	/* left-aligned, or the number runs into the detail beside it */
	xsheet_num(s, 2, n, fmt->left);
	xsheet_str(s, 3, detail, NULL);
}

lxw_error xsheet_fmt_add(lxw_workbook *wb, struct xsheet_fmt *fmt)
{
	fmt->header = workbook_add_format(wb);
	fmt->error = workbook_add_format(wb);
	fmt->warning = workbook_add_format(wb);
	fmt->left = workbook_add_format(wb);
	if (!fmt->header || !fmt->error || !fmt->warning || !fmt->left)
		return LXW_ERROR_MEMORY_MALLOC_FAILED;
	format_set_bold(fmt->header);
	format_set_bg_color(fmt->header, FILL_HEADER);
	format_set_bottom(fmt->header, LXW_BORDER_THIN);
	format_set_bg_color(fmt->error, FILL_ERROR);
	format_set_font_color(fmt->error, FONT_ERROR);
	format_set_bg_color(fmt->warning, FILL_WARNING);
	format_set_font_color(fmt->warning, FONT_WARNING);
	format_set_align(fmt->left, LXW_ALIGN_LEFT);
	return LXW_NO_ERROR;
}
