/* test_account.c - cmocka unit tests for the accounts built from directory entries
 * (account.c): key, disabled state, end dates and mapping, without a server. The expected
 * values come from medimail-sync.conf(5) and the rules of the configuration in accenv.h. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accenv.h"

#define NOW 1718013600LL          /* 2024-06-10 10:00 UTC: day 19884 since 1970-01-01 */
#define P "ou=people,dc=x"

/* A valid PER person (RPPS 10001045367: Luhn sum 20) with what follows (name/value pairs). */
#define PERSON(uid, ...) \
	"uid=" uid "," P, "mail", uid "@chu.fr", "sn", "Martin", "givenName", "Ann", \
	"rpps", "10001045367", "profession", "Médecin", __VA_ARGS__

/* Build the account of e in a fresh account; findings in t->f. */
static void build(struct accenv *t, const struct entry *e, struct account *a)
{
	memset(a, 0, sizeof(*a));
	a->type = BAL_NONE;
	account_person(&t->env, &t->c->directories[0], e, a, &t->f);
}

static void test_key(void **state)
{
	static const unsigned char guid[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
						14, 15 };
	struct accenv *t = *state;
	struct entry e;
	struct account a;
	char *k;

	accenv_entry(&e, PERSON("ann", "entryUUID", "6b1f0d2e-0001", NULL));
	build(t, &e, &a);
	/* openldap's id-attribute is entryUUID: its value is the key */
	assert_string_equal(a.key, "6b1f0d2e-0001");
	assert_string_equal(a.dn, "uid=ann," P);
	assert_string_equal(a.source, "annuaire");
	assert_int_equal(a.type, BAL_PER);            /* bal-rule per-rpps: the RPPS cell */
	assert_false(a.rejected);
	assert_false(a.disabled);
	assert_int_equal(a.end_time, 0);
	assert_int_equal(t->f.n, 0);
	assert_string_equal(row_get(&a.row, COL_MAIL), "ann@chu.fr");
	assert_string_equal(row_get(&a.row, COL_NOM), "MARTIN");       /* {sn|trim|upper} */
	assert_string_equal(row_get(&a.row, COL_RPPS), "10001045367");
	assert_string_equal(row_get(&a.row, COL_CP), "34000");          /* the structure's */
	assert_string_equal(row_get(&a.row, COL_VILLE), "MONTPELLIER");
	assert_string_equal(row_get(&a.row, COL_DEPARTEMENT), "Hérault");   /* from CP 34 */
	assert_string_equal(row_get(&a.row, COL_REGION), "Occitanie");      /* from 34 */
	assert_string_equal(row_get(&a.row, COL_LIBERAL), "NON");
	assert_string_equal(row_get(&a.row, COL_TYPE_BAL), "PER");
	assert_string_equal(row_get(&a.row, COL_PEREMPTION), "");
	account_free(&a);
	entry_free(&e);

	/* objectGUID: 16 bytes, the first three groups little-endian */
	memset(&e, 0, sizeof(e));
	e.dn = xstrdup("cn=x");
	entry_add_value(&e, "objectGUID", (const char *)guid, sizeof(guid));
	k = account_key(&e, "objectGUID");
	assert_string_equal(k, "03020100-0504-0706-0809-0a0b0c0d0e0f");
	free(k);
	entry_free(&e);
	/* a value that is not UTF-8, or an empty one, is no key */
	accenv_entry(&e, "cn=x", "entryUUID", "\xff\xfe", "uid", "", NULL);
	assert_null(account_key(&e, "entryUUID"));
	assert_null(account_key(&e, "uid"));
	assert_null(account_key(&e, "cn"));
	entry_free(&e);
}

static void test_missing_id(void **state)
{
	struct accenv *t = *state;
	struct entry e;
	struct account a;
	const struct finding *x;

	accenv_entry(&e, PERSON("bob", NULL));
	build(t, &e, &a);
	assert_string_equal(a.key, "dn:uid=bob," P);
	assert_true(a.rejected);
	assert_int_equal(t->f.n, 1);
	assert_int_equal(accenv_count(&t->f, "missing-id", &x), 1);
	assert_int_equal(x->sev, SEV_ERROR);
	assert_int_equal(x->col, -1);
	assert_string_equal(x->where, "uid=bob," P);
	assert_non_null(strstr(x->message, "entryUUID"));
	/* the row is mapped all the same */
	assert_string_equal(row_get(&a.row, COL_MAIL), "bob@chu.fr");
	account_free(&a);
	entry_free(&e);
}

static void test_disabled(void **state)
{
	struct accenv *t = *state;
	struct entry e;
	struct account a;
	const struct finding *x;

	/* flags bit 2 set: disabled-filter holds. A leaver's data errors do not matter (no
	 * profession here): no finding, not rejected. */
	accenv_entry(&e, "uid=cat," P, "entryUUID", "u-cat", "mail", "cat@chu.fr", "sn", "Cat",
		     "givenName", "C", "flags", "514", NULL);
	build(t, &e, &a);
	assert_true(a.disabled);
	assert_false(a.rejected);
	assert_int_equal(t->f.n, 0);
	assert_int_equal(account_disabled(&t->c->directories[0], &e), 1);
	account_free(&a);
	entry_free(&e);

	/* bit 2 clear: active; openldap's disabled-attribute pwdAccountLockedTime: disabled */
	accenv_entry(&e, PERSON("dan", "entryUUID", "u-dan", "flags", "512", NULL));
	assert_int_equal(account_disabled(&t->c->directories[0], &e), 0);
	build(t, &e, &a);
	assert_false(a.disabled);
	assert_false(a.rejected);
	account_free(&a);
	entry_add_value(&e, "pwdAccountLockedTime", "20240101000000Z", 15);
	assert_int_equal(account_disabled(&t->c->directories[0], &e), 1);
	entry_free(&e);

	/* a flag word that is not a number: the filter is undefined, the entry kept out */
	accenv_entry(&e, PERSON("eve", "entryUUID", "u-eve", "flags", "abc", NULL));
	assert_int_equal(account_disabled(&t->c->directories[0], &e), -1);
	build(t, &e, &a);
	assert_false(a.disabled);
	assert_true(a.rejected);
	assert_int_equal(t->f.n, 1);
	assert_int_equal(accenv_count(&t->f, "disabled-unreadable", &x), 1);
	assert_int_equal(x->sev, SEV_ERROR);
	assert_string_equal(x->value, "flags \"abc\"");
	assert_non_null(strstr(x->message, "kept out"));
	account_free(&a);
	entry_free(&e);
}

/* The account of a valid person with shadowExpire values v1 and v2 (each may be NULL). */
static void with_end(struct accenv *t, struct account *a, const char *v1, const char *v2)
{
	struct entry e;

	accenv_entry(&e, PERSON("fay", "entryUUID", "u-fay", NULL));
	if (v1)
		entry_add_value(&e, "shadowExpire", v1, strlen(v1));
	if (v2)
		entry_add_value(&e, "shadowExpire", v2, strlen(v2));
	findings_free(&t->f);
	build(t, &e, a);
	entry_free(&e);
}

static void test_end_dates(void **state)
{
	struct accenv *t = *state;
	struct account a;
	const struct finding *x;

	/* shadowExpire counts days (end-date-format days for it): 19800 is 2024-03-18, past:
	 * leaving, so the row is not checked and no Date de péremption is written ahead */
	with_end(t, &a, "19800", NULL);
	assert_int_equal(a.end_time, 19800LL * 86400);
	assert_true(a.end_time <= NOW);
	assert_false(a.rejected);
	assert_int_equal(t->f.n, 0);
	assert_string_equal(row_get(&a.row, COL_PEREMPTION), "");
	account_free(&a);

	/* 20000 is 2024-10-04, ahead: written as Date de péremption, AA-MM-JJ */
	with_end(t, &a, "20000", NULL);
	assert_int_equal(a.end_time, 20000LL * 86400);
	assert_false(a.rejected);
	assert_int_equal(t->f.n, 0);
	assert_string_equal(row_get(&a.row, COL_PEREMPTION), "24-10-04");
	account_free(&a);

	/* the earliest value counts; 0 says never */
	with_end(t, &a, "20000", "19990");
	assert_int_equal(a.end_time, 19990LL * 86400);
	account_free(&a);
	with_end(t, &a, "0", NULL);
	assert_int_equal(a.end_time, 0);
	assert_false(a.rejected);
	account_free(&a);

	/* a YYYYMMDD typed into a count of days cannot be read: kept out (fail closed) */
	with_end(t, &a, "20261231", NULL);
	assert_int_equal(a.end_time, 0);
	assert_true(a.rejected);
	assert_int_equal(accenv_count(&t->f, "end-date-unreadable", &x), 1);
	assert_int_equal(x->sev, SEV_ERROR);
	assert_int_equal(x->col, COL_PEREMPTION);
	assert_string_equal(x->value, "20261231");
	assert_non_null(strstr(x->message, "kept out"));
	account_free(&a);
	accenv_close(t);

	/* lowered to a warning: said, the end date ignored, the person kept */
	accenv_open(t, "severity = { \"end-date-unreadable:warning\" }", NOW);
	with_end(t, &a, "20261231", NULL);
	assert_int_equal(a.end_time, 0);
	assert_false(a.rejected);
	assert_int_equal(accenv_count(&t->f, "end-date-unreadable", &x), 1);
	assert_int_equal(x->sev, SEV_WARNING);
	assert_non_null(strstr(x->message, "ignored"));
	account_free(&a);
}

static void test_mapping_error(void **state)
{
	struct accenv *t = *state;
	struct entry e;
	struct account a;
	const struct finding *x;

	/* telephone-1's default template is {telephoneNumber|phone}: "12" cannot be made a
	 * 10-digit number, a phone-format finding (error) that rejects the row */
	accenv_entry(&e, PERSON("gus", "entryUUID", "u-gus", "telephoneNumber", "12", NULL));
	build(t, &e, &a);
	assert_true(a.rejected);
	assert_true(accenv_count(&t->f, "phone-format", &x) >= 1);
	assert_int_equal(x->sev, SEV_ERROR);
	assert_int_equal(x->col, COL_TEL1);
	assert_true(account_errors_since(&t->f, 0));
	account_free(&a);
	entry_free(&e);

	/* the same person with a good number: not rejected, the number normalised */
	findings_free(&t->f);
	accenv_entry(&e, PERSON("gus", "entryUUID", "u-gus", "telephoneNumber",
				"+33 4 67 33 00 00", NULL));
	build(t, &e, &a);
	assert_false(a.rejected);
	assert_int_equal(t->f.n, 0);
	assert_false(account_errors_since(&t->f, 0));
	assert_string_equal(row_get(&a.row, COL_TEL1), "0467330000");
	account_free(&a);
	entry_free(&e);

	/* no bal-rule holds without RPPS or ADELI but the default MED one: MED */
	accenv_entry(&e, "uid=hal," P, "entryUUID", "u-hal", "mail", "hal@chu.fr", "sn", "Hal",
		     "givenName", "H", "profession", "Secrétaire médical", NULL);
	build(t, &e, &a);
	assert_int_equal(a.type, BAL_MED);
	assert_false(a.rejected);
	account_free(&a);
	entry_free(&e);
}

/* Each test gets the configuration of accenv.h at NOW. */
static int open_env(void **state)
{
	struct accenv *t = xcalloc(1, sizeof(*t));

	accenv_open(t, "", NOW);
	*state = t;
	return 0;
}

static int close_env(void **state)
{
	accenv_close(*state);
	free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key, open_env, close_env),
		cmocka_unit_test_setup_teardown(test_missing_id, open_env, close_env),
		cmocka_unit_test_setup_teardown(test_disabled, open_env, close_env),
		cmocka_unit_test_setup_teardown(test_end_dates, open_env, close_env),
		cmocka_unit_test_setup_teardown(test_mapping_error, open_env, close_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
