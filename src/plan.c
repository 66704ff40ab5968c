/*
 * plan.c - the incremental plan: compares this run's accounts with the state of earlier runs,
 * computes the rows to write (expiry rows included) and checks the safety limits. Pure: no I/O.
 * Accounts are matched by key through a hash map, so the plan takes linear time.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "plan.h"

static const char *const action_names[ACT_NACTIONS] = {
	[ACT_CREATE] = "create",         [ACT_UPDATE] = "update",
	[ACT_UNCHANGED] = "unchanged",   [ACT_EXPIRE] = "expire",
	[ACT_REACTIVATE] = "reactivate", [ACT_RENAME] = "rename",
	[ACT_SKIPPED] = "skipped",       [ACT_REJECTED] = "rejected",
};

const char *action_name(enum action a)
{
	return (unsigned)a < ACT_NACTIONS ? action_names[a] : "?";
}

const char *expire_reason_name(enum expire_reason r)
{
	switch (r) {
	case EXP_GONE:
		return "gone";
	case EXP_DISABLED:
		return "disabled";
	case EXP_END_DATE:
		return "end-date";
	default:
		return "";
	}
}

/* What an account of the directory and one of the state own alike. */
static void free_key_dn_row(char **key, char **dn, struct row *row)
{
	free(*key);
	free(*dn);
	*key = *dn = NULL;
	row_free(row);
}

void account_free(struct account *a)
{
	if (a)
		free_key_dn_row(&a->key, &a->dn, &a->row);
}

void state_account_free(struct state_account *a)
{
	if (a)
		free_key_dn_row(&a->key, &a->dn, &a->row);
}

/* Local date of t as YYYYMMDD, for comparing dates. */
static long date_num(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* "AA-MM-JJ" (years 20AA) to YYYYMMDD, or 0 when s is not such a date. */
static long parse_date_num(const char *s)
{
	static const char shape[] = "99-99-99";

	if (strlen(s) != 8)
		return 0;
	for (int i = 0; i < 8; i++) {
		if (shape[i] == '9' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return 0;
	}
	return 20000000L + ((s[0] - '0') * 10 + s[1] - '0') * 10000L +
	       ((s[3] - '0') * 10 + s[4] - '0') * 100L + (s[6] - '0') * 10 + s[7] - '0';
}

static char *date_num_text(long d)
{
	return xasprintf("%02ld-%02ld-%02ld", d / 10000 % 100, d / 100 % 100, d % 100);
}

char *plan_date(long long t)
{
	return date_num_text(date_num((time_t)t));
}

/* The expiry date: today + grace, or an earlier end date (epoch end_time, or the date already
 * written in the previous row). */
static char *expiry_date(const struct plan_opts *o, long long end_time, const struct row *prev)
{
	time_t now = (time_t)o->now;
	struct tm tm;
	long best, d;

	if (!localtime_r(&now, &tm))
		return xstrdup("");
	tm.tm_mday += o->grace_days;
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	best = date_num(mktime(&tm));
	if (end_time) {
		d = date_num((time_t)end_time);
		if (d && d < best)
			best = d;
	}
	if (prev) {
		d = parse_date_num(row_get(prev, COL_PEREMPTION));
		if (d && d < best)
			best = d;
	}
	return date_num_text(best);
}

static unsigned long long row_diff(const struct row *a, const struct row *b)
{
	unsigned long long m = 0;

	for (int i = 0; i < NCOLS; i++)
		if (strcmp(row_get(a, (enum col)i), row_get(b, (enum col)i)) != 0)
			m |= 1ULL << i;
	return m;
}

static const char *item_key(const struct plan_item *it)
{
	return it->cur ? it->cur->key : it->prev->key;
}

static const char *item_mail(const struct plan_item *it)
{
	return row_get(it->cur ? &it->cur->row : &it->prev->row, COL_MAIL);
}

/* Sorting 100,000 items of 64 bytes moves a lot of memory and reaches each address through
 * three pointers per comparison: sort small keys instead, then place the items. */
struct sort_key {
	const char *mail, *key;
	const struct account *cur;
	size_t idx;
};

static int sort_key_cmp(const void *pa, const void *pb)
{
	const struct sort_key *a = pa, *b = pb;
	int c = strcmp(a->mail, b->mail);

	if (!c)
		c = strcmp(a->key, b->key);
	/* same key twice in the input: keep the input order */
	if (!c && a->cur && b->cur) {
		uintptr_t x = (uintptr_t)a->cur, y = (uintptr_t)b->cur;

		c = x < y ? -1 : x > y;
	}
	return c;
}

static void sort_items(struct plan *p)
{
	struct sort_key *k = xcalloc(p->n ? p->n : 1, sizeof(*k));
	struct plan_item *sorted;

	for (size_t i = 0; i < p->n; i++) {
		k[i].mail = item_mail(&p->items[i]);
		k[i].key = item_key(&p->items[i]);
		k[i].cur = p->items[i].cur;
		k[i].idx = i;
	}
	qsort(k, p->n, sizeof(*k), sort_key_cmp);
	sorted = xcalloc(p->n ? p->n : 1, sizeof(*sorted));
	for (size_t i = 0; i < p->n; i++)
		sorted[i] = p->items[k[i].idx];
	free(p->items);
	p->items = sorted;
	free(k);
}

static void set_expiry(struct plan_item *it, const struct plan_opts *o)
{
	long long end = it->cur ? it->cur->end_time : 0;

	it->expire_date = expiry_date(o, end, &it->prev->row);
	it->dated = xcalloc(1, sizeof(*it->dated));
	row_copy(it->dated, &it->prev->row);
	row_set(it->dated, COL_PEREMPTION, it->expire_date);
}

/* Load a lazy state account's row before the plan reads it. */
static int need_row(struct state_account *prev, const struct plan_opts *o)
{
	if (!prev->lazy)
		return 0;
	if (!o->fetch || o->fetch(o->fetch_arg, prev) != 0)
		return -1;
	prev->lazy = false;
	return 0;
}

/* Sort one present account: prev is its state entry or NULL. Returns -1 when the row of a lazy
 * state account could not be loaded. */
static int plan_present(struct plan_item *it, const struct account *a,
			struct state_account *prev, const struct plan_opts *o)
{
	bool gone = a->disabled || (a->end_time && a->end_time <= o->now);

	it->cur = a;
	it->prev = prev;
	it->new_status = prev ? prev->status : ST_ACTIVE;
	if (a->rejected) {
		it->act = ACT_REJECTED;
		it->stale = prev && prev->status == ST_ACTIVE;
		return 0;
	}
	/* the common case of a nightly run: the same row as last time, told by its digest */
	if (!gone && prev && prev->lazy && prev->status == ST_ACTIVE &&
	    prev->digest == row_digest(&a->row)) {
		it->act = ACT_UNCHANGED;
		return 0;
	}
	if (prev && (prev->status == ST_ACTIVE || !gone) && need_row(prev, o) < 0)
		return -1;
	if (gone) {
		it->reason = a->disabled ? EXP_DISABLED : EXP_END_DATE;
		if (prev && prev->status == ST_ACTIVE) {
			it->act = ACT_EXPIRE;
			it->new_status = ST_EXPIRED;
			set_expiry(it, o);
		} else {
			/* never written, or already expired: nothing to tell Medimail */
			it->act = prev ? ACT_UNCHANGED : ACT_SKIPPED;
			it->new_status = ST_EXPIRED;
		}
	} else if (!prev) {
		it->act = ACT_CREATE;
	} else if (prev->status == ST_EXPIRED) {
		it->act = ACT_REACTIVATE;
		it->new_status = ST_ACTIVE;
		it->changed = row_diff(&prev->row, &a->row);
	} else if (strcmp(row_get(&prev->row, COL_MAIL), row_get(&a->row, COL_MAIL)) != 0) {
		it->act = ACT_RENAME;
		it->changed = row_diff(&prev->row, &a->row);
		set_expiry(it, o);
	} else {
		it->changed = row_diff(&prev->row, &a->row);
		it->act = it->changed ? ACT_UPDATE : ACT_UNCHANGED;
	}
	return 0;
}

/* Share of the previous connexion accounts of an ORG that the new row drops. */
static void org_loss(const struct plan_item *it, const struct plan_opts *o, struct plan_limit *l,
		     struct strbuf *detail)
{
	char *old = xstrdup(row_get(&it->prev->row, COL_CONNEXION));
	char *new = xstrdup(row_get(plan_item_row(it), COL_CONNEXION));
	struct hmap *keep = hmap_new(true);
	size_t total = 0, lost = 0;
	char *save = NULL, *tok;
	double pct;

	for (tok = strtok_r(new, ";", &save); tok; tok = strtok_r(NULL, ";", &save))
		hmap_put(keep, tok, tok);
	for (tok = strtok_r(old, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		total++;
		if (!hmap_get(keep, tok))
			lost++;
	}
	if (!total)
		goto out;
	pct = 100.0 * (double)lost / (double)total;
	if (pct > l->value)
		l->value = pct;
	if (o->max_org_loss_percent >= 0 && pct > o->max_org_loss_percent) {
		l->tripped = true;
		sb_addf(detail, _("%s%s loses %zu of its %zu connexion accounts "
				  "(%.1f %% > %.1f %%)"),
			detail->len ? "; " : "", item_mail(it), lost, total, pct,
			o->max_org_loss_percent);
	}
out:
	hmap_free(keep);
	free(old);
	free(new);
}

static void check_limits(struct plan *p, size_t nacc, const struct plan_opts *o)
{
	struct plan_limit *l;
	struct strbuf detail = { 0 };
	size_t nexp = p->count[ACT_EXPIRE];

	l = &p->limit[LIMIT_EMPTY_SOURCE];
	l->value = (double)nacc;
	l->max = 1;
	if (o->empty_source) {
		/* a base without people trips it, whatever the count says */
		*l = (struct plan_limit){ .tripped = true, .detail = xstrdup(o->empty_source) };
	} else if (nacc == 0) {
		l->tripped = true;
		l->detail = xasprintf(_("the directories returned no account (%zu in the state)"),
				      p->managed);
	}

	l = &p->limit[LIMIT_EXPIRE_COUNT];
	l->value = (double)nexp;
	l->max = o->max_expire_count;
	if (o->max_expire_count >= 0 && nexp > (size_t)o->max_expire_count) {
		l->tripped = true;
		l->detail = xasprintf(_("%zu accounts to expire, more than the limit of %d"),
				      nexp, o->max_expire_count);
	}

	l = &p->limit[LIMIT_EXPIRE_PERCENT];
	l->value = p->managed ? 100.0 * (double)nexp / (double)p->managed : 0;
	l->max = o->max_expire_percent;
	if (o->max_expire_percent >= 0 && p->managed && l->value > o->max_expire_percent) {
		l->tripped = true;
		l->detail = xasprintf(_("%zu of %zu managed accounts to expire "
					"(%.1f %% > %.1f %%)"),
				      nexp, p->managed, l->value, o->max_expire_percent);
	}

	l = &p->limit[LIMIT_ORG_LOSS];
	l->max = o->max_org_loss_percent;
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->items[i];

		if ((it->act == ACT_UPDATE || it->act == ACT_RENAME) && it->cur->type == BAL_ORG)
			org_loss(it, o, l, &detail);
	}
	if (detail.len)
		l->detail = sb_steal(&detail);
	sb_free(&detail);

	for (int i = 0; i < LIMIT_N; i++)
		if (p->limit[i].tripped && !o->override_limits)
			p->limits_tripped = true;
}

/* An active account of the state that this run did not read. */
static bool gone(const struct state_account *prev, const bool *seen, size_t i)
{
	return !seen[i] && prev[i].status == ST_ACTIVE;
}

/* Expire the active accounts of the state absent from this run: counted first, so that the
 * array grows by exactly that many. 0, or -1 when a row could not be fetched. */
static int add_gone(struct plan *out, struct state_account *prev, size_t nprev,
		    const bool *seen, const struct plan_opts *o)
{
	size_t ngone = 0;

	for (size_t i = 0; i < nprev; i++)
		ngone += gone(prev, seen, i);
	if (ngone) {
		out->items = xrealloc(out->items, (out->n + ngone) * sizeof(*out->items));
		memset(out->items + out->n, 0, ngone * sizeof(*out->items));
	}
	for (size_t i = 0; i < nprev; i++) {
		struct plan_item *it;

		if (!gone(prev, seen, i))
			continue;
		if (need_row(&prev[i], o) < 0)
			return -1;
		it = &out->items[out->n++];
		it->prev = &prev[i];
		it->act = ACT_EXPIRE;
		it->reason = EXP_GONE;
		it->new_status = ST_EXPIRED;
		set_expiry(it, o);
	}
	return 0;
}

/* The counts per action and per type. */
static void count_items(struct plan *out)
{
	for (size_t i = 0; i < out->n; i++) {
		const struct plan_item *it = &out->items[i];
		enum bal_type t = it->cur ? it->cur->type : it->prev->type;

		out->count[it->act]++;
		out->stale += it->stale;
		if (t >= 0 && t < BAL_NTYPES)
			out->count_type[it->act][t]++;
	}
}

int plan_build(const struct account *acc, size_t nacc, struct state_account *prev,
	       size_t nprev, const struct plan_opts *o, struct plan *out)
{
	struct hmap *by_key = NULL, *seen_cur = NULL;
	bool *seen = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((nacc && !acc) || (nprev && !prev) || !o)
		goto out;
	/* keys belong to the accounts, which outlive the plan */
	by_key = hmap_new_borrowed(false);
	seen_cur = hmap_new_borrowed(false);
	seen = xcalloc(nprev, sizeof(*seen));
	out->items = xcalloc(nacc ? nacc : 1, sizeof(*out->items));
	for (size_t i = 0; i < nprev; i++) {
		hmap_put(by_key, prev[i].key, (void *)&prev[i]);
		if (prev[i].status == ST_ACTIVE)
			out->managed++;
	}

	for (size_t i = 0; i < nacc; i++) {
		const struct account *a = &acc[i];
		struct state_account *sa = hmap_get(by_key, a->key);
		struct plan_item *it = &out->items[out->n++];

		if (hmap_put(seen_cur, a->key, (void *)a)) {
			/* the same key twice: only the first one counts */
			it->cur = a;
			it->act = ACT_REJECTED;
			it->new_status = sa ? sa->status : ST_ACTIVE;
			continue;
		}
		if (sa)
			seen[sa - prev] = true;
		if (plan_present(it, a, sa, o) < 0)
			goto fail;
	}

	if (add_gone(out, prev, nprev, seen, o) < 0)
		goto fail;
	/* the look-up maps are done with: free them before sorting */
	free(seen);
	seen = NULL;
	hmap_free(seen_cur);
	seen_cur = NULL;
	hmap_free(by_key);
	by_key = NULL;
	sort_items(out);
	count_items(out);
	check_limits(out, nacc, o);
	rc = 0;
	goto out;
fail:
	plan_free(out);
	memset(out, 0, sizeof(*out));
out:
	free(seen);
	hmap_free(seen_cur);
	hmap_free(by_key);
	return rc;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		row_free(p->items[i].dated);
		free(p->items[i].dated);
		free(p->items[i].expire_date);
	}
	free(p->items);
	for (int i = 0; i < LIMIT_N; i++)
		free(p->limit[i].detail);
	memset(p, 0, sizeof(*p));
}

static bool writes_row(enum action a)
{
	return a == ACT_CREATE || a == ACT_UPDATE || a == ACT_EXPIRE || a == ACT_REACTIVATE ||
	       a == ACT_RENAME;
}

const struct row *plan_item_row(const struct plan_item *it)
{
	if (!writes_row(it->act))
		return NULL;
	return it->act == ACT_EXPIRE ? it->dated : &it->cur->row;
}

size_t plan_rows(const struct plan *p, const struct row ***rows)
{
	size_t n = 0;

	*rows = NULL;
	for (size_t i = 0; i < p->n; i++)
		if (writes_row(p->items[i].act))
			n += p->items[i].act == ACT_RENAME ? 2 : 1;
	if (!n)
		return 0;
	*rows = xcalloc(n, sizeof(**rows));
	n = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct plan_item *it = &p->items[i];

		if (!writes_row(it->act))
			continue;
		if (it->act == ACT_RENAME)
			(*rows)[n++] = it->dated;
		(*rows)[n++] = plan_item_row(it);
	}
	return n;
}
