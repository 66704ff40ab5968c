/*
 * national.c - the national directory: the extract reader, the aggregation per person, the
 * on-disk index (build, checks, mapping) and the look-ups. See national.h.
 *
 * Index file (host byte order, checked by a marker; version NAT_VERSION):
 *   [0, 4096)   header block: struct idx_header, its hdr_sum a checksum of the bytes before it
 *   blobs       one fragment per run of consecutive rows of one person, in file order
 *   dictionary  interned values: labels and codes, and the fields of FINESS sites
 *   table       one entry per fragment: (hash of the person's key, kind << 56 | offset),
 *               sorted by hash
 *   buckets     u32 index of the first table entry whose hash starts with each value of its
 *               top buck_bits bits (2^buck_bits + 1 of them): a look-up reads one bucket of
 *               about two entries, not the 21 cache lines of a binary search
 * body_sum is a checksum of [4096, end). A fragment:
 *   varint length of the rest, u8 kind (1 activity extract, 2 MSSanté), u8 id type, str id;
 *   kind 1: str idnat ("" when it is the type code + id), ref civilité d'exercice code, label,
 *     ref civilité code, label, str nom, str prénom,
 *     varint n, n x (ref profession code, label, ref catégorie code, label),
 *     varint n, n x (ref type code, label, ref savoir-faire code, label),
 *     varint n, n x (ref mode code, label, ref secteur code, label,
 *                    u8 0 + SITE_FIELDS str | u8 1 + ref to a dictionary entry of them);
 *   kind 2: varint n, n x (ref BAL type, str address, ref structure id type, str structure id,
 *     ref service, ref raison sociale).
 *   str: varint length, the bytes, NUL (only the length when empty); ref: varint index of a
 *   dictionary entry (0 is ""). Dictionary: u32 count, u32 offsets[count + 1] (from the first
 *   entry), the entries, each followed by a NUL.
 * Every read of the mapped file is bounds-checked: a damaged index gives "not found" and an
 * error in the log, never a read outside the map.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "national.h"

#define NAT_MAGIC "MSNATIDX"
#define NAT_VERSION 1
#define NAT_HDR_SIZE 4096
#define NAT_BYTE_ORDER 0x01020304u
#define NAT_ID_MAX 64              /* longest identifier accepted */
#define NAT_MAX_FIELDS 256         /* columns of a header */
#define NAT_MAX_LINE (1 << 20)     /* longest line */
#define NAT_MAX_ITEMS 10000        /* activities (or others) of one person in one run */
#define READ_CHUNK (4 << 20)
#define OUT_CHUNK (1 << 20)
#define SITE_FIELDS 9

enum { KIND_ACT = 1, KIND_MSS = 2 };

/* ---------------------------------------------------------------------------------------
 * Columns, by name. The first name is the ANS's; the second a variant seen in extracts.
 */
struct colspec {
	const char *name, *alias;
};

enum {
	AC_TYPE, AC_ID, AC_IDNAT, AC_CIVEX_CODE, AC_CIVEX_LABEL, AC_CIV_CODE, AC_CIV_LABEL,
	AC_NOM, AC_PRENOM, AC_PROF_CODE, AC_PROF_LABEL, AC_CAT_CODE, AC_CAT_LABEL,
	AC_SFT_CODE, AC_SFT_LABEL, AC_SF_CODE, AC_SF_LABEL, AC_MODE_CODE, AC_MODE_LABEL,
	AC_SECT_CODE, AC_SECT_LABEL,
	/* the site fields, in the order of a site's encoding */
	AC_SIRET, AC_SIREN, AC_FINESS, AC_FINESS_EJ, AC_STRUCT_ID, AC_RS, AC_CP,
	AC_COMMUNE_CODE, AC_COMMUNE,
	AC_NCOLS
};

static const struct colspec act_cols[AC_NCOLS] = {
	[AC_TYPE] = { "Type d'identifiant PP", NULL },
	[AC_ID] = { "Identifiant PP", NULL },
	[AC_IDNAT] = { "Identification nationale PP", NULL },
	[AC_CIVEX_CODE] = { "Code civilité d'exercice", "Code civilité exercice" },
	[AC_CIVEX_LABEL] = { "Libellé civilité d'exercice", "Libellé civilité exercice" },
	[AC_CIV_CODE] = { "Code civilité", NULL },
	[AC_CIV_LABEL] = { "Libellé civilité", NULL },
	[AC_NOM] = { "Nom d'exercice", NULL },
	[AC_PRENOM] = { "Prénom d'exercice", NULL },
	[AC_PROF_CODE] = { "Code profession", NULL },
	[AC_PROF_LABEL] = { "Libellé profession", NULL },
	[AC_CAT_CODE] = { "Code catégorie professionnelle", NULL },
	[AC_CAT_LABEL] = { "Libellé catégorie professionnelle", NULL },
	[AC_SFT_CODE] = { "Code type savoir-faire", NULL },
	[AC_SFT_LABEL] = { "Libellé type savoir-faire", NULL },
	[AC_SF_CODE] = { "Code savoir-faire", NULL },
	[AC_SF_LABEL] = { "Libellé savoir-faire", NULL },
	[AC_MODE_CODE] = { "Code mode exercice", NULL },
	[AC_MODE_LABEL] = { "Libellé mode exercice", NULL },
	[AC_SECT_CODE] = { "Code secteur d'activité", NULL },
	[AC_SECT_LABEL] = { "Libellé secteur d'activité", NULL },
	[AC_SIRET] = { "Numéro SIRET site", NULL },
	[AC_SIREN] = { "Numéro SIREN site", NULL },
	[AC_FINESS] = { "Numéro FINESS site", NULL },
	[AC_FINESS_EJ] = { "Numéro FINESS établissement juridique", NULL },
	[AC_STRUCT_ID] = { "Identifiant technique de la structure", NULL },
	[AC_RS] = { "Raison sociale site", NULL },
	[AC_CP] = { "Code postal (coord. structure)", NULL },
	[AC_COMMUNE_CODE] = { "Code commune (coord. structure)", NULL },
	[AC_COMMUNE] = { "Libellé commune (coord. structure)", NULL },
};

enum {
	MC_BAL_TYPE, MC_ADDRESS, MC_TYPE, MC_ID, MC_STRUCT_TYPE, MC_STRUCT_ID, MC_SERVICE, MC_RS,
	MC_NCOLS
};

static const struct colspec mss_cols[MC_NCOLS] = {
	[MC_BAL_TYPE] = { "Type de BAL", NULL },
	[MC_ADDRESS] = { "Adresse BAL", NULL },
	[MC_TYPE] = { "Type Identifiant PP", NULL },
	[MC_ID] = { "Identifiant PP", NULL },
	[MC_STRUCT_TYPE] = { "Type identifiant structure", NULL },
	[MC_STRUCT_ID] = { "Identification Structure", NULL },
	[MC_SERVICE] = { "Service de rattachement", NULL },
	[MC_RS] = { "Raison Sociale structure BAL", NULL },
};

/* ---------------------------------------------------------------------------------------
 * Little helpers: unaligned loads, varints, hashes and the body checksum.
 */
static inline uint64_t ld64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t ld32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

#define HASH_P1 0x9e3779b185ebca87ULL
#define HASH_P2 0xc2b2ae3d27d4eb4fULL
#define HASH_SEED 0xcbf29ce484222325ULL

/* Eight bytes at a time, then a finaliser so that the top bits are as good as the others
 * (the table is sorted by them). Stored in the index: changing it needs a new NAT_VERSION. */
static uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
{
	const unsigned char *s = p;
	uint64_t h = seed ^ (n * HASH_P1), t = 0;

	for (; n >= 8; s += 8, n -= 8)
		h = rotl64(h ^ (ld64(s) * HASH_P2), 31) * HASH_P1;
	if (n) {
		memcpy(&t, s, n);
		h = rotl64(h ^ (t * HASH_P2), 31) * HASH_P1;
	}
	return mix64(h);
}

static uint64_t key_hash(unsigned type, const char *id, size_t n)
{
	return hash_bytes(id, n, HASH_SEED ^ ((uint64_t)type * HASH_P2));
}

/* Checksum of a stream: four lanes of 64 bits over 32-byte blocks, the tail kept. */
struct csum {
	uint64_t lane[4];
	uint64_t len;
	unsigned char tail[32];
	size_t ntail;
};

#define CSUM_P1 HASH_P1
#define CSUM_P2 HASH_P2

static void csum_init(struct csum *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < 4; i++)
		c->lane[i] = CSUM_P1 * (uint64_t)(i + 1);
}

static inline void csum_block(struct csum *c, const unsigned char *p)
{
	for (int i = 0; i < 4; i++)
		c->lane[i] = rotl64(c->lane[i] ^ (ld64(p + 8 * i) * CSUM_P2), 31) * CSUM_P1;
}

static void csum_add(struct csum *c, const void *data, size_t n)
{
	const unsigned char *p = data;

	c->len += n;
	if (c->ntail) {
		size_t k = 32 - c->ntail < n ? 32 - c->ntail : n;

		memcpy(c->tail + c->ntail, p, k);
		c->ntail += k;
		p += k;
		n -= k;
		if (c->ntail < 32)
			return;
		csum_block(c, c->tail);
		c->ntail = 0;
	}
	for (; n >= 32; p += 32, n -= 32)
		csum_block(c, p);
	memcpy(c->tail, p, n);
	c->ntail = n;
}

static uint64_t csum_final(struct csum *c)
{
	uint64_t h = c->len * CSUM_P2;

	memset(c->tail + c->ntail, 0, 32 - c->ntail);
	csum_block(c, c->tail);
	for (int i = 0; i < 4; i++)
		h = rotl64(h ^ mix64(c->lane[i]), 27) * CSUM_P1;
	return mix64(h);
}

static uint64_t csum_of(const void *p, size_t n)
{
	struct csum c;

	csum_init(&c);
	csum_add(&c, p, n);
	return csum_final(&c);
}

/* A byte buffer with inline appends (the encoder's hot path). */
struct bytes {
	char *buf;
	size_t len, cap;
};

static void by_grow(struct bytes *b, size_t n)
{
	size_t cap = b->cap ? 2 * b->cap : 256;

	while (cap - b->len < n)
		cap *= 2;
	b->buf = xrealloc(b->buf, cap);
	b->cap = cap;
}

static inline char *by_room(struct bytes *b, size_t n)
{
	if (b->cap - b->len < n)
		by_grow(b, n);
	return b->buf + b->len;
}

static inline void by_add(struct bytes *b, const void *p, size_t n)
{
	if (n) {
		memcpy(by_room(b, n), p, n);
		b->len += n;
	}
}

static inline void by_byte(struct bytes *b, unsigned char c)
{
	*by_room(b, 1) = (char)c;
	b->len++;
}

static inline void put_varint(struct bytes *b, uint64_t v)
{
	char *q = by_room(b, 10);
	size_t n = 0;

	for (; v > 0x7f; v >>= 7)
		q[n++] = (char)((v & 0x7f) | 0x80);
	q[n++] = (char)v;
	b->len += n;
}

static inline void put_str(struct bytes *b, const char *p, size_t n)
{
	char *q;

	put_varint(b, n);
	if (n) {
		q = by_room(b, n + 1);
		memcpy(q, p, n);
		q[n] = '\0';
		b->len += n + 1;
	}
}

/* A cursor over mapped bytes: every read is checked against end; ok turns false at the
 * first read that would leave the bounds, and every later read gives 0 or "". */
struct cur {
	const unsigned char *p, *end;
	bool ok;
};

static uint64_t get_varint_long(struct cur *c)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (!c->ok || c->p >= c->end)
			break;
		v |= (uint64_t)(*c->p & 0x7f) << shift;
		if (!(*c->p++ & 0x80))
			return v;
	}
	c->ok = false;
	return 0;
}

/* Most varints are one byte: that case inline. */
static inline uint64_t get_varint(struct cur *c)
{
	if (c->ok && c->p < c->end && !(*c->p & 0x80))
		return *c->p++;
	return get_varint_long(c);
}

static unsigned get_u8(struct cur *c)
{
	if (!c->ok || c->p >= c->end) {
		c->ok = false;
		return 0;
	}
	return *c->p++;
}

static const char *get_str(struct cur *c)
{
	uint64_t n = get_varint(c);
	const char *s;

	if (!c->ok || n == 0)
		return "";
	if (n >= (uint64_t)(c->end - c->p) || c->p[n] != '\0') {
		c->ok = false;
		return "";
	}
	s = (const char *)c->p;
	c->p += n + 1;
	return s;
}

/* ---------------------------------------------------------------------------------------
 * Errors
 */
PRINTF(2, 3)
static void set_err(char **err, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!err || *err)
		return;         /* the first error is the one reported */
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = xstrdup(fmt);
	va_end(ap);
	*err = msg;
}

/* ---------------------------------------------------------------------------------------
 * The line reader: a file read in chunks, or a buffer in memory.
 */
struct reader {
	const char *path;
	int fd;                 /* -1: memory */
	char *buf;
	size_t cap, start, end;
	bool eof, own;
	unsigned long line;     /* number of the last line returned */
};

static void reader_mem(struct reader *r, const char *path, const char *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->fd = -1;
	r->buf = (char *)data;
	r->end = len;
	r->eof = true;
}

/* 1 and the next line (without its LF and a CR before it), 0 at the end, -1 on error. */
static int reader_next(struct reader *r, const char **line, size_t *len, bool *nl, char **err)
{
	char *p;
	ssize_t n;

	for (;;) {
		p = r->end > r->start ? memchr(r->buf + r->start, '\n', r->end - r->start) : NULL;
		if (p || r->eof) {
			if (!p && r->start == r->end)
				return 0;
			*line = r->buf + r->start;
			*len = (size_t)((p ? p : r->buf + r->end) - *line);
			*nl = p != NULL;
			r->start = p ? (size_t)(p - r->buf) + 1 : r->end;
			r->line++;
			if (*len > NAT_MAX_LINE) {
				set_err(err, _("%s:%lu: line longer than %d bytes"), r->path,
					r->line, NAT_MAX_LINE);
				return -1;
			}
			if (*len && (*line)[*len - 1] == '\r')
				(*len)--;
			return 1;
		}
		if (r->end - r->start > NAT_MAX_LINE) {
			set_err(err, _("%s:%lu: line longer than %d bytes"), r->path, r->line + 1,
				NAT_MAX_LINE);
			return -1;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		do
			n = read(r->fd, r->buf + r->end, r->cap - r->end);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			set_err(err, _("%s: cannot read: %s"), r->path, strerror(errno));
			return -1;
		}
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
}

/* ---------------------------------------------------------------------------------------
 * Splitting a line: fields between "|", UTF-8 checked on the way.
 */
struct field {
	const char *p;
	size_t n;
};

/* Length of the valid UTF-8 sequence (2 to 4 bytes) at q, or 0 (RFC 3629: no overlong form,
 * no surrogate, nothing above U+10FFFF). */
static inline size_t utf8_seq(const unsigned char *q, size_t left)
{
	unsigned char c = q[0];

	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return left >= 2 && (q[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (left < 3 || (q[1] & 0xc0) != 0x80 || (q[2] & 0xc0) != 0x80 ||
		    (c == 0xe0 && q[1] < 0xa0) || (c == 0xed && q[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c < 0xf5) {
		if (left < 4 || (q[1] & 0xc0) != 0x80 || (q[2] & 0xc0) != 0x80 ||
		    (q[3] & 0xc0) != 0x80 || (c == 0xf0 && q[1] < 0x90) ||
		    (c == 0xf4 && q[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGH 0x8080808080808080ULL

/* The high bit of each byte of w equal to c; exact up to the first such byte (little-endian:
 * the lowest bit set marks the first). */
static inline uint64_t swar_has(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (SWAR_ONES * c);

	return (x - SWAR_ONES) & ~x & SWAR_HIGH;
}

/* Split [line, line + n): out[slot[i]] receives field i when slot[i] >= 0 (i < nslot).
 * Returns the number of "|", or -1 with *bad the offset of invalid UTF-8 or a NUL byte. */
static long split_line(const char *line, size_t n, const int16_t *slot, size_t nslot,
		       struct field *out, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)line, *e = p + n, *q = p, *fs = p;
	size_t nf = 0, k;

	while (q < e) {
		unsigned char c;

		if (e - q >= 8) {
			/* skip to the first "|", NUL or non-ASCII byte of the next eight */
			uint64_t w = ld64(q);
			uint64_t m = (w & SWAR_HIGH) | swar_has(w, '|') | swar_has(w, 0);

			if (!m) {
				q += 8;
				continue;
			}
			q += __builtin_ctzll(m) >> 3;
		}
		c = *q;
		if (c >= 0x80) {
			k = utf8_seq(q, (size_t)(e - q));
			if (!k)
				goto bad;
			q += k;
			continue;
		}
		if (c == '|') {
			if (nf < nslot && slot[nf] >= 0)
				out[slot[nf]] = (struct field){ (const char *)fs,
								(size_t)(q - fs) };
			nf++;
			fs = q + 1;
		} else if (c == 0) {
			goto bad;
		}
		q++;
	}
	if (nf < nslot && slot[nf] >= 0)
		out[slot[nf]] = (struct field){ (const char *)fs, (size_t)(q - fs) };
	return (long)nf;
bad:
	*bad = (size_t)(q - p);
	return -1;
}

/* The columns of a header line: layout->slot maps field index -> column. */
struct layout {
	int16_t slot[NAT_MAX_FIELDS];
	size_t nseps;           /* "|" in the header: every line must have as many */
	uint64_t hash;          /* of the header line */
};

static int parse_header(int kind, const char *path, const char *line, size_t n,
			struct layout *lay, char **err)
{
	const struct colspec *cols = kind == KIND_ACT ? act_cols : mss_cols;
	size_t ncols = kind == KIND_ACT ? AC_NCOLS : MC_NCOLS;
	char *want[AC_NCOLS][2] = { { NULL } };
	int16_t where[AC_NCOLS];
	struct strbuf unknown = { 0 };
	const char *p = line, *e = line + n, *q;
	size_t i, j, nf = 0, bad;
	int rc = -1;

	if (n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		p += 3;         /* a byte order mark */
	lay->hash = hash_bytes(line, n, HASH_SEED);
	for (i = 0; i < NAT_MAX_FIELDS; i++)
		lay->slot[i] = -1;
	if (split_line(p, (size_t)(e - p), lay->slot, 0, NULL, &bad) < 0) {
		set_err(err, _("%s:1: invalid UTF-8 (or a NUL byte) at byte %zu of the header"),
			path, bad + 1 + (size_t)(p - line));
		return -1;
	}
	for (i = 0; i < ncols; i++) {
		want[i][0] = utf8_fold(cols[i].name);
		want[i][1] = cols[i].alias ? utf8_fold(cols[i].alias) : NULL;
		where[i] = -1;
	}
	for (;; nf++) {
		char *raw, *f;
		bool known = false;

		q = memchr(p, '|', (size_t)(e - p));
		if (!q)
			q = e;
		if (nf >= NAT_MAX_FIELDS) {
			set_err(err, _("%s:1: more than %d columns: not an extract"), path,
				NAT_MAX_FIELDS);
			goto out;
		}
		raw = xstrndup(p, (size_t)(q - p));
		f = utf8_fold(raw);
		for (j = 0; j < ncols && *f; j++) {
			if (strcmp(f, want[j][0]) != 0 && !(want[j][1] && !strcmp(f, want[j][1])))
				continue;
			known = true;
			if (where[j] >= 0) {
				set_err(err, _("%s:1: column \"%s\" appears twice (columns %d "
					"and %zu)"), path, cols[j].name, where[j] + 1, nf + 1);
				free(raw);
				free(f);
				goto out;
			}
			where[j] = (int16_t)nf;
			lay->slot[nf] = (int16_t)j;
		}
		if (!known && *f)
			sb_addf(&unknown, "%s\"%s\"", unknown.len ? ", " : "", raw);
		free(raw);
		free(f);
		if (q == e)
			break;
		p = q + 1;
	}
	lay->nseps = nf;
	for (j = 0; j < ncols; j++) {
		if (where[j] >= 0)
			continue;
		set_err(err, _("%s:1: column \"%s\" is missing from the header%s%s%s"), path,
			cols[j].name, unknown.len ? _(" (columns not recognised: ") : "",
			unknown.len ? unknown.buf : "", unknown.len ? ")" : "");
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < ncols; i++) {
		free(want[i][0]);
		free(want[i][1]);
	}
	sb_free(&unknown);
	return rc;
}

/* ---------------------------------------------------------------------------------------
 * The dictionary: interned byte strings (labels, codes, sites), entry 0 the empty string.
 */
struct dict {
	struct bytes bytes;      /* entries, each followed by a NUL */
	uint32_t *off;           /* entry i at bytes.buf + off[i]; off[n] = bytes.len */
	uint64_t *hash;
	uint32_t n, cap;
	uint32_t *slot;          /* open addressing: entry index + 1, 0 free */
	uint32_t nslot;
};

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
static uint32_t dict_add(struct dict *d, const char *p, size_t n)
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
 * Building the index.
 */

/* A list of distinct encoded items (a person's activities...) in one run. */
struct itemlist {
	struct bytes b;
	size_t *off;             /* item i is b.buf[off[i], off[i + 1]) */
	uint64_t *hash;
	size_t n, cap;
};

struct idx_entry {
	uint64_t hash;
	uint64_t pos;            /* kind << 56 | offset of the fragment in the blob section */
};

/* Per label column: the last value seen and its dictionary index (values repeat). */
struct lastref {
	char v[40];
	size_t n;
	uint32_t ref;
	bool ok;
};

struct builder {
	const char *path;        /* the file being read, for errors */
	unsigned long line;
	struct dict dict;
	struct lastref last[AC_NCOLS + MC_NCOLS];
	/* the current run of rows of one person */
	bool in_run;
	int kind;
	unsigned type;
	char id[NAT_ID_MAX + 1];
	size_t idlen;
	struct bytes head;       /* kind 1: the person's own fields */
	struct itemlist prof, sf, act, mss;
	struct bytes item, site;
	/* output: the blob section, then the rest */
	int fd;                  /* -1: parse only */
	const char *out_path;
	char *out;
	size_t outlen;
	uint64_t written;        /* body bytes written or buffered */
	uint64_t blob_len;
	struct csum sum;
	struct idx_entry *ent;
	size_t nent, capent;
	/* counts */
	uint64_t rows, mss_rows, mss_addr, activities, savoir_faire;
	char **err;
	bool failed;
};

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

static int out_flush(struct builder *b)
{
	size_t done = 0;
	ssize_t n;

	csum_add(&b->sum, b->out, b->outlen);
	while (b->fd >= 0 && done < b->outlen) {
		n = write(b->fd, b->out + done, b->outlen - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			set_err(b->err, _("%s: cannot write: %s"), b->out_path, strerror(errno));
			b->failed = true;
			return -1;
		}
		done += (size_t)n;
	}
	b->outlen = 0;
	return 0;
}

static int out_add(struct builder *b, const void *p, size_t n)
{
	while (n > 0) {
		size_t k = OUT_CHUNK - b->outlen < n ? OUT_CHUNK - b->outlen : n;

		memcpy(b->out + b->outlen, p, k);
		b->outlen += k;
		b->written += k;
		p = (const char *)p + k;
		n -= k;
		if (b->outlen == OUT_CHUNK && out_flush(b) < 0)
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
	if (out_add(b, len, nlen) < 0 || out_add(b, f->buf, f->len) < 0)
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
	ref = dict_add(&b->dict, f->p, f->n);
	if (ref == UINT32_MAX) {
		set_err(b->err, _("%s:%lu: too many distinct values for the index"), b->path,
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
		set_err(b->err, _("%s:%lu: identifier type \"%.*s\" is not a TRE_G08 code"),
			b->path, b->line, (int)(t->n > 20 ? 20 : t->n), t->p);
		return -1;
	}
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i] >= '0' && t->p[i] <= '9')
			v = v * 10 + (unsigned)(t->p[i] - '0');
		if (t->p[i] < '0' || t->p[i] > '9' || v > 255) {
			set_err(b->err,
				_("%s:%lu: identifier type \"%.*s\" is not a TRE_G08 code"),
				b->path, b->line, (int)t->n, t->p);
			return -1;
		}
	}
	if (id->n == 0 || id->n > NAT_ID_MAX) {
		set_err(b->err, id->n ? _("%s:%lu: overlong identifier") :
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
	set_err(b->err, _("%s:%lu: more than %d %s for one person: not an extract"), b->path,
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
			uint32_t ref = dict_add(&b->dict, b->site.buf, b->site.len);

			if (ref == UINT32_MAX) {
				set_err(b->err, _("%s:%lu: too many distinct sites for the index"),
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
static int read_extract(struct builder *b, struct reader *r, int kind, uint64_t *header_hash)
{
	struct field f[AC_NCOLS];
	struct layout lay;
	const char *line;
	size_t len, bad;
	bool nl;
	long seps;
	int rc;

	b->path = r->path;
	rc = reader_next(r, &line, &len, &nl, b->err);
	if (rc <= 0) {
		if (rc == 0)
			set_err(b->err, _("%s: empty file: no header line"), r->path);
		return -1;
	}
	if (parse_header(kind, r->path, line, len, &lay, b->err) < 0)
		return -1;
	if (header_hash)
		*header_hash = lay.hash;
	while ((rc = reader_next(r, &line, &len, &nl, b->err)) > 0) {
		b->line = r->line;
		seps = split_line(line, len, lay.slot, lay.nseps + 1, f, &bad);
		if (seps < 0) {
			set_err(b->err, _("%s:%lu: invalid UTF-8 (or a NUL byte) at byte %zu"),
				r->path, r->line, bad + 1);
			return -1;
		}
		if ((size_t)seps != lay.nseps) {
			set_err(b->err, _("%s:%lu: %ld fields where the header has %zu%s"),
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

static void builder_init(struct builder *b, int fd, const char *out_path, char **err)
{
	memset(b, 0, sizeof(*b));
	dict_init(&b->dict);
	b->fd = fd;
	b->out_path = out_path;
	b->out = xmalloc(OUT_CHUNK);
	b->err = err;
	csum_init(&b->sum);
}

static void builder_free(struct builder *b)
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

	builder_init(&b, -1, NULL, err);
	reader_mem(&r, kind ? "mssante-extract" : "extract", data, len);
	rc = read_extract(&b, &r, kind ? KIND_MSS : KIND_ACT, NULL);
	if (rc == 0)
		rc = (long)(kind ? b.mss_rows : b.rows);
	builder_free(&b);
	return rc;
}

/* Sort the table by (hash, pos): a radix pass on the top 16 bits in place, then each bucket
 * (about 30 entries) by insertion, or qsort when a bucket is large. */
static int ent_cmp(const void *a, const void *b)
{
	const struct idx_entry *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void sort_entries(struct idx_entry *e, size_t n)
{
	enum { NB = 1 << 16 };
	size_t *start = xcalloc(NB + 1, sizeof(*start)), *next = xmalloc(NB * sizeof(*next));

	for (size_t i = 0; i < n; i++)
		start[(e[i].hash >> 48) + 1]++;
	for (size_t k = 0; k < NB; k++) {
		start[k + 1] += start[k];
		next[k] = start[k];
	}
	for (size_t k = 0; k < NB; k++) {
		while (next[k] < start[k + 1]) {
			struct idx_entry x = e[next[k]];
			size_t d = x.hash >> 48;

			while (d != k) {
				struct idx_entry t = e[next[d]];

				e[next[d]++] = x;
				x = t;
				d = x.hash >> 48;
			}
			e[next[k]++] = x;
		}
	}
	for (size_t k = 0; k < NB; k++) {
		size_t lo = start[k], hi = start[k + 1];

		if (hi - lo > 32) {
			qsort(e + lo, hi - lo, sizeof(*e), ent_cmp);
			continue;
		}
		for (size_t i = lo + 1; i < hi; i++) {
			struct idx_entry x = e[i];
			size_t j = i;

			while (j > lo && ent_cmp(&e[j - 1], &x) > 0) {
				e[j] = e[j - 1];
				j--;
			}
			e[j] = x;
		}
	}
	free(start);
	free(next);
}

/* ---------------------------------------------------------------------------------------
 * The index header and the sources it was built from.
 */
struct idx_src {
	uint64_t size;
	int64_t mtime_sec, mtime_nsec;
	uint64_t header_hash, path_hash, rows;
	char path[512];         /* for display, cut when longer */
};

struct idx_header {
	char magic[8];
	uint32_t version, hdr_size, byte_order, flags;     /* flags: 1 = MSSanté extract */
	uint64_t file_size;
	struct idx_src src[2];
	uint64_t persons, activities, savoir_faire, mss_addresses;
	uint64_t blob_off, blob_len, dict_off, dict_len, table_off, nentries, buck_off, buck_bits;
	uint64_t body_sum;
	int64_t built_at;
	uint64_t build_ms;
	uint64_t hdr_sum;       /* last: checksum of everything before it */
};

_Static_assert(sizeof(struct idx_header) <= NAT_HDR_SIZE, "index header block too small");

/* A source as found on disk now: resolved path, identity, header line hash. */
struct source {
	char *path;
	struct stat st;
	uint64_t header_hash;
};

static void source_free(struct source *s)
{
	free(s->path);
	memset(s, 0, sizeof(*s));
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file a path or glob names: the last match in byte order (the ANS's names end with the
 * extraction's date and time, YYYYMMDDhhmm). */
static char *resolve_glob(const char *pattern, const char *what, char **err)
{
	glob_t g;
	char *path = NULL;
	int rc;

	if (!strpbrk(pattern, "*?["))
		return xstrdup(pattern);
	rc = glob(pattern, GLOB_ERR, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		set_err(err, _("%s: no file matches (national-directory %s)"), pattern, what);
		return NULL;
	}
	if (rc != 0) {
		set_err(err, _("%s: cannot search (national-directory %s): %s"), pattern, what,
			rc == GLOB_NOSPACE ? _("out of memory") : strerror(errno));
		return NULL;
	}
	qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), strp_cmp);
	path = xstrdup(g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	return path;
}

/* Resolve and stat a source, and hash its header line as the reader will see it. */
static int source_probe(const char *pattern, const char *what, struct source *s, char **err)
{
	struct reader r;
	const char *line;
	size_t len;
	bool nl;
	int fd = -1, rc = -1;

	memset(s, 0, sizeof(*s));
	s->path = resolve_glob(pattern, what, err);
	if (!s->path)
		return -1;
	fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &s->st) < 0) {
		set_err(err, _("%s: cannot open (national-directory %s): %s"), s->path, what,
			strerror(errno));
		goto out;
	}
	if (!S_ISREG(s->st.st_mode)) {
		set_err(err, _("%s: not a regular file (national-directory %s)"), s->path, what);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.path = s->path;
	r.fd = fd;
	r.cap = 64 * 1024;
	r.buf = xmalloc(r.cap);
	rc = reader_next(&r, &line, &len, &nl, err);
	if (rc == 0)
		set_err(err, _("%s: empty file: no header line"), s->path);
	if (rc > 0 && !nl && r.end == r.cap) {
		set_err(err, _("%s:1: no end of line in the first 64 KiB: not an extract"),
			s->path);
		rc = -1;
	}
	if (rc > 0)
		s->header_hash = hash_bytes(line, len, HASH_SEED);
	rc = rc > 0 ? 0 : -1;
	free(r.buf);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

static void src_fill(struct idx_src *x, const struct source *s, uint64_t rows)
{
	x->size = (uint64_t)s->st.st_size;
	x->mtime_sec = s->st.st_mtim.tv_sec;
	x->mtime_nsec = s->st.st_mtim.tv_nsec;
	x->header_hash = s->header_hash;
	x->path_hash = hash_bytes(s->path, strlen(s->path), HASH_SEED);
	x->rows = rows;
	snprintf(x->path, sizeof(x->path), "%s", s->path);
}

/* Why the index's record of a source (the MSSanté extract's when mss) does not match it
 * now, or NULL. Whole sentences, for the translations. */
static const char *src_differs(const struct idx_src *x, const struct source *s, bool mss)
{
	if (x->path_hash != hash_bytes(s->path, strlen(s->path), HASH_SEED))
		return mss ? _("a newer MSSanté extract (another file name)") :
			     _("a newer extract (another file name)");
	if (x->size != (uint64_t)s->st.st_size)
		return mss ? _("the MSSanté extract changed (size)") :
			     _("the extract changed (size)");
	if (x->mtime_sec != s->st.st_mtim.tv_sec || x->mtime_nsec != s->st.st_mtim.tv_nsec)
		return mss ? _("the MSSanté extract changed (modification time)") :
			     _("the extract changed (modification time)");
	if (x->header_hash != s->header_hash)
		return mss ? _("the MSSanté extract changed (header line)") :
			     _("the extract changed (header line)");
	return NULL;
}

/* ---------------------------------------------------------------------------------------
 * The database handle.
 */
/* The records of one look-up: arrays of structs made of strings only (const char * fields),
 * each record kept once. */
struct recs {
	void *v;
	size_t n, cap;
};

struct merge {
	struct recs prof, sf, act, mss;
};

struct nat_db {
	struct nat_info info;
	char *extract_path, *mssante_path, *index_path, *reason;
	const unsigned char *map;
	size_t size;
	const unsigned char *blob, *dict_off, *dict_bytes, *table;
	uint64_t blob_len, dict_count, dict_bytes_len, nentries;
	const unsigned char *buckets;
	unsigned buck_bits;
	struct nat_person **cache;   /* by the index of a person's first table entry */
	struct arena ar;
	bool damaged;            /* a decode failed: logged once */
	struct merge scratch;    /* nat_find's, reused */
	struct strbuf fold;      /* the same */
	/* the body's checksum, checked in a second thread (nat_open_background) */
	pthread_t verifier;
	bool verifying;          /* the thread runs or was not joined yet */
	int verified;            /* 1 the body is whole, -1 damaged, 0 not known yet */
	uint64_t body_sum;       /* what the header says it is */
};

/* How open_index() checks the body: not at all (an index just built and checked on the
 * way), before it returns, or in a second thread that nat_verified() joins. */
enum verify { VERIFY_NONE, VERIFY_NOW, VERIFY_LATER };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const void *p, size_t n, off_t off, const char *path, char **err)
{
	const char *c = p;
	ssize_t k;

	while (n > 0) {
		k = off < 0 ? write(fd, c, n) : pwrite(fd, c, n, off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			set_err(err, _("%s: cannot write: %s"), path, strerror(errno));
			return -1;
		}
		c += k;
		n -= (size_t)k;
		if (off >= 0)
			off += k;
	}
	return 0;
}

/* Read one source into the builder; the file must not change while it is read. */
static int build_source(struct builder *b, struct source *s, int kind, char *buf,
			uint64_t *rows, char **err)
{
	struct reader r;
	struct stat st;
	uint64_t hh = 0, before = kind == KIND_ACT ? b->rows : b->mss_rows;
	int fd, rc;

	fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &s->st) < 0) {
		set_err(err, _("%s: cannot open: %s"), s->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	memset(&r, 0, sizeof(r));
	r.path = s->path;
	r.fd = fd;
	r.buf = buf;
	r.cap = READ_CHUNK + NAT_MAX_LINE + 1;
	rc = read_extract(b, &r, kind, &hh);
	if (rc == 0 && (fstat(fd, &st) < 0 || st.st_size != s->st.st_size ||
			st.st_mtim.tv_sec != s->st.st_mtim.tv_sec ||
			st.st_mtim.tv_nsec != s->st.st_mtim.tv_nsec)) {
		set_err(err, _("%s: the file changed while it was read: try again once the "
			"download is over"), s->path);
		rc = -1;
	}
	close(fd);
	s->header_hash = hh;
	*rows = (kind == KIND_ACT ? b->rows : b->mss_rows) - before;
	return rc;
}

/* Bits of the bucket index: about two entries per bucket. */
static unsigned bucket_bits(size_t n)
{
	unsigned k = 1;

	while (k < 30 && (1ULL << k) < n / 2)
		k++;
	return k;
}

/* buckets[v] = the first entry whose hash has v in its top bits bits; buckets[2^bits] = n. */
static uint32_t *make_buckets(const struct idx_entry *e, size_t n, unsigned bits)
{
	size_t nb = (size_t)1 << bits, j = 0;
	uint32_t *bk = xmalloc((nb + 1) * sizeof(*bk));

	for (size_t v = 0; v < nb; v++) {
		while (j < n && (e[j].hash >> (64 - bits)) < v)
			j++;
		bk[v] = (uint32_t)j;
	}
	bk[nb] = (uint32_t)n;
	return bk;
}

/* Refuse to replace a file that is not ours: an index path set to another file by mistake
 * must not destroy it. */
static int check_replaceable(const char *path, char **err)
{
	char magic[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = pread(fd, magic, sizeof(magic), 0);
	close(fd);
	if (n <= 0 || (n == sizeof(magic) && memcmp(magic, NAT_MAGIC, sizeof(magic)) == 0))
		return 0;
	set_err(err, _("%s: exists and is not a medimail-sync national index: not replaced "
		"(check national-directory index; remove the file if it is a damaged index)"),
		path);
	return -1;
}

/* Build the index from the sources into a temporary file renamed over path. */
static int build_index(const char *path, struct source *src, size_t nsrc, char **err)
{
	struct idx_header h;
	struct builder b;
	struct bytes sec = { 0 };
	char *tmp = NULL, *buf = NULL, pad[8] = { 0 };
	double t0 = now_s();
	uint64_t rows[2] = { 0, 0 }, persons = 0, prev = 0;
	uint32_t *buckets = NULL;
	bool any = false;
	int fd, rc = -1;

	if (check_replaceable(path, err) < 0)
		return -1;
	fd = tmpfile_open(path, &tmp);
	if (fd < 0) {
		set_err(err, _("%s: cannot create a temporary file next to it: %s"), path,
			strerror(errno));
		return -1;
	}
	builder_init(&b, fd, tmp, err);
	memset(&h, 0, sizeof(h));
	buf = xmalloc(READ_CHUNK + NAT_MAX_LINE + 1);
	if (lseek(fd, NAT_HDR_SIZE, SEEK_SET) < 0) {
		set_err(err, _("%s: cannot seek: %s"), tmp, strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < nsrc; i++)
		if (build_source(&b, &src[i], i ? KIND_MSS : KIND_ACT, buf, &rows[i], err) < 0)
			goto fail;
	free(buf);
	buf = NULL;
	h.blob_off = NAT_HDR_SIZE;
	h.blob_len = b.blob_len;
	/* the dictionary: count, offsets, entries */
	if (out_add(&b, pad, (8 - b.blob_len % 8) % 8) < 0)
		goto fail;
	h.dict_off = NAT_HDR_SIZE + b.written;
	by_add(&sec, &b.dict.n, sizeof(uint32_t));
	by_add(&sec, b.dict.off, (b.dict.n + 1) * sizeof(uint32_t));
	if (out_add(&b, sec.buf, sec.len) < 0 ||
	    out_add(&b, b.dict.bytes.buf, b.dict.bytes.len) < 0)
		goto fail;
	h.dict_len = NAT_HDR_SIZE + b.written - h.dict_off;
	if (out_add(&b, pad, (8 - b.written % 8) % 8) < 0)
		goto fail;
	/* the table, sorted; distinct keys of the activity extract counted on the way */
	sort_entries(b.ent, b.nent);
	for (size_t i = 0; i < b.nent; i++) {
		if (i == 0 || b.ent[i].hash != prev)
			any = false;
		if (!any && (b.ent[i].pos >> 56) == KIND_ACT) {
			persons++;
			any = true;
		}
		prev = b.ent[i].hash;
	}
	h.table_off = NAT_HDR_SIZE + b.written;
	h.nentries = b.nent;
	if (b.nent >= UINT32_MAX) {
		set_err(err, _("%s: too many people for the index"), src[0].path);
		goto fail;
	}
	if (out_add(&b, b.ent, b.nent * sizeof(*b.ent)) < 0)
		goto fail;
	h.buck_off = NAT_HDR_SIZE + b.written;
	h.buck_bits = bucket_bits(b.nent);
	buckets = make_buckets(b.ent, b.nent, (unsigned)h.buck_bits);
	if (out_add(&b, buckets, ((1ULL << h.buck_bits) + 1) * sizeof(*buckets)) < 0 ||
	    out_flush(&b) < 0)
		goto fail;
	memcpy(h.magic, NAT_MAGIC, sizeof(h.magic));
	h.version = NAT_VERSION;
	h.hdr_size = sizeof(h);
	h.byte_order = NAT_BYTE_ORDER;
	h.flags = nsrc > 1 ? 1 : 0;
	h.file_size = NAT_HDR_SIZE + b.written;
	for (size_t i = 0; i < nsrc; i++)
		src_fill(&h.src[i], &src[i], rows[i]);
	h.persons = persons;
	h.activities = b.activities;
	h.savoir_faire = b.savoir_faire;
	h.mss_addresses = b.mss_addr;
	h.body_sum = csum_final(&b.sum);
	h.built_at = (int64_t)time(NULL);
	h.build_ms = (uint64_t)((now_s() - t0) * 1000);
	h.hdr_sum = csum_of(&h, offsetof(struct idx_header, hdr_sum));
	if (write_all(fd, &h, sizeof(h), 0, tmp, err) < 0)
		goto fail;
	fd = -1;
	if (tmpfile_commit(b.fd, tmp, path) < 0) {
		set_err(err, _("%s: cannot write the index: %s"), path, strerror(errno));
		goto out;       /* tmpfile_commit removed the temporary file */
	}
	rc = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	tmpfile_discard(tmp);
out:
	free(buf);
	free(buckets);
	free(sec.buf);
	builder_free(&b);
	free(tmp);
	return rc;
}

/* The sections follow each other inside the file, their sizes consistent (no overflow). */
static bool sections_ok(const struct idx_header *h)
{
	uint64_t size = h->file_size;

	return h->blob_off == NAT_HDR_SIZE && h->blob_len <= size - h->blob_off &&
	       h->dict_off >= h->blob_off + h->blob_len && h->dict_off <= size &&
	       h->dict_len >= 8 && h->dict_len <= size - h->dict_off &&
	       h->table_off >= h->dict_off + h->dict_len && h->table_off <= size &&
	       h->nentries < UINT32_MAX &&
	       h->nentries <= (size - h->table_off) / sizeof(struct idx_entry) &&
	       h->buck_off == h->table_off + h->nentries * sizeof(struct idx_entry) &&
	       h->buck_bits >= 1 && h->buck_bits <= 30 &&
	       size - h->buck_off == ((1ULL << h->buck_bits) + 1) * sizeof(uint32_t);
}

/* Check the index against the sources and map it. NULL when it can be used; otherwise why
 * it must be rebuilt. -1 in *fatal when it must not be replaced (set_err done). */
/* The checksum of the body of the index open on fd, read in chunks; 0 when it cannot be
 * read (which no checksum equals but by chance). */
static uint64_t body_sum_read(int fd, const struct idx_header *h)
{
	unsigned char *buf = xmalloc(OUT_CHUNK);
	uint64_t off = NAT_HDR_SIZE, sum = 0;
	struct csum c;

	csum_init(&c);
	while (off < h->file_size) {
		size_t want = h->file_size - off < OUT_CHUNK ? (size_t)(h->file_size - off) :
			      OUT_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n <= 0)
			goto out;
		csum_add(&c, buf, (size_t)n);
		off += (uint64_t)n;
	}
	sum = csum_final(&c);
out:
	free(buf);
	return sum;
}

/* The body's checksum on the map, in a thread of its own while the run reads its
 * directories: its page faults also map the pages the look-ups will read. */
static void *verify_body(void *arg)
{
	struct nat_db *db = arg;

	db->verified = csum_of(db->map + NAT_HDR_SIZE, db->size - NAT_HDR_SIZE) == db->body_sum ?
		       1 : -1;
	return NULL;
}

static const char *open_index(struct nat_db *db, const struct source *src, size_t nsrc,
			      enum verify verify, int *fatal, char **err)
{
	static char why[160];
	struct idx_header h;
	struct stat st;
	const char *differs;
	void *map;
	int fd;

	*fatal = 0;
	fd = open(db->index_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return _("no index yet");
		snprintf(why, sizeof(why), _("cannot open it: %s"), strerror(errno));
		return why;
	}
	if (fstat(fd, &st) < 0 || st.st_size < NAT_HDR_SIZE ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		close(fd);
		if (check_replaceable(db->index_path, err) < 0) {
			*fatal = -1;
			return "foreign";
		}
		return _("corrupt index (too short)");
	}
	if (memcmp(h.magic, NAT_MAGIC, sizeof(h.magic)) != 0) {
		close(fd);
		set_err(err, _("%s: exists and is not a medimail-sync national index: not "
			"replaced (check national-directory index; remove the file if it is a "
			"damaged index)"), db->index_path);
		*fatal = -1;
		return "foreign";
	}
	differs = h.version != NAT_VERSION ? _("index made by another version") :
		  h.byte_order != NAT_BYTE_ORDER || h.hdr_size != sizeof(h) ?
		  _("index made on another kind of machine") :
		  h.hdr_sum != csum_of(&h, offsetof(struct idx_header, hdr_sum)) ?
		  _("corrupt index (header checksum)") :
		  h.file_size != (uint64_t)st.st_size ? _("corrupt index (size)") : NULL;
	if (!differs && !sections_ok(&h))
		differs = _("corrupt index (sections)");
	if (!differs && (h.flags & 1) != (nsrc > 1))
		differs = nsrc > 1 ? _("the MSSanté extract was added") :
				     _("the MSSanté extract was removed");
	for (size_t i = 0; !differs && i < nsrc; i++)
		differs = src_differs(&h.src[i], &src[i], i > 0);
	/* Now: read through a buffer, so that the process maps only the pages its look-ups
	 * touch (an admin's command looks one person up). Later: see verify_body(). */
	if (!differs && verify == VERIFY_NOW && body_sum_read(fd, &h) != h.body_sum)
		differs = _("corrupt index (body checksum)");
	if (differs) {
		close(fd);
		snprintf(why, sizeof(why), "%s", differs);
		return why;
	}
	map = mmap(NULL, (size_t)h.file_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(why, sizeof(why), _("cannot map it: %s"), strerror(errno));
		return why;
	}
	db->map = map;
	db->size = (size_t)h.file_size;
	db->blob = db->map + h.blob_off;
	db->blob_len = h.blob_len;
	db->dict_count = ld32(db->map + h.dict_off);
	db->dict_off = db->map + h.dict_off + 4;
	db->dict_bytes = db->dict_off + (db->dict_count + 1) * 4;
	db->table = db->map + h.table_off;
	db->nentries = h.nentries;
	db->buckets = db->map + h.buck_off;
	db->buck_bits = (unsigned)h.buck_bits;
	if (db->dict_count == 0 || (db->dict_count + 1) * 4 + 4 > h.dict_len ||
	    ld32(db->dict_off + db->dict_count * 4) != h.dict_len - 4 - (db->dict_count + 1) * 4) {
		munmap((void *)db->map, db->size);
		db->map = NULL;
		return _("corrupt index (dictionary)");
	}
	db->dict_bytes_len = h.dict_len - 4 - (db->dict_count + 1) * 4;
	db->info.rows = h.src[0].rows;
	db->info.persons = h.persons;
	db->info.activities = h.activities;
	db->info.savoir_faire = h.savoir_faire;
	db->info.mssante_rows = h.src[1].rows;
	db->info.mssante_addresses = h.mss_addresses;
	db->info.index_bytes = h.file_size;
	db->info.extract_mtime = h.src[0].mtime_sec;
	db->info.built_at = h.built_at;
	db->body_sum = h.body_sum;
	db->verified = verify == VERIFY_LATER ? 0 : 1;
	if (verify == VERIFY_LATER) {
		db->verifying = pthread_create(&db->verifier, NULL, verify_body, db) == 0;
		if (!db->verifying)
			verify_body(db);
	}
	return NULL;
}

static struct nat_db *open_db(const struct conf_national *c, enum verify verify, char **err)
{
	struct nat_db *db = xcalloc(1, sizeof(*db));
	struct source src[2] = { { 0 } };
	size_t nsrc = c->mssante_extract ? 2 : 1;
	const char *why;
	double t0 = now_s();
	int fatal;

	if (!c->extract || !c->index) {
		set_err(err, _("national-directory: extract and index must be set"));
		goto fail;
	}
	if (source_probe(c->extract, "extract", &src[0], err) < 0 ||
	    (nsrc > 1 && source_probe(c->mssante_extract, "mssante-extract", &src[1], err) < 0))
		goto fail;
	db->index_path = xstrdup(c->index);
	why = open_index(db, src, nsrc, verify, &fatal, err);
	if (fatal)
		goto fail;
	if (why) {
		db->reason = xstrdup(why);
		log_info("national directory: building the index %s (%s) from %s%s%s",
			 db->index_path, why, src[0].path, nsrc > 1 ? " and " : "",
			 nsrc > 1 ? src[1].path : "");
		if (build_index(db->index_path, src, nsrc, err) < 0)
			goto fail;
		/* just written and checked on the way: the body is not read again */
		why = open_index(db, src, nsrc, VERIFY_NONE, &fatal, err);
		if (why) {
			set_err(err, _("%s: the index just built cannot be used: %s"),
				db->index_path, why);
			goto fail;
		}
	}
	db->extract_path = src[0].path;
	db->mssante_path = src[1].path;
	db->info.extract = db->extract_path;
	db->info.mssante = db->mssante_path;
	db->info.index = db->index_path;
	db->info.rebuilt = db->reason;
	db->info.seconds = now_s() - t0;
	/* untouched pages of a calloc this size are not even mapped in */
	db->cache = xcalloc(db->nentries + 1, sizeof(*db->cache));
	if (c->max_age > 0 && time(NULL) - src[0].st.st_mtim.tv_sec > (time_t)c->max_age * 86400)
		log_warn("national directory: %s is %lld days old (max-age %d): is the download "
			 "timer running?", db->extract_path,
			 (long long)(time(NULL) - src[0].st.st_mtim.tv_sec) / 86400, c->max_age);
	log_info("national directory: %s %s in %.2f s: %llu rows, %llu people, %llu activities, "
		 "%llu savoir-faire; %llu MSSanté addresses of people (%llu rows)",
		 db->index_path, db->reason ? "built" : "up to date, mapped", db->info.seconds,
		 (unsigned long long)db->info.rows, (unsigned long long)db->info.persons,
		 (unsigned long long)db->info.activities,
		 (unsigned long long)db->info.savoir_faire,
		 (unsigned long long)db->info.mssante_addresses,
		 (unsigned long long)db->info.mssante_rows);
	return db;
fail:
	source_free(&src[0]);
	source_free(&src[1]);
	nat_close(db);
	return NULL;
}

struct nat_db *nat_open(const struct conf_national *c, char **err)
{
	return open_db(c, VERIFY_NOW, err);
}

struct nat_db *nat_open_background(const struct conf_national *c, char **err)
{
	return open_db(c, VERIFY_LATER, err);
}

int nat_verified(struct nat_db *db, char **err)
{
	if (db->verifying) {
		pthread_join(db->verifier, NULL);
		db->verifying = false;
		if (db->verified < 0 && unlink(db->index_path) != 0 && errno != ENOENT)
			log_err("%s: cannot remove the damaged index: %s", db->index_path,
				strerror(errno));
	}
	if (db->verified < 0) {
		set_err(err, _("%s: corrupt index (body checksum): removed, the next run builds "
			"it again; nothing read from it is used"), db->index_path);
		return -1;
	}
	return 0;
}

void nat_close(struct nat_db *db)
{
	if (!db)
		return;
	if (db->verifying)
		pthread_join(db->verifier, NULL);
	if (db->map)
		munmap((void *)db->map, db->size);
	free(db->cache);
	arena_free(&db->ar);
	free(db->scratch.prof.v);
	free(db->scratch.sf.v);
	free(db->scratch.act.v);
	free(db->scratch.mss.v);
	sb_free(&db->fold);
	free(db->extract_path);
	free(db->mssante_path);
	free(db->index_path);
	free(db->reason);
	free(db);
}

const struct nat_info *nat_info(const struct nat_db *db)
{
	return &db->info;
}

/* ---------------------------------------------------------------------------------------
 * Look-ups: decode the fragments of one person and merge them.
 */
static const char *dict_str(const struct nat_db *db, uint64_t ref, struct cur *c)
{
	uint32_t a, b;

	if (ref == 0 || !c->ok)
		return "";
	if (ref >= db->dict_count) {
		c->ok = false;
		return "";
	}
	a = ld32(db->dict_off + ref * 4);
	b = ld32(db->dict_off + (ref + 1) * 4);
	if (a >= b || b > db->dict_bytes_len || db->dict_bytes[b - 1] != '\0') {
		c->ok = false;
		return "";
	}
	return (const char *)db->dict_bytes + a;
}

static struct nat_code get_code(const struct nat_db *db, struct cur *c)
{
	struct nat_code k;

	k.code = dict_str(db, get_varint(c), c);
	k.label = dict_str(db, get_varint(c), c);
	return k;
}

_Static_assert(sizeof(struct nat_profession) == 4 * sizeof(char *) &&
	       sizeof(struct nat_savoir_faire) == 4 * sizeof(char *) &&
	       sizeof(struct nat_activity) == (4 + SITE_FIELDS) * sizeof(char *) &&
	       sizeof(struct nat_mssante) == 6 * sizeof(char *),
	       "the records of a person are made of strings only");
_Static_assert(offsetof(struct nat_profession, categorie) == sizeof(struct nat_code) &&
	       offsetof(struct nat_savoir_faire, savoir_faire) == sizeof(struct nat_code),
	       "professions and savoir-faire are two codes");

/* Append the record x (size bytes of string pointers) unless an equal one is there. */
static void recs_add(struct recs *l, const void *x, size_t size)
{
	const char *p, *q;
	size_t k, i;

	for (k = 0; k < l->n; k++) {
		const char *r = (const char *)l->v + k * size;

		for (i = 0; i < size; i += sizeof(p)) {
			memcpy(&p, r + i, sizeof(p));
			memcpy(&q, (const char *)x + i, sizeof(q));
			if (strcmp(p, q) != 0)
				break;
		}
		if (i == size)
			return;
	}
	xgrow(&l->v, &l->cap, l->n + 1, size);
	memcpy((char *)l->v + l->n++ * size, x, size);
}

static void get_site(struct cur *c, struct nat_activity *a)
{
	const char **f[SITE_FIELDS] = {
		&a->siret, &a->siren, &a->finess, &a->finess_ej, &a->structure_id,
		&a->raison_sociale, &a->cp, &a->commune_code, &a->commune
	};

	for (size_t i = 0; i < SITE_FIELDS; i++)
		*f[i] = get_str(c);
}

/* A count, then that many records of two codes (struct nat_profession, nat_savoir_faire). */
static void get_code_pairs(const struct nat_db *db, struct cur *c, struct recs *r)
{
	uint64_t n = get_varint(c);

	for (uint64_t i = 0; c->ok && i < n; i++) {
		struct nat_code x[2];

		x[0] = get_code(db, c);
		x[1] = get_code(db, c);
		if (c->ok)
			recs_add(r, x, sizeof(x));
	}
}

/* Decode the kind-1 body of a fragment into p and m. */
static void decode_act(const struct nat_db *db, struct cur *c, struct nat_person *p,
		       struct merge *m, bool first)
{
	const char *idnat = get_str(c);
	struct nat_code civex = get_code(db, c), civ = get_code(db, c);
	const char *nom = get_str(c), *prenom = get_str(c);
	uint64_t n;

	if (first) {
		p->idnat = idnat;
		p->civilite_exercice = civex;
		p->civilite = civ;
		p->nom = nom;
		p->prenom = prenom;
		p->in_extract = true;
	}
	get_code_pairs(db, c, &m->prof);        /* profession, catégorie */
	get_code_pairs(db, c, &m->sf);          /* type, savoir-faire */
	n = get_varint(c);
	for (uint64_t i = 0; c->ok && i < n; i++) {
		struct nat_activity x;

		x.mode = get_code(db, c);
		x.secteur = get_code(db, c);
		if (get_u8(c) == 1) {
			uint64_t ref = get_varint(c);
			const char *s = dict_str(db, ref, c);
			struct cur sc;

			if (!c->ok || ref == 0) {
				c->ok = false;
				break;
			}
			sc.p = (const unsigned char *)s;
			sc.end = db->dict_bytes + ld32(db->dict_off + (ref + 1) * 4) - 1;
			sc.ok = true;
			get_site(&sc, &x);
			c->ok = sc.ok;
		} else {
			get_site(c, &x);
		}
		if (c->ok)
			recs_add(&m->act, &x, sizeof(x));
	}
}

static void decode_mss(const struct nat_db *db, struct cur *c, struct merge *m)
{
	uint64_t n = get_varint(c);

	for (uint64_t i = 0; c->ok && i < n; i++) {
		struct nat_mssante x;

		x.bal_type = dict_str(db, get_varint(c), c);
		x.address = get_str(c);
		x.structure_id_type = dict_str(db, get_varint(c), c);
		x.structure_id = get_str(c);
		x.service = dict_str(db, get_varint(c), c);
		x.raison_sociale = dict_str(db, get_varint(c), c);
		if (c->ok)
			recs_add(&m->mss, &x, sizeof(x));
	}
}

static void *arena_copy(struct arena *ar, const void *p, size_t n)
{
	void *q;

	if (n == 0)
		return NULL;
	q = arena_alloc(ar, n);
	memcpy(q, p, n);
	return q;
}

static const char *arena_str(struct arena *ar, char *s)
{
	const char *r = arena_strndup(ar, s, strlen(s));

	free(s);
	return r;
}

static char *name_key_of_fold(const char *fold, char *key);

/* A name of p as nat_person holds it: *fold (utf8_fold) and *key (nat_name_key), in db's
 * arena, built in db's scratch buffer. */
static void fold_name(struct nat_db *db, const char *name, const char **fold, const char **key)
{
	char *f;

	db->fold.len = 0;
	sb_add_fold(&db->fold, name);
	f = arena_strndup(&db->ar, db->fold.buf, db->fold.len);
	*fold = f;
	*key = name_key_of_fold(f, arena_alloc(&db->ar, db->fold.len + 1));
}

const struct nat_person *nat_find(struct nat_db *db, enum nat_id_type t, const char *id)
{
	size_t idlen = strlen(id), lo, hi, i;
	uint64_t h = key_hash((unsigned)t, id, idlen);
	struct nat_person *p = NULL, tmp;
	struct merge *m = &db->scratch;     /* reused: no allocation per look-up */
	size_t first = SIZE_MAX;
	bool damaged = false;

	if (idlen == 0 || idlen > NAT_ID_MAX || (unsigned)t > 255)
		return NULL;
	m->prof.n = m->sf.n = m->act.n = m->mss.n = 0;
	memset(&tmp, 0, sizeof(tmp));
	/* first entry whose hash is >= h, in h's bucket */
	lo = ld32(db->buckets + (h >> (64 - db->buck_bits)) * 4);
	hi = ld32(db->buckets + ((h >> (64 - db->buck_bits)) + 1) * 4);
	if (lo > hi || hi > db->nentries) {
		damaged = true;
		lo = hi = db->nentries;      /* nothing found */
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ld64(db->table + mid * sizeof(struct idx_entry)) < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < db->nentries; i++) {
		const unsigned char *ent = db->table + i * sizeof(struct idx_entry);
		uint64_t pos = ld64(ent + 8);
		uint64_t off = pos & ((1ULL << 56) - 1), len;
		struct cur c = { db->blob + (off < db->blob_len ? off : db->blob_len),
				 db->blob + db->blob_len, off < db->blob_len };
		unsigned kind, type;
		const char *fid;

		if (ld64(ent) != h)
			break;
		len = get_varint(&c);
		if (c.ok && len > (uint64_t)(c.end - c.p))
			c.ok = false;
		if (c.ok)
			c.end = c.p + len;
		kind = get_u8(&c);
		type = get_u8(&c);
		fid = get_str(&c);
		if (!c.ok || kind != (pos >> 56)) {
			damaged = true;
			continue;
		}
		if (type != (unsigned)t || strcmp(fid, id) != 0)
			continue;       /* another person with the same hash */
		if (first == SIZE_MAX) {
			first = i;
			if (db->cache[i])
				return db->cache[i];
		}
		tmp.type = (enum nat_id_type)type;
		tmp.id = fid;
		if (kind == KIND_ACT)
			decode_act(db, &c, &tmp, m, !tmp.in_extract);
		else
			decode_mss(db, &c, m);
		if (!c.ok)
			damaged = true;
	}
	if (damaged && !db->damaged) {
		db->damaged = true;
		log_err("%s: damaged index data (person %u:%s): rebuild it with \"medimail-sync "
			"national index\" after removing it", db->index_path, (unsigned)t, id);
	}
	if (first == SIZE_MAX)
		goto out;
	p = arena_alloc(&db->ar, sizeof(*p));
	*p = tmp;
	if (!p->in_extract) {
		p->idnat = p->nom = p->prenom = "";
		p->civilite_exercice = p->civilite = (struct nat_code){ "", "" };
	}
	if (!*p->idnat)
		p->idnat = arena_str(&db->ar, xasprintf("%u%s", (unsigned)t, id));
	fold_name(db, p->nom, &p->nom_fold, &p->nom_key);
	fold_name(db, p->prenom, &p->prenom_fold, &p->prenom_key);
	p->professions = arena_copy(&db->ar, m->prof.v, m->prof.n * sizeof(*p->professions));
	p->nprofessions = m->prof.n;
	p->savoir_faire = arena_copy(&db->ar, m->sf.v, m->sf.n * sizeof(*p->savoir_faire));
	p->nsavoir_faire = m->sf.n;
	p->activities = arena_copy(&db->ar, m->act.v, m->act.n * sizeof(*p->activities));
	p->nactivities = m->act.n;
	p->mssante = arena_copy(&db->ar, m->mss.v, m->mss.n * sizeof(*p->mssante));
	p->nmssante = m->mss.n;
	db->cache[first] = p;
out:
	return p;
}

/* ---------------------------------------------------------------------------------------
 * Identifiers and names, for matching.
 */
int nat_parse_id(const char *s, enum nat_id_type *t, char **id)
{
	struct strbuf sb = { 0 };
	const char *colon;
	size_t n;
	int rc = -1;

	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			sb_addc(&sb, *s);
	if (!sb.buf)
		return -1;
	n = sb.len;
	colon = strchr(sb.buf, ':');
	if (colon) {
		char *end;
		long v = strtol(sb.buf, &end, 10);

		if (end != colon || colon == sb.buf || v < 0 || v > 255 || !colon[1] ||
		    strlen(colon + 1) > NAT_ID_MAX)
			goto out;
		*t = (enum nat_id_type)v;
		*id = xstrdup(colon + 1);
		rc = 0;
		goto out;
	}
	if (strspn(sb.buf, "0123456789") != n)
		goto out;
	if (n == 11 || (n == 12 && sb.buf[0] == '8')) {
		*t = NAT_RPPS;
		*id = xstrdup(sb.buf + n - 11);
		rc = 0;
	} else if (n == 9 || (n == 10 && sb.buf[0] == '0')) {
		*t = NAT_ADELI;
		*id = xstrdup(sb.buf + n - 9);
		rc = 0;
	}
out:
	sb_free(&sb);
	return rc;
}

bool nat_particle(const char *w, size_t n)
{
	static const char *const particles[] = { "de", "du", "des", "d" };

	for (size_t i = 0; i < ARRAY_SIZE(particles); i++)
		if (strlen(particles[i]) == n && memcmp(w, particles[i], n) == 0)
			return true;
	return false;
}

/* The key of a name already folded (words separated by one space): the words but the
 * particles, joined, into key (room for strlen(fold) + 1 bytes). Returns key. */
static char *name_key_of_fold(const char *fold, char *key)
{
	char *q = key;
	const char *w = fold, *e;
	size_t n;

	for (; *w; w = *e ? e + 1 : e) {
		e = strchr(w, ' ');
		if (!e)
			e = w + strlen(w);
		n = (size_t)(e - w);
		if (!nat_particle(w, n)) {
			memcpy(q, w, n);
			q += n;
		}
	}
	*q = '\0';
	return key;
}

char *nat_name_key(const char *name)
{
	char *fold = utf8_fold(name), *key = name_key_of_fold(fold, xmalloc(strlen(fold) + 1));

	free(fold);
	return key;
}
