/*
 * fuzz_sheet_xls.c - the XLS reader of sheet_xls.c, forced: libfreexl in its child process,
 * the cells through the pipe, our conversion.
 */
#include "config.h"

#include "fuzz.h"
#include "fuzz_sheet.h"
#include "sheet_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sheet_opts o = { .format = SHEET_XLS };

	sheet_xls_child_hook = fuzz_xls_child;
	fuzz_read_sheet(fuzz_path(data, size), &o);
	return 0;
}
