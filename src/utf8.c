/*
 * utf8.c - UTF-8: validity, the escaped (visible) form of outside text for the terminal and the
 * log, case mapping independent of the locale, folding for loose comparison, Windows-1252.
 * Declared in util.h.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

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
		uint32_t c = *st->p;
		size_t n = 1, k = 0;
		const char *base;

		if (c >= 0x80) {
			/* a byte that starts no valid sequence stands for itself */
			n = utf8_decode(st->p, st->len, &c);
			if (n == 0) {
				c = *st->p;
				n = 1;
			} else {
				c = cp_lower(c);
			}
		} else if (c >= 'A' && c <= 'Z') {
			c += 'a' - 'A';
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

	/* room for the usual case, where the fold is no longer than s */
	xgrow(&sb->buf, &sb->cap, sb->len + st.len + 1, 1);
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

unsigned cp1252_char(unsigned char b)
{
	if (b < 0x80 || b >= 0xa0)
		return b;
	return cp1252_high[b - 0x80] ? cp1252_high[b - 0x80] : 0xfffd;
}

size_t utf8_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}
