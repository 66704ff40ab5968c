/* test_map.c - cmocka unit tests for map.c: transforms, templates, BAL rules, NC clearing. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "map.h"

/* Expand text against e and st; returns the result (caller frees), asserting it compiles. */
static char *expand(const char *text, const struct entry *e, const struct conf_structure *st,
		    struct findings *f)
{
	char *err = NULL;
	struct map_template *t = map_compile(text, &err);
	char *r;

	if (!t)
		fail_msg("%s: %s", text, err);
	r = map_expand(t, e, st, f, "uid=x", 0);
	map_template_free(t);
	return r;
}

static void check_expand(const char *text, const struct entry *e,
			 const struct conf_structure *st, const char *want)
{
	struct findings f = { 0 };
	char *r = expand(text, e, st, &f);

	assert_string_equal(r, want);
	free(r);
	findings_free(&f);
}

static void add(struct entry *e, const char *name, const char *val)
{
	entry_add_value(e, name, val, strlen(val));
}

static void test_case(void **state)
{
	struct entry e = { 0 };

	(void)state;
	add(&e, "givenName", "Hélène");
	add(&e, "sn", "élodie");
	add(&e, "cn", "  Jean   Pierre  ");
	check_expand("{givenName|upper}", &e, NULL, "HÉLÈNE");
	check_expand("{sn|upper}", &e, NULL, "ÉLODIE");
	check_expand("{givenName|lower}", &e, NULL, "hélène");
	check_expand("[{cn|trim}]", &e, NULL, "[Jean   Pierre]");
	check_expand("{cn|first}", &e, NULL, "Jean");
	entry_free(&e);
}

static void test_phone(void **state)
{
	static const struct {
		const char *in, *out;
		bool ok;
	} cases[] = {
		{ "+33 4 67 33 00 00",   "0467330000", true },
		{ "04.67.33.00.00",      "0467330000", true },
		{ "04-67-33-00-00",      "0467330000", true },
		{ "+33 (0)4 67 33 00 00", "0467330000", true },
		{ "0033467330000",       "0467330000", true },
		{ "+262 262 12 34 56",   "0262123456", true },
		{ "+590 690 12 34 56",   "0690123456", true },
		{ "+596 696 12 34 56",   "0696123456", true },
		{ "+508 41 23 45",       "0508412345", true },
		{ "+262 590 12 34 56",   "+262590123456", false },   /* not a Réunion prefix */
		{ "+41 22 123 45 67",    "+41221234567", false },
		{ "04 67 33 00",         "04673300", false },
		{ "garbage",             "garbage", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = !cases[i].ok;
		char *r = map_phone(cases[i].in, &ok);

		assert_string_equal(r, cases[i].out);
		assert_int_equal(ok, cases[i].ok);
		free(r);
	}
}

static void test_phone_finding(void **state)
{
	struct entry e = { 0 };
	struct findings f = { 0 };
	char *r;

	(void)state;
	add(&e, "telephoneNumber", "12 34");
	r = expand("{telephoneNumber|phone}", &e, NULL, &f);
	assert_string_equal(r, "1234");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "phone-format");
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	free(r);
	findings_free(&f);
	entry_free(&e);
}

static void test_date(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "20270131000000Z",     "27-01-31" },
		{ "20270131000000.0Z",   "27-01-31" },
		{ "20270131013000+0200", "27-01-30" },  /* 23:30 UTC the day before */
		{ "134458272000000000",  "27-01-31" },  /* AD ticks: (1801353600 + 11644473600) e7 */
		{ "134458271990000000",  "27-01-30" },  /* one second earlier */
		{ "2027-01-31",          "27-01-31" },
		{ "31/01/2027",          "27-01-31" },
		{ "20000229000000Z",     "00-02-29" },
	};
	static const char *const null_cases[] = {
		"0", "9223372036854775807", "garbage", "2027-02-30", "31/13/2027", "20270231000000Z",
		"2026-02-29",
	};
	long long t = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = map_date(cases[i].in);

		assert_non_null(r);
		assert_string_equal(r, cases[i].out);
		free(r);
	}
	for (size_t i = 0; i < sizeof(null_cases) / sizeof(null_cases[0]); i++)
		assert_null(map_date(null_cases[i]));
	assert_true(map_date_epoch("20270131000000Z", &t));
	assert_int_equal(t, 1801353600LL);
	assert_true(map_date_epoch("134458272000000000", &t));
	assert_int_equal(t, 1801353600LL);
	assert_false(map_date_epoch("0", &t));
}

static void test_date_transform(void **state)
{
	struct entry e = { 0 };
	struct findings f = { 0 };
	char *r;

	(void)state;
	add(&e, "accountExpires", "9223372036854775807");
	add(&e, "bad", "soon");
	r = expand("[{accountExpires|date}]", &e, NULL, &f);
	assert_string_equal(r, "[]");
	assert_int_equal(f.n, 0);
	free(r);
	r = expand("{bad|date}", &e, NULL, &f);
	assert_string_equal(r, "soon");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "date-format");
	free(r);
	findings_free(&f);
	entry_free(&e);
}

static void test_strip_substr_digits(void **state)
{
	struct entry e = { 0 };

	(void)state;
	add(&e, "rpps", "810001045367");
	add(&e, "rpps11", "10001045367");
	add(&e, "adeli", "012600631");
	add(&e, "city", "Hélène-sur-Mer");
	add(&e, "cp", "F-34 000");
	check_expand("{rpps|strip:8}", &e, NULL, "10001045367");
	check_expand("{rpps|strip:8:12}", &e, NULL, "10001045367");
	check_expand("{rpps11|strip:8:12}", &e, NULL, "10001045367");
	check_expand("{rpps11|strip:1:12}", &e, NULL, "10001045367");
	check_expand("{adeli|strip:0:10}", &e, NULL, "012600631");
	check_expand("{city|substr:0:6}", &e, NULL, "Hélène");
	check_expand("{city|substr:7}", &e, NULL, "sur-Mer");
	check_expand("{city|substr:3:2}", &e, NULL, "èn");
	check_expand("[{city|substr:40}]", &e, NULL, "[]");
	check_expand("{cp|digits}", &e, NULL, "34000");
	entry_free(&e);
}

static void test_template(void **state)
{
	struct conf_structure st = { 0 };
	struct entry e = { 0 };

	(void)state;
	st.cp = "34000";
	st.ville = "Montpellier";
	st.raison_sociale = "CHU";
	add(&e, "l", "Sète");
	add(&e, "mail", " Jean.Dupont@CHU.example ");
	add(&e, "multi", "one");
	add(&e, "multi", "two");
	check_expand("{postalCode/$cp|digits}", &e, &st, "34000");
	check_expand("{l/$ville|upper}", &e, &st, "SÈTE");
	check_expand("{nope/$ville|upper}", &e, &st, "MONTPELLIER");
	check_expand("{mail|trim|lower}", &e, &st, "jean.dupont@chu.example");
	check_expand("{multi}", &e, &st, "one");
	check_expand("{{literal}} {$raison-sociale} - {$region|default:Occitanie}", &e, &st,
		     "{literal} CHU - Occitanie");
	check_expand("{nope|default:NON}", &e, NULL, "NON");
	check_expand("OUI", &e, NULL, "OUI");
	check_expand("[{nope}{$cp}]", &e, NULL, "[]");
	entry_free(&e);
}

static void test_compile_errors(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
		{ "{mail|uper}",      "position 7: unknown transform 'uper'" },
		{ "abc{mail",         "position 4: '{' is not closed" },
		{ "ab}c",             "position 3: unbalanced '}' (write }} for a brace)" },
		{ "{$nope}",          "position 2: unknown structure key '$nope'" },
		{ "{}",               "position 2: bad attribute name ''" },
		{ "{mail|substr:x}",  "position 7: bad argument for 'substr' "
				      "(substr:START or substr:START:LEN)" },
		{ "{mail|strip}",     "position 7: transform 'strip' needs an argument (strip:...)" },
		{ "{mail|upper:1}",   "position 7: transform 'upper' takes no argument" },
		{ "{a{b}",            "position 1: '{' is not closed" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = NULL;
		struct map_template *t = map_compile(cases[i].text, &err);

		assert_null(t);
		assert_non_null(err);
		assert_string_equal(err, cases[i].err);
		free(err);
	}
}

static void test_invalid_utf8(void **state)
{
	struct entry e = { 0 };
	struct findings f = { 0 };
	char *r;

	(void)state;
	entry_add_value(&e, "sn", "Ren\xe9", 4);   /* Latin-1, not UTF-8 */
	add(&e, "cn", "René");
	r = expand("{sn/cn|upper}", &e, NULL, &f);
	assert_string_equal(r, "RENÉ");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "invalid-utf8");
	assert_int_equal(f.v[0].sev, SEV_ERROR);
	assert_string_equal(f.v[0].value, "Ren\\xe9");
	assert_non_null(strstr(f.v[0].message, "sn"));
	free(r);
	findings_free(&f);
	entry_free(&e);
}

/* A config for map_new built by hand (no conf.c in this test). */
static void base_config(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->map[COL_MAIL] = "{mail|lower}";
	c->map[COL_NOM] = "{sn|upper}";
	c->map[COL_RPPS] = "{rpps|strip:8:12}";
	c->map[COL_ADELI] = "{adeli}";
	c->map[COL_CP] = "{$cp}";
	c->map[COL_TYPE_ID_STRUCT] = "{$id-type}";
	c->map[COL_ID_STRUCT] = "{$id}";
	c->map[COL_DIPLOME] = "{diplome}";
	c->map[COL_CIVILITE] = "{civ}";
	c->map[COL_TEL1] = "{tel|phone}";
	c->map[COL_MSSANTE] = "{mss}";
}

static bool member_cb(const char *person, const char *group, void *arg)
{
	(void)arg;
	return strcmp(person, "uid=ann,ou=people,dc=x") == 0 &&
	       strcmp(group, "cn=internes,dc=x") == 0;
}

static void test_rules(void **state)
{
	struct conf_bal_rule rules[] = {
		{ .name = "per", .type = BAL_PER, .if_column = "rpps" },
		{ .name = "int-attr", .type = BAL_INT, .if_attribute = "employeeType",
		  .if_value = "Interne" },
		{ .name = "int-group", .type = BAL_INT, .if_member_of = "cn=internes,dc=x" },
		{ .name = "med-ou", .type = BAL_MED,
		  .if_dn_suffix = "OU=Medecins, DC=x" },
	};
	struct conf_structure st = { .cp = "34000", .id_type = "FINESS", .id = "340780477" };
	struct conf_directory d = { .st = &st };
	struct config c;
	struct mapper *m;
	struct findings f = { 0 };
	struct entry e = { 0 };
	struct row row = { 0 };
	char *err = NULL;
	const char *const *attrs;

	(void)state;
	base_config(&c);
	c.rules = rules;
	c.nrules = 4;
	m = map_new(&c, &err);
	assert_non_null(m);
	attrs = map_people_attrs(m);
	/* template attributes first, in column order, then the rule attributes */
	assert_string_equal(attrs[0], "mail");
	assert_string_equal(attrs[1], "sn");
	assert_string_equal(attrs[2], "rpps");
	assert_string_equal(attrs[7], "mss");
	assert_string_equal(attrs[8], "employeeType");
	assert_null(attrs[9]);

	/* PER: RPPS kept, structure id columns cleared (NC for PER), diplome NC */
	e.dn = xstrdup("uid=bob,ou=people,dc=x");
	add(&e, "mail", "Bob@X.fr");
	add(&e, "sn", "Martin");
	add(&e, "rpps", "810001045367");
	add(&e, "diplome", "DES");
	add(&e, "employeeType", "interne");
	assert_int_equal(map_person(m, &e, &d, member_cb, NULL, &row, &f), BAL_PER);
	assert_string_equal(row_get(&row, COL_TYPE_BAL), "PER");
	assert_string_equal(row_get(&row, COL_RPPS), "10001045367");
	assert_string_equal(row_get(&row, COL_MAIL), "bob@x.fr");
	assert_string_equal(row_get(&row, COL_CP), "34000");
	assert_string_equal(row_get(&row, COL_TYPE_ID_STRUCT), "");
	assert_string_equal(row_get(&row, COL_ID_STRUCT), "");
	assert_string_equal(row_get(&row, COL_DIPLOME), "");
	assert_int_equal(f.n, 0);
	row_free(&row);
	entry_free(&e);

	/* INT by attribute value (case-insensitive): RPPS and ADELI cleared, ids kept */
	e.dn = xstrdup("uid=eve,ou=people,dc=x");
	add(&e, "adeli", "012600631");
	add(&e, "employeeType", "INTERNE");
	add(&e, "diplome", "DES");
	assert_int_equal(map_person(m, &e, &d, member_cb, NULL, &row, &f), BAL_INT);
	assert_string_equal(row_get(&row, COL_ADELI), "");
	assert_string_equal(row_get(&row, COL_ID_STRUCT), "340780477");
	assert_string_equal(row_get(&row, COL_TYPE_ID_STRUCT), "FINESS");
	assert_string_equal(row_get(&row, COL_DIPLOME), "DES");
	row_free(&row);
	entry_free(&e);

	/* INT by group membership */
	e.dn = xstrdup("uid=ann,ou=people,dc=x");
	assert_int_equal(map_person(m, &e, &d, member_cb, NULL, &row, &f), BAL_INT);
	row_free(&row);
	entry_free(&e);

	/* MED by DN suffix; MSSanté and the telephone finding of an NC column: the tel is F
	 * for MED so its finding stays, the mss cell is NC and cleared */
	e.dn = xstrdup("uid=zoe, ou=medecins,dc=X");
	add(&e, "mss", "zoe@mssante.fr");
	add(&e, "tel", "12");
	assert_int_equal(map_person(m, &e, &d, member_cb, NULL, &row, &f), BAL_MED);
	assert_string_equal(row_get(&row, COL_MSSANTE), "");
	assert_string_equal(row_get(&row, COL_TYPE_BAL), "MED");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "phone-format");
	row_free(&row);
	entry_free(&e);
	findings_free(&f);

	/* a suffix that is not at an RDN boundary does not match; no rule => BAL_NONE */
	e.dn = xstrdup("uid=al,ou=xmedecins,dc=x");
	assert_int_equal(map_person(m, &e, &d, NULL, NULL, &row, &f), BAL_NONE);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "no-bal-rule");
	assert_string_equal(row_get(&row, COL_TYPE_BAL), "");
	row_free(&row);
	entry_free(&e);
	findings_free(&f);
	map_free(m);
}

static void test_rule_order(void **state)
{
	struct conf_bal_rule rules[] = {
		{ .name = "med-first", .type = BAL_MED },
		{ .name = "per", .type = BAL_PER, .if_column = "rpps" },
	};
	struct config c;
	struct mapper *m;
	struct findings f = { 0 };
	struct entry e = { 0 };
	struct row row = { 0 };
	char *err = NULL;

	(void)state;
	base_config(&c);
	c.rules = rules;
	c.nrules = 2;
	m = map_new(&c, &err);
	assert_non_null(m);
	e.dn = xstrdup("uid=bob,dc=x");
	add(&e, "rpps", "10001045367");
	/* the first rule wins even though the second would match: RPPS is NC for MED */
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f), BAL_MED);
	assert_string_equal(row_get(&row, COL_RPPS), "");
	row_free(&row);
	entry_free(&e);
	map_free(m);
}

static void test_map_new_errors(void **state)
{
	struct config c;
	char *err = NULL;

	(void)state;
	base_config(&c);
	c.map[COL_NOM] = "{sn|uper}";
	c.org.description = "{description";
	assert_null(map_new(&c, &err));
	assert_string_equal(err, "map.nom: position 5: unknown transform 'uper'\n"
			    "org.description: position 1: '{' is not closed");
	free(err);
}

static void test_org_templates(void **state)
{
	struct config c;
	struct mapper *m;
	char *err = NULL;
	const char *const *g;

	(void)state;
	base_config(&c);
	c.org.mail = "{mail|lower}";
	c.org.description = "{medimailDescription/description/cn}";
	c.org.responsible_rpps = "{rpps|strip:8:12}";
	m = map_new(&c, &err);
	assert_non_null(m);
	assert_non_null(map_org_template(m, MAP_ORG_MAIL));
	assert_null(map_org_template(m, MAP_ORG_NOM));
	assert_non_null(map_column(m, COL_NOM));
	assert_null(map_column(m, COL_SERVICE));
	g = map_group_attrs(m);
	assert_string_equal(g[0], "mail");
	assert_string_equal(g[1], "medimailDescription");
	assert_string_equal(g[2], "description");
	assert_string_equal(g[3], "cn");
	assert_null(g[4]);
	map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case),
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_phone_finding),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_date_transform),
		cmocka_unit_test(test_strip_substr_digits),
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_rule_order),
		cmocka_unit_test(test_map_new_errors),
		cmocka_unit_test(test_org_templates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
