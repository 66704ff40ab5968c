/* test_org.c - cmocka unit tests for group membership resolution (org.c). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "org.h"

#define DN_A "cn=a,ou=groups,dc=ex"
#define DN_B "cn=b,ou=groups,dc=ex"
#define DN_C "cn=c,ou=groups,dc=ex"
#define DN_D "cn=d,ou=groups,dc=ex"

static char *pdn(size_t i)
{
	return xasprintf("uid=p%zu,ou=people,dc=ex", i);
}

static char *gdn(size_t i)
{
	return xasprintf("cn=g%zu,ou=groups,dc=ex", i);
}

/* Register people p0 .. p(n-1) with id i and uid "p<i>". */
static void add_people(struct org_index *x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *dn = pdn(i), *uid = xasprintf("p%zu", i);

		org_add_person(x, dn, uid, i);
		free(dn);
		free(uid);
	}
}

static void add_pmember(struct org_index *x, const char *group, size_t i)
{
	char *dn = pdn(i);

	org_add_member(x, group, ORG_MEMBER_DN, dn);
	free(dn);
}

/* Members of group as a string "1,2,3" (ids), for compact comparisons. */
static char *members_str(struct org_index *x, const char *group, struct findings *f)
{
	struct strbuf sb = { 0 };
	size_t *ids = NULL, n = 0;

	assert_int_equal(org_members(x, group, &ids, &n, f), 0);
	for (size_t i = 0; i < n; i++)
		sb_addf(&sb, "%s%zu", i ? "," : "", ids[i]);
	free(ids);
	return sb_steal(&sb);
}

static void check_members(struct org_index *x, const char *group, struct findings *f,
			  const char *want)
{
	char *got = members_str(x, group, f);

	assert_string_equal(got, want);
	free(got);
}

static size_t count_rule(const struct findings *f, const char *rule)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].rule, rule) == 0)
			n++;
	return n;
}

static void test_flat(void **state)
{
	struct org_index *x = org_index_new();
	struct findings f = { 0 };
	size_t *ids = (size_t *)1, n = 7;

	(void)state;
	add_people(x, 5);
	org_add_group(x, DN_A);
	add_pmember(x, DN_A, 3);
	add_pmember(x, DN_A, 1);
	add_pmember(x, DN_A, 4);
	add_pmember(x, DN_A, 1);       /* listed twice: once in the output */
	check_members(x, DN_A, &f, "1,3,4");
	assert_int_equal(f.n, 0);
	/* an empty group, and a group nobody registered */
	org_add_group(x, DN_B);
	check_members(x, DN_B, &f, "");
	assert_int_equal(org_members(x, "cn=nope,dc=ex", &ids, &n, &f), -1);
	assert_null(ids);
	assert_int_equal(n, 0);
	findings_free(&f);
	org_index_free(x);
}

static void test_nested_three_levels(void **state)
{
	struct org_index *x = org_index_new();
	struct findings f = { 0 };

	(void)state;
	add_people(x, 4);
	add_pmember(x, DN_A, 0);
	org_add_member(x, DN_A, ORG_MEMBER_DN, DN_B);
	add_pmember(x, DN_B, 1);
	org_add_member(x, DN_B, ORG_MEMBER_DN, DN_C);
	add_pmember(x, DN_C, 2);
	check_members(x, DN_A, &f, "0,1,2");
	check_members(x, DN_B, &f, "1,2");
	check_members(x, DN_C, &f, "2");
	assert_int_equal(f.n, 0);
	findings_free(&f);
	org_index_free(x);
}

static void test_diamond(void **state)
{
	struct org_index *x = org_index_new();
	struct findings f = { 0 };

	(void)state;
	add_people(x, 6);
	org_add_member(x, DN_A, ORG_MEMBER_DN, DN_B);
	org_add_member(x, DN_A, ORG_MEMBER_DN, DN_C);
	org_add_member(x, DN_B, ORG_MEMBER_DN, DN_D);
	org_add_member(x, DN_C, ORG_MEMBER_DN, DN_D);
	add_pmember(x, DN_B, 5);
	add_pmember(x, DN_D, 5);
	add_pmember(x, DN_D, 2);
	check_members(x, DN_A, &f, "2,5");
	/* two paths to D is not a cycle */
	assert_int_equal(f.n, 0);
	findings_free(&f);
	org_index_free(x);
}

static void test_cycle(void **state)
{
	struct org_index *x = org_index_new();
	struct findings f = { 0 };

	(void)state;
	add_people(x, 31);
	org_add_member(x, DN_A, ORG_MEMBER_DN, DN_B);
	org_add_member(x, DN_B, ORG_MEMBER_DN, DN_C);
	org_add_member(x, DN_C, ORG_MEMBER_DN, DN_A);
	add_pmember(x, DN_A, 10);
	add_pmember(x, DN_B, 20);
	add_pmember(x, DN_C, 30);
	check_members(x, DN_A, &f, "10,20,30");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "org-cycle");
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	assert_string_equal(f.v[0].where, DN_A);
	assert_non_null(strstr(f.v[0].message, DN_A " -> " DN_B " -> " DN_C " -> " DN_A));
	/* from B: same members, the cycle reported again, now with B on top */
	check_members(x, DN_B, &f, "10,20,30");
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[1].where, DN_B);
	assert_non_null(strstr(f.v[1].message, DN_B " -> " DN_C " -> " DN_A " -> " DN_B));
	findings_free(&f);
	org_index_free(x);
}

static void test_self_member(void **state)
{
	struct org_index *x = org_index_new();
	struct findings f = { 0 };

	(void)state;
	add_people(x, 2);
	org_add_member(x, DN_A, ORG_MEMBER_DN, DN_A);
	add_pmember(x, DN_A, 1);
	check_members(x, DN_A, &f, "1");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "org-cycle");
	assert_non_null(strstr(f.v[0].message, DN_A " -> " DN_A));
	findings_free(&f);
	org_index_free(x);
}

static void test_group_and_person(void **state)
{
	struct org_index *x = org_index_new();
	struct findings f = { 0 };

	(void)state;
	add_people(x, 9);
	org_add_person(x, DN_B, NULL, 7);      /* B is a person (id 7) and a group */
	add_pmember(x, DN_B, 8);
	org_add_member(x, DN_A, ORG_MEMBER_DN, DN_B);
	add_pmember(x, DN_A, 0);
	check_members(x, DN_A, &f, "0,7,8");
	assert_int_equal(f.n, 0);
	findings_free(&f);
	org_index_free(x);
}

static void test_unknown_member(void **state)
{
	struct org_index *x = org_index_new();
	struct findings f = { 0 };

	(void)state;
	add_people(x, 2);
	org_add_member(x, DN_A, ORG_MEMBER_DN, "cn=Ghost,dc=ex");
	org_add_member(x, DN_A, ORG_MEMBER_DN, DN_B);
	add_pmember(x, DN_A, 1);
	org_add_member(x, DN_B, ORG_MEMBER_DN, "cn=ghost, dc=ex");  /* same ghost */
	org_add_member(x, DN_B, ORG_MEMBER_DN, "cn=other,dc=ex");
	check_members(x, DN_A, &f, "1");
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].rule, "org-member-unknown");
	assert_int_equal(f.v[0].sev, SEV_WARNING);
	assert_string_equal(f.v[0].where, DN_A);
	assert_string_equal(f.v[0].value, "cn=Ghost,dc=ex");
	assert_string_equal(f.v[1].where, DN_B);
	assert_string_equal(f.v[1].value, "cn=other,dc=ex");
	/* once per call: a second call reports them again */
	check_members(x, DN_A, &f, "1");
	assert_int_equal(count_rule(&f, "org-member-unknown"), 4);
	/* the ghost arrives later: the resolution is redone */
	org_add_person(x, "CN=GHOST,DC=EX", NULL, 42);
	check_members(x, DN_A, &f, "1,42");
	assert_int_equal(count_rule(&f, "org-member-unknown"), 5);
	assert_string_equal(f.v[f.n - 1].value, "cn=other,dc=ex");
	findings_free(&f);
	org_index_free(x);
}

static void test_unique_member(void **state)
{
	struct org_index *x = org_index_new();
	struct findings f = { 0 };

	(void)state;
	org_add_person(x, "cn=alice,dc=ex", NULL, 1);
	org_add_person(x, "cn=b\\#'01'B,dc=ex", NULL, 2);     /* '#' escaped inside the DN */
	org_add_person(x, "cn=c\\#'01'B", NULL, 3);           /* ... even at the very end */
	org_add_person(x, "cn=d\\\\", NULL, 4);               /* value "d\" */
	org_add_member(x, DN_A, ORG_MEMBER_UNIQUE, "cn=Alice,dc=ex#'0101'B");
	org_add_member(x, DN_A, ORG_MEMBER_UNIQUE, "cn=b\\#'01'B,dc=ex");
	org_add_member(x, DN_A, ORG_MEMBER_UNIQUE, "cn=c\\#'01'B");
	org_add_member(x, DN_A, ORG_MEMBER_UNIQUE, "cn=d\\\\#'1'B");   /* '#' not escaped */
	check_members(x, DN_A, &f, "1,2,3,4");
	assert_int_equal(f.n, 0);
	/* not a bit string after '#': the value is kept whole, hence unknown */
	org_add_member(x, DN_B, ORG_MEMBER_UNIQUE, "cn=alice,dc=ex#'0121'B");
	check_members(x, DN_B, &f, "");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].value, "cn=alice,dc=ex#'0121'B");
	findings_free(&f);
	org_index_free(x);
}

static void test_member_uid(void **state)
{
	struct org_index *x = org_index_new();
	struct findings f = { 0 };

	(void)state;
	org_add_person(x, "uid=jdupont,ou=people,dc=ex", "JDupont", 5);
	org_add_person(x, "uid=amartin,ou=people,dc=ex", "amartin", 2);
	org_add_member(x, DN_A, ORG_MEMBER_UID, "jdupont");
	org_add_member(x, DN_A, ORG_MEMBER_UID, "AMARTIN");
	org_add_member(x, DN_A, ORG_MEMBER_UID, "nobody");
	org_add_member(x, DN_A, ORG_MEMBER_UID, "NoBody");     /* the same unknown uid */
	check_members(x, DN_A, &f, "2,5");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "org-member-unknown");
	assert_string_equal(f.v[0].value, "nobody");
	findings_free(&f);
	org_index_free(x);
}

static void test_dn_normalisation(void **state)
{
	struct org_index *x = org_index_new();
	struct findings f = { 0 };
	size_t id = 0;
	char *n;

	(void)state;
	org_add_person(x, "CN=Jean Dupont, OU=People , DC=Example,DC=org", NULL, 3);
	org_add_person(x, "cn=x\\ ,dc=ex", NULL, 4);          /* escaped trailing blank */
	org_add_person(x, "cn=jean dupont,ou=people,dc=example,dc=org", NULL, 9);  /* kept: 3 */
	org_add_member(x, "CN=A, OU=Groups,DC=Ex", ORG_MEMBER_DN,
		       "cn=jean dupont,ou=people,dc=example,dc=org");
	check_members(x, DN_A, &f, "3");
	assert_true(org_person_by_dn(x, "cn = JEAN DUPONT , ou=people,dc=EXAMPLE, dc=org", &id));
	assert_int_equal(id, 3);
	assert_true(org_person_by_dn(x, "CN=X\\ , DC=EX", &id));
	assert_int_equal(id, 4);
	assert_false(org_person_by_dn(x, "cn=x,dc=ex", &id));
	assert_false(org_person_by_dn(x, "cn=jean,ou=people,dc=example,dc=org", &id));
	n = dn_normalise(" CN=x\\ , DC=Ex ");
	assert_string_equal(n, "cn=x\\ ,dc=ex");
	free(n);
	assert_int_equal(f.n, 0);
	findings_free(&f);
	org_index_free(x);
}

static void test_deep_chain(void **state)
{
	const size_t depth = 100000;
	struct org_index *x = org_index_new();
	struct findings f = { 0 };
	size_t *ids = NULL, n = 0;
	char *top = gdn(0), *last = gdn(depth - 1), *want;

	(void)state;
	add_people(x, depth);
	for (size_t i = 0; i < depth; i++) {
		char *g = gdn(i), *sub = gdn(i + 1);

		add_pmember(x, g, i);
		if (i + 1 < depth)
			org_add_member(x, g, ORG_MEMBER_DN, sub);
		free(g);
		free(sub);
	}
	assert_int_equal(org_members(x, top, &ids, &n, &f), 0);
	assert_int_equal(n, depth);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ids[i], i);
	free(ids);
	assert_int_equal(f.n, 0);
	assert_true(org_is_member(x, "uid=p99999,ou=people,dc=ex", top));

	/* close the chain: one cycle through 100,000 groups, its message shortened */
	org_add_member(x, last, ORG_MEMBER_DN, top);
	assert_int_equal(org_members(x, top, &ids, &n, &f), 0);
	assert_int_equal(n, depth);
	free(ids);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].rule, "org-cycle");
	assert_non_null(strstr(f.v[0].message, "(99980 more)"));
	want = xasprintf("%s -> %s", last, top);
	assert_non_null(strstr(f.v[0].message, want));
	free(want);
	free(top);
	free(last);
	findings_free(&f);
	org_index_free(x);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One group of 20,000, 5,000 groups of 20, and 500 ORG groups of 10 subgroups each (every
 * tenth one also holds the big group), resolved one after the other. */
static void test_scale(void **state)
{
	const size_t npeople = 20000, nsmall = 5000, norg = 500;
	struct org_index *x = org_index_new();
	struct findings f = { 0 };
	size_t *ids = NULL, n = 0, total = 0, yes = 0;
	double t0, t1, t2;

	(void)state;
	add_people(x, npeople);
	for (size_t i = 0; i < npeople; i++)
		add_pmember(x, "cn=big,dc=ex", i);
	for (size_t j = 0; j < nsmall; j++) {
		char *g = gdn(j);

		for (size_t k = 0; k < 20; k++)
			add_pmember(x, g, (j * 20 + k) % npeople);
		free(g);
	}
	for (size_t i = 0; i < norg; i++) {
		char *o = xasprintf("cn=org%zu,dc=ex", i);

		for (size_t m = 0; m < 10; m++) {
			char *g = gdn((i * 7 + m) % nsmall);

			org_add_member(x, o, ORG_MEMBER_DN, g);
			free(g);
		}
		if (i % 10 == 0)
			org_add_member(x, o, ORG_MEMBER_DN, "cn=big,dc=ex");
		free(o);
	}
	t0 = now();
	for (size_t i = 0; i < norg; i++) {
		char *o = xasprintf("cn=org%zu,dc=ex", i);

		assert_int_equal(org_members(x, o, &ids, &n, &f), 0);
		/* org1 holds g7 .. g16: people 140 .. 339 */
		if (i == 1) {
			assert_int_equal(n, 200);
			assert_int_equal(ids[0], 140);
			assert_int_equal(ids[199], 339);
		}
		if (i % 10 == 0)
			assert_int_equal(n, npeople);
		total += n;
		free(ids);
		free(o);
	}
	t1 = now();
	for (size_t i = 0; i < npeople; i++) {
		char *p = pdn(i);

		yes += org_is_member(x, p, "cn=org0,dc=ex");
		yes += org_is_member(x, p, "cn=org1,dc=ex");
		free(p);
	}
	t2 = now();
	assert_int_equal(yes, npeople + 200);
	assert_int_equal(f.n, 0);
	print_message("scale: %zu ORG groups resolved in %.3f s (%zu ids); "
		      "%zu org_is_member calls in %.3f s\n", norg, t1 - t0, total, 2 * npeople,
		      t2 - t1);
	findings_free(&f);
	org_index_free(x);
}

static void test_is_member(void **state)
{
	struct org_index *x = org_index_new();
	char *p0 = pdn(0), *p1 = pdn(1), *p2 = pdn(2), *p3 = pdn(3);

	(void)state;
	add_people(x, 4);
	add_pmember(x, DN_A, 0);
	org_add_member(x, DN_A, ORG_MEMBER_DN, DN_B);
	add_pmember(x, DN_B, 1);
	org_add_member(x, DN_B, ORG_MEMBER_DN, DN_C);
	add_pmember(x, DN_C, 2);
	assert_true(org_is_member(x, p0, DN_A));        /* direct */
	assert_true(org_is_member(x, p2, DN_A));        /* through B and C */
	assert_true(org_is_member(x, "UID=P1, OU=People,DC=EX", DN_A));
	assert_false(org_is_member(x, p3, DN_A));
	assert_false(org_is_member(x, p0, DN_B));
	assert_false(org_is_member(x, "uid=zz,dc=ex", DN_A));   /* unknown person */
	assert_false(org_is_member(x, p0, DN_D));               /* unknown group */
	/* a change after the set was cached is seen */
	add_pmember(x, DN_C, 3);
	assert_true(org_is_member(x, p3, DN_A));
	free(p0);
	free(p1);
	free(p2);
	free(p3);
	org_index_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat),
		cmocka_unit_test(test_nested_three_levels),
		cmocka_unit_test(test_diamond),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_self_member),
		cmocka_unit_test(test_group_and_person),
		cmocka_unit_test(test_unknown_member),
		cmocka_unit_test(test_unique_member),
		cmocka_unit_test(test_member_uid),
		cmocka_unit_test(test_dn_normalisation),
		cmocka_unit_test(test_deep_chain),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_is_member),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
