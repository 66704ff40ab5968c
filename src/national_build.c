/*
 * national_build.c - the national directory's index writer: each source read into the
 * builder (and refused if it changes meanwhile), then the dictionary, the table of slots,
 * the header block last, into a temporary file renamed over the index. See
 * national_int.h for the file's layout.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "national_int.h"

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

static int write_all(int fd, const void *p, size_t n, off_t off, const char *path, char **err)
{
	const char *c = p;
	ssize_t k;

	while (n > 0) {
		k = off < 0 ? write(fd, c, n) : pwrite(fd, c, n, off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			nat_set_err(err, _("%s: cannot write: %s"), path, strerror(errno));
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
		nat_set_err(err, _("%s: cannot open: %s"), s->path, strerror(errno));
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
	rc = nat_read_extract(b, &r, kind, &hh);
	if (rc == 0 && (fstat(fd, &st) < 0 || st.st_size != s->st.st_size ||
			st.st_mtim.tv_sec != s->st.st_mtim.tv_sec ||
			st.st_mtim.tv_nsec != s->st.st_mtim.tv_nsec)) {
		nat_set_err(err, _("%s: the file changed while it was read: try again once the "
			"download is over"), s->path);
		rc = -1;
	}
	close(fd);
	s->header_hash = hh;
	*rows = (kind == KIND_ACT ? b->rows : b->mss_rows) - before;
	return rc;
}

/* Refuse to replace a file that is not ours: an index path set to another file by mistake
 * must not destroy it. */
int nat_check_replaceable(const char *path, char **err)
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
	nat_set_err(err, _("%s: exists and is not a medimail-sync national index: not replaced "
		"(check national-directory index; remove the file if it is a damaged index)"),
		path);
	return -1;
}

/* After the blobs, 8-byte aligned: the dictionary (count, offsets, entries); where it lies
 * in h. */
static int write_dictionary(struct builder *b, struct idx_header *h)
{
	static const char pad[8];
	struct bytes sec = { 0 };
	int rc = -1;

	h->blob_off = NAT_HDR_SIZE;
	h->blob_len = b->blob_len;
	if (nat_out_add(b, pad, (8 - b->blob_len % 8) % 8) < 0)
		goto out;
	h->dict_off = NAT_HDR_SIZE + b->written;
	by_add(&sec, &b->dict.n, sizeof(uint32_t));
	by_add(&sec, b->dict.off, (b->dict.n + 1) * sizeof(uint32_t));
	if (nat_out_add(b, sec.buf, sec.len) < 0 ||
	    nat_out_add(b, b->dict.bytes.buf, b->dict.bytes.len) < 0)
		goto out;
	h->dict_len = NAT_HDR_SIZE + b->written - h->dict_off;
	rc = nat_out_add(b, pad, (8 - b->written % 8) % 8);
out:
	free(sec.buf);
	return rc;
}

/* The people: the distinct keys of the activity extract in the sorted table. */
static uint64_t count_persons(const struct idx_entry *e, size_t n)
{
	uint64_t persons = 0, prev = 0;
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (i == 0 || e[i].hash != prev)
			any = false;
		if (!any && (e[i].pos >> 56) == KIND_ACT) {
			persons++;
			any = true;
		}
		prev = e[i].hash;
	}
	return persons;
}

/* The table, the last section: the entries sorted, each in its home slot or right after
 * the entries before it, empty slots between; then the body is flushed. Streamed through the
 * output buffer (no second copy of the table). extract names the activity extract in errors. */
static int write_table(struct builder *b, struct idx_header *h, const char *extract,
		       char **err)
{
	static const struct idx_entry empty[64] = {
		[0 ... 63] = { 0, SLOT_EMPTY },
	};
	uint64_t next = 0;

	sort_entries(b->ent, b->nent);
	h->persons = count_persons(b->ent, b->nent);
	if (b->nent >= NAT_MAX_ENTRIES) {
		nat_set_err(err, _("%s: too many people for the index"), extract);
		return -1;
	}
	h->table_off = NAT_HDR_SIZE + b->written;
	h->nentries = b->nent;
	h->nslots = b->nent + b->nent / 4 + 1;
	for (size_t i = 0; i <= b->nent; i++) {
		uint64_t at = i < b->nent ? slot_home(b->ent[i].hash, h->nslots) : h->nslots;

		while (next < at) {
			uint64_t k = at - next < 64 ? at - next : 64;

			if (nat_out_add(b, empty, k * sizeof(*empty)) < 0)
				return -1;
			next += k;
		}
		if (i < b->nent && nat_out_add(b, &b->ent[i], sizeof(b->ent[i])) < 0)
			return -1;
		next += i < b->nent;
	}
	h->table_len = next;
	return nat_out_flush(b);
}

/* The rest of the header block, once the body is written: marker, the sources (rows[i]
 * data rows in src[i]), counts, checksums; t0 when the build started. */
static void finish_header(struct idx_header *h, struct builder *b, const struct source *src,
			  size_t nsrc, const uint64_t *rows, double t0)
{
	memcpy(h->magic, NAT_MAGIC, sizeof(h->magic));
	h->version = NAT_VERSION;
	h->hdr_size = sizeof(*h);
	h->byte_order = NAT_BYTE_ORDER;
	h->flags = nsrc > 1 ? 1 : 0;
	h->file_size = NAT_HDR_SIZE + b->written;
	for (size_t i = 0; i < nsrc; i++)
		src_fill(&h->src[i], &src[i], rows[i]);
	h->activities = b->activities;
	h->savoir_faire = b->savoir_faire;
	h->mss_addresses = b->mss_addr;
	h->body_sum = nat_csum_final(&b->sum);
	h->built_at = (int64_t)time(NULL);
	h->build_ms = (uint64_t)((nat_now() - t0) * 1000);
	h->stamp_sec = h->built_at - 1;
	h->stamp_nsec = 0;
	h->hdr_sum = nat_csum_of(h, offsetof(struct idx_header, hdr_sum));
}

/* The file's modification time set to h's stamp, the last change before it is renamed. Not
 * an error when it fails: every run then reads the whole body to check it. */
static void stamp_mtime(int fd, const struct idx_header *h, const char *path)
{
	const struct timespec ts[2] = {
		{ .tv_sec = 0, .tv_nsec = UTIME_OMIT },
		{ .tv_sec = (time_t)h->stamp_sec, .tv_nsec = (long)h->stamp_nsec },
	};

	if (futimens(fd, ts) < 0)
		log_warn(_("%s: cannot set the index's modification time (%s): every run will "
			   "read its whole body to check it"), path, strerror(errno));
}

int nat_build_index(const char *path, struct source *src, size_t nsrc, char **err)
{
	struct idx_header h;
	struct builder b;
	char *tmp = NULL, *buf = NULL;
	double t0 = nat_now();
	uint64_t rows[2] = { 0, 0 };
	int fd, rc = -1;

	if (nat_check_replaceable(path, err) < 0)
		return -1;
	fd = tmpfile_open(path, &tmp);
	if (fd < 0) {
		nat_set_err(err, _("%s: cannot create a temporary file next to it: %s"), path,
			strerror(errno));
		return -1;
	}
	nat_builder_init(&b, fd, tmp, err);
	memset(&h, 0, sizeof(h));
	buf = xmalloc(READ_CHUNK + NAT_MAX_LINE + 1);
	if (lseek(fd, NAT_HDR_SIZE, SEEK_SET) < 0) {
		nat_set_err(err, _("%s: cannot seek: %s"), tmp, strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < nsrc; i++)
		if (build_source(&b, &src[i], i ? KIND_MSS : KIND_ACT, buf, &rows[i], err) < 0)
			goto fail;
	free(buf);
	buf = NULL;
	if (write_dictionary(&b, &h) < 0 || write_table(&b, &h, src[0].path, err) < 0)
		goto fail;
	finish_header(&h, &b, src, nsrc, rows, t0);
	if (write_all(fd, &h, sizeof(h), 0, tmp, err) < 0)
		goto fail;
	fd = -1;
	stamp_mtime(b.fd, &h, path);
	if (tmpfile_commit(b.fd, tmp, path) < 0) {
		nat_set_err(err, _("%s: cannot write the index: %s"), path, strerror(errno));
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
	nat_builder_free(&b);
	free(tmp);
	return rc;
}
