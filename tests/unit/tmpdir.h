/*
 * tmpdir.h - a private temporary directory for the unit tests that write files: made under
 * $TMPDIR (else /tmp), counted, emptied and removed. Header-only: each test binary includes it.
 */
#ifndef MS_TEST_TMPDIR_H
#define MS_TEST_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Make $TMPDIR/NAME.XXXXXX into buf (size n). 0 or -1 (also when buf is too small). */
static inline int tmpdir_make(char *buf, size_t n, const char *name)
{
	const char *base = getenv("TMPDIR");
	int len = snprintf(buf, n, "%s/%s.XXXXXX", base && *base ? base : "/tmp", name);

	if (len < 0 || (size_t)len >= n)
		return -1;
	return mkdtemp(buf) ? 0 : -1;
}

/* Entries in dir, "." and ".." excepted; -1 when it cannot be read. */
static inline long tmpdir_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Remove the files in dir (the tests make no subdirectory), then dir. 0 or -1. */
static inline int tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	/* by name in the open directory: no path to build (and truncate) */
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		unlinkat(dirfd(d), de->d_name, 0);
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

#endif
