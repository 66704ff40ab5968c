/*
 * fuzz.h - what the fuzz harnesses share. Each harness defines LLVMFuzzerTestOneInput(); it is
 * linked either with libFuzzer (run-fuzz.sh, clang) or with replay.c (make check, gcc), which
 * runs every file of the harness's committed corpus once.
 *
 * The readers take a path (libfreexl has no other way in): fuzz_path() puts the input in an
 * anonymous memory file and returns a path to it, valid until the next call. Header-only.
 */
#ifndef MS_FUZZ_H
#define MS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline const char *fuzz_path(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz input");
		abort();
	}
	return path;
}

/* Declared weak: there only in a build with sanitizers. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/* For sheet_xls_child_hook: in libfreexl's child process, a fault is the parent's error
 * message, which the harness checks; the child must not report as the fuzzer (libFuzzer's
 * death callback writes a crash file). Sanitizer reports are still printed, and run-fuzz.sh
 * counts them. A slow input is stopped after 2 s instead of 60. */
static inline void fuzz_xls_child(void)
{
	struct rlimit cpu = { 2, 3 };

	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(NULL);
	setrlimit(RLIMIT_CPU, &cpu);
}

#endif
