/*
 * report_xlsx.c - the XLSX report an admin reads before importing: a summary sheet, then one
 * sheet per kind of change (creations, updated cells, expiries, renames, ORG connexion
 * accounts) and the findings, the offending value highlighted. Sheet and header texts follow
 * the locale (English msgids, French catalogue). libxlsxwriter runs in constant-memory mode:
 * every sheet is written row by row in order, so 100,000 creations cost a few kilobytes of
 * memory; widths and the autofilter are set when a sheet is complete. The file is written to a
 * temporary name (0600) and renamed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

#include "i18n.h"
#include "map.h"
#include "output.h"
#include "report.h"

#define CELL_BYTES_MAX 32000     /* below the 32,767 characters of a cell, whatever the text */
#define WIDTH_MIN 6
#define WIDTH_MAX 60
#define FILL_ERROR 0xFFC7CE
#define FONT_ERROR 0x9C0006
#define FILL_WARNING 0xFFEB9C
#define FONT_WARNING 0x9C5700
#define FILL_HEADER 0xD9E1F2

/* One sheet being written: rows go strictly downwards (constant-memory mode). */
struct sheet {
	lxw_worksheet *ws;
	lxw_row_t row;           /* current row; 0 is the header */
	int ncols;
	size_t *width;           /* widest text per column, in characters */
	bool skip;               /* the sheet is full: cells of this row are dropped */
	size_t dropped;
	lxw_error err;           /* first error */
};

struct formats {
	lxw_format *header, *error, *warning, *left;
};

static const char *const action_many[ACT_NACTIONS] = {
	[ACT_CREATE] = N_("Creations"),         [ACT_UPDATE] = N_("Updates"),
	[ACT_UNCHANGED] = N_("Unchanged"),      [ACT_EXPIRE] = N_("Expiries"),
	[ACT_REACTIVATE] = N_("Reactivations"), [ACT_RENAME] = N_("Renames"),
	[ACT_SKIPPED] = N_("Skipped"),          [ACT_REJECTED] = N_("Rejections"),
};

/* One item's action, for a cell */
static const char *const action_one[ACT_NACTIONS] = {
	[ACT_CREATE] = N_("creation"),         [ACT_UPDATE] = N_("update"),
	[ACT_UNCHANGED] = N_("unchanged"),     [ACT_EXPIRE] = N_("expiry"),
	[ACT_REACTIVATE] = N_("reactivation"), [ACT_RENAME] = N_("rename"),
	[ACT_SKIPPED] = N_("skipped"),         [ACT_REJECTED] = N_("rejection"),
};

static const char *reason_text(enum expire_reason r)
{
	switch (r) {
	case EXP_GONE:
		return _("left the scope or deleted");
	case EXP_DISABLED:
		return _("disabled in the directory");
	case EXP_END_DATE:
		return _("end date reached");
	default:
		return expire_reason_name(r);
	}
}

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

static void sheet_fail(struct sheet *s, lxw_error e)
{
	if (e && !s->err)
		s->err = e;
}

static void sheet_str(struct sheet *s, int col, const char *v, lxw_format *f)
{
	char *tofree;
	const char *t;
	size_t w;

	if (s->skip || s->err || col >= s->ncols)
		return;
	if (!v || !*v) {
		/* an empty offending value still shows its colour */
		if (f)
			sheet_fail(s, worksheet_write_blank(s->ws, s->row, (lxw_col_t)col, f));
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
	sheet_fail(s, worksheet_write_string(s->ws, s->row, (lxw_col_t)col, t, f));
	free(tofree);
}

static void sheet_num(struct sheet *s, int col, double v, lxw_format *f)
{
	char *txt;

	if (s->skip || s->err || col >= s->ncols)
		return;
	txt = xasprintf("%g", v);
	if (strlen(txt) > s->width[col])
		s->width[col] = strlen(txt);
	free(txt);
	sheet_fail(s, worksheet_write_number(s->ws, s->row, (lxw_col_t)col, v, f));
}

/* Start a data row; false (and the row's cells are dropped) once the sheet is full, keeping
 * the last row for a note. */
static bool sheet_row(struct sheet *s)
{
	if (s->row + 2 >= LXW_ROW_MAX) {
		s->skip = true;
		s->dropped++;
		return false;
	}
	s->row++;
	return true;
}

static int sheet_start(lxw_workbook *wb, struct sheet *s, const char *name,
		       const char *const *headers, int ncols, const struct formats *fmt)
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
		sheet_str(s, c, headers[c], fmt->header);
	worksheet_freeze_panes(s->ws, 1, 0);
	/* printed or converted to PDF: A4 landscape, the header row on every page; narrow sheets
	 * one page wide, wider ones over several pages with the first column repeated */
	worksheet_set_landscape(s->ws);
	worksheet_set_paper(s->ws, 9);
	if (ncols <= 8)
		worksheet_fit_to_pages(s->ws, 1, 0);
	else
		sheet_fail(s, worksheet_repeat_columns(s->ws, 0, 0));
	sheet_fail(s, worksheet_repeat_rows(s->ws, 0, 0));
	sheet_fail(s, worksheet_set_footer(s->ws, "&L&A&RPage &P / &N"));
	return s->err ? -1 : 0;
}

/* Note the dropped rows, set the widths and the autofilter, release s. */
static lxw_error sheet_end(struct sheet *s)
{
	lxw_error e;
	char *note;

	if (s->dropped) {
		s->skip = false;
		s->row++;
		note = xasprintf(_("%zu more rows do not fit in an XLSX sheet"), s->dropped);
		sheet_str(s, 0, note, NULL);
		free(note);
	}
	for (int c = 0; c < s->ncols && !s->err; c++) {
		size_t w = s->width[c] + 2;

		w = w < WIDTH_MIN ? WIDTH_MIN : w > WIDTH_MAX ? WIDTH_MAX : w;
		sheet_fail(s, worksheet_set_column(s->ws, (lxw_col_t)c, (lxw_col_t)c, (double)w,
						   NULL));
	}
	if (!s->err && s->ws)
		sheet_fail(s, worksheet_autofilter(s->ws, 0, 0, s->row,
						   (lxw_col_t)(s->ncols - 1)));
	free(s->width);
	s->width = NULL;
	e = s->err;
	return e;
}

static char *fmt_time(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (!t || !localtime_r(&tt, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		return xstrdup("-");
	return xstrdup(buf);
}

static enum bal_type item_type(const struct plan_item *it)
{
	return it->cur ? it->cur->type : it->prev->type;
}

static const char *item_dn(const struct plan_item *it)
{
	if (it->cur && it->cur->dn)
		return it->cur->dn;
	return it->prev && it->prev->dn ? it->prev->dn : "";
}

/* The summary sheet: Rubrique | Élément | Valeur | Détail. */
static void sum_line(struct sheet *s, const char *part, const char *what, const char *val,
		     const char *detail, lxw_format *f)
{
	if (!sheet_row(s))
		return;
	sheet_str(s, 0, part, NULL);
	sheet_str(s, 1, what, NULL);
	sheet_str(s, 2, val, f);
	sheet_str(s, 3, detail, NULL);
}

static void sum_count(struct sheet *s, const char *part, const char *what, double n,
		      const char *detail, const struct formats *fmt)
{
	if (!sheet_row(s))
		return;
	sheet_str(s, 0, part, NULL);
	sheet_str(s, 1, what, NULL);
	/* left-aligned, or the number runs into the detail beside it */
	sheet_num(s, 2, n, fmt->left);
	sheet_str(s, 3, detail, NULL);
}

static void sum_run(struct sheet *s, const struct run *r, const struct formats *fmt)
{
	char *a = fmt_time(r->started), *b = fmt_time(r->finished), *d;
	const char *run = _("Run");
	long long t0 = r->clock_started ? r->clock_started : r->started;
	long long secs = r->finished >= t0 ? r->finished - t0 : 0;

	sum_line(s, run, _("Command"), r->o && r->o->apply ? "apply" : "plan",
		 r->o && r->o->apply ? _("apply: files written, state updated") :
		 _("dry run: nothing is written or changed"), NULL);
	sum_line(s, run, _("Start"), a, NULL, NULL);
	sum_line(s, run, _("End"), b, NULL, NULL);
	d = secs < 60 ? xasprintf("%lld s", secs) :
		xasprintf("%lld min %02lld s", secs / 60, secs % 60);
	sum_line(s, run, _("Duration"), d, NULL, NULL);
	sum_line(s, run, _("Configuration file"), r->c && r->c->path ? r->c->path : "-", NULL,
		 NULL);
	sum_count(s, run, _("Exit code"), r->exit_code, NULL, fmt);
	free(a);
	free(b);
	free(d);
	for (size_t i = 0; i < r->col.nsrc; i++) {
		const struct collect_source *src = &r->col.src[i];
		const struct conf_directory *dir = src->d;
		char *part = xasprintf(_("Directory \"%s\""), dir && dir->name ? dir->name : "?");

		if (dir && dir->ldif)
			sum_line(s, part, _("LDIF file"), dir->ldif, NULL, NULL);
		else
			sum_line(s, part, _("Server"), dir && dir->uri ? dir->uri : "-", NULL,
				 NULL);
		sum_count(s, part, _("People read"), (double)src->people, NULL, fmt);
		sum_count(s, part, _("Groups read"), (double)src->groups, NULL, fmt);
		sum_count(s, part, _("ORG mailboxes"), (double)src->orgs, NULL, fmt);
		sum_count(s, part, _("Searches"), (double)src->searches, NULL, fmt);
		free(part);
	}
}

static void sum_counts(struct sheet *s, const struct run *r, const struct formats *fmt)
{
	struct strbuf sb = { 0 };

	for (int a = 0; a < ACT_NACTIONS; a++) {
		sb.len = 0;
		for (int t = 0; t < BAL_NTYPES; t++)
			sb_addf(&sb, "%s%s %zu", t ? ", " : "", bal_type_name((enum bal_type)t),
				r->plan.count_type[a][t]);
		sum_count(s, _("Actions"), _(action_many[a]), (double)r->plan.count[a], sb.buf,
			  fmt);
	}
	sb_free(&sb);
}

static const char *const limit_text[LIMIT_N] = {
	[LIMIT_EMPTY_SOURCE] = N_("Empty source"),
	[LIMIT_EXPIRE_COUNT] = N_("Number of expiries"),
	[LIMIT_EXPIRE_PERCENT] = N_("Share of the managed accounts to expire"),
	[LIMIT_ORG_LOSS] = N_("Connexion accounts removed from an ORG mailbox"),
};

static void sum_limits(struct sheet *s, const struct run *r, const struct formats *fmt)
{
	const struct plan *p = &r->plan;
	bool force = r->o && r->o->override_limits;
	const char *part = _("Safety limits");

	for (int i = 0; i < LIMIT_N; i++) {
		const struct plan_limit *l = &p->limit[i];
		const char *state = !l->tripped ? _("respected") : force ? _("tripped, forced") :
			_("TRIPPED");
		char *d;

		if (i == LIMIT_EMPTY_SOURCE)
			d = xasprintf(_("%.0f accounts read, %zu active accounts in the state"),
				      l->value, p->managed);
		else if (i == LIMIT_EXPIRE_COUNT)
			d = l->max < 0 ? xasprintf(_("%.0f (no limit)"), l->value) :
				xasprintf(_("%.0f (maximum %.0f)"), l->value, l->max);
		else
			d = l->max < 0 ? xasprintf(_("%.1f %% (no limit)"), l->value) :
				xasprintf(_("%.1f %% (maximum %.1f %%)"), l->value, l->max);
		/* the other details repeat the figures */
		if (i == LIMIT_ORG_LOSS && l->detail) {
			char *t = xasprintf(_("%s: %s"), d, l->detail);

			free(d);
			d = t;
		}
		sum_line(s, part, _(limit_text[i]), state, d,
			 l->tripped ? (force ? fmt->warning : fmt->error) : NULL);
		free(d);
	}
	sum_line(s, part, _("Outcome"),
		 p->limits_tripped ? _("limit tripped: no file written") :
		 _("no blocking limit"), NULL, p->limits_tripped ? fmt->error : NULL);
}

/* Rule ids of the errors, most frequent first. */
struct rule_count {
	const char *rule;
	size_t n;
};

static int rule_cmp(const void *pa, const void *pb)
{
	const struct rule_count *a = pa, *b = pb;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	return strcmp(a->rule, b->rule);
}

static void sum_findings(struct sheet *s, const struct run *r, const struct formats *fmt)
{
	struct rule_count *rc = NULL;
	size_t nrc = 0, cap = 0, j;
	char *e = xasprintf(_("sheet \"%s\""), _("Rejections"));
	char *w = xasprintf(_("sheet \"%s\""), _("Warnings"));

	sum_count(s, _("Checks"), _("Errors (rejected entries)"),
		  (double)findings_count(&r->col.f, SEV_ERROR), e, fmt);
	sum_count(s, _("Checks"), _("Warnings"), (double)findings_count(&r->col.f, SEV_WARNING), w,
		  fmt);
	free(e);
	free(w);
	for (size_t i = 0; i < r->col.f.n; i++) {
		const char *rule = r->col.f.v[i].rule ? r->col.f.v[i].rule : "-";

		if (r->col.f.v[i].sev != SEV_ERROR)
			continue;
		for (j = 0; j < nrc && strcmp(rc[j].rule, rule); j++)
			;
		if (j == nrc) {
			xgrow(&rc, &cap, nrc + 1, sizeof(*rc));
			rc[nrc].rule = rule;
			rc[nrc++].n = 0;
		}
		rc[j].n++;
	}
	if (nrc)
		qsort(rc, nrc, sizeof(*rc), rule_cmp);
	for (j = 0; j < nrc; j++)
		sum_count(s, _("Rejection reasons"), rc[j].rule, (double)rc[j].n, NULL, fmt);
	free(rc);
}

static void sum_files(struct sheet *s, const struct run *r)
{
	const char *what = r->o && r->o->apply ? _("Written") : _("Would be written");
	const char *part = _("Files");
	char *n;

	if (r->planned && r->plan.limits_tripped) {
		sum_line(s, part, _("None"), _("nothing is written: a safety limit tripped"),
			 NULL, NULL);
	} else if (r->nothing_to_do) {
		sum_line(s, part, _("None"), _("nothing to do"), NULL, NULL);
	} else if (r->planned && !(r->o && r->o->apply)) {
		n = xasprintf(ngettext("a loadusers file with %zu row",
				       "a loadusers file with %zu rows", r->nrows), r->nrows);
		sum_line(s, part, what, n, NULL, NULL);
		free(n);
	}
	for (size_t i = 0; i < r->nfiles; i++)
		sum_line(s, part, what, r->files[i], NULL, NULL);
}

static lxw_error write_summary(lxw_workbook *wb, const struct run *r, const struct formats *fmt)
{
	const char *const hdr[] = { _("Section"), _("Item"), _("Value"), _("Detail") };
	struct sheet s;

	if (sheet_start(wb, &s, _("Summary"), hdr, ARRAY_SIZE(hdr), fmt) == 0) {
		sum_run(&s, r, fmt);
		if (r->planned) {
			sum_counts(&s, r, fmt);
			sum_limits(&s, r, fmt);
		} else {
			sum_line(&s, _("Plan"), _("Not established"),
				 _("the run failed before the comparison with the state"), NULL,
				 fmt->error);
		}
		sum_findings(&s, r, fmt);
		sum_files(&s, r);
	}
	return sheet_end(&s);
}

/* Creations: who gets a mailbox, in a few columns; the full rows are in the loadusers file. */
static const enum col creation_cols[] = {
	COL_MAIL, COL_TYPE_BAL, COL_NOM, COL_PRENOM, COL_RPPS, COL_ADELI, COL_PROFESSION,
};

static lxw_error write_creations(lxw_workbook *wb, const struct run *r, const struct formats *fmt)
{
	const int ncols = ARRAY_SIZE(creation_cols);
	const char *hdr[ARRAY_SIZE(creation_cols) + 1];
	struct sheet s;

	for (int c = 0; c < ncols; c++)
		hdr[c] = columns[creation_cols[c]].header;
	hdr[ncols] = "DN";
	if (sheet_start(wb, &s, _("Creations"), hdr, ncols + 1, fmt) < 0)
		goto out;
	for (size_t i = 0; r->planned && i < r->plan.n; i++) {
		const struct plan_item *it = &r->plan.items[i];
		const struct row *row = plan_item_row(it);

		if (it->act != ACT_CREATE || !sheet_row(&s))
			continue;
		for (int c = 0; c < ncols; c++)
			sheet_str(&s, c, row_get(row, creation_cols[c]), NULL);
		sheet_str(&s, ncols, item_dn(it), NULL);
	}
out:
	return sheet_end(&s);
}

/* Updates: one line per changed cell. */
static lxw_error write_updates(lxw_workbook *wb, const struct run *r, const struct formats *fmt)
{
	const char *const hdr[] = {
		_("Mail address"), "DN", _("Action"), _("Column"), _("Old value"), _("New value"),
	};
	struct sheet s;

	if (sheet_start(wb, &s, _("Updates"), hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; r->planned && i < r->plan.n; i++) {
		const struct plan_item *it = &r->plan.items[i];
		const char *act = _(action_one[it->act]);
		bool any = false;

		if (it->act != ACT_UPDATE && it->act != ACT_REACTIVATE)
			continue;
		for (int c = 0; c < NCOLS || !any; c++) {
			/* a reactivation that changes no cell still gets its line */
			if (c < NCOLS && !(it->changed & (1ULL << c)))
				continue;
			any = true;
			if (!sheet_row(&s))
				break;
			sheet_str(&s, 0, row_get(plan_item_row(it), COL_MAIL), NULL);
			sheet_str(&s, 1, item_dn(it), NULL);
			sheet_str(&s, 2, act, NULL);
			if (c >= NCOLS)
				break;
			sheet_str(&s, 3, columns[c].header, NULL);
			sheet_str(&s, 4, it->prev ? row_get(&it->prev->row, (enum col)c) : NULL,
				  NULL);
			sheet_str(&s, 5, row_get(plan_item_row(it), (enum col)c), NULL);
		}
	}
out:
	return sheet_end(&s);
}

/* The leavers: expiries (a row is written with its Date de péremption), or people skipped
 * (disabled or past their end date, never written: no mailbox, and the admin sees why). */
static lxw_error write_leavers(lxw_workbook *wb, const struct run *r, const struct formats *fmt,
			       enum action act)
{
	const char *const hdr[] = {
		_("Mail address"), _("BAL type"), "DN", _("Reason"),
		act == ACT_EXPIRE ? _("Expiry date") : _("End date"),
	};
	struct sheet s;

	if (sheet_start(wb, &s, _(action_many[act]), hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; r->planned && i < r->plan.n; i++) {
		const struct plan_item *it = &r->plan.items[i];
		char *end = NULL;

		if (it->act != act || !sheet_row(&s))
			continue;
		sheet_str(&s, 0, row_get(act == ACT_EXPIRE ? plan_item_row(it) : &it->cur->row,
					 COL_MAIL), NULL);
		sheet_str(&s, 1, bal_type_name(item_type(it)), NULL);
		sheet_str(&s, 2, item_dn(it), NULL);
		sheet_str(&s, 3, reason_text(it->reason), NULL);
		if (act == ACT_EXPIRE)
			sheet_str(&s, 4, it->expire_date, NULL);
		else if (it->cur->end_time)
			sheet_str(&s, 4, (end = plan_date(it->cur->end_time)), NULL);
		free(end);
	}
out:
	return sheet_end(&s);
}

static lxw_error write_renames(lxw_workbook *wb, const struct run *r, const struct formats *fmt)
{
	const char *const hdr[] = {
		_("Old address"), _("New address"), "DN", _("BAL type"),
		_("Expiry of the old address"),
	};
	struct sheet s;

	if (sheet_start(wb, &s, _("Renames"), hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; r->planned && i < r->plan.n; i++) {
		const struct plan_item *it = &r->plan.items[i];

		if (it->act != ACT_RENAME || !sheet_row(&s))
			continue;
		sheet_str(&s, 0, it->prev ? row_get(&it->prev->row, COL_MAIL) : NULL, NULL);
		sheet_str(&s, 1, row_get(plan_item_row(it), COL_MAIL), NULL);
		sheet_str(&s, 2, item_dn(it), NULL);
		sheet_str(&s, 3, bal_type_name(item_type(it)), NULL);
		sheet_str(&s, 4, it->expire_date, NULL);
	}
out:
	return sheet_end(&s);
}

/* Rejections or Warnings: one line per finding, the value cell coloured. */
static lxw_error write_findings(lxw_workbook *wb, const struct run *r, const struct formats *fmt,
				enum severity sev, struct hmap *by_dn)
{
	const char *const hdr[] = {
		_("Entry (DN)"), _("Mail address"), _("Column"), _("Rule"), _("Value"),
		_("Explanation"),
	};
	const char *name = sev == SEV_ERROR ? _("Rejections") : _("Warnings");
	lxw_format *hl = sev == SEV_ERROR ? fmt->error : fmt->warning;
	struct sheet s;

	if (sheet_start(wb, &s, name, hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; i < r->col.f.n; i++) {
		const struct finding *x = &r->col.f.v[i];
		const struct account *a = x->where ? hmap_get(by_dn, x->where) : NULL;

		if (x->sev != sev || !sheet_row(&s))
			continue;
		sheet_str(&s, 0, x->where, NULL);
		sheet_str(&s, 1, a ? row_get(&a->row, COL_MAIL) : NULL, NULL);
		sheet_str(&s, 2, x->col >= 0 && x->col < NCOLS ? columns[x->col].header : "-",
			  NULL);
		sheet_str(&s, 3, x->rule, NULL);
		sheet_str(&s, 4, x->value, hl);
		sheet_str(&s, 5, x->message, NULL);
	}
out:
	return sheet_end(&s);
}

/* Items of list a (";"-separated) absent from list b, joined with "; ". *n counts a. */
static char *list_minus(const char *a, const char *b, size_t *n)
{
	char *ca = xstrdup(a), *cb = xstrdup(b), *save = NULL, *tok;
	struct hmap *in_b = hmap_new(true);
	struct strbuf sb = { 0 };

	*n = 0;
	for (tok = strtok_r(cb, ";", &save); tok; tok = strtok_r(NULL, ";", &save))
		hmap_put(in_b, tok, tok);
	for (tok = strtok_r(ca, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		(*n)++;
		if (!hmap_get(in_b, tok))
			sb_addf(&sb, "%s%s", sb.len ? "; " : "", tok);
	}
	hmap_free(in_b);
	free(ca);
	free(cb);
	return sb_steal(&sb);
}

static lxw_error write_orgs(lxw_workbook *wb, const struct run *r, const struct formats *fmt)
{
	const char *const hdr[] = {
		_("Mail address"), _("Action"), _("Accounts added"), _("Accounts removed"),
		_("Count before"), _("Count after"),
	};
	struct sheet s;

	if (sheet_start(wb, &s, "ORG", hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; r->planned && i < r->plan.n; i++) {
		const struct plan_item *it = &r->plan.items[i];
		const char *old, *new;
		char *added, *removed;
		size_t nold, nnew;

		if (item_type(it) != BAL_ORG || (it->act != ACT_CREATE && it->act != ACT_UPDATE &&
		    it->act != ACT_REACTIVATE && it->act != ACT_RENAME))
			continue;
		old = it->prev ? row_get(&it->prev->row, COL_CONNEXION) : "";
		new = row_get(plan_item_row(it), COL_CONNEXION);
		added = list_minus(new, old, &nnew);
		removed = list_minus(old, new, &nold);
		if ((it->act == ACT_CREATE || *added || *removed) && sheet_row(&s)) {
			sheet_str(&s, 0, row_get(plan_item_row(it), COL_MAIL), NULL);
			sheet_str(&s, 1, _(action_one[it->act]), NULL);
			sheet_str(&s, 2, added, NULL);
			sheet_str(&s, 3, removed, NULL);
			sheet_num(&s, 4, (double)nold, NULL);
			sheet_num(&s, 5, (double)nnew, NULL);
		}
		free(added);
		free(removed);
	}
out:
	return sheet_end(&s);
}

/* Every column: rows of each type with a value and without; a required column left empty
 * is highlighted. */
static lxw_error write_coverage(lxw_workbook *wb, const struct run *r, const struct formats *fmt)
{
	const char *const hdr[] = {
		_("Column"), _("PER filled"), _("PER empty"), _("INT filled"), _("INT empty"),
		_("ORG filled"), _("ORG empty"), _("MED filled"), _("MED empty"),
	};
	struct sheet s;

	if (sheet_start(wb, &s, _("Coverage"), hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (int c = 0; r->col.stats && c < NCOLS; c++) {
		if (!sheet_row(&s))
			continue;
		sheet_str(&s, 0, columns[c].header, NULL);
		for (int t = 0; t < BAL_NTYPES; t++) {
			size_t filled, empty;
			enum req q = column_req(c, (enum bal_type)t);

			map_stats_coverage(r->col.stats, (enum bal_type)t, c, &filled, &empty);
			if (filled + empty == 0)
				continue;
			sheet_num(&s, 1 + 2 * t, (double)filled, NULL);
			sheet_num(&s, 2 + 2 * t, (double)empty,
				  empty && (q == REQ_O || q == REQ_OSC) ? fmt->warning : NULL);
		}
	}
out:
	return sheet_end(&s);
}

/* The values that matched no key of their table, most frequent first. */
static lxw_error write_unmatched(lxw_workbook *wb, const struct run *r, const struct formats *fmt)
{
	const char *const hdr[] = { _("Table"), _("Value"), _("Entries"), _("Example DN") };
	struct map_unmatched *u = NULL;
	size_t n = r->col.stats ? map_stats_unmatched(r->col.stats, &u) : 0;
	struct sheet s;

	if (sheet_start(wb, &s, _("Unmatched values"), hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!sheet_row(&s))
			continue;
		sheet_str(&s, 0, u[i].table, NULL);
		sheet_str(&s, 1, u[i].value, fmt->warning);
		sheet_num(&s, 2, (double)u[i].count, NULL);
		sheet_str(&s, 3, u[i].example, NULL);
	}
out:
	free(u);
	return sheet_end(&s);
}

static lxw_error add_formats(lxw_workbook *wb, struct formats *fmt)
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

static lxw_error write_sheets(lxw_workbook *wb, const struct run *r)
{
	struct formats fmt;
	struct hmap *by_dn = hmap_new(true);
	lxw_error e;

	for (size_t i = 0; i < r->col.nacc; i++)
		if (r->col.acc[i].dn)
			hmap_put(by_dn, r->col.acc[i].dn, (void *)&r->col.acc[i]);
	e = add_formats(wb, &fmt);
	if (!e)
		e = write_summary(wb, r, &fmt);
	if (!e)
		e = write_creations(wb, r, &fmt);
	if (!e)
		e = write_updates(wb, r, &fmt);
	if (!e)
		e = write_leavers(wb, r, &fmt, ACT_EXPIRE);
	if (!e)
		e = write_leavers(wb, r, &fmt, ACT_SKIPPED);
	if (!e)
		e = write_renames(wb, r, &fmt);
	if (!e)
		e = write_findings(wb, r, &fmt, SEV_ERROR, by_dn);
	if (!e)
		e = write_findings(wb, r, &fmt, SEV_WARNING, by_dn);
	if (!e)
		e = write_orgs(wb, r, &fmt);
	if (!e)
		e = write_unmatched(wb, r, &fmt);
	if (!e)
		e = write_coverage(wb, r, &fmt);
	hmap_free(by_dn);
	return e;
}

static lxw_error fill_report(lxw_workbook *wb, void *arg)
{
	return write_sheets(wb, arg);
}

int report_xlsx_write(const struct run *r, const char *path, char **err)
{
	return xlsx_write_atomic(path, _("medimail-sync report"), fill_report, (void *)r, err);
}
