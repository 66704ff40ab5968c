/* test_check.c - cmocka unit tests of check.c: identifier keys, geography, code lists, rows. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check.h"

static void test_luhn_ids(void **state)
{
	(void)state;
	assert_true(check_luhn("0"));
	assert_false(check_luhn(""));
	assert_false(check_luhn("12a4"));
	assert_true(check_rpps("10001045367"));
	assert_false(check_rpps("10001045368"));
	assert_true(check_rpps("10000000017"));
	assert_false(check_rpps("1000104536"));       /* 10 digits */
	assert_false(check_rpps("1000104536 7"));
	assert_true(check_adeli("012600631"));
	assert_true(check_adeli("759124159"));
	assert_false(check_adeli("012600632"));
	assert_false(check_adeli("01260063"));
	assert_int_equal(check_finess("010780054"), 1);
	assert_int_equal(check_finess("310000005"), 1);
	assert_int_equal(check_finess("010780055"), 0);
	assert_int_equal(check_finess("2A0000123"), 2);
	assert_int_equal(check_finess("2B1234567"), 2);
	assert_int_equal(check_finess("2C0000123"), 0);
	assert_int_equal(check_finess("01078005"), 0);
	assert_true(check_siren("404833048"));
	assert_true(check_siren("552008443"));
	assert_false(check_siren("552008444"));
	assert_true(check_siret("73282932000074"));
	assert_true(check_siret("26010004500012"));
	assert_false(check_siret("73282932000075"));
	assert_false(check_siret("7328293200007"));
	/* La Poste: digit sum 3+5+6+4+9+8+3+7 = 45, a multiple of 5, though Luhn fails */
	assert_false(check_luhn("35600000049837"));
	assert_true(check_siret("35600000049837"));
	assert_false(check_siret("35600000049838"));
	assert_true(check_siret("35600000000048"));   /* head office: Luhn-valid */
}

static void test_formats(void **state)
{
	(void)state;
	assert_true(check_phone("0467330000"));
	assert_false(check_phone("04 67 33 00 00"));
	assert_false(check_phone("4673300001"));
	assert_false(check_phone("046733000"));
	assert_true(check_date("25-12-31"));
	assert_true(check_date("24-02-29"));
	assert_false(check_date("25-02-29"));
	assert_false(check_date("25-13-01"));
	assert_false(check_date("25-04-31"));
	assert_false(check_date("2025-12-31"));
	assert_false(check_date("25/12/31"));
	assert_false(check_date("25-12-00"));
	assert_true(check_mailbox("jean.dupont@chu-exemple.fr"));
	assert_true(check_mailbox("a+b@x.example.org"));
	assert_false(check_mailbox("Jean.Dupont@chu-exemple.fr"));
	assert_false(check_mailbox("jean..dupont@chu-exemple.fr"));
	assert_false(check_mailbox("jean dupont@chu-exemple.fr"));
	assert_false(check_mailbox("jean@localhost"));
	assert_false(check_mailbox("jean@-chu.fr"));
	assert_false(check_mailbox("jean@chu..fr"));
	assert_false(check_mailbox("@chu.fr"));
	assert_false(check_mailbox("jean.dupont"));
	assert_true(check_local_part("jean.dupont"));
	assert_false(check_local_part("jean.dupont@chu.fr"));
	assert_false(check_local_part(".jean"));
	assert_false(check_local_part(""));
}

static void test_geography(void **state)
{
	(void)state;
	assert_string_equal(check_cp_departement("34000"), "34");
	assert_string_equal(check_cp_departement("01200"), "01");   /* shared: prefix derived */
	assert_string_equal(check_cp_departement("20190"), "2A");
	assert_string_equal(check_cp_departement("20000"), "2A");
	assert_string_equal(check_cp_departement("20200"), "2B");
	assert_string_equal(check_cp_departement("20620"), "2B");
	assert_string_equal(check_cp_departement("97133"), "971");
	assert_string_equal(check_cp_departement("97400"), "974");
	assert_string_equal(check_cp_departement("97600"), "976");
	assert_string_equal(check_cp_departement("94390"), "91");   /* exception, only 91 */
	assert_null(check_cp_departement("98000"));                 /* Monaco */
	assert_null(check_cp_departement("3400"));
	assert_null(check_cp_departement("34 000"));
	assert_null(check_cp_departement("00100"));
	assert_string_equal(check_departement_region("34"), "76");
	assert_string_equal(check_departement_region("2A"), "94");
	assert_string_equal(check_departement_region("974"), "04");
	assert_null(check_departement_region("99"));
}

/* A complete, valid row of each type. */
static void valid_row(struct row *r, enum bal_type t)
{
	memset(r, 0, sizeof(*r));
	row_set(r, COL_NOM, "DUPONT");
	row_set(r, COL_PRENOM, "Jean");
	row_set(r, COL_RAISON_SOCIALE, "CHU d'Exemple");
	row_set(r, COL_ADRESSE1, "1 avenue de l'Hôpital");
	row_set(r, COL_CP, "34000");
	row_set(r, COL_VILLE, "MONTPELLIER");
	row_set(r, COL_DEPARTEMENT, "Hérault");
	row_set(r, COL_REGION, "Occitanie");
	row_set(r, COL_TEL1, "0467330000");
	row_set(r, COL_SPECIALITE, "Gériatrie (SM)");
	row_set(r, COL_LIBERAL, "NON");
	row_set(r, COL_TYPE_BAL, bal_type_name(t));
	switch (t) {
	case BAL_PER:
		row_set(r, COL_MAIL, "jean.dupont@chu-exemple.fr");
		row_set(r, COL_RPPS, "10001045367");
		row_set(r, COL_PROFESSION, "Médecin");
		row_set(r, COL_MSSANTE, "jean.dupont");
		row_set(r, COL_APICRYPT, "jdupont");
		row_set(r, COL_APICRYPT_SPECIALITE, "Gériatrie");
		row_set(r, COL_PEREMPTION, "26-06-30");
		break;
	case BAL_INT:
		row_set(r, COL_MAIL, "interne.un@chu-exemple.fr");
		row_set(r, COL_PROFESSION, "Médecin");
		row_set(r, COL_TYPE_ID_STRUCT, "FINESS");
		row_set(r, COL_ID_STRUCT, "010780054");
		row_set(r, COL_CIVILITE, "DR");
		break;
	case BAL_ORG:
		row_set(r, COL_MAIL, "secretariat.geriatrie@chu-exemple.fr");
		row_set(r, COL_NOM, "SECRÉTARIAT");
		row_set(r, COL_PROFESSION, "Secrétaire médical");
		row_set(r, COL_TYPE_ID_STRUCT, "SIRET");
		row_set(r, COL_ID_STRUCT, "73282932000074");
		row_set(r, COL_NOM_RESP, "MARTIN");
		row_set(r, COL_PRENOM_RESP, "Anne");
		row_set(r, COL_PROFESSION_RESP, "Médecin");
		row_set(r, COL_ID_RESP, "10001045367");
		row_set(r, COL_DESCRIPTION, "Secrétariat du service de gériatrie");
		row_set(r, COL_CONNEXION, "jean.dupont@chu-exemple.fr;paul.durand@chu-exemple.fr");
		break;
	default:
		row_set(r, COL_MAIL, "agent.admin@chu-exemple.fr");
		row_set(r, COL_PROFESSION, "personnel ADMINISTRATIF");  /* folded label */
		break;
	}
}

static struct checker *new_checker(const struct config *c)
{
	char *err = NULL;
	struct checker *ck = check_new(c, &err);

	assert_non_null(ck);
	assert_null(err);
	return ck;
}

static void test_valid_rows(void **state)
{
	struct checker *ck = new_checker(NULL);

	(void)state;
	for (int t = 0; t < BAL_NTYPES; t++) {
		struct findings f = { 0 };
		struct row r;

		valid_row(&r, (enum bal_type)t);
		assert_int_equal(check_row(ck, &r, (enum bal_type)t, "dn", &f), 0);
		for (size_t i = 0; i < f.n; i++)
			print_message("type %d: %s %s\n", t, f.v[i].rule, f.v[i].message);
		assert_int_equal(f.n, 0);
		findings_free(&f);
		row_free(&r);
	}
	check_free(ck);
}

/* One planted fault per line: the row of that type, with one cell changed, gives exactly
 * that finding. value NULL clears the cell. */
static const struct planted {
	enum bal_type type;
	enum col col;
	const char *value;
	const char *rule;
	int col_found;        /* column of the finding when it is not col */
} planted[] = {
	{ BAL_PER, COL_MAIL, NULL, "required", -1 },
	{ BAL_PER, COL_MAIL, "Jean.Dupont@chu-exemple.fr", "mail-lowercase", -1 },
	{ BAL_PER, COL_MAIL, "jean.dupont.chu-exemple.fr", "mail-syntax", -1 },
	{ BAL_PER, COL_NOM, "Dupont", "nom-uppercase", -1 },
	{ BAL_PER, COL_NOM, "DUPONT-HÉLÈNe", "nom-uppercase", -1 },
	{ BAL_PER, COL_RPPS, "10001045368", "rpps-key", -1 },
	{ BAL_PER, COL_RPPS, "100 010 453 67", "rpps-format", -1 },
	{ BAL_PER, COL_RPPS, NULL, "rpps-or-adeli", -1 },
	{ BAL_PER, COL_ADELI, "012600632", "adeli-key", -1 },
	{ BAL_PER, COL_ADELI, "01260063A", "adeli-format", -1 },
	{ BAL_PER, COL_CP, "3400", "cp-format", -1 },
	{ BAL_PER, COL_CP, "31000", "cp-departement", COL_DEPARTEMENT },
	{ BAL_PER, COL_CP, "98000", "cp-unknown", -1 },
	{ BAL_PER, COL_VILLE, "Montpellier", "ville-uppercase", -1 },
	{ BAL_PER, COL_DEPARTEMENT, NULL, "required", -1 },
	{ BAL_PER, COL_DEPARTEMENT, "Atlantide", "departement-list", -1 },
	{ BAL_PER, COL_REGION, "Bretagne", "departement-region", -1 },
	{ BAL_PER, COL_REGION, "Septimanie", "region-list", -1 },
	{ BAL_PER, COL_TEL1, "04 67 33 00 00", "phone-format", -1 },
	{ BAL_PER, COL_TEL2, "+33467330000", "phone-format", -1 },
	{ BAL_PER, COL_PROFESSION, "Sorcier", "profession-list", -1 },
	{ BAL_PER, COL_PROFESSION, NULL, "required", -1 },
	{ BAL_PER, COL_SPECIALITE, "Magie (SM)", "specialite-list", -1 },
	{ BAL_PER, COL_DIPLOME, "DE", "not-concerned", -1 },
	{ BAL_PER, COL_LIBERAL, "Oui", "liberal-list", -1 },
	{ BAL_PER, COL_TYPE_BAL, "INT", "type-bal", -1 },
	{ BAL_PER, COL_TYPE_ID_STRUCT, "FINESS", "not-concerned", -1 },
	{ BAL_PER, COL_ADRESSE_RETOUR, "x@y.fr", "not-concerned", -1 },
	{ BAL_PER, COL_CIVILITE, "DR", "not-concerned", -1 },
	{ BAL_PER, COL_MSSANTE, "jean.dupont@mssante.fr", "mssante-local-part", -1 },
	{ BAL_PER, COL_APICRYPT, "jdupont.cle@medical34.apicrypt.org", "apicrypt-local-part", -1 },
	{ BAL_PER, COL_APICRYPT_SPECIALITE, NULL, "apicrypt-specialite-required", -1 },
	{ BAL_PER, COL_PEREMPTION, "2026-06-30", "date-format", -1 },
	{ BAL_PER, COL_PEREMPTION, "26-02-30", "date-format", -1 },
	{ BAL_PER, COL_ALIAS, "jd", "not-concerned", -1 },
	{ BAL_INT, COL_RPPS, "10001045367", "not-concerned", -1 },
	{ BAL_INT, COL_CIVILITE, NULL, "civilite-required", -1 },
	{ BAL_INT, COL_CIVILITE, "Chevalier", "civilite-list", -1 },
	{ BAL_INT, COL_PROFESSION, "Éducateur spécialisé", "diplome-required", COL_DIPLOME },
	{ BAL_INT, COL_TYPE_ID_STRUCT, NULL, "required", -1 },
	{ BAL_INT, COL_TYPE_ID_STRUCT, "NIR", "id-type-list", -1 },
	{ BAL_INT, COL_ID_STRUCT, "010780055", "finess-key", -1 },
	{ BAL_INT, COL_ID_STRUCT, "2A0000123", "finess-corsica", -1 },
	{ BAL_INT, COL_ID_STRUCT, NULL, "required", -1 },
	{ BAL_ORG, COL_TYPE_ID_STRUCT, "SIREN", "siren-key", COL_ID_STRUCT },
	{ BAL_ORG, COL_TYPE_ID_STRUCT, "FINESS", "finess-key", COL_ID_STRUCT },
	{ BAL_ORG, COL_ID_STRUCT, "73282932000075", "siret-key", -1 },
	{ BAL_ORG, COL_ID_RESP, "10001045368", "resp-rpps", -1 },
	{ BAL_ORG, COL_NOM_RESP, NULL, "required", -1 },
	{ BAL_ORG, COL_DESCRIPTION, NULL, "required", -1 },
	{ BAL_ORG, COL_CONNEXION, NULL, "required", -1 },
	{ BAL_ORG, COL_CONNEXION, " ; ", "connexion-mailbox", -1 },
	{ BAL_ORG, COL_CONNEXION, "jean.dupont@chu-exemple.fr;Paul", "connexion-mailbox", -1 },
	{ BAL_ORG, COL_CIVILITE, "DR", "not-concerned", -1 },
	{ BAL_MED, COL_MSSANTE, "agent.admin", "not-concerned", -1 },
	{ BAL_MED, COL_NOM_RESP, "MARTIN", "not-concerned", -1 },
	{ BAL_MED, COL_TYPE_ID_STRUCT, "SIRET", "not-concerned", -1 },
};

static void test_planted(void **state)
{
	struct checker *ck = new_checker(NULL);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(planted); i++) {
		const struct planted *p = &planted[i];
		struct findings f = { 0 };
		struct row r;
		size_t nerr;

		valid_row(&r, p->type);
		row_set(&r, p->col, p->value);
		nerr = check_row(ck, &r, p->type, "line 7", &f);
		if (f.n != 1 || strcmp(f.v[0].rule, p->rule) != 0)
			print_message("case %zu (%s): %zu findings, first %s\n", i, p->rule, f.n,
				      f.n ? f.v[0].rule : "-");
		assert_int_equal(f.n, 1);
		assert_string_equal(f.v[0].rule, p->rule);
		assert_int_equal(f.v[0].col, p->col_found >= 0 ? p->col_found : (int)p->col);
		assert_string_equal(f.v[0].where, "line 7");
		assert_non_null(f.v[0].message);
		assert_int_equal(nerr, f.v[0].sev == SEV_ERROR ? 1 : 0);
		findings_free(&f);
		row_free(&r);
	}
	check_free(ck);
}

static void test_cell_too_long(void **state)
{
	struct checker *ck = new_checker(NULL);
	struct findings f = { 0 };
	struct row r;
	char *big = xmalloc(32769);

	(void)state;
	memset(big, 'x', 32768);
	big[32768] = '\0';
	valid_row(&r, BAL_PER);
	row_take(&r, COL_ADRESSE2, big);
	assert_int_equal(check_row(ck, &r, BAL_PER, "dn", &f), 1);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "cell-too-long");
	assert_int_equal(f.v[0].col, COL_ADRESSE2);
	findings_free(&f);
	big[32767] = '\0';   /* exactly 32767: fits */
	assert_int_equal(check_row(ck, &r, BAL_PER, "dn", &f), 0);
	assert_int_equal(f.n, 0);
	check_free(ck);
	/* CSV output has no cell limit */
	{
		struct config c;

		memset(&c, 0, sizeof(c));
		c.output.format = OUT_CSV;
		ck = new_checker(&c);
		big[32767] = 'x';
		assert_int_equal(check_row(ck, &r, BAL_PER, "dn", &f), 0);
		check_free(ck);
	}
	row_free(&r);
}

/* The findings of one cell changed in a valid PER row: the rule ids, joined by spaces. */
static char *cell_rules(const struct checker *ck, enum col col, const char *v)
{
	struct findings f = { 0 };
	struct strbuf sb = { 0 };
	struct row r;

	valid_row(&r, BAL_PER);
	row_set(&r, col, v);
	check_row(ck, &r, BAL_PER, "dn", &f);
	sb_add(&sb, "");
	for (size_t i = 0; i < f.n; i++) {
		assert_int_equal(f.v[i].col, col);
		sb_addf(&sb, "%s%s", i ? " " : "", f.v[i].rule);
	}
	findings_free(&f);
	row_free(&r);
	return sb_steal(&sb);
}

#define assert_rules(ck, col, v, want) do { \
		char *got_ = cell_rules(ck, col, v); \
		assert_string_equal(got_, want); \
		free(got_); \
	} while (0)

/* Issue 17, defect 8: C0 and C1 controls, DEL, CR and LF are refused in every cell, whatever
 * the output format; TAB too (it is C0). */
static void test_control_characters(void **state)
{
	struct checker *ck = new_checker(NULL);
	static const char *const bad[] = {
		"A\x01" "B", "A\tB", "A\rB", "A\nB", "A\x1f", "A\x7f", "\xc2\x80" "A",
		"A\xc2\x9f", "\x1b[31m",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_rules(ck, COL_ADRESSE2, bad[i], "control-character");
		/* the column's own checks do not run on such a cell */
		assert_rules(ck, COL_NOM, bad[i], "control-character");
	}
	/* no-break space (U+00A0) and the first printable C1 neighbour are not controls */
	assert_rules(ck, COL_ADRESSE2, "1\xc2\xa0rue", "");
	assert_rules(ck, COL_ADRESSE2, "\xc2\xa1" "A", "");
	check_free(ck);
}

/* Issue 17, defect 7: with CSV output, a cell the formula guard would change is a row error;
 * XLSX cells are strings, which a spreadsheet never evaluates. */
static void test_csv_formula(void **state)
{
	struct config c;
	struct checker *ck;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.output.format = OUT_CSV;
	ck = new_checker(&c);
	assert_rules(ck, COL_ADRESSE2, "=1+1", "csv-formula");
	assert_rules(ck, COL_ADRESSE2, "+33", "csv-formula");
	assert_rules(ck, COL_ADRESSE2, "- bat. B", "csv-formula");
	assert_rules(ck, COL_ADRESSE2, "@SUM(A1)", "csv-formula");
	assert_rules(ck, COL_MAIL, "=cmd@chu-exemple.fr", "csv-formula");
	assert_rules(ck, COL_ADRESSE2, "bat. B - 2=3", "");
	check_free(ck);
	c.output.format = OUT_XLSX;
	ck = new_checker(&c);
	assert_rules(ck, COL_ADRESSE2, "=1+1", "");
	check_free(ck);
}

/* Issue 17, defect 4: with csv-encoding windows-1252, a character it lacks is a row error;
 * csv-transliterate makes the letters fit first (check_normalise), so that the state keeps
 * what the file holds. */
static void test_windows_1252(void **state)
{
	struct config c;
	struct checker *ck;
	struct findings f = { 0 };
	struct row r;
	char *t;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.output.format = OUT_CSV;
	c.output.csv_encoding = "windows-1252";
	ck = new_checker(&c);
	assert_rules(ck, COL_NOM, "\xc5\x81UKASZ", "windows-1252");               /* ŁUKASZ */
	assert_rules(ck, COL_PRENOM, "\xe5\xbc\xa0", "windows-1252");             /* 张 */
	assert_rules(ck, COL_NOM, "C\xc5\x92UR \xe2\x82\xac \xc3\x89", "");       /* Œ € É */
	check_free(ck);
	c.output.csv_transliterate = true;
	ck = new_checker(&c);
	valid_row(&r, BAL_PER);
	row_set(&r, COL_NOM, "\xc5\x81UKASZ-\xc8\x98TEF\xc4\x82NESCU");            /* ŁUKASZ-ȘTEFĂNESCU */
	row_set(&r, COL_PRENOM, "\xc5\x81ukasz \xe5\xbc\xa0");
	check_normalise(ck, &r, BAL_PER);
	assert_string_equal(row_get(&r, COL_NOM), "LUKASZ-STEFANESCU");
	assert_string_equal(row_get(&r, COL_PRENOM), "Lukasz \xe5\xbc\xa0");
	assert_int_equal(check_row(ck, &r, BAL_PER, "dn", &f), 1);                /* 张 stays */
	assert_string_equal(f.v[0].rule, "windows-1252");
	assert_int_equal(f.v[0].col, COL_PRENOM);
	findings_free(&f);
	row_free(&r);
	check_free(ck);
	t = check_transliterate("\xc3\xa9\xc5\x93\xe2\x80\x90\xc5\xbf");          /* é œ ‐ ſ */
	assert_string_equal(t, "\xc3\xa9\xc5\x93-s");
	free(t);
	/* UTF-8 output: everything goes */
	c.output.csv_encoding = "utf-8";
	ck = new_checker(&c);
	assert_rules(ck, COL_NOM, "\xc5\x81UKASZ", "");
	check_free(ck);
}

/* Issue 17, defect 14: a reader that kept only the start of a cell passes what it dropped,
 * and the length reported is the real one. */
static void test_cell_cut_length(void **state)
{
	struct checker *ck = new_checker(NULL);
	struct findings f = { 0 };
	size_t more[NCOLS] = { 0 };
	struct row r;
	char *kept = xmalloc(131073);

	(void)state;
	memset(kept, 'x', 131072);
	kept[131072] = '\0';
	valid_row(&r, BAL_PER);
	row_take(&r, COL_ADRESSE2, kept);
	more[COL_ADRESSE2] = 1000000 - 131072;
	assert_int_equal(check_row_cut(ck, &r, BAL_PER, "line 2", more, &f), 1);
	assert_string_equal(f.v[0].rule, "cell-too-long");
	assert_non_null(strstr(f.v[0].message, "1000000 characters"));
	findings_free(&f);
	row_free(&r);
	check_free(ck);
}

static void test_other_forms(void **state)
{
	struct checker *ck = new_checker(NULL);
	struct findings f = { 0 };
	struct row r;

	(void)state;
	valid_row(&r, BAL_PER);
	row_set(&r, COL_RPPS, NULL);
	row_set(&r, COL_ADELI, "012600631");
	row_set(&r, COL_CP, "01200");            /* shared CP: 01 and 74 both fine */
	row_set(&r, COL_DEPARTEMENT, "74 - Haute-Savoie");
	row_set(&r, COL_REGION, "84");
	row_set(&r, COL_VILLE, "ÉLOISE");
	row_set(&r, COL_PROFESSION, "sage femme");
	row_set(&r, COL_SPECIALITE, "SM18");
	row_set(&r, COL_STRUCTURE, "CHU d'Exemple");  /* the guide's NC, allowed */
	row_set(&r, COL_TEL2, "0692123456");
	assert_int_equal(check_row(ck, &r, BAL_PER, "dn", &f), 0);
	assert_int_equal(f.n, 0);
	row_set(&r, COL_CP, "20190");
	row_set(&r, COL_DEPARTEMENT, "Corse-du-Sud");
	row_set(&r, COL_REGION, "CORSE");
	assert_int_equal(check_row(ck, &r, BAL_PER, "dn", &f), 0);
	row_set(&r, COL_CP, "94390");            /* only 91 */
	row_set(&r, COL_DEPARTEMENT, "94");
	row_set(&r, COL_REGION, "11");
	assert_int_equal(check_row(ck, &r, BAL_PER, "dn", &f), 1);
	assert_string_equal(f.v[0].rule, "cp-departement");
	findings_free(&f);
	row_free(&r);
	check_free(ck);
}

static void test_normalise(void **state)
{
	struct checker *ck = new_checker(NULL);
	struct config c;
	struct row r;

	(void)state;
	valid_row(&r, BAL_INT);
	row_set(&r, COL_DEPARTEMENT, NULL);
	row_set(&r, COL_REGION, NULL);
	row_set(&r, COL_CP, "20200");
	row_set(&r, COL_CIVILITE, "dr");
	row_set(&r, COL_SPECIALITE, "sm18 - Gériatrie (SM)");
	row_set(&r, COL_PROFESSION, "MEDECIN");
	check_normalise(ck, &r, BAL_INT);
	assert_string_equal(row_get(&r, COL_DEPARTEMENT), "Haute-Corse");
	assert_string_equal(row_get(&r, COL_REGION), "Corse");
	assert_string_equal(row_get(&r, COL_CIVILITE), "Docteur");
	assert_string_equal(row_get(&r, COL_SPECIALITE), "Gériatrie (SM)");
	assert_string_equal(row_get(&r, COL_PROFESSION), "Médecin");
	/* directories drop the order's tag: it is matched without it */
	row_set(&r, COL_SPECIALITE, "Cardiologie et maladies Vasculaires");
	check_normalise(ck, &r, BAL_INT);
	assert_string_equal(row_get(&r, COL_SPECIALITE), "Cardiologie et Maladies vasculaires (SM)");
	row_set(&r, COL_SPECIALITE, "Gériatrie (SM)");
	check_free(ck);

	memset(&c, 0, sizeof(c));
	c.output.value_form = FORM_CODE_LABEL;
	ck = new_checker(&c);
	row_set(&r, COL_DEPARTEMENT, NULL);
	row_set(&r, COL_REGION, NULL);
	row_set(&r, COL_CP, "97133");
	row_set(&r, COL_PROFESSION, "Ostéopathe");   /* no code: label */
	check_normalise(ck, &r, BAL_INT);
	assert_string_equal(row_get(&r, COL_DEPARTEMENT), "971 - Guadeloupe");
	assert_string_equal(row_get(&r, COL_REGION), "01 - Guadeloupe");
	assert_string_equal(row_get(&r, COL_CIVILITE), "DR - Docteur");
	assert_string_equal(row_get(&r, COL_SPECIALITE), "SM18 - Gériatrie (SM)");
	assert_string_equal(row_get(&r, COL_PROFESSION), "Ostéopathe");
	check_free(ck);

	c.output.value_form = FORM_CODE;
	ck = new_checker(&c);
	row_set(&r, COL_CP, "98000");                /* no département: left empty */
	row_set(&r, COL_DEPARTEMENT, NULL);
	row_set(&r, COL_REGION, NULL);
	row_set(&r, COL_PROFESSION, "Sage-femme");
	check_normalise(ck, &r, BAL_INT);
	assert_string_equal(row_get(&r, COL_DEPARTEMENT), "");
	assert_string_equal(row_get(&r, COL_REGION), "");
	assert_string_equal(row_get(&r, COL_PROFESSION), "50");
	assert_string_equal(row_get(&r, COL_CIVILITE), "DR");
	row_free(&r);
	check_free(ck);
}

/* check_list_value: the national directory's codes and labels to the lists' written form */
static void test_list_value(void **state)
{
	static const struct {
		enum value_form form;
		const char *list, *in, *out;    /* out NULL: no such value */
	} cases[] = {
		{ FORM_LABEL, "profession", "10", "Médecin" },
		{ FORM_LABEL, "profession", "MÉDECIN", "Médecin" },
		{ FORM_LABEL, "specialite", "SM04", "Cardiologie et Maladies vasculaires (SM)" },
		{ FORM_LABEL, "specialite", "Cardiologie et maladies vasculaires",
		  "Cardiologie et Maladies vasculaires (SM)" },
		{ FORM_LABEL, "civilite-exercice", "DR", "Docteur" },
		{ FORM_CODE, "civilite-exercice", "Docteur", "DR" },
		{ FORM_CODE_LABEL, "profession", "Médecin", "10 - Médecin" },
		{ FORM_LABEL, "profession", "Herboriste", NULL },
		{ FORM_LABEL, "profession", "", NULL },
		{ FORM_LABEL, "no-such-list", "10", NULL },
	};
	struct config c;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct checker *ck;
		char *v;

		memset(&c, 0, sizeof(c));
		c.output.value_form = cases[i].form;
		ck = new_checker(&c);
		v = check_list_value(ck, cases[i].list, cases[i].in);
		if (cases[i].out)
			assert_string_equal(v, cases[i].out);
		else
			assert_null(v);
		free(v);
		check_free(ck);
	}
}

static void test_config(void **state)
{
	char *names[] = { "profession", "diplome", "profession" };
	char *values[] = { "Sophrologue", "DEES - Diplôme d'État d'éducateur spécialisé",
			   "Médecin" };
	char *repl[] = { "profession" };
	char *sev_rule[] = { "finess-key", "recommended" };
	enum severity sev_value[] = { SEV_WARNING, SEV_WARNING };
	struct findings f = { 0 };
	struct config c;
	struct checker *ck;
	struct row r;
	char *err = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.list_name = names;
	c.list_value = values;
	c.nlist = 3;
	c.sev_rule = sev_rule;
	c.sev_value = sev_value;
	c.nsev = 2;
	ck = new_checker(&c);
	assert_int_equal(check_severity(ck, "finess-key"), SEV_WARNING);
	assert_int_equal(check_severity(ck, "rpps-key"), SEV_ERROR);
	assert_int_equal(check_severity(ck, "recommended"), SEV_WARNING);
	valid_row(&r, BAL_INT);
	row_set(&r, COL_PROFESSION, "sophrologue");
	row_set(&r, COL_ID_STRUCT, "010780055");
	row_set(&r, COL_ADRESSE1, NULL);
	assert_int_equal(check_row(ck, &r, BAL_INT, "dn", &f), 0);   /* warnings only */
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].rule, "recommended");
	assert_string_equal(f.v[1].rule, "finess-key");
	assert_int_equal(f.v[1].sev, SEV_WARNING);
	findings_free(&f);
	/* Diplôme: now a list; its code or label are accepted */
	row_set(&r, COL_PROFESSION, "Éducateur spécialisé");
	row_set(&r, COL_ID_STRUCT, "010780054");
	row_set(&r, COL_ADRESSE1, "1 rue");
	row_set(&r, COL_DIPLOME, "dees");
	assert_int_equal(check_row(ck, &r, BAL_INT, "dn", &f), 0);
	row_set(&r, COL_DIPLOME, "CAP");
	assert_int_equal(check_row(ck, &r, BAL_INT, "dn", &f), 1);
	assert_string_equal(f.v[0].rule, "diplome-list");
	findings_free(&f);
	check_free(ck);

	/* replace: only the configured professions remain */
	c.list_replace = repl;
	c.nlist_replace = 1;
	ck = new_checker(&c);
	row_set(&r, COL_DIPLOME, NULL);
	row_set(&r, COL_PROFESSION, "Pharmacien");
	assert_int_equal(check_row(ck, &r, BAL_INT, "dn", &f), 1);
	assert_string_equal(f.v[0].rule, "profession-list");
	findings_free(&f);
	row_free(&r);
	check_free(ck);

	/* unknown names are errors */
	c.list_replace = NULL;
	c.nlist_replace = 0;
	sev_rule[1] = "no-such-rule";
	assert_null(check_new(&c, &err));
	assert_non_null(strstr(err, "no-such-rule"));
	free(err);
	c.nsev = 0;
	names[1] = "couleur";
	assert_null(check_new(&c, &err));
	assert_non_null(strstr(err, "couleur"));
	free(err);
}

static void test_unique(void **state)
{
	struct check_unique *u = check_unique_new(NULL);
	struct findings f = { 0 };

	(void)state;
	assert_true(check_unique_add(u, "a@x.fr", "line 2", &f));
	assert_true(check_unique_add(u, "b@x.fr", "line 3", &f));
	assert_true(check_unique_add(u, "", "line 4", &f));
	assert_true(check_unique_add(u, "", "line 5", &f));
	assert_int_equal(f.n, 0);
	assert_false(check_unique_add(u, "A@x.fr", "line 6", &f));
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "mail-duplicate");
	assert_string_equal(f.v[0].where, "line 6");
	assert_non_null(strstr(f.v[0].message, "line 2"));
	findings_free(&f);
	check_unique_free(u);
}

/* The one decision on duplicates: case-folded, the first holder returned, the severity
 * severity = gives mail-duplicate. */
static void test_unique_holders(void **state)
{
	const char *sev_rule[] = { "mail-duplicate" };
	enum severity sev_value[] = { SEV_WARNING };
	struct config c = { 0 };
	struct checker *ck;
	struct check_unique *u;
	struct findings f = { 0 };
	char *err = NULL;
	int a, b;

	(void)state;
	c.sev_rule = (char **)sev_rule;
	c.sev_value = sev_value;
	c.nsev = 1;
	ck = check_new(&c, &err);
	assert_non_null(ck);
	u = check_unique_new(ck);
	assert_null(check_unique_put(u, "Dr.Martin@x.fr", &a));
	assert_ptr_equal(check_unique_put(u, "dr.martin@X.FR", &b), &a);
	assert_ptr_equal(check_unique_put(u, "DR.MARTIN@x.fr", &b), &a);
	assert_null(check_unique_put(u, "", &b));
	assert_null(check_unique_where(u, "other@x.fr", "7"));
	assert_string_equal(check_unique_where(u, "Other@x.fr", "9"), "7");
	assert_false(check_unique_add(u, "OTHER@X.FR", "line 12", &f));
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	assert_non_null(strstr(f.v[0].message, "7"));
	findings_free(&f);
	check_unique_free(u);
	check_free(ck);
}

static void test_rules_table(void **state)
{
	(void)state;
	assert_true(check_nrules >= 40);
	for (size_t i = 0; i < check_nrules; i++) {
		assert_non_null(check_rules[i].id);
		assert_non_null(check_rules[i].description);
		for (size_t j = i + 1; j < check_nrules; j++)
			assert_string_not_equal(check_rules[i].id, check_rules[j].id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_luhn_ids),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_geography),
		cmocka_unit_test(test_valid_rows),
		cmocka_unit_test(test_planted),
		cmocka_unit_test(test_cell_too_long),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_csv_formula),
		cmocka_unit_test(test_windows_1252),
		cmocka_unit_test(test_cell_cut_length),
		cmocka_unit_test(test_other_forms),
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_list_value),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_unique_holders),
		cmocka_unit_test(test_rules_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
