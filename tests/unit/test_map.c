/* test_map.c - cmocka unit tests for map.c: transforms, templates, BAL rules, NC clearing. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "check.h"
#include "map.h"
#include "map_int.h"

/* Expand text against e and st; returns the result (caller frees), asserting it compiles. */
static char *expand(const char *text, const struct entry *e, const struct conf_structure *st,
		    struct findings *f)
{
	char *err = NULL;
	struct map_template *t = map_compile(text, &err);
	char *r;

	if (!t)
		fail_msg("%s: %s", text, err);
	r = map_expand(t, e, st, f, "uid=x", 0, NULL);
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
	/* Medimail refuses such a number: an error, as check_row says (one default) */
	assert_int_equal(f.v[0].sev, SEV_ERROR);
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
		char *r;

		assert_int_equal(map_date_read(cases[i].in, DATE_FORM_AUTO, &t), DATE_OK);
		r = map_date_text(t);
		assert_string_equal(r, cases[i].out);
		free(r);
	}
	for (size_t i = 0; i < sizeof(null_cases) / sizeof(null_cases[0]); i++)
		assert_int_not_equal(map_date_read(null_cases[i], DATE_FORM_AUTO, &t), DATE_OK);
	assert_int_equal(map_date_read("20270131000000Z", DATE_FORM_AUTO, &t), DATE_OK);
	assert_int_equal(t, 1801353600LL);
	assert_int_equal(map_date_read("134458272000000000", DATE_FORM_AUTO, &t), DATE_OK);
	assert_int_equal(t, 1801353600LL);
	assert_int_equal(map_date_read("0", DATE_FORM_AUTO, &t), DATE_NEVER);
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

/* A value over 4096 bytes: dropped with an error, as an invalid one; a regular expression or
 * a table is never run on one (glibc's matching time grows with the square of the length). */
static void test_value_too_long(void **state)
{
	struct entry e = { 0 };
	struct findings f = { 0 };
	char big[4098], *r;

	(void)state;
	memset(big, 'a', sizeof(big));
	big[4096] = '\0';
	add(&e, "ok", big);                     /* 4096 bytes: read */
	big[4096] = 'a';
	big[4097] = '\0';
	add(&e, "sn", big);                     /* 4097 bytes: dropped */
	add(&e, "cn", "René");
	r = expand("{sn/cn|upper}", &e, NULL, &f);
	assert_string_equal(r, "RENÉ");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "value-too-long");
	assert_int_equal(f.v[0].sev, SEV_ERROR);
	assert_string_equal(f.v[0].value, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...");
	assert_string_equal(f.v[0].message, "attribute sn has a value of 4097 bytes, longer than "
			    "the 4096 a template reads; value dropped");
	free(r);
	findings_free(&f);
	r = expand("{ok|match:/(a+)$/}", &e, NULL, &f);
	assert_string_equal(r, big + 1);        /* 4096 bytes: the expression runs */
	assert_int_equal(f.n, 0);
	free(r);
	/* a transform that makes the value longer: the expression after it is not run */
	r = expand("{ok|replace:/a/bb/g|match:/b$/}", &e, NULL, &f);
	assert_string_equal(r, "");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "value-too-long");
	assert_string_equal(f.v[0].value, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb...");
	assert_string_equal(f.v[0].message, "a value of 8192 bytes is longer than the 4096 that "
			    "match:/b$/ reads; value dropped");
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
	assert_int_equal(map_person(m, &e, &d, member_cb, NULL, &row, &f, NULL), BAL_PER);
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
	assert_int_equal(map_person(m, &e, &d, member_cb, NULL, &row, &f, NULL), BAL_INT);
	assert_string_equal(row_get(&row, COL_ADELI), "");
	assert_string_equal(row_get(&row, COL_ID_STRUCT), "340780477");
	assert_string_equal(row_get(&row, COL_TYPE_ID_STRUCT), "FINESS");
	assert_string_equal(row_get(&row, COL_DIPLOME), "DES");
	row_free(&row);
	entry_free(&e);

	/* INT by group membership */
	e.dn = xstrdup("uid=ann,ou=people,dc=x");
	assert_int_equal(map_person(m, &e, &d, member_cb, NULL, &row, &f, NULL), BAL_INT);
	row_free(&row);
	entry_free(&e);

	/* MED by DN suffix; MSSanté and the telephone finding of an NC column: the tel is F
	 * for MED so its finding stays, the mss cell is NC and cleared */
	e.dn = xstrdup("uid=zoe, ou=medecins,dc=X");
	add(&e, "mss", "zoe@mssante.fr");
	add(&e, "tel", "12");
	assert_int_equal(map_person(m, &e, &d, member_cb, NULL, &row, &f, NULL), BAL_MED);
	assert_string_equal(row_get(&row, COL_MSSANTE), "");
	assert_string_equal(row_get(&row, COL_TYPE_BAL), "MED");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "phone-format");
	row_free(&row);
	entry_free(&e);
	findings_free(&f);

	/* a suffix that is not at an RDN boundary does not match; no rule => BAL_NONE */
	e.dn = xstrdup("uid=al,ou=xmedecins,dc=x");
	assert_int_equal(map_person(m, &e, &d, NULL, NULL, &row, &f, NULL), BAL_NONE);
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
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, NULL), BAL_MED);
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

/* Expand text, expecting want and n findings (the first with rule, when n > 0). */
static void check_xf(const char *text, const struct entry *e, const char *want, size_t n,
		     const char *rule)
{
	struct findings f = { 0 };
	char *r = expand(text, e, NULL, &f);

	if (strcmp(r, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", text, r, want);
	if (f.n != n)
		fail_msg("%s: %zu findings, want %zu", text, f.n, n);
	if (n > 0)
		assert_string_equal(f.v[0].rule, rule);
	free(r);
	findings_free(&f);
}

/* map_compile must fail with exactly this error. */
static void check_compile_error(const char *text, const char *want)
{
	char *err = NULL;
	struct map_template *t = map_compile(text, &err);

	if (t)
		fail_msg("%s: compiled, should not have", text);
	if (!err || strcmp(err, want) != 0)
		fail_msg("%s: error \"%s\", want \"%s\"", text, err ? err : "(none)", want);
	free(err);
}

/* Expressions of real configurations stay well under the bound. */
static void check_xf_ok_regexes(void)
{
	static const char *const ok[] = {
		"{a|match:/^[0-9]{9}$/}", "{a|match:/^8[0-9]{11}$/}", "{a|match:/^(Dr|Pr)\\.? /i}",
		"{a|replace:/^([^,]+), (.+)$/\\2 \\1/}", "{a|match:/([a-z]+[-.])+[a-z]+/}",
		"{a|match:/[[:alpha:]]{2,40}/}", "{a|match:/^(0[1-9]|[1-8][0-9]|9[0-5]|2[AB])[0-9]{3}$/}",
		/* what the screening must read as glibc does */
		"{a|match:/^(|Dr\\.? )([[:upper:]][[:lower:]]+)$/}", "{a|match:/\\<Dr\\>/}",
		"{a|match:/[]a-z]+x{2,}y{,3}z{,}/}", "{a|match:/[^]-]*[[.-.]]?[[=e=]]+/}",
		"{a|match:/(a|b)*c)+/}", "{a|match:/(x?)?(y{0,1}){1}/}", "{a|match:/\\{\\*\\+/}",
		"{a|match:/\\w+@(\\w+\\.)+fr$/}", "{a|match:/éè+à{2}/}",
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		char *err = NULL;
		struct map_template *t = map_compile(ok[i], &err);

		if (!t)
			fail_msg("%s: %s", ok[i], err ? err : "refused");
		map_template_free(t);
	}
}

static void test_match(void **state)
{
	struct entry e = { 0 };

	(void)state;
	add(&e, "employeeNumber", "810001045367");
	add(&e, "employeeID", "012600631");
	add(&e, "mail", "Jean.Dupont@chu.example");
	add(&e, "title", "Interne en Pharmacie");
	add(&e, "odd", "a|b}c:d/e{f");
	add(&e, "path", "ou=a/b");
	/* group 1 when there is a group */
	check_xf("{employeeNumber|match:/^8([0-9]{11})$/}", &e, "10001045367", 0, NULL);
	/* the whole match without a group */
	check_xf("{employeeID|match:/^[0-9]{9}$/}", &e, "012600631", 0, NULL);
	check_xf("{mail|match:/^([^@]+)@/}", &e, "Jean.Dupont", 0, NULL);
	check_xf("{mail|match:/[a-z]+$/}", &e, "example", 0, NULL);
	/* no match: empty, no finding; then default */
	check_xf("[{employeeID|match:/^8([0-9]{11})$/}]", &e, "[]", 0, NULL);
	check_xf("{employeeID|match:/^8/|default:none}", &e, "none", 0, NULL);
	/* a group that does not take part gives "" */
	check_xf("[{employeeID|match:/^(x)?0/}]", &e, "[]", 0, NULL);
	/* i flag */
	check_xf("[{title|match:/^interne/}]", &e, "[]", 0, NULL);
	check_xf("{title|match:/^interne/i}", &e, "Interne", 0, NULL);
	check_xf("{title|match:/^interne en (.*)$/i|upper}", &e, "PHARMACIE", 0, NULL);
	/* | { } : inside the expression belong to it */
	check_xf("{odd|match:/(b}c:d)/}", &e, "b}c:d", 0, NULL);
	check_xf("{odd|match:/a\\|b/}", &e, "a|b", 0, NULL);
	check_xf("{odd|match:/[{]f$/}", &e, "{f", 0, NULL);
	check_xf("{odd|match:/(a|x)[|]/|upper}", &e, "A", 0, NULL);
	check_xf("<{employeeID|match:/^0[0-9]{2}/}>{{x}}", &e, "<012>{x}", 0, NULL);
	/* \/ is a slash; other escapes stay the expression's */
	check_xf("{path|match:/=([a-z]\\/[a-z])$/}", &e, "a/b", 0, NULL);
	check_xf("{mail|match:/\\.([A-Za-z]+)@/}", &e, "Dupont", 0, NULL);
	check_xf("[{mail|match:/\\.([a-z]+)@/}]", &e, "[]", 0, NULL);
	/* an empty value: empty */
	check_xf("[{nope|match:/.*/}]", &e, "[]", 0, NULL);
	entry_free(&e);
}

/* Expressions run in C.UTF-8 whatever the process locale: '.' is one character, not a byte. */
static void test_match_utf8(void **state)
{
	struct entry e = { 0 };

	(void)state;
	add(&e, "sn", "Éloïse");
	check_xf("{sn|match:/^(.)/}", &e, "É", 0, NULL);
	check_xf("{sn|match:/^.(..)/}", &e, "lo", 0, NULL);
	check_xf("{sn|match:/[[:alpha:]]+$/}", &e, "Éloïse", 0, NULL);
	check_xf("{sn|match:/ÉLOÏSE/i}", &e, "Éloïse", 0, NULL);
	entry_free(&e);
}

static void test_replace(void **state)
{
	struct entry e = { 0 };

	(void)state;
	add(&e, "tel", "04 67 33 00 00");
	add(&e, "cn", "Dupont, Jean");
	add(&e, "t", "IDE de nuit");
	add(&e, "p", "a/b/c");
	add(&e, "x", "abb");
	check_xf("{tel|replace:/ //}", &e, "0467 33 00 00", 0, NULL);
	check_xf("{tel|replace:/ //g}", &e, "0467330000", 0, NULL);
	check_xf("{cn|replace:/^([^,]+), (.+)$/\\2 \\1/}", &e, "Jean Dupont", 0, NULL);
	check_xf("{cn|replace:/[aeiou]/<\\0>/g}", &e, "D<u>p<o>nt, J<e><a>n", 0, NULL);
	check_xf("{t|replace:/ de nuit$//i}", &e, "IDE", 0, NULL);
	check_xf("{t|replace:/ DE NUIT$//}", &e, "IDE de nuit", 0, NULL);       /* unchanged */
	check_xf("{t|replace:/ide/Infirmier/gi}", &e, "Infirmier de nuit", 0, NULL);
	/* \/ and \\ in the replacement; slashes in the expression */
	check_xf("{p|replace:/\\//\\\\/g}", &e, "a\\b\\c", 0, NULL);
	check_xf("{p|replace:/b/x\\/y/}", &e, "a/x/y/c", 0, NULL);
	/* empty matches, as sed: s/x*\/-/g on abc, s/b*\/-/g on abb */
	check_xf("{t|substr:0:3|replace:/x*/-/g}", &e, "-I-D-E-", 0, NULL);
	check_xf("{x|replace:/b*/-/g}", &e, "-a-", 0, NULL);
	check_xf("[{nope|replace:/^$/empty/}]", &e, "[empty]", 0, NULL);
	entry_free(&e);
}

static void test_regex_errors(void **state)
{
	(void)state;
	check_compile_error("{employeeNumber|match:/^8([0-9]{11}$/}",
			    "position 17: bad regular expression '^8([0-9]{11}$': a '(' is not "
			    "closed");
	check_compile_error("{a|match:/[a-/}",
			    "position 4: bad regular expression '[a-': '[' opens a bracket "
			    "expression that is not closed (write '\\[' for the character itself)");
	check_compile_error("{a|match:/[[:alpha:]/}",
			    "position 4: bad regular expression '[[:alpha:]': '[' opens a bracket "
			    "expression that is not closed (write '\\[' for the character itself)");
	check_compile_error("{a|match:/a|*b/}",
			    "position 4: bad regular expression 'a|*b': '*' has nothing before it to "
			    "repeat (write '\\*' for the character itself)");
	check_compile_error("{a|match:/ab\\/}", "position 4: the expression of 'match' has no "
			    "closing '/'");
	/* what the scanner accepts and the C library refuses: the C library's reason */
	check_compile_error("{a|match:/[z-a]/}",
			    "position 4: bad regular expression '[z-a]': Invalid range end");
	check_compile_error("{a|match:/a{5,3}/}",
			    "position 4: bad regular expression 'a{5,3}': Invalid content of \\{\\}");
	/* what glibc takes minutes and gigabytes on (fuzz_template, tests/fuzz/README) */
	check_compile_error("{t|match:/^(Dr++++++++++++++++++++++++|Pr)/}",
			    "position 4: bad regular expression '^(Dr++++++++++++++++++++++++|Pr)': "
			    "'++' repeats a repetition (POSIX leaves it undefined, and the C library "
			    "takes exponential time on it): write one");
	check_compile_error("{t|match:/^(Dr+++z?++++++++++AP)r\\>/i}",
			    "position 4: bad regular expression '^(Dr+++z?++++++++++AP)r\\>': '++' "
			    "repeats a repetition (POSIX leaves it undefined, and the C library takes "
			    "exponential time on it): write one");
	check_compile_error("{t|match:/a*{3}/}",
			    "position 4: bad regular expression 'a*{3}': '*{3}' repeats a repetition "
			    "(POSIX leaves it undefined, and the C library takes exponential time on "
			    "it): write one");
	check_compile_error("{t|replace:/((a{30}){30}){30}/x/}",
			    "position 4: bad regular expression '((a{30}){30}){30}': too many "
			    "repetitions (\"+\" and \"{n,m}\" copy what they repeat; nested, they "
			    "multiply)");
	check_compile_error("{t|match:/(((z?)+)+)+/}",
			    "position 4: bad regular expression '(((z?)+)+)+': '(z?)+' repeats a part "
			    "that can match nothing, which the C library takes exponential time to "
			    "compile: write \"(a+)*\" rather than \"(a*)+\"");
	check_compile_error("{t|match:/x(a*|\\<)*/}",
			    "position 4: bad regular expression 'x(a*|\\<)*': '(a*|\\<)*' repeats a "
			    "part that can match nothing, which the C library takes exponential time "
			    "to compile: write \"(a+)*\" rather than \"(a*)+\"");
	check_compile_error("{t|match:/(^|,)(x?){2}/}",
			    "position 4: bad regular expression '(^|,)(x?){2}': '(x?){2}' repeats a "
			    "part that can match nothing, which the C library takes exponential time "
			    "to compile: write \"(a+)*\" rather than \"(a*)+\"");
	check_compile_error("{t|match:/^(a+)\\1$/}",
			    "position 4: bad regular expression '^(a+)\\1$': '\\1' is a "
			    "back-reference, which is refused (matching one takes time exponential in "
			    "the value's length)");
	check_compile_error("{t|match:/((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))/}",
			    "position 4: bad regular expression '((((((((((((((((((((((((((((((((((a)"
			    ")))))))))))))))))))))))))))))))))': more than 32 nested groups");
	/* what the scanner cannot read never reaches the C library, which reads "{\08}" as
	 * "{8}" (fuzz_template: regcomp then took 2 GB) */
	check_compile_error("{t|match:/a{x/}", "position 4: bad regular expression 'a{x': '{x' "
			    "is not a count ({n}, {n,}, {,m} or {n,m} with digits; write '\\{' "
			    "for a brace)");
	check_compile_error("{t|match:/((a{\\08}){9}){9}/}", "position 4: bad regular "
			    "expression '((a{\\08}){9}){9}': '{\\08}' is not a count ({n}, {n,}, "
			    "{,m} or {n,m} with digits; write '\\{' for a brace)");
	{
		char text[1200], want[200];

		memset(text, 'a', sizeof(text));
		memcpy(text, "{t|match:/", 10);
		memcpy(text + sizeof(text) - 3, "/}", 3);
		snprintf(want, sizeof(want), "position 4: bad regular expression '%.40s...': "
			 "longer than 1024 bytes", text + 10);
		check_compile_error(text, want);
	}
	check_xf_ok_regexes();
	check_compile_error("{a|match:^8}", "position 4: 'match' takes a delimited expression: "
			    "match:/RE/");
	check_compile_error("{a|match}", "position 4: transform 'match' needs an argument "
			    "(match:...)");
	check_compile_error("{a|match:/abc}", "position 4: the expression of 'match' has no "
			    "closing '/'");
	check_compile_error("{a|match:/abc\\/}", "position 4: the expression of 'match' has no "
			    "closing '/'");
	check_compile_error("{a|match:/abc/x}", "position 4: unknown flag 'x' for 'match' "
			    "(i: ignore case)");
	check_compile_error("{a|match:/abc/g}", "position 4: unknown flag 'g' for 'match' "
			    "(i: ignore case)");
	check_compile_error("{a|match:/abc/", "position 1: '{' is not closed");
	check_compile_error("{a|match:/abc/i{}", "position 1: '{' is not closed");
	check_compile_error("{a|replace:/a/b}", "position 4: the replacement of 'replace' has no "
			    "closing '/' (replace:/RE/TEXT/)");
	check_compile_error("{a|replace:/(a)/\\2/}", "position 4: \\2 in the replacement, but the "
			    "expression has 1 group");
	check_compile_error("{a|replace:/a/\\n/}", "position 4: '\\n' in the replacement of "
			    "'replace' (write \\0 to \\9 for a group, \\\\ for a backslash, "
			    "\\/ for a slash)");
	check_compile_error("{a|replace:/a/b/x}", "position 4: unknown flag 'x' for 'replace' "
			    "(g: every match, i: ignore case)");
	check_compile_error("{a|idnat}", "position 4: transform 'idnat' needs an argument "
			    "(idnat:...)");
	check_compile_error("{a|idnat:finess}", "position 4: unknown identifier 'finess' "
			    "(idnat:rpps or idnat:adeli)");
	check_compile_error("{a|date:dd}", "position 4: unknown date form 'dd' (auto, gentime, "
			    "ad, days, unix, iso, dmy)");
	check_compile_error("{a|table:profession}", "position 4: unknown table 'profession' "
			    "(no table section of that name)");
}

static void test_idnat(void **state)
{
	static const struct {
		const char *in, *rpps, *adeli;
		bool ok;
	} cases[] = {
		{ "810001045367",        "10001045367", "",          true },
		{ "10001045367",         "10001045367", "",          true },
		{ "0012600631",          "",            "012600631", true },
		{ "012600631",           "",            "012600631", true },
		{ "",                    "",            "",          true },
		{ " \t",                 "",            "",          true },
		{ "8 1000 1045 367",     "10001045367", "",          true },
		{ "8\xc2\xa0" "10001045367", "10001045367", "",      true },   /* no-break space */
		{ "0\xe2\x80\xaf" "012600631", "",      "012600631", true },   /* narrow nbsp */
		{ "\t012600631\n",       "",            "012600631", true },
		{ "8123",                "",            "",          false },
		{ "8100010453678",       "",            "",          false },  /* 8 + 12 digits */
		{ "81000104536",         "81000104536", "",          true },   /* 11 digits */
		{ "81000104536a",        "",            "",          false },
		{ "1234567890",          "",            "",          false },  /* 10, not 0+9 */
		{ "1234567890123",       "",            "",          false },  /* 13 digits */
		{ "8-10001045367",       "",            "",          false },
		{ "RPPS10001045367",     "",            "",          false },
		{ "910001045367",        "",            "",          false },  /* 12, not 8+11 */
		{ "12345678",            "",            "",          false },
		{ "０12600631",          "",            "",          false },  /* fullwidth 0 */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = !cases[i].ok;
		char *r = map_idnat(cases[i].in, false, &ok);

		if (strcmp(r, cases[i].rpps) != 0 || ok != cases[i].ok)
			fail_msg("idnat:rpps \"%s\": \"%s\" %d", cases[i].in, r, ok);
		free(r);
		ok = !cases[i].ok;
		r = map_idnat(cases[i].in, true, &ok);
		if (strcmp(r, cases[i].adeli) != 0 || ok != cases[i].ok)
			fail_msg("idnat:adeli \"%s\": \"%s\" %d", cases[i].in, r, ok);
		free(r);
	}
}

static void test_idnat_finding(void **state)
{
	struct entry e = { 0 };
	struct findings f = { 0 };
	char *r;

	(void)state;
	add(&e, "employeeNumber", "8123");
	add(&e, "good", "810001045367");
	r = expand("[{employeeNumber|idnat:rpps}]", &e, NULL, &f);
	assert_string_equal(r, "[]");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "idnat-format");
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	assert_int_equal(f.v[0].col, 0);
	assert_string_equal(f.v[0].value, "8123");
	assert_string_equal(f.v[0].message, "employeeNumber \"8123\" is neither an RPPS (11 "
			    "digits, or 8 followed by 11 digits) nor an ADELI (9 digits, or 0 "
			    "followed by 9 digits)");
	free(r);
	findings_free(&f);
	/* a valid value of the other kind: empty, no finding */
	check_xf("[{good|idnat:adeli}]", &e, "[]", 0, NULL);
	check_xf("{nope/good|idnat:rpps}", &e, "10001045367", 0, NULL);
	check_xf("{employeeNumber|idnat:adeli|default:x}", &e, "x", 1, "idnat-format");
	entry_free(&e);
}

static void test_date_forms(void **state)
{
	static const struct {
		const char *in;
		enum date_form form;
		enum date_res res;
		const char *out;
	} cases[] = {
		/* gentime: offsets to UTC, fractions, 8 to 14 digits */
		{ "20270131000000Z",       DATE_FORM_GENTIME, DATE_OK,    "27-01-31" },
		{ "20270131",              DATE_FORM_GENTIME, DATE_OK,    "27-01-31" },
		{ "2027013123",            DATE_FORM_GENTIME, DATE_OK,    "27-01-31" },
		{ "202701312359",          DATE_FORM_GENTIME, DATE_OK,    "27-01-31" },
		{ "20270131230000-0100",   DATE_FORM_GENTIME, DATE_OK,    "27-02-01" },
		{ "20270201003000+01",     DATE_FORM_GENTIME, DATE_OK,    "27-01-31" },
		{ "20270131120000.123Z",   DATE_FORM_GENTIME, DATE_OK,    "27-01-31" },
		{ "20240229000000Z",       DATE_FORM_GENTIME, DATE_OK,    "24-02-29" },
		{ "20230229000000Z",       DATE_FORM_GENTIME, DATE_BAD,   NULL },
		{ "21000229000000Z",       DATE_FORM_GENTIME, DATE_BAD,   NULL },  /* not leap */
		{ "20000229",              DATE_FORM_GENTIME, DATE_OK,    "00-02-29" },
		{ "20270131250000Z",       DATE_FORM_GENTIME, DATE_BAD,   NULL },
		{ "20270131000000+2500",   DATE_FORM_GENTIME, DATE_BAD,   NULL },
		{ "20270131000000+010",    DATE_FORM_GENTIME, DATE_BAD,   NULL },
		{ "20270131.5Z",           DATE_FORM_GENTIME, DATE_BAD,   NULL },
		{ "2027013",               DATE_FORM_GENTIME, DATE_BAD,   NULL },
		{ "20270131000000Zx",      DATE_FORM_GENTIME, DATE_BAD,   NULL },
		{ "2027-01-31",            DATE_FORM_GENTIME, DATE_BAD,   NULL },
		/* ad: 100 ns ticks since 1601 */
		{ "134458272000000000",    DATE_FORM_AD,      DATE_OK,    "27-01-31" },
		{ "0",                     DATE_FORM_AD,      DATE_NEVER, NULL },
		{ "9223372036854775807",   DATE_FORM_AD,      DATE_NEVER, NULL },
		{ "9223372036854775806",   DATE_FORM_AD,      DATE_BAD,   NULL },  /* year 30828 */
		{ "9223372036854775808",   DATE_FORM_AD,      DATE_BAD,   NULL },
		{ "-134458272000000000",   DATE_FORM_AD,      DATE_BAD,   NULL },
		{ "-1",                    DATE_FORM_AD,      DATE_BAD,   NULL },
		{ "1",                     DATE_FORM_AD,      DATE_OK,    "01-01-01" },  /* 1601 */
		{ "20270131",              DATE_FORM_AD,      DATE_OK,    "01-01-01" },
		{ "13445827200000000x",    DATE_FORM_AD,      DATE_BAD,   NULL },
		/* days: shadowExpire */
		{ "20849",                 DATE_FORM_DAYS,    DATE_OK,    "27-01-31" },
		{ "1",                     DATE_FORM_DAYS,    DATE_OK,    "70-01-02" },
		{ "0",                     DATE_FORM_DAYS,    DATE_NEVER, NULL },
		{ "-1",                    DATE_FORM_DAYS,    DATE_NEVER, NULL },
		{ "-99999",                DATE_FORM_DAYS,    DATE_NEVER, NULL },
		{ "2932896",               DATE_FORM_DAYS,    DATE_OK,    "99-12-31" },  /* 9999 */
		{ "2932897",               DATE_FORM_DAYS,    DATE_BAD,   NULL },
		{ "20261231",              DATE_FORM_DAYS,    DATE_BAD,   NULL },  /* YYYYMMDD */
		{ "99999999999",           DATE_FORM_DAYS,    DATE_BAD,   NULL },
		{ "20849.5",               DATE_FORM_DAYS,    DATE_BAD,   NULL },
		{ "",                      DATE_FORM_DAYS,    DATE_BAD,   NULL },
		{ " 20849 ",               DATE_FORM_DAYS,    DATE_OK,    "27-01-31" },
		/* unix seconds */
		{ "1801353600",            DATE_FORM_UNIX,    DATE_OK,    "27-01-31" },
		{ "1801353599",            DATE_FORM_UNIX,    DATE_OK,    "27-01-30" },
		{ "0",                     DATE_FORM_UNIX,    DATE_NEVER, NULL },
		{ "-1",                    DATE_FORM_UNIX,    DATE_BAD,   NULL },
		{ "253402300799",          DATE_FORM_UNIX,    DATE_OK,    "99-12-31" },
		{ "253402300800",          DATE_FORM_UNIX,    DATE_BAD,   NULL },
		/* iso */
		{ "2027-01-31",            DATE_FORM_ISO,     DATE_OK,    "27-01-31" },
		{ "2027-01-31T23:30:00Z",  DATE_FORM_ISO,     DATE_OK,    "27-01-31" },
		{ "2027-01-31T23:30:00-01:00", DATE_FORM_ISO, DATE_OK,    "27-02-01" },
		{ "2027-02-01T00:30+01:00", DATE_FORM_ISO,    DATE_OK,    "27-01-31" },
		{ "2027-02-01T00:30:00.5+0100", DATE_FORM_ISO, DATE_OK,   "27-01-31" },
		{ "2027-02-01 00:30:00+01", DATE_FORM_ISO,    DATE_OK,    "27-01-31" },
		{ "2028-02-29",            DATE_FORM_ISO,     DATE_OK,    "28-02-29" },
		{ "2027-02-29",            DATE_FORM_ISO,     DATE_BAD,   NULL },
		{ "2027-01-31T24:00",      DATE_FORM_ISO,     DATE_BAD,   NULL },
		{ "2027-01-31T10",         DATE_FORM_ISO,     DATE_BAD,   NULL },
		{ "2027-01-31 garbage",    DATE_FORM_ISO,     DATE_BAD,   NULL },
		{ "2027-1-31",             DATE_FORM_ISO,     DATE_BAD,   NULL },
		{ "31/01/2027",            DATE_FORM_ISO,     DATE_BAD,   NULL },
		/* dmy */
		{ "31/01/2027",            DATE_FORM_DMY,     DATE_OK,    "27-01-31" },
		{ "1/2/2027",              DATE_FORM_DMY,     DATE_OK,    "27-02-01" },
		{ "29/02/2028",            DATE_FORM_DMY,     DATE_OK,    "28-02-29" },
		{ "29/02/2027",            DATE_FORM_DMY,     DATE_BAD,   NULL },
		{ "01/31/2027",            DATE_FORM_DMY,     DATE_BAD,   NULL },
		{ "31/01/27",              DATE_FORM_DMY,     DATE_BAD,   NULL },
		{ "2027-01-31",            DATE_FORM_DMY,     DATE_BAD,   NULL },
		/* auto: the forms that cannot be confused */
		{ "20270131000000Z",       DATE_FORM_AUTO,    DATE_OK,    "27-01-31" },
		{ "20270131000000",        DATE_FORM_AUTO,    DATE_OK,    "27-01-31" },
		{ "20270131",              DATE_FORM_AUTO,    DATE_OK,    "27-01-31" },
		{ "2027013100Z",           DATE_FORM_AUTO,    DATE_OK,    "27-01-31" },
		{ "202701310000+0100",     DATE_FORM_AUTO,    DATE_OK,    "27-01-30" },
		{ "134458272000000000",    DATE_FORM_AUTO,    DATE_OK,    "27-01-31" },
		{ "2027-01-31T10:00:00Z",  DATE_FORM_AUTO,    DATE_OK,    "27-01-31" },
		{ "31/01/2027",            DATE_FORM_AUTO,    DATE_OK,    "27-01-31" },
		{ "0",                     DATE_FORM_AUTO,    DATE_NEVER, NULL },
		{ "9223372036854775807",   DATE_FORM_AUTO,    DATE_NEVER, NULL },
		{ "20849",                 DATE_FORM_AUTO,    DATE_BAD,   NULL },  /* days? */
		{ "1801353600",            DATE_FORM_AUTO,    DATE_BAD,   NULL },  /* seconds? */
		{ "1",                     DATE_FORM_AUTO,    DATE_BAD,   NULL },
		{ "1234567",               DATE_FORM_AUTO,    DATE_BAD,   NULL },
		{ "123456789",             DATE_FORM_AUTO,    DATE_BAD,   NULL },
		{ "1234567890123",         DATE_FORM_AUTO,    DATE_BAD,   NULL },
		{ "2027013100",            DATE_FORM_AUTO,    DATE_BAD,   NULL },  /* 10 bare */
		{ "20261331",              DATE_FORM_AUTO,    DATE_BAD,   NULL },  /* not a date */
		{ "-1",                    DATE_FORM_AUTO,    DATE_BAD,   NULL },
		{ "soon",                  DATE_FORM_AUTO,    DATE_BAD,   NULL },
		{ "",                      DATE_FORM_AUTO,    DATE_BAD,   NULL },
		{ "15000101",              DATE_FORM_AUTO,    DATE_BAD,   NULL },  /* before 1601 */
	};
	long long t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum date_res r = map_date_read(cases[i].in, cases[i].form, &t);

		if (r != cases[i].res)
			fail_msg("\"%s\" as %s: %d, want %d", cases[i].in,
				 map_date_form_name(cases[i].form), r, cases[i].res);
		if (r == DATE_OK) {
			char *s = map_date_text(t);

			if (strcmp(s, cases[i].out) != 0)
				fail_msg("\"%s\" as %s: %s, want %s", cases[i].in,
					 map_date_form_name(cases[i].form), s, cases[i].out);
			free(s);
		}
	}
	/* epochs, checked by hand: 2027-01-31 is day 20849 */
	assert_int_equal(map_date_read("20849", DATE_FORM_DAYS, &t), DATE_OK);
	assert_int_equal(t, 20849LL * 86400);
	assert_int_equal(map_date_read("2027-01-31T10:00:00+02:00", DATE_FORM_ISO, &t), DATE_OK);
	assert_int_equal(t, 1801353600LL + 8 * 3600);
	assert_int_equal(map_date_read("1", DATE_FORM_AD, &t), DATE_OK);
	assert_int_equal(t, -11644473600LL);
}

static void test_date_form_names(void **state)
{
	static const char *const names[] = {
		"auto", "gentime", "ad", "days", "unix", "iso", "dmy"
	};
	enum date_form f;

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_true(map_date_form_parse(names[i], &f));
		assert_int_equal(f, (enum date_form)i);
		assert_string_equal(map_date_form_name(f), names[i]);
		assert_true(strlen(map_date_form_text(f)) > 5);
	}
	assert_false(map_date_form_parse("Days", &f));
	assert_false(map_date_form_parse("", &f));
	assert_false(map_date_form_parse(NULL, &f));
	assert_string_equal(map_date_form_text(DATE_FORM_DAYS), "days since 1970-01-01");
}

static void test_date_transform_forms(void **state)
{
	struct entry e = { 0 };
	struct findings f = { 0 };
	char *r;

	(void)state;
	add(&e, "shadowExpire", "20849");
	add(&e, "typo", "20261231");
	add(&e, "never", "-1");
	check_xf("{shadowExpire|date:days}", &e, "27-01-31", 0, NULL);
	check_xf("[{never|date:days}]", &e, "[]", 0, NULL);
	/* auto cannot tell days from seconds: kept and reported */
	check_xf("{shadowExpire|date}", &e, "20849", 1, "date-format");
	check_xf("{shadowExpire|date:auto}", &e, "20849", 1, "date-format");
	r = expand("{typo|date:days}", &e, NULL, &f);
	assert_string_equal(r, "20261231");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "date-format");
	assert_int_equal(f.v[0].sev, SEV_ERROR);
	assert_string_equal(f.v[0].value, "20261231");
	assert_string_equal(f.v[0].message, "typo \"20261231\" cannot be read as days since "
			    "1970-01-01 (date:days)");
	free(r);
	findings_free(&f);
	entry_free(&e);
}

/* A config with a value table, for the tests that need a mapper. */
static struct conf_table_entry prof_entries[] = {
	{ "Infirmière de bloc", "Infirmier", "/etc/ms.conf", 10 },
	{ "/^ide( |$)/", "Infirmier", "/etc/ms.conf", 11 },
	{ "/^aide/", "Aide-soignant", "/etc/ms.conf", 12 },
	{ "Aide-soignante de nuit", "never reached", "/etc/ms.conf", 13 },
	{ "Sage-femme", "Sage-Femme", "/etc/ms.conf", 14 },
	{ "INFIRMIERE DE BLOC", "second", "/etc/ms.conf", 15 },
	{ "/^interne/", "", "/etc/ms.conf", 16 },
	{ "médecin", "Médecin", "/etc/ms.conf", 17 },
};

static void table_config(struct config *c, struct conf_table *t, const char *dflt)
{
	base_config(c);
	memset(t, 0, sizeof(*t));
	t->name = "profession";
	t->entries = prof_entries;
	t->nentries = sizeof(prof_entries) / sizeof(prof_entries[0]);
	t->dflt = (char *)dflt;
	t->line = 9;
	c->path = "/etc/ms.conf";
	c->tables = t;
	c->ntables = 1;
	c->map[COL_PROFESSION] = "{title|table:profession}";
}

/* The cell of column col for an entry with one attribute. */
static char *map_cell(const struct mapper *m, const char *attr, const char *value, int col,
		      struct findings *f, struct map_stats *s)
{
	struct entry e = { 0 };
	struct row row = { 0 };
	struct map_extra x = { .stats = s };
	char *r;

	e.dn = xasprintf("uid=%s,dc=x", value);
	if (value)
		add(&e, attr, value);
	(void)map_person(m, &e, NULL, NULL, NULL, &row, f, &x);
	r = xstrdup(row_get(&row, (enum col)col));
	row_free(&row);
	entry_free(&e);
	return r;
}

static void check_cell(const struct mapper *m, const char *value, const char *want)
{
	struct findings f = { 0 };
	char *r = map_cell(m, "title", value, COL_PROFESSION, &f, NULL);

	if (strcmp(r, want) != 0)
		fail_msg("title \"%s\": profession \"%s\", want \"%s\"", value, r, want);
	free(r);
	findings_free(&f);
}

static void test_table(void **state)
{
	struct conf_bal_rule rules[] = { { .name = "med", .type = BAL_MED } };
	struct conf_table t;
	struct config c;
	struct mapper *m;
	char *err = NULL;

	(void)state;
	table_config(&c, &t, NULL);
	c.rules = rules;
	c.nrules = 1;
	m = map_new(&c, &err);
	assert_non_null(m);
	assert_null(map_warnings(m));
	/* plain keys: case, accents, dashes, quotes and blanks do not matter */
	check_cell(m, "Infirmière de bloc", "Infirmier");
	check_cell(m, "INFIRMIERE DE BLOC ", "Infirmier");
	check_cell(m, "infirmiere-de-bloc", "Infirmier");
	check_cell(m, "  Infirmière   de\xc2\xa0" "bloc", "Infirmier");
	check_cell(m, "sage femme", "Sage-Femme");
	check_cell(m, "SAGE-FEMME", "Sage-Femme");
	check_cell(m, "Médecin", "Médecin");
	check_cell(m, "MEDECIN", "Médecin");
	/* regular expression keys, on the folded value */
	check_cell(m, "IDE", "Infirmier");
	check_cell(m, "Ide de nuit", "Infirmier");
	check_cell(m, "IDEL", "");
	/* first match wins: /^aide/ (line 12) comes before the plain key of line 13 */
	check_cell(m, "Aide-soignante de nuit", "Aide-soignant");
	/* a key whose value is "" matches: empty */
	check_cell(m, "Interne en pharmacie", "");
	/* no key, no default: empty */
	check_cell(m, "Secrétaire médicale", "");
	check_cell(m, NULL, "");
	map_free(m);

	table_config(&c, &t, "Autre");
	c.rules = rules;
	c.nrules = 1;
	m = map_new(&c, &err);
	assert_non_null(m);
	check_cell(m, "Secrétaire médicale", "Autre");
	check_cell(m, "Interne", "");        /* a match: no default */
	check_cell(m, NULL, "");             /* empty input: empty */
	map_free(m);
}

static void test_table_unmatched(void **state)
{
	struct conf_bal_rule rules[] = { { .name = "med", .type = BAL_MED } };
	const char *sev_rule[] = { "table-unmatched" };
	enum severity sev_value[] = { SEV_WARNING };
	static const char *const titles[] = {
		"Secrétaire médicale", "SECRETAIRE MEDICALE", "Cadre de santé", "IDE",
		"secretaire-medicale", "", "Brancardier", "cadre de sante",
	};
	struct conf_table t;
	struct config c;
	struct mapper *m;
	struct map_stats *s = map_stats_new();
	struct map_unmatched *u = NULL;
	struct findings f = { 0 };
	char *err = NULL, *r;
	size_t n;

	(void)state;
	table_config(&c, &t, NULL);
	c.rules = rules;
	c.nrules = 1;
	m = map_new(&c, &err);
	assert_non_null(m);
	for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++) {
		r = map_cell(m, "title", titles[i], COL_PROFESSION, &f, s);
		free(r);
	}
	/* table-unmatched is off by default: no finding, but the values are counted */
	assert_int_equal(f.n, 0);
	n = map_stats_unmatched(s, &u);
	assert_int_equal(n, 3);
	/* most frequent first, then by table and value; the value as first met */
	assert_string_equal(u[0].value, "Secrétaire médicale");
	assert_int_equal(u[0].count, 3);
	assert_string_equal(u[0].example, "uid=Secrétaire médicale,dc=x");
	assert_string_equal(u[0].table, "profession");
	assert_string_equal(u[1].value, "Cadre de santé");
	assert_int_equal(u[1].count, 2);
	assert_string_equal(u[2].value, "Brancardier");
	assert_int_equal(u[2].count, 1);
	free(u);
	map_free(m);
	map_stats_free(s);

	/* raised to warning: one finding per person */
	table_config(&c, &t, NULL);
	c.rules = rules;
	c.nrules = 1;
	c.sev_rule = (char **)sev_rule;
	c.sev_value = sev_value;
	c.nsev = 1;
	c.map[COL_SERVICE] = "{title|table:profession}";
	m = map_new(&c, &err);
	assert_non_null(m);
	s = map_stats_new();
	r = map_cell(m, "title", "Aide de nuit", COL_PROFESSION, &f, s);
	assert_string_equal(r, "Aide-soignant");
	free(r);
	assert_int_equal(f.n, 0);
	r = map_cell(m, "title", "Brancardier", COL_PROFESSION, &f, s);
	assert_int_equal(f.n, 1);       /* two columns, one value: one finding */
	assert_string_equal(f.v[0].rule, "table-unmatched");
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	assert_int_equal(f.v[0].col, COL_SERVICE);
	assert_string_equal(f.v[0].value, "Brancardier");
	assert_string_equal(f.v[0].message, "title \"Brancardier\" matches no key of table "
			    "\"profession\"");
	free(r);
	n = map_stats_unmatched(s, &u);
	assert_int_equal(n, 1);
	assert_int_equal(u[0].count, 1);    /* the entry counts once */
	free(u);
	findings_free(&f);
	map_free(m);
	map_stats_free(s);
}

static void test_table_errors(void **state)
{
	struct conf_table_entry bad[] = {
		{ "/^ide(/", "Infirmier", "/etc/tables/p.tsv", 3 },
		{ "/^IDE/", "Infirmier", "/etc/ms.conf", 20 },
	};
	struct conf_table t[2] = {
		{ .name = "p", .entries = bad, .nentries = 1, .file = "/etc/tables/p.tsv",
		  .line = 19 },
		{ .name = "unused", .entries = bad + 1, .nentries = 1, .line = 30 },
	};
	struct config c;
	struct mapper *m;
	char *err = NULL;

	(void)state;
	base_config(&c);
	c.path = "/etc/ms.conf";
	c.tables = t;
	c.ntables = 2;
	c.map[COL_PROFESSION] = "{title|table:p}";
	c.map_line[COL_PROFESSION] = 7;
	c.map[COL_SPECIALITE] = "{title|table:nope}";
	c.map_line[COL_SPECIALITE] = 8;
	assert_null(map_new(&c, &err));
	assert_string_equal(err, "/etc/tables/p.tsv:3: table \"p\": key /^ide(/: bad regular "
			    "expression '^ide(': a '(' is not closed\n"
			    "/etc/ms.conf:8: map.specialite: position 8: unknown table 'nope' (no "
			    "table section of that name)");
	free(err);

	/* warnings: a table nothing uses, a key with capitals */
	t[0].nentries = 0;
	c.map[COL_SPECIALITE] = NULL;
	m = map_new(&c, &err);
	assert_non_null(m);
	assert_string_equal(map_warnings(m),
			    "/etc/ms.conf:20: table \"unused\": warning: key /^IDE/: values are "
			    "compared folded (lower case, no accents): 'I' never matches\n"
			    "/etc/ms.conf:30: table \"unused\": warning: no template "
			    "(table:unused) and no bal-rule (if-table) uses it");
	map_free(m);
}

/* base_config with the rules of the array r. */
#define with_rules(c, r) (base_config(c), (c)->rules = (r), (c)->nrules = ARRAY_SIZE(r))

/* map_person on an entry: DN dn, then attribute name/value pairs, NULL-terminated. The row is
 * emptied first; the findings are added to f. */
static enum bal_type map_attrs(const struct mapper *m, struct row *row, struct findings *f,
			       const char *dn, ...)
{
	struct entry e = { 0 };
	const char *name;
	enum bal_type t;
	va_list ap;

	row_free(row);
	e.dn = xstrdup(dn);
	va_start(ap, dn);
	while ((name = va_arg(ap, const char *)) != NULL)
		add(&e, name, va_arg(ap, const char *));
	va_end(ap);
	t = map_person(m, &e, NULL, NULL, NULL, row, f, NULL);
	entry_free(&e);
	return t;
}

/* map-type: a column per type; "" empties it; the rules read the map cells; NC still cleared */
static void test_map_type(void **state)
{
	struct conf_bal_rule rules[] = {
		{ .name = "per", .type = BAL_PER, .if_column = "rpps" },
		{ .name = "int", .type = BAL_INT, .if_attribute = "employeeType" },
		{ .name = "med", .type = BAL_MED },
	};
	struct config c;
	struct mapper *m;
	struct findings f = { 0 };
	struct row row = { 0 };
	char *err = NULL;

	(void)state;
	with_rules(&c, rules);
	c.map[COL_PROFESSION] = "{title}";
	c.map[COL_TEL1] = "{tel|phone}";
	c.type_map[BAL_INT][COL_PROFESSION] = "Interne {title|lower}";
	c.type_map[BAL_INT][COL_CIVILITE] = "{civ|upper}";
	c.type_map[BAL_INT][COL_TEL1] = "";
	c.type_map[BAL_PER][COL_RPPS] = "";      /* the rule read the map cell; PER then empties */
	c.type_map[BAL_MED][COL_CIVILITE] = "{civ}";   /* NC for MED: still cleared */
	c.map[COL_STRUCTURE] = "{o}";    /* the guide's NC, filled by multi-structure admins */
	m = map_new(&c, &err);
	if (!m)
		fail_msg("%s", err);
	/* INT: profession and civilité from map-type, the bad phone's finding dropped */
	assert_int_equal(map_attrs(m, &row, &f, "uid=i,dc=x", "title", "Pharmacie", "civ", "dr",
				   "tel", "12", "employeeType", "interne", NULL), BAL_INT);
	assert_string_equal(row_get(&row, COL_PROFESSION), "Interne pharmacie");
	assert_string_equal(row_get(&row, COL_CIVILITE), "DR");
	assert_string_equal(row_get(&row, COL_TEL1), "");
	assert_int_equal(f.n, 0);
	/* PER by the map's rpps cell, then emptied by map-type "PER" */
	assert_int_equal(map_attrs(m, &row, &f, "uid=p,dc=x", "rpps", "10001045367", "title",
				   "Pharmacien", "civ", "dr", "tel", "12", NULL), BAL_PER);
	assert_string_equal(row_get(&row, COL_RPPS), "");
	assert_string_equal(row_get(&row, COL_PROFESSION), "Pharmacien");
	assert_string_equal(row_get(&row, COL_CIVILITE), "");   /* map has no template */
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "phone-format");
	findings_free(&f);
	/* MED: civilité set in map-type "MED" but NC for MED; Structure kept (not cleared) */
	assert_int_equal(map_attrs(m, &row, &f, "uid=m,dc=x", "civ", "dr", "o", "EHPAD Les Pins",
				   NULL), BAL_MED);
	assert_string_equal(row_get(&row, COL_CIVILITE), "");
	assert_string_equal(row_get(&row, COL_STRUCTURE), "EHPAD Les Pins");
	row_free(&row);
	map_free(m);
}

static void test_rules_patterns(void **state)
{
	struct conf_bal_rule rules[] = {
		{ .name = "int-title", .type = BAL_INT, .if_attribute = "title",
		  .if_match = "/^interne/i" },
		{ .name = "int-table", .type = BAL_INT, .if_attribute = "title",
		  .if_table = "profession" },
		{ .name = "per-cell", .type = BAL_PER, .if_column = "rpps",
		  .if_match = "/^[0-9]{11}$/" },
		{ .name = "med-cell", .type = BAL_MED, .if_column = "profession",
		  .if_table = "profession" },
	};
	struct conf_table t;
	struct config c;
	struct mapper *m;
	struct findings f = { 0 };
	struct row row = { 0 };
	char *err = NULL;

	(void)state;
	table_config(&c, &t, "Autre");
	c.map[COL_PROFESSION] = "{prof}";
	c.rules = rules;
	c.nrules = ARRAY_SIZE(rules);
	m = map_new(&c, &err);
	if (!m)
		fail_msg("%s", err);
	/* if-match on any value of the attribute, i flag */
	assert_int_equal(map_attrs(m, &row, &f, "uid=a,dc=x", "title", "Médecin", "title",
				   "INTERNE des hôpitaux", NULL), BAL_INT);
	/* if-table on the attribute: a key matches (the default does not count) */
	assert_int_equal(map_attrs(m, &row, &f, "uid=b,dc=x", "title", "IDE", NULL), BAL_INT);
	/* if-column + if-match: the cell must match, not only be filled */
	assert_int_equal(map_attrs(m, &row, &f, "uid=c,dc=x", "title", "Brancardier", "rpps",
				   "1000104536", "prof", "Sage femme", NULL), BAL_MED);
	assert_int_equal(map_attrs(m, &row, &f, "uid=d,dc=x", "rpps", "10001045367", NULL),
			 BAL_PER);
	/* a value over 4096 bytes never satisfies if-match (the expression is not run on it),
	 * and is an error of the person: the rule might have held */
	{
		char title[4200];

		memset(title, 'x', sizeof(title));
		memcpy(title, "interne ", 8);
		title[sizeof(title) - 1] = '\0';
		assert_int_equal(map_attrs(m, &row, &f, "uid=g,dc=x", "title", title, "rpps",
					   "10001045367", NULL), BAL_PER);
		assert_int_equal(f.n, 1);       /* int-title and int-table: one per value */
		assert_string_equal(f.v[0].rule, "value-too-long");
		assert_int_equal(f.v[0].sev, SEV_ERROR);
		assert_int_equal(f.v[0].col, COL_TYPE_BAL);
		assert_string_equal(f.v[0].message, "bal-rule \"int-title\": title has a value of "
				    "4199 bytes, longer than the 4096 that if-match and if-table "
				    "read");
		findings_free(&f);
		title[4096] = '\0';
		assert_int_equal(map_attrs(m, &row, &f, "uid=g,dc=x", "title", title, "rpps",
					   "10001045367", NULL), BAL_INT);
		assert_int_equal(f.n, 0);
	}
	/* if-column + if-table: "Brancardier" matches no key: no rule */
	assert_int_equal(f.n, 0);
	assert_int_equal(map_attrs(m, &row, &f, "uid=e,dc=x", "prof", "Brancardier", NULL),
			 BAL_NONE);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "no-bal-rule");
	findings_free(&f);
	row_free(&row);
	map_free(m);

	/* errors, with the file and the line of the option */
	rules[0].if_match = "/^interne(/";
	rules[0].line_match = 41;
	rules[1].if_table = "professions";
	rules[1].line_table = 45;
	rules[2].if_match = "^x";
	rules[2].line_match = 50;
	rules[3].if_match = "/x/g";
	assert_null(map_new(&c, &err));
	assert_string_equal(err, "/etc/ms.conf:41: bal-rule \"int-title\": if-match: bad regular "
			    "expression '^interne(': a '(' is not closed\n"
			    "/etc/ms.conf:45: bal-rule \"int-table\": if-table: no table section "
			    "\"professions\"\n"
			    "/etc/ms.conf:50: bal-rule \"per-cell\": if-match: \"^x\": write "
			    "/RE/ or /RE/i\n"
			    "/etc/ms.conf: bal-rule \"med-cell\": if-match: \"/x/g\": unknown flag "
			    "'g' (i: ignore case)");
	free(err);
}

/* Severity overrides from the config: off silences, error raises. */
static void test_severity_overrides(void **state)
{
	struct conf_bal_rule rules[] = { { .name = "med", .type = BAL_MED } };
	const char *sev_rule[] = { "phone-format", "idnat-format", "date-format" };
	enum severity sev_value[] = { SEV_OFF, SEV_ERROR, SEV_WARNING };
	struct config c;
	struct mapper *m;
	struct findings f = { 0 };
	struct row row = { 0 };
	char *err = NULL;

	(void)state;
	with_rules(&c, rules);
	c.sev_rule = (char **)sev_rule;
	c.sev_value = sev_value;
	c.nsev = 3;
	c.map[COL_SERVICE] = "{id|idnat:rpps}{d|date}";
	m = map_new(&c, &err);
	assert_non_null(m);
	assert_int_equal(map_attrs(m, &row, &f, "uid=s,dc=x", "tel", "12", "id", "8123", "d",
				   "soon", NULL), BAL_MED);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].rule, "idnat-format");
	assert_int_equal(f.v[0].sev, SEV_ERROR);
	assert_string_equal(f.v[1].rule, "date-format");
	assert_int_equal(f.v[1].sev, SEV_WARNING);
	findings_free(&f);
	row_free(&row);
	map_free(m);
}

/* One bad identifier read by both RPPS and ADELI: one finding. */
static void test_idnat_dedupe(void **state)
{
	struct conf_bal_rule rules[] = {
		{ .name = "per-rpps", .type = BAL_PER, .if_column = "rpps" },
		{ .name = "per-adeli", .type = BAL_PER, .if_column = "adeli" },
		{ .name = "med", .type = BAL_MED },
	};
	struct config c;
	struct mapper *m;
	struct findings f = { 0 };
	struct row row = { 0 };
	char *err = NULL;

	(void)state;
	with_rules(&c, rules);
	c.map[COL_RPPS] = "{employeeNumber|idnat:rpps}";
	c.map[COL_ADELI] = "{employeeNumber|idnat:adeli}";
	m = map_new(&c, &err);
	assert_non_null(m);
	assert_int_equal(map_attrs(m, &row, &f, "uid=x,dc=x", "employeeNumber", "0 12 600 631",
				   NULL), BAL_PER);
	assert_string_equal(row_get(&row, COL_ADELI), "012600631");
	assert_string_equal(row_get(&row, COL_RPPS), "");
	assert_int_equal(f.n, 0);
	/* 11 digits: an RPPS (its key is wrong: the checker says so, not the mapper) */
	assert_int_equal(map_attrs(m, &row, &f, "uid=y,dc=x", "employeeNumber", "81000104536",
				   NULL), BAL_PER);
	assert_string_equal(row_get(&row, COL_RPPS), "81000104536");
	/* no RPPS, no ADELI: MED; the finding stays although RPPS and ADELI are NC for MED,
	 * since it says why the person is not PER */
	assert_int_equal(map_attrs(m, &row, &f, "uid=z,dc=x", "employeeNumber", "8100010453678",
				   NULL), BAL_MED);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "idnat-format");
	assert_string_equal(row_get(&row, COL_RPPS), "");
	findings_free(&f);
	map_free(m);

	/* the same with a rule that keeps the person PER: one finding for two columns */
	rules[2].type = BAL_PER;
	m = map_new(&c, &err);
	assert_non_null(m);
	assert_int_equal(map_attrs(m, &row, &f, "uid=z,dc=x", "employeeNumber", "8100010453678",
				   NULL), BAL_PER);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "idnat-format");
	assert_int_equal(f.v[0].col, COL_RPPS);
	assert_string_equal(f.v[0].value, "8100010453678");
	findings_free(&f);
	row_free(&row);
	map_free(m);
}

static void test_trace(void **state)
{
	struct conf_bal_rule rules[] = {
		{ .name = "per-rpps", .type = BAL_PER, .if_column = "rpps" },
		{ .name = "int-title", .type = BAL_INT, .if_attribute = "title",
		  .if_match = "/^interne/i" },
		{ .name = "med", .type = BAL_MED },
	};
	struct conf_table t;
	struct config c;
	struct mapper *m;
	struct findings f = { 0 };
	struct entry e = { 0 };
	struct row row = { 0 };
	struct map_trace tr = { 0 };
	struct map_extra x = { .trace = &tr };
	char *err = NULL;

	(void)state;
	table_config(&c, &t, NULL);
	c.rules = rules;
	c.nrules = 3;
	c.map[COL_RPPS] = "{employeeNumber|idnat:rpps}";
	c.map[COL_PROFESSION] = "{title|table:profession}";
	c.type_map[BAL_INT][COL_PROFESSION] = "";
	m = map_new(&c, &err);
	assert_non_null(m);
	e.dn = xstrdup("uid=t,dc=x");
	add(&e, "employeeNumber", "0012600631");
	add(&e, "title", "Interne IDE");
	add(&e, "title", "Infirmière");
	add(&e, "sn", "Martin");
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, &x), BAL_INT);
	assert_string_equal(tr.col[COL_RPPS].buf,
			    "template (map): {employeeNumber|idnat:rpps}\n"
			    "    employeeNumber: \"0012600631\"\n"
			    "    idnat:rpps -> \"\"\n"
			    "cell: empty (NC for INT)\n");
	assert_string_equal(tr.col[COL_PROFESSION].buf,
			    "template (map): {title|table:profession}\n"
			    "    title: \"Interne IDE\", \"Infirmière\"\n"
			    "    table \"profession\": \"interne ide\" matches key /^interne/ "
			    "(/etc/ms.conf:16)\n"
			    "    table:profession -> \"\"\n"
			    "template (map-type \"INT\", for this type): \"\" (empty)\n"
			    "cell: empty\n");
	assert_string_equal(tr.col[COL_NOM].buf,
			    "template (map): {sn|upper}\n"
			    "    sn: \"Martin\"\n"
			    "    upper -> \"MARTIN\"\n"
			    "cell: \"MARTIN\"\n");
	assert_string_equal(tr.col[COL_SERVICE].buf, "no template (map): empty\ncell: empty\n");
	assert_string_equal(tr.rules.buf,
			    "bal-rule \"per-rpps\" (type PER)\n"
			    "  if-column \"rpps\": cell \"\" -> no\n"
			    "  does not hold\n"
			    "bal-rule \"int-title\" (type INT)\n"
			    "  if-attribute \"title\" if-match \"/^interne/i\": \"Interne IDE\", "
			    "\"Infirmière\" -> yes\n"
			    "  holds\n"
			    "type INT, from bal-rule \"int-title\"\n");
	map_trace_free(&tr);
	row_free(&row);
	entry_free(&e);
	findings_free(&f);
	map_free(m);
}

/* "||": the chain after it when the one before gives nothing */
static void test_or_chain(void **state)
{
	struct entry e = { 0 };

	(void)state;
	add(&e, "title", "Cadre de santé");
	add(&e, "sn", "Martin");
	check_expand("{title|match:/^interne (.*)/||sn|upper}", &e, NULL, "MARTIN");
	check_expand("{title|match:/^cadre/i||sn|upper}", &e, NULL, "Cadre");
	check_expand("{missing||sn}", &e, NULL, "Martin");
	check_expand("{missing||other||title|lower}", &e, NULL, "cadre de santé");
	check_expand("{missing|default:x||sn}", &e, NULL, "x");
	check_expand("<{missing||other}>", &e, NULL, "<>");
	check_expand("{missing/sn|upper||title}", &e, NULL, "MARTIN");
	check_expand("{title|replace:/[|][|]/X/g||sn}", &e, NULL, "Cadre de santé");
	check_compile_error("{sn||}", "position 6: bad attribute name ''");
	check_compile_error("{sn|||x}", "position 6: bad attribute name ''");
	check_compile_error("{sn||x", "position 1: '{' is not closed");
	check_compile_error("{sn||x|nope}", "position 8: unknown transform 'nope'");
	entry_free(&e);
}

/* A national directory of three people, for the national:FIELD tests. */
static const struct nat_profession prof_medecin[] = {
	{ { "10", "Médecin" }, { "C", "Civil" } },
};
static const struct nat_profession prof_diet[] = {
	{ { "95", "Diététicien" }, { "C", "Civil" } },
};
static const struct nat_profession prof_odd[] = {
	{ { "99", "Herboriste" }, { "C", "Civil" } },
};
static const struct nat_savoir_faire sf_martin[] = {
	{ { "CAPA", "Capacité" }, { "CAPA07", "Gérontologie" } },
	{ { "S", "Spécialité ordinale" }, { "SM04", "Cardiologie et maladies vasculaires" } },
};
static const struct nat_mssante mss_martin[] = {
	{ "hmartin@medecin.mssante.fr", "PER", "", "", "", "" },
	{ "helene.martin@CHU-Exemple.mssante.fr", "PER", "1", "1340780477", "", "" },
};
static const struct nat_person nat_people[] = {
	{ .type = NAT_RPPS, .id = "10003456018", .idnat = "810003456018", .in_extract = true,
	  .civilite_exercice = { "DR", "Docteur" }, .civilite = { "MME", "Madame" },
	  .nom = "MARTIN", .prenom = "HÉLÈNE", .professions = prof_medecin, .nprofessions = 1,
	  .savoir_faire = sf_martin, .nsavoir_faire = 2, .mssante = mss_martin, .nmssante = 2 },
	{ .type = NAT_ADELI, .id = "349500124", .idnat = "0349500124", .in_extract = true,
	  .civilite_exercice = { "", "" }, .civilite = { "MME", "Madame" },
	  .nom = "ROUX", .prenom = "AMÉLIE", .professions = prof_diet, .nprofessions = 1 },
	{ .type = NAT_RPPS, .id = "10003456026", .idnat = "810003456026", .in_extract = true,
	  .civilite_exercice = { "XX", "Mage" }, .civilite = { "M", "Monsieur" },
	  .nom = "DUPONT", .prenom = "FRANÇOIS", .professions = prof_odd, .nprofessions = 1 },
};

static const struct nat_person *fake_find(void *arg, enum nat_id_type t, const char *id)
{
	(*(int *)arg)++;
	for (size_t i = 0; i < ARRAY_SIZE(nat_people); i++)
		if (nat_people[i].type == t && strcmp(nat_people[i].id, id) == 0)
			return &nat_people[i];
	return NULL;
}

/* The checker's lists, as far as these tests need them. */
static char *fake_list(void *arg, const char *list, const char *v)
{
	static const char *const known[][3] = {
		{ "profession", "10", "Médecin" }, { "profession", "95", "Diététicien" },
		{ "specialite", "SM04", "Cardiologie et Maladies vasculaires (SM)" },
		{ "civilite-exercice", "DR", "Docteur" },
		{ "civilite-exercice", "Mage", "Mage (added)" },
	};

	(void)arg;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (strcmp(known[i][0], list) == 0 && strcmp(known[i][1], v) == 0)
			return xstrdup(known[i][2]);
	return NULL;
}

static struct conf_national nat_conf(char **domains, size_t n)
{
	return (struct conf_national){ .extract = "x", .index = "y",
				       .mssante_domains = domains, .nmssante_domains = n };
}

/* {national:FIELD}: the record of the RPPS cell, else of the ADELI cell; fields translated
 * to the code lists; the chain after || when the directory is silent */
static void test_national_fields(void **state)
{
	struct conf_bal_rule rules[] = {
		{ .name = "per", .type = BAL_PER, .if_column = "rpps" },
		{ .name = "per-adeli", .type = BAL_PER, .if_column = "adeli" },
		{ .name = "int", .type = BAL_INT },
	};
	char *domains[] = { "chu-exemple.mssante.fr", NULL };
	struct conf_national nc = nat_conf(domains, 1);
	struct config c;
	struct mapper *m;
	struct findings f = { 0 };
	struct row row = { 0 };
	struct map_stats *s = map_stats_new();
	int calls = 0;
	struct map_national nat = { fake_find, fake_list, &calls, NULL };
	struct map_extra x = { .stats = s, .national = &nat };
	struct entry e = { 0 };
	struct map_unmatched *u = NULL;
	char *err = NULL;

	(void)state;
	with_rules(&c, rules);
	c.national = &nc;
	c.map[COL_PROFESSION] = "{title|match:/^(Médecin|Infirmier)$/||national:profession}";
	c.map[COL_SPECIALITE] = "{national:specialite}";
	c.map[COL_CIVILITE] = "{civ/national:civilite-exercice}";
	c.map[COL_PRENOM] = "{givenName||national:prenom}";
	c.map[COL_SERVICE] = "{national:savoir-faire}";
	c.map[COL_MSSANTE] = "{national:mssante-local}";
	c.map[COL_APICRYPT] = "{national:mssante|lower}";
	c.map[COL_DESCRIPTION] = "{national:nom}";
	c.type_map[BAL_INT][COL_PROFESSION] = "{national:profession||title}";
	m = map_new(&c, &err);
	if (!m)
		fail_msg("%s", err);
	e.dn = xstrdup("uid=hm,dc=x");
	add(&e, "rpps", "10003456018");
	add(&e, "adeli", "349500124");
	add(&e, "title", "Cheffe de service");
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, &x), BAL_PER);
	assert_ptr_equal(nat.person, &nat_people[0]);     /* the RPPS wins */
	assert_int_equal(calls, 1);
	assert_string_equal(row_get(&row, COL_PROFESSION), "Médecin");
	assert_string_equal(row_get(&row, COL_SPECIALITE), "Cardiologie et Maladies vasculaires "
			    "(SM)");
	assert_string_equal(row_get(&row, COL_PRENOM), "HÉLÈNE");
	assert_string_equal(row_get(&row, COL_SERVICE), "Cardiologie et maladies vasculaires");
	assert_string_equal(row_get(&row, COL_MSSANTE), "helene.martin");
	assert_string_equal(row_get(&row, COL_APICRYPT), "hmartin@medecin.mssante.fr");
	/* NC for PER: cleared, whatever the record says */
	assert_string_equal(row_get(&row, COL_CIVILITE), "");
	assert_string_equal(row_get(&row, COL_DESCRIPTION), "");
	assert_int_equal(f.n, 0);
	entry_free(&e);

	/* the directory speaks first; an RPPS the directory does not know: the ADELI's */
	memset(&e, 0, sizeof(e));
	e.dn = xstrdup("uid=ar,dc=x");
	add(&e, "rpps", "10000000009");
	add(&e, "adeli", "349500124");
	add(&e, "title", "Infirmier");
	add(&e, "givenName", "Amélie");
	calls = 0;
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, &x), BAL_PER);
	assert_ptr_equal(nat.person, &nat_people[1]);
	assert_int_equal(calls, 2);
	assert_string_equal(row_get(&row, COL_PROFESSION), "Infirmier");
	assert_string_equal(row_get(&row, COL_PRENOM), "Amélie");
	assert_string_equal(row_get(&row, COL_SPECIALITE), "");
	assert_string_equal(row_get(&row, COL_MSSANTE), "");    /* no address in the domain */
	entry_free(&e);

	/* unknown to the national directory: the fields are empty, the next chain speaks */
	memset(&e, 0, sizeof(e));
	e.dn = xstrdup("uid=nobody,dc=x");
	add(&e, "title", "Cadre");
	calls = 0;
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, &x), BAL_INT);
	assert_null(nat.person);
	assert_int_equal(calls, 0);      /* no RPPS, no ADELI: no look-up */
	assert_string_equal(row_get(&row, COL_PROFESSION), "Cadre");
	entry_free(&e);

	/* a label of no list value: empty, and listed as unmatched (national-unmatched off) */
	memset(&e, 0, sizeof(e));
	e.dn = xstrdup("uid=fd,dc=x");
	add(&e, "rpps", "10003456026");
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, &x), BAL_PER);
	assert_string_equal(row_get(&row, COL_PROFESSION), "");
	assert_int_equal(f.n, 0);
	assert_int_equal(map_stats_unmatched(s, &u), 1);
	assert_string_equal(u[0].table, "national:profession");
	assert_string_equal(u[0].value, "99 - Herboriste");
	assert_string_equal(u[0].example, "uid=fd,dc=x");
	free(u);
	entry_free(&e);
	/* without the extra, national fields give nothing */
	memset(&e, 0, sizeof(e));
	e.dn = xstrdup("uid=hm,dc=x");
	add(&e, "rpps", "10003456018");
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, NULL), BAL_PER);
	assert_string_equal(row_get(&row, COL_PROFESSION), "");
	entry_free(&e);
	row_free(&row);
	findings_free(&f);
	map_free(m);
	map_stats_free(s);
}

/* INT: the record is found before RPPS is cleared (NC); map-type may set RPPS again */
static void test_national_int(void **state)
{
	const char *sev_rule[] = { "national-unmatched" };
	enum severity sev_value[] = { SEV_WARNING };
	struct conf_bal_rule rules[] = { { .name = "int", .type = BAL_INT } };
	struct conf_national nc = nat_conf(NULL, 0);
	struct config c;
	struct mapper *m;
	struct findings f = { 0 };
	struct row row = { 0 };
	int calls = 0;
	struct map_national nat = { fake_find, fake_list, &calls, NULL };
	struct map_trace tr = { 0 };
	struct map_extra x = { .trace = &tr, .national = &nat };
	struct entry e = { 0 };
	char *err = NULL;

	(void)state;
	with_rules(&c, rules);
	c.national = &nc;
	c.sev_rule = (char **)sev_rule;
	c.sev_value = sev_value;
	c.nsev = 1;
	c.map[COL_CIVILITE] = "{civ/national:civilite-exercice}";
	c.type_map[BAL_INT][COL_RPPS] = "{other}";
	m = map_new(&c, &err);
	if (!m)
		fail_msg("%s", err);
	e.dn = xstrdup("uid=int,dc=x");
	add(&e, "rpps", "10003456018");
	add(&e, "other", "10003456026");
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, &x), BAL_INT);
	/* the map's RPPS found MARTIN, map-type's DUPONT, whose civilité is no list value */
	assert_ptr_equal(nat.person, &nat_people[2]);
	assert_string_equal(row_get(&row, COL_RPPS), "");
	assert_string_equal(row_get(&row, COL_CIVILITE), "Docteur");
	assert_int_equal(f.n, 0);
	assert_string_equal(tr.national.buf,
			    "RPPS \"10003456018\": MARTIN HÉLÈNE in the national directory\n"
			    "RPPS \"10003456026\": DUPONT FRANÇOIS in the national directory\n");
	assert_string_equal(tr.col[COL_CIVILITE].buf,
			    "template (map): {civ/national:civilite-exercice}\n"
			    "    civ: no value\n"
			    "    national:civilite-exercice (RPPS 10003456018): \"DR\" \"Docteur\" -> "
			    "\"Docteur\"\n"
			    "cell: \"Docteur\"\n");
	map_trace_free(&tr);
	/* the civilité template of the type reads the record map-type found */
	c.type_map[BAL_INT][COL_CIVILITE] = "{national:civilite-exercice}";
	map_free(m);
	m = map_new(&c, &err);
	assert_non_null(m);
	memset(&tr, 0, sizeof(tr));
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, &x), BAL_INT);
	assert_string_equal(row_get(&row, COL_CIVILITE), "Mage (added)");
	assert_int_equal(f.n, 0);
	/* an RPPS of no record: nothing found, said in the trace */
	entry_free(&e);
	memset(&e, 0, sizeof(e));
	e.dn = xstrdup("uid=int2,dc=x");
	add(&e, "other", "10000000009");
	map_trace_free(&tr);
	memset(&tr, 0, sizeof(tr));
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, &x), BAL_INT);
	assert_null(nat.person);
	assert_string_equal(tr.national.buf,
			    "no RPPS or ADELI cell: no national record\n"
			    "RPPS \"10000000009\": not in the national directory\n");
	map_trace_free(&tr);
	entry_free(&e);
	row_free(&row);
	findings_free(&f);
	map_free(m);
}

/* national-unmatched raised: a finding on the cell */
static void test_national_unmatched_finding(void **state)
{
	const char *sev_rule[] = { "national-unmatched" };
	enum severity sev_value[] = { SEV_WARNING };
	struct conf_bal_rule rules[] = { { .name = "int", .type = BAL_INT } };
	struct conf_national nc = nat_conf(NULL, 0);
	struct config c;
	struct mapper *m;
	struct findings f = { 0 };
	struct row row = { 0 };
	int calls = 0;
	struct map_national nat = { fake_find, NULL, &calls, NULL };
	struct map_extra x = { .national = &nat };
	struct entry e = { 0 };
	char *err = NULL;

	(void)state;
	with_rules(&c, rules);
	c.national = &nc;
	c.sev_rule = (char **)sev_rule;
	c.sev_value = sev_value;
	c.nsev = 1;
	c.map[COL_PROFESSION] = "{national:profession}";
	m = map_new(&c, &err);
	assert_non_null(m);
	e.dn = xstrdup("uid=fd,dc=x");
	add(&e, "rpps", "10003456026");
	/* without list_value, the label as the extract writes it */
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, &x), BAL_INT);
	assert_string_equal(row_get(&row, COL_PROFESSION), "Herboriste");
	assert_int_equal(f.n, 0);
	nat.list_value = fake_list;
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, &x), BAL_INT);
	assert_string_equal(row_get(&row, COL_PROFESSION), "");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "national-unmatched");
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	assert_int_equal(f.v[0].col, COL_PROFESSION);
	assert_string_equal(f.v[0].value, "99 - Herboriste");
	assert_string_equal(f.v[0].message, "RPPS 10003456026: \"99 - Herboriste\" of the "
			    "national directory is no value of the profession list");
	entry_free(&e);
	row_free(&row);
	findings_free(&f);
	map_free(m);
}

/* where {national:FIELD} cannot be read: configuration errors with the template's line */
static void test_national_errors(void **state)
{
	struct conf_national nc = nat_conf(NULL, 0);
	struct config c;
	char *err = NULL;

	(void)state;
	base_config(&c);
	c.path = "/etc/ms.conf";
	c.map[COL_PROFESSION] = "{title||national:profession}";
	c.map_line[COL_PROFESSION] = 12;
	assert_null(map_new(&c, &err));
	assert_string_equal(err, "/etc/ms.conf:12: map.profession: position 9: "
			    "national:profession needs a national-directory section");
	free(err);
	c.national = &nc;
	c.map[COL_RPPS] = "{rpps/national:nom}";
	c.map_line[COL_RPPS] = 7;
	c.org.nom = "{national:nom}";
	c.org.line[MAP_ORG_NOM] = 30;
	c.org.responsible_profession = "{national:profession}";
	c.map[COL_MSSANTE] = "{national:mssante-local}";
	c.map[COL_TEL2] = "{national:telephone}";
	assert_null(map_new(&c, &err));
	assert_string_equal(err, "/etc/ms.conf:7: map.rpps: position 7: national:nom: the "
			    "national record is found by the RPPS and ADELI cells, whose "
			    "templates cannot read it\n"
			    "/etc/ms.conf: map.telephone-2: position 2: unknown national directory "
			    "field 'telephone' (profession, specialite, savoir-faire, "
			    "civilite-exercice, nom, prenom, mssante, mssante-local)\n"
			    "/etc/ms.conf: map.mssante-adresse: position 2: national:mssante-local "
			    "needs mssante-domains in the national-directory section (the "
			    "establishment's MSSanté domains)\n"
			    "/etc/ms.conf:30: org.nom: position 2: national:nom: a group has no "
			    "national record (the responsible-* templates read the responsible's)");
	free(err);
}

static void test_stats_coverage(void **state)
{
	struct map_stats *s = map_stats_new();
	struct row r = { 0 };
	size_t filled, empty;
	struct map_unmatched *u = (void *)1;

	(void)state;
	row_set(&r, COL_MAIL, "a@b.fr");
	map_stats_add_row(s, &r, BAL_PER);
	map_stats_add_row(s, &r, BAL_PER);
	row_set(&r, COL_MAIL, NULL);
	map_stats_add_row(s, &r, BAL_PER);
	map_stats_add_row(s, &r, BAL_ORG);
	map_stats_add_row(s, &r, BAL_NONE);      /* ignored */
	map_stats_coverage(s, BAL_PER, COL_MAIL, &filled, &empty);
	assert_int_equal(filled, 2);
	assert_int_equal(empty, 1);
	map_stats_coverage(s, BAL_ORG, COL_MAIL, &filled, &empty);
	assert_int_equal(filled, 0);
	assert_int_equal(empty, 1);
	map_stats_coverage(s, BAL_MED, COL_NOM, &filled, &empty);
	assert_int_equal(filled + empty, 0);
	map_stats_coverage(s, BAL_NONE, COL_NOM, &filled, &empty);
	assert_int_equal(filled + empty, 0);
	assert_int_equal(map_stats_unmatched(s, &u), 0);
	assert_null(u);
	row_free(&r);
	map_stats_free(s);
}

/* map_new's errors carry the file and the line of the option when the config has them. */
static void test_map_new_lines(void **state)
{
	struct config c;
	char *err = NULL;

	(void)state;
	base_config(&c);
	c.path = "/etc/ms.conf";
	c.map[COL_NOM] = "{sn|uper}";
	c.map_line[COL_NOM] = 12;
	c.map[COL_MAIL] = "{mail|";         /* a default would have no line */
	c.type_map[BAL_INT][COL_CIVILITE] = "{civ|date:x}";
	c.type_map_line[BAL_INT][COL_CIVILITE] = 30;
	c.org.description = "{description";
	c.org.line[MAP_ORG_DESCRIPTION] = 44;
	assert_null(map_new(&c, &err));
	assert_string_equal(err, "/etc/ms.conf: map.adresse-mail: position 1: '{' is not closed\n"
			    "/etc/ms.conf:12: map.nom: position 5: unknown transform 'uper'\n"
			    "/etc/ms.conf:30: map-type \"INT\": civilite-exercice: position 6: "
			    "unknown date form 'x' (auto, gentime, ad, days, unix, iso, dmy)\n"
			    "/etc/ms.conf:44: org.description: position 1: '{' is not closed");
	free(err);
}

/* A source file of the tree, whole (NUL-terminated); allocated. */
static char *read_text(const char *path)
{
	FILE *fp = fopen(path, "r");
	struct strbuf sb = { 0 };
	char buf[4096];
	size_t n;

	assert_non_null(fp);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		sb_addn(&sb, buf, n);
	fclose(fp);
	return sb_steal(&sb);
}

/* One copy of each rule: every rule id the mapper and validate report is in check_rules[],
 * with the table's default severity, and severity = reaches it. */
static void test_rule_ids_in_table(void **state)
{
	struct conf_bal_rule rules[] = { { .name = "med", .type = BAL_MED,
					   .if_attribute = "kind" } };
	const char *sev_rule[] = { "phone-format", "no-bal-rule", "invalid-utf8", "csv-quote" };
	enum severity sev_value[] = { SEV_WARNING, SEV_WARNING, SEV_OFF, SEV_WARNING };
	static const char bad[] = "\xff";
	struct entry e = { 0 };
	struct config c;
	struct checker *ck;
	struct mapper *m;
	struct findings f = { 0 };
	struct row row = { 0 };
	char *err = NULL, *text, *p;
	size_t n = 0;

	(void)state;
	for (int k = 0; k < MF_N; k++) {
		const struct check_rule_info *r = check_rule_find(map_mf_rules[k]);

		assert_non_null(r);
		assert_int_equal(map_mf_default((enum mf)k), r->sev);
	}
	assert_int_equal(map_mf_default(MF_PHONE), SEV_ERROR);
	assert_int_equal(map_mf_default(MF_DATE), SEV_ERROR);
	/* validate.c: the rule of every report_rule() call */
	text = read_text(MS_TOP_SRCDIR "/src/validate.c");
	for (p = strstr(text, "report_rule(vs,"); p; p = strstr(p + 1, "report_rule(vs,")) {
		char *q = strchr(p, '"'), *id;

		assert_non_null(q);
		id = strndup(q + 1, strcspn(q + 1, "\""));
		if (check_rule_find(id) == NULL)
			fail_msg("validate.c reports \"%s\", which is not in check_rules[]", id);
		free(id);
		n++;
	}
	assert_true(n >= 6);
	free(text);
	/* severity = reaches them: in the mapper and in the checker */
	with_rules(&c, rules);
	c.sev_rule = (char **)sev_rule;
	c.sev_value = sev_value;
	c.nsev = 4;
	c.map[COL_SERVICE] = "{tel|phone}{raw}";
	m = map_new(&c, &err);
	assert_non_null(m);
	add(&e, "tel", "12");
	entry_add_value(&e, "raw", bad, 1);
	assert_int_equal(map_person(m, &e, NULL, NULL, NULL, &row, &f, NULL), BAL_NONE);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].rule, "no-bal-rule");
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	assert_string_equal(f.v[1].rule, "phone-format");     /* invalid-utf8 is off */
	assert_int_equal(f.v[1].sev, SEV_WARNING);
	ck = check_new(&c, &err);
	assert_non_null(ck);
	assert_int_equal(check_severity(ck, "csv-quote"), SEV_WARNING);
	assert_int_equal(check_severity(ck, "invalid-utf8"), SEV_OFF);
	assert_int_equal(check_severity(ck, "date-format"), SEV_ERROR);
	check_free(ck);
	findings_free(&f);
	row_free(&row);
	entry_free(&e);
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
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_match_utf8),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_regex_errors),
		cmocka_unit_test(test_value_too_long),
		cmocka_unit_test(test_idnat),
		cmocka_unit_test(test_idnat_finding),
		cmocka_unit_test(test_date_forms),
		cmocka_unit_test(test_date_form_names),
		cmocka_unit_test(test_date_transform_forms),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_unmatched),
		cmocka_unit_test(test_table_errors),
		cmocka_unit_test(test_map_type),
		cmocka_unit_test(test_rules_patterns),
		cmocka_unit_test(test_severity_overrides),
		cmocka_unit_test(test_idnat_dedupe),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_stats_coverage),
		cmocka_unit_test(test_or_chain),
		cmocka_unit_test(test_national_fields),
		cmocka_unit_test(test_national_int),
		cmocka_unit_test(test_national_unmatched_finding),
		cmocka_unit_test(test_national_errors),
		cmocka_unit_test(test_map_new_lines),
		cmocka_unit_test(test_rule_ids_in_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
