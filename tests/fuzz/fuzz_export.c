/*
 * fuzz_export.c - export_read() on any file: the format by content (CSV, XLSX, XLS), the
 * header matching and the normalisation of each row.
 */
#include "config.h"

#include "export.h"
#include "fuzz.h"
#include "sheet_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	struct export_list *l;

	sheet_xls_child_hook = fuzz_xls_child;
	l = export_read(fuzz_path(data, size), &err);
	free(err);
	export_free(l);
	return 0;
}
