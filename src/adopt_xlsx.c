/*
 * adopt_xlsx.c - the XLSX report of adopt and reconcile: a summary sheet, one sheet per
 * category, the cells that differ filled in colour, and the findings; 0600, written to a
 * temporary name and renamed. The texts it shares with the terminal summary are
 * adopt_report.c's (adopt_report_int.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "adopt_report_int.h"
#include "export.h"
#include "i18n.h"
#include "log.h"
#include "output.h"
#include "xsheet.h"

struct book {
	const struct adopt_session *s;
	struct xsheet_fmt fmt;
};

static void sum_head(struct xsheet *x, const struct adopt_session *s,
		     const struct xsheet_fmt *fmt)
{
	const char *run = _("Run");
	char *a = xsheet_time(s->started), *b = xsheet_time(s->finished);

	xsheet_sum_line(x, run, _("Command"), s->reconcile ? "reconcile" : "adopt",
			s->o->commit ? _("--commit: the state records the result") :
			_("dry run: the state is not changed"), NULL);
	xsheet_sum_line(x, run, _("Start"), a, NULL, NULL);
	xsheet_sum_line(x, run, _("End"), b, NULL, NULL);
	xsheet_sum_line(x, run, _("Configuration file"), s->c->path, NULL, NULL);
	xsheet_sum_line(x, run, _("State file"), s->c->state_file, NULL, NULL);
	xsheet_sum_count(x, run, _("Exit code"), s->exit_code, NULL, fmt);
	free(a);
	free(b);
	if (s->ex) {
		const char *part = _("Medimail export");
		struct strbuf cols = { 0 };

		sb_add(&cols, "");
		for (int c = 0; c < NCOLS; c++)
			if (s->ex->present[c])
				sb_addf(&cols, "%s%s", cols.len ? ", " : "", columns[c].header);
		xsheet_sum_line(x, part, _("File"), s->ex->path, NULL, NULL);
		xsheet_sum_count(x, part, _("Accounts"), (double)s->ex->n, NULL, fmt);
		xsheet_sum_line(x, part, _("Columns compared"), cols.buf, NULL, NULL);
		xsheet_sum_line(x, part, _("State column"), s->ex->has_state ? _("yes") : _("no"),
				s->ex->has_state ? NULL :
				_("expiries not applied cannot be told without it"), NULL);
		sb_free(&cols);
	}
	for (size_t i = 0; i < s->col.nsrc; i++) {
		const struct collect_source *src = &s->col.src[i];
		char *part = xasprintf(_("Directory \"%s\""), src->d->name);

		xsheet_sum_count(x, part, _("People read"), (double)src->people, NULL, fmt);
		xsheet_sum_count(x, part, _("Groups read"), (double)src->groups, NULL, fmt);
		xsheet_sum_count(x, part, _("ORG mailboxes"), (double)src->orgs, NULL, fmt);
		free(part);
	}
}

static void sum_counts(struct xsheet *x, const char *const *labels, int ncats,
		       const size_t (*count_type)[BAL_NTYPES + 1], const size_t *count,
		       const struct xsheet_fmt *fmt)
{
	struct strbuf sb = { 0 };

	for (int k = 0; k < ncats; k++) {
		sb.len = 0;
		sb_add(&sb, "");
		for (int t = 0; t <= BAL_NTYPES; t++)
			sb_addf(&sb, "%s%s %zu", t ? ", " : "",
				t < BAL_NTYPES ? bal_type_name((enum bal_type)t) : "?",
				count_type[k][t]);
		xsheet_sum_count(x, _("Categories"), _(labels[k]), (double)count[k], sb.buf, fmt);
	}
	sb_free(&sb);
}

static void sum_commit(struct xsheet *x, const struct adopt_session *s,
		       const struct xsheet_fmt *fmt)
{
	const char *part = s->o->commit ? _("Recorded") : _("With --commit");
	char *id = s->run_id > 0 ? xasprintf(_("run %lld (\"state rollback\" undoes it)"),
					     s->run_id) : NULL;

	if (!s->reconcile) {
		const size_t *o = s->ar.outcome;

		xsheet_sum_count(x, part, _("Added"), (double)o[OUT_ADDED], id, fmt);
		xsheet_sum_count(x, part, _("Replaced"), (double)o[OUT_REPLACED], NULL, fmt);
		xsheet_sum_count(x, part, _("Left alone"), (double)(o[OUT_SAME] + o[OUT_MANAGED]),
				 NULL, fmt);
		xsheet_sum_count(x, part, _("Renames to confirm"), (double)o[OUT_UNCONFIRMED],
				 "--accept-renames", fmt);
		xsheet_sum_count(x, part, _("Medimail-only accounts not expired"),
				 (double)o[OUT_NOT_ASKED], "--expire-orphans", fmt);
	} else {
		const size_t *o = s->rr.outcome;

		for (int k = RO_REQUEUE; k < RO_NOUTCOMES; k++)
			xsheet_sum_count(x, part, recon_outcome_text((enum recon_outcome)k),
					 (double)o[k], k == RO_REQUEUE ? id : NULL, fmt);
	}
	free(id);
}

static lxw_error write_summary(lxw_workbook *wb, const struct book *bk)
{
	const char *const hdr[] = { _("Section"), _("Item"), _("Value"), _("Detail") };
	const struct adopt_session *s = bk->s;
	struct xsheet x;

	if (xsheet_start(wb, &x, _("Summary"), hdr, ARRAY_SIZE(hdr), &bk->fmt) == 0) {
		sum_head(&x, s, &bk->fmt);
		if (s->reconcile)
			sum_counts(&x, recon_labels, RECON_NCATS, s->rr.count_type, s->rr.count,
				   &bk->fmt);
		else
			sum_counts(&x, adopt_labels, ADOPT_NCATS, s->ar.count_type, s->ar.count,
				   &bk->fmt);
		sum_commit(&x, s, &bk->fmt);
	}
	return xsheet_end(&x);
}

/* An account sheet: who, with its Medimail state and line, its DN and what --commit does. */
static const char *const acct_hdr[] = {
	N_("Mail address"), N_("BAL type"), "NOM", "Prénom", "RPPS", "ADELI",
	N_("Medimail state"), N_("Export line"), "DN", N_("Matched by"), N_("With --commit"),
};

/* r gives the names and identifiers; the address is Medimail's when there is an m (it names
 * the mailbox), else r's. */
static void acct_row(struct xsheet *x, const struct row *r, const char *type,
		     const struct medimail_account *m, const char *dn, const char *by,
		     const char *outcome)
{
	if (!xsheet_row(x))
		return;
	xsheet_str(x, 0, row_get(m ? m->row : r, COL_MAIL), NULL);
	xsheet_str(x, 1, type, NULL);
	xsheet_str(x, 2, row_get(r, COL_NOM), NULL);
	xsheet_str(x, 3, row_get(r, COL_PRENOM), NULL);
	xsheet_str(x, 4, row_get(r, COL_RPPS), NULL);
	xsheet_str(x, 5, row_get(r, COL_ADELI), NULL);
	if (m) {
		xsheet_str(x, 6, m->state, NULL);
		xsheet_num(x, 7, (double)m->line, NULL);
	}
	xsheet_str(x, 8, dn, NULL);
	xsheet_str(x, 9, by, NULL);
	xsheet_str(x, 10, outcome, NULL);
}

static int acct_start(lxw_workbook *wb, struct xsheet *x, const char *name,
		      const struct xsheet_fmt *fmt)
{
	const char *hdr[ARRAY_SIZE(acct_hdr)];

	for (size_t i = 0; i < ARRAY_SIZE(acct_hdr); i++)
		hdr[i] = _(acct_hdr[i]);
	return xsheet_start(wb, x, name, hdr, ARRAY_SIZE(hdr), fmt);
}

static const char *type_of(const struct account *d, const struct medimail_account *m)
{
	if (d && d->type != BAL_NONE)
		return bal_type_name(d->type);
	return m ? row_get(m->row, COL_TYPE_BAL) : "";
}

/* Two rows per account, ours and Medimail's, over the export's columns; the cells that differ
 * filled in colour. */
static int diff_start(lxw_workbook *wb, struct xsheet *x, const char *name,
		      const struct adopt_session *s, const struct xsheet_fmt *fmt)
{
	const char *hdr[NCOLS + 4];
	int n = 0;

	hdr[n++] = _("Mail address");
	hdr[n++] = _("Source");
	hdr[n++] = "DN";
	hdr[n++] = _("Medimail state");
	for (int c = 0; c < NCOLS; c++)
		if (s->mm.cols & (1ULL << c))
			hdr[n++] = columns[c].header;
	return xsheet_start(wb, x, name, hdr, n, fmt);
}

static void diff_rows(struct xsheet *x, const struct adopt_session *s, const char *mail,
		      const char *dn, const struct row *ours, const char *ours_is,
		      const struct medimail_account *m, unsigned long long diff,
		      const struct xsheet_fmt *fmt)
{
	char *src = xasprintf(_("Medimail (%s %ld)"), unit(s), m->line);

	for (int pass = 0; pass < 2; pass++) {
		const struct row *r = pass ? m->row : ours;
		int n = 4;

		if (!xsheet_row(x))
			break;
		xsheet_str(x, 0, mail, NULL);
		xsheet_str(x, 1, pass ? src : ours_is, NULL);
		xsheet_str(x, 2, pass ? NULL : dn, NULL);
		if (pass)
			xsheet_str(x, 3, m->state, diff & DIFF_STATE ? fmt->warning : NULL);
		for (int c = 0; c < NCOLS; c++)
			if (s->mm.cols & (1ULL << c))
				xsheet_str(x, n++, row_get(r, (enum col)c),
					   diff & (1ULL << c) ? fmt->warning : NULL);
	}
	free(src);
}

static lxw_error adopt_sheet(lxw_workbook *wb, const struct book *bk, enum adopt_cat k)
{
	const struct adopt_session *s = bk->s;
	const char *name = _(adopt_sheets[k]);
	struct xsheet x;

	if (k == ADOPT_DIFFERS) {
		if (diff_start(wb, &x, name, s, &bk->fmt) < 0)
			goto out;
	} else if (k == ADOPT_CONFLICT) {
		const char *const hdr[] = {
			_("Conflict"), _("Medimail accounts"), _("Directory entries"),
		};

		if (xsheet_start(wb, &x, name, hdr, ARRAY_SIZE(hdr), &bk->fmt) < 0)
			goto out;
	} else if (acct_start(wb, &x, name, &bk->fmt) < 0) {
		goto out;
	}
	for (size_t i = 0; i < s->ar.n; i++) {
		const struct adopt_item *it = &s->ar.items[i];
		struct strbuf a = { 0 }, b = { 0 };

		if (it->cat != k)
			continue;
		if (k == ADOPT_DIFFERS) {
			diff_rows(&x, s, row_get(it->m->row, COL_MAIL), it->d->dn, &it->d->row,
				  _("directory"), it->m, it->diff, &bk->fmt);
		} else if (k == ADOPT_CONFLICT) {
			sb_add(&a, "");
			sb_add(&b, "");
			for (size_t j = 0; j < it->nm; j++)
				sb_addf(&a, _("%s%s (%s %ld)"), j ? "; " : "",
					row_get(it->mv[j]->row, COL_MAIL), unit(s), it->mv[j]->line);
			for (size_t j = 0; j < it->nd; j++)
				sb_addf(&b, "%s%s", j ? "; " : "", it->dv[j]->dn);
			if (xsheet_row(&x)) {
				xsheet_str(&x, 0, conflict_text(it->conflict), NULL);
				xsheet_str(&x, 1, a.buf, NULL);
				xsheet_str(&x, 2, b.buf, NULL);
			}
		} else {
			const struct row *r = it->d ? &it->d->row : it->m->row;

			acct_row(&x, r, type_of(it->d, it->m), it->m, it->d ? it->d->dn : NULL,
				 by_text(it->by), adopt_outcome_text(it));
		}
		sb_free(&a);
		sb_free(&b);
	}
out:
	return xsheet_end(&x);
}

/* Start the sheet of category k (its own columns), 0 or -1 as xsheet_start(). */
static int recon_start(lxw_workbook *wb, struct xsheet *x, const struct book *bk,
		       enum recon_cat k)
{
	const struct adopt_session *s = bk->s;
	const char *name = _(recon_sheets[k]);

	if (k == RECON_DIFFERS) {
		return diff_start(wb, x, name, s, &bk->fmt);
	} else if (k == RECON_MISSING) {
		const char *const hdr[] = {
			_("Mail address"), _("BAL type"), "DN", _("Key"), _("Written by run"),
			_("Run start"), _("Command"), _("Files"), _("With --commit"),
		};

		return xsheet_start(wb, x, name, hdr, ARRAY_SIZE(hdr), &bk->fmt);
	} else if (k == RECON_MOVED) {
		const char *const hdr[] = {
			_("Address written"), _("Medimail address"), _("Matched by"),
			_("Export line"), "DN", _("Key"),
		};

		return xsheet_start(wb, x, name, hdr, ARRAY_SIZE(hdr), &bk->fmt);
	} else if (k == RECON_NOT_EXPIRED) {
		const char *const hdr[] = {
			_("Mail address"), "DN", _("Date written"), _("Date in Medimail"),
			_("Medimail state"), _("Export line"), _("With --commit"),
		};

		return xsheet_start(wb, x, name, hdr, ARRAY_SIZE(hdr), &bk->fmt);
	}
	return acct_start(wb, x, name, &bk->fmt);
}

/* The line of a MISSING item: the account as written, and the run that wrote it. */
static void missing_row(struct xsheet *x, const struct adopt_session *s,
			const struct recon_item *it, const char *out_text)
{
	const struct state_run *run = run_of(s, it->s->run_id);
	char *t = run ? xsheet_time(run->started) : NULL;

	if (xsheet_row(x)) {
		xsheet_str(x, 0, row_get(&it->s->row, COL_MAIL), NULL);
		xsheet_str(x, 1, bal_type_name(it->s->type), NULL);
		xsheet_str(x, 2, it->s->dn, NULL);
		xsheet_str(x, 3, it->s->key, NULL);
		xsheet_num(x, 4, (double)it->s->run_id, NULL);
		xsheet_str(x, 5, t, NULL);
		xsheet_str(x, 6, run ? run->command : NULL, NULL);
		xsheet_str(x, 7, run ? run->files : NULL, NULL);
		xsheet_str(x, 8, out_text, NULL);
	}
	free(t);
}

/* The line (lines, for DIFFERS) of item it in the sheet of its category. */
static void recon_row(struct xsheet *x, const struct book *bk, const struct recon_item *it)
{
	const struct adopt_session *s = bk->s;
	const char *out_text = recon_outcome_text(it->outcome);

	if (it->cat == RECON_DIFFERS) {
		char *by = xasprintf(_("written (run %lld)"), it->s->run_id);

		diff_rows(x, s, row_get(&it->s->row, COL_MAIL), it->s->dn, &it->s->row, by, it->m,
			  it->diff, &bk->fmt);
		free(by);
	} else if (it->cat == RECON_MISSING) {
		missing_row(x, s, it, out_text);
	} else if (it->cat == RECON_MOVED) {
		if (xsheet_row(x)) {
			xsheet_str(x, 0, row_get(&it->s->row, COL_MAIL), NULL);
			xsheet_str(x, 1, row_get(it->m->row, COL_MAIL), NULL);
			xsheet_str(x, 2, by_text(it->by), NULL);
			xsheet_num(x, 3, (double)it->m->line, NULL);
			xsheet_str(x, 4, it->s->dn, NULL);
			xsheet_str(x, 5, it->s->key, NULL);
		}
	} else if (it->cat == RECON_NOT_EXPIRED) {
		if (xsheet_row(x)) {
			xsheet_str(x, 0, row_get(&it->s->row, COL_MAIL), NULL);
			xsheet_str(x, 1, it->s->dn, NULL);
			xsheet_str(x, 2, row_get(&it->s->row, COL_PEREMPTION), NULL);
			xsheet_str(x, 3, row_get(it->m->row, COL_PEREMPTION),
				   it->passed ? NULL : bk->fmt.warning);
			xsheet_str(x, 4, it->m->state, it->passed ? bk->fmt.warning : NULL);
			xsheet_num(x, 5, (double)it->m->line, NULL);
			xsheet_str(x, 6, out_text, NULL);
		}
	} else {
		const struct row *r = it->s ? &it->s->row : it->m->row;

		acct_row(x, r, it->s ? bal_type_name(it->s->type) :
			 row_get(it->m->row, COL_TYPE_BAL), it->m, it->s ? it->s->dn : NULL,
			 by_text(it->by), out_text);
	}
}

static lxw_error recon_sheet(lxw_workbook *wb, const struct book *bk, enum recon_cat k)
{
	struct xsheet x;

	if (recon_start(wb, &x, bk, k) < 0)
		goto out;
	for (size_t i = 0; i < bk->s->rr.n; i++)
		if (bk->s->rr.items[i].cat == k)
			recon_row(&x, bk, &bk->s->rr.items[i]);
out:
	return xsheet_end(&x);
}

/* Every finding of the export and the directory, the value in colour. */
static lxw_error write_findings(lxw_workbook *wb, const struct book *bk)
{
	const char *const hdr[] = {
		_("Where"), _("Column"), _("Rule"), _("Value"), _("Explanation"), _("Severity"),
	};
	const struct findings *fs[2] = { bk->s->ex ? &bk->s->ex->f : NULL, &bk->s->col.f };
	struct xsheet x;

	if (xsheet_start(wb, &x, _("Findings"), hdr, ARRAY_SIZE(hdr), &bk->fmt) < 0)
		goto out;
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; fs[k] && i < fs[k]->n; i++) {
			const struct finding *f = &fs[k]->v[i];
			bool err = f->sev == SEV_ERROR;

			if (!xsheet_row(&x))
				break;
			xsheet_str(&x, 0, f->where, NULL);
			xsheet_str(&x, 1, f->col >= 0 && f->col < NCOLS ? columns[f->col].header :
				   "-", NULL);
			xsheet_str(&x, 2, f->rule, NULL);
			xsheet_str(&x, 3, f->value, err ? bk->fmt.error : bk->fmt.warning);
			xsheet_str(&x, 4, f->message, NULL);
			xsheet_str(&x, 5, err ? _("error") : _("warning"), NULL);
		}
out:
	return xsheet_end(&x);
}

static lxw_error fill(lxw_workbook *wb, void *arg)
{
	struct book *bk = arg;
	lxw_error e = xsheet_fmt_add(wb, &bk->fmt);

	if (!e)
		e = write_summary(wb, bk);
	for (int k = 0; !e && !bk->s->reconcile && k < ADOPT_NCATS; k++)
		e = adopt_sheet(wb, bk, (enum adopt_cat)k);
	for (int k = 0; !e && bk->s->reconcile && k < RECON_NCATS; k++)
		e = recon_sheet(wb, bk, (enum recon_cat)k);
	if (!e)
		e = write_findings(wb, bk);
	return e;
}

char *adopt_xlsx_write(const struct adopt_session *s)
{
	const char *what = s->reconcile ? "reconcile" : "adopt";
	char *path = unique_path(s->c->output.directory, what, "xlsx"), *err = NULL;
	char *title = xasprintf(_("medimail-sync %s report"), what);
	struct book bk = { .s = s };

	if (xlsx_write_atomic(path, title, fill, &bk, &err) != 0) {
		log_err("%s", err ? err : path);
		free(path);
		path = NULL;
	}
	free(title);
	free(err);
	return path;
}

