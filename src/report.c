/*
 * report.c - the terminal summary, the one-line log summary and the JSON summary.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "map.h"
#include "national.h"
#include "report.h"

static const char *const limit_names[LIMIT_N] = {
	"empty-source", "expire-count", "expire-percent", "org-loss",
};

/* Action labels of the summary table, at most 11 characters in every language. */
static const char *const action_labels[ACT_NACTIONS] = {
	[ACT_CREATE] = N_("create"),         [ACT_UPDATE] = N_("update"),
	[ACT_UNCHANGED] = N_("unchanged"),   [ACT_EXPIRE] = N_("expire"),
	[ACT_REACTIVATE] = N_("reactivate"), [ACT_RENAME] = N_("rename"),
	[ACT_SKIPPED] = N_("skipped"),       [ACT_REJECTED] = N_("rejected"),
};

#define FINDINGS_SHOWN 50
#define REASONS_SHOWN 10

static bool use_colour;

/* Colour only on a terminal that can show it (https://no-color.org). */
static bool colour_wanted(FILE *out)
{
	const char *term = getenv("TERM");

	return isatty(fileno(out)) && term && *term && strcmp(term, "dumb") != 0 &&
		!getenv("NO_COLOR");
}

static void paint(FILE *out, enum colour c)
{
	static const char *const seq[] = {
		[C_NONE] = "\033[0m", [C_RED] = "\033[31m", [C_GREEN] = "\033[32m",
		[C_YELLOW] = "\033[33m", [C_BOLD] = "\033[1m",
	};

	if (use_colour)
		fputs(seq[c], out);
}

/* Text left-justified in width columns, counting characters rather than bytes. */
static void print_padded(FILE *out, const char *s, size_t width)
{
	size_t n = utf8_len(s);

	fputs(s, out);
	while (n++ < width)
		fputc(' ', out);
}

/* The same, for the other commands' summaries (adopt_report.c). */
void report_colour_init(FILE *out)
{
	use_colour = colour_wanted(out);
}

void report_paint(FILE *out, enum colour c)
{
	paint(out, c);
}

void report_padded(FILE *out, const char *s, size_t width)
{
	print_padded(out, s, width);
}

static const char *col_header(int col)
{
	return col >= 0 && col < NCOLS ? columns[col].header : "-";
}

void report_finding(FILE *out, const struct finding *x)
{
	bool err = x->sev == SEV_ERROR;

	paint(out, err ? C_RED : C_YELLOW);
	fputs(err ? _("rejected:") : _("warning:"), out);
	paint(out, C_NONE);
	/* where (a DN), the message and the value come from the directory: escaped */
	fputc(' ', out);
	fput_visible(x->where, out);
	fprintf(out, ": %s: %s: ", col_header(x->col), x->rule);
	fput_visible(x->message, out);
	if (x->value) {
		fprintf(out, " (%s \"", _("value"));
		fput_visible(x->value, out);
		fputs("\")", out);
	}
	fputc('\n', out);
}

/* Errors first, then warnings, FINDINGS_SHOWN at most: the report has them all. */
static void print_findings(const struct run *r, const char *report, FILE *out)
{
	size_t shown = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->f.n; i++) {
			const struct finding *x = &r->f.v[i];

			if ((x->sev == SEV_ERROR) != (pass == 0) || shown >= FINDINGS_SHOWN)
				continue;
			report_finding(out, x);
			shown++;
		}
	if (shown == r->f.n)
		return;
	if (report)
		fprintf(out, _("... %zu more findings: see the report %s\n"), r->f.n - shown,
			report);
	else
		fprintf(out, _("... %zu more findings (no report was written)\n"),
			r->f.n - shown);
}

/* Rejections grouped by rule and column, most frequent first. */
struct reason {
	const char *rule;
	int col;
	size_t n;
};

static int reason_cmp(const void *pa, const void *pb)
{
	const struct reason *a = pa, *b = pb;
	int c;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	c = strcmp(a->rule, b->rule);
	return c ? c : a->col - b->col;
}

static void print_reasons(const struct run *r, FILE *out)
{
	struct reason *v = NULL;
	size_t n = 0, cap = 0, j;

	for (size_t i = 0; i < r->f.n; i++) {
		const struct finding *x = &r->f.v[i];
		const char *rule = x->rule ? x->rule : "-";

		if (x->sev != SEV_ERROR)
			continue;
		for (j = 0; j < n && (v[j].col != x->col || strcmp(v[j].rule, rule)); j++)
			;
		if (j == n) {
			xgrow(&v, &cap, n + 1, sizeof(*v));
			v[n++] = (struct reason){ rule, x->col, 0 };
		}
		v[j].n++;
	}
	if (n == 0)
		goto out;
	qsort(v, n, sizeof(*v), reason_cmp);
	fprintf(out, _("most frequent rejection reasons:\n"));
	for (j = 0; j < n && j < REASONS_SHOWN; j++)
		fprintf(out, "  %6zu  %s (%s)\n", v[j].n, v[j].rule, col_header(v[j].col));
	if (n > REASONS_SHOWN)
		fprintf(out, _("  ... and %zu other reasons\n"), n - REASONS_SHOWN);
	fputc('\n', out);
out:
	free(v);
}

#define UNMATCHED_SHOWN 10

/* The values that matched no key of their table: the admin builds the table from them. */
static void print_unmatched(const struct run *r, FILE *out)
{
	struct map_unmatched *u = NULL;
	size_t n = r->col.stats ? map_stats_unmatched(r->col.stats, &u) : 0;

	if (n == 0)
		goto out;
	fprintf(out, ngettext("%zu value matched no key of its table (add it to the table, or "
			      "rely on its default):\n",
			      "%zu values matched no key of their tables (add them to the tables, "
			      "or rely on their defaults):\n", n), n);
	for (size_t i = 0; i < n && i < UNMATCHED_SHOWN; i++) {
		char *v = str_visible(u[i].value), *e = str_visible(u[i].example);

		fprintf(out, _("  %6zu  table \"%s\": \"%s\" (e.g. %s)\n"), u[i].count, u[i].table,
			v, e);
		free(v);
		free(e);
	}
	if (n > UNMATCHED_SHOWN)
		fprintf(out, _("  ... and %zu other values: see the report\n"), n - UNMATCHED_SHOWN);
	fputc('\n', out);
out:
	free(u);
}

/* A column a type requires (O) or may require (OSC) that some rows of the type leave empty. */
static bool coverage_gap(const struct map_stats *s, int col, enum bal_type t)
{
	size_t filled, empty;

	if (column_req(col, t) != REQ_O && column_req(col, t) != REQ_OSC)
		return false;
	map_stats_coverage(s, t, col, &filled, &empty);
	return empty > 0;
}

/* Coverage, where it matters: an admin sees at a glance that Profession is empty for 4,000
 * people. The report has every column. */
static void print_coverage(const struct run *r, FILE *out)
{
	const struct map_stats *s = r->col.stats;
	bool head = false;

	for (int c = 0; s && c < NCOLS; c++) {
		bool gap = false;

		for (int t = 0; t < BAL_NTYPES; t++)
			gap = gap || coverage_gap(s, c, (enum bal_type)t);
		if (!gap)
			continue;
		if (!head) {
			fprintf(out, _("required columns left empty (rows with a value / rows, "
				       "per type):\n"));
			fprintf(out, "  %-26s %11s %11s %11s %11s\n", "", "PER", "INT", "ORG", "MED");
			head = true;
		}
		fputs("  ", out);
		print_padded(out, columns[c].header, 26);
		for (int t = 0; t < BAL_NTYPES; t++) {
			size_t filled, empty;
			char *cell;

			map_stats_coverage(s, (enum bal_type)t, c, &filled, &empty);
			cell = filled + empty == 0 || column_req(c, (enum bal_type)t) == REQ_NC ? xstrdup("-") :
			       xasprintf("%zu/%zu", filled, filled + empty);
			if (coverage_gap(s, c, (enum bal_type)t))
				paint(out, C_YELLOW);
			fprintf(out, " %11s", cell);
			paint(out, C_NONE);
			free(cell);
		}
		fputc('\n', out);
	}
	if (head)
		fputc('\n', out);
}

/* The national directory: what it said about the rows, and who already has MSSanté. */
static void print_national(const struct run *r, FILE *out)
{
	const struct collect_national *n = &r->col.national;
	const struct nat_info *in;

	if (!n->db)
		return;
	in = nat_info(n->db);
	fprintf(out, _("national directory %s (index %s):\n"), in->extract,
		   in->rebuilt ? _("rebuilt") : _("up to date"));
	fprintf(out, _("  %zu rows checked: %zu with a number not in the extract, %zu with the "
		       "names of another holder, %zu with another profession\n"), n->checked,
		n->absent, n->name, n->profession);
	fprintf(out, ngettext("  %zu professional already has MSSanté addresses (%zu addresses, "
			      "%zu in the establishment's mssante-domains)\n",
			      "  %zu professionals already have MSSanté addresses (%zu addresses, "
			      "%zu in the establishment's mssante-domains)\n", n->mssante_people),
		n->mssante_people, n->mssante_addresses, n->mssante_own);
	fputc('\n', out);
}

static void print_limits(const struct run *r, FILE *out)
{
	const struct plan *p = &r->plan;

	for (int i = 0; i < LIMIT_N; i++) {
		const struct plan_limit *l = &p->limit[i];

		if (l->tripped) {
			paint(out, C_RED);
			fprintf(out, _("safety limit %s tripped: %g over %g"), limit_names[i],
				l->value, l->max);
			paint(out, C_NONE);
			if (l->detail)
				fprintf(out, " (%s)", l->detail);
			if (r->o->override_limits)
				fprintf(out, _(" [accepted once: --force]"));
		} else {
			paint(out, C_GREEN);
			fprintf(out, _("safety limit %s ok:"), limit_names[i]);
			paint(out, C_NONE);
			if (i == LIMIT_EMPTY_SOURCE)
				fprintf(out, _(" %.0f accounts read"), l->value);
			else if (l->max < 0)
				fprintf(out, _(" %.0f (no limit)"), l->value);
			else if (i == LIMIT_EXPIRE_COUNT)
				fprintf(out, _(" %.0f (max %.0f)"), l->value, l->max);
			else
				fprintf(out, _(" %.1f %% (max %.1f %%)"), l->value, l->max);
		}
		fputc('\n', out);
	}
}

static void print_files(const struct run *r, FILE *out)
{
	const struct plan *p = &r->plan;

	if (r->o->apply && !p->limits_tripped && r->exit_code != EXIT_OK &&
	    r->exit_code != EXIT_REJECTED) {
		paint(out, C_RED);
		if (r->nfiles == 0)
			fprintf(out, _("nothing written: the run failed (see the errors above)\n"));
		for (size_t i = 0; i < r->nfiles; i++)
			fprintf(out, _("left %s, which the state does not know: do not import it\n"),
				r->files[i]);
		paint(out, C_NONE);
		return;
	} else if (p->limits_tripped) {
		paint(out, C_RED);
		fprintf(out, _("nothing written: a safety limit tripped (apply --force to accept "
			       "the plan once)\n"));
		paint(out, C_NONE);
	} else if (r->nothing_to_do) {
		fprintf(out, _("nothing to do\n"));
	} else if (!r->o->apply) {
		fprintf(out, ngettext("would write a loadusers file with %zu row\n",
				      "would write a loadusers file with %zu rows\n", r->nrows),
			r->nrows);
	}
	for (size_t i = 0; i < r->nfiles; i++)
		fprintf(out, _("wrote %s\n"), r->files[i]);
}

/* Why some people have no mailbox, and which mailboxes keep old values. */
static void print_leavers(const struct run *r, FILE *out)
{
	const struct plan *p = &r->plan;
	size_t dis = 0, ended = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].act == ACT_SKIPPED)
			p->items[i].reason == EXP_DISABLED ? dis++ : ended++;
	if (dis + ended)
		fprintf(out, _("  skipped: %zu disabled, %zu past their end date (never written: "
			       "no mailbox to create)\n"), dis, ended);
	if (p->stale) {
		paint(out, C_YELLOW);
		fprintf(out, ngettext("  %zu account written earlier is now rejected: its mailbox "
				      "keeps its last values (stale-account)\n",
				      "  %zu accounts written earlier are now rejected: their "
				      "mailboxes keep their last values (stale-account)\n", p->stale),
			p->stale);
		paint(out, C_NONE);
	}
}

static void print_summary(const struct run *r, const char *report, FILE *out)
{
	const struct plan *p = &r->plan;

	use_colour = colour_wanted(out);
	paint(out, C_BOLD);
	fprintf(out, "medimail-sync %s\n", r->o->apply ? "apply" : "plan");
	paint(out, C_NONE);
	for (size_t i = 0; i < r->col.nsrc; i++)
		fprintf(out, _("  directory \"%s\": %zu people, %zu groups, %zu ORG mailboxes, "
			       "%lu searches\n"), r->col.src[i].d->name, r->col.src[i].people,
			r->col.src[i].groups, r->col.src[i].orgs, r->col.src[i].searches);
	print_findings(r, report, out);
	if (!r->planned) {
		fprintf(out, _("no plan: the run failed before planning\n"));
		goto report;
	}
	fprintf(out, "\n  %-11s %6s %6s %6s %6s %7s\n", "", "PER", "INT", "ORG", "MED",
		_("total"));
	for (int a = 0; a < ACT_NACTIONS; a++) {
		bool hl = a == ACT_REJECTED && p->count[a] > 0;

		fputs("  ", out);
		if (hl)
			paint(out, C_RED);
		print_padded(out, _(action_labels[a]), 11);
		for (int t = 0; t < BAL_NTYPES; t++)
			fprintf(out, " %6zu", p->count_type[a][t]);
		fprintf(out, " %7zu", p->count[a]);
		if (hl)
			paint(out, C_NONE);
		fputc('\n', out);
	}
	print_leavers(r, out);
	fputc('\n', out);
	print_reasons(r, out);
	print_unmatched(r, out);
	print_national(r, out);
	print_coverage(r, out);
	print_limits(r, out);
	print_files(r, out);
report:
	if (report)
		fprintf(out, _("report %s\n"), report);
}

/* Wall-clock seconds, whatever MEDIMAIL_SYNC_NOW says "now" is. */
static long long run_duration(const struct run *r)
{
	long long t0 = r->clock_started ? r->clock_started : r->started;

	return r->finished > t0 ? r->finished - t0 : 0;
}

/* [{table, value, count, example}], most frequent first */
static json_t *json_unmatched(const struct run *r)
{
	json_t *a = json_array();
	struct map_unmatched *u = NULL;
	size_t n = r->col.stats ? map_stats_unmatched(r->col.stats, &u) : 0;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:s}", "table", u[i].table,
						   "value", u[i].value, "count",
						   (json_int_t)u[i].count, "example",
						   u[i].example));
	free(u);
	return a;
}

/* {column key: {PER: [filled, empty], ...}} for the columns some row fills or leaves empty */
static json_t *json_coverage(const struct run *r)
{
	json_t *o = json_object();

	for (int c = 0; r->col.stats && c < NCOLS; c++) {
		json_t *col = json_object();

		for (int t = 0; t < BAL_NTYPES; t++) {
			size_t filled, empty;

			map_stats_coverage(r->col.stats, (enum bal_type)t, c, &filled, &empty);
			if (filled + empty)
				json_object_set_new(col, bal_type_name((enum bal_type)t),
						    json_pack("[I, I]", (json_int_t)filled,
							      (json_int_t)empty));
		}
		if (json_object_size(col))
			json_object_set_new(o, columns[c].key, col);
		else
			json_decref(col);
	}
	return o;
}

int report_json_dump(json_t *root, const char *path)
{
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = -1;

	json_decref(root);
	if (!text) {
		errno = ENOMEM;
		return -1;
	}
	if (strcmp(path, "-") == 0) {
		rc = fputs(text, stdout) < 0 || fputc('\n', stdout) == EOF ? -1 : 0;
	} else {
		size_t len = strlen(text);

		/* it names people (unmatched values, DNs): mode 0600, whole or not at all; the
		 * NUL becomes the last line's end */
		text[len] = '\n';
		rc = file_replace(path, text, len + 1, 0600);
	}
	free(text);
	return rc;
}

/* null without the section; else the extract, the counts and the MSSanté addresses */
static json_t *json_national(const struct run *r)
{
	const struct collect_national *n = &r->col.national;
	const struct nat_info *in;

	if (!n->db)
		return json_null();
	in = nat_info(n->db);
	return json_pack("{s:s, s:s?, s:s, s:s?, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}}",
			 "extract", in->extract, "mssante_extract", in->mssante, "index",
			 in->index, "rebuilt", in->rebuilt, "checked", (json_int_t)n->checked,
			 "absent", (json_int_t)n->absent, "name", (json_int_t)n->name,
			 "profession", (json_int_t)n->profession, "mssante", "people",
			 (json_int_t)n->mssante_people, "addresses",
			 (json_int_t)n->mssante_addresses, "own", (json_int_t)n->mssante_own);
}

static int write_json(const struct run *r, const char *report, const char *path)
{
	json_t *root = json_object(), *counts = json_object(), *limits = json_object();
	json_t *files = json_array();

	json_object_set_new(root, "command", json_string(r->o->apply ? "apply" : "plan"));
	json_object_set_new(root, "started", json_integer(r->started));
	json_object_set_new(root, "duration", json_integer(run_duration(r)));
	json_object_set_new(root, "exit_status", json_integer(r->exit_code));
	for (int a = 0; r->planned && a < ACT_NACTIONS; a++)
		json_object_set_new(counts, action_name((enum action)a),
				    json_integer((json_int_t)r->plan.count[a]));
	if (r->planned)
		json_object_set_new(counts, "stale", json_integer((json_int_t)r->plan.stale));
	json_object_set_new(counts, "errors",
			    json_integer((json_int_t)findings_count(&r->f, SEV_ERROR)));
	json_object_set_new(counts, "warnings",
			    json_integer((json_int_t)findings_count(&r->f, SEV_WARNING)));
	json_object_set_new(root, "counts", counts);
	json_object_set_new(root, "unmatched", json_unmatched(r));
	json_object_set_new(root, "coverage", json_coverage(r));
	json_object_set_new(root, "national", json_national(r));
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
	json_object_set_new(root, "report", report ? json_string(report) : json_null());
	json_object_set_new(root, "nothing_to_do", json_boolean(r->nothing_to_do));
	return report_json_dump(root, path);
}

/* The last success recorded in an earlier metrics file, 0 when there is none (or when PATH
 * is a stream, such as a FIFO: not read, it would wait for a writer). */
static long long previous_success(const char *path)
{
	static const char key[] = "medimail_sync_last_success_timestamp_seconds ";
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *fp = NULL;
	char *line = NULL;
	size_t cap = 0;
	long long t = 0;

	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(fp = fdopen(fd, "r"))))
		close(fd);
	if (!fp)
		goto out;
	while (getline(&line, &cap, fp) > 0)
		if (strncmp(line, key, sizeof(key) - 1) == 0)
			t = strtoll(line + sizeof(key) - 1, NULL, 10);
	free(line);
	fclose(fp);
out:
	return t;
}

static void metric_head(struct strbuf *sb, const char *name, const char *help)
{
	sb_addf(sb, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A Prometheus textfile for node_exporter, replaced atomically. A run that completed (exit
 * status 0 or 4) is a success; otherwise the previous success time is carried over. */
static int write_metrics(const struct run *r, const char *path)
{
	struct strbuf sb = { 0 };
	bool ok = r->exit_code == EXIT_OK || r->exit_code == EXIT_REJECTED;
	long long success = ok ? r->finished : previous_success(path);
	int rc;

	metric_head(&sb, "medimail_sync_accounts", "Accounts per action in the last run's plan.");
	for (int a = 0; r->planned && a < ACT_NACTIONS; a++)
		sb_addf(&sb, "medimail_sync_accounts{action=\"%s\"} %zu\n",
			action_name((enum action)a), r->plan.count[a]);
	metric_head(&sb, "medimail_sync_rejected_total",
		    "Errors (rejected entries) of the last run.");
	sb_addf(&sb, "medimail_sync_rejected_total %zu\n", findings_count(&r->f, SEV_ERROR));
	metric_head(&sb, "medimail_sync_stale_accounts",
		    "Accounts written earlier and rejected now: their mailboxes keep old values.");
	sb_addf(&sb, "medimail_sync_stale_accounts %zu\n", r->planned ? r->plan.stale : 0);
	metric_head(&sb, "medimail_sync_warnings", "Warnings of the last run.");
	sb_addf(&sb, "medimail_sync_warnings %zu\n", findings_count(&r->f, SEV_WARNING));
	metric_head(&sb, "medimail_sync_limit_tripped", "1 when a safety limit tripped.");
	for (int i = 0; r->planned && i < LIMIT_N; i++)
		sb_addf(&sb, "medimail_sync_limit_tripped{limit=\"%s\"} %d\n", limit_names[i],
			r->plan.limit[i].tripped ? 1 : 0);
	metric_head(&sb, "medimail_sync_duration_seconds", "Duration of the last run.");
	sb_addf(&sb, "medimail_sync_duration_seconds %lld\n", run_duration(r));
	metric_head(&sb, "medimail_sync_last_run_timestamp_seconds", "End of the last run.");
	sb_addf(&sb, "medimail_sync_last_run_timestamp_seconds %lld\n", r->finished);
	metric_head(&sb, "medimail_sync_last_success_timestamp_seconds",
		    "End of the last run that completed (exit status 0 or 4).");
	sb_addf(&sb, "medimail_sync_last_success_timestamp_seconds %lld\n", success);
	metric_head(&sb, "medimail_sync_exit_status", "Exit status of the last run.");
	sb_addf(&sb, "medimail_sync_exit_status{command=\"%s\"} %d\n",
		r->o->apply ? "apply" : "plan", r->exit_code);

	/* node_exporter runs as another user; the counts are not personal data */
	rc = file_replace(path, sb.buf, sb.len, 0644);
	sb_free(&sb);
	return rc;
}

/* The XLSX report goes next to the loadusers files, for plan and apply alike. */
static char *write_report(const struct run *r)
{
	char *path = unique_path(r->c->output.directory, "report", "xlsx"), *err = NULL;

	if (report_xlsx_write(r, path, &err) != 0) {
		log_err("%s", err ? err : path);
		free(path);
		path = NULL;
	}
	free(err);
	return path;
}

FILE *report_text_out(const char *json_path)
{
	return json_path && strcmp(json_path, "-") == 0 ? stderr : stdout;
}

char *report_run(const struct run *r)
{
	struct strbuf files = { 0 };
	char *report = NULL;
	const struct plan *p = &r->plan;
	const char *cmd = r->o->apply ? "apply" : "plan";

	if (r->planned)
		report = write_report(r);

	if (!r->o->quiet)
		print_summary(r, report, report_text_out(r->o->json_path));
	fflush(stdout);
	for (size_t i = 0; i < r->nfiles; i++)
		sb_addf(&files, "%s%s", i ? ", " : "", r->files[i]);
	/* a run that stopped says what it would have done, never what it did not do */
	if (r->planned && r->exit_code != EXIT_OK && r->exit_code != EXIT_REJECTED)
		log_notice("%s did not complete (exit status %d), the state is unchanged; the plan "
			   "was: create %zu, update %zu, expire %zu, reactivate %zu, rename %zu, "
			   "unchanged %zu, skip %zu, reject %zu; files: %s", cmd, r->exit_code,
			   p->count[ACT_CREATE], p->count[ACT_UPDATE], p->count[ACT_EXPIRE],
			   p->count[ACT_REACTIVATE], p->count[ACT_RENAME], p->count[ACT_UNCHANGED],
			   p->count[ACT_SKIPPED], p->count[ACT_REJECTED],
			   files.len ? files.buf : "none");
	else if (r->planned)
		log_notice("%s: created %zu, updated %zu, expired %zu, reactivated %zu, "
			   "renamed %zu, unchanged %zu, skipped %zu, rejected %zu; files: %s",
			   cmd, r->plan.count[ACT_CREATE],
			   r->plan.count[ACT_UPDATE], r->plan.count[ACT_EXPIRE],
			   r->plan.count[ACT_REACTIVATE], r->plan.count[ACT_RENAME],
			   r->plan.count[ACT_UNCHANGED], r->plan.count[ACT_SKIPPED],
			   r->plan.count[ACT_REJECTED], files.len ? files.buf : "none");
	sb_free(&files);
	if (r->o->json_path && write_json(r, report, r->o->json_path) != 0)
		log_err("%s: cannot write the JSON summary: %s", r->o->json_path,
			strerror(errno));
	if (r->o->metrics_path && write_metrics(r, r->o->metrics_path) != 0)
		log_err("%s: cannot write the metrics: %s", r->o->metrics_path, strerror(errno));
	return report;
}
