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
#include "output.h"
#include "report.h"
#include "run.h"
#include "state.h"


/* Test hook for crash-safety tests. */
static void crash_point(const char *where)
{
	const char *at = getenv("MEDIMAIL_SYNC_CRASH_AT");

	if (at && strcmp(at, where) == 0)
		raise(SIGKILL);
}

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

/* A stale private directory of tmpfile_open(): its files, then itself. */
static int remove_tmp_dir(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	return unlinkat(dfd, name, AT_REMOVEDIR);
}

/* Temporary files of a run that was killed before its rename: with the lock held, no other
 * run can be writing them. Each lies in a private directory (tmpfile_open); a plain file is
 * left by an older version. */
static void remove_stale_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	int rc;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".loadusers-", 11) != 0 &&
		    strncmp(de->d_name, ".report-", 8) != 0 &&
		    strncmp(de->d_name, ".adopt-", 7) != 0 &&
		    strncmp(de->d_name, ".reconcile-", 11) != 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = remove_tmp_dir(dirfd(d), de->d_name);
		else
			rc = unlinkat(dirfd(d), de->d_name, 0);
		if (rc == 0)
			log_info("%s/%s: removed the temporary file of an interrupted run", dir,
				 de->d_name);
	}
	closedir(d);
}

/* The state could not record a loadusers file already renamed into place: remove it, so that
 * nobody imports a file the state does not know (the next apply writes its changes again).
 * why: the state's error, naming the state file. */
static void withdraw_files(struct run *r, const char *why)
{
	size_t kept = 0;
	char *copy;

	for (size_t i = 0; i < r->nfiles; i++) {
		if (unlink(r->files[i]) == 0) {
			copy = xstrdup(r->files[i]);
			if (fsync_dir(dirname(copy)) < 0)
				log_warn("%s: fsync: %s", r->c->output.directory,
					 strerror(errno));
			free(copy);
			log_err(_("%s: the loadusers file %s was removed: nothing was written, the "
				  "state is unchanged, the next apply writes these changes again"),
				why, r->files[i]);
			free(r->files[i]);
		} else {
			log_err(_("%s; the loadusers file %s could not be removed (%s): do NOT "
				  "import it, the state does not know it; remove it by hand, the next "
				  "apply writes these changes again"), why, r->files[i],
				strerror(errno));
			r->files[kept++] = r->files[i];
		}
	}
	r->nfiles = kept;
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
 * a finding of its own says so, beside the reasons of the rejection. */
static void flag_stale(struct run *r)
{
	for (size_t i = 0; i < r->plan.n; i++) {
		const struct plan_item *it = &r->plan.items[i];
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
		findings_add(&r->col.f, SEV_WARNING, it->cur->dn, -1, "stale-account",
			     *mail ? mail : NULL,
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

static int do_run(struct run *r)
{
	const struct config *c = r->c;
	struct checker *ck = NULL;
	struct mapper *m = NULL;
	struct state *st = NULL;
	struct plan_opts po;
	struct collect_opts co;
	struct state_fetch fc = { NULL, NULL };
	const struct row **rows = NULL;
	size_t nrows;
	char *err = NULL;
	int rc = EXIT_FAIL;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (collect_setup(c, &ck, &m) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	/* before anything is read: the report (plan) and the loadusers file (apply) go there */
	if (dir_check_private(c->output.directory, "output directory", &err) != 0) {
		log_err("%s", err);
		goto out;
	}
	/* The lock first: a second apply must give up before reading anything. */
	st = state_open(c->state_file, !r->o->apply, r->o->apply, &err);
	if (!st) {
		rc = errno == EWOULDBLOCK ? EXIT_LOCKED : EXIT_FAIL;    /* before logging */
		log_err("%s", err ? err : c->state_file);
		goto out;
	}
	if (r->o->apply)
		remove_stale_tmp(c->output.directory);
	if (state_load_digests(st, &r->prev, &r->nprev, &err) != 0) {
		log_err("%s: %s", c->state_file, err ? err : "cannot read the state");
		goto out;
	}
	log_timing("configuration and state", &t0);
	if (open_national(r) != 0)
		goto out;
	if (r->national)
		log_timing("national directory", &t0);
	co = (struct collect_opts){ .now = r->o->now, .reserve = r->nprev,
				    .national = r->national };
	if (collect(c, m, ck, &co, &r->col) != 0)
		goto out;
	/* values changed by hand in Medimail and kept (reconcile, hand-edits = keep) */
	if (kept_values_apply(c, st, &r->col, &err) != 0) {
		log_err("%s: %s", c->state_file, err ? err : "cannot read the kept values");
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);

	po = (struct plan_opts){
		.now = r->o->now,
		.grace_days = c->limits.grace_days,
		.max_expire_count = c->limits.max_expire_count,
		.max_expire_percent = c->limits.max_expire_percent,
		.max_org_loss_percent = c->limits.max_org_loss_percent,
		.override_limits = r->o->override_limits,
		.fetch = state_fetch_plan,
		.fetch_arg = &fc,
	};
	fc.st = st;
	if (plan_build(r->col.acc, r->col.nacc, r->prev, r->nprev, &po, &r->plan) != 0) {
		log_err("cannot build the plan%s%s", fc.err ? ": " : "", fc.err ? fc.err : "");
		free(fc.err);
		goto out;
	}
	r->planned = true;
	flag_stale(r);
	/* a base without people trips the empty-source limit, whatever the plan says */
	if (r->col.empty) {
		struct plan_limit *l = &r->plan.limit[LIMIT_EMPTY_SOURCE];

		free(l->detail);
		*l = (struct plan_limit){ .tripped = true, .detail = xstrdup(r->col.empty_detail) };
		if (!r->o->override_limits)
			r->plan.limits_tripped = true;
	}
	log_timing("plan", &t0);
	nrows = plan_rows(&r->plan, &rows);
	r->nrows = nrows;
	r->nothing_to_do = nrows == 0;

	if (r->plan.limits_tripped) {
		rc = EXIT_LIMIT;
		goto out;
	}
	if (r->o->apply && nrows > 0) {
		struct state_run_info ri = { 0 };
		struct strbuf files = { 0 };
		struct output_job job = { r, (const struct row *const *)rows, nrows, -1 };
		pthread_t writer;
		long long run_id;

		/* The loadusers file is written by a second thread while this one writes the
		 * state's rows in an open transaction; the transaction commits only once the
		 * file is complete and renamed, so a crash leaves the state as it was. */
		ri.started = r->started;
		ri.command = "apply";
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
			withdraw_files(r, err ? err : "commit failed");
			goto out;
		}
		crash_point("after-file");
		for (size_t i = 0; i < r->nfiles; i++) {
			if (i)
				sb_addc(&files, ';');
			sb_add(&files, r->files[i]);
		}
		ri.finished = time(NULL);
		ri.files = files.buf;
		if (state_commit_end(st, run_id, &ri, &err) != 0) {
			withdraw_files(r, err ? err : "commit failed");
			sb_free(&files);
			goto out;
		}
		sb_free(&files);
		log_timing("state commit", &t0);
	}
	rc = findings_count(&r->col.f, SEV_ERROR) > 0 ? EXIT_REJECTED : EXIT_OK;
out:
	free(rows);
	free(err);
	state_close(st);
	map_free(m);
	check_free(ck);
	return rc;
}

/* Retention: the files of one kind in the output directory, newest first. */
struct out_file {
	char *name;
	struct timespec mtime;
};

static int out_file_cmp(const void *pa, const void *pb)
{
	const struct out_file *a = pa, *b = pb;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec > b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec > b->mtime.tv_nsec ? -1 : 1;
	return -strcmp(a->name, b->name);     /* same second: the "-2" file is the newer */
}

static bool name_matches(const char *name, const char *prefix, const char *const *exts)
{
	const char *dot = strrchr(name, '.');

	if (strncmp(name, prefix, strlen(prefix)) != 0 || !dot)
		return false;
	for (; *exts; exts++)
		if (strcmp(dot + 1, *exts) == 0)
			return true;
	return false;
}

static bool of_this_run(const struct run *r, const char *name)
{
	const char *b;

	for (size_t i = 0; i < r->nfiles; i++) {
		b = strrchr(r->files[i], '/');
		if (strcmp(b ? b + 1 : r->files[i], name) == 0)
			return true;
	}
	if (!r->report)
		return false;
	b = strrchr(r->report, '/');
	return strcmp(b ? b + 1 : r->report, name) == 0;
}

/* Keep the newest `keep` files PREFIX-*.EXT, and every file of this run; the newest
 * loadusers file, which may not be imported yet, is always among them. */
static void prune(const struct run *r, const char *dir, const char *prefix,
		  const char *const *exts, int keep)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct out_file *v = NULL;
	size_t n = 0, cap = 0;
	struct stat st;

	if (!d) {
		log_err("%s: cannot list for retention: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (!name_matches(de->d_name, prefix, exts) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		xgrow(&v, &cap, n + 1, sizeof(*v));
		v[n].name = xstrdup(de->d_name);
		v[n++].mtime = st.st_mtim;
	}
	if (n)
		qsort(v, n, sizeof(*v), out_file_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i >= (size_t)keep && !of_this_run(r, v[i].name)) {
			if (unlinkat(dirfd(d), v[i].name, 0) == 0)
				log_info("%s/%s: removed (output keep = %d)", dir, v[i].name,
					 keep);
			else
				log_err("%s/%s: cannot remove: %s", dir, v[i].name,
					strerror(errno));
		}
		free(v[i].name);
	}
	closedir(d);
out:
	free(v);
}

static void apply_retention(const struct run *r)
{
	static const char *const loadusers_exts[] = { "xlsx", "csv", NULL };
	static const char *const report_exts[] = { "xlsx", NULL };
	const struct conf_output *o = &r->c->output;

	if (o->keep <= 0)
		return;
	prune(r, o->directory, "loadusers-", loadusers_exts, o->keep);
	prune(r, o->directory, "report-", report_exts, o->keep);
	prune(r, o->directory, "adopt-", report_exts, o->keep);
	prune(r, o->directory, "reconcile-", report_exts, o->keep);
}

/* The configured post-command, through the shell: "$1" is the report, "$2" the loadusers
 * file (empty when none was written). Its failure is logged, the run's exit code stays. */
static void run_post_command(const struct run *r)
{
	const char *cmd = r->c->output.post_command;
	char *argv[7];
	pid_t pid;
	int status;

	if (str_empty(cmd))
		goto out;
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = (char *)cmd;
	argv[3] = "medimail-sync";
	argv[4] = r->report ? r->report : "";
	argv[5] = r->nfiles ? r->files[0] : "";
	argv[6] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		log_err("post-command: cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* --json -: stdout is the JSON's alone */
		if (report_text_out(r->o->json_path) == stderr)
			dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			log_err("post-command: cannot wait: %s", strerror(errno));
			goto out;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("post-command: done");
	else if (WIFEXITED(status))
		log_err("post-command failed with exit status %d: %s", WEXITSTATUS(status), cmd);
	else if (WIFSIGNALED(status))
		log_err("post-command killed by signal %d: %s", WTERMSIG(status), cmd);
out:
	return;
}

int run_main(const struct config *c, const struct run_opts *o)
{
	struct run r = { 0 };
	struct run_opts opts = *o;
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
	r.report = report_run(&r);
	log_timing("report", &t0);
	/* after the report, so that retention counts it and the command can send it */
	if (opts.apply && (r.exit_code == EXIT_OK || r.exit_code == EXIT_REJECTED))
		apply_retention(&r);
	if (opts.apply && r.planned)
		run_post_command(&r);
	collect_free(&r.col);
	nat_close(r.national);
	log_timing("freeing", &t0);
	for (size_t i = 0; i < r.nprev; i++)
		state_account_free(&r.prev[i]);
	free(r.prev);
	if (r.planned)
		plan_free(&r.plan);
	else
		for (int i = 0; i < LIMIT_N; i++)
			free(r.plan.limit[i].detail);
	for (size_t i = 0; i < r.nfiles; i++)
		free(r.files[i]);
	free(r.files);
	free(r.report);
	return r.exit_code;
}
