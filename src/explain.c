/*
 * explain.c - "medimail-sync explain ENTRY": the directories are read as plan reads them; the
 * collector keeps the entry asked for and maps it once more with a trace (collect.h); the plan
 * against the state says what the next apply would do. Everything is printed as plain text:
 * an admin should find out why a cell holds what it holds in under a minute.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "collect.h"
#include "dir.h"
#include "exitcode.h"
#include "explain.h"
#include "i18n.h"
#include "log.h"
#include "map.h"
#include "plan.h"
#include "report.h"
#include "state.h"

#define LABEL_WIDTH 12

/* n bytes of directory data, escaped (util.h: sb_add_visible). */
static void fput_visible_n(FILE *out, const char *s, size_t n)
{
	struct strbuf sb = { 0 };

	sb_addn(&sb, "", 0);
	sb_add_visible(&sb, s, n);
	fputs(sb.buf, out);
	sb_free(&sb);
}

/* Every line of text indented by ind spaces; the values it quotes are escaped. */
static void print_indented(FILE *out, const char *text, int ind)
{
	const char *p = text;

	while (p && *p) {
		size_t n = strcspn(p, "\n");

		fprintf(out, "%*s", ind, "");
		fput_visible_n(out, p, n);
		fputc('\n', out);
		p += n;
		if (*p)
			p++;
	}
}

/* A line's label in the 12 columns before its value, counted in characters so that a
 * translated label with accents stays aligned (a translation holds at most 11 characters). */
static void label(FILE *out, const char *text)
{
	report_padded(out, text, LABEL_WIDTH);
}

static const char *sev_text(enum severity s)
{
	return s == SEV_ERROR ? _("error") : _("warning");
}

static void print_finding(FILE *out, const struct finding *x, int ind)
{
	char *msg = str_visible(x->message);

	/* TRANSLATORS: an indent, the severity, the rule id, the message */
	fprintf(out, _("%*s%s: %s: %s"), ind, "", sev_text(x->sev), x->rule, msg);
	free(msg);
	if (x->value) {
		fprintf(out, " (%s \"", _("value"));
		fput_visible(x->value, out);
		fputs("\")", out);
	}
	fputc('\n', out);
}

/* The findings about dn: those of column col (col -2: every column; -1: no column). */
static size_t print_findings(FILE *out, const struct findings *f, const char *dn, int col,
			     int ind)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->v[i];

		if (strcmp(x->where, dn) != 0 || (col != -2 && x->col != col))
			continue;
		print_finding(out, x, ind);
		n++;
	}
	return n;
}

static size_t count_findings(const struct findings *f, const char *dn)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += strcmp(f->v[i].where, dn) == 0;
	return n;
}

static void print_values(FILE *out, const struct entry *e, const char *name)
{
	const struct attr *a = name ? entry_attr(e, name) : NULL;

	if (!name) {
		fprintf(out, _("not configured"));
		return;
	}
	fprintf(out, "%s: ", name);
	if (!a || a->nvals == 0) {
		fprintf(out, _("absent"));
		return;
	}
	for (size_t i = 0; i < a->nvals; i++) {
		fprintf(out, "%s\"", i ? ", " : "");
		fput_visible_n(out, a->vals[i], a->lens[i]);
		fputc('"', out);
	}
}

/* Whether the person is leaving, from the values the collector read. */
static void print_leaving(FILE *out, const struct conf_directory *d, const struct entry *e,
			  const struct account *a, long long now)
{
	const struct attr *end = d->end_date_attribute ? entry_attr(e, d->end_date_attribute) :
				 NULL;

	label(out, _("leaving"));
	if (a->disabled)
		fprintf(out, _("yes: disabled in the directory\n"));
	else if (a->end_time && a->end_time <= now)
		fprintf(out, _("yes: past the end date\n"));
	else
		fprintf(out, _("no\n"));
	fprintf(out, "%12s%s ", "", _("disabled-attribute"));
	print_values(out, e, d->disabled_attribute);
	fputc('\n', out);
	if (d->disabled_filter) {
		int r = dir_filter_match(d->disabled_filter, e);

		fprintf(out, "%12s%s %s: %s\n", "", _("disabled-filter"), d->disabled_filter,
			r == DIR_FILTER_TRUE ? _("true (disabled)") :
			r == DIR_FILTER_FALSE ? _("false") : _("undefined (cannot be read)"));
	}
	fprintf(out, "%12s%s (%s) ", "", _("end date"), map_date_form_name(d->end_date_format));
	print_values(out, e, d->end_date_attribute);
	for (size_t i = 0; end && i < end->nvals; i++) {
		long long t;
		enum date_res res = map_date_read(end->vals[i], d->end_date_format, &t);
		char *day = res == DATE_OK ? map_date_text(t) : NULL;

		fprintf(out, "%s", i ? "; " : " -> ");
		if (res == DATE_OK)
			fprintf(out, "%s (%s)", day, t <= now ? _("past") : _("future"));
		else if (res == DATE_NEVER)
			fprintf(out, _("never"));
		else
			fprintf(out, _("cannot be read as %s"),
				map_date_form_text(d->end_date_format));
		free(day);
	}
	fputc('\n', out);
}

/* What the next apply would do with the account. */
static void print_action(FILE *out, const struct plan *p, const struct account *a)
{
	const struct plan_item *it = NULL;

	for (size_t i = 0; i < p->n && !it; i++)
		if (p->items[i].cur == a)
			it = &p->items[i];
	label(out, _("next apply"));
	if (!it) {
		fprintf(out, _("nothing\n"));
		return;
	}
	switch (it->act) {
	case ACT_CREATE:
		fprintf(out, _("create: the row below is written\n"));
		break;
	case ACT_UPDATE:
	case ACT_REACTIVATE:
	case ACT_RENAME:
		/* TRANSLATORS: an action (update, rename, reactivate), then the cells it changes */
		fprintf(out, _("%s:"), it->act == ACT_UPDATE ? _("update") :
			it->act == ACT_RENAME ? _("rename") : _("reactivate"));
		for (int c = 0; c < NCOLS; c++)
			if (it->changed & (1ULL << c)) {
				fprintf(out, "\n%12s%s: \"", "", columns[c].header);
				fput_visible(row_get(&it->prev->row, (enum col)c), out);
				fputs("\" -> \"", out);
				fput_visible(row_get(&a->row, (enum col)c), out);
				fputc('"', out);
			}
		fputc('\n', out);
		break;
	case ACT_UNCHANGED:
		fprintf(out, _("unchanged: Medimail already has this row\n"));
		break;
	case ACT_EXPIRE:
		fprintf(out, _("expire (%s): the row last written, with Date de péremption %s\n"),
			expire_reason_name(it->reason), it->expire_date);
		break;
	case ACT_SKIPPED:
		fprintf(out, _("skipped (%s): never written, nothing to tell Medimail\n"),
			expire_reason_name(it->reason));
		break;
	default:
		fprintf(out, it->stale ? _("rejected: nothing is written; the mailbox written "
					   "earlier keeps its last values\n") :
			_("rejected: nothing is written\n"));
		break;
	}
}

/* The 36 columns: the final cell, how the mapping got there, and the rules that fired. */
static void print_columns(FILE *out, const struct collect_explain *ex, const struct account *a,
			  const struct findings *f)
{
	fprintf(out, "\n%s\n", _("Columns"));
	for (int c = 0; c < NCOLS; c++) {
		const char *cell = row_get(&a->row, (enum col)c);
		const char *mapped = row_get(&ex->mapped, (enum col)c);

		fprintf(out, "%2d ", c + 1);
		report_padded(out, columns[c].header, 30);
		fputc(' ', out);
		if (*cell) {
			fputc('"', out);
			fput_visible(cell, out);
			fputs("\"\n", out);
		} else
			fprintf(out, "%s\n", _("(empty)"));
		if (ex->trace.col[c].len)
			print_indented(out, ex->trace.col[c].buf, 6);
		else if (a->type >= 0 && a->type < BAL_NTYPES &&
			 column_req(c, a->type) == REQ_NC)
			fprintf(out, "%6s%s\n", "",
				_("not concerned for this BAL type: left empty"));
		if (c == COL_TYPE_BAL && !ex->group)
			fprintf(out, "%6s%s\n", "", _("set by the BAL rules (above)"));
		else if (!ex->group && strcmp(cell, mapped) != 0) {
			fprintf(out, "%6s%s \"", "", c == COL_PEREMPTION ?
				_("the end date, written ahead:") :
				_("normalised by the checks (derived from CP, list value):"));
			fput_visible(cell, out);
			fputs("\"\n", out);
		}
		print_findings(out, f, a->dn, c, 6);
	}
}

static void print_org(FILE *out, const struct collect_explain *ex, const struct account *a,
		      const struct findings *f, const struct conf_directory *d)
{
	const char *owner = d->owner_attribute ? entry_get(&ex->entry, d->owner_attribute) : NULL;
	const char *cx = row_get(&a->row, COL_CONNEXION);

	label(out, _("ORG"));
	fprintf(out, "%s\n", _("a shared mailbox built from this group"));
	label(out, _("responsible"));
	if (owner) {
		fprintf(out, "%s: ", d->owner_attribute);
		fput_visible(owner, out);
		fputc('\n', out);
	} else
		fprintf(out, _("none in %s: default-owner is used when set\n"),
			d->owner_attribute ? d->owner_attribute : "owner");
	label(out, _("connexion"));
	if (!*cx)
		fprintf(out, _("none\n"));
	for (const char *p = cx; *p;) {
		size_t n = strcspn(p, ";");

		fputs(p == cx ? "" : "            ", out);
		fput_visible_n(out, p, n);
		fputc('\n', out);
		p += n + (p[n] == ';');
	}
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].where, a->dn) == 0 && strcmp(f->v[i].rule,
								 "org-member-excluded") == 0) {
			fprintf(out, "%12s", "");
			fput_visible(f->v[i].message, out);
			fputc('\n', out);
		}
}

/* One field of a national record: a label in the second column, then the value. */
static void national_line(FILE *out, const char *label, const struct nat_code *code)
{
	if (!*code->code && !*code->label)
		return;
	fprintf(out, "%12s", "");
	report_padded(out, label, 20);
	fputc(' ', out);
	fput_visible(code->code, out);
	fputs(*code->code ? " " : "", out);
	fput_visible(code->label, out);
	fputc('\n', out);
}

/* The row's national record (its RPPS's, else its ADELI's; an ORG's responsible's), how the
 * templates found it, and the national directory's checks that fired. */
static void print_national(FILE *out, const struct collection *col,
			   const struct collect_explain *ex, const struct account *a)
{
	const struct nat_person *p = a->national;
	struct nat_code v;
	size_t nf = 0;

	if (!col->national.db)
		return;
	label(out, _("national"));
	if (!p)
		fprintf(out, _("no record: no RPPS or ADELI, or one the national directory does "
			       "not know\n"));
	else
		fprintf(out, "%s %s (%s %s)%s\n", p->type == NAT_RPPS ? "RPPS" : "ADELI", p->id,
			_("national id"), p->idnat,
			p->in_extract ? "" : _(": in the MSSanté extract only"));
	if (p && p->in_extract) {
		v = (struct nat_code){ p->nom, p->prenom };
		national_line(out, _("nom, prénom"), &v);
		national_line(out, _("civilité d'exercice"), &p->civilite_exercice);
	}
	for (size_t i = 0; p && i < p->nprofessions; i++)
		national_line(out, _("profession"), &p->professions[i].profession);
	for (size_t i = 0; p && i < p->nsavoir_faire; i++) {
		const struct nat_savoir_faire *sf = &p->savoir_faire[i];
		char *label = xasprintf("%s (%s)", sf->savoir_faire.label, sf->type.label);

		v = (struct nat_code){ sf->savoir_faire.code, label };
		national_line(out, _("savoir-faire"), &v);
		free(label);
	}
	for (size_t i = 0; p && i < p->nmssante; i++) {
		v = (struct nat_code){ "", p->mssante[i].address };
		national_line(out, _("MSSanté"), &v);
	}
	if (ex->trace.national.len) {
		fprintf(out, "%12s%s\n", "", _("the templates read the record of:"));
		print_indented(out, ex->trace.national.buf, 14);
	}
	for (size_t i = 0; i < col->f.n; i++) {
		const struct finding *x = &col->f.v[i];

		if (strcmp(x->where, a->dn) != 0 || strncmp(x->rule, "national-", 9) != 0)
			continue;
		if (nf++ == 0)
			fprintf(out, "%12s%s\n", "", _("checks:"));
		print_finding(out, x, 14);
	}
	if (nf == 0)
		fprintf(out, "%12s%s\n", "", _("checks: nothing to say"));
}

static void print_entry(FILE *out, const struct config *c, const struct collection *col,
			const struct collect_explain *ex, const struct plan *p, long long now)
{
	const struct account *a = &col->acc[ex->acc];
	const struct conf_directory *d = ex->dir;
	char *key = NULL;

	label(out, _("entry"));
	fput_visible(a->dn, out);
	fputc('\n', out);
	if (ex->found > 1) {
		char *want = str_visible(ex->want);

		fprintf(out, _("%12s(%zu entries match \"%s\": the first one is shown)\n"), "",
			ex->found, want);
		free(want);
	}
	label(out, _("directory"));
	fprintf(out, "\"%s\": %s", d->name, d->uri ? d->uri : d->ldif);
	if (d->st)
		fprintf(out, _(", structure \"%s\""), d->st->name);
	fputc('\n', out);
	key = a->key ? str_visible(a->key) : NULL;
	label(out, _("stable id"));
	fprintf(out, "%s: %s\n", d->id_attribute, key ? key : "-");
	free(key);
	if (ex->group) {
		print_org(out, ex, a, &col->f, d);
	} else {
		print_leaving(out, d, &ex->entry, a, now);
		fprintf(out, "%s\n", _("BAL rules"));
		if (ex->trace.rules.len)
			print_indented(out, ex->trace.rules.buf, 2);
	}
	label(out, _("type"));
	fprintf(out, "%s\n", bal_type_name(a->type));
	print_national(out, col, ex, a);
	if (p)
		print_action(out, p, a);
	label(out, _("findings"));
	if (count_findings(&col->f, a->dn) == 0)
		fprintf(out, _("none\n"));
	else
		fprintf(out, "\n");
	print_findings(out, &col->f, a->dn, -2, 2);
	print_columns(out, ex, a, &col->f);
	(void)c;
}

int explain_main(const struct config *c, const char *want, long long now, FILE *out)
{
	struct checker *ck = NULL;
	struct mapper *m = NULL;
	struct state *st = NULL;
	struct state_account *prev = NULL;
	size_t nprev = 0;
	struct collection col = { 0 };
	struct collect_explain ex = { .want = want };
	struct collect_opts co = { .now = now, .explain = &ex };
	struct state_fetch fc = { NULL, NULL };
	struct plan p;
	bool planned = false;
	char *err = NULL;
	int rc = EXIT_FAIL;

	if (collect_setup(c, &ck, &m) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	st = state_open(c->state_file, true, false, &err);
	if (!st) {
		rc = errno == EWOULDBLOCK ? EXIT_LOCKED : EXIT_FAIL;    /* before logging */
		log_err("%s", err ? err : c->state_file);
		goto out;
	}
	if (state_load_digests(st, &prev, &nprev, &err) != 0) {
		log_err("%s: %s", c->state_file, err ? err : "cannot read the state");
		goto out;
	}
	co.reserve = nprev;
	if (c->national) {
		co.national = nat_open_background(c->national, &err);
		if (!co.national) {
			log_err("%s", err ? err : "national directory: cannot open");
			goto out;
		}
	}
	if (collect(c, m, ck, &co, &col) != 0)
		goto out;
	if (ex.found == 0) {
		log_err(_("explain: no entry read has the DN or the address \"%s\" (%zu accounts "
			  "read: check the bases, the filters and the address template)"), want,
			col.nacc);
		goto out;
	}
	{
		struct plan_opts po = {
			.now = now, .grace_days = c->limits.grace_days, .max_expire_count = -1,
			.max_expire_percent = -1, .max_org_loss_percent = -1,
			.fetch = state_fetch_plan, .fetch_arg = &fc,
		};

		fc.st = st;
		planned = plan_build(col.acc, col.nacc, prev, nprev, &po, &p) == 0;
		if (!planned)
			log_warn("explain: cannot tell what the next apply would do: %s",
				 fc.err ? fc.err : "the plan failed");
		free(fc.err);
	}
	print_entry(out, c, &col, &ex, planned ? &p : NULL, now);
	rc = col.acc[ex.acc].rejected ? EXIT_REJECTED : EXIT_OK;
out:
	if (planned)
		plan_free(&p);
	collect_explain_free(&ex);
	collect_free(&col);
	nat_close(co.national);
	for (size_t i = 0; i < nprev; i++)
		state_account_free(&prev[i]);
	free(prev);
	state_close(st);
	map_free(m);
	check_free(ck);
	free(err);
	return rc;
}
