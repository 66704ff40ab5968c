/*
 * adopt_report.c - what adopt and reconcile tell the admin, in the style of plan's report:
 * the terminal summary (a table of counts per category and BAL type, then the first lines of
 * each category), the one-line log summary, the JSON summary (--json) and the XLSX report
 * (one sheet per category, the cells that differ filled in colour; 0600, written to a
 * temporary name and renamed).
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adopt_run.h"
#include "export.h"
#include "i18n.h"
#include "log.h"
#include "output.h"
#include "report.h"
#include "xsheet.h"

#define LINES_SHOWN 10      /* lines of each category in the terminal summary */
#define CELLS_SHOWN 3       /* differing cells described on one line */

/* The export's "line" and "row" (export.c), translated. */
static const char *const units[] = { N_("line"), N_("row") };

static const char *const adopt_labels[ADOPT_NCATS] = {
	[ADOPT_IDENTICAL] = N_("identical"), [ADOPT_DIFFERS] = N_("differs"),
	[ADOPT_RENAME] = N_("rename"),       [ADOPT_LEAVING] = N_("leaving"),
	[ADOPT_REJECTED] = N_("rejected"),   [ADOPT_NEW] = N_("new"),
	[ADOPT_SKIPPED] = N_("skipped"),     [ADOPT_ORPHAN] = N_("Medimail only"),
	[ADOPT_CONFLICT] = N_("conflict"),
};

/* What each category means, after its count in the details. */
static const char *const adopt_meaning[ADOPT_NCATS] = {
	[ADOPT_DIFFERS] = N_("the next apply writes the directory's values"),
	[ADOPT_RENAME] = N_("found by RPPS or ADELI under another address: to confirm "
			    "(--accept-renames); the next apply then renames the mailbox"),
	[ADOPT_LEAVING] = N_("disabled or past their end date: once recorded, the next apply "
			     "expires the mailbox"),
	[ADOPT_REJECTED] = N_("rejected by our rules but holding a mailbox: once recorded, it keeps "
			      "Medimail's values until the entry is fixed"),
	[ADOPT_NEW] = N_("in the directory only: the next apply creates them"),
	[ADOPT_ORPHAN] = N_("no directory entry accounts for them (--expire-orphans: the next "
			    "apply expires them)"),
	[ADOPT_CONFLICT] = N_("listed, never matched: the admin decides"),
};

static const char *const adopt_sheets[ADOPT_NCATS] = {
	[ADOPT_IDENTICAL] = N_("Identical"), [ADOPT_DIFFERS] = N_("Differences"),
	[ADOPT_RENAME] = N_("Renames"),      [ADOPT_LEAVING] = N_("Leavers"),
	[ADOPT_REJECTED] = N_("Rejected"),   [ADOPT_NEW] = N_("New"),
	[ADOPT_SKIPPED] = N_("Skipped"),     [ADOPT_ORPHAN] = N_("Medimail only"),
	[ADOPT_CONFLICT] = N_("Conflicts"),
};

static const char *const recon_labels[RECON_NCATS] = {
	[RECON_OK] = N_("matching"),        [RECON_MISSING] = N_("missing"),
	[RECON_MOVED] = N_("moved"),        [RECON_DIFFERS] = N_("differs"),
	[RECON_NOT_EXPIRED] = N_("not expired"), [RECON_UNKNOWN] = N_("unknown"),
};

static const char *const recon_meaning[RECON_NCATS] = {
	[RECON_MISSING] = N_("written by medimail-sync, absent from Medimail: the file was not "
			     "imported, or the import failed"),
	[RECON_MOVED] = N_("absent at its address, but Medimail has an account with its RPPS or "
			   "ADELI under another: changed in the console? Left to the admin"),
	[RECON_DIFFERS] = N_("changed by hand in the console, or an import partly refused"),
	[RECON_NOT_EXPIRED] = N_("expired by medimail-sync, still active in Medimail after its "
				 "Date de péremption, or without it"),
	[RECON_UNKNOWN] = N_("created in the console, unknown to the state"),
};

static const char *const recon_sheets[RECON_NCATS] = {
	[RECON_OK] = N_("Matching"),        [RECON_MISSING] = N_("Missing"),
	[RECON_MOVED] = N_("Moved"),        [RECON_DIFFERS] = N_("Differences"),
	[RECON_NOT_EXPIRED] = N_("Not expired"), [RECON_UNKNOWN] = N_("Unknown"),
};

static const char *conflict_text(enum adopt_conflict k)
{
	switch (k) {
	case CONFLICT_EXPORT_TWICE:
		return _("one address twice in the export");
	case CONFLICT_CLAIMED:
		return _("one Medimail account claimed by several directory entries");
	case CONFLICT_TWO_ACCOUNTS:
		return _("several Medimail accounts for one directory entry");
	default:
		return "";
	}
}

static const char *adopt_outcome_text(const struct adopt_item *it)
{
	switch (it->outcome) {
	case OUT_UNCONFIRMED:
		return _("not recorded: confirm with --accept-renames");
	case OUT_NOT_ASKED:
		return _("not recorded: --expire-orphans to expire it");
	case OUT_ADDED:
		return _("added to the state");
	case OUT_REPLACED:
		return _("replaces the state's row");
	case OUT_SAME:
		return _("left alone: the state holds it already");
	case OUT_MANAGED:
		return _("left alone: the state manages this address under another key");
	default:
		return "";
	}
}

static const char *recon_outcome_text(enum recon_outcome o)
{
	switch (o) {
	case RO_REQUEUE:
		return _("re-queued: the next apply writes it again");
	case RO_REPLACE:
		return _("Medimail's values recorded: the next apply writes the directory's");
	case RO_KEEP:
		return _("Medimail's values recorded and kept");
	case RO_REEXPIRE:
		return _("active again in the state: the next apply writes its expiry again");
	default:
		return "";
	}
}

static const char *unit(const struct adopt_session *s)
{
	return s->ex && s->ex->unit ? _(s->ex->unit) : _(units[0]);
}

/* How an account was matched, for the admin: adopt_by_name() with "address" translated (RPPS
 * and ADELI are names). */
static const char *by_text(enum adopt_by b)
{
	return b == BY_MAIL ? _("address") : adopt_by_name(b);
}

static const char *state_text(const struct medimail_account *m)
{
	return m && m->state && *m->state ? m->state : "-";
}

/* "Téléphone (1) "A" in the directory, "B" in Medimail; NOM ..." for the first cells of diff;
 * DIFF_STATE says "inactive in Medimail". Caller frees. */
static char *diff_text(const struct row *ours, const char *ours_is, const struct row *theirs,
		       const struct medimail_account *m, unsigned long long diff)
{
	struct strbuf sb = { 0 };
	size_t shown = 0, total = 0;

	sb_add(&sb, "");
	for (int c = 0; c < NCOLS; c++) {
		if (!(diff & (1ULL << c)))
			continue;
		if (shown++ < CELLS_SHOWN)
			sb_addf(&sb, _("%s%s \"%s\" %s, \"%s\" in Medimail"), sb.len ? "; " : "",
				columns[c].header, row_get(ours, (enum col)c), ours_is,
				row_get(theirs, (enum col)c));
		total++;
	}
	if (diff & DIFF_STATE) {
		if (shown++ < CELLS_SHOWN)
			sb_addf(&sb, _("%sinactive in Medimail (%s)"), sb.len ? "; " : "",
				state_text(m));
		total++;
	}
	if (total > CELLS_SHOWN)
		sb_addf(&sb, _(" (and %zu more)"), total - CELLS_SHOWN);
	return sb_steal(&sb);
}

/* --- the terminal summary ---------------------------------------------------------------- */

static void print_findings(FILE *out, const struct findings *f, const char *prefix,
			   size_t *shown)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < f->n; i++) {
			const struct finding *x = &f->v[i];

			if ((x->sev == SEV_ERROR) != (pass == 0) || *shown >= 50)
				continue;
			if (prefix) {
				struct finding y = *x;

				y.where = xasprintf("%s: %s", prefix, x->where ? x->where : "-");
				report_finding(out, &y);
				free(y.where);
			} else {
				report_finding(out, x);
			}
			(*shown)++;
		}
}

/* The table of counts: one row per category, one column per BAL type ("?" when some type is
 * unknown). */
static void print_table(FILE *out, const char *const *labels, int ncats,
			const size_t (*count_type)[BAL_NTYPES + 1], const size_t *count,
			int hl_from)
{
	bool unknown = false;

	for (int k = 0; k < ncats; k++)
		unknown = unknown || count_type[k][BAL_NTYPES] > 0;
	fprintf(out, "\n  %-15s %6s %6s %6s %6s", "", "PER", "INT", "ORG", "MED");
	if (unknown)
		fprintf(out, " %6s", "?");
	fprintf(out, " %7s\n", _("total"));
	for (int k = 0; k < ncats; k++) {
		bool hl = k >= hl_from && count[k] > 0;

		fputs("  ", out);
		if (hl)
			report_paint(out, C_YELLOW);
		report_padded(out, _(labels[k]), 15);
		for (int t = 0; t < BAL_NTYPES + unknown; t++)
			fprintf(out, " %6zu", count_type[k][t]);
		fprintf(out, " %7zu", count[k]);
		if (hl)
			report_paint(out, C_NONE);
		fputc('\n', out);
	}
	fputc('\n', out);
}

static void print_head(FILE *out, const char *label, const char *meaning, size_t n)
{
	report_paint(out, C_BOLD);
	fprintf(out, "%s (%zu)", label, n);
	report_paint(out, C_NONE);
	/* TRANSLATORS: after a category and its count, what the category means */
	fprintf(out, meaning ? _(": %s\n") : "\n", meaning ? meaning : "");
}

static void print_more(FILE *out, size_t n, const char *report)
{
	if (n > LINES_SHOWN)
		fprintf(out, _("  ... %zu more: see the report %s\n"), n - LINES_SHOWN,
			report ? report : "-");
}

/* The categories of one command, for the details of the summary. */
struct cats {
	const char *const *labels, *const *meaning;
	const size_t *count;
	int first, ncats, skip;            /* details of first .. ncats - 1, but skip */
	size_t n;                          /* items */
	int (*cat)(const struct adopt_session *s, size_t i);
	void (*print)(FILE *out, const struct adopt_session *s, size_t i);
};

/* Each category's count and meaning, then its first LINES_SHOWN items. */
static void print_details(FILE *out, const struct adopt_session *s, const struct cats *c,
			  const char *report)
{
	bool any = false;

	for (int k = c->first; k < c->ncats; k++) {
		size_t shown = 0;

		if (!c->count[k] || k == c->skip)
			continue;
		any = true;
		print_head(out, _(c->labels[k]), _(c->meaning[k]), c->count[k]);
		for (size_t i = 0; i < c->n && shown < LINES_SHOWN; i++)
			if (c->cat(s, i) == k) {
				c->print(out, s, i);
				shown++;
			}
		print_more(out, c->count[k], report);
	}
	if (any)
		fputc('\n', out);
}

/* One line of the lists, made of DNs and cells (of the directory, the export, the state):
 * escaped as a whole (util.h: sb_add_visible), then its newline. */
PRINTF(2, 3)
static void print_line(FILE *out, const char *fmt, ...)
{
	struct strbuf sb = { 0 };
	va_list ap;
	char *line = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > 0 && line[n - 1] == '\n')
		n--;
	sb_addn(&sb, "", 0);
	sb_add_visible(&sb, line, (size_t)n);
	fputs(sb.buf, out);
	fputc('\n', out);
	free(line);
	sb_free(&sb);
}

/* A Medimail account on one line: address, type, where in the export, state. */
static void print_mm(FILE *out, const struct adopt_session *s, const struct medimail_account *m)
{
	const char *type = row_get(m->row, COL_TYPE_BAL);

	print_line(out, _("  %s: %s, %s %ld, %s\n"), row_get(m->row, COL_MAIL), *type ? type : "?",
		unit(s), m->line, state_text(m));
}

static int adopt_cat_of(const struct adopt_session *s, size_t i)
{
	return (int)s->ar.items[i].cat;
}

static void print_adopt_item(FILE *out, const struct adopt_session *s, size_t i)
{
	const struct adopt_item *it = &s->ar.items[i];
	const char *u = unit(s);
	char *d = NULL;

	switch (it->cat) {
	case ADOPT_DIFFERS:
		d = diff_text(&it->d->row, _("in the directory"), it->m->row, it->m, it->diff);
		print_line(out, "  %s: %s\n", row_get(it->m->row, COL_MAIL), d);
		break;
	case ADOPT_RENAME:
		print_line(out, _("  %s (Medimail, %s %ld) is %s (%s), same %s\n"),
			row_get(it->m->row, COL_MAIL), u, it->m->line,
			row_get(&it->d->row, COL_MAIL), it->d->dn, by_text(it->by));
		break;
	case ADOPT_LEAVING:
	case ADOPT_REJECTED:
		print_line(out, _("  %s (%s %ld, %s): %s\n"), row_get(it->m->row, COL_MAIL), u,
			it->m->line, state_text(it->m), it->d->dn);
		break;
	case ADOPT_NEW:
	case ADOPT_SKIPPED:
		print_line(out, "  %s: %s\n", row_get(&it->d->row, COL_MAIL), it->d->dn);
		break;
	case ADOPT_ORPHAN:
		print_mm(out, s, it->m);
		break;
	case ADOPT_CONFLICT: {
		struct strbuf sb = { 0 };

		sb_addf(&sb, "  %s:", conflict_text(it->conflict));
		for (size_t k = 0; k < it->nd; k++)
			sb_addf(&sb, " %s%s", it->dv[k]->dn, k + 1 < it->nd || it->nm ? ";" : "");
		for (size_t k = 0; k < it->nm; k++)
			sb_addf(&sb, _(" %s (%s %ld)%s"), row_get(it->mv[k]->row, COL_MAIL), u,
				it->mv[k]->line, k + 1 < it->nm ? "," : "");
		print_line(out, "%s", sb.buf);
		sb_free(&sb);
		break;
	}
	default:
		break;
	}
	free(d);
}

static void print_adopt(FILE *out, const struct adopt_session *s, const char *report)
{
	const struct adopt_result *r = &s->ar;
	const size_t *o = r->outcome;
	const struct cats c = {
		adopt_labels, adopt_meaning, r->count, ADOPT_DIFFERS, ADOPT_NCATS, ADOPT_SKIPPED,
		r->n, adopt_cat_of, print_adopt_item,
	};

	print_table(out, adopt_labels, ADOPT_NCATS, r->count_type, r->count, ADOPT_RENAME);
	print_details(out, s, &c, report);
	if (s->run_id > 0)
		fprintf(out, _("recorded in the state (run %lld): %zu added, %zu replaced, %zu left "
			       "alone; \"state rollback\" undoes it\n"), s->run_id, o[OUT_ADDED],
			o[OUT_REPLACED], o[OUT_SAME] + o[OUT_MANAGED]);
	else if (s->o->commit)
		fprintf(out, _("nothing to record: %zu left alone\n"), o[OUT_SAME] + o[OUT_MANAGED]);
	else
		fprintf(out, _("dry run: --commit would record %zu added, %zu replaced, %zu left "
			       "alone\n"), o[OUT_ADDED], o[OUT_REPLACED],
			o[OUT_SAME] + o[OUT_MANAGED]);
	if (o[OUT_UNCONFIRMED])
		fprintf(out, ngettext("not recorded: %zu match by RPPS or ADELI to confirm "
				      "(--accept-renames)\n",
				      "not recorded: %zu matches by RPPS or ADELI to confirm "
				      "(--accept-renames)\n", o[OUT_UNCONFIRMED]), o[OUT_UNCONFIRMED]);
	if (o[OUT_NOT_ASKED])
		fprintf(out, ngettext("not recorded: %zu Medimail-only active account "
				      "(--expire-orphans to have the next apply expire it)\n",
				      "not recorded: %zu Medimail-only active accounts "
				      "(--expire-orphans to have the next apply expire them)\n",
				      o[OUT_NOT_ASKED]), o[OUT_NOT_ASKED]);
}

/* The run that last wrote an account, as "run 3 (apply, 2024-06-10 10:00:00), file F". */
static const struct state_run *run_of(const struct adopt_session *s, long long id)
{
	for (size_t i = 0; i < s->nruns; i++)
		if (s->runs[i].id == id)
			return &s->runs[i];
	return NULL;
}

static char *run_text(const struct adopt_session *s, long long id)
{
	const struct state_run *r = run_of(s, id);
	char *t, *txt;

	if (!r)
		return xasprintf(_("run %lld"), id);
	t = xsheet_time(r->started);
	txt = xasprintf(_("run %lld (%s, %s), file %s"), id, r->command, t,
			*r->files ? r->files : "-");
	free(t);
	return txt;
}

static int recon_cat_of(const struct adopt_session *s, size_t i)
{
	return (int)s->rr.items[i].cat;
}

static void print_recon_item(FILE *out, const struct adopt_session *s, size_t i)
{
	const struct recon_item *it = &s->rr.items[i];
	const char *u = unit(s);
	char *d = NULL;

	switch (it->cat) {
	case RECON_MISSING:
		d = run_text(s, it->s->run_id);
		print_line(out, _("  %s: written by %s\n"), row_get(&it->s->row, COL_MAIL), d);
		break;
	case RECON_MOVED:
		print_line(out, _("  %s: Medimail has %s (%s %ld), same %s\n"),
			row_get(&it->s->row, COL_MAIL), row_get(it->m->row, COL_MAIL), u,
			it->m->line, by_text(it->by));
		break;
	case RECON_DIFFERS:
		d = diff_text(&it->s->row, _("written"), it->m->row, it->m, it->diff);
		print_line(out, "  %s: %s\n", row_get(&it->s->row, COL_MAIL), d);
		break;
	case RECON_NOT_EXPIRED:
		print_line(out, _("  %s: Date de péremption \"%s\" written, \"%s\" in Medimail (%s)\n"),
			row_get(&it->s->row, COL_MAIL), row_get(&it->s->row, COL_PEREMPTION),
			row_get(it->m->row, COL_PEREMPTION), state_text(it->m));
		break;
	case RECON_UNKNOWN:
		print_mm(out, s, it->m);
		break;
	default:
		break;
	}
	free(d);
}

static void print_reconcile(FILE *out, const struct adopt_session *s, const char *report)
{
	const struct recon_result *r = &s->rr;
	const size_t *o = r->outcome;
	const struct cats c = {
		recon_labels, recon_meaning, r->count, RECON_MISSING, RECON_NCATS, -1, r->n,
		recon_cat_of, print_recon_item,
	};

	print_table(out, recon_labels, RECON_NCATS, r->count_type, r->count, RECON_MISSING);
	print_details(out, s, &c, report);
	if (!r->n || r->count[RECON_OK] == r->n)
		fprintf(out, _("Medimail holds what medimail-sync wrote\n"));
	if (s->run_id > 0)
		fprintf(out, _("recorded in the state (run %lld): %zu re-queued, %zu changes by hand "
			       "recorded, %zu kept, %zu expiries again; \"state rollback\" undoes it\n"),
			s->run_id, o[RO_REQUEUE], o[RO_REPLACE], o[RO_KEEP], o[RO_REEXPIRE]);
	else if (!s->o->commit && o[RO_REQUEUE] + o[RO_REPLACE] + o[RO_KEEP] + o[RO_REEXPIRE])
		fprintf(out, _("dry run: --commit would re-queue %zu, record %zu changes by hand, "
			       "keep %zu, expire %zu again\n"), o[RO_REQUEUE], o[RO_REPLACE],
			o[RO_KEEP], o[RO_REEXPIRE]);
}

static void print_summary(const struct adopt_session *s, const char *report, FILE *out)
{
	size_t shown = 0, nfind;

	report_colour_init(out);
	report_paint(out, C_BOLD);
	fprintf(out, "medimail-sync %s%s\n", s->reconcile ? "reconcile" : "adopt",
		s->o->commit ? " --commit" : "");
	report_paint(out, C_NONE);
	if (s->ex) {
		int ncols = 0;

		for (int c = 0; c < NCOLS; c++)
			ncols += s->ex->present[c];
		fprintf(out, _("  export %s: %zu accounts, %d of the 36 columns, %s\n"),
			s->ex->path, s->ex->n, ncols, s->ex->has_state ?
			_("with a state column") : _("without a state column"));
	}
	for (size_t i = 0; i < s->col.nsrc; i++)
		fprintf(out, _("  directory \"%s\": %zu people, %zu groups, %zu ORG mailboxes, "
			       "%lu searches\n"), s->col.src[i].d->name, s->col.src[i].people,
			s->col.src[i].groups, s->col.src[i].orgs, s->col.src[i].searches);
	if (s->reconcile && s->compared)
		fprintf(out, _("  state %s: %zu accounts\n"), s->c->state_file, s->nprev);
	if (s->ex)
		print_findings(out, &s->ex->f, s->ex->path, &shown);
	print_findings(out, &s->col.f, NULL, &shown);
	nfind = (s->ex ? s->ex->f.n : 0) + s->col.f.n;
	if (shown < nfind)
		fprintf(out, _("... %zu more findings: see the report %s\n"), nfind - shown,
			report ? report : "-");
	if (!s->compared)
		fprintf(out, _("no comparison: the run failed before it\n"));
	else if (s->reconcile)
		print_reconcile(out, s, report);
	else
		print_adopt(out, s, report);
	if (report)
		fprintf(out, _("report %s\n"), report);
}

/* --- JSON ------------------------------------------------------------------------------- */

static int write_json(const struct adopt_session *s, const char *report, const char *path)
{
	json_t *root = json_object(), *counts = json_object(), *rec = json_object();
	long long t0 = s->clock_started ? s->clock_started : s->started;

	json_object_set_new(root, "command", json_string(s->reconcile ? "reconcile" : "adopt"));
	json_object_set_new(root, "started", json_integer(s->started));
	json_object_set_new(root, "duration", json_integer(s->finished > t0 ? s->finished - t0 : 0));
	json_object_set_new(root, "exit_status", json_integer(s->exit_code));
	json_object_set_new(root, "export", json_string(s->o->export_path));
	json_object_set_new(root, "commit", json_boolean(s->o->commit));
	for (int k = 0; s->compared && !s->reconcile && k < ADOPT_NCATS; k++)
		json_object_set_new(counts, adopt_cat_name((enum adopt_cat)k),
				    json_integer((json_int_t)s->ar.count[k]));
	for (int k = 0; s->compared && s->reconcile && k < RECON_NCATS; k++)
		json_object_set_new(counts, recon_cat_name((enum recon_cat)k),
				    json_integer((json_int_t)s->rr.count[k]));
	json_object_set_new(counts, "errors", json_integer((json_int_t)(
		findings_count(&s->col.f, SEV_ERROR) +
		(s->ex ? findings_count(&s->ex->f, SEV_ERROR) : 0))));
	json_object_set_new(counts, "warnings", json_integer((json_int_t)(
		findings_count(&s->col.f, SEV_WARNING) +
		(s->ex ? findings_count(&s->ex->f, SEV_WARNING) : 0))));
	json_object_set_new(root, "counts", counts);
	if (s->compared && !s->reconcile) {
		const size_t *o = s->ar.outcome;

		json_object_set_new(rec, "added", json_integer((json_int_t)o[OUT_ADDED]));
		json_object_set_new(rec, "replaced", json_integer((json_int_t)o[OUT_REPLACED]));
		json_object_set_new(rec, "unchanged",
				    json_integer((json_int_t)(o[OUT_SAME] + o[OUT_MANAGED])));
		json_object_set_new(rec, "unconfirmed",
				    json_integer((json_int_t)o[OUT_UNCONFIRMED]));
		json_object_set_new(rec, "not_asked", json_integer((json_int_t)o[OUT_NOT_ASKED]));
	} else if (s->compared) {
		const size_t *o = s->rr.outcome;

		json_object_set_new(rec, "requeued", json_integer((json_int_t)o[RO_REQUEUE]));
		json_object_set_new(rec, "replaced", json_integer((json_int_t)o[RO_REPLACE]));
		json_object_set_new(rec, "kept", json_integer((json_int_t)o[RO_KEEP]));
		json_object_set_new(rec, "reexpired", json_integer((json_int_t)o[RO_REEXPIRE]));
	}
	json_object_set_new(root, "recorded", rec);
	json_object_set_new(root, "run_id", s->run_id > 0 ? json_integer(s->run_id) : json_null());
	json_object_set_new(root, "report", report ? json_string(report) : json_null());
	return report_json_dump(root, path);
}

/* --- the XLSX report ------------------------------------------------------------------- */

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

static lxw_error recon_sheet(lxw_workbook *wb, const struct book *bk, enum recon_cat k)
{
	const struct adopt_session *s = bk->s;
	const char *name = _(recon_sheets[k]);
	struct xsheet x;

	if (k == RECON_DIFFERS) {
		if (diff_start(wb, &x, name, s, &bk->fmt) < 0)
			goto out;
	} else if (k == RECON_MISSING) {
		const char *const hdr[] = {
			_("Mail address"), _("BAL type"), "DN", _("Key"), _("Written by run"),
			_("Run start"), _("Command"), _("Files"), _("With --commit"),
		};

		if (xsheet_start(wb, &x, name, hdr, ARRAY_SIZE(hdr), &bk->fmt) < 0)
			goto out;
	} else if (k == RECON_MOVED) {
		const char *const hdr[] = {
			_("Address written"), _("Medimail address"), _("Matched by"),
			_("Export line"), "DN", _("Key"),
		};

		if (xsheet_start(wb, &x, name, hdr, ARRAY_SIZE(hdr), &bk->fmt) < 0)
			goto out;
	} else if (k == RECON_NOT_EXPIRED) {
		const char *const hdr[] = {
			_("Mail address"), "DN", _("Date written"), _("Date in Medimail"),
			_("Medimail state"), _("Export line"), _("With --commit"),
		};

		if (xsheet_start(wb, &x, name, hdr, ARRAY_SIZE(hdr), &bk->fmt) < 0)
			goto out;
	} else if (acct_start(wb, &x, name, &bk->fmt) < 0) {
		goto out;
	}
	for (size_t i = 0; i < s->rr.n; i++) {
		const struct recon_item *it = &s->rr.items[i];
		const char *out_text = recon_outcome_text(it->outcome);

		if (it->cat != k)
			continue;
		if (k == RECON_DIFFERS) {
			char *by = xasprintf(_("written (run %lld)"), it->s->run_id);

			diff_rows(&x, s, row_get(&it->s->row, COL_MAIL), it->s->dn, &it->s->row,
				  by, it->m, it->diff, &bk->fmt);
			free(by);
		} else if (k == RECON_MISSING) {
			const struct state_run *run = run_of(s, it->s->run_id);
			char *t = run ? xsheet_time(run->started) : NULL;

			if (xsheet_row(&x)) {
				xsheet_str(&x, 0, row_get(&it->s->row, COL_MAIL), NULL);
				xsheet_str(&x, 1, bal_type_name(it->s->type), NULL);
				xsheet_str(&x, 2, it->s->dn, NULL);
				xsheet_str(&x, 3, it->s->key, NULL);
				xsheet_num(&x, 4, (double)it->s->run_id, NULL);
				xsheet_str(&x, 5, t, NULL);
				xsheet_str(&x, 6, run ? run->command : NULL, NULL);
				xsheet_str(&x, 7, run ? run->files : NULL, NULL);
				xsheet_str(&x, 8, out_text, NULL);
			}
			free(t);
		} else if (k == RECON_MOVED) {
			if (xsheet_row(&x)) {
				xsheet_str(&x, 0, row_get(&it->s->row, COL_MAIL), NULL);
				xsheet_str(&x, 1, row_get(it->m->row, COL_MAIL), NULL);
				xsheet_str(&x, 2, by_text(it->by), NULL);
				xsheet_num(&x, 3, (double)it->m->line, NULL);
				xsheet_str(&x, 4, it->s->dn, NULL);
				xsheet_str(&x, 5, it->s->key, NULL);
			}
		} else if (k == RECON_NOT_EXPIRED) {
			if (xsheet_row(&x)) {
				xsheet_str(&x, 0, row_get(&it->s->row, COL_MAIL), NULL);
				xsheet_str(&x, 1, it->s->dn, NULL);
				xsheet_str(&x, 2, row_get(&it->s->row, COL_PEREMPTION), NULL);
				xsheet_str(&x, 3, row_get(it->m->row, COL_PEREMPTION),
					   it->passed ? NULL : bk->fmt.warning);
				xsheet_str(&x, 4, it->m->state, it->passed ? bk->fmt.warning : NULL);
				xsheet_num(&x, 5, (double)it->m->line, NULL);
				xsheet_str(&x, 6, out_text, NULL);
			}
		} else {
			const struct row *r = it->s ? &it->s->row : it->m->row;

			acct_row(&x, r, it->s ? bal_type_name(it->s->type) :
				 row_get(it->m->row, COL_TYPE_BAL), it->m, it->s ? it->s->dn : NULL,
				 by_text(it->by), out_text);
		}
	}
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

static char *write_xlsx(const struct adopt_session *s)
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

char *adopt_report(const struct adopt_session *s)
{
	char *report = s->compared ? write_xlsx(s) : NULL;

	/* --json -: stdout is the JSON's alone */
	if (!s->o->quiet)
		print_summary(s, report, report_text_out(s->o->json_path));
	fflush(stdout);
	if (s->compared && s->reconcile)
		log_notice("reconcile %s: missing %zu, moved %zu, differs %zu, not expired %zu, "
			   "unknown %zu, matching %zu; run %lld; report %s", s->o->export_path,
			   s->rr.count[RECON_MISSING], s->rr.count[RECON_MOVED],
			   s->rr.count[RECON_DIFFERS], s->rr.count[RECON_NOT_EXPIRED],
			   s->rr.count[RECON_UNKNOWN], s->rr.count[RECON_OK], s->run_id,
			   report ? report : "none");
	else if (s->compared)
		log_notice("adopt %s: identical %zu, differs %zu, rename %zu, leaving %zu, "
			   "rejected %zu, new %zu, skipped %zu, Medimail only %zu, conflict %zu; "
			   "added %zu, replaced %zu; run %lld; report %s", s->o->export_path,
			   s->ar.count[ADOPT_IDENTICAL], s->ar.count[ADOPT_DIFFERS],
			   s->ar.count[ADOPT_RENAME], s->ar.count[ADOPT_LEAVING],
			   s->ar.count[ADOPT_REJECTED], s->ar.count[ADOPT_NEW],
			   s->ar.count[ADOPT_SKIPPED], s->ar.count[ADOPT_ORPHAN],
			   s->ar.count[ADOPT_CONFLICT], s->ar.outcome[OUT_ADDED],
			   s->ar.outcome[OUT_REPLACED], s->run_id, report ? report : "none");
	if (s->o->json_path && write_json(s, report, s->o->json_path) != 0)
		log_err("%s: cannot write the JSON summary", s->o->json_path);
	return report;
}
