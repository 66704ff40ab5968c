/*
 * fuzz_national.c - libFuzzer harness of the national directory's extract reader
 * (src/national_extract.c, src/national_aggregate.c): header check by column name, field
 * splitting, UTF-8 check, aggregation per person, through nat_parse_buffer(), which reads a
 * buffer exactly as nat_open() reads a file but writes no index.
 *
 * Input: the first byte chooses the extract (even: PS_LibreAcces_Personne_activite, odd:
 * Extraction_Correspondance_MSSante); the rest is the file's content. Seeds:
 * tests/fuzz/corpus/national/. Every input must give a row count or an error, never a crash,
 * a leak or a read out of bounds (build with -fsanitize=fuzzer,address,undefined).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "national.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	long rows;

	if (size == 0)
		return 0;
	rows = nat_parse_buffer((const char *)data + 1, size - 1, data[0] & 1, &err);
	if (rows < 0 && !err)
		abort();        /* every failure says why */
	free(err);
	return 0;
}
