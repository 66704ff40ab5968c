/* test_natcheck.c - cmocka unit tests for natcheck.c: names compared with the national
 * directory's, and the checks of PER, ORG and INT rows against records built by hand. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "natcheck.h"

static void test_nom(void **state)
{
	static const struct {
		const char *row, *rec;
		bool same;
	} cases[] = {
		{ "Martin", "MARTIN", true },
		{ "Guérin", "GUERIN", true },
		{ "De La Fontaine", "DE LA FONTAINE", true },
		{ "La Fontaine", "DE LA FONTAINE", true },       /* the particle aside */
		{ "Lafontaine", "DE LA FONTAINE", true },        /* blanks aside */
		{ "D'Arc", "ARC", true },
		{ "du Bellay", "DU BELLAY", true },
		{ "Saint-Exupéry", "SAINT EXUPERY", true },
		{ "Le Goff", "LEGOFF", true },
		{ "Dumas", "DUMAS-HÉBERT", true },               /* a compound name in part */
		{ "Hébert Dumas", "DUMAS-HÉBERT", true },
		{ "Dumas-Hébert", "DUMAS", true },
		{ "Martin", "MARTINEZ", false },                 /* words, not prefixes */
		{ "Durand", "MARTIN", false },
		{ "Dumas Martin", "DUMAS-HÉBERT", false },
		{ "De", "DE LA FONTAINE", false },               /* only a particle */
		{ "", "MARTIN", true },                          /* nothing to compare */
		{ "Martin", "", true },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (natcheck_nom(cases[i].row, cases[i].rec) != cases[i].same)
			fail_msg("NOM \"%s\" against %s: %s expected", cases[i].row, cases[i].rec,
				 cases[i].same ? "same" : "different");
}

static void test_prenom(void **state)
{
	static const struct {
		const char *row, *rec;
		bool same;
	} cases[] = {
		{ "Hélène", "HÉLÈNE", true },
		{ "Helene", "HÉLÈNE", true },
		{ "Marie Hélène", "MARIE-HÉLÈNE", true },
		{ "Marie-Hélène", "MARIE HELENE", true },
		{ "Jean", "JEAN-PIERRE", true },                 /* the first given name */
		{ "Jean-Pierre", "JEAN", true },
		{ "Jeanpierre", "JEAN-PIERRE", true },
		{ "Pierre", "JEAN-PIERRE", false },              /* the second one: no */
		{ "Jean-Paul", "JEAN-PIERRE", false },
		{ "Paul", "HÉLÈNE", false },
		{ "Anne Sophie", "ANNE-SOPHIE MARIE", true },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (natcheck_prenom(cases[i].row, cases[i].rec) != cases[i].same)
			fail_msg("Prénom \"%s\" against %s: %s expected", cases[i].row,
				 cases[i].rec, cases[i].same ? "same" : "different");
}

static const struct nat_profession medecin[] = { { { "10", "Médecin" }, { "C", "Civil" } } };
static const struct nat_profession two[] = {
	{ { "21", "Pharmacien" }, { "C", "Civil" } },
	{ { "", "Infirmier" }, { "C", "Civil" } },       /* no code: by label */
};
static const struct nat_profession odd[] = { { { "99", "Herboriste" }, { "C", "Civil" } } };
/* Records as nat_find() gives them: nom_fold and prenom_fold are utf8_fold()'s. */
static const struct nat_person people[] = {
	{ .type = NAT_RPPS, .id = "10003456018", .in_extract = true, .nom = "MARTIN",
	  .prenom = "HÉLÈNE", .nom_fold = "martin", .prenom_fold = "helene",
	  .professions = medecin, .nprofessions = 1 },
	{ .type = NAT_ADELI, .id = "349500124", .in_extract = true, .nom = "ROUX",
	  .prenom = "AMÉLIE", .nom_fold = "roux", .prenom_fold = "amelie",
	  .professions = two, .nprofessions = 2 },
	{ .type = NAT_RPPS, .id = "10003456026", .in_extract = false, .nom = "", .prenom = "",
	  .nom_fold = "", .prenom_fold = "" },
	{ .type = NAT_RPPS, .id = "10003456034", .in_extract = true, .nom = "DE LA FONTAINE",
	  .prenom = "JEAN-PIERRE", .nom_fold = "de la fontaine", .prenom_fold = "jean pierre",
	  .professions = odd, .nprofessions = 1 },
};

static const struct nat_person *find(void *arg, enum nat_id_type t, const char *id)
{
	(void)arg;
	for (size_t i = 0; i < ARRAY_SIZE(people); i++)
		if (people[i].type == t && strcmp(people[i].id, id) == 0)
			return &people[i];
	return NULL;
}

static struct checker *checker(const char *sev)
{
	struct config c;
	char *rule = sev ? xstrndup(sev, strcspn(sev, ":")) : NULL;
	enum severity v = sev && strstr(sev, ":warning") ? SEV_WARNING : SEV_OFF;
	struct checker *ck;
	char *err = NULL;

	memset(&c, 0, sizeof(c));
	if (sev) {
		c.sev_rule = &rule;
		c.sev_value = &v;
		c.nsev = 1;
	}
	ck = check_new(&c, &err);
	assert_non_null(ck);
	free(rule);
	return ck;
}

/* A PER row: NOM, Prénom, RPPS, ADELI, Profession. */
static void per_row(struct row *r, const char *nom, const char *prenom, const char *rpps,
		    const char *adeli, const char *prof)
{
	row_free(r);
	row_set(r, COL_NOM, nom);
	row_set(r, COL_PRENOM, prenom);
	row_set(r, COL_RPPS, rpps);
	row_set(r, COL_ADELI, adeli);
	row_set(r, COL_PROFESSION, prof);
}

static void test_per(void **state)
{
	struct checker *ck = checker(NULL);
	struct natcheck x = { ck, find, NULL };
	struct natcheck_result res;
	struct findings f = { 0 };
	struct row r = { 0 };

	(void)state;
	/* the holder: nothing to say */
	per_row(&r, "MARTIN", "Hélène", "10003456018", NULL, "Médecin");
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=hm", &f, &res);
	assert_int_equal(f.n, 0);
	assert_ptr_equal(res.rec, &people[0]);
	assert_true(res.looked_up);
	assert_false(res.absent || res.name || res.profession);

	/* someone else's RPPS: an error naming both */
	per_row(&r, "DURAND", "Paul", "10003456018", NULL, "Médecin");
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=pd", &f, &res);
	assert_int_equal(f.n, 1);
	assert_int_equal(res.errors, 1);
	assert_true(res.name);
	assert_string_equal(f.v[0].rule, "national-name");
	assert_int_equal(f.v[0].sev, SEV_ERROR);
	assert_int_equal(f.v[0].col, COL_RPPS);
	assert_string_equal(f.v[0].where, "uid=pd");
	assert_string_equal(f.v[0].value, "10003456018");
	assert_string_equal(f.v[0].message, "RPPS 10003456018 belongs to MARTIN HÉLÈNE in the "
			    "national directory, not DURAND Paul");
	findings_free(&f);

	/* the right NOM, another Prénom: still someone else */
	per_row(&r, "Martin", "Paul", "10003456018", NULL, NULL);
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=pm", &f, &res);
	assert_int_equal(res.errors, 1);
	findings_free(&f);

	/* absent: a warning; only in the MSSanté extract: the same rule */
	per_row(&r, "DURAND", "Paul", "10000000009", NULL, "Médecin");
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=pd", &f, &res);
	assert_int_equal(f.n, 1);
	assert_int_equal(res.errors, 0);
	assert_true(res.absent);
	assert_null(res.rec);
	assert_string_equal(f.v[0].rule, "national-rpps-absent");
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	assert_string_equal(f.v[0].message, "RPPS 10000000009 is not in the national directory: "
			    "registered in the last few days (the extract lags behind the "
			    "register), or a wrong number");
	findings_free(&f);
	per_row(&r, "DURAND", "Paul", "10003456026", NULL, NULL);
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=pd", &f, &res);
	assert_int_equal(f.n, 1);
	assert_ptr_equal(res.rec, &people[2]);       /* its MSSanté addresses count */
	assert_string_equal(f.v[0].message, "RPPS 10003456026 is in the MSSanté extract only, not "
			    "in the activity extract of the national directory");
	findings_free(&f);

	/* ADELI: the same checks; the profession by label when the record has no code */
	per_row(&r, "ROUX", "Amélie", NULL, "349500124", "Infirmier");
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=ar", &f, &res);
	assert_int_equal(f.n, 0);
	assert_ptr_equal(res.rec, &people[1]);
	per_row(&r, "ROUX", "Amélie", NULL, "349500124", "Sage-femme");
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=ar", &f, &res);
	assert_int_equal(f.n, 1);
	assert_true(res.profession);
	assert_string_equal(f.v[0].rule, "national-profession");
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	assert_int_equal(f.v[0].col, COL_PROFESSION);
	assert_string_equal(f.v[0].message, "Profession \"Sage-femme\" is not the profession of "
			    "ADELI 349500124 in the national directory (Pharmacien, Infirmier)");
	findings_free(&f);
	per_row(&r, "ROUX", "Amélie", NULL, "349500127", NULL);
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=ar", &f, &res);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "national-adeli-absent");
	findings_free(&f);

	/* both numbers: each is checked; the record shown is the RPPS's */
	per_row(&r, "MARTIN", "Hélène", "10003456018", "349500124", "Médecin");
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=hm", &f, &res);
	assert_ptr_equal(res.rec, &people[0]);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].rule, "national-name");
	assert_int_equal(f.v[0].col, COL_ADELI);
	assert_string_equal(f.v[1].rule, "national-profession");
	findings_free(&f);

	/* a profession of the record in no list: not compared; no number: nothing */
	per_row(&r, "La Fontaine", "Jean", "10003456034", NULL, "Médecin");
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=jl", &f, &res);
	assert_int_equal(f.n, 0);
	per_row(&r, "X", "Y", NULL, NULL, "Médecin");
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=xy", &f, &res);
	assert_false(res.looked_up);
	assert_null(res.rec);
	/* MED rows are not checked */
	per_row(&r, "DURAND", "Paul", "10003456018", NULL, NULL);
	natcheck_row(&x, &r, BAL_MED, NULL, "uid=pd", &f, &res);
	assert_int_equal(f.n, 0);
	row_free(&r);
	check_free(ck);
}

static void test_org_int(void **state)
{
	struct checker *ck = checker(NULL);
	struct natcheck x = { ck, find, NULL };
	struct natcheck_result res;
	struct findings f = { 0 };
	struct row r = { 0 };

	(void)state;
	/* ORG: the responsible's cells */
	row_set(&r, COL_NOM, "SECRÉTARIAT");
	row_set(&r, COL_NOM_RESP, "DURAND");
	row_set(&r, COL_PRENOM_RESP, "Paul");
	row_set(&r, COL_ID_RESP, "10003456018");
	row_set(&r, COL_PROFESSION_RESP, "Pharmacien");
	natcheck_row(&x, &r, BAL_ORG, NULL, "cn=sec", &f, &res);
	assert_ptr_equal(res.rec, &people[0]);
	assert_int_equal(res.errors, 1);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].rule, "national-name");
	assert_int_equal(f.v[0].col, COL_ID_RESP);
	assert_string_equal(f.v[1].rule, "national-profession");
	assert_int_equal(f.v[1].col, COL_PROFESSION_RESP);
	assert_string_equal(f.v[1].message, "Profession resp \"Pharmacien\" is not the profession "
			    "of RPPS 10003456018 in the national directory (Médecin)");
	findings_free(&f);
	row_free(&r);

	/* INT: the record the mapping read, against NOM and Prénom (the row has no number) */
	row_set(&r, COL_NOM, "DURAND");
	row_set(&r, COL_PRENOM, "Paul");
	natcheck_row(&x, &r, BAL_INT, &people[0], "uid=int", &f, &res);
	assert_int_equal(res.errors, 1);
	assert_int_equal(f.v[0].col, COL_NOM);
	assert_string_equal(f.v[0].message, "RPPS 10003456018 belongs to MARTIN HÉLÈNE in the "
			    "national directory, not DURAND Paul");
	findings_free(&f);
	natcheck_row(&x, &r, BAL_INT, NULL, "uid=int", &f, &res);
	assert_int_equal(f.n, 0);
	assert_false(res.looked_up);
	row_free(&r);
	check_free(ck);
}

/* severity = { ... } changes the rules; an off rule still tells the result */
static void test_severities(void **state)
{
	struct checker *ck = checker("national-name:warning");
	struct natcheck x = { ck, find, NULL };
	struct natcheck_result res;
	struct findings f = { 0 };
	struct row r = { 0 };

	(void)state;
	per_row(&r, "DURAND", "Paul", "10003456018", NULL, NULL);
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=pd", &f, &res);
	assert_int_equal(res.errors, 0);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	findings_free(&f);
	check_free(ck);
	ck = checker("national-rpps-absent:off");
	x.ck = ck;
	per_row(&r, "DURAND", "Paul", "10000000009", NULL, NULL);
	natcheck_row(&x, &r, BAL_PER, NULL, "uid=pd", &f, &res);
	assert_int_equal(f.n, 0);
	assert_true(res.absent);
	row_free(&r);
	check_free(ck);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nom),
		cmocka_unit_test(test_prenom),
		cmocka_unit_test(test_per),
		cmocka_unit_test(test_org_int),
		cmocka_unit_test(test_severities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
