/*
 * test_export.c - unit tests of export.c: header names and their variants, the account list of
 * tests/fixtures/export (CSV, and the same saved as XLSX and XLS by LibreOffice), findings,
 * and the errors of files that are no account export.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "fixture.h"
#include "tmpdir.h"

static char tmpdir[4096];

static char *write_tmp(const char *name, const char *data, size_t len)
{
	return fixture_write(tmpdir, name, data, len);
}

/* The finding of rule at where, or NULL. */
static const struct finding *find(const struct export_list *l, const char *rule,
				  const char *where)
{
	for (size_t i = 0; i < l->f.n; i++)
		if (strcmp(l->f.v[i].rule, rule) == 0 && strcmp(l->f.v[i].where, where) == 0)
			return &l->f.v[i];
	return NULL;
}

static void test_header_column(void **state)
{
	static const struct {
		const char *header;
		int col;
	} cases[] = {
		{ "Adresse mail", COL_MAIL }, { "ADRESSE MAIL", COL_MAIL }, { " Email ", COL_MAIL },
		{ "E-mail", COL_MAIL }, { "Adresse e-mail", COL_MAIL }, { "adresse email", COL_MAIL },
		{ "Mail", COL_MAIL }, { "Nom", COL_NOM }, { "Prenom", COL_PRENOM },
		{ "N\xc2\xb0 RPPS", COL_RPPS }, { "Identifiant RPPS", COL_RPPS },
		{ "Num\xc3\xa9ro ADELI", COL_ADELI }, { "Code postal", COL_CP },
		{ "T\xc3\xa9l\xc3\xa9phone", COL_TEL1 }, { "Telephone 1", COL_TEL1 },
		{ "t\xc3\xa9l\xc3\xa9phone (2)", COL_TEL2 }, { "Type de BAL", COL_TYPE_BAL },
		{ "type bal", COL_TYPE_BAL }, { "Compte de connexion", COL_CONNEXION },
		{ "Comptes de connexion", COL_CONNEXION }, { "Etat", EXPORT_STATE },
		{ "\xc3\x89tat", EXPORT_STATE }, { "STATUT", EXPORT_STATE },
		{ "Etat de l'utilisateur", EXPORT_STATE }, { "Date de cr\xc3\xa9" "ation", -1 },
		{ "Adresse", -1 }, { "", -1 }, { "  ", -1 }, { "\xff\xfe", -1 },
	};

	(void)state;
	for (int i = 0; i < NCOLS; i++)
		assert_int_equal(export_header_column(columns[i].header), i);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (export_header_column(cases[i].header) != cases[i].col)
			fail_msg("\"%s\": %d, want %d", cases[i].header,
				 export_header_column(cases[i].header), cases[i].col);
}

/* The accounts of tests/fixtures/export/medimail-export.*: same in the three formats, but for
 * the date the spreadsheet holds as a date. */
static void check_sample(const struct export_list *l, const char *unit, const char *date)
{
	static const struct {
		long line;
		const char *mail, *state, *cells[NCOLS];
	} want[] = {
		{ 2, "jean.dupont@chu-exemple.fr", "Actif", {
			[COL_NOM] = "DUPONT", [COL_PRENOM] = "Jean", [COL_RPPS] = "10001045367",
			[COL_TYPE_BAL] = "PER", [COL_RAISON_SOCIALE] = "CHU d'Exemple",
			[COL_CP] = "34000", [COL_VILLE] = "MONTPELLIER", [COL_TEL1] = "0467330000",
			[COL_PROFESSION] = "M\xc3\xa9" "decin" } },
		{ 4, "anne.martin@chu-exemple.fr", "Actif", {
			[COL_NOM] = "MARTIN", [COL_PRENOM] = "Anne", [COL_ADELI] = "012600631",
			[COL_TYPE_BAL] = "PER", [COL_RAISON_SOCIALE] = "CHU d'Exemple",
			[COL_CP] = "01200", [COL_VILLE] = "\xc3\x89LOISE", [COL_TEL1] = "0450000000",
			[COL_PROFESSION] = "Infirmier" } },
		{ 6, "secretariat@chu-exemple.fr", "Inactif", {
			[COL_NOM] = "SECR\xc3\x89TARIAT", [COL_PRENOM] = "G\xc3\xa9riatrie",
			[COL_TYPE_BAL] = "ORG", [COL_RAISON_SOCIALE] = "CHU d'Exemple",
			[COL_CP] = "34000", [COL_VILLE] = "MONTPELLIER",
			[COL_PROFESSION] = "Secr\xc3\xa9taire m\xc3\xa9" "dical",
			[COL_TYPE_ID_STRUCT] = "FINESS", [COL_ID_STRUCT] = "010780055" } },
		{ 7, "interne@chu-exemple.fr", "Actif", {
			[COL_NOM] = "PETIT", [COL_PRENOM] = "Zo\xc3\xa9", [COL_TYPE_BAL] = "INT",
			[COL_RAISON_SOCIALE] = "CHU d'Exemple", [COL_CP] = "34000",
			[COL_VILLE] = "MONTPELLIER", [COL_PROFESSION] = "Infirmier",
			[COL_TYPE_ID_STRUCT] = "SIRET", [COL_ID_STRUCT] = "03282932000074" } },
		{ 8, "jean.dupont@chu-exemple.fr", "Supprim\xc3\xa9", {
			[COL_NOM] = "DUPONT", [COL_PRENOM] = "Jean", [COL_RPPS] = "10001045367",
			[COL_TYPE_BAL] = "PER", [COL_RAISON_SOCIALE] = "CHU d'Exemple",
			[COL_CP] = "34000", [COL_VILLE] = "MONTPELLIER", [COL_TEL1] = "0467330000",
			[COL_PROFESSION] = "M\xc3\xa9" "decin" } },
	};
	const struct finding *f;
	char *where;

	assert_string_equal(l->unit, unit);
	assert_int_equal(l->header_line, 1);
	assert_int_equal(l->n, ARRAY_SIZE(want));
	for (size_t i = 0; i < l->n; i++) {
		const struct export_account *a = &l->acc[i];

		assert_int_equal(a->line, want[i].line);
		assert_string_equal(row_get(&a->row, COL_MAIL), want[i].mail);
		assert_string_equal(a->state, want[i].state);
		for (int c = 1; c < NCOLS; c++) {
			const char *w = want[i].cells[c] ? want[i].cells[c] : "";

			if (c == COL_PEREMPTION && i == 1)
				w = date;
			if (strcmp(row_get(&a->row, (enum col)c), w) != 0)
				fail_msg("%s %ld, %s: \"%s\", want \"%s\"", unit, a->line,
					 columns[c].header, row_get(&a->row, (enum col)c), w);
		}
	}
	assert_true(l->has_state);
	for (int c = 0; c < NCOLS; c++)
		assert_int_equal(l->present[c], c == COL_MAIL || c == COL_NOM || c == COL_PRENOM ||
				 c == COL_RPPS || c == COL_ADELI || c == COL_TYPE_BAL ||
				 c == COL_RAISON_SOCIALE || c == COL_CP || c == COL_VILLE ||
				 c == COL_TEL1 || c == COL_PROFESSION || c == COL_PEREMPTION ||
				 c == COL_TYPE_ID_STRUCT || c == COL_ID_STRUCT);
	assert_int_equal(l->nunknown, 2);
	assert_string_equal(l->unknown[0], "Date de cr\xc3\xa9" "ation");
	assert_string_equal(l->unknown[1], "Commentaire");
	/* findings: the unknown columns once, the row without an address, the address twice */
	assert_int_equal(l->f.n, 3);
	where = xasprintf("%s 1", unit);
	f = find(l, "export-unknown-column", where);
	assert_non_null(f);
	assert_int_equal(f->sev, SEV_WARNING);
	assert_non_null(strstr(f->message, "\"Date de cr\xc3\xa9" "ation\", \"Commentaire\""));
	free(where);
	where = xasprintf("%s 5", unit);
	f = find(l, "export-no-address", where);
	assert_non_null(f);
	assert_int_equal(f->sev, SEV_ERROR);
	assert_int_equal(f->col, COL_MAIL);
	free(where);
	where = xasprintf("%s 8", unit);
	f = find(l, "export-duplicate", where);
	assert_non_null(f);
	assert_int_equal(f->sev, SEV_WARNING);
	free(where);
	where = xasprintf("also on %s 2", unit);
	assert_non_null(strstr(f->message, where));
	free(where);
}

static void test_read_csv(void **state)
{
	char *path = fixture("export/medimail-export.csv"), *err = NULL;
	struct export_list *l = export_read(path, &err);

	(void)state;
	assert_non_null(l);
	assert_null(err);
	assert_string_equal(l->path, path);
	check_sample(l, "line", "2026-12-31");
	export_free(l);
	free(path);
}

/* LibreOffice's XLSX and XLS of the same CSV: CP 01200, ADELI 012600631, phones, FINESS and
 * SIRET became numbers; the accounts are the same, the date is a date: AA-MM-JJ. */
static void test_read_spreadsheets(void **state)
{
	const char *files[] = { "export/medimail-export.xlsx", "export/medimail-export.xls" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char *path = fixture(files[i]), *err = NULL;
		struct export_list *l = export_read(path, &err);

		assert_non_null(l);
		check_sample(l, "row", "26-12-31");
		export_free(l);
		free(path);
	}
}

static void test_header_anywhere(void **state)
{
	static const char text[] = "\n;;\n\nEmail;Mail;Statut;Note\n;;;\n A@B.FR ;x@y.fr;Actif;\n";
	char *path = write_tmp("late-header.csv", text, sizeof(text) - 1), *err = NULL;
	struct export_list *l = export_read(path, &err);
	const struct finding *f;

	(void)state;
	assert_non_null(l);
	assert_int_equal(l->header_line, 4);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->acc[0].line, 6);
	assert_string_equal(row_get(&l->acc[0].row, COL_MAIL), "a@b.fr");
	assert_string_equal(l->acc[0].state, "Actif");
	f = find(l, "export-duplicate-column", "line 4");
	assert_non_null(f);
	assert_non_null(strstr(f->message, "column 2 (\"Mail\")"));
	assert_non_null(find(l, "export-unknown-column", "line 4"));
	assert_false(l->present[COL_NOM]);
	export_free(l);
	free(path);
}

/* Damaged CSV records are findings, and skipped: never an account read from garbage. */
static void test_damaged_rows(void **state)
{
	static const char text[] = "Adresse mail;Nom\na@b.fr;A\nn\0ul@b.fr;B\nc@d.fr;\"open\n";
	char *path = write_tmp("damaged.csv", text, sizeof(text) - 1), *err = NULL;
	struct export_list *l = export_read(path, &err);

	(void)state;
	assert_non_null(l);
	assert_int_equal(l->n, 1);
	assert_false(l->has_state);
	assert_string_equal(l->acc[0].state, "");
	assert_non_null(find(l, "csv-binary", "line 3"));
	assert_non_null(find(l, "csv-quote", "line 4"));
	export_free(l);
	free(path);
}

/* One line naming the file and what is wrong. */
static void assert_refused(const char *path, const char *what)
{
	char *err = NULL;
	struct export_list *l = export_read(path, &err);

	assert_null(l);
	assert_non_null(err);
	if (strncmp(err, path, strlen(path)) != 0 || !strstr(err, what) || strchr(err, '\n'))
		fail_msg("got \"%s\", want \"%s: ...%s...\"", err, path, what);
	free(err);
}

static void test_errors(void **state)
{
	static const struct {
		const char *file, *text;  /* a fixture, or a file written from text */
		size_t len;               /* bytes of text; 0: strlen() */
		const char *what;
	} cases[] = {
		{ NULL, "Nom;Pr\xc3\xa9nom;Etat\nDUPONT;Jean;Actif\n", 0,
		  ":1: no \"Adresse mail\" column in the header (found \"Nom\", \"Pr\xc3\xa9nom\", "
		  "\"Etat\")" },
		{ NULL, "", 0, "empty file" },
		{ NULL, "\n;;\n \n", 0, "empty file" },
		{ NULL, "ab\0cd;\n", 7, "binary data" },
		{ "sheet/random.bin", NULL, 0, "no \"Adresse mail\" column" },
		{ "sheet/truncated.xlsx", NULL, 0, "damaged or truncated" },
		{ "sheet/not-xlsx.zip", NULL, 0, "not a readable XLSX file" },
		{ "sheet/no-workbook.xls", NULL, 0, "without a Workbook stream" },
		{ "sheet/dtd.xlsx", NULL, 0, "xl/worksheets/sheet1.xml: line 2: a DTD" },
		{ "missing.csv", NULL, 0, "No such file" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p;

		if (cases[i].text)
			p = write_tmp("refused.csv", cases[i].text,
				      cases[i].len ? cases[i].len : strlen(cases[i].text));
		else
			p = fixture(cases[i].file);
		assert_refused(p, cases[i].what);
		free(p);
	}
}

static int setup(void **state)
{
	(void)state;
	return tmpdir_make(tmpdir, sizeof(tmpdir), "test_export");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_column),
		cmocka_unit_test(test_read_csv),
		cmocka_unit_test(test_read_spreadsheets),
		cmocka_unit_test(test_header_anywhere),
		cmocka_unit_test(test_damaged_rows),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
