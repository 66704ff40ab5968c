/*
 * org.c - group membership resolved in memory.
 *
 * People and groups are indexed by normalised DN. Each group keeps its raw member values; they
 * are resolved once into edges (person, group or unknown) at first use, and again only after
 * the index changed. Walks are iterative depth-first searches with per-call generation stamps,
 * so nothing is cleared between calls and no depth of nesting can overflow the C stack.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "org.h"

/* Cycle messages name at most this many groups (a cycle may run through thousands). */
#define CYCLE_NAMES_MAX 20

struct org_person {
	size_t id;              /* the caller's id */
	uint64_t stamp;         /* == x->gen when reached in the current walk */
};

struct org_raw {
	enum org_member_kind kind;
	char *value;            /* as the directory gave it */
};

enum edge_kind { EDGE_PERSON, EDGE_GROUP, EDGE_UNKNOWN };

struct org_edge {
	enum edge_kind kind;
	size_t idx;             /* person, group or unknown index */
};

struct org_group {
	char *dn;               /* as first given */
	struct org_raw *raw;
	size_t nraw, rawcap;
	struct org_edge *edges; /* raw resolved; valid while res_version == x->version */
	size_t nedges;
	uint64_t res_version;
	uint64_t stamp;         /* visited in the current walk */
	bool on_stack;
	size_t stack_idx;
	uint64_t *bits;         /* transitive people by person index, for org_is_member */
	uint64_t bits_version;
};

/* A member value that matched nothing, interned so that a walk reports it once. */
struct org_unknown {
	char *value;
	uint64_t stamp;
};

struct frame {
	size_t group;
	size_t pos;             /* next edge to follow */
};

struct org_index {
	struct org_person *persons;
	size_t npersons, pcap;
	struct org_group *groups;
	size_t ngroups, gcap;
	struct org_unknown *unknowns;
	size_t nunknowns, ucap;
	struct hmap *person_dn;     /* normalised DN -> person index + 1 */
	struct hmap *person_uid;    /* uid, case-folded -> person index + 1 */
	struct hmap *group_dn;      /* normalised DN -> group index + 1 */
	struct hmap *unknown_key;   /* "dn:..." or "uid:..." -> unknown index + 1 */
	uint64_t version;           /* bumped by every change to the index */
	uint64_t gen;               /* bumped by every walk */
	struct frame *stack;        /* walk scratch, kept between calls */
	size_t stack_cap;
	size_t *hits;               /* person indexes reached by the last walk */
	size_t nhits, hits_cap;
	size_t *by_id;              /* person indexes in id order, valid at by_id_version */
	uint64_t by_id_version;
	struct arena strs;          /* group DNs, member values and unknowns, freed together */
	char *last_dn;              /* the group DN last added to, as given, and its index: */
	size_t last_gi;             /* members come group by group, normalise each DN once */
};

static void *idx_val(size_t i)
{
	return (void *)(uintptr_t)(i + 1);
}

/* Look key up in h; false when absent. */
static bool idx_get(const struct hmap *h, const char *key, size_t *i)
{
	uintptr_t v = (uintptr_t)hmap_get(h, key);

	if (v == 0)
		return false;
	*i = (size_t)v - 1;
	return true;
}

struct org_index *org_index_new(void)
{
	struct org_index *x = xcalloc(1, sizeof(*x));

	x->person_dn = hmap_new(false);
	x->person_uid = hmap_new(true);
	x->group_dn = hmap_new(false);
	x->unknown_key = hmap_new(false);
	x->version = 1;
	return x;
}

void org_index_free(struct org_index *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->ngroups; i++) {
		struct org_group *g = &x->groups[i];

		free(g->raw);
		free(g->edges);
		free(g->bits);
	}
	arena_free(&x->strs);
	free(x->groups);
	free(x->persons);
	free(x->unknowns);
	hmap_free(x->person_dn);
	hmap_free(x->person_uid);
	hmap_free(x->group_dn);
	hmap_free(x->unknown_key);
	free(x->stack);
	free(x->hits);
	free(x->by_id);
	free(x->last_dn);
	free(x);
}

void org_add_person_ndn(struct org_index *x, const char *ndn, const char *uid, size_t id)
{
	size_t i = x->npersons;

	if (hmap_add(x->person_dn, ndn, idx_val(i)))
		return;          /* a DN registered twice keeps the first id */
	x->npersons++;
	xgrow(&x->persons, &x->pcap, x->npersons, sizeof(*x->persons));
	x->persons[i].id = id;
	x->persons[i].stamp = 0;
	if (uid && *uid)
		(void)hmap_add(x->person_uid, uid, idx_val(i));
	x->version++;
}

void org_add_person(struct org_index *x, const char *dn, const char *uid, size_t id)
{
	char *ndn = dn_normalise(dn);

	org_add_person_ndn(x, ndn, uid, id);
	free(ndn);
}

/* Index of the group with normalised DN ndn, created (with display DN dn) if new. */
static size_t group_get_or_add(struct org_index *x, const char *dn, const char *ndn)
{
	struct org_group *g;
	size_t i;

	if (idx_get(x->group_dn, ndn, &i))
		return i;
	i = x->ngroups++;
	xgrow(&x->groups, &x->gcap, x->ngroups, sizeof(*x->groups));
	g = &x->groups[i];
	memset(g, 0, sizeof(*g));
	g->dn = arena_strndup(&x->strs, dn, strlen(dn));
	hmap_put(x->group_dn, ndn, idx_val(i));
	x->version++;
	return i;
}

/* Index of the group dn, registered if new; the last one is remembered (groups are never
 * removed, so the index stays valid). */
static size_t group_add_cached(struct org_index *x, const char *dn)
{
	char *ndn;

	if (x->last_dn && strcmp(x->last_dn, dn) == 0)
		return x->last_gi;
	ndn = dn_normalise(dn);
	x->last_gi = group_get_or_add(x, dn, ndn);
	free(ndn);
	free(x->last_dn);
	x->last_dn = xstrdup(dn);
	return x->last_gi;
}

void org_add_group(struct org_index *x, const char *dn)
{
	(void)group_add_cached(x, dn);
}

void org_add_member(struct org_index *x, const char *group_dn, enum org_member_kind kind,
		    const char *value)
{
	size_t gi = group_add_cached(x, group_dn);   /* may move x->groups */
	struct org_group *g = &x->groups[gi];
	struct org_raw *r;

	xgrow(&g->raw, &g->rawcap, g->nraw + 1, sizeof(*g->raw));
	r = &g->raw[g->nraw++];
	r->kind = kind;
	r->value = arena_strndup(&x->strs, value, strlen(value));
	x->version++;
}

/* Length of a uniqueMember value without its optional "#'0101'B" suffix (RFC 4517
 * nameAndOptionalUID). A '#' escaped by an odd number of backslashes belongs to the DN. */
static size_t unique_dn_len(const char *v)
{
	size_t len = strlen(v), end = len, hash, bs = 0;
	const char *p;

	while (end > 0 && v[end - 1] == ' ')
		end--;
	p = memrchr(v, '#', end);
	if (!p)
		return len;
	hash = (size_t)(p - v);
	while (bs < hash && v[hash - 1 - bs] == '\\')
		bs++;
	if (bs % 2 == 1)
		return len;
	/* the suffix must be '<bits>'B, nothing else */
	if (end - hash < 4 || v[hash + 1] != '\'' || v[end - 1] != 'B' || v[end - 2] != '\'')
		return len;
	for (size_t i = hash + 2; i < end - 2; i++)
		if (v[i] != '0' && v[i] != '1')
			return len;
	return hash;
}

static void add_edge(struct org_group *g, size_t *cap, enum edge_kind kind, size_t idx)
{
	xgrow(&g->edges, cap, g->nedges + 1, sizeof(*g->edges));
	g->edges[g->nedges].kind = kind;
	g->edges[g->nedges].idx = idx;
	g->nedges++;
}

/* Index of the unknown member under key, interned with display value on first sight. */
static size_t unknown_get_or_add(struct org_index *x, const char *key, const char *value)
{
	size_t i;

	if (idx_get(x->unknown_key, key, &i))
		return i;
	i = x->nunknowns++;
	xgrow(&x->unknowns, &x->ucap, x->nunknowns, sizeof(*x->unknowns));
	x->unknowns[i].value = arena_strndup(&x->strs, value, strlen(value));
	x->unknowns[i].stamp = 0;
	hmap_put(x->unknown_key, key, idx_val(i));
	return i;
}

/* Add the edges of member dn: a person, a group (both when it is both), else an unknown. */
static void resolve_dn(struct org_index *x, struct org_group *g, size_t *cap, const char *dn)
{
	char *key = NULL, *ukey;
	size_t pi, gj;
	bool is_p, is_g;

	/* a value spelt like a key is normalised already: dn_normalise() is idempotent */
	is_p = idx_get(x->person_dn, dn, &pi);
	is_g = idx_get(x->group_dn, dn, &gj);
	if (!is_p && !is_g) {
		key = dn_normalise(dn);
		is_p = idx_get(x->person_dn, key, &pi);
		is_g = idx_get(x->group_dn, key, &gj);
	}
	if (is_p)
		add_edge(g, cap, EDGE_PERSON, pi);
	if (is_g)
		add_edge(g, cap, EDGE_GROUP, gj);
	if (!is_p && !is_g) {
		ukey = xasprintf("dn:%s", key);
		add_edge(g, cap, EDGE_UNKNOWN, unknown_get_or_add(x, ukey, dn));
		free(ukey);
	}
	free(key);
}

/* Turn the raw members of group gi into edges, unless already done for this version. */
static void group_resolve(struct org_index *x, size_t gi)
{
	struct org_group *g = &x->groups[gi];
	size_t cap = 0, idx;

	if (g->res_version == x->version)
		return;
	free(g->edges);
	g->edges = NULL;
	g->nedges = 0;
	for (size_t j = 0; j < g->nraw; j++) {
		const struct org_raw *r = &g->raw[j];
		char *key, *dn;

		if (r->kind == ORG_MEMBER_UID) {
			if (idx_get(x->person_uid, r->value, &idx)) {
				add_edge(g, &cap, EDGE_PERSON, idx);
				continue;
			}
			key = utf8_lower(r->value);
			dn = xasprintf("uid:%s", key);
			free(key);
			idx = unknown_get_or_add(x, dn, r->value);
			add_edge(g, &cap, EDGE_UNKNOWN, idx);
			free(dn);
			continue;
		}
		if (r->kind == ORG_MEMBER_UNIQUE && unique_dn_len(r->value) < strlen(r->value)) {
			dn = xstrndup(r->value, unique_dn_len(r->value));
			resolve_dn(x, g, &cap, dn);
			free(dn);
		} else {
			resolve_dn(x, g, &cap, r->value);
		}
	}
	g->res_version = x->version;
}

/* Report the cycle closed by an edge from the top of the stack back to group gi. */
static void report_cycle(struct org_index *x, size_t top, size_t depth, size_t gi,
			 struct findings *f)
{
	size_t first = x->groups[gi].stack_idx, len = depth - first;
	struct strbuf sb = { 0 };

	for (size_t k = first; k < depth; k++) {
		if (len > CYCLE_NAMES_MAX && k == first + CYCLE_NAMES_MAX / 2) {
			sb_addf(&sb, _("(%zu more) -> "), len - CYCLE_NAMES_MAX);
			k = depth - CYCLE_NAMES_MAX / 2;
		}
		sb_addf(&sb, "%s -> ", x->groups[x->stack[k].group].dn);
	}
	sb_add(&sb, x->groups[gi].dn);
	findings_add(f, SEV_WARNING, x->groups[top].dn, -1, "org-cycle", NULL,
		     ngettext("nested groups form a cycle of %zu group: %s",
			      "nested groups form a cycle of %zu groups: %s", len), len, sb.buf);
	sb_free(&sb);
}

/* Enter group gi during a walk: resolve it, stamp it and push it. */
static void walk_push(struct org_index *x, size_t gi, size_t *depth)
{
	struct org_group *g = &x->groups[gi];

	group_resolve(x, gi);
	g->stamp = x->gen;
	g->on_stack = true;
	g->stack_idx = *depth;
	xgrow(&x->stack, &x->stack_cap, *depth + 1, sizeof(*x->stack));
	x->stack[*depth].group = gi;
	x->stack[*depth].pos = 0;
	(*depth)++;
}

/* Depth-first walk from group top. x->hits receives each person reached, once. Findings go
 * to f when it is not NULL. */
static void walk(struct org_index *x, size_t top, struct findings *f)
{
	size_t depth = 0;

	x->gen++;
	x->nhits = 0;
	walk_push(x, top, &depth);
	while (depth > 0) {
		struct frame *fr = &x->stack[depth - 1];
		struct org_group *g = &x->groups[fr->group];
		const struct org_edge *e;

		if (fr->pos == g->nedges) {
			g->on_stack = false;
			depth--;
			continue;
		}
		e = &g->edges[fr->pos++];
		switch (e->kind) {
		case EDGE_PERSON:
			if (x->persons[e->idx].stamp != x->gen) {
				x->persons[e->idx].stamp = x->gen;
				xgrow(&x->hits, &x->hits_cap, x->nhits + 1, sizeof(*x->hits));
				x->hits[x->nhits++] = e->idx;
			}
			break;
		case EDGE_GROUP:
			if (x->groups[e->idx].stamp != x->gen)
				walk_push(x, e->idx, &depth);
			else if (x->groups[e->idx].on_stack && f)
				report_cycle(x, top, depth, e->idx, f);
			break;
		case EDGE_UNKNOWN:
			if (x->unknowns[e->idx].stamp != x->gen) {
				x->unknowns[e->idx].stamp = x->gen;
				if (f)
					findings_add(f, SEV_WARNING, g->dn, -1,
						     "org-member-unknown", x->unknowns[e->idx].value,
						     _("member is neither a known person nor a "
						       "known group (outside the bases, or not "
						       "read)"));
			}
			break;
		}
	}
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_by_id(const void *a, const void *b, void *arg)
{
	const struct org_person *p = arg;
	size_t x = p[*(const size_t *)a].id, y = p[*(const size_t *)b].id;

	return x < y ? -1 : x > y;
}

/* Person indexes sorted by id, rebuilt after the index changed. */
static const size_t *persons_by_id(struct org_index *x)
{
	if (x->by_id_version != x->version) {
		free(x->by_id);
		x->by_id = xmalloc(x->npersons * sizeof(*x->by_id));
		for (size_t i = 0; i < x->npersons; i++)
			x->by_id[i] = i;
		qsort_r(x->by_id, x->npersons, sizeof(*x->by_id), cmp_by_id, x->persons);
		x->by_id_version = x->version;
	}
	return x->by_id;
}

/* Look a DN up in h (keyed by normalised DN): as given first, which is the common case. */
static bool dn_get(const struct hmap *h, const char *dn, size_t *i)
{
	char *ndn;
	bool found;

	if (idx_get(h, dn, i))
		return true;
	ndn = dn_normalise(dn);
	found = idx_get(h, ndn, i);
	free(ndn);
	return found;
}

static bool group_lookup(const struct org_index *x, const char *dn, size_t *gi)
{
	return dn_get(x->group_dn, dn, gi);
}

int org_members(struct org_index *x, const char *group_dn, size_t **ids, size_t *n,
		struct findings *f)
{
	size_t gi, k = 0, *out;
	int rc = -1;

	*ids = NULL;
	*n = 0;
	if (!group_lookup(x, group_dn, &gi))
		goto out;
	walk(x, gi, f);
	out = xmalloc(x->nhits * sizeof(*out));
	if (x->nhits * 16 > x->npersons) {
		/* many hits: one pass over all people in id order beats sorting */
		const size_t *order = persons_by_id(x);

		for (size_t i = 0; i < x->npersons; i++) {
			const struct org_person *p = &x->persons[order[i]];

			if (p->stamp == x->gen && (k == 0 || out[k - 1] != p->id))
				out[k++] = p->id;
		}
	} else {
		for (size_t i = 0; i < x->nhits; i++)
			out[i] = x->persons[x->hits[i]].id;
		qsort(out, x->nhits, sizeof(*out), cmp_size);
		for (size_t i = 0; i < x->nhits; i++)
			if (k == 0 || out[k - 1] != out[i])
				out[k++] = out[i];
	}
	*ids = out;
	*n = k;
	rc = 0;
out:
	return rc;
}

bool org_is_member(struct org_index *x, const char *person_dn, const char *group_dn)
{
	struct org_group *g;
	size_t gi, pi;
	bool member = false;

	if (!dn_get(x->person_dn, person_dn, &pi) || !group_lookup(x, group_dn, &gi))
		goto out;
	g = &x->groups[gi];
	if (g->bits_version != x->version) {
		/* first question about this group since the index changed: compute its set */
		walk(x, gi, NULL);
		g = &x->groups[gi];
		free(g->bits);
		g->bits = xcalloc(x->npersons / 64 + 1, sizeof(*g->bits));
		for (size_t i = 0; i < x->nhits; i++)
			g->bits[x->hits[i] / 64] |= (uint64_t)1 << (x->hits[i] % 64);
		g->bits_version = x->version;
	}
	member = (g->bits[pi / 64] >> (pi % 64)) & 1;
out:
	return member;
}

bool org_person_by_dn(const struct org_index *x, const char *dn, size_t *id)
{
	size_t pi;
	bool found = dn_get(x->person_dn, dn, &pi);

	if (found)
		*id = x->persons[pi].id;
	return found;
}
