/*
 * national_open.c - the national directory's index reader: the sources resolved and compared
 * with the index's header, the header's and the body's checks (for the runs: the body's only
 * when the file was modified since its build, then in a second thread), the index built when
 * it is missing or stale, then mapped. See national.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "log.h"
#include "national_int.h"

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

/* How open_index() checks the body: not at all (an index just built and checked on the
 * way), before it returns, or, when the file was modified since it was built, in a second
 * thread that nat_verified() joins. */
enum verify { VERIFY_NONE, VERIFY_NOW, VERIFY_LATER };

/* The sections follow each other inside the file, their sizes consistent (no overflow). */
static bool sections_ok(const struct idx_header *h)
{
	uint64_t size = h->file_size;

	return h->blob_off == NAT_HDR_SIZE && h->blob_len <= size - h->blob_off &&
	       h->dict_off >= h->blob_off + h->blob_len && h->dict_off <= size &&
	       h->dict_len >= 8 && h->dict_len <= size - h->dict_off &&
	       h->table_off >= h->dict_off + h->dict_len && h->table_off <= size &&
	       h->nentries < NAT_MAX_ENTRIES && h->nslots > h->nentries &&
	       h->nslots <= h->table_len && h->table_len < UINT32_MAX &&
	       h->table_len <= h->nslots + h->nentries &&
	       size - h->table_off == h->table_len * sizeof(struct idx_entry);
}

/* The checksum of the body of the index open on fd, read in chunks; 0 when it cannot be
 * read (which no checksum equals but by chance). */
static uint64_t body_sum_read(int fd, const struct idx_header *h)
{
	unsigned char *buf = xmalloc(OUT_CHUNK);
	uint64_t off = NAT_HDR_SIZE, sum = 0;
	struct csum c;

	nat_csum_init(&c);
	while (off < h->file_size) {
		size_t want = h->file_size - off < OUT_CHUNK ? (size_t)(h->file_size - off) :
			      OUT_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n <= 0)
			goto out;
		nat_csum_add(&c, buf, (size_t)n);
		off += (uint64_t)n;
	}
	sum = nat_csum_final(&c);
out:
	free(buf);
	return sum;
}

/* The body's checksum on the map, in a thread of its own while the run reads its
 * directories: its page faults also map the pages the look-ups will read. */
static void *verify_body(void *arg)
{
	struct nat_db *db = arg;
	uint64_t sum = nat_csum_of(db->map + NAT_HDR_SIZE, db->size - NAT_HDR_SIZE);

	db->verified = sum == db->body_sum ? 1 : -1;
	return NULL;
}

/* open_index()'s reasons that name an errno (not thread-safe, as the db). */
static char why_buf[160];

/* Open db's index and read its header block into *h: NULL with *fd and *st, or why the
 * index must be built, or with *fatal -1 and *err when the file is not an index. */
static const char *read_header(struct nat_db *db, struct idx_header *h, int *fd,
			       struct stat *st, int *fatal, char **err)
{
	*fd = open(db->index_path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		if (errno == ENOENT)
			return _("no index yet");
		snprintf(why_buf, sizeof(why_buf), _("cannot open it: %s"), strerror(errno));
		return why_buf;
	}
	if (fstat(*fd, st) < 0 || st->st_size < NAT_HDR_SIZE ||
	    pread(*fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h) ||
	    memcmp(h->magic, NAT_MAGIC, sizeof(h->magic)) != 0) {
		close(*fd);
		*fd = -1;
		if (nat_check_replaceable(db->index_path, err) < 0) {
			*fatal = -1;
			return "foreign";
		}
		return _("corrupt index (too short)");
	}
	return NULL;
}

/* Why the header h of an index of size bytes does not match this program or the sources
 * now, or NULL. */
static const char *header_differs(const struct idx_header *h, off_t size,
				  const struct source *src, size_t nsrc)
{
	const char *differs;

	differs = h->version != NAT_VERSION ? _("index made by another version") :
		  h->byte_order != NAT_BYTE_ORDER || h->hdr_size != sizeof(*h) ?
		  _("index made on another kind of machine") :
		  h->hdr_sum != nat_csum_of(h, offsetof(struct idx_header, hdr_sum)) ?
		  _("corrupt index (header checksum)") :
		  h->file_size != (uint64_t)size ? _("corrupt index (size)") : NULL;
	if (!differs && !sections_ok(h))
		differs = _("corrupt index (sections)");
	if (!differs && (h->flags & 1) != (nsrc > 1))
		differs = nsrc > 1 ? _("the MSSanté extract was added") :
				     _("the MSSanté extract was removed");
	for (size_t i = 0; !differs && i < nsrc; i++)
		differs = src_differs(&h->src[i], &src[i], i > 0);
	return differs;
}

/* Map the index open on fd, its header h checked, and find its sections: NULL, or why it
 * cannot be used. */
static const char *map_index(struct nat_db *db, int fd, const struct idx_header *h)
{
	void *map = mmap(NULL, (size_t)h->file_size, PROT_READ, MAP_SHARED, fd, 0);

	if (map == MAP_FAILED) {
		snprintf(why_buf, sizeof(why_buf), _("cannot map it: %s"), strerror(errno));
		return why_buf;
	}
	db->map = map;
	db->size = (size_t)h->file_size;
	db->blob = db->map + h->blob_off;
	db->blob_len = h->blob_len;
	db->dict_count = ld32(db->map + h->dict_off);
	db->dict_off = db->map + h->dict_off + 4;
	db->dict_bytes = db->dict_off + (db->dict_count + 1) * 4;
	db->table = db->map + h->table_off;
	db->table_len = h->table_len;
	db->nslots = h->nslots;
	if (db->dict_count == 0 || (db->dict_count + 1) * 4 + 4 > h->dict_len ||
	    ld32(db->dict_off + db->dict_count * 4) !=
	    h->dict_len - 4 - (db->dict_count + 1) * 4) {
		munmap((void *)db->map, db->size);
		db->map = NULL;
		return _("corrupt index (dictionary)");
	}
	db->dict_bytes_len = h->dict_len - 4 - (db->dict_count + 1) * 4;
	return NULL;
}

/* What nat_info() tells of the index, from its header. */
static void info_from_header(struct nat_info *info, const struct idx_header *h)
{
	info->rows = h->src[0].rows;
	info->persons = h->persons;
	info->activities = h->activities;
	info->savoir_faire = h->savoir_faire;
	info->mssante_rows = h->src[1].rows;
	info->mssante_addresses = h->mss_addresses;
	info->index_bytes = h->file_size;
	info->extract_mtime = h->src[0].mtime_sec;
	info->built_at = h->built_at;
}

/* Check the index against the sources and map it. NULL when it can be used; otherwise why
 * it must be rebuilt. -1 in *fatal when it must not be replaced (the error set). */
static const char *open_index(struct nat_db *db, const struct source *src, size_t nsrc,
			      enum verify verify, int *fatal, char **err)
{
	struct idx_header h;
	struct stat st;
	const char *why;
	int fd;

	*fatal = 0;
	why = read_header(db, &h, &fd, &st, fatal, err);
	if (why)
		return why;
	why = header_differs(&h, st.st_size, src, nsrc);
	/* the mtime its build set: as it was written, its body is not read again */
	if (verify == VERIFY_LATER && st.st_mtim.tv_sec == h.stamp_sec &&
	    st.st_mtim.tv_nsec == h.stamp_nsec)
		verify = VERIFY_NONE;
	/* Now: read through a buffer, so that the process maps only the pages its look-ups
	 * touch (an admin's command looks one person up). Later: see verify_body(). */
	if (!why && verify == VERIFY_NOW && body_sum_read(fd, &h) != h.body_sum)
		why = _("corrupt index (body checksum)");
	if (!why)
		why = map_index(db, fd, &h);
	close(fd);
	if (why)
		return why;
	info_from_header(&db->info, &h);
	db->info.body = verify == VERIFY_NOW ? NAT_BODY_READ : verify == VERIFY_LATER ?
			NAT_BODY_BACKGROUND : NAT_BODY_UNCHANGED;
	db->body_sum = h.body_sum;
	db->verified = verify == VERIFY_LATER ? 0 : 1;
	if (verify == VERIFY_LATER) {
		db->verifying = pthread_create(&db->verifier, NULL, verify_body, db) == 0;
		if (!db->verifying)
			verify_body(db);
	}
	return NULL;
}

/* What open_db() logs of the index, by enum nat_body. */
static const char *const body_said[] = {
	[NAT_BODY_BUILT] = "its body checked on the way",
	[NAT_BODY_READ] = "its body read and checked",
	[NAT_BODY_BACKGROUND] = "modified since it was built: its body checked meanwhile",
	[NAT_BODY_UNCHANGED] = "unchanged since it was built: its body not read again",
};

static struct nat_db *open_db(const struct conf_national *c, enum verify verify, char **err)
{
	struct nat_db *db = xcalloc(1, sizeof(*db));
	struct source src[2] = { { 0 } };
	size_t nsrc = c->mssante_extract ? 2 : 1;
	const char *why;
	double t0 = nat_now();
	int fatal;

	if (!c->extract || !c->index) {
		nat_set_err(err, _("national-directory: extract and index must be set"));
		goto fail;
	}
	if (nat_source_probe(c->extract, "extract", &src[0], err) < 0 ||
	    (nsrc > 1 &&
	     nat_source_probe(c->mssante_extract, "mssante-extract", &src[1], err) < 0))
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
		if (nat_build_index(db->index_path, src, nsrc, err) < 0)
			goto fail;
		/* just written and checked on the way: the body is not read again */
		why = open_index(db, src, nsrc, VERIFY_NONE, &fatal, err);
		if (why) {
			nat_set_err(err, _("%s: the index just built cannot be used: %s"),
				db->index_path, why);
			goto fail;
		}
		db->info.body = NAT_BODY_BUILT;
	}
	db->extract_path = src[0].path;
	db->mssante_path = src[1].path;
	db->info.extract = db->extract_path;
	db->info.mssante = db->mssante_path;
	db->info.index = db->index_path;
	db->info.rebuilt = db->reason;
	db->info.seconds = nat_now() - t0;
	if (c->max_age > 0 && time(NULL) - src[0].st.st_mtim.tv_sec > (time_t)c->max_age * 86400)
		log_warn("national directory: %s is %lld days old (max-age %d): is the download "
			 "timer running?", db->extract_path,
			 (long long)(time(NULL) - src[0].st.st_mtim.tv_sec) / 86400, c->max_age);
	log_info("national directory: %s %s in %.2f s (%s): %llu rows, %llu people, "
		 "%llu activities, %llu savoir-faire; %llu MSSanté addresses of people (%llu rows)",
		 db->index_path, db->reason ? "built" : "up to date, mapped", db->info.seconds,
		 body_said[db->info.body],
		 (unsigned long long)db->info.rows, (unsigned long long)db->info.persons,
		 (unsigned long long)db->info.activities,
		 (unsigned long long)db->info.savoir_faire,
		 (unsigned long long)db->info.mssante_addresses,
		 (unsigned long long)db->info.mssante_rows);
	return db;
fail:
	nat_source_free(&src[0]);
	nat_source_free(&src[1]);
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
		nat_set_err(err, _("%s: corrupt index (body checksum): removed, the next run "
			"builds it again; nothing read from it is used"), db->index_path);
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
	free(db->cache.key);
	free(db->cache.val);
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

