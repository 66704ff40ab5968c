/* test_adopt.c - cmocka unit tests of the matcher of Medimail's export with the directory
 * (src/adopt.c): every category, the matching order, the conflicts, what --commit records. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "adopt.h"

#define NOW 1741608000LL       /* 2025-03-10 12:00:00 UTC */

/* The columns the test export has. */
#define COLS ((1ULL << COL_MAIL) | (1ULL << COL_NOM) | (1ULL << COL_RPPS) | \
	      (1ULL << COL_ADELI) | (1ULL << COL_TEL1) | (1ULL << COL_TYPE_BAL) | \
	      (1ULL << COL_CONNEXION))

/* Directory side: a key, an address, an RPPS and an ADELI ("" for none). */
struct fixture {
	struct account d[16];
	size_t nd;
	struct row mrow[16];
	struct medimail_account m[16];
	size_t nm;
	struct medimail_list list;
	struct adopt_result r;
};

static struct account *dir(struct fixture *f, const char *key, const char *mail,
			   const char *rpps, const char *adeli)
{
	struct account *a = &f->d[f->nd++];

	memset(a, 0, sizeof(*a));
	a->key = xstrdup(key);
	a->dn = xasprintf("uid=%s,dc=test", key);
	a->type = BAL_PER;
	row_set(&a->row, COL_MAIL, mail);
	row_set(&a->row, COL_NOM, "NOM");
	row_set(&a->row, COL_RPPS, rpps);
	row_set(&a->row, COL_ADELI, adeli);
	row_set(&a->row, COL_TEL1, "0467000000");
	row_set(&a->row, COL_TYPE_BAL, "PER");
	row_set(&a->row, COL_CIVILITE, "not in the export");
	return a;
}

static struct medimail_account *mm(struct fixture *f, const char *mail, const char *rpps,
				   const char *adeli, const char *state)
{
	size_t j = f->nm++;
	struct row *r = &f->mrow[j];

	memset(r, 0, sizeof(*r));
	row_set(r, COL_MAIL, mail);
	row_set(r, COL_NOM, "NOM");
	row_set(r, COL_RPPS, rpps);
	row_set(r, COL_ADELI, adeli);
	row_set(r, COL_TEL1, "0467000000");
	row_set(r, COL_TYPE_BAL, "PER");
	f->m[j] = (struct medimail_account){ r, state, (long)j + 2 };
	return &f->m[j];
}

static void run(struct fixture *f)
{
	f->list = (struct medimail_list){ f->m, f->nm, COLS, true };
	adopt_match(f->d, f->nd, &f->list, NOW, &f->r);
}

static void fixture_free(struct fixture *f)
{
	adopt_result_free(&f->r);
	for (size_t i = 0; i < f->nd; i++)
		account_free(&f->d[i]);
	for (size_t j = 0; j < f->nm; j++)
		row_free(&f->mrow[j]);
	free(f);
}

static struct fixture *fixture_new(void)
{
	return xcalloc(1, sizeof(struct fixture));
}

/* The item holding directory account d, or Medimail account m (for conflicts: naming it). */
static const struct adopt_item *of_dir(const struct fixture *f, const struct account *d)
{
	for (size_t i = 0; i < f->r.n; i++)
		if (f->r.items[i].d == d)
			return &f->r.items[i];
	for (size_t i = 0; i < f->r.n; i++)
		for (size_t k = 0; k < f->r.items[i].nd; k++)
			if (f->r.items[i].dv[k] == d)
				return &f->r.items[i];
	return NULL;
}

static const struct adopt_item *of_mm(const struct fixture *f, const struct medimail_account *m)
{
	for (size_t i = 0; i < f->r.n; i++)
		if (f->r.items[i].m == m)
			return &f->r.items[i];
	for (size_t i = 0; i < f->r.n; i++)
		for (size_t k = 0; k < f->r.items[i].nm; k++)
			if (f->r.items[i].mv[k] == m)
				return &f->r.items[i];
	return NULL;
}

static void test_state_words(void **st)
{
	(void)st;
	assert_int_equal(medimail_state("Actif"), MM_ACTIVE);
	assert_int_equal(medimail_state(" ACTIVE "), MM_ACTIVE);
	assert_int_equal(medimail_state("Pré-inscrit"), MM_ACTIVE);
	assert_int_equal(medimail_state("Inactif"), MM_INACTIVE);
	assert_int_equal(medimail_state("Désactivé"), MM_INACTIVE);
	assert_int_equal(medimail_state("Expiré le 12/03/2024"), MM_INACTIVE);
	assert_int_equal(medimail_state("Supprimé"), MM_INACTIVE);
	assert_int_equal(medimail_state(""), MM_UNKNOWN);
	assert_int_equal(medimail_state("???"), MM_UNKNOWN);
}

static void test_diff_rules(void **st)
{
	struct row a = { 0 }, b = { 0 };
	unsigned long long all = ~0ULL;

	(void)st;
	row_set(&a, COL_MAIL, "Jean.Dupont@x.fr");
	row_set(&b, COL_MAIL, " jean.dupont@x.fr ");
	row_set(&a, COL_NOM, "DUPONT");
	row_set(&b, COL_NOM, "DUPONT ");
	row_set(&a, COL_CONNEXION, "b@x.fr;a@x.fr");
	row_set(&b, COL_CONNEXION, "a@x.fr ; B@x.fr");
	assert_int_equal(medimail_diff(&a, &b, all), 0);
	row_set(&b, COL_NOM, "Dupont");
	row_set(&b, COL_CONNEXION, "a@x.fr");
	assert_int_equal(medimail_diff(&a, &b, all), (1ULL << COL_NOM) | (1ULL << COL_CONNEXION));
	/* dates as a spreadsheet or an export may show them */
	row_set(&a, COL_PEREMPTION, "23-12-31");
	row_set(&b, COL_PEREMPTION, "31/12/2023");
	assert_int_equal(medimail_diff(&a, &b, 1ULL << COL_PEREMPTION), 0);
	row_set(&b, COL_PEREMPTION, "2023-12-31 00:00:00");
	assert_int_equal(medimail_diff(&a, &b, 1ULL << COL_PEREMPTION), 0);
	row_set(&b, COL_PEREMPTION, "2023-12-30");
	assert_int_equal(medimail_diff(&a, &b, 1ULL << COL_PEREMPTION), 1ULL << COL_PEREMPTION);
	row_set(&b, COL_PEREMPTION, "");
	assert_int_equal(medimail_diff(&a, &b, 1ULL << COL_PEREMPTION), 1ULL << COL_PEREMPTION);
	row_set(&a, COL_PEREMPTION, NULL);
	row_set(&b, COL_PEREMPTION, NULL);
	/* a column the export lacks is never compared */
	assert_int_equal(medimail_diff(&a, &b, all & ~(1ULL << COL_NOM)), 1ULL << COL_CONNEXION);
	row_free(&a);
	row_free(&b);
}

/* One account of each category but the conflicts. */
static void test_categories(void **st)
{
	struct fixture *f = fixture_new();
	struct account *same, *diff, *ren, *left, *rej, *fresh, *gone, *bad, *off;
	struct medimail_account *m_same, *m_diff, *m_ren, *m_left, *m_rej, *m_orph, *m_off;
	const struct adopt_item *it;

	(void)st;
	same = dir(f, "k1", "Same@X.fr", "10000000001", "");
	diff = dir(f, "k2", "diff@x.fr", "10000000002", "");
	ren = dir(f, "k3", "new.name@x.fr", "10000000003", "");
	left = dir(f, "k4", "left@x.fr", "", "340000001");
	left->disabled = true;
	rej = dir(f, "k5", "REJ@x.fr", "", "");
	rej->rejected = true;
	fresh = dir(f, "k6", "fresh@x.fr", "", "");
	gone = dir(f, "k7", "ended@x.fr", "", "");
	gone->end_time = NOW - 10;
	bad = dir(f, "k8", "bad@x.fr", "", "");
	bad->rejected = true;
	off = dir(f, "k9", "off@x.fr", "", "");
	m_same = mm(f, "same@x.fr", "10000000001", "", "Actif");
	m_diff = mm(f, "diff@x.fr", "10000000002", "", "Actif");
	row_set(&f->mrow[1], COL_TEL1, "0467999999");
	m_ren = mm(f, "old.name@x.fr", "10000000003", "", "Actif");
	m_left = mm(f, "left@x.fr", "", "340000001", "Actif");
	m_rej = mm(f, "rej@x.fr", "", "", "Actif");
	m_orph = mm(f, "departed@x.fr", "", "", "Actif");
	row_set(&f->mrow[5], COL_TYPE_BAL, "MED");
	m_off = mm(f, "off@x.fr", "", "", "Désactivé");
	run(f);

	it = of_dir(f, same);
	assert_int_equal(it->cat, ADOPT_IDENTICAL);
	assert_ptr_equal(it->m, m_same);
	assert_int_equal(it->by, BY_MAIL);
	it = of_dir(f, diff);
	assert_int_equal(it->cat, ADOPT_DIFFERS);
	assert_ptr_equal(it->m, m_diff);
	assert_int_equal(it->diff, 1ULL << COL_TEL1);
	it = of_dir(f, ren);
	assert_int_equal(it->cat, ADOPT_RENAME);
	assert_ptr_equal(it->m, m_ren);
	assert_int_equal(it->by, BY_RPPS);
	assert_true(it->diff & (1ULL << COL_MAIL));
	it = of_dir(f, left);
	assert_int_equal(it->cat, ADOPT_LEAVING);
	assert_ptr_equal(it->m, m_left);
	it = of_dir(f, rej);
	assert_int_equal(it->cat, ADOPT_REJECTED);
	assert_ptr_equal(it->m, m_rej);
	assert_int_equal(of_dir(f, fresh)->cat, ADOPT_NEW);
	assert_null(of_dir(f, fresh)->m);
	assert_int_equal(of_dir(f, gone)->cat, ADOPT_SKIPPED);
	assert_int_equal(of_dir(f, bad)->cat, ADOPT_SKIPPED);
	it = of_mm(f, m_orph);
	assert_int_equal(it->cat, ADOPT_ORPHAN);
	assert_null(it->d);
	/* an account inactive in Medimail differs by its state */
	it = of_dir(f, off);
	assert_int_equal(it->cat, ADOPT_DIFFERS);
	assert_ptr_equal(it->m, m_off);
	assert_int_equal(it->diff, DIFF_STATE);
	assert_int_equal(it->mstate, MM_INACTIVE);

	assert_int_equal(f->r.n, 10);
	assert_int_equal(f->r.count[ADOPT_IDENTICAL], 1);
	assert_int_equal(f->r.count[ADOPT_DIFFERS], 2);
	assert_int_equal(f->r.count[ADOPT_SKIPPED], 2);
	assert_int_equal(f->r.count[ADOPT_ORPHAN], 1);
	assert_int_equal(f->r.count[ADOPT_CONFLICT], 0);
	assert_int_equal(f->r.count_type[ADOPT_ORPHAN][BAL_MED], 1);
	/* items come by category, then by address */
	for (size_t i = 1; i < f->r.n; i++)
		assert_true(f->r.items[i - 1].cat <= f->r.items[i].cat);
	assert_ptr_equal(f->r.items[1].d, diff);
	assert_ptr_equal(f->r.items[2].d, off);
	fixture_free(f);
}

/* Address first, then RPPS, then ADELI: each match takes the account out of the next steps. */
static void test_order(void **st)
{
	struct fixture *f = fixture_new();
	struct account *a, *b;
	struct medimail_account *by_mail, *by_rpps, *by_adeli, *other;

	(void)st;
	/* a's RPPS is on another account than a's address: the address wins, and the other
	 * account is a second account of the same person */
	a = dir(f, "a", "a@x.fr", "10000000001", "");
	by_mail = mm(f, "a@x.fr", "", "", "Actif");
	other = mm(f, "a.other@x.fr", "10000000001", "", "Actif");
	/* b has an RPPS account and an ADELI account: RPPS first */
	b = dir(f, "b", "b@x.fr", "10000000002", "340000002");
	by_adeli = mm(f, "b.adeli@x.fr", "", "340000002", "Actif");
	by_rpps = mm(f, "b.rpps@x.fr", "10000000002", "", "Actif");
	run(f);
	assert_int_equal(of_dir(f, a)->cat, ADOPT_DIFFERS);        /* RPPS cell differs */
	assert_ptr_equal(of_dir(f, a)->m, by_mail);
	assert_int_equal(of_dir(f, a)->by, BY_MAIL);
	assert_int_equal(of_dir(f, b)->cat, ADOPT_RENAME);
	assert_ptr_equal(of_dir(f, b)->m, by_rpps);
	assert_int_equal(of_dir(f, b)->by, BY_RPPS);
	/* the left-over accounts carry the matched persons' identifiers: conflicts, not
	 * orphans */
	assert_int_equal(of_mm(f, other)->cat, ADOPT_CONFLICT);
	assert_int_equal(of_mm(f, other)->conflict, CONFLICT_TWO_ACCOUNTS);
	assert_ptr_equal(of_mm(f, other)->dv[0], a);
	assert_ptr_equal(of_mm(f, other)->mv[0], by_mail);
	assert_int_equal(of_mm(f, by_adeli)->cat, ADOPT_CONFLICT);
	assert_int_equal(f->r.count[ADOPT_ORPHAN], 0);
	fixture_free(f);

	/* by ADELI alone */
	f = fixture_new();
	a = dir(f, "a", "a@x.fr", "", "340000001");
	by_adeli = mm(f, "a.old@x.fr", "", "340000001", "Actif");
	run(f);
	assert_int_equal(of_dir(f, a)->cat, ADOPT_RENAME);
	assert_int_equal(of_dir(f, a)->by, BY_ADELI);
	assert_ptr_equal(of_dir(f, a)->m, by_adeli);
	fixture_free(f);
}

/* it is a conflict of kind that names nd directory entries and nm Medimail accounts. */
static void assert_conflict(const struct adopt_item *it, enum adopt_conflict kind, size_t nd,
			    size_t nm)
{
	assert_non_null(it);
	assert_int_equal(it->cat, ADOPT_CONFLICT);
	assert_int_equal(it->conflict, kind);
	assert_int_equal(it->nd, nd);
	assert_int_equal(it->nm, nm);
}

static void test_conflicts(void **st)
{
	struct fixture *f = fixture_new();
	struct account *twice, *c1, *c2, *p, *q1, *q2, *dup;
	struct medimail_account *t1, *t2, *shared, *p1, *p2, *q, *held;
	const struct adopt_item *it;

	(void)st;
	/* one address twice in the export */
	twice = dir(f, "t", "t@x.fr", "", "");
	t1 = mm(f, "t@x.fr", "", "", "Actif");
	t2 = mm(f, "t@x.fr", "", "", "Inactif");
	/* one Medimail account claimed by two entries with the same address */
	c1 = dir(f, "c1", "c@x.fr", "", "");
	c2 = dir(f, "c2", "C@x.fr", "", "");
	shared = mm(f, "c@x.fr", "", "", "Actif");
	/* two Medimail accounts with one person's RPPS, neither at its address */
	p = dir(f, "p", "p@x.fr", "10000000009", "");
	p1 = mm(f, "p1@x.fr", "10000000009", "", "Actif");
	p2 = mm(f, "p2@x.fr", "10000000009", "", "Actif");
	/* two entries with one RPPS, one Medimail account */
	q1 = dir(f, "q1", "q1@x.fr", "10000000010", "");
	q2 = dir(f, "q2", "q2@x.fr", "10000000010", "");
	q = mm(f, "q@x.fr", "10000000010", "", "Actif");
	/* an entry whose RPPS is held by an account matched to another entry by address */
	held = mm(f, "h@x.fr", "10000000011", "", "Actif");
	(void)dir(f, "h", "h@x.fr", "10000000011", "");
	dup = dir(f, "h2", "h2@x.fr", "10000000011", "");
	run(f);

	it = of_mm(f, t1);
	assert_conflict(it, CONFLICT_EXPORT_TWICE, 1, 2);
	assert_ptr_equal(it->mv[1], t2);
	assert_ptr_equal(it->dv[0], twice);

	it = of_mm(f, shared);
	assert_conflict(it, CONFLICT_CLAIMED, 2, 1);
	assert_ptr_equal(it->dv[0], c1);
	assert_ptr_equal(it->dv[1], c2);

	it = of_dir(f, p);
	assert_conflict(it, CONFLICT_TWO_ACCOUNTS, 1, 2);
	assert_ptr_equal(it->mv[0], p1);
	assert_ptr_equal(it->mv[1], p2);

	it = of_mm(f, q);
	assert_conflict(it, CONFLICT_CLAIMED, 2, 1);
	assert_ptr_equal(it->dv[0], q1);
	assert_ptr_equal(it->dv[1], q2);
	assert_ptr_equal(of_dir(f, q2), it);

	/* h keeps its mailbox; h2 claims it by RPPS: a conflict naming both */
	assert_int_equal(of_mm(f, held)->cat, ADOPT_IDENTICAL);
	it = of_dir(f, dup);
	assert_conflict(it, CONFLICT_CLAIMED, 2, 1);
	assert_ptr_equal(it->dv[0], dup);
	assert_ptr_equal(it->mv[0], held);

	assert_int_equal(f->r.count[ADOPT_CONFLICT], 5);
	assert_int_equal(f->r.count[ADOPT_NEW], 0);
	assert_int_equal(f->r.count[ADOPT_ORPHAN], 0);
	fixture_free(f);
}

static struct state_account *prev_of(struct state_account *s, const char *key, const char *mail,
				     enum acct_status st)
{
	memset(s, 0, sizeof(*s));
	s->key = xstrdup(key);
	s->dn = xasprintf("uid=%s,dc=test", key);
	s->type = BAL_PER;
	s->status = st;
	row_set(&s->row, COL_MAIL, mail);
	return s;
}

static void test_decide(void **st)
{
	struct fixture *f = fixture_new();
	struct state_account prev[3];
	struct adopt_opts o = { 0 };
	struct account *same, *diff, *ren, *fresh, *known, *managed, *off;
	const struct adopt_item *it;

	(void)st;
	same = dir(f, "k1", "same@x.fr", "", "");
	diff = dir(f, "k2", "diff@x.fr", "", "");
	ren = dir(f, "k3", "new@x.fr", "10000000003", "");
	fresh = dir(f, "k4", "fresh@x.fr", "", "");
	known = dir(f, "k5", "known@x.fr", "", "");
	managed = dir(f, "k6", "managed@x.fr", "", "");
	off = dir(f, "k7", "off@x.fr", "", "");
	(void)mm(f, "same@x.fr", "", "", "Actif");
	(void)mm(f, "diff@x.fr", "", "", "Actif");
	row_set(&f->mrow[1], COL_TEL1, "0467999999");
	(void)mm(f, "old@x.fr", "10000000003", "", "Actif");
	(void)mm(f, "departed@x.fr", "", "", "Actif");
	(void)mm(f, "gone-long-ago@x.fr", "", "", "Inactif");
	(void)mm(f, "known@x.fr", "", "", "Actif");
	(void)mm(f, "managed@x.fr", "", "", "Actif");
	(void)mm(f, "off@x.fr", "", "", "Inactif");
	run(f);
	/* the state: k5 with the row adopt would record; another key holds managed@ */
	prev_of(&prev[0], "k5", "known@x.fr", ST_ACTIVE);
	row_free(&prev[0].row);
	row_copy(&prev[0].row, &known->row);
	prev_of(&prev[1], "old-key", "managed@x.fr", ST_ACTIVE);
	prev_of(&prev[2], "k1", "same@x.fr", ST_EXPIRED);

	adopt_decide(&f->r, &f->list, prev, 3, &o);
	it = of_dir(f, same);
	assert_int_equal(it->outcome, OUT_REPLACED);        /* expired in the state, active */
	assert_int_equal(it->status, ST_ACTIVE);
	assert_ptr_equal(it->prev, &prev[2]);
	it = of_dir(f, diff);
	assert_int_equal(it->outcome, OUT_ADDED);
	assert_string_equal(it->key, "k2");
	/* Medimail's value where it differs, the directory's for the columns it lacks */
	assert_string_equal(row_get(&it->rec, COL_TEL1), "0467999999");
	assert_string_equal(row_get(&it->rec, COL_CIVILITE), "not in the export");
	assert_int_equal(of_dir(f, ren)->outcome, OUT_UNCONFIRMED);
	assert_int_equal(of_dir(f, fresh)->outcome, OUT_NONE);
	assert_int_equal(of_dir(f, known)->outcome, OUT_SAME);
	it = of_dir(f, managed);
	assert_int_equal(it->outcome, OUT_MANAGED);
	assert_ptr_equal(it->other, &prev[1]);
	it = of_dir(f, off);
	assert_int_equal(it->outcome, OUT_ADDED);
	assert_int_equal(it->status, ST_EXPIRED);
	assert_int_equal(of_mm(f, &f->m[3])->outcome, OUT_NOT_ASKED);
	assert_int_equal(of_mm(f, &f->m[4])->outcome, OUT_NONE);      /* inactive orphan */
	assert_int_equal(f->r.outcome[OUT_ADDED], 2);
	assert_true(adopt_needs_admin(&f->r));

	/* with both flags: the rename is recorded under Medimail's address, the active orphan
	 * under a key of its own */
	o.accept_renames = o.expire_orphans = true;
	adopt_decide(&f->r, &f->list, prev, 3, &o);
	it = of_dir(f, ren);
	assert_int_equal(it->outcome, OUT_ADDED);
	assert_string_equal(row_get(&it->rec, COL_MAIL), "old@x.fr");
	it = of_mm(f, &f->m[3]);
	assert_int_equal(it->outcome, OUT_ADDED);
	assert_string_equal(it->key, "medimail:departed@x.fr");
	assert_int_equal(it->status, ST_ACTIVE);
	assert_string_equal(row_get(&it->rec, COL_MAIL), "departed@x.fr");
	assert_int_equal(of_mm(f, &f->m[4])->outcome, OUT_NONE);
	assert_false(adopt_needs_admin(&f->r));

	for (size_t i = 0; i < 3; i++)
		state_account_free(&prev[i]);
	fixture_free(f);
}

/* A rejected entry with a mailbox needs the admin; one without a stable id is not recorded. */
static void test_rejected(void **st)
{
	struct fixture *f = fixture_new();
	struct adopt_opts o = { 0 };
	struct account *a, *b;

	(void)st;
	a = dir(f, "k1", "A@X.fr", "", "");
	a->rejected = true;
	b = dir(f, "dn:uid=b,dc=test", "b@x.fr", "", "");
	b->rejected = true;
	(void)mm(f, "a@x.fr", "", "", "Actif");
	(void)mm(f, "b@x.fr", "", "", "Actif");
	run(f);
	adopt_decide(&f->r, &f->list, NULL, 0, &o);
	assert_int_equal(of_dir(f, a)->cat, ADOPT_REJECTED);
	assert_int_equal(of_dir(f, a)->outcome, OUT_ADDED);
	/* recorded under Medimail's address, not the directory's upper-case one */
	assert_string_equal(row_get(&of_dir(f, a)->rec, COL_MAIL), "a@x.fr");
	assert_int_equal(of_dir(f, b)->cat, ADOPT_REJECTED);
	assert_int_equal(of_dir(f, b)->outcome, OUT_NONE);
	assert_true(adopt_needs_admin(&f->r));
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_words),
		cmocka_unit_test(test_diff_rules),
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_conflicts),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
