/* test_plan.c - cmocka unit tests of the incremental plan (src/plan.c). TZ is UTC. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "plan.h"

#define NOW 1741608000LL       /* 2025-03-10 12:00:00 UTC */
#define DAY 86400LL

static void mk_row(struct row *r, const char *mail, const char *nom, enum bal_type t)
{
	memset(r, 0, sizeof(*r));
	row_set(r, COL_MAIL, mail);
	row_set(r, COL_NOM, nom);
	row_set(r, COL_TYPE_BAL, bal_type_name(t));
}

static void mk_acc(struct account *a, const char *key, const char *mail, const char *nom)
{
	memset(a, 0, sizeof(*a));
	a->key = xstrdup(key);
	a->dn = xasprintf("uid=%s,dc=test", key);
	a->type = BAL_PER;
	mk_row(&a->row, mail, nom, BAL_PER);
}

static void mk_prev(struct state_account *s, const char *key, const char *mail, const char *nom,
		    enum acct_status st)
{
	memset(s, 0, sizeof(*s));
	s->key = xstrdup(key);
	s->dn = xasprintf("uid=%s,dc=test", key);
	s->type = BAL_PER;
	s->status = st;
	s->run_id = 1;
	mk_row(&s->row, mail, nom, BAL_PER);
}

static void free_all(struct account *a, size_t na, struct state_account *s, size_t ns)
{
	for (size_t i = 0; i < na; i++)
		account_free(&a[i]);
	for (size_t i = 0; i < ns; i++)
		state_account_free(&s[i]);
}

static struct plan_opts no_limits(void)
{
	struct plan_opts o = { .now = NOW, .grace_days = 7, .max_expire_count = -1,
			       .max_expire_percent = -1, .max_org_loss_percent = -1 };
	return o;
}

static const struct plan_item *find(const struct plan *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->items[i];
		const char *k = it->cur ? it->cur->key : it->prev->key;

		if (strcmp(k, key) == 0)
			return it;
	}
	return NULL;
}

static void test_date(void **st)
{
	char *d = plan_date(NOW);

	(void)st;
	assert_string_equal(d, "25-03-10");
	free(d);
	d = plan_date(NOW + 300 * DAY);    /* 2026-01-04 */
	assert_string_equal(d, "26-01-04");
	free(d);
	assert_string_equal(action_name(ACT_RENAME), "rename");
	assert_string_equal(expire_reason_name(EXP_DISABLED), "disabled");
}

/* One account of each kind. */
static void test_every_action(void **st)
{
	struct account a[10];
	struct state_account s[10];
	struct plan_opts o = no_limits();
	struct plan p;
	const struct plan_item *it;
	const struct row **rows;
	size_t n;

	(void)st;
	mk_acc(&a[0], "k01", "a@x.fr", "A");                 /* create */
	mk_acc(&a[1], "k02", "b@x.fr", "B2");                /* update: NOM */
	mk_acc(&a[2], "k03", "c@x.fr", "C");                 /* unchanged */
	mk_acc(&a[3], "k06", "f@x.fr", "F");                 /* reactivate */
	mk_acc(&a[4], "k07", "g-new@x.fr", "G");             /* rename */
	mk_acc(&a[5], "k08", "h@x.fr", "H-bad");             /* rejected, written before */
	a[5].rejected = true;
	mk_acc(&a[6], "k09", "i@x.fr", "I");                 /* disabled */
	a[6].disabled = true;
	mk_acc(&a[7], "k10", "j@x.fr", "J");                 /* ended 3 days ago */
	a[7].end_time = NOW - 3 * DAY;
	mk_acc(&a[8], "k11", "k@x.fr", "K");                 /* rejected, new */
	a[8].rejected = true;
	mk_acc(&a[9], "k12", "l@x.fr", "L");                 /* disabled, never written */
	a[9].disabled = true;

	mk_prev(&s[0], "k02", "b@x.fr", "B", ST_ACTIVE);
	mk_prev(&s[1], "k03", "c@x.fr", "C", ST_ACTIVE);
	mk_prev(&s[2], "k04", "d@x.fr", "D", ST_ACTIVE);     /* gone */
	mk_prev(&s[3], "k05", "e@x.fr", "E", ST_EXPIRED);    /* still gone: nothing */
	mk_prev(&s[4], "k06", "f@x.fr", "F", ST_EXPIRED);
	row_set(&s[4].row, COL_PEREMPTION, "25-01-01");
	mk_prev(&s[5], "k07", "g@x.fr", "G", ST_ACTIVE);
	mk_prev(&s[6], "k08", "h@x.fr", "H", ST_ACTIVE);
	mk_prev(&s[7], "k09", "i@x.fr", "I", ST_ACTIVE);
	mk_prev(&s[8], "k10", "j@x.fr", "J", ST_ACTIVE);
	mk_prev(&s[9], "k13", "m@x.fr", "M", ST_EXPIRED);    /* expired, absent */

	assert_int_equal(plan_build(a, 10, s, 10, &o, &p), 0);
	assert_int_equal(p.n, 11);
	assert_int_equal(p.managed, 7);
	assert_int_equal(p.count[ACT_CREATE], 1);
	assert_int_equal(p.count[ACT_UPDATE], 1);
	assert_int_equal(p.count[ACT_UNCHANGED], 1);
	assert_int_equal(p.count[ACT_SKIPPED], 1);
	assert_int_equal(p.count[ACT_EXPIRE], 3);
	assert_int_equal(p.count[ACT_REACTIVATE], 1);
	assert_int_equal(p.count[ACT_RENAME], 1);
	assert_int_equal(p.count[ACT_REJECTED], 2);
	assert_int_equal(p.stale, 1);            /* k08: written, active, rejected now */
	assert_int_equal(p.count_type[ACT_EXPIRE][BAL_PER], 3);
	assert_false(p.limits_tripped);

	it = find(&p, "k01");
	assert_int_equal(it->act, ACT_CREATE);
	assert_null(it->prev);
	assert_string_equal(row_get(plan_item_row(it), COL_MAIL), "a@x.fr");

	it = find(&p, "k02");
	assert_int_equal(it->act, ACT_UPDATE);
	assert_true(it->changed == 1ULL << COL_NOM);
	assert_string_equal(row_get(plan_item_row(it), COL_NOM), "B2");

	it = find(&p, "k04");
	assert_int_equal(it->act, ACT_EXPIRE);
	assert_null(it->cur);
	assert_int_equal(it->reason, EXP_GONE);
	assert_int_equal(it->new_status, ST_EXPIRED);
	assert_string_equal(it->expire_date, "25-03-17");
	assert_string_equal(row_get(plan_item_row(it), COL_MAIL), "d@x.fr");
	assert_string_equal(row_get(plan_item_row(it), COL_PEREMPTION), "25-03-17");

	assert_null(find(&p, "k05"));
	assert_null(find(&p, "k13"));

	it = find(&p, "k06");
	assert_int_equal(it->act, ACT_REACTIVATE);
	assert_int_equal(it->new_status, ST_ACTIVE);
	assert_true(it->changed == 1ULL << COL_PEREMPTION);
	assert_string_equal(row_get(plan_item_row(it), COL_PEREMPTION), "");

	it = find(&p, "k07");
	assert_int_equal(it->act, ACT_RENAME);
	assert_string_equal(row_get(plan_item_row(it), COL_MAIL), "g-new@x.fr");
	assert_string_equal(row_get(plan_item_row(it), COL_PEREMPTION), "");
	assert_string_equal(row_get(it->dated, COL_MAIL), "g@x.fr");
	assert_string_equal(row_get(it->dated, COL_PEREMPTION), "25-03-17");
	assert_true(it->changed == 1ULL << COL_MAIL);

	it = find(&p, "k08");
	assert_int_equal(it->act, ACT_REJECTED);
	assert_int_equal(it->new_status, ST_ACTIVE);
	assert_non_null(it->prev);
	assert_true(it->stale);

	it = find(&p, "k11");                    /* rejected, never written: not stale */
	assert_int_equal(it->act, ACT_REJECTED);
	assert_false(it->stale);

	it = find(&p, "k09");
	assert_int_equal(it->act, ACT_EXPIRE);
	assert_int_equal(it->reason, EXP_DISABLED);
	assert_string_equal(row_get(plan_item_row(it), COL_PEREMPTION), "25-03-17");

	it = find(&p, "k10");
	assert_int_equal(it->act, ACT_EXPIRE);
	assert_int_equal(it->reason, EXP_END_DATE);
	assert_string_equal(it->expire_date, "25-03-07");    /* the end date comes sooner */

	it = find(&p, "k12");                    /* disabled, never written: skipped */
	assert_int_equal(it->act, ACT_SKIPPED);
	assert_int_equal(it->reason, EXP_DISABLED);
	assert_null(plan_item_row(it));     /* writes nothing */

	/* rows: create, update, 3 expiries, reactivate, rename (2), sorted by address */
	n = plan_rows(&p, &rows);
	assert_int_equal(n, 8);
	assert_string_equal(row_get(rows[0], COL_MAIL), "a@x.fr");
	assert_string_equal(row_get(rows[1], COL_MAIL), "b@x.fr");
	assert_string_equal(row_get(rows[2], COL_MAIL), "d@x.fr");
	assert_string_equal(row_get(rows[3], COL_MAIL), "f@x.fr");
	assert_string_equal(row_get(rows[4], COL_MAIL), "g@x.fr");     /* old expiry first */
	assert_string_equal(row_get(rows[5], COL_MAIL), "g-new@x.fr");
	assert_string_equal(row_get(rows[6], COL_MAIL), "i@x.fr");
	assert_string_equal(row_get(rows[7], COL_MAIL), "j@x.fr");
	free(rows);

	/* items sorted by the address of the account */
	for (size_t i = 1; i < p.n; i++) {
		const struct plan_item *x = &p.items[i - 1], *y = &p.items[i];
		const char *mx = row_get(x->cur ? &x->cur->row : &x->prev->row, COL_MAIL);
		const char *my = row_get(y->cur ? &y->cur->row : &y->prev->row, COL_MAIL);

		assert_true(strcmp(mx, my) < 0);
	}
	plan_free(&p);
	free_all(a, 10, s, 10);
}

/* A future end date sooner than the grace period wins; a later one does not. */
/* Leavers never written are skipped, with their reason; one expired earlier and still
 * leaving is unchanged; a rejected leaver written before is stale, never expired for that. */
static void test_skipped_and_stale(void **st)
{
	struct account a[4];
	struct state_account s[2];
	struct plan_opts o = no_limits();
	struct plan p;
	const struct plan_item *it;

	(void)st;
	mk_acc(&a[0], "k1", "a@x.fr", "A");      /* past its end date, never written */
	a[0].end_time = NOW - DAY;
	mk_acc(&a[1], "k2", "b@x.fr", "B");      /* future end date, never written: a creation */
	a[1].end_time = NOW + DAY;
	mk_acc(&a[2], "k3", "c@x.fr", "C");      /* disabled, expired by an earlier run */
	a[2].disabled = true;
	mk_acc(&a[3], "k4", "d@x.fr", "D");      /* rejected; written and expired before */
	a[3].rejected = true;
	mk_prev(&s[0], "k3", "c@x.fr", "C", ST_EXPIRED);
	mk_prev(&s[1], "k4", "d@x.fr", "D", ST_EXPIRED);

	assert_int_equal(plan_build(a, 4, s, 2, &o, &p), 0);
	it = find(&p, "k1");
	assert_int_equal(it->act, ACT_SKIPPED);
	assert_int_equal(it->reason, EXP_END_DATE);
	assert_int_equal(it->new_status, ST_EXPIRED);
	assert_null(plan_item_row(it));
	assert_int_equal(find(&p, "k2")->act, ACT_CREATE);
	assert_int_equal(find(&p, "k3")->act, ACT_UNCHANGED);
	it = find(&p, "k4");
	assert_int_equal(it->act, ACT_REJECTED);
	assert_false(it->stale);                 /* its mailbox is expired, not stale */
	assert_int_equal(p.count[ACT_SKIPPED], 1);
	assert_int_equal(p.count_type[ACT_SKIPPED][BAL_PER], 1);
	assert_int_equal(p.stale, 0);
	plan_free(&p);
	free_all(a, 4, s, 2);
}

static void test_expiry_dates(void **st)
{
	struct account a[2];
	struct state_account s[3];
	struct plan_opts o = no_limits();
	struct plan p;

	(void)st;
	o.grace_days = 30;                                   /* 25-04-09 */
	mk_acc(&a[0], "k1", "a@x.fr", "A");
	a[0].disabled = true;
	a[0].end_time = NOW + 10 * DAY;                      /* 25-03-20 */
	mk_acc(&a[1], "k2", "b@x.fr", "B");
	a[1].disabled = true;
	a[1].end_time = NOW + 60 * DAY;
	mk_prev(&s[0], "k1", "a@x.fr", "A", ST_ACTIVE);
	mk_prev(&s[1], "k2", "b@x.fr", "B", ST_ACTIVE);
	/* gone, with an end date written ahead in its last row */
	mk_prev(&s[2], "k3", "c@x.fr", "C", ST_ACTIVE);
	row_set(&s[2].row, COL_PEREMPTION, "25-03-25");

	assert_int_equal(plan_build(a, 2, s, 3, &o, &p), 0);
	assert_string_equal(find(&p, "k1")->expire_date, "25-03-20");
	assert_string_equal(find(&p, "k2")->expire_date, "25-04-09");
	assert_string_equal(find(&p, "k3")->expire_date, "25-03-25");
	plan_free(&p);
	free_all(a, 2, s, 3);
}

/* A future end date is part of the row: an update of Date de péremption, not an expiry. */
static void test_future_end_date(void **st)
{
	struct account a[1];
	struct state_account s[1];
	struct plan_opts o = no_limits();
	struct plan p;

	(void)st;
	mk_acc(&a[0], "k1", "a@x.fr", "A");
	a[0].end_time = NOW + 90 * DAY;
	row_set(&a[0].row, COL_PEREMPTION, "25-06-08");
	mk_prev(&s[0], "k1", "a@x.fr", "A", ST_ACTIVE);
	assert_int_equal(plan_build(a, 1, s, 1, &o, &p), 0);
	assert_int_equal(p.items[0].act, ACT_UPDATE);
	assert_true(p.items[0].changed == 1ULL << COL_PEREMPTION);
	assert_int_equal(p.count[ACT_EXPIRE], 0);
	plan_free(&p);
	free_all(a, 1, s, 1);
}

/* n accounts in the state, the first `gone` of them absent from the run, one renamed. */
static void limit_case(size_t n, size_t gone, const struct plan_opts *o, struct plan *p)
{
	struct account *a = xcalloc(n, sizeof(*a));
	struct state_account *s = xcalloc(n, sizeof(*s));
	size_t na = 0;

	for (size_t i = 0; i < n; i++) {
		char key[16], mail[32];

		snprintf(key, sizeof(key), "k%03zu", i);
		snprintf(mail, sizeof(mail), "u%03zu@x.fr", i);
		mk_prev(&s[i], key, mail, "N", ST_ACTIVE);
		if (i < gone)
			continue;
		if (i == n - 1)
			snprintf(mail, sizeof(mail), "renamed@x.fr");
		mk_acc(&a[na++], key, mail, "N");
	}
	assert_int_equal(plan_build(a, na, s, n, o, p), 0);
	/* the plan points into a and s: check what we need, then free them */
	assert_int_equal(p->count[ACT_RENAME], 1);
	assert_int_equal(p->count[ACT_EXPIRE], gone);
	for (size_t i = 0; i < p->n; i++)
		p->items[i].cur = NULL, p->items[i].prev = NULL;
	free_all(a, na, s, n);
	free(a);
	free(s);
}

static void test_limit_expire_count(void **st)
{
	struct plan_opts o = no_limits();
	struct plan p;

	(void)st;
	o.max_expire_count = 2;
	limit_case(20, 3, &o, &p);
	assert_true(p.limit[LIMIT_EXPIRE_COUNT].tripped);
	assert_true(p.limit[LIMIT_EXPIRE_COUNT].value == 3);
	assert_true(p.limit[LIMIT_EXPIRE_COUNT].max == 2);
	assert_non_null(strstr(p.limit[LIMIT_EXPIRE_COUNT].detail, "3 accounts"));
	assert_true(p.limits_tripped);
	plan_free(&p);

	/* exactly at the limit (the rename does not count) */
	o.max_expire_count = 3;
	limit_case(20, 3, &o, &p);
	assert_false(p.limit[LIMIT_EXPIRE_COUNT].tripped);
	assert_false(p.limits_tripped);
	plan_free(&p);

	/* overridden: still reported, but not blocking */
	o.max_expire_count = 2;
	o.override_limits = true;
	limit_case(20, 3, &o, &p);
	assert_true(p.limit[LIMIT_EXPIRE_COUNT].tripped);
	assert_false(p.limits_tripped);
	plan_free(&p);
}

static void test_limit_expire_percent(void **st)
{
	struct plan_opts o = no_limits();
	struct plan p;

	(void)st;
	o.max_expire_percent = 10;
	limit_case(10, 2, &o, &p);                  /* 20 % */
	assert_int_equal(p.managed, 10);
	assert_true(p.limit[LIMIT_EXPIRE_PERCENT].tripped);
	assert_true(p.limit[LIMIT_EXPIRE_PERCENT].value > 19.99 &&
		    p.limit[LIMIT_EXPIRE_PERCENT].value < 20.01);
	assert_non_null(strstr(p.limit[LIMIT_EXPIRE_PERCENT].detail, "2 of 10"));
	assert_true(p.limits_tripped);
	plan_free(&p);

	o.max_expire_percent = 20;                   /* not more than 20 % */
	limit_case(10, 2, &o, &p);
	assert_false(p.limit[LIMIT_EXPIRE_PERCENT].tripped);
	assert_false(p.limits_tripped);
	plan_free(&p);

	o.max_expire_percent = 10;                   /* 1 of 10 = 10 %: fine */
	limit_case(10, 1, &o, &p);
	assert_false(p.limits_tripped);
	plan_free(&p);
}

static void test_limit_empty_source(void **st)
{
	struct state_account s[2];
	struct plan_opts o = no_limits();
	struct plan p;

	(void)st;
	mk_prev(&s[0], "k1", "a@x.fr", "A", ST_ACTIVE);
	mk_prev(&s[1], "k2", "b@x.fr", "B", ST_ACTIVE);
	assert_int_equal(plan_build(NULL, 0, s, 2, &o, &p), 0);
	assert_true(p.limit[LIMIT_EMPTY_SOURCE].tripped);
	assert_true(p.limits_tripped);
	assert_int_equal(p.count[ACT_EXPIRE], 2);
	plan_free(&p);

	/* one account present: not empty */
	{
		struct account a[1];

		mk_acc(&a[0], "k1", "a@x.fr", "A");
		assert_int_equal(plan_build(a, 1, s, 2, &o, &p), 0);
		assert_false(p.limit[LIMIT_EMPTY_SOURCE].tripped);
		assert_false(p.limits_tripped);
		plan_free(&p);

		/* one base gave no people: tripped with its detail, whatever the count */
		o.empty_source = "directory \"d\", base ou=b: no people";
		assert_int_equal(plan_build(a, 1, s, 2, &o, &p), 0);
		assert_true(p.limit[LIMIT_EMPTY_SOURCE].tripped);
		assert_string_equal(p.limit[LIMIT_EMPTY_SOURCE].detail, o.empty_source);
		assert_true(p.limits_tripped);
		plan_free(&p);
		o.override_limits = true;
		assert_int_equal(plan_build(a, 1, s, 2, &o, &p), 0);
		assert_true(p.limit[LIMIT_EMPTY_SOURCE].tripped);
		assert_false(p.limits_tripped);
		plan_free(&p);
		o.empty_source = NULL;
		o.override_limits = false;
		free_all(a, 1, NULL, 0);
	}
	free_all(NULL, 0, s, 2);
}

static void mk_org(struct account *a, struct state_account *s, const char *old, const char *new)
{
	mk_acc(a, "org1", "org@x.fr", "ORG");
	a->type = BAL_ORG;
	row_set(&a->row, COL_CONNEXION, new);
	mk_prev(s, "org1", "org@x.fr", "ORG", ST_ACTIVE);
	s->type = BAL_ORG;
	row_set(&s->row, COL_CONNEXION, old);
}

static void test_limit_org_loss(void **st)
{
	struct account a[1];
	struct state_account s[1];
	struct plan_opts o = no_limits();
	struct plan p;
	const char *d;

	(void)st;
	mk_org(&a[0], &s[0], "a@x.fr;b@x.fr;c@x.fr;d@x.fr", "a@x.fr;e@x.fr");
	o.max_org_loss_percent = 50;
	assert_int_equal(plan_build(a, 1, s, 1, &o, &p), 0);
	assert_int_equal(p.items[0].act, ACT_UPDATE);
	assert_true(p.items[0].changed == 1ULL << COL_CONNEXION);
	assert_int_equal(p.count_type[ACT_UPDATE][BAL_ORG], 1);
	assert_true(p.limit[LIMIT_ORG_LOSS].tripped);
	assert_true(p.limit[LIMIT_ORG_LOSS].value == 75);
	d = p.limit[LIMIT_ORG_LOSS].detail;
	assert_non_null(d);
	assert_non_null(strstr(d, "org@x.fr"));
	assert_non_null(strstr(d, "3 of its 4"));
	assert_true(p.limits_tripped);
	plan_free(&p);

	o.max_org_loss_percent = 80;
	assert_int_equal(plan_build(a, 1, s, 1, &o, &p), 0);
	assert_false(p.limit[LIMIT_ORG_LOSS].tripped);
	assert_true(p.limit[LIMIT_ORG_LOSS].value == 75);
	assert_null(p.limit[LIMIT_ORG_LOSS].detail);
	assert_false(p.limits_tripped);
	plan_free(&p);
	free_all(a, 1, s, 1);

	/* members added only: no loss */
	mk_org(&a[0], &s[0], "a@x.fr;b@x.fr", "a@x.fr;b@x.fr;c@x.fr");
	o.max_org_loss_percent = 0;
	assert_int_equal(plan_build(a, 1, s, 1, &o, &p), 0);
	assert_false(p.limit[LIMIT_ORG_LOSS].tripped);
	plan_free(&p);
	free_all(a, 1, s, 1);
}

/* Same input in another order: same plan order. Duplicates must not crash. */
static void test_order_and_duplicates(void **st)
{
	struct account a[4], b[4];
	struct plan_opts o = no_limits();
	struct plan p, q;
	static const char *const want[] = { "k2", "k9", "k3", "k1" };

	(void)st;
	mk_acc(&a[0], "k1", "z@x.fr", "Z");
	mk_acc(&a[1], "k9", "a@x.fr", "A");     /* same address as k2 */
	mk_acc(&a[2], "k2", "a@x.fr", "A");
	mk_acc(&a[3], "k3", "m@x.fr", "M");
	for (int i = 0; i < 4; i++)
		mk_acc(&b[i], a[3 - i].key, row_get(&a[3 - i].row, COL_MAIL), "N");
	assert_int_equal(plan_build(a, 4, NULL, 0, &o, &p), 0);
	assert_int_equal(plan_build(b, 4, NULL, 0, &o, &q), 0);
	for (int i = 0; i < 4; i++) {
		assert_string_equal(p.items[i].cur->key, want[i]);
		assert_string_equal(q.items[i].cur->key, want[i]);
	}
	plan_free(&p);
	plan_free(&q);

	/* the same key twice: the second is not written */
	free(b[0].key);
	b[0].key = xstrdup("k1");
	assert_int_equal(plan_build(b, 4, NULL, 0, &o, &q), 0);
	assert_int_equal(q.count[ACT_CREATE], 3);
	assert_int_equal(q.count[ACT_REJECTED], 1);
	plan_free(&q);
	free_all(a, 4, NULL, 0);
	free_all(b, 4, NULL, 0);
}

/* 200,000 accounts against 200,000 in the state: must not be quadratic. */
/* Lazy state accounts: a fake store that hands out the real rows and counts the loads. */
struct fake_store {
	const struct row *rows;   /* by state index */
	struct state_account *base;
	int loads;
	bool fail;
};

static int fake_fetch(void *arg, struct state_account *a)
{
	struct fake_store *fs = arg;

	if (fs->fail)
		return -1;
	fs->loads++;
	row_copy(&a->row, &fs->rows[a - fs->base]);
	return 0;
}

static void make_lazy(struct state_account *s, struct row *keep)
{
	*keep = s->row;               /* the store keeps the row; the account forgets it */
	memset(&s->row, 0, sizeof(s->row));
	s->digest = row_digest(keep);
	s->lazy = true;
}

static void test_lazy_state(void **st)
{
	struct account a[3];
	struct state_account s[4];
	struct row rows[4];
	struct fake_store fs = { rows, s, 0, false };
	struct plan_opts o = no_limits();
	struct plan p;
	const struct plan_item *it;

	(void)st;
	mk_acc(&a[0], "k1", "a@x.fr", "SAME");
	mk_acc(&a[1], "k2", "b@x.fr", "NEW");
	mk_acc(&a[2], "k3", "c@x.fr", "C");
	mk_prev(&s[0], "k1", "a@x.fr", "SAME", ST_ACTIVE);   /* unchanged */
	mk_prev(&s[1], "k2", "b@x.fr", "OLD", ST_ACTIVE);    /* updated */
	mk_prev(&s[2], "k3", "c@x.fr", "C", ST_EXPIRED);     /* reactivated */
	mk_prev(&s[3], "k4", "d@x.fr", "D", ST_ACTIVE);      /* gone: expired */
	for (int i = 0; i < 4; i++)
		make_lazy(&s[i], &rows[i]);
	o.fetch = fake_fetch;
	o.fetch_arg = &fs;
	assert_int_equal(plan_build(a, 3, s, 4, &o, &p), 0);
	/* the unchanged account is told by its digest alone: 3 loads, not 4 */
	assert_int_equal(fs.loads, 3);
	assert_true(s[0].lazy);
	assert_int_equal(find(&p, "k1")->act, ACT_UNCHANGED);
	it = find(&p, "k2");
	assert_int_equal(it->act, ACT_UPDATE);
	assert_int_equal(it->changed, 1ULL << COL_NOM);
	assert_int_equal(find(&p, "k3")->act, ACT_REACTIVATE);
	it = find(&p, "k4");
	assert_int_equal(it->act, ACT_EXPIRE);
	assert_string_equal(row_get(plan_item_row(it), COL_MAIL), "d@x.fr");
	assert_string_equal(row_get(plan_item_row(it), COL_PEREMPTION), "25-03-17");
	plan_free(&p);

	/* a row that cannot be loaded fails the plan, never a guess */
	for (int i = 1; i < 4; i++) {
		row_free(&s[i].row);
		s[i].lazy = true;
	}
	fs.fail = true;
	assert_int_equal(plan_build(a, 3, s, 4, &o, &p), -1);
	assert_int_equal(p.n, 0);
	free_all(a, 3, s, 4);
	for (int i = 0; i < 4; i++)
		row_free(&rows[i]);
}

static void test_big(void **st)
{
	const size_t n = 200000;
	struct account *a = xcalloc(n, sizeof(*a));
	struct state_account *s = xcalloc(n, sizeof(*s));
	struct plan_opts o = no_limits();
	struct timespec t0, t1;
	struct plan p;
	size_t na = 0;

	(void)st;
	for (size_t i = 0; i < n; i++) {
		char key[32], mail[48];

		snprintf(key, sizeof(key), "uuid-%07zu", (i * 7919) % n);
		snprintf(mail, sizeof(mail), "user%07zu@chu.fr", (i * 7919) % n);
		mk_prev(&s[i], key, mail, "N", ST_ACTIVE);
		if (i % 100 == 0)
			continue;       /* 1 % gone */
		mk_acc(&a[na++], key, mail, i % 10 == 1 ? "CHANGED" : "N");
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(plan_build(a, na, s, n, &o, &p), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("plan of %zu accounts: %.3f s\n", n,
		      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_int_equal(p.count[ACT_EXPIRE], 2000);
	assert_int_equal(p.count[ACT_UPDATE], 20000);
	assert_int_equal(p.count[ACT_UNCHANGED], n - 2000 - 20000);
	assert_int_equal(p.n, n);
	plan_free(&p);
	free_all(a, na, s, n);
	free(a);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_every_action),
		cmocka_unit_test(test_skipped_and_stale),
		cmocka_unit_test(test_expiry_dates),
		cmocka_unit_test(test_future_end_date),
		cmocka_unit_test(test_limit_expire_count),
		cmocka_unit_test(test_limit_expire_percent),
		cmocka_unit_test(test_limit_empty_source),
		cmocka_unit_test(test_lazy_state),
		cmocka_unit_test(test_limit_org_loss),
		cmocka_unit_test(test_order_and_duplicates),
		cmocka_unit_test(test_big),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
