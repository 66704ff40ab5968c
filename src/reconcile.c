/*
 * reconcile.c - Medimail's export against the state: accounts matched by address (then, for
 * those absent, by RPPS or ADELI to spot a change of address in the console), what --commit
 * changes, and the values kept by hand. Pure: no I/O.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "reconcile.h"

static const char *const cat_names[RECON_NCATS] = {
	[RECON_OK] = "ok",           [RECON_MISSING] = "missing",
	[RECON_MOVED] = "moved",     [RECON_DIFFERS] = "differs",
	[RECON_NOT_EXPIRED] = "not-expired", [RECON_UNKNOWN] = "unknown",
};

const char *recon_cat_name(enum recon_cat c)
{
	return (unsigned)c < RECON_NCATS ? cat_names[c] : "?";
}

void kept_value_free(struct kept_value *k)
{
	if (!k)
		return;
	free(k->key);
	free(k->value);
	free(k->base);
	k->key = k->value = k->base = NULL;
}

/* A date as the loadusers file writes it, "AA-MM-JJ": these compare as text. */
static bool is_date(const char *s)
{
	static const char shape[] = "99-99-99";

	if (strlen(s) != 8)
		return false;
	for (int i = 0; i < 8; i++)
		if (shape[i] == '9' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return false;
	return true;
}

struct recon {
	const struct medimail_list *mm;
	struct recon_result *out;
	size_t cap;
	bool *used;               /* Medimail accounts matched */
	char *today;              /* AA-MM-JJ */
};

static struct recon_item *new_item(struct recon *x, enum recon_cat cat,
				   const struct state_account *s, const struct medimail_account *m)
{
	struct recon_item *it;

	xgrow(&x->out->items, &x->cap, x->out->n + 1, sizeof(*x->out->items));
	it = &x->out->items[x->out->n++];
	memset(it, 0, sizeof(*it));
	it->cat = cat;
	it->s = s;
	it->m = m;
	it->mstate = m ? medimail_state(m->state) : MM_UNKNOWN;
	return it;
}

/* An expired account that Medimail still shows: its expiry was not applied when Medimail says
 * it is active past the date written, or shows another date (or none) without saying it is
 * inactive. */
static void expired_one(struct recon *x, const struct state_account *s,
			const struct medimail_account *m)
{
	const char *ours = row_get(&s->row, COL_PEREMPTION);
	enum mm_state st = medimail_state(m->state);
	bool passed = is_date(ours) && strcmp(ours, x->today) < 0;
	bool other_date = (x->mm->cols & (1ULL << COL_PEREMPTION)) &&
			  medimail_diff(&s->row, m->row, 1ULL << COL_PEREMPTION);
	struct recon_item *it;

	if ((st == MM_ACTIVE && passed) || (st != MM_INACTIVE && other_date)) {
		it = new_item(x, RECON_NOT_EXPIRED, s, m);
		it->passed = passed;
		it->diff = medimail_diff(&s->row, m->row, x->mm->cols);
	} else {
		new_item(x, RECON_OK, s, m);
	}
}

/* Absent accounts: one unknown Medimail account with the same RPPS (else ADELI) is probably
 * the same mailbox under an address changed in the console. */
static void moved(struct recon *x)
{
	struct hmap *ids[2] = { hmap_new(false), hmap_new(false) };
	static const enum col idcol[2] = { COL_RPPS, COL_ADELI };
	void *const many = (void *)-1;

	for (size_t j = 0; j < x->mm->n; j++) {
		for (int k = 0; k < 2 && !x->used[j]; k++) {
			char *v = str_trim(row_get(x->mm->acc[j].row, idcol[k]));

			if (*v && hmap_add(ids[k], v, (void *)(j + 1)))
				hmap_put(ids[k], v, many);
			free(v);
		}
	}
	for (size_t i = 0; i < x->out->n; i++) {
		struct recon_item *it = &x->out->items[i];

		for (int k = 0; k < 2 && it->cat == RECON_MISSING; k++) {
			char *v = str_trim(row_get(&it->s->row, idcol[k]));
			void *hit = *v ? hmap_get(ids[k], v) : NULL;
			size_t j;

			free(v);
			if (!hit || hit == many || x->used[j = (size_t)hit - 1])
				continue;
			x->used[j] = true;
			it->cat = RECON_MOVED;
			it->m = &x->mm->acc[j];
			it->mstate = medimail_state(it->m->state);
			it->by = k == 0 ? BY_RPPS : BY_ADELI;
			it->diff = medimail_diff(&it->s->row, it->m->row, x->mm->cols);
		}
	}
	hmap_free(ids[0]);
	hmap_free(ids[1]);
}

static const char *item_mail(const struct recon_item *it)
{
	return it->s ? row_get(&it->s->row, COL_MAIL) : row_get(it->m->row, COL_MAIL);
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct recon_item *a = pa, *b = pb;
	int c;

	if (a->cat != b->cat)
		return a->cat < b->cat ? -1 : 1;
	c = strcmp(item_mail(a), item_mail(b));
	if (!c && a->s && b->s)
		c = strcmp(a->s->key, b->s->key);
	if (!c && a->m && b->m)
		c = a->m->line < b->m->line ? -1 : a->m->line > b->m->line;
	return c;
}

void reconcile_compare(const struct state_account *st, size_t nst,
		       const struct medimail_list *mm, long long now, struct recon_result *out)
{
	struct recon x = { mm, out, 0, NULL, plan_date(now) };
	struct hmap *by_mail = hmap_new(false), *active = hmap_new(false);

	memset(out, 0, sizeof(*out));
	x.used = xcalloc(mm->n ? mm->n : 1, sizeof(*x.used));
	for (size_t j = 0; j < mm->n; j++) {
		char *k = medimail_mail_key(row_get(mm->acc[j].row, COL_MAIL));

		hmap_add(by_mail, k, (void *)&mm->acc[j]);
		free(k);
	}
	for (size_t i = 0; i < nst; i++) {
		char *k = medimail_mail_key(row_get(&st[i].row, COL_MAIL));

		if (st[i].status == ST_ACTIVE)
			hmap_add(active, k, (void *)&st[i]);
		free(k);
	}
	for (size_t i = 0; i < nst; i++) {
		const struct state_account *s = &st[i];
		char *k = medimail_mail_key(row_get(&s->row, COL_MAIL));
		const struct medimail_account *m = hmap_get(by_mail, k);
		const struct state_account *a = hmap_get(active, k);
		struct recon_item *it;

		free(k);
		if (m)
			x.used[m - mm->acc] = true;
		if (s->status == ST_EXPIRED) {
			/* gone from Medimail, or the address is in use again */
			if (m && !a)
				expired_one(&x, s, m);
			continue;
		}
		if (!m) {
			new_item(&x, RECON_MISSING, s, NULL);
			continue;
		}
		it = new_item(&x, RECON_OK, s, m);
		it->diff = medimail_diff(&s->row, m->row, mm->cols);
		if (it->mstate == MM_INACTIVE)
			it->diff |= DIFF_STATE;
		if (it->diff)
			it->cat = RECON_DIFFERS;
	}
	moved(&x);
	for (size_t j = 0; j < mm->n; j++)
		if (!x.used[j])
			new_item(&x, RECON_UNKNOWN, NULL, &mm->acc[j]);
	if (out->n)
		qsort(out->items, out->n, sizeof(*out->items), item_cmp);
	for (size_t i = 0; i < out->n; i++) {
		const struct recon_item *it = &out->items[i];
		enum bal_type t = it->s ? it->s->type :
				  bal_type_parse(row_get(it->m->row, COL_TYPE_BAL));

		out->count[it->cat]++;
		out->count_type[it->cat][t == BAL_NONE ? BAL_NTYPES : t]++;
	}
	hmap_free(by_mail);
	hmap_free(active);
	free(x.used);
	free(x.today);
}

/* The state's row with Medimail's values in the cells of diff. */
static void with_theirs(struct row *dst, const struct row *ours, const struct row *theirs,
			unsigned long long diff)
{
	row_copy(dst, ours);
	for (int c = 0; c < NCOLS; c++)
		if (diff & (1ULL << c))
			row_set(dst, (enum col)c, row_get(theirs, (enum col)c));
	row_pack(dst);
}

static void keep_cells(struct recon_result *r, const struct recon_item *it, size_t *cap)
{
	for (int c = 0; c < NCOLS; c++) {
		struct kept_value *k;

		if (!(it->diff & (1ULL << c)))
			continue;
		xgrow(&r->kept, cap, r->nkept + 1, sizeof(*r->kept));
		k = &r->kept[r->nkept++];
		k->key = xstrdup(it->s->key);
		k->col = c;
		k->value = xstrdup(row_get(it->m->row, (enum col)c));
		k->base = xstrdup(row_get(&it->s->row, (enum col)c));
	}
}

void reconcile_decide(struct recon_result *r, enum hand_edits h)
{
	size_t cap = 0;

	for (size_t i = 0; i < r->nkept; i++)
		kept_value_free(&r->kept[i]);
	free(r->kept);
	r->kept = NULL;
	r->nkept = 0;
	memset(r->outcome, 0, sizeof(r->outcome));
	for (size_t i = 0; i < r->n; i++) {
		struct recon_item *it = &r->items[i];
		unsigned long long cells = it->diff & ~DIFF_STATE;

		row_free(&it->rec);
		it->outcome = RO_NONE;
		if (it->cat == RECON_MISSING) {
			it->outcome = RO_REQUEUE;
		} else if (it->cat == RECON_NOT_EXPIRED) {
			it->outcome = RO_REEXPIRE;
			row_copy(&it->rec, &it->s->row);
			row_pack(&it->rec);
			it->status = ST_ACTIVE;
		} else if (it->cat == RECON_DIFFERS && h == HAND_OVERWRITE) {
			it->outcome = RO_REPLACE;
			with_theirs(&it->rec, &it->s->row, it->m->row, cells);
			it->status = it->diff & DIFF_STATE ? ST_EXPIRED : it->s->status;
		} else if (it->cat == RECON_DIFFERS && cells) {
			it->outcome = RO_KEEP;
			with_theirs(&it->rec, &it->s->row, it->m->row, cells);
			it->status = it->s->status;
			keep_cells(r, it, &cap);
		}
		r->outcome[it->outcome]++;
	}
}

bool reconcile_needs_admin(const struct recon_result *r)
{
	return r->count[RECON_OK] < r->n;
}

void reconcile_result_free(struct recon_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		row_free(&r->items[i].rec);
	free(r->items);
	for (size_t i = 0; i < r->nkept; i++)
		kept_value_free(&r->kept[i]);
	free(r->kept);
	memset(r, 0, sizeof(*r));
}

size_t reconcile_keep_apply(struct account *acc, size_t nacc, const struct kept_value *k,
			    size_t nk)
{
	struct hmap *by_key;
	size_t changed = 0;

	if (!nk)
		return 0;
	by_key = hmap_new_borrowed(false);
	for (size_t i = 0; i < nacc; i++)
		hmap_add(by_key, acc[i].key, &acc[i]);
	for (size_t i = 0; i < nk; i++) {
		struct account *a = hmap_get(by_key, k[i].key);

		if (!a || k[i].col < 0 || k[i].col >= NCOLS ||
		    strcmp(row_get(&a->row, (enum col)k[i].col), k[i].base) != 0)
			continue;
		row_set(&a->row, (enum col)k[i].col, k[i].value);
		row_pack(&a->row);       /* rows stay packed for the rest of the run */
		changed++;
	}
	hmap_free(by_key);
	return changed;
}
