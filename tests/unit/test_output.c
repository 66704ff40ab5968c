/*
 * test_output.c - cmocka tests of the loadusers writers. The XLSX is read back with openpyxl
 * (an independent reader), the CSV byte by byte; failures must leave no file behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "output.h"
#include "tmpdir.h"
#include "util.h"

/* Column 2 of the guide's column table (section 3), copied by hand (not from src/columns.c). */
static const char *const headers[NCOLS] = {
	"Adresse mail", "NOM", "Prénom", "RPPS", "ADELI", "Raison Sociale",
	"Service de rattachement", "Adresse (1)", "Adresse (2)", "CP", "VILLE", "Département",
	"Région", "Téléphone (1)", "Téléphone (2)", "Profession", "Spécialité", "Diplôme",
	"Activité libérale", "Type BAL", "Type identifiant structure resp",
	"Identifiant structure resp", "Adresse de retour", "Nom resp", "Prénom resp",
	"Profession resp", "Identifiant resp", "Description fonctionnelle", "Civilité exercice",
	"MSSanté adresse", "Apicrypt adresse", "Apicrypt spécialité", "Date de péremption",
	"Alias", "Compte(s) de connexion", "Structure",
};

struct fixture {
	char dir[4096];
	char *path;
	struct row rows[3];
	const struct row *ptrs[3];
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	size_t i;

	if (tmpdir_make(f->dir, sizeof(f->dir), "test_output"))
		return -1;
	for (i = 0; i < ARRAY_SIZE(f->rows); i++)
		f->ptrs[i] = &f->rows[i];
	row_set(&f->rows[0], COL_MAIL, "helene.durand@ch-test.mssante.fr");
	row_set(&f->rows[0], COL_NOM, "DURAND");
	row_set(&f->rows[0], COL_PRENOM, "Hélène");
	row_set(&f->rows[0], COL_RPPS, "01234");
	row_set(&f->rows[0], COL_CP, "01000");
	row_set(&f->rows[0], COL_VILLE, "BOURG-EN-BRESSE");
	row_set(&f->rows[0], COL_TEL1, "0467330000");
	row_set(&f->rows[0], COL_TYPE_BAL, "PER");
	row_set(&f->rows[0], COL_DESCRIPTION, "Œuvre — “ici” € 😀\nligne 2");
	row_set(&f->rows[1], COL_MAIL, "accueil@ch-test.mssante.fr");
	row_set(&f->rows[1], COL_NOM, "=HYPERLINK(\"http://x\";\"y\")");
	row_set(&f->rows[1], COL_PRENOM, "");     /* empty cell */
	row_set(&f->rows[1], COL_TYPE_BAL, "ORG");
	row_set(&f->rows[1], COL_CONNEXION, "a@x.fr;b@x.fr");
	row_set(&f->rows[2], COL_MAIL, "z@x.fr");
	f->path = xasprintf("%s/loadusers.xlsx", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	tmpdir_remove(f->dir);
	for (i = 0; i < ARRAY_SIZE(f->rows); i++)
		row_free(&f->rows[i]);
	free(f->path);
	free(f);
	return 0;
}

static int count_files(const char *dir)
{
	long n = tmpdir_count(dir);

	assert_true(n >= 0);
	return (int)n;
}

#define assert_prefix(p, lit) assert_memory_equal(p, lit, sizeof(lit) - 1)

static char *read_all(const char *path, size_t *len)
{
	struct strbuf sb = { 0 };
	char buf[4096];
	size_t got;
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	while ((got = fread(buf, 1, sizeof(buf), fp)) > 0)
		sb_addn(&sb, buf, got);
	fclose(fp);
	*len = sb.len;
	return sb_steal(&sb);
}

static void assert_mode_0600(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static char *hex_decode(const char *h)
{
	size_t n = strlen(h) / 2, i;
	char *s = xmalloc(n + 1);
	unsigned int b;

	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(h + 2 * i, "%2x", &b), 1);
		s[i] = (char)b;
	}
	s[n] = '\0';
	return s;
}

/* Cells in the sheet XML (all inline strings in constant-memory mode), then openpyxl's view:
 * sheet names, properties, dimensions, then "row col type hex" per cell. */
#define READER \
	"import sys, zipfile, openpyxl\n" \
	"xml = zipfile.ZipFile(sys.argv[1]).read('xl/worksheets/sheet1.xml')\n" \
	"print('written', xml.count(b'<c '), xml.count(b't=\\\"inlineStr\\\"'))\n" \
	"wb = openpyxl.load_workbook(sys.argv[1])\n" \
	"ws = wb.active\n" \
	"print('sheets', ','.join(wb.sheetnames))\n" \
	"print('title', wb.properties.title.encode().hex())\n" \
	"print('creator', wb.properties.creator.encode().hex())\n" \
	"print('dims', ws.max_row, ws.max_column)\n" \
	"for row in ws.iter_rows():\n" \
	"    for c in row:\n" \
	"        v = c.value\n" \
	"        if v is None:\n" \
	"            print(c.row, c.column, 'none', '-')\n" \
	"        else:\n" \
	"            print(c.row, c.column, c.data_type, str(v).encode().hex())\n"

static void check_xlsx(const char *path, const struct row *rows, size_t n)
{
	char *cmd = xasprintf("/usr/bin/python3 -c \"%s\" '%s'", READER, path);
	char *line = NULL, *val;
	size_t cap = 0, cells = 0, filled = 0;
	char type[16], *hex = NULL;
	unsigned int r, c, maxr, maxc, written, inline_str;
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	assert_true(getline(&line, &cap, p) > 0);
	assert_int_equal(sscanf(line, "written %u %u", &written, &inline_str), 2);
	assert_true(getline(&line, &cap, p) > 0);
	assert_string_equal(line, "sheets loadusers\n");
	assert_true(getline(&line, &cap, p) > 0);
	assert_int_equal(sscanf(line, "title %ms", &hex), 1);
	val = hex_decode(hex);
	free(hex);
	assert_string_equal(val, "Medimail loadusers");
	free(val);
	assert_true(getline(&line, &cap, p) > 0);
	assert_int_equal(sscanf(line, "creator %ms", &hex), 1);
	val = hex_decode(hex);
	free(hex);
	assert_string_equal(val, "medimail-sync");
	free(val);
	assert_true(getline(&line, &cap, p) > 0);
	assert_int_equal(sscanf(line, "dims %u %u", &maxr, &maxc), 2);
	assert_int_equal(maxr, n + 1);
	assert_int_equal(maxc, NCOLS);
	while (getline(&line, &cap, p) > 0) {
		const char *want;

		assert_int_equal(sscanf(line, "%u %u %15s %ms", &r, &c, type, &hex), 4);
		assert_true(r >= 1 && r <= n + 1 && c >= 1 && c <= NCOLS);
		want = r == 1 ? headers[c - 1] : row_get(&rows[r - 2], c - 1);
		if (!*want) {
			assert_string_equal(type, "none");
		} else {
			assert_string_equal(type, "s");
			val = hex_decode(hex);
			assert_string_equal(val, want);
			free(val);
			filled++;
		}
		free(hex);
		cells++;
	}
	assert_int_equal(cells, (n + 1) * NCOLS);
	assert_int_equal(written, filled);     /* empty cells are not written at all */
	assert_int_equal(inline_str, filled);
	assert_int_equal(pclose(p), 0);
	free(line);
	free(cmd);
}

static void test_xlsx_roundtrip(void **state)
{
	struct fixture *f = *state;
	char *err = NULL;

	assert_int_equal(output_write_xlsx(f->path, f->ptrs, 3, &err), 0);
	assert_null(err);
	assert_mode_0600(f->path);
	assert_int_equal(count_files(f->dir), 1);
	check_xlsx(f->path, f->rows, 3);
}

static void test_xlsx_replaces_existing(void **state)
{
	struct fixture *f = *state;
	char *err = NULL;
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fputs("old", fp);
	fclose(fp);
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(output_write_xlsx(f->path, f->ptrs, 1, &err), 0);
	assert_mode_0600(f->path);
	assert_int_equal(count_files(f->dir), 1);
	check_xlsx(f->path, f->rows, 1);
}

/* Same rows and SOURCE_DATE_EPOCH give the same bytes. */
static void test_xlsx_deterministic(void **state)
{
	struct fixture *f = *state;
	char *err = NULL, *a, *b, *second = xasprintf("%s/again.xlsx", f->dir);
	size_t alen, blen;

	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(output_write_xlsx(f->path, f->ptrs, 3, &err), 0);
	assert_int_equal(output_write_xlsx(second, f->ptrs, 3, &err), 0);
	unsetenv("SOURCE_DATE_EPOCH");
	a = read_all(f->path, &alen);
	b = read_all(second, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
	free(second);
}

static void test_xlsx_too_long(void **state)
{
	struct fixture *f = *state;
	char *big = xmalloc(40001), *err = NULL;

	memset(big, 'a', 40000);
	big[40000] = '\0';
	row_take(&f->rows[1], COL_CONNEXION, big);
	assert_int_equal(output_write_xlsx(f->path, f->ptrs, 3, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "data row 2"));
	assert_non_null(strstr(err, "accueil@ch-test.mssante.fr"));
	assert_non_null(strstr(err, "\"Compte(s) de connexion\""));
	assert_non_null(strstr(err, "40000"));
	assert_int_equal(count_files(f->dir), 0);
	free(err);
}

/* The limit counts UTF-16 units as Excel does: 32,767 fits, one more does not. */
static void test_xlsx_limit_boundary(void **state)
{
	struct fixture *f = *state;
	char *s = xmalloc(4 * 16384 + 1), *err = NULL;
	size_t i;

	memset(s, 'a', XLSX_CELL_MAX);
	s[XLSX_CELL_MAX] = '\0';
	row_set(&f->rows[0], COL_DESCRIPTION, s);
	assert_int_equal(output_write_xlsx(f->path, f->ptrs, 1, &err), 0);
	assert_null(err);
	assert_int_equal(unlink(f->path), 0);
	for (i = 0; i < 16384; i++)     /* U+1F600, two UTF-16 units each */
		memcpy(s + 4 * i, "\xf0\x9f\x98\x80", 4);
	s[4 * 16384] = '\0';
	row_take(&f->rows[0], COL_DESCRIPTION, s);
	assert_int_equal(output_write_xlsx(f->path, f->ptrs, 1, &err), -1);
	assert_non_null(strstr(err, "32768"));
	assert_non_null(strstr(err, "data row 1 (helene.durand@ch-test.mssante.fr)"));
	assert_int_equal(count_files(f->dir), 0);
	free(err);
}

static void test_xlsx_bad_utf8(void **state)
{
	struct fixture *f = *state;
	char *err = NULL;

	row_set(&f->rows[2], COL_VILLE, "PARIS\xff");
	assert_int_equal(output_write_xlsx(f->path, f->ptrs, 3, &err), -1);
	assert_non_null(strstr(err, "data row 3 (z@x.fr), column \"VILLE\": invalid UTF-8"));
	assert_int_equal(count_files(f->dir), 0);
	free(err);
}

/* issue 17: an output directory that group or others may write into is refused, naming it;
 * nothing is written there */
static void test_outdir_refused(void **state)
{
	struct fixture *f = *state;
	struct conf_output o = { 0 };
	char *err = NULL;

	assert_int_equal(chmod(f->dir, 0770), 0);
	assert_int_equal(output_write_xlsx(f->path, f->ptrs, 3, &err), -1);
	assert_non_null(strstr(err, "output directory"));
	assert_non_null(strstr(err, f->dir));
	assert_non_null(strstr(err, "writable by group or others (mode 0770)"));
	free(err);
	err = NULL;
	assert_int_equal(chmod(f->dir, 0703), 0);
	assert_int_equal(output_write_csv(f->path, f->ptrs, 3, &o, &err), -1);
	assert_non_null(strstr(err, "writable by group or others"));
	free(err);
	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(count_files(f->dir), 0);
}

/* issue 17: under a file size limit (ulimit -f), libxlsxwriter's own temporary files fail
 * silently; the workbook is read back, so the run fails instead of renaming a truncated
 * file into place. In a child: the limit is the process's. */
static void test_xlsx_size_limit(void **state)
{
	struct fixture *f = *state;
	struct rlimit rl = { 16384, 16384 };
	struct strbuf sb = { 0 };
	const struct row **many;
	struct row *rows;
	char *err = NULL;
	size_t n = 2000, i;
	pid_t pid;
	int status;

	rows = xcalloc(n, sizeof(*rows));
	many = xcalloc(n, sizeof(*many));
	for (i = 0; i < n; i++) {
		sb.len = 0;
		sb_addf(&sb, "person%zu@ch-test.mssante.fr", i);
		row_set(&rows[i], COL_MAIL, sb.buf);
		row_set(&rows[i], COL_NOM, "DURAND");
		many[i] = &rows[i];
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			_exit(3);
		if (output_write_xlsx(f->path, many, n, &err) == 0)
			_exit(1);
		_exit(strstr(err, "is incomplete") || strstr(err, "File too large") ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(count_files(f->dir), 0);       /* no partial file, no temporary */
	/* without the limit, the same rows are written */
	assert_int_equal(output_write_xlsx(f->path, many, n, &err), 0);
	for (i = 0; i < n; i++)
		row_free(&rows[i]);
	free(rows);
	free(many);
	sb_free(&sb);
}

static void test_xlsx_bad_dir(void **state)
{
	char *err = NULL;

	(void)state;
	assert_int_equal(output_write_xlsx("/nonexistent-dir/x.xlsx", NULL, 0, &err), -1);
	assert_non_null(strstr(err, "/nonexistent-dir/x.xlsx"));
	free(err);
}

static void check_cell(const char *in, char sep, const char *want)
{
	char *got = csv_cell(in, sep);

	assert_string_equal(got, want);
	free(got);
}

static void test_csv_cell(void **state)
{
	(void)state;
	check_cell(NULL, ';', "");
	check_cell("", ';', "");
	check_cell("plain", ';', "plain");
	check_cell("a;b", ';', "\"a;b\"");
	check_cell("a,b", ';', "a,b");
	check_cell("a,b", ',', "\"a,b\"");
	check_cell("say \"hi\"", ';', "\"say \"\"hi\"\"\"");
	check_cell("l1\nl2", ';', "\"l1\nl2\"");
	check_cell("l1\rl2", ';', "\"l1\rl2\"");
	check_cell("=HYPERLINK(...)", ';', "'=HYPERLINK(...)");
	check_cell("=HYPERLINK(\"u\";\"t\")", ';', "\"'=HYPERLINK(\"\"u\"\";\"\"t\"\")\"");
	check_cell("+1", ';', "'+1");
	check_cell("-1", ';', "'-1");
	check_cell("@SUM(A1)", ';', "'@SUM(A1)");
	check_cell("\tx", ';', "'\tx");
	check_cell("\rx", ';', "\"'\rx\"");
	check_cell("a=b", ';', "a=b");
}

static struct conf_output csv_opts(char *sep, char *enc, bool bom)
{
	struct conf_output o = { .csv_separator = sep, .csv_encoding = enc, .csv_bom = bom };

	return o;
}

/* The expected header line, UTF-8, with the given separator. */
static char *header_line(char sep)
{
	struct strbuf sb = { 0 };
	int c;

	for (c = 0; c < NCOLS; c++) {
		if (c)
			sb_addc(&sb, sep);
		sb_add(&sb, headers[c]);
	}
	sb_add(&sb, "\r\n");
	return sb_steal(&sb);
}

static void test_csv_utf8_bom(void **state)
{
	struct fixture *f = *state;
	struct conf_output o = csv_opts(";", "utf-8", true);
	char *err = NULL, *data, *hdr = header_line(';');
	const char *p;
	size_t len;

	assert_int_equal(output_write_csv(f->path, f->ptrs, 3, &o, &err), 0);
	assert_null(err);
	assert_mode_0600(f->path);
	assert_int_equal(count_files(f->dir), 1);
	data = read_all(f->path, &len);
	assert_memory_equal(data, "\xef\xbb\xbf", 3);
	assert_memory_equal(data + 3, hdr, strlen(hdr));
	p = data + 3 + strlen(hdr);
	assert_prefix(p, "helene.durand@ch-test.mssante.fr;DURAND;Hélène;01234;;;;;;01000;");
	assert_non_null(strstr(p, ";\"Œuvre — “ici” € 😀\nligne 2\";"));
	p = strstr(p, "\r\naccueil@");
	assert_non_null(p);
	assert_prefix(p, "\r\naccueil@ch-test.mssante.fr;\"'=HYPERLINK(\"\"http://x\"\";"
		      "\"\"y\"\")\";;");
	assert_string_equal(data + len - 45, "\r\nz@x.fr;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;;\r\n");
	free(data);
	free(hdr);
}

static void test_csv_default_no_bom(void **state)
{
	struct fixture *f = *state;
	char *err = NULL, *data, *hdr = header_line(';');
	size_t len;

	assert_int_equal(output_write_csv(f->path, f->ptrs, 0, NULL, &err), 0);
	data = read_all(f->path, &len);
	assert_int_equal(len, strlen(hdr));
	assert_memory_equal(data, hdr, len);
	free(data);
	free(hdr);
}

static void test_csv_separator(void **state)
{
	struct fixture *f = *state;
	struct conf_output o = csv_opts(",", NULL, false);
	char *err = NULL, *data, *hdr = header_line(',');
	size_t len;

	row_set(&f->rows[2], COL_NOM, "DE LA TOUR, MARIE");
	assert_int_equal(output_write_csv(f->path, f->ptrs + 2, 1, &o, &err), 0);
	data = read_all(f->path, &len);
	assert_memory_equal(data, hdr, strlen(hdr));
	assert_string_equal(data + strlen(hdr),
			    "z@x.fr,\"DE LA TOUR, MARIE\",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\r\n");
	free(data);
	free(hdr);
}

static void test_csv_cp1252(void **state)
{
	struct fixture *f = *state;
	struct conf_output o = csv_opts(";", "windows-1252", true);
	char *err = NULL, *data;
	const char *p;
	size_t len;

	row_set(&f->rows[0], COL_DESCRIPTION, "é€Œ’ÿ");
	assert_int_equal(output_write_csv(f->path, f->ptrs, 1, &o, &err), 0);
	assert_null(err);
	data = read_all(f->path, &len);
	/* no BOM in windows-1252; header "Prénom" becomes 50 72 E9 6E 6F 6D */
	assert_prefix(data, "Adresse mail;NOM;Pr\xe9nom;");
	p = strstr(data, "\r\n");
	assert_non_null(p);
	assert_prefix(p + 2, "helene.durand@ch-test.mssante.fr;DURAND;H\xe9l\xe8ne;");
	p = strstr(p, ";\xe9\x80\x8c\x92\xff;");
	assert_non_null(p);
	assert_int_equal((unsigned char)p[1], 0xe9);
	assert_int_equal((unsigned char)p[2], 0x80);
	assert_int_equal((unsigned char)p[3], 0x8c);
	assert_int_equal((unsigned char)p[4], 0x92);
	assert_int_equal((unsigned char)p[5], 0xff);
	free(data);
}

static void test_csv_cp1252_unrepresentable(void **state)
{
	struct fixture *f = *state;
	struct conf_output o = csv_opts(";", "windows-1252", false);
	char *err = NULL;

	row_set(&f->rows[0], COL_DESCRIPTION, "Œuvre — “ici” €");
	row_set(&f->rows[1], COL_PRENOM, "李中");
	assert_int_equal(output_write_csv(f->path, f->ptrs, 3, &o, &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "data row 2 (accueil@ch-test.mssante.fr), "
			       "column \"Prénom\""));
	assert_non_null(strstr(err, "U+674E"));
	assert_int_equal(count_files(f->dir), 0);
	free(err);
}

static void test_csv_bad_options(void **state)
{
	struct fixture *f = *state;
	struct conf_output o = csv_opts(";", "latin9", false);
	char *err = NULL;

	assert_int_equal(output_write_csv(f->path, f->ptrs, 1, &o, &err), -1);
	assert_non_null(strstr(err, "latin9"));
	free(err);
	o = csv_opts("\"", "utf-8", false);
	assert_int_equal(output_write_csv(f->path, f->ptrs, 1, &o, &err), -1);
	assert_non_null(strstr(err, "separator"));
	free(err);
	assert_int_equal(count_files(f->dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_xlsx_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xlsx_replaces_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xlsx_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xlsx_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xlsx_limit_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xlsx_bad_utf8, setup, teardown),
		cmocka_unit_test(test_xlsx_bad_dir),
		cmocka_unit_test_setup_teardown(test_outdir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xlsx_size_limit, setup, teardown),
		cmocka_unit_test(test_csv_cell),
		cmocka_unit_test_setup_teardown(test_csv_utf8_bom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_default_no_bom, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_separator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_cp1252, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_cp1252_unrepresentable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_bad_options, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
