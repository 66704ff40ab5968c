/*
 * adopt.c - Medimail's export against the directory's accounts: matching by address, then
 * RPPS, then ADELI, conflicts named rather than guessed, and what --commit records. Pure: no
 * I/O. Look-ups go through hash maps, so matching takes linear time.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "adopt.h"

static const char *const cat_names[ADOPT_NCATS] = {
	[ADOPT_IDENTICAL] = "identical", [ADOPT_DIFFERS] = "differs",
	[ADOPT_RENAME] = "rename",       [ADOPT_LEAVING] = "leaving",
	[ADOPT_REJECTED] = "rejected",   [ADOPT_NEW] = "new",
	[ADOPT_SKIPPED] = "skipped",     [ADOPT_ORPHAN] = "medimail-only",
	[ADOPT_CONFLICT] = "conflict",
};

const char *adopt_cat_name(enum adopt_cat c)
{
	return (unsigned)c < ADOPT_NCATS ? cat_names[c] : "?";
}

const char *adopt_by_name(enum adopt_by b)
{
	return b == BY_MAIL ? "address" : b == BY_RPPS ? "RPPS" : b == BY_ADELI ? "ADELI" : "";
}

/* Medimail's account states, folded (utf8_fold) and matched as prefixes: data, not code.
 * The inactive words come first: "inactif" must not read as "actif". */
static const struct {
	const char *prefix;
	enum mm_state st;
} state_words[] = {
	{ "inactiv", MM_INACTIVE },  { "inactif", MM_INACTIVE },  { "desactiv", MM_INACTIVE },
	{ "expir", MM_INACTIVE },    { "perim", MM_INACTIVE },    { "supprim", MM_INACTIVE },
	{ "bloqu", MM_INACTIVE },    { "suspend", MM_INACTIVE },  { "ferme", MM_INACTIVE },
	{ "clos", MM_INACTIVE },     { "archiv", MM_INACTIVE },   { "disabled", MM_INACTIVE },
	{ "deleted", MM_INACTIVE },  { "locked", MM_INACTIVE },
	{ "actif", MM_ACTIVE },      { "activ", MM_ACTIVE },      { "pre inscrit", MM_ACTIVE },
	{ "preinscrit", MM_ACTIVE }, { "inscrit", MM_ACTIVE },    { "valid", MM_ACTIVE },
	{ "en attente", MM_ACTIVE }, { "enabled", MM_ACTIVE },    { "ouvert", MM_ACTIVE },
};

enum mm_state medimail_state(const char *text)
{
	enum mm_state st = MM_UNKNOWN;
	char *f;

	if (str_empty(text))
		return MM_UNKNOWN;
	f = utf8_fold(text);
	for (size_t i = 0; i < ARRAY_SIZE(state_words); i++)
		if (strncmp(f, state_words[i].prefix, strlen(state_words[i].prefix)) == 0) {
			st = state_words[i].st;
			break;
		}
	free(f);
	return st;
}

static bool is_blank_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The trimmed span of s. */
static void span(const char *s, const char **b, size_t *n)
{
	const char *e = s + strlen(s);

	while (is_blank_char(*s))
		s++;
	while (e > s && is_blank_char(e[-1]))
		e--;
	*b = s;
	*n = (size_t)(e - s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A ";"-separated list of addresses, trimmed, lower case, sorted, duplicates dropped. */
static char *address_set(const char *list)
{
	char *low = utf8_lower(list), *save = NULL, *tok, **v = NULL;
	struct strbuf sb = { 0 };
	size_t n = 0, cap = 0;

	for (tok = strtok_r(low, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		const char *b;
		size_t len;

		span(tok, &b, &len);
		if (!len)
			continue;
		xgrow(&v, &cap, n + 1, sizeof(*v));
		v[n++] = xstrndup(b, len);
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	sb_add(&sb, "");
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(v[i], v[i - 1]) != 0)
			sb_addf(&sb, "%s%s", sb.len ? ";" : "", v[i]);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	free(low);
	return sb_steal(&sb);
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + s[i] - '0';
	}
	return v;
}

/* A date as YYYYMMDD, from the loadusers file's AA-MM-JJ, or what an export may show:
 * YYYY-MM-DD (a spreadsheet's date cell, maybe with a time), DD/MM/YYYY; 0 otherwise. */
static long date_key(const char *s, size_t n)
{
	int y = -1, m = -1, d = -1;

	if (n == 8 && s[2] == '-' && s[5] == '-') {
		y = digits(s, 2);
		y = y < 0 ? -1 : 2000 + y;
		m = digits(s + 3, 2);
		d = digits(s + 6, 2);
	} else if (n >= 10 && s[4] == '-' && s[7] == '-' && (n == 10 || s[10] == ' ')) {
		y = digits(s, 4);
		m = digits(s + 5, 2);
		d = digits(s + 8, 2);
	} else if (n == 10 && s[2] == '/' && s[5] == '/') {
		d = digits(s, 2);
		m = digits(s + 3, 2);
		y = digits(s + 6, 4);
	}
	if (y < 0 || m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	return y * 10000L + m * 100 + d;
}

static bool cell_equal(enum col c, const char *a, const char *b)
{
	const char *pa, *pb;
	size_t na, nb;
	bool eq;

	if (c == COL_CONNEXION) {
		char *sa = address_set(a), *sb = address_set(b);

		eq = strcmp(sa, sb) == 0;
		free(sa);
		free(sb);
		return eq;
	}
	span(a, &pa, &na);
	span(b, &pb, &nb);
	if (c == COL_PEREMPTION) {
		long da = date_key(pa, na), db = date_key(pb, nb);

		if (da && db)
			return da == db;
	}
	if (na != nb)
		return false;
	if (c == COL_MAIL)
		return strncasecmp(pa, pb, na) == 0;
	return memcmp(pa, pb, na) == 0;
}

unsigned long long medimail_diff(const struct row *ours, const struct row *theirs,
				 unsigned long long cols)
{
	unsigned long long d = 0;

	for (int c = 0; c < NCOLS; c++)
		if ((cols & (1ULL << c)) &&
		    !cell_equal((enum col)c, row_get(ours, (enum col)c), row_get(theirs, (enum col)c)))
			d |= 1ULL << c;
	return d;
}

/* --- matching ------------------------------------------------------------------------- */

/* A list of indexes. */
struct ilist {
	size_t *v;
	size_t n, cap;
};

static void il_add(struct ilist *l, size_t i)
{
	xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = i;
}

/* Key -> list of indexes, keys borrowed (they live in the caller's arrays). */
struct multimap {
	struct hmap *h;
	struct ilist *lists;
	size_t n, cap;
};

static void mm_init(struct multimap *m)
{
	memset(m, 0, sizeof(*m));
	m->h = hmap_new_borrowed(false);
}

static void mm_add(struct multimap *m, const char *key, size_t i)
{
	void *v;

	if (!*key)
		return;
	v = hmap_get(m->h, key);
	if (!v) {
		xgrow(&m->lists, &m->cap, m->n + 1, sizeof(*m->lists));
		memset(&m->lists[m->n], 0, sizeof(*m->lists));
		v = (void *)(m->n + 1);
		m->n++;
		hmap_put(m->h, key, v);
	}
	il_add(&m->lists[(size_t)v - 1], i);
}

static const struct ilist *mm_get(const struct multimap *m, const char *key)
{
	void *v = *key ? hmap_get(m->h, key) : NULL;

	return v ? &m->lists[(size_t)v - 1] : NULL;
}

static void mm_free(struct multimap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->lists[i].v);
	free(m->lists);
	hmap_free(m->h);
}

enum side_state { S_FREE, S_MATCHED, S_CONFLICT };

/* One side of the matching: its keys and where each account stands. */
struct side {
	size_t n;
	char **mail, **rpps, **adeli;      /* folded keys, "" when empty */
	enum side_state *st;
	size_t *peer;                      /* S_MATCHED: index on the other side */
	enum adopt_by *by;
};

char *medimail_mail_key(const char *v)
{
	const char *b;
	size_t n;
	char *t, *low;

	span(v, &b, &n);
	t = xstrndup(b, n);
	low = utf8_lower(t);
	free(t);
	return low;
}

static char *trimmed(const char *v)
{
	const char *b;
	size_t n;

	span(v, &b, &n);
	return xstrndup(b, n);
}

static void side_init(struct side *s, size_t n)
{
	s->n = n;
	s->mail = xcalloc(n ? n : 1, sizeof(*s->mail));
	s->rpps = xcalloc(n ? n : 1, sizeof(*s->rpps));
	s->adeli = xcalloc(n ? n : 1, sizeof(*s->adeli));
	s->st = xcalloc(n ? n : 1, sizeof(*s->st));
	s->peer = xcalloc(n ? n : 1, sizeof(*s->peer));
	s->by = xcalloc(n ? n : 1, sizeof(*s->by));
}

static void side_set(struct side *s, size_t i, const struct row *r)
{
	s->mail[i] = medimail_mail_key(row_get(r, COL_MAIL));
	s->rpps[i] = trimmed(row_get(r, COL_RPPS));
	s->adeli[i] = trimmed(row_get(r, COL_ADELI));
}

static void side_free(struct side *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->mail[i]);
		free(s->rpps[i]);
		free(s->adeli[i]);
	}
	free(s->mail);
	free(s->rpps);
	free(s->adeli);
	free(s->st);
	free(s->peer);
	free(s->by);
}

struct matcher {
	const struct account *acc;
	const struct medimail_list *mm;
	long long now;
	struct side d, m;
	struct adopt_result *out;
	size_t cap;
};

static struct adopt_item *new_item(struct matcher *x, enum adopt_cat cat)
{
	struct adopt_item *it;

	xgrow(&x->out->items, &x->cap, x->out->n + 1, sizeof(*x->out->items));
	it = &x->out->items[x->out->n++];
	memset(it, 0, sizeof(*it));
	it->cat = cat;
	it->mstate = MM_UNKNOWN;
	return it;
}

static void pair(struct matcher *x, size_t di, size_t mi, enum adopt_by by)
{
	x->d.st[di] = x->m.st[mi] = S_MATCHED;
	x->d.peer[di] = mi;
	x->m.peer[mi] = di;
	x->d.by[di] = x->m.by[mi] = by;
}

/* A conflict naming the directory accounts ds and the Medimail accounts ms; those still free
 * become S_CONFLICT (an account matched on its own stays matched). */
static void conflict(struct matcher *x, enum adopt_conflict kind, const size_t *ds, size_t nd,
		     const size_t *ms, size_t nm)
{
	struct adopt_item *it = new_item(x, ADOPT_CONFLICT);

	it->conflict = kind;
	it->dv = xcalloc(nd ? nd : 1, sizeof(*it->dv));
	it->mv = xcalloc(nm ? nm : 1, sizeof(*it->mv));
	for (size_t i = 0; i < nd; i++) {
		it->dv[it->nd++] = &x->acc[ds[i]];
		if (x->d.st[ds[i]] == S_FREE)
			x->d.st[ds[i]] = S_CONFLICT;
	}
	for (size_t i = 0; i < nm; i++) {
		it->mv[it->nm++] = &x->mm->acc[ms[i]];
		if (x->m.st[ms[i]] == S_FREE)
			x->m.st[ms[i]] = S_CONFLICT;
	}
}

/* By address: an address twice in the export, or claimed by two entries, is a conflict. */
static void match_mail(struct matcher *x, const struct multimap *dm, const struct multimap *mmap)
{
	for (size_t i = 0; i < x->d.n; i++) {
		const struct ilist *ds, *ms;

		if (x->d.st[i] != S_FREE || !*x->d.mail[i])
			continue;
		ds = mm_get(dm, x->d.mail[i]);
		ms = mm_get(mmap, x->d.mail[i]);
		if (!ms)
			continue;
		/* the first entry of the address handles the whole group */
		if (ms->n > 1)
			conflict(x, CONFLICT_EXPORT_TWICE, ds->v, ds->n, ms->v, ms->n);
		else if (ds->n > 1)
			conflict(x, CONFLICT_CLAIMED, ds->v, ds->n, ms->v, 1);
		else
			pair(x, i, ms->v[0], BY_MAIL);
	}
	/* addresses twice in the export that no entry claims */
	for (size_t j = 0; j < x->m.n; j++) {
		const struct ilist *ms;

		if (x->m.st[j] != S_FREE)
			continue;
		ms = mm_get(mmap, x->m.mail[j]);
		if (ms && ms->n > 1)
			conflict(x, CONFLICT_EXPORT_TWICE, NULL, 0, ms->v, ms->n);
	}
}

/* By identifier (RPPS or ADELI), among the accounts still free on both sides. */
static void match_id(struct matcher *x, enum adopt_by by)
{
	char **dkey = by == BY_RPPS ? x->d.rpps : x->d.adeli;
	char **mkey = by == BY_RPPS ? x->m.rpps : x->m.adeli;
	struct multimap idx;
	struct ilist *cand = xcalloc(x->d.n ? x->d.n : 1, sizeof(*cand));
	size_t *claims = xcalloc(x->m.n ? x->m.n : 1, sizeof(*claims));

	mm_init(&idx);
	for (size_t j = 0; j < x->m.n; j++)
		mm_add(&idx, mkey[j], j);
	/* every free entry's candidates, before anything changes */
	for (size_t i = 0; i < x->d.n; i++) {
		const struct ilist *l = x->d.st[i] == S_FREE ? mm_get(&idx, dkey[i]) : NULL;

		for (size_t k = 0; l && k < l->n; k++)
			if (x->m.st[l->v[k]] == S_FREE) {
				il_add(&cand[i], l->v[k]);
				claims[l->v[k]]++;
			}
	}
	for (size_t i = 0; i < x->d.n; i++) {
		size_t j;

		if (cand[i].n > 1) {
			conflict(x, CONFLICT_TWO_ACCOUNTS, &i, 1, cand[i].v, cand[i].n);
			continue;
		}
		if (cand[i].n == 0 || x->d.st[i] != S_FREE)
			continue;
		j = cand[i].v[0];
		if (claims[j] == 1 && x->m.st[j] == S_FREE) {
			pair(x, i, j, by);
		} else if (x->m.st[j] != S_FREE) {
			/* taken by another entry's conflict meanwhile */
			conflict(x, CONFLICT_CLAIMED, &i, 1, &j, 1);
		} else {
			/* claimed by several: one conflict with all the claimants */
			struct ilist who = { 0 };

			for (size_t k = 0; k < x->d.n; k++)
				if (cand[k].n == 1 && cand[k].v[0] == j && x->d.st[k] == S_FREE)
					il_add(&who, k);
			conflict(x, CONFLICT_CLAIMED, who.v, who.n, &j, 1);
			free(who.v);
		}
	}
	/* a free entry whose identifier belongs to an account matched to someone else */
	for (size_t i = 0; i < x->d.n; i++) {
		const struct ilist *l = x->d.st[i] == S_FREE ? mm_get(&idx, dkey[i]) : NULL;
		struct ilist ds = { 0 }, ms = { 0 };

		for (size_t k = 0; l && k < l->n; k++)
			if (x->m.st[l->v[k]] == S_MATCHED) {
				il_add(&ms, l->v[k]);
				il_add(&ds, x->m.peer[l->v[k]]);
			}
		if (ms.n) {
			il_add(&ds, i);
			/* the claimant first */
			ds.v[ds.n - 1] = ds.v[0];
			ds.v[0] = i;
			conflict(x, CONFLICT_CLAIMED, ds.v, ds.n, ms.v, ms.n);
		}
		free(ds.v);
		free(ms.v);
	}
	for (size_t i = 0; i < x->d.n; i++)
		free(cand[i].v);
	free(cand);
	free(claims);
	mm_free(&idx);
}

/* Medimail accounts left over whose RPPS or ADELI is a matched entry's: a second account of
 * one person. */
static void second_accounts(struct matcher *x)
{
	struct hmap *rpps = hmap_new_borrowed(false), *adeli = hmap_new_borrowed(false);
	struct ilist *extra = xcalloc(x->d.n ? x->d.n : 1, sizeof(*extra));

	for (size_t i = 0; i < x->d.n; i++) {
		if (x->d.st[i] != S_MATCHED)
			continue;
		if (*x->d.rpps[i])
			hmap_add(rpps, x->d.rpps[i], (void *)(i + 1));
		if (*x->d.adeli[i])
			hmap_add(adeli, x->d.adeli[i], (void *)(i + 1));
	}
	for (size_t j = 0; j < x->m.n; j++) {
		void *v = NULL;

		if (x->m.st[j] != S_FREE)
			continue;
		if (*x->m.rpps[j])
			v = hmap_get(rpps, x->m.rpps[j]);
		if (!v && *x->m.adeli[j])
			v = hmap_get(adeli, x->m.adeli[j]);
		if (v)
			il_add(&extra[(size_t)v - 1], j);
	}
	for (size_t i = 0; i < x->d.n; i++) {
		if (!extra[i].n)
			continue;
		/* the account matched to the entry first, then the others */
		il_add(&extra[i], x->d.peer[i]);
		memmove(extra[i].v + 1, extra[i].v, (extra[i].n - 1) * sizeof(*extra[i].v));
		extra[i].v[0] = x->d.peer[i];
		conflict(x, CONFLICT_TWO_ACCOUNTS, &i, 1, extra[i].v, extra[i].n);
		free(extra[i].v);
	}
	free(extra);
	hmap_free(rpps);
	hmap_free(adeli);
}

static bool leaving(const struct account *a, long long now)
{
	return a->disabled || (a->end_time && a->end_time <= now);
}

static enum bal_type item_type(const struct adopt_item *it)
{
	const struct account *d = it->d ? it->d : it->nd ? it->dv[0] : NULL;
	const struct medimail_account *m = it->m ? it->m : it->nm ? it->mv[0] : NULL;

	if (d && d->type != BAL_NONE)
		return d->type;
	return m ? bal_type_parse(row_get(m->row, COL_TYPE_BAL)) : BAL_NONE;
}

static const char *item_mail(const struct adopt_item *it)
{
	if (it->m)
		return row_get(it->m->row, COL_MAIL);
	if (it->d)
		return row_get(&it->d->row, COL_MAIL);
	if (it->nm)
		return row_get(it->mv[0]->row, COL_MAIL);
	return it->nd ? row_get(&it->dv[0]->row, COL_MAIL) : "";
}

static int item_cmp(const void *pa, const void *pb)
{
	const struct adopt_item *a = pa, *b = pb;
	int c;

	if (a->cat != b->cat)
		return a->cat < b->cat ? -1 : 1;
	c = strcmp(item_mail(a), item_mail(b));
	if (c)
		return c;
	if (a->m && b->m && a->m->line != b->m->line)
		return a->m->line < b->m->line ? -1 : 1;
	if (a->d && b->d && a->d->dn && b->d->dn)
		return strcmp(a->d->dn, b->d->dn);
	return 0;
}

/* The item of a matched pair. */
static void matched_item(struct matcher *x, size_t i)
{
	const struct account *d = &x->acc[i];
	const struct medimail_account *m = &x->mm->acc[x->d.peer[i]];
	enum adopt_by by = x->d.by[i];
	struct adopt_item *it;
	enum adopt_cat cat;
	unsigned long long diff = medimail_diff(&d->row, m->row, x->mm->cols);
	enum mm_state st = medimail_state(m->state);

	if (st == MM_INACTIVE)
		diff |= DIFF_STATE;
	if (d->rejected)
		cat = ADOPT_REJECTED;
	else if (leaving(d, x->now))
		cat = ADOPT_LEAVING;
	else if (by != BY_MAIL)
		cat = ADOPT_RENAME;
	else
		cat = diff ? ADOPT_DIFFERS : ADOPT_IDENTICAL;
	it = new_item(x, cat);
	it->by = by;
	it->d = d;
	it->m = m;
	it->mstate = st;
	it->diff = diff;
}

void adopt_match(const struct account *acc, size_t nacc, const struct medimail_list *mm,
		 long long now, struct adopt_result *out)
{
	struct matcher x = { acc, mm, now, { 0 }, { 0 }, out, 0 };
	struct multimap dmail, mmail;

	memset(out, 0, sizeof(*out));
	side_init(&x.d, nacc);
	side_init(&x.m, mm->n);
	mm_init(&dmail);
	mm_init(&mmail);
	for (size_t i = 0; i < nacc; i++) {
		side_set(&x.d, i, &acc[i].row);
		mm_add(&dmail, x.d.mail[i], i);
	}
	for (size_t j = 0; j < mm->n; j++) {
		side_set(&x.m, j, mm->acc[j].row);
		mm_add(&mmail, x.m.mail[j], j);
	}

	match_mail(&x, &dmail, &mmail);
	match_id(&x, BY_RPPS);
	match_id(&x, BY_ADELI);
	second_accounts(&x);

	for (size_t i = 0; i < nacc; i++) {
		struct adopt_item *it;

		if (x.d.st[i] == S_MATCHED) {
			matched_item(&x, i);
		} else if (x.d.st[i] == S_FREE) {
			it = new_item(&x, acc[i].rejected || leaving(&acc[i], now) ? ADOPT_SKIPPED :
				      ADOPT_NEW);
			it->d = &acc[i];
		}
	}
	for (size_t j = 0; j < mm->n; j++) {
		struct adopt_item *it;

		if (x.m.st[j] != S_FREE)
			continue;
		it = new_item(&x, ADOPT_ORPHAN);
		it->m = &mm->acc[j];
		it->mstate = medimail_state(mm->acc[j].state);
	}
	if (out->n)
		qsort(out->items, out->n, sizeof(*out->items), item_cmp);
	for (size_t k = 0; k < out->n; k++) {
		enum bal_type t = item_type(&out->items[k]);

		out->count[out->items[k].cat]++;
		out->count_type[out->items[k].cat][t == BAL_NONE ? BAL_NTYPES : t]++;
	}
	mm_free(&dmail);
	mm_free(&mmail);
	side_free(&x.d);
	side_free(&x.m);
}

/* --- what --commit records ------------------------------------------------------------- */

/* The directory's row with Medimail's values where a compared cell differs, and Medimail's
 * address: it names the mailbox (a rejected entry's may differ in case). */
static void merged_row(struct row *dst, const struct row *dir, const struct row *mm,
		       unsigned long long diff)
{
	row_copy(dst, dir);
	for (int c = 0; c < NCOLS; c++)
		if (diff & (1ULL << c))
			row_set(dst, (enum col)c, row_get(mm, (enum col)c));
	row_set(dst, COL_MAIL, row_get(mm, COL_MAIL));
	row_pack(dst);
}

static void decide_one(struct adopt_item *it, const struct medimail_list *mm,
		       struct hmap *by_key, struct hmap *active_mail, struct hmap *any_mail,
		       const struct adopt_opts *o)
{
	const struct state_account *other;
	char *mail;

	if (it->cat == ADOPT_ORPHAN) {
		if (it->mstate == MM_INACTIVE)
			return;
		if (!o->expire_orphans) {
			it->outcome = OUT_NOT_ASKED;
			return;
		}
		mail = medimail_mail_key(row_get(it->m->row, COL_MAIL));
		it->key = xasprintf("medimail:%s", mail);
		row_copy(&it->rec, it->m->row);
		row_pack(&it->rec);
		it->status = ST_ACTIVE;
		it->prev = hmap_get(by_key, it->key);
		other = hmap_get(any_mail, mail);
		free(mail);
		if (!it->prev && other) {
			it->other = other;
			it->outcome = OUT_MANAGED;
			return;
		}
	} else if (it->d && it->m) {
		if (it->by != BY_MAIL && !o->accept_renames) {
			it->outcome = OUT_UNCONFIRMED;
			return;
		}
		/* an entry without a stable id cannot be followed by later runs */
		if (!it->d->key || strncmp(it->d->key, "dn:", 3) == 0)
			return;
		it->key = xstrdup(it->d->key);
		merged_row(&it->rec, &it->d->row, it->m->row,
			   medimail_diff(&it->d->row, it->m->row, mm->cols));
		it->status = it->mstate == MM_INACTIVE ? ST_EXPIRED : ST_ACTIVE;
		it->prev = hmap_get(by_key, it->key);
		mail = medimail_mail_key(row_get(&it->rec, COL_MAIL));
		other = hmap_get(active_mail, mail);
		free(mail);
		if (!it->prev && other) {
			it->other = other;
			it->outcome = OUT_MANAGED;
			return;
		}
	} else {
		return;
	}
	if (!it->prev)
		it->outcome = OUT_ADDED;
	else if (it->prev->status == it->status && row_equal(&it->prev->row, &it->rec))
		it->outcome = OUT_SAME;
	else
		it->outcome = OUT_REPLACED;
}

void adopt_decide(struct adopt_result *r, const struct medimail_list *mm,
		  const struct state_account *prev, size_t nprev, const struct adopt_opts *o)
{
	struct hmap *by_key = hmap_new_borrowed(false);
	struct hmap *active_mail = hmap_new(false), *any_mail = hmap_new(false);

	for (size_t i = 0; i < nprev; i++) {
		char *mail = medimail_mail_key(row_get(&prev[i].row, COL_MAIL));

		hmap_put(by_key, prev[i].key, (void *)&prev[i]);
		if (*mail) {
			hmap_add(any_mail, mail, (void *)&prev[i]);
			if (prev[i].status == ST_ACTIVE)
				hmap_add(active_mail, mail, (void *)&prev[i]);
		}
		free(mail);
	}
	memset(r->outcome, 0, sizeof(r->outcome));
	for (size_t i = 0; i < r->n; i++) {
		struct adopt_item *it = &r->items[i];

		free(it->key);
		it->key = NULL;
		row_free(&it->rec);
		it->prev = it->other = NULL;
		it->outcome = OUT_NONE;
		decide_one(it, mm, by_key, active_mail, any_mail, o);
		r->outcome[it->outcome]++;
	}
	hmap_free(by_key);
	hmap_free(active_mail);
	hmap_free(any_mail);
}

bool adopt_needs_admin(const struct adopt_result *r)
{
	return r->count[ADOPT_CONFLICT] > 0 || r->count[ADOPT_REJECTED] > 0 ||
	       r->outcome[OUT_UNCONFIRMED] > 0 || r->outcome[OUT_NOT_ASKED] > 0;
}

void adopt_result_free(struct adopt_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].dv);
		free(r->items[i].mv);
		free(r->items[i].key);
		row_free(&r->items[i].rec);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}
