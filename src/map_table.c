/*
 * map_table.c - the mapper's value tables (table:NAME, if-table) and its regular expressions
 * (match:, replace:, if-match, /RE/ keys), run in the C.UTF-8 locale. Pure: no I/O.
 */
#include "config.h"

#include <locale.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "map_int.h"

/*
 * Regular expressions run in the C.UTF-8 locale, so that [[:alpha:]], ranges and REG_ICASE do
 * not depend on the admin's LANG (the current locale when C.UTF-8 does not exist).
 */
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;
static locale_t rx_loc;

static void rx_locale_init(void)
{
	rx_loc = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
}

/* Switch this thread to the expressions' locale; returns what rx_leave() restores. */
static locale_t rx_enter(void)
{
	pthread_once(&rx_once, rx_locale_init);
	return rx_loc ? uselocale(rx_loc) : (locale_t)0;
}

static void rx_leave(locale_t old)
{
	if (old)
		uselocale(old);
}

void map_rx_free(struct map_re *r)
{
	if (!r)
		return;
	regfree(&r->re);
	free(r->src);
	free(r);
}

/* Whether glibc's regcomp() would build too large a program from s: it copies what "+"
 * repeats once and what "{n,m}" repeats m times, so that stacked or nested repetitions
 * ("a++++++++", "((a+)+)+", "a{99}{99}") take minutes and gigabytes (found by fuzz_template).
 * An upper bound on the copies: every atom costs 1, a group the sum of its branches, and a
 * repetition multiplies what it repeats. Syntax errors are left to regcomp(). */
#define RX_MAX_COST 10000
#define RX_MAX_DEPTH 32
static bool rx_too_big(const char *s)
{
	double sum[RX_MAX_DEPTH], last[RX_MAX_DEPTH];
	int d = 0;

	sum[0] = last[0] = 0;
	for (; *s; s++) {
		double atom = 1, factor = 1;

		switch (*s) {
		case '(':
			if (++d >= RX_MAX_DEPTH)
				return true;
			sum[d] = last[d] = 0;
			continue;
		case ')':
			if (d == 0)
				break;
			atom = sum[d] > 1 ? sum[d] : 1;
			d--;
			break;
		case '+':
			factor = 2;
			break;
		case '{': {
			char *end;
			unsigned long n = strtoul(s + 1, &end, 10), m = n;

			if (*end == ',' && end[1] != '}')
				m = strtoul(end + 1, &end, 10);
			if (*end != ',' && *end != '}')
				break;          /* a literal '{' */
			factor = (double)(m > n ? m : n) + 1;
			s = strchr(s, '}') ? strchr(s, '}') : s;
			break;
		}
		case '\\':
			s += s[1] != '\0';
			break;
		case '[':
			/* a bracket expression is one atom: "[]a]", "[^]a]", "[[:alpha:]]" */
			s += 1 + (s[1] == '^');
			s += *s == ']';
			while (*s && *s != ']')
				s += (*s == '[' && s[1] == ':' && strstr(s, ":]")) ?
				     strstr(s, ":]") + 2 - s : 1;
			if (!*s)
				return false;
			break;
		}
		if (factor != 1 || *s == '*' || *s == '?') {
			sum[d] += last[d] * (factor - 1);
			last[d] *= factor;
		} else if (*s != '|') {
			sum[d] += atom;
			last[d] = atom;
		}
		if (sum[d] > RX_MAX_COST)
			return true;
	}
	return false;
}

/* Compile src (POSIX extended). On error returns NULL and *err says why (regerror's text). */
struct map_re *map_rx_new(const char *src, bool icase, bool nosub, char **err)
{
	struct map_re *r;
	locale_t old;
	int rc;

	if (rx_too_big(src)) {
		*err = xasprintf(_("bad regular expression '%s': too many repetitions (\"+\" and "
				   "\"{n,m}\" copy what they repeat; nested, they multiply)"), src);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	old = rx_enter();
	rc = regcomp(&r->re, src, REG_EXTENDED | (icase ? REG_ICASE : 0) |
		     (nosub ? REG_NOSUB : 0));

	if (rc != 0) {
		size_t n = regerror(rc, &r->re, NULL, 0);
		char *msg = xmalloc(n + 1);

		regerror(rc, &r->re, msg, n + 1);
		*err = xasprintf("bad regular expression '%s': %s", src, msg);
		free(msg);
		free(r);
		r = NULL;
	} else {
		r->src = xstrdup(src);
	}
	rx_leave(old);
	return r;
}

bool map_rx_match(const struct map_re *r, const char *s, size_t n, regmatch_t *pm,
		     int eflags)
{
	locale_t old = rx_enter();
	int rc = regexec(&r->re, s, n, pm, eflags);

	rx_leave(old);
	return rc == 0;
}

/* Read a /delimited/ text at s[*pi] (which is the opening '/') up to its closing '/'; *pi is
 * left after it. Escapes: "\/" is a slash (unescaped when unescape), every other "\c" is kept
 * as two characters. Returns false when there is no closing '/'. */
bool map_read_delimited(const char *s, size_t *pi, struct strbuf *out, bool unescape)
{
	size_t i = *pi + 1;

	sb_addn(out, "", 0);
	for (; s[i] && s[i] != '/'; i++) {
		if (s[i] == '\\' && s[i + 1]) {
			if (!(unescape && s[i + 1] == '/'))
				sb_addc(out, '\\');
			sb_addc(out, s[++i]);
			continue;
		}
		sb_addc(out, s[i]);
	}
	if (!s[i])
		return false;
	*pi = i + 1;
	return true;
}

/* "/RE/[flags]" as a whole string (if-match). */
struct map_re *map_rx_parse_whole(const char *s, char **err)
{
	struct strbuf src = { 0 };
	struct map_re *r = NULL;
	size_t i = 0;
	bool icase = false;

	if (s[0] != '/' || !map_read_delimited(s, &i, &src, true)) {
		*err = xasprintf("\"%s\": write /RE/ or /RE/i", s);
		goto out;
	}
	for (; s[i]; i++) {
		if (s[i] != 'i') {
			*err = xasprintf("\"%s\": unknown flag '%c' (i: ignore case)", s, s[i]);
			goto out;
		}
		icase = true;
	}
	r = map_rx_new(src.buf, icase, true, err);
out:
	sb_free(&src);
	return r;
}

struct map_table *map_table_by_name(const struct mapper *m, const char *name)
{
	for (size_t i = 0; m && i < m->ntables; i++)
		if (strcmp(m->tables[i].name, name) == 0)
			return &m->tables[i];
	return NULL;
}

/* Index of the first key of tb matching the folded value, or -1. Plain keys: one probe; the
 * /RE/ keys before the plain one found are tried in order, so the first key written wins. */
long map_table_find(const struct map_table *tb, const char *folded)
{
	uintptr_t v = (uintptr_t)hmap_get(tb->exact, folded);
	size_t limit = v ? v - 1 : tb->n;

	for (size_t j = 0; j < tb->nrx && tb->rx[j] < limit; j++)
		if (map_rx_match(tb->keys[tb->rx[j]].re, folded, 0, NULL, 0))
			return (long)tb->rx[j];
	return v ? (long)v - 1 : -1;
}

/* A /RE/ key of a table: compiled; a warning when it has letters a folded value never has. */
static void table_re_key(struct map_table *tb, struct tkey *k, const char *key,
			 struct strbuf *errs, struct strbuf *warns)
{
	struct strbuf src = { 0 };
	size_t i = 0;
	char *err = NULL;

	if (!map_read_delimited(key, &i, &src, true) || key[i]) {
		map_add_err(errs, k->file, k->line, "table \"%s\": key %s: a slash inside the "
			"expression is written \\/", tb->name, key);
		goto out;
	}
	k->re = map_rx_new(src.buf, false, true, &err);
	if (!k->re) {
		map_add_err(errs, k->file, k->line, "table \"%s\": key %s: %s", tb->name, key, err);
		goto out;
	}
	for (const char *p = src.buf; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if ((*p >= 'A' && *p <= 'Z') || (unsigned char)*p >= 0x80) {
			map_add_err(warns, k->file, k->line, "table \"%s\": warning: key %s: values "
				"are compared folded (lower case, no accents): '%.*s' never "
				"matches", tb->name, key, (int)char_len(p), p);
			break;
		}
	}
out:
	free(err);
	sb_free(&src);
}

void map_table_build(struct map_table *tb, const struct conf_table *ct, const char *cpath,
			struct strbuf *errs, struct strbuf *warns)
{
	tb->name = xstrdup(ct->name);
	tb->cfile = xstrdup(cpath ? cpath : "");
	tb->tfile = ct->file ? xstrdup(ct->file) : NULL;
	tb->dflt = ct->dflt ? xstrdup(ct->dflt) : NULL;
	tb->line = ct->line;
	tb->exact = hmap_new(false);
	tb->keys = xcalloc(ct->nentries, sizeof(*tb->keys));
	tb->rx = xcalloc(ct->nentries, sizeof(*tb->rx));
	for (size_t i = 0; i < ct->nentries; i++) {
		const struct conf_table_entry *ce = &ct->entries[i];
		struct tkey *k = &tb->keys[tb->n++];
		size_t len = strlen(ce->key);

		k->file = tb->tfile && ce->file && strcmp(ce->file, tb->tfile) == 0 ? tb->tfile :
			  tb->cfile;
		k->line = ce->line;
		k->value = xstrdup(ce->value);
		if (len >= 2 && ce->key[0] == '/' && ce->key[len - 1] == '/') {
			k->key = xstrndup(ce->key + 1, len - 2);
			table_re_key(tb, k, ce->key, errs, warns);
			tb->rx[tb->nrx++] = i;
		} else {
			/* the first of equal keys wins (conf_load warned about the others) */
			k->key = utf8_fold(ce->key);
			(void)hmap_add(tb->exact, k->key, (void *)(uintptr_t)(i + 1));
		}
	}
}

void map_table_free(struct map_table *tb)
{
	for (size_t i = 0; i < tb->n; i++) {
		free(tb->keys[i].key);
		free(tb->keys[i].value);
		map_rx_free(tb->keys[i].re);
	}
	free(tb->keys);
	free(tb->rx);
	hmap_free(tb->exact);
	free(tb->name);
	free(tb->dflt);
	free(tb->cfile);
	free(tb->tfile);
}
