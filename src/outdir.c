/*
 * outdir.c - housekeeping of the output directory: stale temporary files, loadusers files the
 * state could not record, retention and the post-command (outdir.h).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "outdir.h"
#include "util.h"

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
void outdir_remove_stale(const char *dir)
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

/* A loadusers file the state does not know: removed, and its directory synced. */
void outdir_withdraw(char **files, size_t *n, const char *why)
{
	size_t kept = 0;

	for (size_t i = 0; i < *n; i++) {
		if (unlink(files[i]) == 0) {
			char *copy, *dir;

			copy = xstrdup(files[i]);
			dir = dirname(copy);
			if (fsync_dir(dir) < 0)
				log_warn("%s: fsync: %s", dir, strerror(errno));
			free(copy);
			log_err(_("%s: the loadusers file %s was removed: nothing was written, the "
				  "state is unchanged, the next apply writes these changes again"),
				why, files[i]);
			free(files[i]);
		} else {
			log_err(_("%s; the loadusers file %s could not be removed (%s): do NOT "
				  "import it, the state does not know it; remove it by hand, the next "
				  "apply writes these changes again"), why, files[i],
				strerror(errno));
			files[kept++] = files[i];
		}
	}
	*n = kept;
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

static bool of_this_run(const char *const *mine, size_t nmine, const char *name)
{
	const char *b;

	for (size_t i = 0; i < nmine; i++) {
		if (!mine[i])
			continue;
		b = strrchr(mine[i], '/');
		if (strcmp(b ? b + 1 : mine[i], name) == 0)
			return true;
	}
	return false;
}

/* Keep the newest `keep` files PREFIX-*.EXT, and every file of this run; the newest
 * loadusers file, which may not be imported yet, is always among them. */
static void prune(const char *const *mine, size_t nmine, const char *dir, const char *prefix,
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
		if (i >= (size_t)keep && !of_this_run(mine, nmine, v[i].name)) {
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

void outdir_retain(const struct conf_output *o, const char *const *mine, size_t nmine)
{
	static const char *const loadusers_exts[] = { "xlsx", "csv", NULL };
	static const char *const report_exts[] = { "xlsx", NULL };

	if (o->keep <= 0)
		return;
	prune(mine, nmine, o->directory, "loadusers-", loadusers_exts, o->keep);
	prune(mine, nmine, o->directory, "report-", report_exts, o->keep);
	prune(mine, nmine, o->directory, "adopt-", report_exts, o->keep);
	prune(mine, nmine, o->directory, "reconcile-", report_exts, o->keep);
}

/* Its failure is logged, the run's exit code stays. */
void outdir_post_command(const char *cmd, const char *report, const char *loadusers,
			 bool stdout_to_stderr)
{
	char *argv[7];
	pid_t pid;
	int status;

	if (str_empty(cmd))
		goto out;
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = (char *)cmd;
	argv[3] = "medimail-sync";
	argv[4] = (char *)(report ? report : "");
	argv[5] = (char *)(loadusers ? loadusers : "");
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
		if (stdout_to_stderr)
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
