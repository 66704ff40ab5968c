/*
 * util.h - small helpers shared by every module: checked allocation, a growable string,
 * UTF-8 aware case mapping, and file helpers for atomic writes. util.c holds them, except the
 * UTF-8 ones (the "UTF-8" block below), which are in utf8.c.
 *
 * Allocation failures abort with a message (there is no sane way to go on without memory).
 * Every function returning char * returns a newly allocated string owned by the caller.
 */
#ifndef MS_UTIL_H
#define MS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define WUR __attribute__((warn_unused_result))
#define PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *p (holding *cap elements of size) so that it holds at least need elements. */
void xgrow(void *pp, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);
/* The same from a va_list (which it consumes). */
char *xvasprintf(const char *fmt, va_list ap) PRINTF(1, 0);

/* Growable NUL-terminated byte string. Zero-initialise, then append; sb_steal() hands the
 * buffer to the caller (never NULL; only len + 1 bytes are sure, a large slack is given back),
 * sb_free() releases it. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
void sb_add(struct strbuf *sb, const char *s);
void sb_addn(struct strbuf *sb, const char *s, size_t n);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) PRINTF(2, 3);
char *sb_steal(struct strbuf *sb);
void sb_free(struct strbuf *sb);

/* Bump allocator for many small pieces freed together (the values of a directory entry).
 * Zero-initialise; pieces never move; arena_reset() keeps the first block for reuse. */
struct arena_block;
struct arena {
	struct arena_block *head;
};
void *arena_alloc(struct arena *a, size_t n);     /* aligned for pointers and size_t */
char *arena_strndup(struct arena *a, const char *s, size_t n);   /* n bytes + NUL */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

/* UTF-8 */
bool utf8_valid(const char *s, size_t len);
/* Directory data, or any outside text, made safe to show on a terminal or in a log (stderr,
 * syslog): C0 and C1 controls (ESC, BEL, CR, LF, TAB...), DEL, the line separators U+2028 and
 * U+2029, the bidirectional controls U+202A..U+202E and U+2066..U+2069, and every byte that is
 * not UTF-8 come out as \xNN (one per byte); the rest, accents included, is copied. A
 * backslash is copied as it is (DNs escape with it). Files (XLSX, CSV, JSON) are not terminals:
 * they keep the value as it is. The only escaping function: every printer calls one of these.
 * sb_add_visible() appends the escaped form of len bytes of s to sb; str_visible() returns it
 * for a NUL-terminated s (NULL gives ""), caller frees; fput_visible() writes it to out. */
void sb_add_visible(struct strbuf *sb, const char *s, size_t len);
char *str_visible(const char *s);
void fput_visible(const char *s, FILE *out);
/* Case mapping for Latin scripts (ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic basics),
 * independent of the locale: "Hélène" -> "HÉLÈNE", "Œuvre" -> "œuvre". Invalid UTF-8 is copied. */
char *utf8_upper(const char *s);
char *utf8_lower(const char *s);
/* Fold for loose comparison: lower case, accents removed, runs of blanks/dashes/quotes folded
 * to one space, trimmed. "Sage-Femme " and "sage femme" fold alike. */
char *utf8_fold(const char *s);
/* utf8_fold(s) appended to sb. */
void sb_add_fold(struct strbuf *sb, const char *s);
/* Whether utf8_fold(s) is folded, without building it. */
bool utf8_fold_eq(const char *s, const char *folded);
/* Number of code points (for column widths); invalid bytes count one each. */
size_t utf8_len(const char *s);
/* The Windows-1252 byte of Unicode code point cp, or -1 when the code page has none. */
int cp1252_byte(unsigned long cp);
/* The Unicode code point of Windows-1252 byte b; U+FFFD for the five bytes it leaves
 * unassigned. */
unsigned cp1252_char(unsigned char b);

char *str_trim(const char *s);          /* leading and trailing blanks removed */
bool str_empty(const char *s);           /* NULL or only blanks */
int str_casecmp_ascii(const char *a, const char *b);

/* Files, replaced atomically: tmpfile_open(), write, tmpfile_commit(). fsync_dir(): -1 with
 * errno on failure. */
int fsync_dir(const char *dir) WUR;
/* Open a new temporary file for final_path: DIR/.NAME.XXXXXX/NAME, inside a private directory
 * (mode 0700) created in final_path's directory, the file mode 0600, so that nobody can swap
 * it even between a close and a reopen by name. Returns an fd and *tmp_path (caller frees),
 * or -1 with errno. */
int tmpfile_open(const char *final_path, char **tmp_path) WUR;
/* fsync + close fd, rename tmp to final, remove the private directory, fsync the directory.
 * Removes tmp and its directory on failure. */
int tmpfile_commit(int fd, const char *tmp_path, const char *final_path) WUR;
/* Remove a temporary file of tmpfile_open() and its private directory (errno kept). */
void tmpfile_discard(const char *tmp_path);
/* All LEN bytes of BUF to fd (a short write or EINTR goes on); 0, or -1 with errno. */
int fd_write_all(int fd, const char *buf, size_t len) WUR;
/* PATH holds BUF (LEN bytes), mode MODE, whole or not at all: written through tmpfile_open()
 * and renamed by tmpfile_commit(). A PATH that exists and is not a regular file (a FIFO, a
 * device, a symbolic link such as /dev/stdout) is a stream the caller named: written
 * straight into, never replaced. Returns 0, or -1 with errno. */
int file_replace(const char *path, const char *buf, size_t len, mode_t mode) WUR;
/* A directory we write into (what: "output directory", "state directory"): refused, with
 * *err (caller frees) naming it and why, when it is not a directory, is owned by another user
 * than the effective one or root, or is writable by group or others. */
int dir_check_private(const char *dir, const char *what, char **err) WUR;

/* Current time as "YYYYMMDD-HHMMSS" in local time, for file names; t = 0 means now. */
char *time_stamp(long long t);
/* DIR/PREFIX-<local time now>.EXT, with "-2", "-3"... added when such a file exists, so that
 * a run never replaces a file an earlier run wrote. Caller frees. */
char *unique_path(const char *dir, const char *prefix, const char *ext);



/* String-keyed hash map (open addressing). Keys are copied; values are borrowed pointers.
 * With fold set, keys compare ASCII case-insensitively (DNs, attribute names). */
struct hmap;
struct hmap *hmap_new(bool fold);
/* The same, but keys are not copied: each must outlive the map (saves a copy per key when
 * the keys belong to records the caller keeps anyway). */
struct hmap *hmap_new_borrowed(bool fold);
void hmap_free(struct hmap *h);
/* Insert or replace. Returns the previous value or NULL. */
void *hmap_put(struct hmap *h, const char *key, void *val);
void *hmap_get(const struct hmap *h, const char *key);
/* Insert key -> val unless key is there: returns NULL when inserted, else the value found
 * (left unchanged). One look-up where hmap_get() + hmap_put() take two. */
void *hmap_add(struct hmap *h, const char *key, void *val);
size_t hmap_count(const struct hmap *h);
/* Iterate: start with *pos = 0; returns false at the end. */
bool hmap_next(const struct hmap *h, size_t *pos, const char **key, void **val);

/* Normalise a DN for comparison: lower case ASCII, blanks around ',' '=' '+' removed.
 * Caller frees. */
char *dn_normalise(const char *dn);
#endif
