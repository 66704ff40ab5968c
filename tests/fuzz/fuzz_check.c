/*
 * fuzz_check.c - the identifier and cell checks of src/check.c on arbitrary rows. The first
 * byte of the input chooses the BAL type (PER, INT, ORG, MED, none); the rest is a row: cells
 * separated by TAB in the order of the 36 columns (missing cells empty, extra ones ignored),
 * rows separated by LF (a few of them share the duplicate-address check). Each cell goes through
 * the single checks (Luhn, RPPS, ADELI, FINESS, SIREN, SIRET, phone, date, mailbox, CP ->
 * département -> région, the code lists); each row is normalised (check_normalise) and checked
 * (check_row) with the default rules, as validate and apply check theirs. check_row must count
 * exactly the errors it adds.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fuzz.h"
#include "model.h"

static const char *const lists[] = {
	"profession", "specialite", "civilite-exercice", "departement", "region", "diplome",
	"type-bal", "type-identifiant-structure", "nope",
};

static void cell_checks(const struct checker *ck, const char *v)
{
	const char *dep;

	check_luhn(v);
	check_rpps(v);
	check_adeli(v);
	check_finess(v);
	check_siren(v);
	check_siret(v);
	check_phone(v);
	check_date(v);
	check_mailbox(v);
	check_local_part(v);
	dep = check_cp_departement(v);
	if (dep && !check_departement_region(dep))
		abort();        /* every département a CP gives has a région */
	check_departement_region(v);
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		free(check_list_value(ck, lists[i], v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct checker *ck;
	static const enum bal_type types[] = { BAL_PER, BAL_INT, BAL_ORG, BAL_MED, BAL_NONE };
	const char *p = (const char *)data + 1, *end = (const char *)data + size;
	struct check_unique *u = check_unique_new(NULL);   /* the rule's default severity */
	struct findings f = { 0 };
	enum bal_type type;
	int nrows = 0;

	if (!ck) {
		char *err = NULL;

		ck = check_new(NULL, &err);
		if (!ck)
			abort();
	}
	if (size == 0)
		goto out;
	type = types[data[0] % ARRAY_SIZE(types)];
	while (p <= end && nrows++ < 8) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct row row;
		char *where = xasprintf("line %d", nrows);
		size_t before, errors;

		memset(&row, 0, sizeof(row));
		for (int c = 0; c < NCOLS && p <= eol; c++) {
			const char *tab = memchr(p, '\t', (size_t)(eol - p));
			const char *ce = tab ? tab : eol;
			char *v = xstrndup(p, (size_t)(ce - p));

			cell_checks(ck, v);
			row_take(&row, (enum col)c, v);
			p = ce + 1;
		}
		check_normalise(ck, &row, type);
		before = findings_count(&f, SEV_ERROR);
		errors = check_row(ck, &row, type, where, &f);
		if (findings_count(&f, SEV_ERROR) - before != errors)
			abort();
		check_unique_add(u, row_get(&row, COL_MAIL), where, &f);
		row_free(&row);
		free(where);
		p = eol + 1;
	}
out:
	findings_free(&f);
	check_unique_free(u);
	return 0;
}
