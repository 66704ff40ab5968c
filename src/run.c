/*
 * run.c - one run of plan or apply: the accounts collected from the directories (collect.c)
 * -> plan against the state -> loadusers file and state commit -> reports, retention and the
 * post-command. Reading is all-or-nothing (collect.c): a directory error fails the run before
 * anything is planned, so a short search is never read as "these people left".
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "adopt_run.h"
#include "check.h"
#include "collect.h"
#include "i18n.h"
#include "log.h"
#include "map.h"
#include "national.h"
#include "outdir.h"
#include "output.h"
#include "report.h"
#include "run.h"
#include "state.h"
#include "testhook.h"


static int write_output(struct run *r, const struct row *const *rows, size_t n)
{
	const struct conf_output *o = &r->c->output;
	char *path, *err = NULL;
	int rc;

	path = unique_path(o->directory, "loadusers", o->format == OUT_CSV ? "csv" : "xlsx");
	if (o->format == OUT_CSV)
		rc = output_write_csv(path, rows, n, o, &err);
	else
		rc = output_write_xlsx(path, rows, n, &err);
	if (rc != 0) {
		log_err("%s", err ? err : path);
		free(path);
	} else {
		r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
		r->files[r->nfiles++] = path;
	}
	free(err);
	return rc;
}

struct output_job {
	struct run *r;
	const struct row *const *rows;
	size_t nrows;
	int rc;
};

static void *output_thread(void *arg)
{
	struct output_job *job = arg;

	job->rc = write_output(job->r, job->rows, job->nrows);
	return NULL;
}

/* An account written earlier and rejected now keeps, in Medimail, the values last written:
 * a finding of its own says so, beside the reasons of the rejection. The findings of plan p
 * are added to f. */
static void stale_findings(const struct plan *p, const struct checker *ck, struct findings *f)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->items[i];
		char day[16] = "?";
		const char *mail;
		time_t t;
		struct tm tm;

		if (!it->stale)
			continue;
		t = (time_t)it->prev->written;
		if (t && localtime_r(&t, &tm))
			strftime(day, sizeof(day), "%Y-%m-%d", &tm);
		mail = row_get(&it->cur->row, COL_MAIL);
		findings_add(f, check_severity(ck, "stale-account"), it->cur->dn, -1,
			     "stale-account", *mail ? mail : NULL,
			     _("written on %s, now rejected: the mailbox keeps its last values "
			       "until the entry is fixed"), day);
	}
}

/* The national directory, once per run, before the directories are read: an extract that
 * cannot be read (truncated, a column renamed) stops the run before anything is written. The
 * index's body is checked meanwhile, and collect() waits for the check before it returns. */
static int open_national(struct run *r)
{
	char *err = NULL;

	if (!r->c->national)
		return 0;
	r->national = nat_open_background(r->c->national, &err);
	if (!r->national)
		log_err("%s", err ? err : "national directory: cannot open");
	free(err);
	return r->national ? 0 : -1;
}

/* apply: the loadusers file is written by a second thread while this one writes the state's
 * rows in an open transaction; the transaction commits only once the file is complete and
 * renamed, so a crash leaves the state as it was. 0, or -1 (logged). */
static int write_and_commit(struct run *r, struct state *st, const struct row **rows,
			    size_t nrows)
{
	struct state_run_info ri = { .started = r->started, .command = "apply" };
	struct strbuf files = { 0 };
	struct output_job job = { r, (const struct row *const *)rows, nrows, -1 };
	pthread_t writer;
	long long run_id;
	char *err = NULL;
	int rc = -1;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pthread_create(&writer, NULL, output_thread, &job) != 0) {
		log_err("cannot start a thread: %s", strerror(errno));
		goto out;
	}
	run_id = state_commit_begin(st, &r->plan, &ri, &err);
	pthread_join(writer, NULL);
	if (job.rc != 0) {
		state_commit_abort(st);
		goto out;
	}
	log_timing("loadusers file and state rows", &t0);
	if (run_id < 0) {
		outdir_withdraw(r->files, &r->nfiles, err ? err : "commit failed");
		goto out;
	}
	test_crash_point("after-file");
	for (size_t i = 0; i < r->nfiles; i++) {
		if (i)
			sb_addc(&files, ';');
		sb_add(&files, r->files[i]);
	}
	ri.finished = time(NULL);
	ri.files = files.buf;
	if (state_commit_end(st, run_id, &ri, &err) != 0) {
		outdir_withdraw(r->files, &r->nfiles, err ? err : "commit failed");
		goto out;
	}
	log_timing("state commit", &t0);
	rc = 0;
out:
	sb_free(&files);
	free(err);
	return rc;
}

/* Plan this run's accounts against the state's (rows fetched from st as needed). 0 or -1
 * (logged). */
static int make_plan(struct run *r, struct state *st)
{
	const struct config *c = r->c;
	struct state_fetch fc = { st, NULL };
	const struct plan_opts po = {
		.now = r->o->now,
		.grace_days = c->limits.grace_days,
		.max_expire_count = c->limits.max_expire_count,
		.max_expire_percent = c->limits.max_expire_percent,
		.max_org_loss_percent = c->limits.max_org_loss_percent,
		.override_limits = r->o->override_limits,
		.empty_source = r->col.empty ? r->col.empty_detail : NULL,
		.fetch = state_fetch_plan,
		.fetch_arg = &fc,
	};

	if (plan_build(r->col.acc, r->col.nacc, r->prev, r->nprev, &po, &r->plan) == 0)
		return 0;
	log_err("cannot build the plan%s%s", fc.err ? ": " : "", fc.err ? fc.err : "");
	free(fc.err);
	return -1;
}

/* The state, locked (apply) before anything is read, with its accounts' digests and the
 * values kept by hand; the output directory checked first. Returns EXIT_OK, or the exit
 * status (logged). */
static int open_state(struct run *r, struct state **st, struct kept_value **kept,
		      size_t *nkept)
{
	const struct config *c = r->c;
	char *err = NULL;
	int rc = EXIT_FAIL;

	/* before anything is read: the report (plan) and the loadusers file (apply) go there */
	if (dir_check_private(c->output.directory, "output directory", &err) != 0) {
		log_err("%s", err);
		goto out;
	}
	/* The lock first: a second apply must give up before reading anything. */
	*st = state_open(c->state_file, !r->o->apply, r->o->apply, &err);
	if (!*st) {
		rc = errno == EWOULDBLOCK ? EXIT_LOCKED : EXIT_FAIL;    /* before logging */
		log_err("%s", err ? err : c->state_file);
		goto out;
	}
	if (r->o->apply)
		outdir_remove_stale(c->output.directory);
	if (state_load_digests(*st, &r->prev, &r->nprev, &err) != 0) {
		log_err("%s: %s", c->state_file, err ? err : "cannot read the state");
		goto out;
	}
	/* values changed by hand in Medimail and kept (reconcile, hand-edits = keep) */
	if (kept_values_load(c, *st, kept, nkept, &err) != 0) {
		log_err("%s: %s", c->state_file, err ? err : "cannot read the kept values");
		goto out;
	}
	rc = EXIT_OK;
out:
	free(err);
	return rc;
}

/* Read the directories (collect.c): the run keeps the collection, and its findings as the
 * first of the run's. 0 or -1 (logged). */
static int read_accounts(struct run *r, const struct checker *ck, const struct mapper *m,
			 const struct kept_value *kept, size_t nkept)
{
	const struct collect_opts co = { .now = r->o->now, .reserve = r->nprev,
					 .national = r->national, .kept = kept, .nkept = nkept };
	int rc = collect(r->c, m, ck, &co, &r->col);

	findings_move(&r->f, &r->col.f);
	return rc;
}

static int do_run(struct run *r)
{
	struct checker *ck = NULL;
	struct mapper *m = NULL;
	struct state *st = NULL;
	struct kept_value *kept = NULL;
	size_t nkept = 0;
	const struct row **rows = NULL;
	size_t nrows;
	int rc = EXIT_FAIL;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (collect_setup(r->c, &ck, &m) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = open_state(r, &st, &kept, &nkept);
	if (rc != EXIT_OK)
		goto out;
	rc = EXIT_FAIL;
	log_timing("configuration and state", &t0);
	if (open_national(r) != 0)
		goto out;
	if (r->national)
		log_timing("national directory", &t0);
	if (read_accounts(r, ck, m, kept, nkept) != 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (make_plan(r, st) != 0)
		goto out;
	r->planned = true;
	stale_findings(&r->plan, ck, &r->f);
	log_timing("plan", &t0);
	nrows = plan_rows(&r->plan, &rows);
	r->nrows = nrows;
	r->nothing_to_do = nrows == 0;

	if (r->plan.limits_tripped) {
		rc = EXIT_LIMIT;
		goto out;
	}
	if (r->o->apply && nrows > 0 && write_and_commit(r, st, rows, nrows) != 0)
		goto out;
	rc = findings_count(&r->f, SEV_ERROR) > 0 ? EXIT_REJECTED : EXIT_OK;
out:
	free(rows);
	kept_values_free(kept, nkept);
	state_close(st);
	map_free(m);
	check_free(ck);
	return rc;
}

/* Retention keeps this run's files: its loadusers files and its report. */
static void retain(const struct run *r, const char *report)
{
	const char **mine = xcalloc(r->nfiles + 1, sizeof(*mine));

	for (size_t i = 0; i < r->nfiles; i++)
		mine[i] = r->files[i];
	mine[r->nfiles] = report;
	outdir_retain(&r->c->output, mine, r->nfiles + 1);
	free(mine);
}

int run_main(const struct config *c, const struct run_opts *o)
{
	struct run r = { 0 };
	struct run_opts opts = *o;
	char *report;
	struct timespec t0;

	if (!opts.now)
		opts.now = time(NULL);
	r.c = c;
	r.o = &opts;
	r.started = opts.now;
	r.clock_started = time(NULL);
	r.exit_code = do_run(&r);
	r.finished = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	report = report_run(&r);
	log_timing("report", &t0);
	/* after the report, so that retention counts it and the command can send it */
	if (opts.apply && (r.exit_code == EXIT_OK || r.exit_code == EXIT_REJECTED))
		retain(&r, report);
	if (opts.apply && r.planned)
		outdir_post_command(c->output.post_command, report,
				    r.nfiles ? r.files[0] : NULL,
				    report_text_out(opts.json_path) == stderr);
	collect_free(&r.col);
	findings_free(&r.f);
	nat_close(r.national);
	log_timing("freeing", &t0);
	for (size_t i = 0; i < r.nprev; i++)
		state_account_free(&r.prev[i]);
	free(r.prev);
	plan_free(&r.plan);
	for (size_t i = 0; i < r.nfiles; i++)
		free(r.files[i]);
	free(r.files);
	free(report);
	return r.exit_code;
}
