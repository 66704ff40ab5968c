/*
 * national_int.h - what the files of the national directory share; national.h is the public
 * interface, and only national*.c include this one.
 *
 *   national_util.c       checksums, varints, the first error
 *   national_extract.c    the extracts: the files on disk, lines, fields, the header's columns
 *   national_aggregate.c  rows to per-person fragments and the dictionary (the builder)
 *   national_build.c      the index writer: the table of slots, header, the temporary file
 *   national_open.c       the index reader: checks, the body's checksum thread, mapping
 *   national.c            look-ups (nat_find), identifiers and names
 *
 * Index file (host byte order, checked by a marker; version NAT_VERSION):
 *   [0, 4096)   header block: struct idx_header, its hdr_sum a checksum of the bytes before it
 *   blobs       one fragment per run of consecutive rows of one person, in file order
 *   dictionary  interned values: labels and codes, and the fields of FINESS sites
 *   table       table_len slots of 16 bytes: one entry per fragment (hash of the person's
 *               key, kind << 56 | offset), sorted by hash, and empty slots (SLOT_EMPTY): an
 *               entry of hash h lies in slot slot_home(h) or, when earlier entries took it,
 *               right after them, with no empty slot between (nslots homes, a quarter more
 *               than entries; the last entries may run past them). A look-up reads one or two
 *               cache lines from h's home: one access to the table, where a sorted table and
 *               a bucket index took two
 * body_sum is a checksum of [4096, end). The builder sets the file's modification time to
 * stamp, a whole second before the build ended (a later write stamps the time of the write):
 * an index whose mtime is still stamp is as it was written, and a run trusts its body
 * without reading it again (national_open.c). A fragment:
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
#ifndef MS_NATIONAL_INT_H
#define MS_NATIONAL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "national.h"
#include "util.h"

#define NAT_MAGIC "MSNATIDX"
#define NAT_VERSION 2
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

/* Columns of the activity extract (AC_) and of the MSSanté extract (MC_); their names are in
 * national_extract.c. */
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

enum {
	MC_BAL_TYPE, MC_ADDRESS, MC_TYPE, MC_ID, MC_STRUCT_TYPE, MC_STRUCT_ID, MC_SERVICE, MC_RS,
	MC_NCOLS
};

/* ---------------------------------------------------------------------------------------
 * Unaligned loads, hashes (inline: the builder's hot path).
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
static inline uint64_t hash_bytes(const void *p, size_t n, uint64_t seed)
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

static inline uint64_t key_hash(unsigned type, const char *id, size_t n)
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

void nat_csum_init(struct csum *c);
void nat_csum_add(struct csum *c, const void *data, size_t n);
uint64_t nat_csum_final(struct csum *c);
/* The checksum of n bytes at p. */
uint64_t nat_csum_of(const void *p, size_t n);

/* A byte buffer with inline appends (the encoder's hot path). */
struct bytes {
	char *buf;
	size_t len, cap;
};

/* Grow b for n more bytes (by_room's slow path). */
void nat_by_grow(struct bytes *b, size_t n);

static inline char *by_room(struct bytes *b, size_t n)
{
	if (b->cap - b->len < n)
		nat_by_grow(b, n);
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

/* A varint of more than one byte (get_varint's slow path). */
uint64_t nat_get_varint_long(struct cur *c);

/* Most varints are one byte: that case inline. */
static inline uint64_t get_varint(struct cur *c)
{
	if (c->ok && c->p < c->end && !(*c->p & 0x80))
		return *c->p++;
	return nat_get_varint_long(c);
}

static inline unsigned get_u8(struct cur *c)
{
	if (!c->ok || c->p >= c->end) {
		c->ok = false;
		return 0;
	}
	return *c->p++;
}

static inline const char *get_str(struct cur *c)
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

/* Set *err (when err is not NULL and *err not set yet: the first error is the one reported). */
void nat_set_err(char **err, const char *fmt, ...) PRINTF(2, 3);
/* Seconds on the monotonic clock. */
double nat_now(void);

/* ---------------------------------------------------------------------------------------
 * Reading the extracts (national_extract.c).
 */
/* The line reader: a file read in chunks (fd, buf and cap set by the caller), or a buffer
 * in memory (nat_reader_mem). */
struct reader {
	const char *path;
	int fd;                 /* -1: memory */
	char *buf;
	size_t cap, start, end;
	bool eof, own;
	unsigned long line;     /* number of the last line returned */
};

void nat_reader_mem(struct reader *r, const char *path, const char *data, size_t len);
/* 1 and the next line (without its LF and a CR before it), 0 at the end, -1 on error. */
int nat_reader_next(struct reader *r, const char **line, size_t *len, bool *nl, char **err);

struct field {
	const char *p;
	size_t n;
};

/* The columns of a header line: layout->slot maps field index -> column. */
struct layout {
	int16_t slot[NAT_MAX_FIELDS];
	size_t nseps;           /* "|" in the header: every line must have as many */
	uint64_t hash;          /* of the header line */
};

/* Split [line, line + n): out[slot[i]] receives field i when slot[i] >= 0 (i < nslot).
 * Returns the number of "|", or -1 with *bad the offset of invalid UTF-8 or a NUL byte. */
long nat_split_line(const char *line, size_t n, const int16_t *slot, size_t nslot,
		    struct field *out, size_t *bad);
/* Find the columns of kind (KIND_ACT, KIND_MSS) in a header line: 0 and *lay, or -1 + *err
 * naming path (a missing or repeated column, invalid UTF-8). */
int nat_parse_header(int kind, const char *path, const char *line, size_t n,
		     struct layout *lay, char **err);

/* A source as found on disk now: resolved path, identity, header line hash. */
struct source {
	char *path;
	struct stat st;
	uint64_t header_hash;
};

void nat_source_free(struct source *s);
/* Resolve pattern (a path or a glob: the last match), stat it and hash its header line as
 * the reader will see it. 0, or -1 + *err naming what ("extract", "mssante-extract"). */
int nat_source_probe(const char *pattern, const char *what, struct source *s, char **err);

/* ---------------------------------------------------------------------------------------
 * Aggregating rows into fragments (national_aggregate.c).
 */
struct dict {
	struct bytes bytes;      /* entries, each followed by a NUL */
	uint32_t *off;           /* entry i at bytes.buf + off[i]; off[n] = bytes.len */
	uint64_t *hash;
	uint32_t n, cap;
	uint32_t *slot;          /* open addressing: entry index + 1, 0 free */
	uint32_t nslot;
};

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

#define SLOT_EMPTY UINT64_MAX     /* the pos of an empty slot of the table */
#define NAT_MAX_ENTRIES (1ULL << 31)

/* The home slot of hash h among nslots (< 2^32): its top 32 bits scaled, so that the order of
 * the homes is the order of the hashes. */
static inline uint64_t slot_home(uint64_t h, uint64_t nslots)
{
	return ((h >> 32) * nslots) >> 32;
}

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

/* A builder writing the body of an index to fd from offset 4096 (fd -1: parse only, the
 * checksum kept), out_path naming it in errors; *err receives the first error. */
void nat_builder_init(struct builder *b, int fd, const char *out_path, char **err);
void nat_builder_free(struct builder *b);
/* Index of the entry holding these n bytes, added if new; UINT32_MAX when full (4 GB). */
uint32_t nat_dict_add(struct dict *d, const char *p, size_t n);
/* Append n bytes to the body (written by chunks of OUT_CHUNK); then flush the rest. 0 or -1
 * (the error set). */
int nat_out_add(struct builder *b, const void *p, size_t n);
int nat_out_flush(struct builder *b);
/* Read one extract (header, then every row) into the builder; its header line's hash in
 * *header_hash when not NULL. 0, or -1 (the error set). */
int nat_read_extract(struct builder *b, struct reader *r, int kind, uint64_t *header_hash);

/* ---------------------------------------------------------------------------------------
 * The index file (national_build.c writes it, national_open.c reads it).
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
	uint64_t blob_off, blob_len, dict_off, dict_len;
	uint64_t table_off, table_len, nslots, nentries;    /* slots, homes, entries */
	uint64_t body_sum;
	int64_t built_at;
	uint64_t build_ms;
	int64_t stamp_sec, stamp_nsec;    /* the file's mtime set at the end of the build */
	uint64_t hdr_sum;       /* last: checksum of everything before it */
};

_Static_assert(sizeof(struct idx_header) <= NAT_HDR_SIZE, "index header block too small");

/* 0 when path does not exist or holds an index (it may be replaced), -1 + *err when it is
 * another file: an index path set to another file by mistake must not destroy it. */
int nat_check_replaceable(const char *path, char **err);
/* Build the index from the sources (the activity extract, then the MSSanté one when nsrc is
 * 2) into a temporary file renamed over path. 0, or -1 + *err. */
int nat_build_index(const char *path, struct source *src, size_t nsrc, char **err);

/* ---------------------------------------------------------------------------------------
 * The database handle (national_open.c opens it, national.c looks people up in it).
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

/* Open addressing, linear probing: slot i holds key[i] (a table slot + 1; 0: free) and
 * val[i]. Sized to the people looked up, not to the table: a run touches a few pages. */
struct nat_cache {
	uint32_t *key;
	struct nat_person **val;
	size_t n, cap;           /* cap: a power of two, or 0 */
};

struct nat_db {
	struct nat_info info;
	char *extract_path, *mssante_path, *index_path, *reason;
	const unsigned char *map;
	size_t size;
	const unsigned char *blob, *dict_off, *dict_bytes, *table;
	uint64_t blob_len, dict_count, dict_bytes_len;
	uint64_t table_len, nslots;
	struct nat_cache cache;  /* the people found, by the slot of their first table entry */
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


#endif
