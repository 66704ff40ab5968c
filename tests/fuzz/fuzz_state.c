/*
 * fuzz_state.c - the decoder of the rows kept in the state (src/state.c): "LEN:" and LEN bytes
 * for each of the 36 cells. A damaged or hostile state file hands any text to it. The input is
 * that text (up to its first NUL, as SQLite gives it); a row decoded must encode to a text
 * that decodes to the same row, and encode to the same text again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xstrndup((const char *)data, size), *t1, *t2;
	struct row r1, r2;

	if (state_row_decode(text, &r1) != 0)
		goto out;
	t1 = state_row_encode(&r1);
	if (state_row_decode(t1, &r2) != 0 || !row_equal(&r1, &r2))
		abort();
	t2 = state_row_encode(&r2);
	if (strcmp(t1, t2) != 0)
		abort();
	free(t1);
	free(t2);
	row_free(&r1);
	row_free(&r2);
out:
	free(text);
	return 0;
}
