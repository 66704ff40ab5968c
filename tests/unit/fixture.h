/*
 * fixture.h - for the unit tests that read files: the path of a fixture in the source tree
 * (MS_TOP_SRCDIR comes from Makefile.am) and a file written into the test's temporary
 * directory. Header-only; include it after cmocka.h and util.h.
 */
#ifndef MS_TEST_FIXTURE_H
#define MS_TEST_FIXTURE_H

#include <fcntl.h>
#include <unistd.h>

/* MS_TOP_SRCDIR/tests/fixtures/REL, allocated. */
static inline char *fixture(const char *rel)
{
	return xasprintf("%s/tests/fixtures/%s", MS_TOP_SRCDIR, rel);
}

/* DIR/NAME holding the len bytes of data (mode 0600); its path, allocated. */
static inline char *fixture_write(const char *dir, const char *name, const void *data,
				  size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	return path;
}

#endif
