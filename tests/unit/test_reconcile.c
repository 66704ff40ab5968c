/* test_reconcile.c - cmocka unit tests of the comparison of Medimail's export with the state
 * (src/reconcile.c): every category, what --commit changes, the values kept by hand. TZ is
 * UTC. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "reconcile.h"

#define NOW 1741608000LL       /* 2025-03-10 12:00:00 UTC */

#define COLS ((1ULL << COL_MAIL) | (1ULL << COL_NOM) | (1ULL << COL_RPPS) | \
	      (1ULL << COL_TEL1) | (1ULL << COL_TYPE_BAL) | (1ULL << COL_PEREMPTION))

struct fixture {
	struct state_account s[16];
	size_t ns;
	struct row mrow[16];
	struct medimail_account m[16];
	size_t nm;
	struct medimail_list list;
	struct recon_result r;
};

static void fill(struct row *r, const char *mail, const char *rpps, const char *date)
{
	memset(r, 0, sizeof(*r));
	row_set(r, COL_MAIL, mail);
	row_set(r, COL_NOM, "NOM");
	row_set(r, COL_RPPS, rpps);
	row_set(r, COL_TEL1, "0467000000");
	row_set(r, COL_TYPE_BAL, "PER");
	row_set(r, COL_PEREMPTION, date);
	row_set(r, COL_CIVILITE, "not in the export");
}

static struct state_account *st(struct fixture *f, const char *key, const char *mail,
				const char *rpps, enum acct_status status, const char *date)
{
	struct state_account *s = &f->s[f->ns++];

	memset(s, 0, sizeof(*s));
	s->key = xstrdup(key);
	s->dn = xasprintf("uid=%s,dc=test", key);
	s->type = BAL_PER;
	s->status = status;
	s->run_id = 7;
	fill(&s->row, mail, rpps, date);
	return s;
}

static struct medimail_account *mm(struct fixture *f, const char *mail, const char *rpps,
				   const char *date, const char *state)
{
	size_t j = f->nm++;

	fill(&f->mrow[j], mail, rpps, date);
	row_set(&f->mrow[j], COL_CIVILITE, NULL);
	f->m[j] = (struct medimail_account){ &f->mrow[j], state, (long)j + 2 };
	return &f->m[j];
}

static void run(struct fixture *f)
{
	f->list = (struct medimail_list){ f->m, f->nm, COLS, true };
	reconcile_compare(f->s, f->ns, &f->list, NOW, &f->r);
}

static void fixture_free(struct fixture *f)
{
	reconcile_result_free(&f->r);
	for (size_t i = 0; i < f->ns; i++)
		state_account_free(&f->s[i]);
	for (size_t j = 0; j < f->nm; j++)
		row_free(&f->mrow[j]);
	free(f);
}

static const struct recon_item *of_state(const struct fixture *f, const struct state_account *s)
{
	for (size_t i = 0; i < f->r.n; i++)
		if (f->r.items[i].s == s)
			return &f->r.items[i];
	return NULL;
}

static const struct recon_item *of_mm(const struct fixture *f, const struct medimail_account *m)
{
	for (size_t i = 0; i < f->r.n; i++)
		if (f->r.items[i].m == m)
			return &f->r.items[i];
	return NULL;
}

static void test_categories(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct state_account *ok, *missing, *hand, *off, *moved, *late, *nodate, *pending, *gone,
		*reused_old, *reused;
	struct medimail_account *m_moved, *m_unknown, *m_reused;
	const struct recon_item *it;

	(void)state;
	ok = st(f, "k1", "ok@x.fr", "", ST_ACTIVE, "");
	missing = st(f, "k2", "missing@x.fr", "", ST_ACTIVE, "");
	hand = st(f, "k3", "hand@x.fr", "", ST_ACTIVE, "");
	off = st(f, "k4", "off@x.fr", "", ST_ACTIVE, "");
	moved = st(f, "k5", "moved@x.fr", "10000000005", ST_ACTIVE, "");
	late = st(f, "k6", "late@x.fr", "", ST_EXPIRED, "25-03-01");
	nodate = st(f, "k7", "nodate@x.fr", "", ST_EXPIRED, "25-03-20");
	pending = st(f, "k8", "pending@x.fr", "", ST_EXPIRED, "25-03-20");
	gone = st(f, "k9", "gone@x.fr", "", ST_EXPIRED, "24-01-01");
	reused_old = st(f, "k10", "reused@x.fr", "", ST_EXPIRED, "24-01-01");
	reused = st(f, "k11", "reused@x.fr", "", ST_ACTIVE, "");
	(void)mm(f, "ok@x.fr", "", "", "Actif");
	(void)mm(f, "hand@x.fr", "", "", "Actif");
	row_set(&f->mrow[1], COL_TEL1, "0600000000");
	(void)mm(f, "off@x.fr", "", "", "Désactivé");
	m_moved = mm(f, "moved.by.hand@x.fr", "10000000005", "", "Actif");
	(void)mm(f, "late@x.fr", "", "25-03-01", "Actif");
	(void)mm(f, "nodate@x.fr", "", "", "Actif");
	(void)mm(f, "pending@x.fr", "", "25-03-20", "Actif");
	m_unknown = mm(f, "console@x.fr", "", "", "Actif");
	m_reused = mm(f, "reused@x.fr", "", "", "Actif");
	run(f);

	assert_int_equal(of_state(f, ok)->cat, RECON_OK);
	assert_int_equal(of_state(f, ok)->diff, 0);
	assert_int_equal(of_state(f, missing)->cat, RECON_MISSING);
	assert_null(of_state(f, missing)->m);
	it = of_state(f, hand);
	assert_int_equal(it->cat, RECON_DIFFERS);
	assert_int_equal(it->diff, 1ULL << COL_TEL1);
	it = of_state(f, off);
	assert_int_equal(it->cat, RECON_DIFFERS);
	assert_int_equal(it->diff, DIFF_STATE);
	it = of_state(f, moved);
	assert_int_equal(it->cat, RECON_MOVED);
	assert_ptr_equal(it->m, m_moved);
	assert_int_equal(it->by, BY_RPPS);
	it = of_state(f, late);
	assert_int_equal(it->cat, RECON_NOT_EXPIRED);
	assert_true(it->passed);
	it = of_state(f, nodate);
	assert_int_equal(it->cat, RECON_NOT_EXPIRED);      /* Medimail lacks the date */
	assert_false(it->passed);
	assert_int_equal(of_state(f, pending)->cat, RECON_OK);
	assert_null(of_state(f, gone));                     /* expired and gone: no item */
	assert_null(of_state(f, reused_old));               /* the address is in use again */
	assert_int_equal(of_state(f, reused)->cat, RECON_OK);
	assert_ptr_equal(of_state(f, reused)->m, m_reused);
	it = of_mm(f, m_unknown);
	assert_int_equal(it->cat, RECON_UNKNOWN);
	assert_null(it->s);

	assert_int_equal(f->r.count[RECON_OK], 3);
	assert_int_equal(f->r.count[RECON_MISSING], 1);
	assert_int_equal(f->r.count[RECON_MOVED], 1);
	assert_int_equal(f->r.count[RECON_DIFFERS], 2);
	assert_int_equal(f->r.count[RECON_NOT_EXPIRED], 2);
	assert_int_equal(f->r.count[RECON_UNKNOWN], 1);
	assert_true(reconcile_needs_admin(&f->r));
	for (size_t i = 1; i < f->r.n; i++)
		assert_true(f->r.items[i - 1].cat <= f->r.items[i].cat);
	fixture_free(f);
}

/* Without a state column, an expired account past its date cannot be said to be active. */
static void test_no_state_column(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct state_account *late;

	(void)state;
	late = st(f, "k1", "late@x.fr", "", ST_EXPIRED, "25-03-01");
	(void)mm(f, "late@x.fr", "", "25-03-01", "");
	run(f);
	assert_int_equal(of_state(f, late)->cat, RECON_OK);
	assert_false(reconcile_needs_admin(&f->r));
	fixture_free(f);
}

static void test_decide(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct state_account *missing, *hand, *off, *late, *moved;
	const struct recon_item *it;

	(void)state;
	missing = st(f, "k1", "missing@x.fr", "", ST_ACTIVE, "");
	hand = st(f, "k2", "hand@x.fr", "", ST_ACTIVE, "");
	off = st(f, "k3", "off@x.fr", "", ST_ACTIVE, "");
	late = st(f, "k4", "late@x.fr", "", ST_EXPIRED, "25-03-01");
	moved = st(f, "k5", "moved@x.fr", "10000000005", ST_ACTIVE, "");
	(void)mm(f, "hand@x.fr", "", "", "Actif");
	row_set(&f->mrow[0], COL_TEL1, "0600000000");
	row_set(&f->mrow[0], COL_NOM, "NOM CHANGÉ");
	(void)mm(f, "off@x.fr", "", "", "Inactif");
	(void)mm(f, "late@x.fr", "", "25-03-01", "Actif");
	(void)mm(f, "moved.by.hand@x.fr", "10000000005", "", "Actif");
	(void)mm(f, "console@x.fr", "", "", "Actif");
	run(f);

	reconcile_decide(&f->r, HAND_OVERWRITE);
	assert_int_equal(of_state(f, missing)->outcome, RO_REQUEUE);
	it = of_state(f, hand);
	assert_int_equal(it->outcome, RO_REPLACE);
	assert_int_equal(it->status, ST_ACTIVE);
	assert_string_equal(row_get(&it->rec, COL_TEL1), "0600000000");
	assert_string_equal(row_get(&it->rec, COL_NOM), "NOM CHANGÉ");
	assert_string_equal(row_get(&it->rec, COL_CIVILITE), "not in the export");
	it = of_state(f, off);
	assert_int_equal(it->outcome, RO_REPLACE);
	assert_int_equal(it->status, ST_EXPIRED);     /* the next apply reactivates it */
	it = of_state(f, late);
	assert_int_equal(it->outcome, RO_REEXPIRE);
	assert_int_equal(it->status, ST_ACTIVE);
	assert_string_equal(row_get(&it->rec, COL_PEREMPTION), "25-03-01");
	assert_int_equal(of_state(f, moved)->outcome, RO_NONE);
	assert_int_equal(f->r.items[f->r.n - 1].cat, RECON_UNKNOWN);
	assert_int_equal(f->r.items[f->r.n - 1].outcome, RO_NONE);
	assert_int_equal(f->r.nkept, 0);

	reconcile_decide(&f->r, HAND_KEEP);
	it = of_state(f, hand);
	assert_int_equal(it->outcome, RO_KEEP);
	assert_string_equal(row_get(&it->rec, COL_TEL1), "0600000000");
	assert_int_equal(f->r.nkept, 2);
	assert_string_equal(f->r.kept[0].key, "k2");
	assert_int_equal(f->r.kept[0].col, COL_NOM);
	assert_string_equal(f->r.kept[0].value, "NOM CHANGÉ");
	assert_string_equal(f->r.kept[0].base, "NOM");
	assert_int_equal(f->r.kept[1].col, COL_TEL1);
	/* a change of state alone is left as it is */
	assert_int_equal(of_state(f, off)->outcome, RO_NONE);
	assert_int_equal(f->r.outcome[RO_REQUEUE], 1);
	assert_int_equal(f->r.outcome[RO_REEXPIRE], 1);
	fixture_free(f);
}

static void test_keep_apply(void **state)
{
	struct account a[2] = { 0 };
	struct kept_value k[3] = {
		{ "k1", COL_TEL1, "0600000000", "0467000000" },
		{ "k2", COL_TEL1, "0600000001", "0467000000" },    /* the directory moved on */
		{ "k9", COL_TEL1, "0600000002", "0467000000" },    /* no such account */
	};

	(void)state;
	for (int i = 0; i < 2; i++) {
		a[i].key = xasprintf("k%d", i + 1);
		row_set(&a[i].row, COL_MAIL, "x@x.fr");
		row_set(&a[i].row, COL_TEL1, i == 0 ? "0467000000" : "0467111111");
		row_pack(&a[i].row);
	}
	assert_int_equal(reconcile_keep_apply(a, 2, k, 3), 1);
	assert_string_equal(row_get(&a[0].row, COL_TEL1), "0600000000");
	assert_string_equal(row_get(&a[1].row, COL_TEL1), "0467111111");
	assert_null(a[0].row.cell);                      /* packed again */
	for (int i = 0; i < 2; i++)
		account_free(&a[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_no_state_column),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_keep_apply),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
