/*
 * replay.c - run a fuzz harness on its committed corpus, one cmocka test per file, so that
 * "make check" (and, in the ASan build, AddressSanitizer and UBSan) replays every seed and
 * every regression input. Built with gcc; no libFuzzer needed.
 *
 *   replay_NAME [FILE-OR-DIR...]    (default: the corpus directory FUZZ_CORPUS)
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util.h"

static void replay(void **state)
{
	const char *path = *state;
	struct strbuf sb = { 0 };
	char buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	sb_addn(&sb, "", 0);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_addn(&sb, buf, n);
	assert_false(ferror(f));
	fclose(f);
	assert_int_equal(LLVMFuzzerTestOneInput((const uint8_t *)sb.buf, sb.len), 0);
	sb_free(&sb);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add path, or the files of the directory path (sorted), to the list. */
static void add_path(const char *path, char ***files, size_t *n, size_t *cap)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	size_t first = *n;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: cannot read\n", path);
		exit(1);
	}
	if (!S_ISDIR(st.st_mode)) {
		xgrow(files, cap, *n + 1, sizeof(**files));
		(*files)[(*n)++] = xstrdup(path);
		return;
	}
	d = opendir(path);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		xgrow(files, cap, *n + 1, sizeof(**files));
		(*files)[(*n)++] = xasprintf("%s/%s", path, de->d_name);
	}
	if (d)
		closedir(d);
	qsort(*files + first, *n - first, sizeof(**files), name_cmp);
}

int main(int argc, char **argv)
{
	char **files = NULL;
	size_t n = 0, cap = 0;
	struct CMUnitTest *tests;
	int rc;

	if (argc < 2)
		add_path(FUZZ_CORPUS, &files, &n, &cap);
	for (int i = 1; i < argc; i++)
		add_path(argv[i], &files, &n, &cap);
	if (n == 0) {
		fprintf(stderr, "replay: no input: an empty corpus tests nothing\n");
		return 1;
	}
	tests = xcalloc(n, sizeof(*tests));
	for (size_t i = 0; i < n; i++) {
		tests[i].name = files[i] + (argc < 2 ? strlen(FUZZ_CORPUS) + 1 : 0);
		tests[i].test_func = replay;
		tests[i].initial_state = files[i];
	}
	rc = _cmocka_run_group_tests(FUZZ_NAME, tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	free(tests);
	return rc;
}
