/*
 * util.c - allocation, strings, UTF-8 case mapping, hash map and atomic file helpers.
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

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
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
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	sb_addn(sb, s, (size_t)n);
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

/* Decode one code point at s (len bytes left). Returns its length, or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c;
	size_t n, i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, out of range */
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return n;
}

/* The UTF-8 bytes of code point c into b (4 bytes of room); their number. */
static size_t utf8_put(char *b, uint32_t c)
{
	if (c < 0x80) {
		b[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (char)(0xc0 | (c >> 6));
		b[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		b[0] = (char)(0xe0 | (c >> 12));
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | (c >> 18));
	b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	b[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static void utf8_encode(struct strbuf *sb, uint32_t c)
{
	char b[4];

	sb_addn(sb, b, utf8_put(b, c));
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;

	while (len > 0) {
		size_t n = utf8_decode(p, len, &c);

		if (n == 0 || c == 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* Code points that act on a terminal or a log rather than show: C0 and C1 controls, DEL, and
 * the line separators and bidirectional overrides that would break or reorder a line. */
static bool cp_acts(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
		(c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

void sb_add_visible(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;

	while (len > 0) {
		size_t n = utf8_decode(p, len, &c);

		if (n == 0 || cp_acts(c)) {
			/* not UTF-8: one byte; else every byte of the code point */
			for (size_t i = 0; i < (n ? n : 1); i++)
				sb_addf(sb, "\\x%02x", p[i]);
			n = n ? n : 1;
		} else {
			sb_addn(sb, (const char *)p, n);
		}
		p += n;
		len -= n;
	}
}

char *str_visible(const char *s)
{
	struct strbuf sb = { 0 };

	sb_addn(&sb, "", 0);
	if (s)
		sb_add_visible(&sb, s, strlen(s));
	return sb_steal(&sb);
}

void fput_visible(const char *s, FILE *out)
{
	char *v = str_visible(s);

	fputs(v, out);
	free(v);
}

/* Latin Extended Additional (Vietnamese, Welsh...), upper case at even code points, lower
 * case at the next one; U+1E96..U+1E9F are not pairs. */
static bool latin_ext_additional(uint32_t c)
{
	return c >= 0x1e00 && c <= 0x1eff && (c < 0x1e96 || c >= 0x1ea0);
}

/* Upper-case mapping of one code point for the scripts names and cities use. */
static uint32_t cp_upper(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 32;
	if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
		return c - 32;
	if (c == 0xff)
		return 0x178;
	if (c >= 0x100 && c <= 0x137 && (c & 1))
		return c - 1;
	if (c >= 0x139 && c <= 0x148 && !(c & 1))
		return c - 1;
	if (c >= 0x14a && c <= 0x177 && (c & 1))
		return c - 1;
	if (c >= 0x179 && c <= 0x17e && !(c & 1))
		return c - 1;
	if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2)
		return c - 32;
	if (c >= 0x430 && c <= 0x44f)
		return c - 32;
	if (c >= 0x450 && c <= 0x45f)
		return c - 80;
	if (latin_ext_additional(c) && (c & 1))
		return c - 1;
	return c;
}

static uint32_t cp_lower(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c == 0x178)
		return 0xff;
	if (c >= 0x100 && c <= 0x137 && !(c & 1))
		return c + 1;
	if (c >= 0x139 && c <= 0x148 && (c & 1))
		return c + 1;
	if (c >= 0x14a && c <= 0x177 && !(c & 1))
		return c + 1;
	if (c >= 0x179 && c <= 0x17e && (c & 1))
		return c + 1;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (latin_ext_additional(c) && !(c & 1))
		return c + 1;
	if (c == 0x1e9e)
		return 0xdf;            /* ẞ */
	return c;
}

static char *utf8_map(const char *s, uint32_t (*f)(uint32_t))
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	struct strbuf sb = { 0 };
	uint32_t c;

	sb_addn(&sb, "", 0);
	while (len > 0) {
		size_t n = utf8_decode(p, len, &c);

		if (n == 0) {
			sb_addn(&sb, (const char *)p, 1);
			n = 1;
		} else if (c == 0xdf && f == cp_upper) {
			sb_add(&sb, "SS");      /* ß has no single upper-case letter in use */
		} else {
			utf8_encode(&sb, f(c));
		}
		p += n;
		len -= n;
	}
	return sb_steal(&sb);
}

char *utf8_upper(const char *s)
{
	return utf8_map(s, cp_upper);
}

char *utf8_lower(const char *s)
{
	return utf8_map(s, cp_lower);
}

/* Base letters of a Latin-1 / Latin Extended-A letter (lower case), or NULL. */
static const char *cp_base(uint32_t c)
{
	static const char *const latin1[] = {
		/* 0xe0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i",
		"i", "i", "d", "n", "o", "o", "o", "o", "o", NULL, "o", "u", "u", "u", "u", "y",
		"th", "y"
	};
	/* U+0100..U+017F, one letter each; ligatures are handled below */
	static const char ext[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkklllllll"
				  "lllnnnnnnnnnoooooooorrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
	/* U+1E00..U+1EFF ('?': none) */
	static const char add[] = "aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllll"
				  "mmmmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuu"
				  "vvvvwwwwwwwwwwxxxxyyzzzzzzhtwy??????aaaaaaaaaaaaaaaaaaaaaaaaeeee"
				  "eeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy"
				  "??????";
	static char one[2 * 128], one_add[2 * 256];

	if (c >= 0xe0 && c <= 0xff)
		return latin1[c - 0xe0];
	if (c == 0xdf)
		return "ss";
	if (c == 0x132 || c == 0x133)
		return "ij";
	if (c == 0x152 || c == 0x153)
		return "oe";
	if (c >= 0x100 && c <= 0x17f) {
		size_t i = c - 0x100;

		one[2 * i] = ext[i];     /* a NUL-terminated copy of one letter */
		one[2 * i + 1] = '\0';
		return &one[2 * i];
	}
	if (c >= 0x1e00 && c <= 0x1eff && add[c - 0x1e00] != '?') {
		size_t i = c - 0x1e00;

		one_add[2 * i] = add[i];
		one_add[2 * i + 1] = '\0';
		return &one_add[2 * i];
	}
	return NULL;
}

/* Folding, one code point at a time (utf8_fold, utf8_fold_eq): lower case, then base letters;
 * runs of separators give one space between words, none at either end. An invalid byte is
 * taken as the Latin-1 character of that value, not lowered. */
struct fold_state {
	const unsigned char *p;
	size_t len;
	bool space;        /* separators seen since the last letter */
	bool any;          /* a letter was given */
};

/* The next piece of the fold (a space and a letter, or a letter: at most 1 + 4 bytes) into
 * buf; its length, 0 at the end. */
static size_t fold_next(struct fold_state *st, char *buf)
{
	while (st->len > 0) {
		uint32_t c = 0;
		size_t n = utf8_decode(st->p, st->len, &c), k = 0;
		const char *base;

		if (n == 0) {
			c = *st->p;
			n = 1;
		} else {
			c = cp_lower(c);
		}
		st->p += n;
		st->len -= n;
		if (c == ' ' || c == '\t' || c == '-' || c == '\'' || c == 0x2019 || c == '_' ||
		    c == 0xa0 || c == 0x2010 || c == 0x2013) {
			st->space = st->any;
			continue;
		}
		if (st->space)
			buf[k++] = ' ';
		st->space = false;
		st->any = true;
		base = c >= 0x80 ? cp_base(c) : NULL;
		if (base) {
			memcpy(buf + k, base, strlen(base));
			k += strlen(base);
		} else if (c < 0x80) {
			buf[k++] = (char)c;
		} else {
			k += utf8_put(buf + k, c);
		}
		return k;
	}
	return 0;
}

void sb_add_fold(struct strbuf *sb, const char *s)
{
	struct fold_state st = { (const unsigned char *)s, strlen(s), false, false };
	char buf[8];
	size_t k;

	sb_addn(sb, "", 0);
	while ((k = fold_next(&st, buf)) > 0)
		sb_addn(sb, buf, k);
}

char *utf8_fold(const char *s)
{
	struct strbuf sb = { 0 };

	sb_add_fold(&sb, s);
	return sb_steal(&sb);
}

bool utf8_fold_eq(const char *s, const char *folded)
{
	struct fold_state st = { (const unsigned char *)s, strlen(s), false, false };
	char buf[8];
	size_t k, i = 0;

	while ((k = fold_next(&st, buf)) > 0) {
		if (strncmp(folded + i, buf, k) != 0)
			return false;
		i += k;
	}
	return folded[i] == '\0';
}

/* Windows-1252 bytes 0x80..0x9F; 0 where the code page leaves the byte undefined. */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017d, 0,
	0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178,
};

int cp1252_byte(unsigned long cp)
{
	if (cp < 0x80 || (cp >= 0xa0 && cp <= 0xff))
		return (int)cp;
	for (size_t k = 0; k < ARRAY_SIZE(cp1252_high); k++)
		if (cp1252_high[k] && cp1252_high[k] == cp)
			return 0x80 + (int)k;
	return -1;
}

size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
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
