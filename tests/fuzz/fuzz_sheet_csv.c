/*
 * fuzz_sheet_csv.c - the CSV reader of sheet.c, forced (whatever the first bytes); an input of
 * odd size is read with small limits, so that the caps are reached too.
 */
#include "config.h"

#include "fuzz.h"
#include "fuzz_sheet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sheet_limits lim = { .cell_bytes = 64, .cells = 8 };
	const struct sheet_opts o = { .format = SHEET_CSV, .limits = size & 1 ? &lim : NULL };

	fuzz_read_sheet(fuzz_path(data, size), &o);
	return 0;
}
