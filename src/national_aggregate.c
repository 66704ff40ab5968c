/*
 * national_aggregate.c - the national directory's builder: the rows of an extract, read in
 * file order, aggregated per person into the index's fragments (a run of consecutive rows of
 * one identifier is one fragment; a person's rows apart in the file give more, merged by the
 * look-up), the values interned in the dictionary, the body written and checksummed on the
 * way. See national_int.h for the fragment format.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "national_int.h"

/* ---------------------------------------------------------------------------------------
 * The dictionary: interned byte strings (labels, codes, sites), entry 0 the empty string.
 */
static void dict_init(struct dict *d)
{
	memset(d, 0, sizeof(*d));
	d->nslot = 1024;
	d->slot = xcalloc(d->nslot, sizeof(*d->slot));
	d->cap = 256;
	d->off = xmalloc((d->cap + 1) * sizeof(*d->off));
	d->hash = xmalloc(d->cap * sizeof(*d->hash));
	by_byte(&d->bytes, 0);       /* entry 0: "" */
	d->off[0] = 0;
	d->hash[0] = hash_bytes("", 0, HASH_SEED);
	d->n = 1;
	d->off[1] = (uint32_t)d->bytes.len;
	d->slot[d->hash[0] & (d->nslot - 1)] = 1;
}

static void dict_free(struct dict *d)
{
	free(d->bytes.buf);
	free(d->off);
	free(d->hash);
	free(d->slot);
}

/* Index of the entry holding these n bytes, added if new; UINT32_MAX when full (4 GB). */
uint32_t nat_dict_add(struct dict *d, const char *p, size_t n)
{
	uint64_t h = hash_bytes(p, n, HASH_SEED);
	uint32_t i = (uint32_t)h & (d->nslot - 1), e;

	while ((e = d->slot[i]) != 0) {
		e--;
		if (d->hash[e] == h && d->off[e + 1] - d->off[e] == n + 1 &&
		    memcmp(d->bytes.buf + d->off[e], p, n) == 0)
			return e;
		i = (i + 1) & (d->nslot - 1);
	}
	if (d->bytes.len + n + 1 >= UINT32_MAX || d->n == UINT32_MAX - 1)
		return UINT32_MAX;
	if (d->n + 1 >= d->cap) {
		d->cap *= 2;
		d->off = xrealloc(d->off, (d->cap + 1) * sizeof(*d->off));
		d->hash = xrealloc(d->hash, d->cap * sizeof(*d->hash));
	}
	e = d->n++;
	by_add(&d->bytes, p, n);
	by_byte(&d->bytes, 0);
	d->hash[e] = h;
	d->off[e + 1] = (uint32_t)d->bytes.len;
	d->slot[i] = e + 1;
	if (d->n * 2 > d->nslot) {
		uint32_t *old = d->slot, oldn = d->nslot;

		d->nslot *= 2;
		d->slot = xcalloc(d->nslot, sizeof(*d->slot));
		for (uint32_t k = 0; k < oldn; k++) {
			if (!old[k])
				continue;
			i = (uint32_t)d->hash[old[k] - 1] & (d->nslot - 1);
			while (d->slot[i])
				i = (i + 1) & (d->nslot - 1);
			d->slot[i] = old[k];
		}
		free(old);
	}
	return e;
}

/* ---------------------------------------------------------------------------------------
 * The builder: the current run of rows of one person, encoded as a fragment at its end.
 */
static void items_reset(struct itemlist *l)
{
	l->b.len = 0;
	l->n = 0;
}

static void items_free(struct itemlist *l)
{
	free(l->b.buf);
	free(l->off);
	free(l->hash);
}

/* Add the item unless the list has it. 0, or -1 when the list is full. */
static int items_add(struct itemlist *l, const char *p, size_t n)
{
	uint64_t h = hash_bytes(p, n, HASH_SEED);

	for (size_t i = 0; i < l->n; i++)
		if (l->hash[i] == h && l->off[i + 1] - l->off[i] == n &&
		    memcmp(l->b.buf + l->off[i], p, n) == 0)
			return 0;
	if (l->n >= NAT_MAX_ITEMS)
		return -1;
	if (l->n + 2 > l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->off = xrealloc(l->off, l->cap * sizeof(*l->off));
		l->hash = xrealloc(l->hash, l->cap * sizeof(*l->hash));
	}
	if (l->n == 0)
		l->off[0] = l->b.len;
	by_add(&l->b, p, n);
	l->hash[l->n] = h;
	l->off[++l->n] = l->b.len;
	return 0;
}

int nat_out_flush(struct builder *b)
{
	size_t done = 0;
	ssize_t n;

	nat_csum_add(&b->sum, b->out, b->outlen);
	while (b->fd >= 0 && done < b->outlen) {
		n = write(b->fd, b->out + done, b->outlen - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			nat_set_err(b->err, _("%s: cannot write: %s"), b->out_path,
				    strerror(errno));
			b->failed = true;
			return -1;
		}
		done += (size_t)n;
	}
	b->outlen = 0;
	return 0;
}

int nat_out_add(struct builder *b, const void *p, size_t n)
{
	while (n > 0) {
		size_t k = OUT_CHUNK - b->outlen < n ? OUT_CHUNK - b->outlen : n;

		memcpy(b->out + b->outlen, p, k);
		b->outlen += k;
		b->written += k;
		p = (const char *)p + k;
		n -= k;
		if (b->outlen == OUT_CHUNK && nat_out_flush(b) < 0)
			return -1;
	}
	return 0;
}

/* Write the current run as a fragment and add its table entry. */
static int run_end(struct builder *b)
{
	struct bytes *f = &b->item;
	char len[10];
	size_t nlen = 0;
	uint64_t v;

	if (!b->in_run)
		return 0;
	b->in_run = false;
	f->len = 0;
	by_byte(f, (unsigned char)b->kind);
	by_byte(f, (unsigned char)b->type);
	put_str(f, b->id, b->idlen);
	if (b->kind == KIND_ACT) {
		by_add(f, b->head.buf, b->head.len);
		put_varint(f, b->prof.n);
		by_add(f, b->prof.b.buf, b->prof.b.len);
		put_varint(f, b->sf.n);
		by_add(f, b->sf.b.buf, b->sf.b.len);
		put_varint(f, b->act.n);
		by_add(f, b->act.b.buf, b->act.b.len);
		b->activities += b->act.n;
		b->savoir_faire += b->sf.n;
	} else {
		put_varint(f, b->mss.n);
		by_add(f, b->mss.b.buf, b->mss.b.len);
	}
	for (v = f->len; ; v >>= 7) {
		len[nlen++] = (char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		if (v <= 0x7f)
			break;
	}
	xgrow(&b->ent, &b->capent, b->nent + 1, sizeof(*b->ent));
	b->ent[b->nent++] = (struct idx_entry){ key_hash(b->type, b->id, b->idlen),
					    (uint64_t)b->kind << 56 | b->blob_len };
	b->blob_len += nlen + f->len;
	if (nat_out_add(b, len, nlen) < 0 || nat_out_add(b, f->buf, f->len) < 0)
		return -1;
	return 0;
}

/* The dictionary index of a label field, through the column's last-value cache. */
static uint32_t intern(struct builder *b, int col, const struct field *f)
{
	struct lastref *l = &b->last[col];
	uint32_t ref;

	if (f->n == 0)
		return 0;
	if (l->ok && l->n == f->n && memcmp(l->v, f->p, f->n) == 0)
		return l->ref;
	ref = nat_dict_add(&b->dict, f->p, f->n);
	if (ref == UINT32_MAX) {
		nat_set_err(b->err, _("%s:%lu: too many distinct values for the index"), b->path,
			b->line);
		b->failed = true;
		return 0;
	}
	l->ok = f->n <= sizeof(l->v);
	if (l->ok) {
		memcpy(l->v, f->p, f->n);
		l->n = f->n;
		l->ref = ref;
	}
	return ref;
}

/* Identifier type and identifier of a row; 0, or -1 after setting the error. */
static int row_key(struct builder *b, const struct field *t, const struct field *id,
		   unsigned *type)
{
	unsigned v = 0;

	if (t->n == 0 || t->n > 3) {
		nat_set_err(b->err, _("%s:%lu: identifier type \"%.*s\" is not a TRE_G08 code"),
			b->path, b->line, (int)(t->n > 20 ? 20 : t->n), t->p);
		return -1;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i] >= '0' && t->p[i] <= '9')
			v = v * 10 + (unsigned)(t->p[i] - '0');
		if (t->p[i] < '0' || t->p[i] > '9' || v > 255) {
			nat_set_err(b->err,
				_("%s:%lu: identifier type \"%.*s\" is not a TRE_G08 code"),
				b->path, b->line, (int)t->n, t->p);
			return -1;
		}
	}
	if (id->n == 0 || id->n > NAT_ID_MAX) {
		nat_set_err(b->err, id->n ? _("%s:%lu: overlong identifier") :
			_("%s:%lu: empty identifier"), b->path, b->line);
		return -1;
	}
	*type = v;
	return 0;
}

static bool same_key(const struct builder *b, int kind, unsigned type, const struct field *id)
{
	return b->in_run && b->kind == kind && b->type == type && b->idlen == id->n &&
	       memcmp(b->id, id->p, id->n) == 0;
}

static void run_start(struct builder *b, int kind, unsigned type, const struct field *id)
{
	b->in_run = true;
	b->kind = kind;
	b->type = type;
	memcpy(b->id, id->p, id->n);
	b->idlen = id->n;
	b->id[id->n] = '\0';
	b->head.len = 0;
	items_reset(&b->prof);
	items_reset(&b->sf);
	items_reset(&b->act);
	items_reset(&b->mss);
}

static int add_item(struct builder *b, struct itemlist *l, const char *what)
{
	if (items_add(l, b->item.buf, b->item.len) == 0)
		return 0;
	nat_set_err(b->err, _("%s:%lu: more than %d %s for one person: not an extract"), b->path,
		b->line, NAT_MAX_ITEMS, what);
	return -1;
}

static bool all_empty(const struct field *f, const int *cols, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f[cols[i]].n)
			return false;
	return true;
}

static int act_row(struct builder *b, const struct field *f)
{
	static const int sf_cols[] = { AC_SFT_CODE, AC_SFT_LABEL, AC_SF_CODE, AC_SF_LABEL };
	static const int act_cols_used[] = {
		AC_MODE_CODE, AC_MODE_LABEL, AC_SECT_CODE, AC_SECT_LABEL, AC_SIRET, AC_SIREN,
		AC_FINESS, AC_FINESS_EJ, AC_STRUCT_ID, AC_RS, AC_CP, AC_COMMUNE_CODE, AC_COMMUNE
	};
	struct bytes *it = &b->item;
	unsigned type;

	if (row_key(b, &f[AC_TYPE], &f[AC_ID], &type) < 0)
		return -1;
	if (!same_key(b, KIND_ACT, type, &f[AC_ID])) {
		bool std = f[AC_IDNAT].n == f[AC_TYPE].n + f[AC_ID].n &&
			   memcmp(f[AC_IDNAT].p, f[AC_TYPE].p, f[AC_TYPE].n) == 0 &&
			   memcmp(f[AC_IDNAT].p + f[AC_TYPE].n, f[AC_ID].p, f[AC_ID].n) == 0;

		if (run_end(b) < 0)
			return -1;
		run_start(b, KIND_ACT, type, &f[AC_ID]);
		put_str(&b->head, f[AC_IDNAT].p, std ? 0 : f[AC_IDNAT].n);
		put_varint(&b->head, intern(b, AC_CIVEX_CODE, &f[AC_CIVEX_CODE]));
		put_varint(&b->head, intern(b, AC_CIVEX_LABEL, &f[AC_CIVEX_LABEL]));
		put_varint(&b->head, intern(b, AC_CIV_CODE, &f[AC_CIV_CODE]));
		put_varint(&b->head, intern(b, AC_CIV_LABEL, &f[AC_CIV_LABEL]));
		put_str(&b->head, f[AC_NOM].p, f[AC_NOM].n);
		put_str(&b->head, f[AC_PRENOM].p, f[AC_PRENOM].n);
	}
	if (f[AC_PROF_CODE].n || f[AC_PROF_LABEL].n) {
		it->len = 0;
		put_varint(it, intern(b, AC_PROF_CODE, &f[AC_PROF_CODE]));
		put_varint(it, intern(b, AC_PROF_LABEL, &f[AC_PROF_LABEL]));
		put_varint(it, intern(b, AC_CAT_CODE, &f[AC_CAT_CODE]));
		put_varint(it, intern(b, AC_CAT_LABEL, &f[AC_CAT_LABEL]));
		if (add_item(b, &b->prof, _("professions")) < 0)
			return -1;
	}
	if (!all_empty(f, sf_cols, ARRAY_SIZE(sf_cols))) {
		it->len = 0;
		for (size_t i = 0; i < ARRAY_SIZE(sf_cols); i++)
			put_varint(it, intern(b, sf_cols[i], &f[sf_cols[i]]));
		if (add_item(b, &b->sf, _("savoir-faire")) < 0)
			return -1;
	}
	if (!all_empty(f, act_cols_used, ARRAY_SIZE(act_cols_used))) {
		it->len = 0;
		put_varint(it, intern(b, AC_MODE_CODE, &f[AC_MODE_CODE]));
		put_varint(it, intern(b, AC_MODE_LABEL, &f[AC_MODE_LABEL]));
		put_varint(it, intern(b, AC_SECT_CODE, &f[AC_SECT_CODE]));
		put_varint(it, intern(b, AC_SECT_LABEL, &f[AC_SECT_LABEL]));
		b->site.len = 0;
		for (int c = AC_SIRET; c < AC_SIRET + SITE_FIELDS; c++)
			put_str(&b->site, f[c].p, f[c].n);
		if (f[AC_FINESS].n || f[AC_FINESS_EJ].n) {
			/* a FINESS site is shared by many people: stored once */
			uint32_t ref = nat_dict_add(&b->dict, b->site.buf, b->site.len);

			if (ref == UINT32_MAX) {
				nat_set_err(b->err,
					    _("%s:%lu: too many distinct sites for the index"),
					    b->path, b->line);
				return -1;
			}
			by_byte(it, 1);
			put_varint(it, ref);
		} else {
			by_byte(it, 0);
			by_add(it, b->site.buf, b->site.len);
		}
		if (add_item(b, &b->act, _("activities")) < 0)
			return -1;
	}
	return b->failed ? -1 : 0;
}

static int mss_row(struct builder *b, const struct field *f)
{
	struct bytes *it = &b->item;
	unsigned type;

	if (f[MC_ID].n == 0)
		return 0;       /* an ORG or application mailbox: no person */
	if (row_key(b, &f[MC_TYPE], &f[MC_ID], &type) < 0)
		return -1;
	if (!same_key(b, KIND_MSS, type, &f[MC_ID])) {
		if (run_end(b) < 0)
			return -1;
		run_start(b, KIND_MSS, type, &f[MC_ID]);
	}
	b->mss_addr++;
	it->len = 0;
	put_varint(it, intern(b, AC_NCOLS + MC_BAL_TYPE, &f[MC_BAL_TYPE]));
	put_str(it, f[MC_ADDRESS].p, f[MC_ADDRESS].n);
	put_varint(it, intern(b, AC_NCOLS + MC_STRUCT_TYPE, &f[MC_STRUCT_TYPE]));
	put_str(it, f[MC_STRUCT_ID].p, f[MC_STRUCT_ID].n);
	put_varint(it, intern(b, AC_NCOLS + MC_SERVICE, &f[MC_SERVICE]));
	put_varint(it, intern(b, AC_NCOLS + MC_RS, &f[MC_RS]));
	if (add_item(b, &b->mss, _("MSSanté addresses")) < 0)
		return -1;
	return b->failed ? -1 : 0;
}

/* Read one extract (header, then every row) into the builder. */
int nat_read_extract(struct builder *b, struct reader *r, int kind, uint64_t *header_hash)
{
	struct field f[AC_NCOLS];
	struct layout lay;
	const char *line;
	size_t len, bad;
	bool nl;
	long seps;
	int rc;

	b->path = r->path;
	rc = nat_reader_next(r, &line, &len, &nl, b->err);
	if (rc <= 0) {
		if (rc == 0)
			nat_set_err(b->err, _("%s: empty file: no header line"), r->path);
		return -1;
	}
	if (nat_parse_header(kind, r->path, line, len, &lay, b->err) < 0)
		return -1;
	if (header_hash)
		*header_hash = lay.hash;
	while ((rc = nat_reader_next(r, &line, &len, &nl, b->err)) > 0) {
		b->line = r->line;
		seps = nat_split_line(line, len, lay.slot, lay.nseps + 1, f, &bad);
		if (seps < 0) {
			nat_set_err(b->err, _("%s:%lu: invalid UTF-8 (or a NUL byte) at byte %zu"),
				r->path, r->line, bad + 1);
			return -1;
		}
		if ((size_t)seps != lay.nseps) {
			nat_set_err(b->err, _("%s:%lu: %ld fields where the header has %zu%s"),
				r->path, r->line, seps + 1, lay.nseps + 1,
				!nl ? _(": the file is truncated") :
				len == 0 ? _(" (empty line)") : "");
			return -1;
		}
		if (kind == KIND_ACT) {
			b->rows++;
			rc = act_row(b, f);
		} else {
			b->mss_rows++;
			rc = mss_row(b, f);
		}
		if (rc < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	return run_end(b);
}

void nat_builder_init(struct builder *b, int fd, const char *out_path, char **err)
{
	memset(b, 0, sizeof(*b));
	dict_init(&b->dict);
	b->fd = fd;
	b->out_path = out_path;
	b->out = xmalloc(OUT_CHUNK);
	b->err = err;
	nat_csum_init(&b->sum);
}

void nat_builder_free(struct builder *b)
{
	dict_free(&b->dict);
	free(b->head.buf);
	free(b->item.buf);
	free(b->site.buf);
	items_free(&b->prof);
	items_free(&b->sf);
	items_free(&b->act);
	items_free(&b->mss);
	free(b->out);
	free(b->ent);
}

long nat_parse_buffer(const char *data, size_t len, int kind, char **err)
{
	struct builder b;
	struct reader r;
	long rc;

	nat_builder_init(&b, -1, NULL, err);
	nat_reader_mem(&r, kind ? "mssante-extract" : "extract", data, len);
	rc = nat_read_extract(&b, &r, kind ? KIND_MSS : KIND_ACT, NULL);
	if (rc == 0)
		rc = (long)(kind ? b.mss_rows : b.rows);
	nat_builder_free(&b);
	return rc;
}

