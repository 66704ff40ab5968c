/* test_orgrows.c - cmocka unit tests for the rows of ORG mailboxes (orgrows.c), built from a
 * group entry, the people's accounts and their membership, without a server. The expected
 * values come from medimail-sync.conf(5) (SECTION org, the rules under severity) and the
 * configuration in accenv.h. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accenv.h"
#include "orgrows.h"
#include "source.h"

#define NOW 1718013600LL          /* 2024-06-10 10:00 UTC */
#define P "ou=people,dc=x"
#define G "ou=groups,dc=x"
#define ORG "cn=org-urgences," G
#define RITA "uid=rita," P

/* The people: the index ids are the positions. rita is the responsible. */
enum { ANN, BOB, CID, DEE, ELI, FAY, RITA_ID, NPEOPLE };
static const struct {
	const char *uid;
	enum bal_type type;
	bool rejected, disabled;
	long long end_time;
} people[NPEOPLE] = {
	[ANN] = { "ann", BAL_PER, false, false, 0 },
	[BOB] = { "bob", BAL_MED, false, false, NOW + 86400 },     /* ends tomorrow */
	[CID] = { "cid", BAL_PER, true, false, 0 },                /* rejected */
	[DEE] = { "dee", BAL_INT, false, true, 0 },                /* disabled */
	[ELI] = { "eli", BAL_PER, false, false, NOW - 86400 },     /* ended yesterday */
	[FAY] = { "fay", BAL_PER, false, false, 0 },               /* through a nested group */
	[RITA_ID] = { "rita", BAL_PER, false, false, 0 },
};

struct orgfix {
	struct accenv t;
	struct account acc[NPEOPLE + 1];   /* the people, then the ORG mailbox */
	struct hmap *owners;
	struct orgrows_people p;
};

/* The people's accounts and their membership: ORG holds everyone but rita and fay, and the
 * group cn=sub, which holds fay. rita's entry is kept as a responsible's, with rpps (may be
 * NULL). */
static void setup(struct orgfix *x, const char *extra, const char *rpps)
{
	struct entry *re = xcalloc(1, sizeof(*re));
	char *ndn;

	accenv_open(&x->t, extra, NOW);
	memset(x->acc, 0, sizeof(x->acc));
	org_add_group(x->t.env.idx, ORG);
	org_add_member(x->t.env.idx, "cn=sub," G, ORG_MEMBER_DN, "uid=fay," P);
	for (size_t i = 0; i < NPEOPLE; i++) {
		struct account *a = &x->acc[i];
		char *mail = xasprintf("%s@chu.fr", people[i].uid);

		a->dn = xasprintf("uid=%s," P, people[i].uid);
		a->type = people[i].type;
		a->rejected = people[i].rejected;
		a->disabled = people[i].disabled;
		a->end_time = people[i].end_time;
		row_take(&a->row, COL_MAIL, mail);
		org_add_person(x->t.env.idx, a->dn, people[i].uid, i);
		if (i != FAY && i != RITA_ID)
			org_add_member(x->t.env.idx, ORG, ORG_MEMBER_DN, a->dn);
	}
	org_add_member(x->t.env.idx, ORG, ORG_MEMBER_DN, "cn=sub," G);
	accenv_entry(re, RITA, "sn", "Roux", "givenName", "Rita", "profession", "Médecin", NULL);
	if (rpps)
		entry_add_value(re, "rpps", rpps, strlen(rpps));
	x->owners = hmap_new(false);
	ndn = dn_normalise(RITA);
	hmap_put(x->owners, ndn, re);
	free(ndn);
	x->p = (struct orgrows_people){ x->acc, NPEOPLE, x->owners };
}

static void teardown(struct orgfix *x)
{
	for (size_t i = 0; i <= NPEOPLE; i++)
		account_free(&x->acc[i]);
	source_owners_free(x->owners);
	accenv_close(&x->t);
}

/* The ORG mailbox of group entry g (its attributes: name/value pairs, NULL-terminated). */
static struct account *build(struct orgfix *x, ...)
{
	struct account *a = &x->acc[NPEOPLE];
	struct entry g = { 0 };
	va_list ap;
	const char *name;

	account_free(a);
	memset(a, 0, sizeof(*a));
	findings_free(&x->t.f);
	g.dn = xstrdup(ORG);
	va_start(ap, x);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		entry_add_value(&g, name, v, strlen(v));
	}
	va_end(ap);
	orgrows_account(&x->t.env, &x->p, &x->t.c->directories[0], &g, a, &x->t.f, NULL);
	entry_free(&g);
	return a;
}

#define GROUP "entryUUID", "g-1", "cn", "org-urgences", "mail", "org-urgences@chu.fr"

static void test_members(void **state)
{
	struct orgfix *x = *state;
	struct account *a;
	const struct finding *f;

	a = build(x, GROUP, "owner", RITA, NULL);
	assert_int_equal(a->type, BAL_ORG);
	assert_string_equal(a->key, "g-1");
	assert_string_equal(a->dn, ORG);
	assert_string_equal(a->source, "annuaire");
	/* the org templates' defaults, read on the group */
	assert_string_equal(row_get(&a->row, COL_MAIL), "org-urgences@chu.fr");
	assert_string_equal(row_get(&a->row, COL_NOM), "ORG-URGENCES");
	assert_string_equal(row_get(&a->row, COL_PRENOM), "CHU d'Exemple");
	assert_string_equal(row_get(&a->row, COL_DESCRIPTION), "org-urgences");
	/* the structure's cells through the people's templates */
	assert_string_equal(row_get(&a->row, COL_CP), "34000");
	assert_string_equal(row_get(&a->row, COL_VILLE), "MONTPELLIER");
	assert_string_equal(row_get(&a->row, COL_TYPE_ID_STRUCT), "FINESS");
	assert_string_equal(row_get(&a->row, COL_ID_STRUCT), "340780477");
	assert_string_equal(row_get(&a->row, COL_LIBERAL), "NON");
	assert_string_equal(row_get(&a->row, COL_TYPE_BAL), "ORG");
	/* the responsible's cells from its own entry, its profession as the ORG's */
	assert_string_equal(row_get(&a->row, COL_NOM_RESP), "ROUX");
	assert_string_equal(row_get(&a->row, COL_PRENOM_RESP), "Rita");
	assert_string_equal(row_get(&a->row, COL_PROFESSION_RESP), "Médecin");
	assert_string_equal(row_get(&a->row, COL_ID_RESP), "10001045367");
	assert_string_equal(row_get(&a->row, COL_PROFESSION), "Médecin");
	/* connexion accounts: ann, bob (ends tomorrow: still valid) and fay (nested), sorted;
	 * cid (rejected), dee (disabled) and eli (ended) are excluded with a warning each */
	assert_string_equal(row_get(&a->row, COL_CONNEXION), "ann@chu.fr;bob@chu.fr;fay@chu.fr");
	assert_int_equal(x->t.f.n, 3);
	assert_int_equal(accenv_count(&x->t.f, "org-member-excluded", &f), 3);
	assert_int_equal(f->sev, SEV_WARNING);
	assert_int_equal(f->col, COL_CONNEXION);
	assert_string_equal(f->where, ORG);
	assert_string_equal(f->value, "uid=cid," P);
	assert_non_null(strstr(f->message, "is rejected in this run"));
	assert_string_equal(x->t.f.v[1].value, "uid=dee," P);
	assert_non_null(strstr(x->t.f.v[1].message, "is disabled"));
	assert_string_equal(x->t.f.v[2].value, "uid=eli," P);
	assert_non_null(strstr(x->t.f.v[2].message, "is disabled"));
	assert_false(a->rejected);

	/* a member that is not a nominative account (an ORG) is excluded too */
	x->acc[ANN].type = BAL_ORG;
	a = build(x, GROUP, "owner", RITA, NULL);
	assert_string_equal(row_get(&a->row, COL_CONNEXION), "bob@chu.fr;fay@chu.fr");
	assert_int_equal(accenv_count(&x->t.f, "org-member-excluded", &f), 4);
	assert_string_equal(f->value, "uid=ann," P);
	assert_non_null(strstr(f->message, "is not a PER, INT or MED account"));
	assert_false(a->rejected);
}

static void test_no_responsible(void **state)
{
	struct orgfix *x = *state;
	struct account *a;
	const struct finding *f;

	a = build(x, GROUP, NULL);
	assert_int_equal(accenv_count(&x->t.f, "org-no-responsible", &f), 1);
	assert_int_equal(f->sev, SEV_ERROR);
	assert_int_equal(f->col, COL_NOM_RESP);
	assert_null(f->value);
	assert_non_null(strstr(f->message, "owner"));   /* openldap's owner-attribute */
	assert_string_equal(row_get(&a->row, COL_NOM_RESP), "");
	assert_true(a->rejected);

	/* an owner that is not a person read */
	a = build(x, GROUP, "owner", "uid=zoe," P, NULL);
	assert_int_equal(accenv_count(&x->t.f, "org-responsible-unknown", &f), 1);
	assert_int_equal(f->sev, SEV_ERROR);
	assert_string_equal(f->value, "uid=zoe," P);
	assert_true(a->rejected);
	teardown(x);

	/* org.default-owner stands for a missing owner */
	setup(x, "org {\n default-owner = \"" RITA "\"\n}", "10001045367");
	a = build(x, GROUP, NULL);
	assert_int_equal(accenv_count(&x->t.f, "org-no-responsible", NULL), 0);
	assert_string_equal(row_get(&a->row, COL_NOM_RESP), "ROUX");
	assert_false(a->rejected);
}

static void test_responsible_without_rpps(void **state)
{
	struct orgfix *x = *state;
	struct account *a;
	const struct finding *f;

	teardown(x);
	setup(x, "", NULL);
	a = build(x, GROUP, "owner", RITA, NULL);
	assert_string_equal(row_get(&a->row, COL_ID_RESP), "");
	assert_string_equal(row_get(&a->row, COL_NOM_RESP), "ROUX");
	assert_int_equal(accenv_count(&x->t.f, "org-responsible-rpps", &f), 1);
	assert_int_equal(f->sev, SEV_ERROR);
	assert_int_equal(f->col, COL_ID_RESP);
	assert_string_equal(f->value, RITA);
	assert_non_null(strstr(f->message, RITA));
	assert_true(a->rejected);
	teardown(x);

	/* an RPPS with a wrong Luhn key is no better (10001045368: sum 21) */
	setup(x, "", "10001045368");
	a = build(x, GROUP, "owner", RITA, NULL);
	assert_int_equal(accenv_count(&x->t.f, "org-responsible-rpps", NULL), 1);
	assert_true(a->rejected);
}

static void test_personal_address(void **state)
{
	struct orgfix *x = *state;
	struct account *a;
	const struct finding *f;

	/* the group's mail is ann's own */
	a = build(x, "entryUUID", "g-1", "cn", "org-urgences", "mail", "Ann@chu.fr",
		  "owner", RITA, NULL);
	assert_string_equal(row_get(&a->row, COL_MAIL), "ann@chu.fr");   /* |lower */
	assert_int_equal(accenv_count(&x->t.f, "org-mail-personal", &f), 1);
	assert_int_equal(f->sev, SEV_ERROR);
	assert_int_equal(f->col, COL_MAIL);
	assert_string_equal(f->value, "ann@chu.fr");
	assert_true(a->rejected);

	/* and lowered to a warning, the same row is kept */
	teardown(x);
	setup(x, "severity = { \"org-mail-personal:warning\" }", "10001045367");
	a = build(x, "entryUUID", "g-1", "cn", "org-urgences", "mail", "ann@chu.fr",
		  "owner", RITA, NULL);
	assert_int_equal(accenv_count(&x->t.f, "org-mail-personal", &f), 1);
	assert_int_equal(f->sev, SEV_WARNING);
	assert_false(a->rejected);
}

static void test_missing_id(void **state)
{
	struct orgfix *x = *state;
	struct account *a;
	const struct finding *f;

	a = build(x, "cn", "org-urgences", "mail", "org-urgences@chu.fr", "owner", RITA, NULL);
	assert_string_equal(a->key, "dn:" ORG);
	assert_int_equal(accenv_count(&x->t.f, "missing-id", &f), 1);
	assert_int_equal(f->sev, SEV_ERROR);
	assert_true(a->rejected);
	/* the row is built all the same */
	assert_string_equal(row_get(&a->row, COL_CONNEXION), "ann@chu.fr;bob@chu.fr;fay@chu.fr");
}

/* Each test gets the people above, rita with a valid RPPS, and the configuration of
 * accenv.h. */
static int open_fix(void **state)
{
	struct orgfix *x = xcalloc(1, sizeof(*x));

	setup(x, "", "10001045367");
	*state = x;
	return 0;
}

static int close_fix(void **state)
{
	teardown(*state);
	free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_members, open_fix, close_fix),
		cmocka_unit_test_setup_teardown(test_no_responsible, open_fix, close_fix),
		cmocka_unit_test_setup_teardown(test_responsible_without_rpps, open_fix, close_fix),
		cmocka_unit_test_setup_teardown(test_personal_address, open_fix, close_fix),
		cmocka_unit_test_setup_teardown(test_missing_id, open_fix, close_fix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
