/*
 * model.c - rows, entries and findings: the plain data every stage passes on.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model.h"

void row_free(struct row *r)
{
	if (!r)
		return;
	if (r->cell) {
		for (int i = 0; i < NCOLS; i++)
			free(r->cell[i]);
		free(r->cell);
	}
	free(r->blob);
	memset(r, 0, sizeof(*r));
}

/* Rows over 64 kB (an ORG with thousands of connexion accounts) stay unpacked. */
void row_fill(struct row *r, const char *const *v, const size_t *len)
{
	size_t total = 0;
	char *p;

	row_free(r);
	for (int i = 0; i < NCOLS; i++)
		total += len[i] ? len[i] + 1 : 0;
	if (total >= UINT16_MAX) {
		r->cell = xcalloc(NCOLS, sizeof(*r->cell));
		for (int i = 0; i < NCOLS; i++)
			r->cell[i] = len[i] ? xstrndup(v[i], len[i]) : NULL;
		return;
	}
	if (total == 0)
		return;
	p = r->blob = xmalloc(total);
	for (int i = 0; i < NCOLS; i++) {
		if (!len[i])
			continue;
		r->off[i] = (uint16_t)(p - r->blob + 1);
		memcpy(p, v[i], len[i]);
		p[len[i]] = '\0';
		p += len[i] + 1;
	}
}

void row_pack(struct row *r)
{
	const char *v[NCOLS];
	size_t len[NCOLS];
	char **cell = r->cell;

	if (!cell)
		return;
	for (int i = 0; i < NCOLS; i++) {
		v[i] = cell[i];
		len[i] = cell[i] ? strlen(cell[i]) : 0;
	}
	r->cell = NULL;          /* row_fill() must not free the cells it reads */
	row_fill(r, v, len);
	for (int i = 0; i < NCOLS; i++)
		free(cell[i]);
	free(cell);
}

/* Give a packed row its own cells again, before one of them changes. */
static void row_unpack(struct row *r)
{
	char **cell;

	if (r->cell)
		return;
	cell = xcalloc(NCOLS, sizeof(*cell));
	for (int i = 0; i < NCOLS; i++)
		if (r->off[i])
			cell[i] = xstrdup(r->blob + r->off[i] - 1);
	free(r->blob);
	memset(r, 0, sizeof(*r));
	r->cell = cell;
}

void row_copy(struct row *dst, const struct row *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->cell = xcalloc(NCOLS, sizeof(*dst->cell));
	for (int i = 0; i < NCOLS; i++) {
		const char *v = row_get(src, (enum col)i);

		dst->cell[i] = *v ? xstrdup(v) : NULL;
	}
}

uint64_t digest_add(uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t row_digest(const struct row *r)
{
	static const char sep = DIGEST_SEP;
	uint64_t h = DIGEST_INIT;

	for (int i = 0; i < NCOLS; i++) {
		const char *v = row_get(r, (enum col)i);

		h = digest_add(h, v, strlen(v));
		h = digest_add(h, &sep, 1);
	}
	return h;
}

bool row_equal(const struct row *a, const struct row *b)
{
	for (int i = 0; i < NCOLS; i++)
		if (strcmp(row_get(a, (enum col)i), row_get(b, (enum col)i)) != 0)
			return false;
	return true;
}

void row_set(struct row *r, enum col c, const char *v)
{
	row_unpack(r);
	free(r->cell[c]);
	r->cell[c] = v ? xstrdup(v) : NULL;
}

void row_take(struct row *r, enum col c, char *v)
{
	row_unpack(r);
	free(r->cell[c]);
	r->cell[c] = v;
}

/* Attribute names compare case-insensitively, ignoring options after ';'. Stored names have
 * none (entry_add_value strips them), so only the wanted name is measured, once. A person is
 * looked up some thirty times: the length and the first letter settle most comparisons. */
/* The attribute whose name (without options) is the n bytes at name; name need not end there. */
static struct attr *find_attr(const struct entry *e, const char *name, size_t n)
{
	unsigned char c0 = (unsigned char)name[0] | 0x20;

	for (size_t i = 0; i < e->nattrs; i++) {
		struct attr *a = &e->attrs[i];

		if (a->namelen == n && ((unsigned char)a->name[0] | 0x20) == c0 &&
		    strncasecmp(a->name, name, n) == 0)
			return a;
	}
	return NULL;
}

static size_t name_len(const char *name, size_t len)
{
	const char *semi = memchr(name, ';', len);

	return semi ? (size_t)(semi - name) : len;
}

const struct attr *entry_attr(const struct entry *e, const char *name)
{
	return find_attr(e, name, name_len(name, strlen(name)));
}

const char *entry_get(const struct entry *e, const char *name)
{
	const struct attr *a = entry_attr(e, name);

	return a && a->nvals > 0 ? a->vals[0] : NULL;
}

struct attr *entry_attr_add(struct entry *e, const char *name, size_t len)
{
	size_t n = name_len(name, len);
	struct attr *a = find_attr(e, name, n);

	if (!a) {
		xgrow(&e->attrs, &e->capattrs, e->nattrs + 1, sizeof(*e->attrs));
		a = &e->attrs[e->nattrs++];
		memset(a, 0, sizeof(*a));
		a->namelen = n;
		a->name = arena_strndup(&e->ar, name, n);
	}
	return a;
}

void attr_add_value(struct entry *e, struct attr *a, const char *val, size_t len)
{
	size_t n = a->nvals;

	/* the arrays double when nvals reaches a power of two (1, 2, 4, ...) */
	if ((n & (n - 1)) == 0) {
		size_t cap = n ? 2 * n : 1;
		char **vals = arena_alloc(&e->ar, cap * sizeof(*vals));
		size_t *lens = arena_alloc(&e->ar, cap * sizeof(*lens));

		if (n) {
			memcpy(vals, a->vals, n * sizeof(*vals));
			memcpy(lens, a->lens, n * sizeof(*lens));
		}
		a->vals = vals;
		a->lens = lens;
	}
	a->vals[n] = arena_strndup(&e->ar, val, len);
	a->lens[n] = len;
	a->nvals++;
}

void entry_add_value(struct entry *e, const char *name, const char *val, size_t len)
{
	attr_add_value(e, entry_attr_add(e, name, strlen(name)), val, len);
}

void entry_clear(struct entry *e)
{
	free(e->dn);
	e->dn = NULL;
	e->nattrs = 0;
	arena_reset(&e->ar);
}

void entry_free(struct entry *e)
{
	free(e->dn);
	free(e->attrs);
	arena_free(&e->ar);
	memset(e, 0, sizeof(*e));
}

void findings_add(struct findings *f, enum severity sev, const char *where, int col,
		  const char *rule, const char *value, const char *fmt, ...)
{
	struct finding *x;
	va_list ap;

	if (sev == SEV_OFF)
		return;
	xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
	x = &f->v[f->n++];
	x->sev = sev;
	x->where = xstrdup(where ? where : "");
	x->col = col;
	x->rule = rule;
	x->value = value ? xstrdup(value) : NULL;
	va_start(ap, fmt);
	x->message = xvasprintf(fmt, ap);
	va_end(ap);
}

void findings_free(struct findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].where);
		free(f->v[i].value);
		free(f->v[i].message);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

size_t findings_count(const struct findings *f, enum severity sev)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].sev == sev)
			n++;
	return n;
}

void findings_move(struct findings *dst, struct findings *src)
{
	if (src->n) {
		xgrow(&dst->v, &dst->cap, dst->n + src->n, sizeof(*dst->v));
		memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
		dst->n += src->n;
	}
	free(src->v);
	memset(src, 0, sizeof(*src));
}
