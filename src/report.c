/*
 * report.c - the terminal summary, the one-line log summary and the JSON summary.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "report.h"

static const char *const limit_names[LIMIT_N] = {
	"empty-source", "expire-count", "expire-percent", "org-loss",
};

static const char *col_header(int col)
{
	return col >= 0 && col < NCOLS ? columns[col].header : "-";
}

static void print_finding(FILE *out, const struct finding *x)
{
	fprintf(out, "%s: %s: %s: %s: %s", x->sev == SEV_ERROR ? "rejected" : "warning",
		x->where, col_header(x->col), x->rule, x->message);
	if (x->value)
		fprintf(out, " (value \"%s\")", x->value);
	fputc('\n', out);
}

static void print_summary(const struct run *r, FILE *out)
{
	const struct plan *p = &r->plan;
	const char *cmd = r->o->apply ? "apply" : "plan";

	fprintf(out, "medimail-sync %s\n", cmd);
	for (size_t i = 0; i < r->nsrc; i++)
		fprintf(out, "  directory \"%s\": %zu people, %zu groups, %zu ORG mailboxes, "
			"%lu searches\n", r->src[i].d->name, r->src[i].people, r->src[i].groups,
			r->src[i].orgs, r->src[i].searches);
	for (size_t i = 0; i < r->f.n; i++)
		print_finding(out, &r->f.v[i]);
	if (!r->planned) {
		fprintf(out, "no plan: the run failed before planning\n");
		return;
	}
	fprintf(out, "\n  %-11s %6s %6s %6s %6s %7s\n", "", "PER", "INT", "ORG", "MED", "total");
	for (int a = 0; a < ACT_NACTIONS; a++) {
		fprintf(out, "  %-11s", action_name((enum action)a));
		for (int t = 0; t < BAL_NTYPES; t++)
			fprintf(out, " %6zu", p->count_type[a][t]);
		fprintf(out, " %7zu\n", p->count[a]);
	}
	fputc('\n', out);
	for (int i = 0; i < LIMIT_N; i++) {
		const struct plan_limit *l = &p->limit[i];

		if (!l->tripped)
			continue;
		fprintf(out, "safety limit %s tripped: %g over %g%s%s%s\n", limit_names[i],
			l->value, l->max, l->detail ? " (" : "", l->detail ? l->detail : "",
			l->detail ? ")" : "");
	}
	if (p->limits_tripped)
		fprintf(out, "nothing written: a safety limit tripped (apply --force to accept "
			"the plan once)\n");
	else if (r->nothing_to_do)
		fprintf(out, "nothing to do\n");
	for (size_t i = 0; i < r->nfiles; i++)
		fprintf(out, "wrote %s\n", r->files[i]);
	if (r->report)
		fprintf(out, "report %s\n", r->report);
}

static int write_json(const struct run *r, const char *path)
{
	json_t *root = json_object(), *counts = json_object(), *limits = json_object();
	json_t *files = json_array();
	int rc;

	json_object_set_new(root, "command", json_string(r->o->apply ? "apply" : "plan"));
	json_object_set_new(root, "started", json_integer(r->started));
	json_object_set_new(root, "duration", json_integer(r->finished - r->started));
	json_object_set_new(root, "exit_status", json_integer(r->exit_code));
	for (int a = 0; r->planned && a < ACT_NACTIONS; a++)
		json_object_set_new(counts, action_name((enum action)a),
				    json_integer((json_int_t)r->plan.count[a]));
	json_object_set_new(counts, "errors",
			    json_integer((json_int_t)findings_count(&r->f, SEV_ERROR)));
	json_object_set_new(counts, "warnings",
			    json_integer((json_int_t)findings_count(&r->f, SEV_WARNING)));
	json_object_set_new(root, "counts", counts);
	for (int i = 0; r->planned && i < LIMIT_N; i++) {
		json_t *l = json_object();

		json_object_set_new(l, "tripped", json_boolean(r->plan.limit[i].tripped));
		json_object_set_new(l, "value", json_real(r->plan.limit[i].value));
		json_object_set_new(l, "max", json_real(r->plan.limit[i].max));
		json_object_set_new(limits, limit_names[i], l);
	}
	json_object_set_new(root, "limits", limits);
	for (size_t i = 0; i < r->nfiles; i++)
		json_array_append_new(files, json_string(r->files[i]));
	json_object_set_new(root, "files", files);
	json_object_set_new(root, "report", r->report ? json_string(r->report) : json_null());
	json_object_set_new(root, "nothing_to_do", json_boolean(r->nothing_to_do));
	if (strcmp(path, "-") == 0)
		rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	else
		rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (rc == 0 && strcmp(path, "-") == 0)
		fputc('\n', stdout);
	json_decref(root);
	return rc;
}

/* The XLSX report goes next to the loadusers files, for plan and apply alike. */
static void write_report(struct run *r)
{
	char *path = unique_path(r->c->output.directory, "report", "xlsx"), *err = NULL;

	if (report_xlsx_write(r, path, &err) != 0) {
		log_err("%s", err ? err : path);
		free(path);
	} else {
		r->report = path;
	}
	free(err);
}

void report_run(struct run *r)
{
	struct strbuf files = { 0 };

	if (r->planned)
		write_report(r);

	if (!r->o->quiet)
		print_summary(r, stdout);
	fflush(stdout);
	for (size_t i = 0; i < r->nfiles; i++)
		sb_addf(&files, "%s%s", i ? ", " : "", r->files[i]);
	if (r->planned)
		log_notice("%s: created %zu, updated %zu, expired %zu, reactivated %zu, "
			   "renamed %zu, unchanged %zu, rejected %zu; files: %s",
			   r->o->apply ? "apply" : "plan", r->plan.count[ACT_CREATE],
			   r->plan.count[ACT_UPDATE], r->plan.count[ACT_EXPIRE],
			   r->plan.count[ACT_REACTIVATE], r->plan.count[ACT_RENAME],
			   r->plan.count[ACT_UNCHANGED], r->plan.count[ACT_REJECTED],
			   files.len ? files.buf : "none");
	sb_free(&files);
	if (r->o->json_path && write_json(r, r->o->json_path) != 0)
		log_err("%s: cannot write the JSON summary", r->o->json_path);
}
