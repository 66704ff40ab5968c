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
	for (int i = 0; i < NCOLS; i++) {
		if (!r->blob)
			free(r->cell[i]);
		r->cell[i] = NULL;
	}
	free(r->blob);
	r->blob = NULL;
}

void row_pack(struct row *r)
{
	size_t len[NCOLS], total = 0;
	char *blob, *p;

	if (r->blob)
		return;
	for (int i = 0; i < NCOLS; i++) {
		len[i] = r->cell[i] && *r->cell[i] ? strlen(r->cell[i]) + 1 : 0;
		total += len[i];
	}
	p = blob = xmalloc(total ? total : 1);
	for (int i = 0; i < NCOLS; i++) {
		char *c = r->cell[i];

		r->cell[i] = NULL;
		if (len[i]) {
			memcpy(p, c, len[i]);
			r->cell[i] = p;
			p += len[i];
		}
		free(c);
	}
	r->blob = blob;
}

/* Give a packed row its own cells again, before one of them changes. */
static void row_unpack(struct row *r)
{
	char *blob = r->blob;

	if (!blob)
		return;
	for (int i = 0; i < NCOLS; i++)
		if (r->cell[i])
			r->cell[i] = xstrdup(r->cell[i]);
	r->blob = NULL;
	free(blob);
}

void row_copy(struct row *dst, const struct row *src)
{
	for (int i = 0; i < NCOLS; i++)
		dst->cell[i] = src->cell[i] ? xstrdup(src->cell[i]) : NULL;
	dst->blob = NULL;
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
 * none (entry_add_value strips them), so only the wanted name is measured, once. */
const struct attr *entry_attr(const struct entry *e, const char *name)
{
	size_t n = strcspn(name, ";");

	for (size_t i = 0; i < e->nattrs; i++) {
		const char *have = e->attrs[i].name;

		if (strncasecmp(have, name, n) == 0 && have[n] == '\0')
			return &e->attrs[i];
	}
	return NULL;
}

const char *entry_get(const struct entry *e, const char *name)
{
	const struct attr *a = entry_attr(e, name);

	return a && a->nvals > 0 ? a->vals[0] : NULL;
}

void entry_add_value(struct entry *e, const char *name, const char *val, size_t len)
{
	struct attr *a = (struct attr *)entry_attr(e, name);

	if (!a) {
		e->attrs = xrealloc(e->attrs, (e->nattrs + 1) * sizeof(*e->attrs));
		a = &e->attrs[e->nattrs++];
		memset(a, 0, sizeof(*a));
		a->name = xstrndup(name, strcspn(name, ";"));
	}
	a->vals = xrealloc(a->vals, (a->nvals + 1) * sizeof(*a->vals));
	a->lens = xrealloc(a->lens, (a->nvals + 1) * sizeof(*a->lens));
	a->vals[a->nvals] = xstrndup(val, len);
	a->lens[a->nvals] = len;
	a->nvals++;
}

void entry_free(struct entry *e)
{
	for (size_t i = 0; i < e->nattrs; i++) {
		for (size_t j = 0; j < e->attrs[i].nvals; j++)
			free(e->attrs[i].vals[j]);
		free(e->attrs[i].vals);
		free(e->attrs[i].lens);
		free(e->attrs[i].name);
	}
	free(e->attrs);
	free(e->dn);
	e->attrs = NULL;
	e->dn = NULL;
	e->nattrs = 0;
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
	if (vasprintf(&x->message, fmt, ap) < 0)
		x->message = xstrdup(rule);
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
