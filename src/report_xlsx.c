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
#include "national.h"
#include "output.h"
#include "report.h"
#include "xsheet.h"

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

static void sum_run(struct xsheet *s, const struct run *r, const struct xsheet_fmt *fmt)
{
	char *a = xsheet_time(r->started), *b = xsheet_time(r->finished), *d;
	const char *run = _("Run");
	long long t0 = r->clock_started ? r->clock_started : r->started;
	long long secs = r->finished >= t0 ? r->finished - t0 : 0;

	xsheet_sum_line(s, run, _("Command"), r->o && r->o->apply ? "apply" : "plan",
		 r->o && r->o->apply ? _("apply: files written, state updated") :
		 _("dry run: nothing is written or changed"), NULL);
	xsheet_sum_line(s, run, _("Start"), a, NULL, NULL);
	xsheet_sum_line(s, run, _("End"), b, NULL, NULL);
	d = secs < 60 ? xasprintf("%lld s", secs) :
		xasprintf("%lld min %02lld s", secs / 60, secs % 60);
	xsheet_sum_line(s, run, _("Duration"), d, NULL, NULL);
	xsheet_sum_line(s, run, _("Configuration file"), r->c && r->c->path ? r->c->path : "-", NULL,
		 NULL);
	xsheet_sum_count(s, run, _("Exit code"), r->exit_code, NULL, fmt);
	free(a);
	free(b);
	free(d);
	for (size_t i = 0; i < r->col.nsrc; i++) {
		const struct collect_source *src = &r->col.src[i];
		const struct conf_directory *dir = src->d;
		char *part = xasprintf(_("Directory \"%s\""), dir && dir->name ? dir->name : "?");

		if (dir && dir->ldif)
			xsheet_sum_line(s, part, _("LDIF file"), dir->ldif, NULL, NULL);
		else
			xsheet_sum_line(s, part, _("Server"), dir && dir->uri ? dir->uri : "-", NULL,
				 NULL);
		xsheet_sum_count(s, part, _("People read"), (double)src->people, NULL, fmt);
		xsheet_sum_count(s, part, _("Groups read"), (double)src->groups, NULL, fmt);
		xsheet_sum_count(s, part, _("ORG mailboxes"), (double)src->orgs, NULL, fmt);
		xsheet_sum_count(s, part, _("Searches"), (double)src->searches, NULL, fmt);
		free(part);
	}
}

static void sum_counts(struct xsheet *s, const struct run *r, const struct xsheet_fmt *fmt)
{
	struct strbuf sb = { 0 };

	for (int a = 0; a < ACT_NACTIONS; a++) {
		sb.len = 0;
		for (int t = 0; t < BAL_NTYPES; t++)
			sb_addf(&sb, "%s%s %zu", t ? ", " : "", bal_type_name((enum bal_type)t),
				r->plan.count_type[a][t]);
		xsheet_sum_count(s, _("Actions"), _(action_many[a]), (double)r->plan.count[a], sb.buf,
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

static void sum_limits(struct xsheet *s, const struct run *r, const struct xsheet_fmt *fmt)
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
		xsheet_sum_line(s, part, _(limit_text[i]), state, d,
			 l->tripped ? (force ? fmt->warning : fmt->error) : NULL);
		free(d);
	}
	xsheet_sum_line(s, part, _("Outcome"),
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

static void sum_findings(struct xsheet *s, const struct run *r, const struct xsheet_fmt *fmt)
{
	struct rule_count *rc = NULL;
	size_t nrc = 0, cap = 0, j;
	char *e = xasprintf(_("sheet \"%s\""), _("Rejections"));
	char *w = xasprintf(_("sheet \"%s\""), _("Warnings"));

	xsheet_sum_count(s, _("Checks"), _("Errors (rejected entries)"),
		  (double)findings_count(&r->f, SEV_ERROR), e, fmt);
	xsheet_sum_count(s, _("Checks"), _("Warnings"), (double)findings_count(&r->f, SEV_WARNING), w,
		  fmt);
	free(e);
	free(w);
	for (size_t i = 0; i < r->f.n; i++) {
		const char *rule = r->f.v[i].rule ? r->f.v[i].rule : "-";

		if (r->f.v[i].sev != SEV_ERROR)
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
		xsheet_sum_count(s, _("Rejection reasons"), rc[j].rule, (double)rc[j].n, NULL, fmt);
	free(rc);
}

static void sum_files(struct xsheet *s, const struct run *r)
{
	const char *what = r->o && r->o->apply ? _("Written") : _("Would be written");
	const char *part = _("Files");
	char *n;

	if (r->planned && r->plan.limits_tripped) {
		xsheet_sum_line(s, part, _("None"), _("nothing is written: a safety limit tripped"),
			 NULL, NULL);
	} else if (r->nothing_to_do) {
		xsheet_sum_line(s, part, _("None"), _("nothing to do"), NULL, NULL);
	} else if (r->planned && !(r->o && r->o->apply)) {
		n = xasprintf(ngettext("a loadusers file with %zu row",
				       "a loadusers file with %zu rows", r->nrows), r->nrows);
		xsheet_sum_line(s, part, what, n, NULL, NULL);
		free(n);
	}
	for (size_t i = 0; i < r->nfiles; i++)
		xsheet_sum_line(s, part, what, r->files[i], NULL, NULL);
}

/* The national directory: the extract read, what it said about the rows, MSSanté. */
static void sum_national(struct xsheet *s, const struct run *r, const struct xsheet_fmt *fmt)
{
	const struct collect_national *n = &r->col.national;
	const char *part = _("National directory");
	const struct nat_info *in;
	char *d;

	if (!n->db)
		return;
	in = nat_info(n->db);
	xsheet_sum_line(s, part, _("Extract"), in->extract, NULL, NULL);
	if (in->mssante)
		xsheet_sum_line(s, part, _("MSSanté extract"), in->mssante, NULL, NULL);
	xsheet_sum_line(s, part, _("Index"), in->index, in->rebuilt ? in->rebuilt : _("up to date"),
		 NULL);
	xsheet_sum_count(s, part, _("Rows checked"), (double)n->checked,
		  _("an RPPS or ADELI looked up"), fmt);
	xsheet_sum_count(s, part, _("Number not in the extract"), (double)n->absent,
		  "national-rpps-absent, national-adeli-absent", fmt);
	xsheet_sum_count(s, part, _("Names of another holder"), (double)n->name, "national-name", fmt);
	xsheet_sum_count(s, part, _("Another profession"), (double)n->profession,
		  "national-profession", fmt);
	d = xasprintf(_("%zu addresses, %zu in the establishment's domains: sheet \"%s\""),
		      n->mssante_addresses, n->mssante_own, "MSSanté");
	xsheet_sum_count(s, part, _("Professionals with MSSanté addresses"), (double)n->mssante_people,
		  d, fmt);
	free(d);
}

static lxw_error write_summary(lxw_workbook *wb, const struct run *r, const struct xsheet_fmt *fmt)
{
	const char *const hdr[] = { _("Section"), _("Item"), _("Value"), _("Detail") };
	struct xsheet s;

	if (xsheet_start(wb, &s, _("Summary"), hdr, ARRAY_SIZE(hdr), fmt) == 0) {
		sum_run(&s, r, fmt);
		if (r->planned) {
			sum_counts(&s, r, fmt);
			sum_limits(&s, r, fmt);
		} else {
			xsheet_sum_line(&s, _("Plan"), _("Not established"),
				 _("the run failed before the comparison with the state"), NULL,
				 fmt->error);
		}
		sum_findings(&s, r, fmt);
		sum_national(&s, r, fmt);
		sum_files(&s, r);
	}
	return xsheet_end(&s);
}

/* Creations: who gets a mailbox, in a few columns; the full rows are in the loadusers file. */
static const enum col creation_cols[] = {
	COL_MAIL, COL_TYPE_BAL, COL_NOM, COL_PRENOM, COL_RPPS, COL_ADELI, COL_PROFESSION,
};

/* With the national directory, its record beside the row where it tells something: the
 * nom and prénom d'exercice when they are not the row's (case, accents and separators aside),
 * the first profession when it is not the row's. Most cells stay empty: the sheet costs little
 * more. */
#define NATIONAL_COLS 3

static void national_headers(const char **hdr)
{
	hdr[0] = _("Nom d'exercice, when another");
	hdr[1] = _("Prénom d'exercice, when another");
	hdr[2] = _("National directory's profession, when another");
}

/* Whether a list cell holds code c in one of the forms value-form writes. */
static bool cell_is_code(const char *cell, const struct nat_code *c)
{
	size_t n = strlen(c->code);

	return strcmp(cell, c->label) == 0 || (n && strcmp(cell, c->code) == 0) ||
	       (n && strncmp(cell, c->code, n) == 0 && strncmp(cell + n, " - ", 3) == 0 &&
		strcmp(cell + n + 3, c->label) == 0);
}

/* Whether a name of the row is the record's (raw, or folded alike). */
static bool same_name(const char *cell, const char *raw, const char *fold)
{
	return strcmp(cell, raw) == 0 || utf8_fold_eq(cell, fold);
}

static void national_cells(struct xsheet *s, int col, const struct account *a)
{
	const struct nat_person *p = a ? a->national : NULL;
	const struct nat_code *prof;

	if (!p || !p->in_extract)
		return;
	if (!same_name(row_get(&a->row, COL_NOM), p->nom, p->nom_fold))
		xsheet_str(s, col, p->nom, NULL);
	if (!same_name(row_get(&a->row, COL_PRENOM), p->prenom, p->prenom_fold))
		xsheet_str(s, col + 1, p->prenom, NULL);
	prof = p->nprofessions > 0 ? &p->professions[0].profession : NULL;
	if (prof && !cell_is_code(row_get(&a->row, COL_PROFESSION), prof))
		xsheet_str(s, col + 2, prof->label, NULL);
}

static lxw_error write_creations(lxw_workbook *wb, const struct run *r,
				 const struct xsheet_fmt *fmt)
{
	const int ncols = ARRAY_SIZE(creation_cols);
	const int nat = r->col.national.db ? NATIONAL_COLS : 0;
	const char *hdr[ARRAY_SIZE(creation_cols) + 1 + NATIONAL_COLS];
	struct xsheet s;

	for (int c = 0; c < ncols; c++)
		hdr[c] = columns[creation_cols[c]].header;
	hdr[ncols] = "DN";
	if (nat)
		national_headers(hdr + ncols + 1);
	if (xsheet_start(wb, &s, _("Creations"), hdr, ncols + 1 + nat, fmt) < 0)
		goto out;
	for (size_t i = 0; r->planned && i < r->plan.n; i++) {
		const struct plan_item *it = &r->plan.items[i];
		const struct row *row = plan_item_row(it);

		if (it->act != ACT_CREATE || !xsheet_row(&s))
			continue;
		for (int c = 0; c < ncols; c++)
			xsheet_str(&s, c, row_get(row, creation_cols[c]), NULL);
		xsheet_str(&s, ncols, item_dn(it), NULL);
		if (nat)
			national_cells(&s, ncols + 1, it->cur);
	}
out:
	return xsheet_end(&s);
}

/* The professionals who already have MSSanté addresses, with any operator: one line per
 * address (the accounts collect_national counts). */
static lxw_error write_mssante(lxw_workbook *wb, const struct run *r,
			       const struct xsheet_fmt *fmt)
{
	const char *const hdr[] = {
		_("Mail address"), _("MSSanté address"), _("Establishment's domain"),
	};
	const struct conf_national *cn = r->c ? r->c->national : NULL;
	struct xsheet s;

	if (!r->col.national.db)
		return LXW_NO_ERROR;
	if (xsheet_start(wb, &s, "MSSanté", hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; i < r->col.nacc; i++) {
		const struct account *a = &r->col.acc[i];
		const struct nat_person *p = a->national;

		if (a->rejected || !p || (a->type != BAL_PER && a->type != BAL_INT))
			continue;
		for (size_t k = 0; k < p->nmssante && xsheet_row(&s); k++) {
			const char *addr = p->mssante[k].address;
			bool own = cn && nat_in_domains(addr, cn->mssante_domains,
							 cn->nmssante_domains);

			xsheet_str(&s, 0, row_get(&a->row, COL_MAIL), NULL);
			xsheet_str(&s, 1, addr, NULL);
			xsheet_str(&s, 2, own ? _("yes") : _("no"), NULL);
		}
	}
out:
	return xsheet_end(&s);
}

/* Updates: one line per changed cell. */
static lxw_error write_updates(lxw_workbook *wb, const struct run *r, const struct xsheet_fmt *fmt)
{
	const char *const hdr[] = {
		_("Mail address"), "DN", _("Action"), _("Column"), _("Old value"), _("New value"),
	};
	struct xsheet s;

	if (xsheet_start(wb, &s, _("Updates"), hdr, ARRAY_SIZE(hdr), fmt) < 0)
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
			if (!xsheet_row(&s))
				break;
			xsheet_str(&s, 0, row_get(plan_item_row(it), COL_MAIL), NULL);
			xsheet_str(&s, 1, item_dn(it), NULL);
			xsheet_str(&s, 2, act, NULL);
			if (c >= NCOLS)
				break;
			xsheet_str(&s, 3, columns[c].header, NULL);
			xsheet_str(&s, 4, it->prev ? row_get(&it->prev->row, (enum col)c) : NULL,
				  NULL);
			xsheet_str(&s, 5, row_get(plan_item_row(it), (enum col)c), NULL);
		}
	}
out:
	return xsheet_end(&s);
}

/* The leavers: expiries (a row is written with its Date de péremption), or people skipped
 * (disabled or past their end date, never written: no mailbox, and the admin sees why). */
static lxw_error write_leavers(lxw_workbook *wb, const struct run *r, const struct xsheet_fmt *fmt,
			       enum action act)
{
	const char *const hdr[] = {
		_("Mail address"), _("BAL type"), "DN", _("Reason"),
		act == ACT_EXPIRE ? _("Expiry date") : _("End date"),
	};
	struct xsheet s;

	if (xsheet_start(wb, &s, _(action_many[act]), hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; r->planned && i < r->plan.n; i++) {
		const struct plan_item *it = &r->plan.items[i];
		char *end = NULL;

		if (it->act != act || !xsheet_row(&s))
			continue;
		xsheet_str(&s, 0, row_get(act == ACT_EXPIRE ? plan_item_row(it) : &it->cur->row,
					 COL_MAIL), NULL);
		xsheet_str(&s, 1, bal_type_name(item_type(it)), NULL);
		xsheet_str(&s, 2, item_dn(it), NULL);
		xsheet_str(&s, 3, reason_text(it->reason), NULL);
		if (act == ACT_EXPIRE)
			xsheet_str(&s, 4, it->expire_date, NULL);
		else if (it->cur->end_time)
			xsheet_str(&s, 4, (end = plan_date(it->cur->end_time)), NULL);
		free(end);
	}
out:
	return xsheet_end(&s);
}

static lxw_error write_renames(lxw_workbook *wb, const struct run *r, const struct xsheet_fmt *fmt)
{
	const char *const hdr[] = {
		_("Old address"), _("New address"), "DN", _("BAL type"),
		_("Expiry of the old address"),
	};
	struct xsheet s;

	if (xsheet_start(wb, &s, _("Renames"), hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; r->planned && i < r->plan.n; i++) {
		const struct plan_item *it = &r->plan.items[i];

		if (it->act != ACT_RENAME || !xsheet_row(&s))
			continue;
		xsheet_str(&s, 0, it->prev ? row_get(&it->prev->row, COL_MAIL) : NULL, NULL);
		xsheet_str(&s, 1, row_get(plan_item_row(it), COL_MAIL), NULL);
		xsheet_str(&s, 2, item_dn(it), NULL);
		xsheet_str(&s, 3, bal_type_name(item_type(it)), NULL);
		xsheet_str(&s, 4, it->expire_date, NULL);
	}
out:
	return xsheet_end(&s);
}

/* Rejections or Warnings: one line per finding, the value cell coloured. */
static lxw_error write_findings(lxw_workbook *wb, const struct run *r,
				const struct xsheet_fmt *fmt, enum severity sev, struct hmap *by_dn)
{
	const char *const hdr[] = {
		_("Entry (DN)"), _("Mail address"), _("Column"), _("Rule"), _("Value"),
		_("Explanation"),
	};
	const char *name = sev == SEV_ERROR ? _("Rejections") : _("Warnings");
	lxw_format *hl = sev == SEV_ERROR ? fmt->error : fmt->warning;
	struct xsheet s;

	if (xsheet_start(wb, &s, name, hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; i < r->f.n; i++) {
		const struct finding *x = &r->f.v[i];
		const struct account *a = x->where ? hmap_get(by_dn, x->where) : NULL;

		if (x->sev != sev || !xsheet_row(&s))
			continue;
		xsheet_str(&s, 0, x->where, NULL);
		xsheet_str(&s, 1, a ? row_get(&a->row, COL_MAIL) : NULL, NULL);
		xsheet_str(&s, 2, x->col >= 0 && x->col < NCOLS ? columns[x->col].header : "-",
			  NULL);
		xsheet_str(&s, 3, x->rule, NULL);
		xsheet_str(&s, 4, x->value, hl);
		xsheet_str(&s, 5, x->message, NULL);
	}
out:
	return xsheet_end(&s);
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

static lxw_error write_orgs(lxw_workbook *wb, const struct run *r, const struct xsheet_fmt *fmt)
{
	const char *const hdr[] = {
		_("Mail address"), _("Action"), _("Accounts added"), _("Accounts removed"),
		_("Count before"), _("Count after"),
	};
	struct xsheet s;

	if (xsheet_start(wb, &s, "ORG", hdr, ARRAY_SIZE(hdr), fmt) < 0)
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
		if ((it->act == ACT_CREATE || *added || *removed) && xsheet_row(&s)) {
			xsheet_str(&s, 0, row_get(plan_item_row(it), COL_MAIL), NULL);
			xsheet_str(&s, 1, _(action_one[it->act]), NULL);
			xsheet_str(&s, 2, added, NULL);
			xsheet_str(&s, 3, removed, NULL);
			xsheet_num(&s, 4, (double)nold, NULL);
			xsheet_num(&s, 5, (double)nnew, NULL);
		}
		free(added);
		free(removed);
	}
out:
	return xsheet_end(&s);
}

/* Every column: rows of each type with a value and without; a required column left empty
 * is highlighted. */
static lxw_error write_coverage(lxw_workbook *wb, const struct run *r,
				const struct xsheet_fmt *fmt)
{
	const char *const hdr[] = {
		_("Column"), _("PER filled"), _("PER empty"), _("INT filled"), _("INT empty"),
		_("ORG filled"), _("ORG empty"), _("MED filled"), _("MED empty"),
	};
	struct xsheet s;

	if (xsheet_start(wb, &s, _("Coverage"), hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (int c = 0; r->col.stats && c < NCOLS; c++) {
		if (!xsheet_row(&s))
			continue;
		xsheet_str(&s, 0, columns[c].header, NULL);
		for (int t = 0; t < BAL_NTYPES; t++) {
			size_t filled, empty;
			enum req q = column_req(c, (enum bal_type)t);

			map_stats_coverage(r->col.stats, (enum bal_type)t, c, &filled, &empty);
			if (filled + empty == 0)
				continue;
			xsheet_num(&s, 1 + 2 * t, (double)filled, NULL);
			xsheet_num(&s, 2 + 2 * t, (double)empty,
				  empty && (q == REQ_O || q == REQ_OSC) ? fmt->warning : NULL);
		}
	}
out:
	return xsheet_end(&s);
}

/* The values that matched no key of their table, most frequent first. */
static lxw_error write_unmatched(lxw_workbook *wb, const struct run *r,
				 const struct xsheet_fmt *fmt)
{
	const char *const hdr[] = { _("Table"), _("Value"), _("Entries"), _("Example DN") };
	struct map_unmatched *u = NULL;
	size_t n = r->col.stats ? map_stats_unmatched(r->col.stats, &u) : 0;
	struct xsheet s;

	if (xsheet_start(wb, &s, _("Unmatched values"), hdr, ARRAY_SIZE(hdr), fmt) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!xsheet_row(&s))
			continue;
		xsheet_str(&s, 0, u[i].table, NULL);
		xsheet_str(&s, 1, u[i].value, fmt->warning);
		xsheet_num(&s, 2, (double)u[i].count, NULL);
		xsheet_str(&s, 3, u[i].example, NULL);
	}
out:
	free(u);
	return xsheet_end(&s);
}

static lxw_error write_sheets(lxw_workbook *wb, const struct run *r)
{
	struct xsheet_fmt fmt;
	struct hmap *by_dn = hmap_new(true);
	lxw_error e;

	for (size_t i = 0; i < r->col.nacc; i++)
		if (r->col.acc[i].dn)
			hmap_put(by_dn, r->col.acc[i].dn, (void *)&r->col.acc[i]);
	e = xsheet_fmt_add(wb, &fmt);
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
		e = write_mssante(wb, r, &fmt);
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
