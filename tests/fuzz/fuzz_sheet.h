/*
 * fuzz_sheet.h - for the harnesses of the sheet readers: open a file, read every row, check
 * that each cell is the NUL-terminated text its length says, close. Header-only.
 */
#ifndef MS_FUZZ_SHEET_H
#define MS_FUZZ_SHEET_H

#include <stdlib.h>
#include "sheet.h"

static inline void fuzz_read_sheet(const char *path, const struct sheet_opts *o)
{
	const struct sheet_row *r;
	char *err = NULL;
	struct sheet *s = sheet_open_opts(path, o, &err);

	if (s) {
		while (sheet_next(s, &r, &err) == 1)
			for (size_t i = 0; i < r->nkept; i++)
				if (r->cell[i].text[r->cell[i].len] != '\0')
					abort();
	}
	free(err);
	sheet_close(s);
}

#endif
