/*
 * adopt_report.c - what adopt and reconcile tell the admin, in the style of plan's report:
 * the terminal summary (a table of counts per category and BAL type, then the first lines of
 * each category), the one-line log summary and the JSON summary (--json). The XLSX report is
 * adopt_xlsx.c's.
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "adopt_report_int.h"
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

const char *const adopt_labels[ADOPT_NCATS] = {
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

const char *const adopt_sheets[ADOPT_NCATS] = {
	[ADOPT_IDENTICAL] = N_("Identical"), [ADOPT_DIFFERS] = N_("Differences"),
	[ADOPT_RENAME] = N_("Renames"),      [ADOPT_LEAVING] = N_("Leavers"),
	[ADOPT_REJECTED] = N_("Rejected"),   [ADOPT_NEW] = N_("New"),
	[ADOPT_SKIPPED] = N_("Skipped"),     [ADOPT_ORPHAN] = N_("Medimail only"),
	[ADOPT_CONFLICT] = N_("Conflicts"),
};

const char *const recon_labels[RECON_NCATS] = {
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

const char *const recon_sheets[RECON_NCATS] = {
	[RECON_OK] = N_("Matching"),        [RECON_MISSING] = N_("Missing"),
	[RECON_MOVED] = N_("Moved"),        [RECON_DIFFERS] = N_("Differences"),
	[RECON_NOT_EXPIRED] = N_("Not expired"), [RECON_UNKNOWN] = N_("Unknown"),
};

const char *conflict_text(enum adopt_conflict k)
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

const char *adopt_outcome_text(const struct adopt_item *it)
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

const char *recon_outcome_text(enum recon_outcome o)
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

const char *unit(const struct adopt_session *s)
{
	return s->ex && s->ex->unit ? _(s->ex->unit) : _(units[0]);
}

/* How an account was matched, for the admin: adopt_by_name() with "address" translated (RPPS
 * and ADELI are names). */
const char *by_text(enum adopt_by b)
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
	char *line;
	size_t n;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (n > 0 && line[n - 1] == '\n')
		n--;
	sb_addn(&sb, "", 0);
	sb_add_visible(&sb, line, n);
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
const struct state_run *run_of(const struct adopt_session *s, long long id)
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

char *adopt_report(const struct adopt_session *s)
{
	char *report = s->compared ? adopt_xlsx_write(s) : NULL;

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
		log_err("%s: cannot write the JSON summary: %s", s->o->json_path, strerror(errno));
	return report;
}
