/*
 * map_stats.c - what a run learns from the mapping: coverage of each column per BAL type, and
 * the table values (and national labels) that no key matched. Pure: no I/O.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "map_int.h"

/* Unmatched table values, per entry, distinct by table and folded value. */
struct um {
	char *key;             /* table name, 0x1f, folded value */
	char *table, *value, *example;
	char *last;            /* the last entry counted (an entry counts once) */
	size_t count;
};

struct map_stats {
	size_t filled[BAL_NTYPES][NCOLS], empty[BAL_NTYPES][NCOLS];
	struct hmap *unmatched;     /* key -> struct um */
	struct um **v;
	size_t n, cap;
};

void map_stats_note(struct map_stats *s, const char *table, const char *value,
			    const char *folded, const char *where)
{
	char *key = xasprintf("%s\x1f%s", table, folded);
	struct um *u = hmap_get(s->unmatched, key);

	where = where ? where : "";
	if (u) {
		if (strcmp(u->last, where) != 0) {
			u->count++;
			free(u->last);
			u->last = xstrdup(where);
		}
		free(key);
		return;
	}
	u = xcalloc(1, sizeof(*u));
	u->key = key;
	u->table = xstrdup(table);
	u->value = xstrdup(value);
	u->example = xstrdup(where);
	u->last = xstrdup(where);
	u->count = 1;
	hmap_put(s->unmatched, key, u);
	xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = u;
}

/* A value of table (a name) that matched no key. */
void map_unmatched(const struct xctx *x, const char *table, const char *value,
		      const char *folded)
{
	if (x->pend) {
		struct pending *p = x->pend;

		xgrow(&p->v, &p->cap, p->n + 1, sizeof(*p->v));
		p->v[p->n++] = (struct pend_item){ table, xstrdup(value), xstrdup(folded), x->col };
	} else if (x->stats) {
		map_stats_note(x->stats, table, value, folded, x->where);
	}
}

/* Record the unmatched values of the cells that stay, once per table and folded value. */
void map_keep_unmatched(struct map_stats *s, struct pending *pend, enum bal_type type,
			   const char *where)
{
	for (size_t i = 0; i < pend->n; i++) {
		struct pend_item *p = &pend->v[i];
		bool dup = false;

		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(pend->v[j].table, p->table) == 0 &&
			      strcmp(pend->v[j].folded, p->folded) == 0;
		if (s && !dup && !map_nc(type, p->col))
			map_stats_note(s, p->table, p->value, p->folded, where);
	}
	for (size_t i = 0; i < pend->n; i++) {
		free(pend->v[i].value);
		free(pend->v[i].folded);
	}
	free(pend->v);
}

struct map_stats *map_stats_new(void)
{
	struct map_stats *s = xcalloc(1, sizeof(*s));

	s->unmatched = hmap_new_borrowed(false);    /* the keys are the records' */
	return s;
}

void map_stats_free(struct map_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct um *u = s->v[i];

		free(u->key);
		free(u->table);
		free(u->value);
		free(u->example);
		free(u->last);
		free(u);
	}
	free(s->v);
	hmap_free(s->unmatched);
	free(s);
}

void map_stats_add_row(struct map_stats *s, const struct row *row, enum bal_type t)
{
	if (t < 0 || t >= BAL_NTYPES)
		return;
	for (int i = 0; i < NCOLS; i++) {
		if (*row_get(row, (enum col)i))
			s->filled[t][i]++;
		else
			s->empty[t][i]++;
	}
}

void map_stats_coverage(const struct map_stats *s, enum bal_type t, int col,
			size_t *filled, size_t *empty)
{
	bool in = t >= 0 && t < BAL_NTYPES && col >= 0 && col < NCOLS;

	*filled = in ? s->filled[t][col] : 0;
	*empty = in ? s->empty[t][col] : 0;
}

static int cmp_unmatched(const void *pa, const void *pb)
{
	const struct map_unmatched *a = pa, *b = pb;
	int c;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	c = strcmp(a->table, b->table);
	return c ? c : strcmp(a->value, b->value);
}

size_t map_stats_unmatched(const struct map_stats *s, struct map_unmatched **out)
{
	*out = NULL;
	if (s->n == 0)
		return 0;
	*out = xcalloc(s->n, sizeof(**out));
	for (size_t i = 0; i < s->n; i++)
		(*out)[i] = (struct map_unmatched){ s->v[i]->table, s->v[i]->value, s->v[i]->count,
						    s->v[i]->example };
	qsort(*out, s->n, sizeof(**out), cmp_unmatched);
	return s->n;
}
