/*
 * util.c - allocation, strings and buffers, the arena, files (private directories, temporary
 * files committed atomically), time stamps, the hash map and DN normalisation. The UTF-8
 * functions are in utf8.c (util.h declares both).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void oom(void)
{
	fputs("medimail-sync: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void xgrow(void *pp, size_t *cap, size_t need, size_t size)
{
	void **p = pp;
	size_t c = *cap;

	if (need <= c)
		return;
	if (c < 8)
		c = 8;
	while (c < need)
		c *= 2;
	*p = xrealloc(*p, c * size);
	*cap = c;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void sb_addn(struct strbuf *sb, const char *s, size_t n)
{
	xgrow(&sb->buf, &sb->cap, sb->len + n + 1, 1);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_add(struct strbuf *sb, const char *s)
{
	sb_addn(sb, s, strlen(s));
}

void sb_addc(struct strbuf *sb, char c)
{
	sb_addn(sb, &c, 1);
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	sb_add(sb, s);
	free(s);
}

char *sb_steal(struct strbuf *sb)
{
	char *p = sb->buf ? sb->buf : xstrdup("");

	/* the string may live long (row cells): give back a large slack */
	if (sb->buf && sb->cap > sb->len + 32)
		p = xrealloc(p, sb->len + 1);

	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

/* Blocks double from 2 kB up to 64 kB; a piece larger than that gets a block of its own.
 * The newest block is at the head: only it has room. */
struct arena_block {
	struct arena_block *next;
	size_t size, used;
	max_align_t data[];
};

#define ARENA_MIN 2048
#define ARENA_MAX 65536
#define ARENA_ALIGN (sizeof(void *) > sizeof(size_t) ? sizeof(void *) : sizeof(size_t))

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	void *p;

	if (need < n)
		oom();
	if (!b || b->size - b->used < need) {
		size_t size = b ? b->size * 2 : ARENA_MIN;

		if (size > ARENA_MAX)
			size = ARENA_MAX;
		if (size < need)
			size = need;
		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Keep one block, the oldest (the first and smallest), so that a reused arena does not grow. */
void arena_reset(struct arena *a)
{
	struct arena_block *b = a->head;

	while (b && b->next) {
		struct arena_block *next = b->next;

		free(b);
		b = next;
	}
	if (b)
		b->used = 0;
	a->head = b;
}

void arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->head);
	a->head = NULL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

char *str_trim(const char *s)
{
	const char *e;

	while (is_blank(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_blank(e[-1]))
		e--;
	return xstrndup(s, (size_t)(e - s));
}

bool str_empty(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if (!is_blank(*s))
			return false;
	return true;
}

int str_casecmp_ascii(const char *a, const char *b)
{
	return strcasecmp(a, b);
}

int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int dir_check_private(const char *dir, const char *what, char **err)
{
	struct stat st;
	uid_t me = geteuid();

	*err = NULL;
	if (stat(dir, &st) < 0) {
		*err = xasprintf("%s %s: %s", what, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		*err = xasprintf("%s %s: not a directory", what, dir);
		return -1;
	}
	if (st.st_uid != me && st.st_uid != 0) {
		*err = xasprintf("%s %s: owned by uid %lu, neither this user (uid %lu) nor root: "
				 "refused, since its owner could swap the files written there",
				 what, dir, (unsigned long)st.st_uid, (unsigned long)me);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		*err = xasprintf("%s %s: writable by group or others (mode %04o): refused, since "
				 "they could swap the files written there (chmod go-w %s)", what,
				 dir, (unsigned)(st.st_mode & 07777), dir);
		return -1;
	}
	return 0;
}

/* DIR/.NAME.XXXXXX/NAME: the private directory (mode 0700, ours) makes the name safe to
 * reopen, as libxlsxwriter does. */
int tmpfile_open(const char *final_path, char **tmp_path)
{
	char *copy = xstrdup(final_path);
	char *base = xstrdup(basename(copy));
	char *priv;
	int fd = -1, e;

	strcpy(copy, final_path);
	priv = xasprintf("%s/.%s.XXXXXX", dirname(copy), base);
	*tmp_path = NULL;
	if (!mkdtemp(priv))
		goto out;
	*tmp_path = xasprintf("%s/%s", priv, base);
	fd = open(*tmp_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		e = errno;
		rmdir(priv);
		free(*tmp_path);
		*tmp_path = NULL;
		errno = e;
	}
out:
	free(priv);
	free(base);
	free(copy);
	return fd;
}

void tmpfile_discard(const char *tmp_path)
{
	char *copy;
	int e = errno;

	if (!tmp_path)
		return;
	unlink(tmp_path);
	copy = xstrdup(tmp_path);
	rmdir(dirname(copy));
	free(copy);
	errno = e;
}

int fd_write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int file_replace(const char *path, const char *buf, size_t len, mode_t mode)
{
	struct stat st;
	char *tmp = NULL;
	int fd, rc, e;

	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* a rename would put a file in place of the stream (as root, of /dev/stdout) */
		fd = open(path, O_WRONLY | O_TRUNC | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		rc = fd_write_all(fd, buf, len);
		e = errno;
		if (close(fd) != 0 && rc == 0)
			return -1;
		errno = e;
		return rc;
	}
	fd = tmpfile_open(path, &tmp);
	if (fd < 0)
		return -1;
	if (((mode & 07777) != 0600 && fchmod(fd, mode & 07777) != 0) ||
	    fd_write_all(fd, buf, len) != 0) {
		e = errno;
		close(fd);
		tmpfile_discard(tmp);
		free(tmp);
		errno = e;
		return -1;
	}
	rc = tmpfile_commit(fd, tmp, path);
	free(tmp);
	return rc;
}

int tmpfile_commit(int fd, const char *tmp_path, const char *final_path)
{
	char *copy = NULL;
	int saved, rc = -1;

	if (fsync(fd) < 0) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		saved = errno;
		goto fail;
	}
	if (rename(tmp_path, final_path) < 0) {
		saved = errno;
		goto fail;
	}
	tmpfile_discard(tmp_path);      /* the private directory, now empty */
	copy = xstrdup(final_path);
	if (fsync_dir(dirname(copy)) < 0) {
		saved = errno;
		free(copy);
		errno = saved;
		return -1;     /* renamed but not durable: report, keep the file */
	}
	free(copy);
	return 0;
fail:
	tmpfile_discard(tmp_path);
	errno = saved;
	return rc;
}

char *time_stamp(long long t)
{
	time_t tt = t ? (time_t)t : time(NULL);
	struct tm tm;
	char buf[32];

	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
	return xstrdup(buf);
}

char *unique_path(const char *dir, const char *prefix, const char *ext)
{
	char *stamp = time_stamp(0);
	char *path = xasprintf("%s/%s-%s.%s", dir, prefix, stamp, ext);

	for (int n = 2; access(path, F_OK) == 0; n++) {
		free(path);
		path = xasprintf("%s/%s-%s-%d.%s", dir, prefix, stamp, n, ext);
	}
	free(stamp);
	return path;
}

/* Hash map: open addressing, linear probing, power-of-two capacity. */
struct hslot {
	char *key;
	void *val;
	uint64_t hash;
};

struct hmap {
	struct hslot *slots;
	size_t cap, count;
	bool fold;
	bool borrowed;          /* keys are the caller's (hmap_new_borrowed) */
	struct arena keys;      /* else copies, never removed: they are freed together */
};

static uint64_t hash_str(const char *s, bool fold)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (fold && c >= 'A' && c <= 'Z')
			c += 32;
		h ^= c;
		h *= 1099511628211ULL;
	}
	return h;
}

struct hmap *hmap_new(bool fold)
{
	struct hmap *h = xcalloc(1, sizeof(*h));

	h->cap = 64;
	h->slots = xcalloc(h->cap, sizeof(*h->slots));
	h->fold = fold;
	return h;
}

struct hmap *hmap_new_borrowed(bool fold)
{
	struct hmap *h = hmap_new(fold);

	h->borrowed = true;
	return h;
}

void hmap_free(struct hmap *h)
{
	if (!h)
		return;
	arena_free(&h->keys);
	free(h->slots);
	free(h);
}

static struct hslot *hmap_find(const struct hmap *h, const char *key, uint64_t hash)
{
	size_t i = hash & (h->cap - 1);

	for (;;) {
		struct hslot *s = &h->slots[i];

		if (!s->key)
			return s;
		if (s->hash == hash &&
		    (h->fold ? strcasecmp(s->key, key) : strcmp(s->key, key)) == 0)
			return s;
		i = (i + 1) & (h->cap - 1);
	}
}

static void hmap_grow(struct hmap *h)
{
	struct hslot *old_slots = h->slots;
	size_t old_cap = h->cap;

	h->cap *= 2;
	h->slots = xcalloc(h->cap, sizeof(*h->slots));
	for (size_t i = 0; i < old_cap; i++) {
		if (old_slots[i].key)
			*hmap_find(h, old_slots[i].key, old_slots[i].hash) = old_slots[i];
	}
	free(old_slots);
}

/* The slot of key, filled with val if it was empty (*added then true). */
static struct hslot *hmap_slot(struct hmap *h, const char *key, void *val, bool *added)
{
	uint64_t hash = hash_str(key, h->fold);
	struct hslot *s;

	if ((h->count + 1) * 4 > h->cap * 3)
		hmap_grow(h);
	s = hmap_find(h, key, hash);
	*added = !s->key;
	if (*added) {
		s->key = h->borrowed ? (char *)key : arena_strndup(&h->keys, key, strlen(key));
		s->hash = hash;
		s->val = val;
		h->count++;
	}
	return s;
}

void *hmap_put(struct hmap *h, const char *key, void *val)
{
	bool added;
	struct hslot *s = hmap_slot(h, key, val, &added);
	void *old;

	if (added)
		return NULL;
	old = s->val;
	s->val = val;
	return old;
}

void *hmap_add(struct hmap *h, const char *key, void *val)
{
	bool added;
	struct hslot *s = hmap_slot(h, key, val, &added);

	return added ? NULL : s->val;
}

void *hmap_get(const struct hmap *h, const char *key)
{
	struct hslot *s = hmap_find(h, key, hash_str(key, h->fold));

	return s->key ? s->val : NULL;
}

size_t hmap_count(const struct hmap *h)
{
	return h->count;
}

bool hmap_next(const struct hmap *h, size_t *pos, const char **key, void **val)
{
	while (*pos < h->cap) {
		struct hslot *s = &h->slots[(*pos)++];

		if (s->key) {
			*key = s->key;
			*val = s->val;
			return true;
		}
	}
	return false;
}

static char ascii_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

char *dn_normalise(const char *dn)
{
	char *out = xmalloc(strlen(dn) + 1);   /* the result is never longer */
	const char *p = dn;
	size_t o = 0;
	size_t keep = 0;        /* blanks before here were escaped: data, never trimmed */

	while (*p == ' ')
		p++;
	for (; *p; p++) {
		char c = *p;

		if (c == '\\' && p[1]) {
			out[o++] = c;
			out[o++] = ascii_lower(*++p);
			keep = o;
			continue;
		}
		if (c == ',' || c == '=' || c == '+') {
			while (o > keep && out[o - 1] == ' ')
				o--;
			out[o++] = c;
			while (p[1] == ' ')
				p++;
			continue;
		}
		out[o++] = ascii_lower(c);
	}
	while (o > keep && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}
