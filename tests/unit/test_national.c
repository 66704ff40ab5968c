/* test_national.c - cmocka unit tests of the national directory (src/national*.c): the extract
 * reader's checks, the aggregation per person, the index (reuse, rebuilds, corruption), look-ups,
 * identifiers and name keys. Extracts are written in a temporary directory. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "national.h"
#include "tmpdir.h"

static char tmpdir[4096];

/* Column indexes of the activity extract (src/data/ps_libreacces_personne_activite_columns.tsv) */
enum {
	C_TYPE = 0, C_ID = 1, C_IDNAT = 2, C_CIVEX = 3, C_CIVEXL = 4, C_CIV = 5, C_CIVL = 6,
	C_NOM = 7, C_PRENOM = 8, C_PROF = 9, C_PROFL = 10, C_CAT = 11, C_CATL = 12, C_SFT = 13,
	C_SFTL = 14, C_SF = 15, C_SFL = 16, C_MODE = 17, C_MODEL = 18, C_SIRET = 19,
	C_SIREN = 20, C_FINESS = 21, C_EJ = 22, C_TECH = 23, C_RS = 24, C_CP = 35, C_INSEE = 36,
	C_COMMUNE = 37, C_SECT = 48, C_SECTL = 49, NCOL = 52
};
/* and of the MSSanté extract (extraction_correspondance_mssante_columns.tsv) */
enum { M_BAL = 0, M_ADDR = 1, M_TYPE = 2, M_ID = 3, M_IDNAT = 4, M_STYPE = 5, M_SID = 6,
       M_SERVICE = 7, M_RS = 18, MCOL = 31 };

/* Source tree root, from this file's path: .../tests/unit/test_national.c */
static char *src_path(const char *rel)
{
	const char *file = __FILE__;
	const char *end = strstr(file, "tests/unit/test_national.c");

	return xasprintf("%.*s%s", end ? (int)(end - file) : 0, file, rel);
}

/* The header line of an extract from the column list in src/data/ ("|" after each name). */
static char *header_from_tsv(const char *tsv)
{
	char *path = src_path(tsv), line[512];
	FILE *f = fopen(path, "r");
	struct strbuf sb = { 0 };
	bool first = true;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');

		line[strcspn(line, "\n")] = '\0';
		if (first || !tab) {
			first = false;
			continue;
		}
		sb_addf(&sb, "%s|", tab + 1);
	}
	fclose(f);
	free(path);
	return sb_steal(&sb);
}

static char *act_header, *mss_header;

/* One row: n columns, the pairs (index, value) given, then -1; "|" after each field. */
static void add_row(struct strbuf *sb, int n, ...)
{
	const char *v[64] = { NULL };
	va_list ap;
	int i;

	va_start(ap, n);
	while ((i = va_arg(ap, int)) >= 0)
		v[i] = va_arg(ap, const char *);
	va_end(ap);
	for (i = 0; i < n; i++)
		sb_addf(sb, "%s|", v[i] ? v[i] : "");
	sb_addc(sb, '\n');
}

/* The person fields of the fixture's people, then a row's own fields. */
#define HELENE C_TYPE, "8", C_ID, "10003456018", C_IDNAT, "810003456018", C_CIVEX, "DR", \
	C_CIVEXL, "Docteur", C_CIV, "MME", C_CIVL, "Madame", C_NOM, "DE LA FONTAINE", \
	C_PRENOM, "HÉLÈNE", C_PROF, "10", C_PROFL, "Médecin", C_CAT, "C", C_CATL, "Civil"
#define CHU C_MODE, "S", C_MODEL, "Salarié", C_SIRET, "26340001300015", C_FINESS, \
	"340780477", C_EJ, "340780055", C_TECH, "F340780477", C_RS, "CHU D'EXEMPLE", \
	C_CP, "34090", C_INSEE, "34172", C_COMMUNE, "MONTPELLIER", C_SECT, "SA01", C_SECTL, \
	"Etablissement public de santé"
#define CABINET C_MODE, "L", C_MODEL, "Libéral", C_TECH, "C10003456018", C_RS, \
	"CABINET DE LA FONTAINE", C_CP, "34000", C_INSEE, "34172", C_COMMUNE, "MONTPELLIER", \
	C_SECT, "SA07", C_SECTL, "Cabinet individuel"
#define CARDIO C_SFT, "S", C_SFTL, "Spécialité ordinale", C_SF, "SM04", C_SFL, \
	"Cardiologie et maladies vasculaires"
#define GERONTO C_SFT, "CAPA", C_SFTL, "Capacité", C_SF, "CAPA07", C_SFL, "Gérontologie"

/* The standard activity extract: Hélène (RPPS, 4 rows: 2 activities x 2 savoir-faire, and a
 * fifth row at the end of the file), Amélie (ADELI), Jeanne (RPPS, no activity). */
static char *fixture_extract(void)
{
	struct strbuf sb = { 0 };

	sb_add(&sb, act_header);
	sb_addc(&sb, '\n');
	add_row(&sb, NCOL, HELENE, CHU, CARDIO, -1);
	add_row(&sb, NCOL, HELENE, CHU, GERONTO, -1);
	add_row(&sb, NCOL, HELENE, CABINET, CARDIO, -1);
	add_row(&sb, NCOL, HELENE, CABINET, GERONTO, -1);
	add_row(&sb, NCOL, C_TYPE, "0", C_ID, "349500124", C_IDNAT, "0349500124", C_CIV, "MME",
		C_CIVL, "Madame", C_NOM, "ROUX", C_PRENOM, "AMÉLIE", C_PROF, "95", C_PROFL,
		"Diététicien", C_CAT, "C", C_CATL, "Civil", CHU, -1);
	add_row(&sb, NCOL, C_TYPE, "8", C_ID, "10003456026", C_IDNAT, "810003456026", C_CIV, "MME",
		C_CIVL, "Madame", C_NOM, "D'ARC", C_PRENOM, "JEANNE", C_PROF, "60", C_PROFL,
		"Infirmier", C_CAT, "C", C_CATL, "Civil", -1);
	/* Hélène again, away from her other rows: a third activity, a known savoir-faire */
	add_row(&sb, NCOL, HELENE, C_MODE, "B", C_MODEL, "Bénévole", C_FINESS, "340000207",
		C_RS, "EHPAD LES TILLEULS", C_CP, "34500", C_COMMUNE, "BÉZIERS", CARDIO, -1);
	return sb_steal(&sb);
}

static char *fixture_mssante(void)
{
	struct strbuf sb = { 0 };

	sb_add(&sb, mss_header);
	sb_addc(&sb, '\n');
	add_row(&sb, MCOL, M_BAL, "PER", M_ADDR, "helene.delafontaine@medecin.mssante.fr",
		M_TYPE, "8", M_ID, "10003456018", M_IDNAT, "810003456018", M_STYPE, "1", M_SID,
		"1340780477", M_SERVICE, "Cardiologie", M_RS, "CHU D'EXEMPLE", -1);
	add_row(&sb, MCOL, M_BAL, "ORG", M_ADDR, "secretariat@chu-exemple.mssante.fr", M_STYPE,
		"1", M_SID, "1340780477", M_RS, "CHU D'EXEMPLE", -1);
	add_row(&sb, MCOL, M_BAL, "PER", M_ADDR, "elodie.bernard@medecin.mssante.fr", M_TYPE,
		"8", M_ID, "10003456034", M_IDNAT, "810003456034", -1);
	add_row(&sb, MCOL, M_BAL, "PER", M_ADDR, "h.delafontaine@chu-exemple.mssante.fr",
		M_TYPE, "8", M_ID, "10003456018", M_IDNAT, "810003456018", M_RS, "CHU D'EXEMPLE",
		-1);
	return sb_steal(&sb);
}

static char *tpath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static void write_text(const char *name, const char *text, size_t len)
{
	char *path = tpath(name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(path);
}

static void write_file(const char *name, const char *text)
{
	write_text(name, text, strlen(text));
}

/* A configuration section over files of the temporary directory. */
struct tconf {
	struct conf_national c;
};

static void tconf_init(struct tconf *t, const char *extract, const char *mss)
{
	t->c.extract = tpath(extract);
	t->c.mssante_extract = mss ? tpath(mss) : NULL;
	t->c.index = tpath("national.idx");
	t->c.max_age = 0;
}

static void tconf_free(struct tconf *t)
{
	free(t->c.extract);
	free(t->c.mssante_extract);
	free(t->c.index);
}

/* nat_open() that must fail; the error must contain each of the strings (NULL-terminated). */
static void expect_open_error(const struct conf_national *c, ...)
{
	char *err = NULL;
	struct nat_db *db = nat_open(c, &err);
	const char *want;
	va_list ap;

	if (db)
		fail_msg("nat_open succeeded, should not have");
	assert_non_null(err);
	va_start(ap, c);
	while ((want = va_arg(ap, const char *)))
		if (!strstr(err, want))
			fail_msg("missing \"%s\" in the error: %s", want, err);
	va_end(ap);
	free(err);
}

static struct nat_db *open_ok(const struct conf_national *c)
{
	char *err = NULL;
	struct nat_db *db = nat_open(c, &err);

	if (!db)
		fail_msg("nat_open: %s", err ? err : "(no message)");
	return db;
}

/* nat_open() that must rebuild the index, for this reason. */
static struct nat_db *expect_rebuilt(const struct conf_national *c, const char *why)
{
	struct nat_db *db = open_ok(c);

	if (!nat_info(db)->rebuilt || strcmp(nat_info(db)->rebuilt, why) != 0)
		fail_msg("rebuilt: \"%s\", expected \"%s\"",
			 nat_info(db)->rebuilt ? nat_info(db)->rebuilt : "(reused)", why);
	return db;
}

static int setup(void **state)
{
	(void)state;
	if (tmpdir_make(tmpdir, sizeof(tmpdir), "test_national") < 0)
		return -1;
	if (!act_header) {
		act_header = header_from_tsv("src/data/"
					     "ps_libreacces_personne_activite_columns.tsv");
		mss_header = header_from_tsv("src/data/"
					     "extraction_correspondance_mssante_columns.tsv");
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(tmpdir);
}

/* ---------------------------------------------------------------------------------------- */

/* The column list of src/data/ is the header the reader expects (one copy of the layout). */
static void test_columns_match_data_files(void **state)
{
	char *err = NULL;
	struct strbuf sb = { 0 };

	(void)state;
	sb_add(&sb, act_header);
	sb_addc(&sb, '\n');
	add_row(&sb, NCOL, HELENE, -1);
	assert_int_equal(nat_parse_buffer(sb.buf, sb.len, 0, &err), 1);
	assert_null(err);
	sb.len = 0;
	sb_add(&sb, mss_header);
	sb_addc(&sb, '\n');
	add_row(&sb, MCOL, M_BAL, "PER", M_ADDR, "a@b.mssante.fr", M_TYPE, "8", M_ID, "1", -1);
	assert_int_equal(nat_parse_buffer(sb.buf, sb.len, 1, &err), 1);
	assert_null(err);
	sb_free(&sb);
	/* 52 columns, "|" after the last */
	{
		size_t pipes = 0;

		for (const char *c = act_header; *c; c++)
			pipes += *c == '|';
		assert_int_equal(pipes, NCOL);
		assert_int_equal(act_header[strlen(act_header) - 1], '|');
	}
}

/* Rows aggregated per person, every field, in file order; ADELI; unknown ids. */
static void test_aggregate_and_find(void **state)
{
	char *x = fixture_extract(), *m = fixture_mssante();
	const struct nat_person *p, *q;
	const struct nat_info *in;
	struct tconf t;
	struct nat_db *db;

	(void)state;
	write_file("PS_LibreAcces_Personne_activite_202501010000.txt", x);
	write_file("mss.txt", m);
	tconf_init(&t, "PS_LibreAcces_Personne_activite_*.txt", "mss.txt");
	db = open_ok(&t.c);
	in = nat_info(db);
	assert_non_null(in->rebuilt);
	assert_true(strstr(in->extract, "_202501010000.txt") != NULL);
	assert_int_equal(in->rows, 7);
	assert_int_equal(in->persons, 3);
	assert_int_equal(in->mssante_rows, 4);
	assert_int_equal(in->mssante_addresses, 3);

	p = nat_find(db, NAT_RPPS, "10003456018");
	assert_non_null(p);
	assert_int_equal(p->type, NAT_RPPS);
	assert_string_equal(p->id, "10003456018");
	assert_string_equal(p->idnat, "810003456018");
	assert_true(p->in_extract);
	assert_string_equal(p->civilite_exercice.code, "DR");
	assert_string_equal(p->civilite_exercice.label, "Docteur");
	assert_string_equal(p->civilite.code, "MME");
	assert_string_equal(p->nom, "DE LA FONTAINE");
	assert_string_equal(p->prenom, "HÉLÈNE");
	assert_string_equal(p->nom_fold, "de la fontaine");
	assert_string_equal(p->prenom_fold, "helene");
	assert_string_equal(p->nom_key, "lafontaine");
	assert_int_equal(p->nprofessions, 1);
	assert_string_equal(p->professions[0].profession.code, "10");
	assert_string_equal(p->professions[0].profession.label, "Médecin");
	assert_string_equal(p->professions[0].categorie.label, "Civil");
	/* 5 rows, 2 distinct savoir-faire, 3 distinct activities (the last row's merged) */
	assert_int_equal(p->nsavoir_faire, 2);
	assert_string_equal(p->savoir_faire[0].type.code, "S");
	assert_string_equal(p->savoir_faire[0].savoir_faire.code, "SM04");
	assert_string_equal(p->savoir_faire[1].savoir_faire.label, "Gérontologie");
	assert_ptr_equal(nat_specialite(p), &p->savoir_faire[0]);
	assert_int_equal(p->nactivities, 3);
	assert_string_equal(p->activities[0].mode.label, "Salarié");
	assert_string_equal(p->activities[0].finess, "340780477");
	assert_string_equal(p->activities[0].finess_ej, "340780055");
	assert_string_equal(p->activities[0].siret, "26340001300015");
	assert_string_equal(p->activities[0].siren, "");
	assert_string_equal(p->activities[0].structure_id, "F340780477");
	assert_string_equal(p->activities[0].raison_sociale, "CHU D'EXEMPLE");
	assert_string_equal(p->activities[0].cp, "34090");
	assert_string_equal(p->activities[0].commune_code, "34172");
	assert_string_equal(p->activities[0].commune, "MONTPELLIER");
	assert_string_equal(p->activities[0].secteur.code, "SA01");
	assert_string_equal(p->activities[1].mode.code, "L");
	assert_string_equal(p->activities[1].raison_sociale, "CABINET DE LA FONTAINE");
	assert_string_equal(p->activities[1].finess, "");
	assert_string_equal(p->activities[2].mode.label, "Bénévole");
	assert_string_equal(p->activities[2].commune, "BÉZIERS");
	assert_int_equal(p->nmssante, 2);
	assert_string_equal(p->mssante[0].address, "helene.delafontaine@medecin.mssante.fr");
	assert_string_equal(p->mssante[0].bal_type, "PER");
	assert_string_equal(p->mssante[0].structure_id_type, "1");
	assert_string_equal(p->mssante[0].structure_id, "1340780477");
	assert_string_equal(p->mssante[0].service, "Cardiologie");
	assert_string_equal(p->mssante[1].address, "h.delafontaine@chu-exemple.mssante.fr");
	/* the same pointer again */
	assert_ptr_equal(nat_find(db, NAT_RPPS, "10003456018"), p);

	/* ADELI, sharing the CHU site with Hélène */
	q = nat_find(db, NAT_ADELI, "349500124");
	assert_non_null(q);
	assert_string_equal(q->nom, "ROUX");
	assert_string_equal(q->prenom_fold, "amelie");
	assert_string_equal(q->civilite_exercice.code, "");
	assert_int_equal(q->nsavoir_faire, 0);
	assert_null(nat_specialite(q));
	assert_int_equal(q->nactivities, 1);
	assert_string_equal(q->activities[0].raison_sociale, "CHU D'EXEMPLE");
	assert_int_equal(q->nmssante, 0);
	/* empty fields: no activity, no civilité d'exercice */
	q = nat_find(db, NAT_RPPS, "10003456026");
	assert_non_null(q);
	assert_int_equal(q->nactivities, 0);
	assert_string_equal(q->nom_key, "arc");
	assert_string_equal(q->nom_fold, "d arc");
	/* only in the MSSanté extract */
	q = nat_find(db, NAT_RPPS, "10003456034");
	assert_non_null(q);
	assert_false(q->in_extract);
	assert_string_equal(q->nom, "");
	assert_string_equal(q->idnat, "810003456034");
	assert_int_equal(q->nmssante, 1);
	/* unknown: another type, another id, an empty id */
	assert_null(nat_find(db, NAT_ADELI, "10003456018"));
	assert_null(nat_find(db, NAT_RPPS, "10003456019"));
	assert_null(nat_find(db, NAT_RPPS, ""));
	nat_close(db);
	tconf_free(&t);
	free(x);
	free(m);
}

/* Header variants: a known other spelling, case, extra and reordered columns, a BOM, CRLF. */
static void test_header_variants(void **state)
{
	struct strbuf sb = { 0 };
	const struct nat_person *p;
	struct tconf t;
	struct nat_db *db;
	char *h;

	(void)state;
	h = str_trim(act_header);
	/* "Libellé civilité exercice" (seen in some extracts), a column in upper case */
	sb_add(&sb, "\xef\xbb\xbf");
	for (char *f = strtok(h, "|"); f; f = strtok(NULL, "|")) {
		if (strcmp(f, "Libellé civilité d'exercice") == 0)
			sb_add(&sb, "Libellé civilité exercice|");
		else if (strcmp(f, "Nom d'exercice") == 0)
			sb_add(&sb, "NOM D'EXERCICE|");
		else
			sb_addf(&sb, "%s|", f);
	}
	sb_add(&sb, "Code fonction|Libellé fonction|\r\n");
	free(h);
	h = sb_steal(&sb);
	sb_add(&sb, h);
	add_row(&sb, NCOL + 2, HELENE, CHU, NCOL, "F1", NCOL + 1, "Fonction", -1);
	sb.buf[sb.len - 1] = '\r';
	sb_addc(&sb, '\n');
	write_file("x.txt", sb.buf);
	tconf_init(&t, "x.txt", NULL);
	db = open_ok(&t.c);
	p = nat_find(db, NAT_RPPS, "10003456018");
	assert_non_null(p);
	assert_string_equal(p->civilite_exercice.label, "Docteur");
	assert_string_equal(p->nom, "DE LA FONTAINE");
	assert_string_equal(p->activities[0].secteur.label, "Etablissement public de santé");
	nat_close(db);
	tconf_free(&t);
	sb_free(&sb);
	free(h);
}

/* A missing column, a renamed one, a duplicate: errors naming the column and the file. */
static void test_header_errors(void **state)
{
	struct tconf t;
	char *h, *path;

	(void)state;
	tconf_init(&t, "x.txt", NULL);
	path = tpath("x.txt");
	/* missing: "Nom d'exercice|" removed */
	h = xstrdup(act_header);
	memmove(strstr(h, "Nom d'exercice|"), strstr(h, "Nom d'exercice|") + 15,
		strlen(strstr(h, "Nom d'exercice|") + 15) + 1);
	write_file("x.txt", h);
	expect_open_error(&t.c, path, ":1: column \"Nom d'exercice\" is missing", NULL);
	free(h);
	/* renamed */
	h = xstrdup(act_header);
	memcpy(strstr(h, "Nom d'exercice"), "Nom d'exercise", 14);
	write_file("x.txt", h);
	expect_open_error(&t.c, ":1: column \"Nom d'exercice\" is missing",
			  "not recognised: \"Nom d'exercise\"", NULL);
	free(h);
	/* twice */
	h = xasprintf("%sPrénom d'exercice|\n", act_header);
	write_file("x.txt", h);
	expect_open_error(&t.c, ":1: column \"Prénom d'exercice\" appears twice", NULL);
	free(h);
	/* the MSSanté extract is checked too */
	write_file("x.txt", act_header);
	write_file("m.txt", "Type de BAL|Adresse BAL|\n");
	free(t.c.mssante_extract);
	t.c.mssante_extract = tpath("m.txt");
	expect_open_error(&t.c, "m.txt:1: column \"Type Identifiant PP\" is missing", NULL);
	/* empty file */
	write_file("x.txt", "");
	free(t.c.mssante_extract);
	t.c.mssante_extract = NULL;
	expect_open_error(&t.c, "x.txt: empty file", NULL);
	assert_int_equal(tmpdir_count(tmpdir), 2);     /* no index, no temporary file left */
	free(path);
	tconf_free(&t);
}

/* A truncated file, a short line, invalid UTF-8, a NUL byte, a bad identifier: the line. */
static void test_line_errors(void **state)
{
	char *x = fixture_extract(), *bad;
	size_t len = strlen(x);
	struct tconf t;

	(void)state;
	tconf_init(&t, "x.txt", NULL);
	/* the last line cut in its middle, without its LF */
	write_text("x.txt", x, len - 40);
	expect_open_error(&t.c, "x.txt:8: ", "fields where the header has 53",
			  "the file is truncated", NULL);
	/* cut right after a "|": still one field short */
	bad = xstrdup(x);
	bad[len - 2] = '\0';
	write_file("x.txt", bad);
	expect_open_error(&t.c, "x.txt:8: 52 fields where the header has 53", NULL);
	free(bad);
	/* a line of line 3 with a field missing (a "|" removed) */
	bad = xstrdup(x);
	{
		char *l3 = strchr(strchr(bad, '\n') + 1, '\n') + 1;

		assert_true(l3[0] == '8' && l3[1] == '|');
		memmove(l3 + 1, l3 + 2, strlen(l3 + 2) + 1);      /* "8|1000..." -> "81000..." */
	}
	write_file("x.txt", bad);
	expect_open_error(&t.c, "x.txt:3: 52 fields where the header has 53", NULL);
	free(bad);
	/* invalid UTF-8 on line 4 (a lone continuation byte in the name) */
	bad = xstrdup(x);
	{
		char *l4 = strstr(strchr(strchr(strchr(bad, '\n') + 1, '\n') + 1, '\n'), "HÉLÈNE");

		l4[1] = '\x80';
	}
	write_file("x.txt", bad);
	expect_open_error(&t.c, "x.txt:4: invalid UTF-8", NULL);
	free(bad);
	/* an overlong encoding ("/" in two bytes) and a NUL byte */
	{
		struct strbuf sb = { 0 };

		sb_add(&sb, act_header);
		sb_addc(&sb, '\n');
		add_row(&sb, NCOL, C_TYPE, "8", C_ID, "1", C_NOM, "A\xc0\xaf", -1);
		write_file("x.txt", sb.buf);
		expect_open_error(&t.c, "x.txt:2: invalid UTF-8 (or a NUL byte) at byte 11", NULL);
		sb_free(&sb);
	}
	bad = xstrdup(x);
	strstr(bad, "ROUX")[1] = '\0';
	write_text("x.txt", bad, len);
	expect_open_error(&t.c, "x.txt:6: invalid UTF-8 (or a NUL byte)", NULL);
	free(bad);
	/* identifiers */
	{
		struct strbuf sb = { 0 };

		sb_add(&sb, act_header);
		sb_addc(&sb, '\n');
		add_row(&sb, NCOL, C_TYPE, "8", C_ID, "10003456018", -1);
		add_row(&sb, NCOL, C_TYPE, "RPPS", C_ID, "10003456026", -1);
		write_file("x.txt", sb.buf);
		expect_open_error(&t.c, "x.txt:3: identifier type \"RPPS\" is not a TRE_G08 code",
				  NULL);
		sb.len = 0;
		sb_add(&sb, act_header);
		sb_addc(&sb, '\n');
		add_row(&sb, NCOL, C_TYPE, "8", -1);
		write_file("x.txt", sb.buf);
		expect_open_error(&t.c, "x.txt:2: empty identifier", NULL);
		/* an empty line */
		sb.len = 0;
		sb_add(&sb, act_header);
		sb_add(&sb, "\n\n");
		write_file("x.txt", sb.buf);
		expect_open_error(&t.c, "x.txt:2: 1 fields where the header has 53 (empty line)",
				  NULL);
		sb_free(&sb);
	}
	/* no index and no temporary file left behind */
	assert_int_equal(tmpdir_count(tmpdir), 1);
	tconf_free(&t);
	free(x);
}

/* The last line may lack its LF when its fields are all there. */
static void test_last_line_without_lf(void **state)
{
	char *x = fixture_extract();
	struct tconf t;
	struct nat_db *db;

	(void)state;
	write_text("x.txt", x, strlen(x) - 1);
	tconf_init(&t, "x.txt", NULL);
	db = open_ok(&t.c);
	assert_int_equal(nat_info(db)->rows, 7);
	assert_int_equal(nat_find(db, NAT_RPPS, "10003456018")->nactivities, 3);
	nat_close(db);
	tconf_free(&t);
	free(x);
}

static void set_mtime(const char *name, time_t sec, long nsec)
{
	char *path = tpath(name);
	struct timespec ts[2] = { { sec, nsec }, { sec, nsec } };

	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	free(path);
}

static void get_mtime(const char *name, struct timespec *ts)
{
	char *path = tpath(name);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	*ts = st.st_mtim;
	free(path);
}

/* The index is reused while the extract is the same; rebuilt when its size, modification
 * time or header line changes, or when the MSSanté extract is added. */
static void test_reuse_and_rebuild(void **state)
{
	char *x = fixture_extract(), *m = fixture_mssante(), *y;
	struct strbuf sb = { 0 };
	struct timespec ts;
	struct tconf t;
	struct nat_db *db;

	(void)state;
	write_file("x.txt", x);
	tconf_init(&t, "x.txt", NULL);
	db = expect_rebuilt(&t.c, "no index yet");
	nat_close(db);
	db = open_ok(&t.c);
	assert_null(nat_info(db)->rebuilt);
	assert_int_equal(nat_info(db)->persons, 3);
	assert_non_null(nat_find(db, NAT_ADELI, "349500124"));
	nat_close(db);

	/* size: one more person */
	sb_add(&sb, x);
	add_row(&sb, NCOL, C_TYPE, "8", C_ID, "10003456042", C_NOM, "LEFEBVRE", -1);
	write_file("x.txt", sb.buf);
	db = expect_rebuilt(&t.c, "the extract changed (size)");
	assert_string_equal(nat_find(db, NAT_RPPS, "10003456042")->nom, "LEFEBVRE");
	nat_close(db);

	/* modification time only (same bytes) */
	get_mtime("x.txt", &ts);
	set_mtime("x.txt", ts.tv_sec - 3600, ts.tv_nsec);
	db = expect_rebuilt(&t.c, "the extract changed (modification time)");
	nat_close(db);

	/* header line only: same size, same time, "Nom d'exercice" written in upper case */
	get_mtime("x.txt", &ts);
	y = xstrdup(sb.buf);
	memcpy(strstr(y, "Nom d'exercice"), "NOM", 3);
	write_file("x.txt", y);
	set_mtime("x.txt", ts.tv_sec, ts.tv_nsec);
	db = expect_rebuilt(&t.c, "the extract changed (header line)");
	nat_close(db);

	/* the MSSanté extract added */
	write_file("m.txt", m);
	t.c.mssante_extract = tpath("m.txt");
	db = expect_rebuilt(&t.c, "the MSSanté extract was added");
	assert_int_equal(nat_find(db, NAT_RPPS, "10003456018")->nmssante, 2);
	nat_close(db);
	db = open_ok(&t.c);
	assert_null(nat_info(db)->rebuilt);
	nat_close(db);
	/* a newer extract by name (the glob picks the last one) */
	free(t.c.extract);
	t.c.extract = tpath("PS_*.txt");
	write_file("PS_LibreAcces_Personne_activite_202501010000.txt", x);
	write_file("PS_LibreAcces_Personne_activite_202501020000.txt", sb.buf);
	db = open_ok(&t.c);
	assert_true(strstr(nat_info(db)->extract, "202501020000") != NULL);
	assert_non_null(nat_find(db, NAT_RPPS, "10003456042"));
	nat_close(db);
	sb_free(&sb);
	free(y);
	free(x);
	free(m);
	tconf_free(&t);
}

static void patch_file(const char *name, off_t off, const void *bytes, size_t n)
{
	char *path = tpath(name);
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, n, off), (ssize_t)n);
	close(fd);
	free(path);
}

static off_t file_size(const char *name)
{
	char *path = tpath(name);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	free(path);
	return st.st_size;
}

/* nat_open_background: the body checked in a thread; a damaged body is reported by
 * nat_verified(), which removes the index so that the next open builds it again. */
static void test_background_check(void **state)
{
	char *x = fixture_extract(), *m = fixture_mssante(), *err = NULL, *ipath;
	struct tconf t;
	struct nat_db *db;

	(void)state;
	write_file("x.txt", x);
	write_file("m.txt", m);
	tconf_init(&t, "x.txt", "m.txt");
	ipath = tpath("national.idx");
	nat_close(open_ok(&t.c));
	db = nat_open_background(&t.c, &err);
	assert_non_null(db);
	assert_null(nat_info(db)->rebuilt);
	assert_non_null(nat_find(db, NAT_RPPS, "10003456018"));
	assert_int_equal(nat_verified(db, &err), 0);
	assert_int_equal(nat_verified(db, &err), 0);      /* again: the same answer */
	nat_close(db);
	/* a byte of the body: found by the thread, not by the header's checks */
	patch_file("national.idx", 4096 + 20, "Z", 1);
	db = nat_open_background(&t.c, &err);
	assert_non_null(db);
	assert_int_equal(nat_verified(db, &err), -1);
	assert_non_null(strstr(err, "national.idx: corrupt index (body checksum): removed"));
	free(err);
	err = NULL;
	assert_int_equal(nat_verified(db, &err), -1);
	free(err);
	nat_close(db);
	assert_int_equal(access(ipath, F_OK), -1);
	db = expect_rebuilt(&t.c, "no index yet");
	assert_int_equal(nat_verified(db, &err), 0);      /* nat_open: checked already */
	nat_close(db);
	/* closed without waiting: nat_close waits for the thread */
	nat_close(nat_open_background(&t.c, &err));
	free(ipath);
	free(x);
	free(m);
	tconf_free(&t);
}

/* nat_open_background reads the body only when the index was modified since its build (its
 * mtime is no longer the one the build set, a second in the past); nat_open always does. */
static void test_body_check_modes(void **state)
{
	char *x = fixture_extract(), *err = NULL;
	struct timespec stamp;
	struct tconf t;
	struct nat_db *db;

	(void)state;
	write_file("x.txt", x);
	tconf_init(&t, "x.txt", NULL);
	db = expect_rebuilt(&t.c, "no index yet");
	assert_int_equal(nat_info(db)->body, NAT_BODY_BUILT);
	nat_close(db);
	get_mtime("national.idx", &stamp);
	assert_true(stamp.tv_nsec == 0 && stamp.tv_sec < time(NULL));
	/* as built: not read again */
	db = nat_open_background(&t.c, &err);
	assert_non_null(db);
	assert_null(nat_info(db)->rebuilt);
	assert_int_equal(nat_info(db)->body, NAT_BODY_UNCHANGED);
	assert_int_equal(nat_verified(db, &err), 0);
	assert_string_equal(nat_find(db, NAT_RPPS, "10003456018")->prenom, "HÉLÈNE");
	nat_close(db);
	/* nat_open (national index, national show) reads it all the same */
	db = open_ok(&t.c);
	assert_null(nat_info(db)->rebuilt);
	assert_int_equal(nat_info(db)->body, NAT_BODY_READ);
	nat_close(db);
	/* touched (the same bytes): checked by the thread, found whole, kept */
	set_mtime("national.idx", stamp.tv_sec, 1);
	db = nat_open_background(&t.c, &err);
	assert_non_null(db);
	assert_int_equal(nat_info(db)->body, NAT_BODY_BACKGROUND);
	assert_int_equal(nat_verified(db, &err), 0);
	nat_close(db);
	/* a byte of the body written: the write stamps the mtime, the thread finds it */
	set_mtime("national.idx", stamp.tv_sec, 0);
	patch_file("national.idx", 4096 + 20, "Z", 1);
	db = nat_open_background(&t.c, &err);
	assert_non_null(db);
	assert_int_equal(nat_info(db)->body, NAT_BODY_BACKGROUND);
	assert_int_equal(nat_verified(db, &err), -1);
	free(err);
	err = NULL;
	nat_close(db);
	db = expect_rebuilt(&t.c, "no index yet");
	nat_close(db);
	/* what the fast path gives up: damage that puts the build's mtime back is not seen by
	 * the runs, only by nat_open (the national index command) */
	get_mtime("national.idx", &stamp);
	patch_file("national.idx", 4096 + 20, "Z", 1);
	set_mtime("national.idx", stamp.tv_sec, stamp.tv_nsec);
	db = nat_open_background(&t.c, &err);
	assert_non_null(db);
	assert_int_equal(nat_info(db)->body, NAT_BODY_UNCHANGED);
	nat_close(db);
	nat_close(expect_rebuilt(&t.c, "corrupt index (body checksum)"));
	free(x);
	tconf_free(&t);
}

/* A damaged index is detected and rebuilt, never used: body, header, size, version. */
static void test_corrupt_index_rebuilt(void **state)
{
	char *x = fixture_extract(), *m = fixture_mssante();
	struct tconf t;
	struct nat_db *db;
	off_t size;
	char *ipath;

	(void)state;
	write_file("x.txt", x);
	write_file("m.txt", m);
	tconf_init(&t, "x.txt", "m.txt");
	ipath = tpath("national.idx");
	nat_close(open_ok(&t.c));
	size = file_size("national.idx");
	/* a byte of the body (a name in the first fragment) */
	patch_file("national.idx", 4096 + 20, "Z", 1);
	db = expect_rebuilt(&t.c, "corrupt index (body checksum)");
	assert_string_equal(nat_find(db, NAT_RPPS, "10003456018")->prenom, "HÉLÈNE");
	nat_close(db);
	/* the last byte of the file (the table) */
	patch_file("national.idx", size - 1, "\x7f", 1);
	nat_close(expect_rebuilt(&t.c, "corrupt index (body checksum)"));
	/* a count in the header block */
	patch_file("national.idx", 1200, "\x01", 1);
	nat_close(expect_rebuilt(&t.c, "corrupt index (header checksum)"));
	/* cut */
	assert_int_equal(truncate(ipath, size - 16), 0);
	nat_close(expect_rebuilt(&t.c, "corrupt index (size)"));
	assert_int_equal(truncate(ipath, 100), 0);
	nat_close(expect_rebuilt(&t.c, "corrupt index (too short)"));
	/* another version */
	patch_file("national.idx", 8, "\x63", 1);
	nat_close(expect_rebuilt(&t.c, "index made by another version"));
	/* empty file */
	assert_int_equal(truncate(ipath, 0), 0);
	nat_close(expect_rebuilt(&t.c, "corrupt index (too short)"));
	/* rebuilt every time to the same bytes' size */
	assert_int_equal(file_size("national.idx"), size);
	free(ipath);
	free(x);
	free(m);
	tconf_free(&t);
}

/* A stale index is never used: when the extract changed and cannot be read, nat_open fails
 * and the old index stays as it was, still not used by the next open. A foreign file at the
 * index's path is not replaced. */
static void test_stale_never_used(void **state)
{
	char *x = fixture_extract(), *before, *after, big[8192];
	struct tconf t;
	size_t n;

	(void)state;
	write_file("x.txt", x);
	tconf_init(&t, "x.txt", NULL);
	nat_close(open_ok(&t.c));
	before = NULL;
	{
		char *p = tpath("national.idx");
		FILE *f = fopen(p, "r");

		before = xmalloc(1 << 16);
		n = fread(before, 1, 1 << 16, f);
		fclose(f);
		free(p);
	}
	write_text("x.txt", x, strlen(x) - 10);      /* truncated */
	expect_open_error(&t.c, "the file is truncated", NULL);
	expect_open_error(&t.c, "the file is truncated", NULL);
	{
		char *p = tpath("national.idx");
		FILE *f = fopen(p, "r");

		after = xmalloc(1 << 16);
		assert_int_equal(fread(after, 1, 1 << 16, f), n);
		fclose(f);
		free(p);
	}
	assert_memory_equal(before, after, n);
	assert_int_equal(tmpdir_count(tmpdir), 2);
	/* foreign */
	write_file("x.txt", x);
	write_file("national.idx", "SQLite format 3\n... something else");
	expect_open_error(&t.c, "national.idx: exists and is not a medimail-sync national index",
			  NULL);
	assert_int_equal(file_size("national.idx"), 34);
	/* foreign and long enough to hold a header block: refused by its marker */
	memset(big, 'x', sizeof(big));
	write_text("national.idx", big, sizeof(big));
	expect_open_error(&t.c, "national.idx: exists and is not a medimail-sync national index",
			  NULL);
	assert_int_equal(file_size("national.idx"), sizeof(big));
	free(before);
	free(after);
	free(x);
	tconf_free(&t);
}

/* Files that are not there or not files; a glob that matches nothing. */
static void test_missing_files(void **state)
{
	struct tconf t;

	(void)state;
	tconf_init(&t, "none.txt", NULL);
	expect_open_error(&t.c, "none.txt: cannot open (national-directory extract)", NULL);
	free(t.c.extract);
	t.c.extract = tpath("PS_*.txt");
	expect_open_error(&t.c, "PS_*.txt: no file matches (national-directory extract)", NULL);
	free(t.c.extract);
	t.c.extract = xstrdup(tmpdir);
	expect_open_error(&t.c, "not a regular file", NULL);
	tconf_free(&t);
}

/* Rows of one person spread over the file, and many rows: merged, distinct. */
static void test_many_rows_scattered(void **state)
{
	struct strbuf sb = { 0 };
	const struct nat_person *p;
	struct tconf t;
	struct nat_db *db;
	char id[16], fin[16];

	(void)state;
	sb_add(&sb, act_header);
	sb_addc(&sb, '\n');
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "%011d", 20000000 + i % 1000);
		snprintf(fin, sizeof(fin), "34%07d", i % 7);
		add_row(&sb, NCOL, C_TYPE, "8", C_ID, id, C_NOM, "MARTIN", C_PROF, "60",
			C_FINESS, fin, C_MODE, "S", -1);
	}
	write_file("x.txt", sb.buf);
	tconf_init(&t, "x.txt", NULL);
	db = open_ok(&t.c);
	assert_int_equal(nat_info(db)->persons, 1000);
	/* person 7: rows 7, 1007, 2007: FINESS 7 % 7, 1007 % 7, 2007 % 7 = 0, 6, 5 */
	p = nat_find(db, NAT_RPPS, "00020000007");
	assert_non_null(p);
	assert_int_equal(p->nactivities, 3);
	assert_string_equal(p->activities[0].finess, "340000000");
	assert_string_equal(p->activities[1].finess, "340000006");
	assert_string_equal(p->activities[2].finess, "340000005");
	assert_int_equal(p->nprofessions, 1);
	/* every person from its home slot (3000 entries, three per person, many pushed past
	 * their homes); none of the absent ones, nor these numbers as ADELI */
	for (int i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "%011d", 20000000 + i);
		p = nat_find(db, NAT_RPPS, id);
		assert_non_null(p);
		assert_string_equal(p->id, id);
		assert_int_equal(p->nactivities, 3);
		assert_null(nat_find(db, NAT_ADELI, id));
		snprintf(id, sizeof(id), "%011d", 20001000 + i);
		assert_null(nat_find(db, NAT_RPPS, id));
	}
	nat_close(db);
	sb_free(&sb);
	tconf_free(&t);
}

/* The national id made when the extract leaves it out: the type code (1 to 3 digits), the
 * identifier. */
static void test_idnat_made(void **state)
{
	static const char *const types[] = { "8", "0", "42", "123" };
	static const char *const want[] = { "810003456018", "010003456018", "4210003456018",
					    "12310003456018" };
	struct strbuf sb = { 0 };
	struct tconf t;
	struct nat_db *db;

	(void)state;
	sb_add(&sb, act_header);
	sb_addc(&sb, '\n');
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		add_row(&sb, NCOL, C_TYPE, types[i], C_ID, "10003456018", C_NOM, "MARTIN", -1);
	write_file("x.txt", sb.buf);
	tconf_init(&t, "x.txt", NULL);
	db = open_ok(&t.c);
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		const struct nat_person *p = nat_find(db, (enum nat_id_type)atoi(types[i]),
						      "10003456018");

		assert_non_null(p);
		assert_string_equal(p->idnat, want[i]);
		assert_string_equal(p->nom, "MARTIN");
	}
	nat_close(db);
	sb_free(&sb);
	tconf_free(&t);
}

static void test_parse_id(void **state)
{
	static const struct {
		const char *in;
		int type;            /* -1: refused */
		const char *id;
	} cases[] = {
		{ "10003456018", NAT_RPPS, "10003456018" },
		{ "8 1000 345 6018", NAT_RPPS, "10003456018" },     /* national id, blanks */
		{ "34 96 0027 0", NAT_ADELI, "349600270" },
		{ "0349500124", NAT_ADELI, "349500124" },
		{ "10:jean@x.mssante.fr", 10, "jean@x.mssante.fr" },
		{ "1000345601", -1, NULL },          /* 10 digits not starting with 0 */
		{ "910003456018", -1, NULL },        /* 12 digits not starting with 8 */
		{ "abc", -1, NULL }, { "", -1, NULL }, { ":1", -1, NULL }, { "8:", -1, NULL },
		{ "999:1", -1, NULL },
	};
	enum nat_id_type t;
	char *id;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = nat_parse_id(cases[i].in, &t, &id);

		if (cases[i].type < 0) {
			if (rc != -1)
				fail_msg("nat_parse_id(\"%s\") accepted", cases[i].in);
			continue;
		}
		if (rc != 0)
			fail_msg("nat_parse_id(\"%s\") refused", cases[i].in);
		assert_int_equal((int)t, cases[i].type);
		assert_string_equal(id, cases[i].id);
		free(id);
	}
}

static void test_name_key(void **state)
{
	static const char *const cases[][2] = {
		{ "De La Fontaine", "lafontaine" }, { "LA FONTAINE", "lafontaine" },
		{ "D'ARC", "arc" }, { "d’Arc", "arc" }, { "Saint-Exupéry", "saintexupery" },
		{ "SAINT EXUPERY", "saintexupery" }, { "N'DIAYE", "ndiaye" },
		{ "Le Goff", "legoff" }, { "du Bellay", "bellay" }, { "DES ESSARTS", "essarts" },
		{ "  Hélène-Marie ", "helenemarie" }, { "", "" }, { "de", "" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *k = nat_name_key(cases[i][0]);

		if (strcmp(k, cases[i][1]) != 0)
			fail_msg("nat_name_key(\"%s\") = \"%s\", expected \"%s\"", cases[i][0], k,
				 cases[i][1]);
		free(k);
	}
}

/* The reader on memory, as the fuzz harness calls it: garbage is an error, never a crash. */
static void test_parse_buffer_garbage(void **state)
{
	static const char *const bad[] = {
		"", "\n", "|||\n", "\xff\xfe", "Type d'identifiant PP\n8\n",
	};
	char *err;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err = NULL;
		assert_int_equal(nat_parse_buffer(bad[i], strlen(bad[i]), 0, &err), -1);
		assert_non_null(err);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_columns_match_data_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aggregate_and_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_line_without_lf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse_and_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_index_rebuilt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_check_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idnat_made, setup, teardown),
		cmocka_unit_test_setup_teardown(test_background_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_never_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_rows_scattered, setup, teardown),
		cmocka_unit_test(test_parse_id),
		cmocka_unit_test(test_name_key),
		cmocka_unit_test(test_parse_buffer_garbage),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(act_header);
	free(mss_header);
	return rc;
}
