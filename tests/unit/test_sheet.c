/*
 * test_sheet.c - unit tests of sheet.c and sheet_xlsx*.c: number texts, the loadusers columns a
 * spreadsheet turned into numbers, the CSV reader (written here), the XLSX and XLS readers
 * (files written by LibreOffice, and hand-made ones: tests/fixtures/sheet/make-crafted.py),
 * and the errors and limits for damaged and hostile files.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sheet.h"
#include "sheet_int.h"
#include "fixture.h"
#include "tmpdir.h"

static char tmpdir[4096];

static char *write_tmp(const char *name, const char *data, size_t len)
{
	return fixture_write(tmpdir, name, data, len);
}

/* Every row of a file as "POS|kind:text|kind:text..." lines (kinds: e t n d h b), empty cells
 * as "-"; the error, if any, as a last line "ERR errno: message". */
static char *dump(const char *path, const struct sheet_opts *o)
{
	static const char kinds[] = "etndhb";
	struct strbuf sb = { 0 };
	const struct sheet_row *r;
	char *err = NULL;
	struct sheet *s = sheet_open_opts(path, o, &err);
	int rc;

	sb_add(&sb, "");
	if (!s) {
		sb_addf(&sb, "ERR %d: %s\n", errno, err);
		free(err);
		return sb_steal(&sb);
	}
	while ((rc = sheet_next(s, &r, &err)) == 1) {
		sb_addf(&sb, "%ld", r->line);
		for (size_t i = 0; i < r->nkept; i++) {
			if (r->cell[i].kind == SHEET_EMPTY)
				sb_add(&sb, "|-");
			else
				sb_addf(&sb, "|%c:%s", kinds[r->cell[i].kind], r->cell[i].text);
		}
		sb_addc(&sb, '\n');
	}
	if (rc < 0) {
		sb_addf(&sb, "ERR %d: %s\n", errno, err);
		free(err);
	}
	sheet_close(s);
	return sb_steal(&sb);
}

static void assert_dump(const char *path, const struct sheet_opts *o, const char *want)
{
	char *got = dump(path, o);

	assert_string_equal(got, want);
	free(got);
}

/* ------------------------------------------------------------------------------------------ */

static void test_number_text(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 34000, "34000" }, { 467330000, "467330000" }, { 10001045367, "10001045367" },
		{ 73282932000074, "73282932000074" }, { 0.5, "0.5" }, { 0.1, "0.1" },
		{ -2.5, "-2.5" }, { 12.25, "12.25" }, { 0.001, "0.001" }, { 1e-6, "0.000001" },
		{ 1e-7, "1e-07" }, { 1e21, "1e+21" }, { 1.5e21, "1.5e+21" },
		{ 123456789012345678901.0, "123456789012345680000" }, { 0, "0" }, { -0.0, "0" },
		{ 1.0 / 3, "0.3333333333333333" }, { 46387.75, "46387.75" },
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		sheet_number_text(cases[i].v, buf);
		assert_string_equal(buf, cases[i].text);
	}
}

/* The significant digits of a decimal text: no sign, point, exponent, leading or trailing
 * zeros. */
static void sig_digits(const char *t, char out[32])
{
	size_t n = 0;

	for (; *t && *t != 'e'; t++)
		if (*t >= '0' && *t <= '9' && (n || *t != '0'))
			out[n++] = *t;
	while (n && out[n - 1] == '0')
		n--;
	out[n] = '\0';
}

/* Whatever the double, the text reads back to it, with the digits of the shortest %e that
 * does. */
static void test_number_text_round_trip(void **state)
{
	uint64_t x = 88172645463325252ULL;
	char buf[32], e[40], want[32], got[32];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		double v;
		int p;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(&v, &x, sizeof(v));
		if (!isfinite(v) || v == 0)
			continue;
		sheet_number_text(v, buf);
		assert_true(strtod(buf, NULL) == v);
		for (p = 1; p <= 17; p++) {
			snprintf(e, sizeof(e), "%.*e", p - 1, v);
			if (strtod(e, NULL) == v)
				break;
		}
		sig_digits(e, want);
		sig_digits(buf, got);
		assert_string_equal(got, want);
	}
}

static void test_loadusers_text(void **state)
{
	static const struct {
		enum col col;
		enum sheet_kind kind;
		const char *text, *id_type, *want;
	} cases[] = {
		{ COL_CP, SHEET_NUMBER, "3400", NULL, "03400" },
		{ COL_CP, SHEET_NUMBER, "34000", NULL, "34000" },
		{ COL_CP, SHEET_TEXT, "3400", NULL, "3400" },          /* text: as typed */
		{ COL_CP, SHEET_NUMBER, "3400.5", NULL, "3400.5" },    /* not a whole number */
		{ COL_CP, SHEET_NUMBER, "-340", NULL, "-340" },
		{ COL_CP, SHEET_NUMBER, "340000", NULL, "340000" },    /* longer: left alone */
		{ COL_TEL1, SHEET_NUMBER, "467330000", NULL, "0467330000" },
		{ COL_TEL2, SHEET_NUMBER, "692123456", NULL, "0692123456" },
		{ COL_RPPS, SHEET_NUMBER, "10001045367", NULL, "10001045367" },
		{ COL_ADELI, SHEET_NUMBER, "12600631", NULL, "012600631" },
		{ COL_ID_RESP, SHEET_NUMBER, "1045367", NULL, "00001045367" },
		{ COL_ID_STRUCT, SHEET_NUMBER, "10780055", "FINESS", "010780055" },
		{ COL_ID_STRUCT, SHEET_NUMBER, "10780055", " finess ", "010780055" },
		{ COL_ID_STRUCT, SHEET_NUMBER, "3282932000074", "SIRET", "03282932000074" },
		{ COL_ID_STRUCT, SHEET_NUMBER, "32829320", "SIREN", "032829320" },
		{ COL_ID_STRUCT, SHEET_NUMBER, "10780055", NULL, "10780055" },
		{ COL_ID_STRUCT, SHEET_NUMBER, "10780055", "", "10780055" },
		{ COL_ID_STRUCT, SHEET_NUMBER, "10780055", "RNA", "10780055" },
		{ COL_PEREMPTION, SHEET_DATE, "2026-06-30", NULL, "26-06-30" },
		{ COL_PEREMPTION, SHEET_DATE, "2026-06-30 12:00:00", NULL, "26-06-30" },
		{ COL_PEREMPTION, SHEET_DATE, "1931-12-26", NULL, "31-12-26" },
		{ COL_PEREMPTION, SHEET_TEXT, "2026-06-30", NULL, "2026-06-30" },
		{ COL_PEREMPTION, SHEET_NUMBER, "46203", NULL, "46203" },
		{ COL_NOM, SHEET_DATE, "2026-06-30", NULL, "2026-06-30" },
		{ COL_NOM, SHEET_NUMBER, "123", NULL, "123" },
		{ COL_LIBERAL, SHEET_BOOL, "FALSE", NULL, "FALSE" },
		{ COL_CP, SHEET_EMPTY, "", NULL, "" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sheet_cell c = { .text = cases[i].text, .len = strlen(cases[i].text),
					 .kind = cases[i].kind };
		char *t = sheet_loadusers_text(cases[i].col, &c, cases[i].id_type);

		assert_string_equal(t, cases[i].want);
		free(t);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* CSV */

static void test_csv(void **state)
{
	static const char text[] =
		"\xef\xbb\xbf" "a;b;c\r\n"
		"1;\"two\nlines\";\"say \"\"hi\"\"\"\r\n"
		"\r\n"
		"caf\xe9;\xc3\xa9t\xc3\xa9;\x80\r\n"       /* Windows-1252, UTF-8, euro sign */
		"x;;\n"
		"last;\"open\n";
	char *path = write_tmp("basic.csv", text, sizeof(text) - 1);

	(void)state;
	assert_dump(path, NULL,
		    "1|t:a|t:b|t:c\n"
		    "2|t:1|t:two\nlines|t:say \"hi\"\n"
		    "4|-\n"
		    "5|t:caf\xc3\xa9|t:\xc3\xa9t\xc3\xa9|t:\xe2\x82\xac\n"
		    "6|t:x|-|-\n"
		    "7|t:last|t:open\n\n");
	free(path);
}

static void test_csv_flags(void **state)
{
	static const char text[] = "a,b,c,\"\"\nn\0ul,x\n,,,,\nz,\"never closed\n";
	char *path = write_tmp("flags.csv", text, sizeof(text) - 1);
	const struct sheet_row *r;
	char *err = NULL;
	struct sheet *s = sheet_open(path, &err);

	(void)state;
	assert_non_null(s);
	assert_int_equal(sheet_format(s), SHEET_CSV);
	assert_null(sheet_name(s));
	assert_string_equal(sheet_unit(s), "line");
	/* ',' chosen from the header; the quotes of an empty cell count as content */
	assert_int_equal(sheet_next(s, &r, &err), 1);
	assert_int_equal(r->ncells, 4);
	assert_int_equal(r->used, 4);
	assert_false(r->nul || r->open_quote || r->cut);
	assert_int_equal(sheet_next(s, &r, &err), 1);
	assert_true(r->nul);
	assert_string_equal(sheet_text(r, 0), "nul");
	assert_false(sheet_row_blank(r));
	assert_int_equal(sheet_next(s, &r, &err), 1);
	assert_int_equal(r->ncells, 5);
	assert_int_equal(r->used, 0);
	assert_true(sheet_row_blank(r));
	assert_string_equal(sheet_text(r, 99), "");
	assert_int_equal(sheet_next(s, &r, &err), 1);
	assert_int_equal(r->line, 4);
	assert_true(r->open_quote);
	assert_false(sheet_row_blank(r));
	assert_int_equal(sheet_next(s, &r, &err), 0);
	assert_null(r);
	assert_int_equal(sheet_next(s, &r, &err), 0);
	sheet_close(s);
	free(path);
}

/* A cell keeps cell_bytes, cut on a UTF-8 character; a row keeps cells cells. */
static void test_csv_limits(void **state)
{
	static const char text[] = "h\n\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9;b;c;d;e\nok\n";
	struct sheet_limits lim = { .cell_bytes = 5, .cells = 3 };
	struct sheet_opts o = { .limits = &lim };
	char *path = write_tmp("limits.csv", text, sizeof(text) - 1);
	const struct sheet_row *r;
	char *err = NULL;
	struct sheet *s = sheet_open_opts(path, &o, &err);

	(void)state;
	assert_non_null(s);
	assert_int_equal(sheet_next(s, &r, &err), 1);
	assert_false(r->cut);
	assert_int_equal(sheet_next(s, &r, &err), 1);
	assert_true(r->cut);
	assert_string_equal(r->cell[0].text, "\xc3\xa9\xc3\xa9");   /* 4 bytes, not 5 */
	assert_int_equal(r->nkept, 3);
	assert_int_equal(r->ncells, 5);
	assert_int_equal(r->used, 5);
	assert_int_equal(sheet_next(s, &r, &err), 1);
	assert_false(r->cut);
	assert_string_equal(r->cell[0].text, "ok");
	sheet_close(s);
	free(path);
}

static void test_csv_errors(void **state)
{
	char *utf16 = write_tmp("utf16.csv", "\xff\xfe" "a\0;\0", 6);
	char *empty = write_tmp("empty.csv", "", 0);
	char *missing = xasprintf("%s/missing.csv", tmpdir);
	char *got;

	(void)state;
	got = dump(utf16, NULL);
	assert_non_null(strstr(got, "ERR 22: "));
	assert_non_null(strstr(got, "utf16.csv: UTF-16 text"));
	free(got);
	assert_dump(empty, NULL, "");
	got = dump(missing, NULL);
	assert_non_null(strstr(got, "ERR 2: "));
	assert_non_null(strstr(got, "missing.csv: No such file"));
	free(got);
	got = dump(tmpdir, NULL);
	assert_non_null(strstr(got, "ERR 21: "));
	free(got);
	free(utf16);
	free(empty);
	free(missing);
}

/* ------------------------------------------------------------------------------------------ */
/* XLSX and XLS */

static void test_xlsx_features(void **state)
{
	char *path = fixture("sheet/features.xlsx");
	const struct sheet_row *r;
	char *err = NULL;
	struct sheet *s;

	(void)state;
	assert_dump(path, NULL,
		    "1|t:plain|t:Rich|t: spaced |t:line\r\ntwo|t:&<\xc3\xa9\n"
		    "2|n:34000|n:467330000|n:10001045367|n:0.1|n:1e+21|n:-2.5|-|t:abc\n"
		    "4|d:2026-12-31|d:2026-12-31|n:46387|h:12:00:00|d:2026-12-31 18:00:00|-|n:5"
		    "|d:2026-12-31 12:00:00|d:1900-02-29|n:-1|n:3000000|n:46387\n"
		    "5|t:inline|b:TRUE|b:FALSE|t:#N/A|t:formula|d:2026-06-30"
		    "|d:2026-06-30 08:30:00|-|-|n:7|-\n"
		    "6|-|t:y|n:46387|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|t:far\n"
		    "7\n"
		    "8|n:42\n");
	s = sheet_open(path, &err);
	assert_non_null(s);
	assert_int_equal(sheet_format(s), SHEET_XLSX);
	assert_string_equal(sheet_name(s), "Donn\xc3\xa9" "es");   /* the first worksheet */
	assert_string_equal(sheet_unit(s), "row");
	assert_int_equal(sheet_next(s, &r, &err), 1);
	assert_int_equal(sheet_next(s, &r, &err), 1);
	assert_int_equal(r->ncells, 8);
	assert_int_equal(r->used, 8);
	sheet_close(s);
	free(path);
}

static void test_xlsx_1904(void **state)
{
	char *path = fixture("sheet/date1904.xlsx");

	(void)state;
	assert_dump(path, NULL, "1|d:1904-01-01|d:2027-03-16\n");
	free(path);
}

/* A file saved by LibreOffice from planted-20.csv with Standard columns: numbers lost their
 * leading zeros, "2026-06-30" is a date; the multi-line cell is one cell of row 2. */
static void test_xlsx_xls_libreoffice(void **state)
{
	const char *files[] = { "validate/planted-20-numbers.xlsx", "validate/planted-20-numbers.xls" };

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		char *path = fixture(files[f]), *err = NULL;
		const struct sheet_row *r;
		struct sheet *s = sheet_open(path, &err);
		long n = 0;

		assert_non_null(s);
		assert_int_equal(sheet_format(s), f ? SHEET_XLS : SHEET_XLSX);
		assert_string_equal(sheet_name(s), "planted-20-numbers");
		while (sheet_next(s, &r, &err) == 1) {
			n++;
			assert_int_equal(r->line, n);
			if (n == 1)
				assert_string_equal(sheet_text(r, 2), "Pr\xc3\xa9nom");
			if (n == 2)
				assert_string_equal(sheet_text(r, 8), "Pavillon A\nporte 3");
			if (n == 9) {
				assert_int_equal(r->cell[COL_CP].kind, SHEET_NUMBER);
				assert_string_equal(r->cell[COL_CP].text, "3400");
			}
			if (n == 17)
				assert_string_equal(r->cell[COL_ID_STRUCT].text, "10780055");
			if (n == 18)
				assert_string_equal(r->cell[COL_ID_STRUCT].text, "73282932000074");
			if (n == 20) {
				assert_int_equal(r->cell[COL_PEREMPTION].kind, SHEET_DATE);
				assert_string_equal(r->cell[COL_PEREMPTION].text, "2026-06-30");
			}
		}
		assert_null(err);
		assert_int_equal(n, 22);
		sheet_close(s);
		free(path);
	}
}

/* The format is the content's, whatever the name; and it can be forced. */
static void test_format_by_content(void **state)
{
	char *xlsx = fixture("validate/clean-numbers.xlsx");
	char *csv = fixture("validate/clean.csv");
	char *err = NULL, *data = NULL, *copy;
	struct sheet_opts as_csv = { .format = SHEET_CSV };
	const struct sheet_row *r;
	struct sheet *s;
	size_t len = 0;
	FILE *f = fopen(csv, "rb");

	(void)state;
	assert_non_null(f);
	data = xmalloc(65536);
	len = fread(data, 1, 65536, f);
	fclose(f);
	copy = write_tmp("clean.xls", data, len);
	s = sheet_open(copy, &err);
	assert_non_null(s);
	assert_int_equal(sheet_format(s), SHEET_CSV);
	sheet_close(s);
	s = sheet_open_opts(xlsx, &as_csv, &err);
	assert_non_null(s);
	assert_int_equal(sheet_format(s), SHEET_CSV);
	assert_int_equal(sheet_next(s, &r, &err), 1);
	assert_true(r->nul);
	sheet_close(s);
	free(data);
	free(copy);
	free(xlsx);
	free(csv);
}

/* ------------------------------------------------------------------------------------------ */
/* Damaged and hostile files: one message naming the file (and the part), errno EINVAL */

static void assert_error(const char *rel, const struct sheet_opts *o, const char *part,
			 const char *what)
{
	char *path = fixture(rel), *got = dump(path, o), *want;

	want = xasprintf("ERR 22: %s: %s%s", path, part ? part : "", part ? ": " : "");
	if (!strstr(got, want) || !strstr(got, what) || strchr(strstr(got, "ERR"), '\n')[1])
		fail_msg("%s: got \"%s\", want \"%s...%s\"", rel, got, want, what);
	free(want);
	free(got);
	free(path);
}

static void test_errors(void **state)
{
	(void)state;
	assert_error("sheet/truncated.xlsx", NULL, NULL, "ZIP archive is damaged or truncated");
	assert_error("sheet/not-xlsx.zip", NULL, NULL, "without [Content_Types].xml");
	assert_error("sheet/opendocument.ods", NULL, NULL, "OpenDocument");
	assert_error("sheet/no-worksheet.xlsx", NULL, NULL, "the workbook has no worksheet");
	assert_error("sheet/no-workbook.xls", NULL, NULL, "without a Workbook stream");
	assert_error("sheet/truncated.xls", NULL, NULL, "damaged or truncated");
	assert_error("sheet/dtd.xlsx", NULL, "xl/worksheets/sheet1.xml", "DTD");
	assert_error("sheet/malformed.xlsx", NULL, "xl/worksheets/sheet1.xml",
		     "line 4: mismatched tag");
	assert_error("sheet/sst-range.xlsx", NULL, "xl/worksheets/sheet1.xml",
		     "row 2: shared string \"5\" does not exist (2 strings)");
	/* the default cap of 16 MiB on a part such as the styles */
	assert_error("sheet/styles-bomb.xlsx", NULL, "xl/styles.xml", "ZIP bomb");
}

static void test_limits(void **state)
{
	struct sheet_limits lim = { 0 };
	struct sheet_opts o = { .limits = &lim };
	char *got, *path;

	(void)state;
	lim.sst_count = 5;
	assert_error("validate/planted-20.xlsx", &o, "xl/sharedStrings.xml",
		     "more than 5 shared strings");
	lim = (struct sheet_limits){ .sst_bytes = 100 };
	assert_error("validate/planted-20.xlsx", &o, "xl/sharedStrings.xml",
		     "more than 100 bytes");
	lim = (struct sheet_limits){ .sst_part_bytes = 1000 };
	assert_error("validate/planted-20.xlsx", &o, "xl/sharedStrings.xml", "ZIP bomb");
	lim = (struct sheet_limits){ .part_bytes = 200 };
	assert_error("validate/planted-20.xlsx", &o, "[Content_Types].xml", "ZIP bomb");
	/* the worksheet is streamed: rows come out until the cap is reached */
	lim = (struct sheet_limits){ .sheet_bytes = 8000 };
	path = fixture("validate/planted-20.xlsx");
	got = dump(path, &o);
	assert_non_null(strstr(got, "\n2|t:multi.ligne@chu-exemple.fr|"));
	assert_non_null(strstr(got, "xl/worksheets/sheet1.xml: more than 8000 bytes"));
	free(got);
	free(path);
	/* a 2 MiB token over a 1 MiB cap on expat's memory; read whole by default */
	lim = (struct sheet_limits){ .xml_memory = 1 << 20 };
	assert_error("sheet/huge-token.xlsx", &o, "xl/worksheets/sheet1.xml",
		     "over the XML memory cap");
	path = fixture("sheet/huge-token.xlsx");
	assert_dump(path, NULL, "1|n:1\n2|n:2\n");
	free(path);
	/* cells and their bytes, XLSX and XLS alike */
	lim = (struct sheet_limits){ .cells = 2, .cell_bytes = 3 };
	path = fixture("validate/clean-numbers.xlsx");
	got = dump(path, &o);
	assert_true(strncmp(got, "1|t:Adr|t:NOM\n2|t:jea|t:DUP\n", 28) == 0);
	free(got);
	free(path);
	path = fixture("validate/clean-numbers.xls");
	got = dump(path, &o);
	assert_true(strncmp(got, "1|t:Adr|t:NOM\n2|t:jea|t:DUP\n", 28) == 0);
	free(got);
	free(path);
}

/* libfreexl runs in a child process: its crash, its endless loop or its early exit is an
 * error message of the parent, naming the file. The hook plays libfreexl's part. */
static void child_aborts(void)
{
	abort();
}

static void child_loops(void)
{
	volatile unsigned long n = 0;

	for (;;)
		n++;
}

static void child_exits(void)
{
	_exit(3);
}

static void test_xls_child(void **state)
{
	static const struct {
		void (*hook)(void);
		const char *want;
	} cases[] = {
		{ child_aborts, "libfreexl crashed on it (Aborted): a damaged or hostile file" },
		{ child_loops, "libfreexl took more than 1 s of CPU on it" },
		{ child_exits, "libfreexl stopped on it (exit status 3)" },
	};
	struct sheet_limits lim = { .xls_seconds = 1 };
	struct sheet_opts o = { .limits = &lim };
	char *path = fixture("validate/clean-numbers.xls"), *want;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		sheet_xls_child_hook = cases[i].hook;
		want = xasprintf("%s: not a readable XLS file: %s", path, cases[i].want);
		assert_error("validate/clean-numbers.xls", &o, NULL, want);
		free(want);
	}
	sheet_xls_child_hook = NULL;
	free(path);
}

static void test_random_bytes(void **state)
{
	char *path = fixture("sheet/random.bin");
	const struct sheet_row *r;
	char *err = NULL;
	struct sheet *s = sheet_open(path, &err);
	int rc, rows = 0;

	(void)state;
	/* neither a ZIP nor an OLE2 file: read as CSV, without crash, without error */
	assert_non_null(s);
	assert_int_equal(sheet_format(s), SHEET_CSV);
	while ((rc = sheet_next(s, &r, &err)) == 1)
		rows++;
	assert_int_equal(rc, 0);
	assert_true(rows > 0);
	sheet_close(s);
	free(path);
}

static int setup(void **state)
{
	(void)state;
	return tmpdir_make(tmpdir, sizeof(tmpdir), "test_sheet");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number_text),
		cmocka_unit_test(test_number_text_round_trip),
		cmocka_unit_test(test_loadusers_text),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_flags),
		cmocka_unit_test(test_csv_limits),
		cmocka_unit_test(test_csv_errors),
		cmocka_unit_test(test_xlsx_features),
		cmocka_unit_test(test_xlsx_1904),
		cmocka_unit_test(test_xlsx_xls_libreoffice),
		cmocka_unit_test(test_format_by_content),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_xls_child),
		cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
