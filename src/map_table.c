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

/*
 * Screening of an expression before regcomp(). glibc's engine is fast on the expressions an
 * administrator writes, but some shapes take minutes and gigabytes (found by fuzz_template):
 *  - a back-reference (\1 to \9) makes matching exponential in the value's length;
 *  - a repetition of a part that can match nothing ("(a*)+", "(x?){5}") makes regcomp's
 *    closure computation exponential in the nesting;
 *  - two repetitions in a row ("a++", "a*{3}") do both (POSIX leaves them undefined);
 *  - "+" and "{n,m}" copy what they repeat (once, m times), so that nested counts
 *    ("((a{30}){30}){30}") multiply: an upper bound on the copies is kept under RX_MAX_COST.
 * The scanner reads POSIX extended syntax as glibc does (an unmatched ')' is a literal, "{,m}"
 * is "{0,m}"). What it cannot read is refused here, with its own reason, and never reaches
 * regcomp(): glibc reads more than POSIX ("a{\08}" is "a{8}", found by fuzz_template), and
 * would expand the shapes above in what the scanner did not see. regcomp() then only sees
 * what the scanner read, and refuses what is wrong inside it ("[z-a]", "[[:foo:]]", "{5,3}").
 */
#define RX_MAX_LEN 1024
#define RX_MAX_COST 10000
#define RX_MAX_DEPTH 32

enum rx_verdict {
	RX_OK, RX_OPEN_PAREN, RX_OPEN_BRACKET, RX_NOTHING_TO_REPEAT, RX_TRAILING_BACKSLASH,
	RX_BAD_COUNT, RX_BACKREF, RX_STACKED, RX_EMPTY_REPEAT, RX_COST, RX_DEPTH
};

struct rx_scan {
	const char *s;
	size_t i;
	int depth;
	enum rx_verdict v;
	size_t at, len;        /* the part at fault: s[at], len bytes */
};

struct rx_node {
	double cost;           /* upper bound on the copies regcomp() makes */
	bool empty;            /* can match the empty string */
};

static bool rx_fail(struct rx_scan *sc, enum rx_verdict v, size_t at, size_t len)
{
	sc->v = v;
	sc->at = at;
	sc->len = len;
	return false;
}

static bool rx_alt(struct rx_scan *sc, struct rx_node *out);

/* A bracket expression, s[i] == '[': "[]a]", "[^]a]", "[[:alpha:]]", "[[.-.]]". */
static bool rx_bracket(struct rx_scan *sc)
{
	const char *s = sc->s;
	size_t i = sc->i + 1;

	i += s[i] == '^';
	i += s[i] == ']';
	while (s[i] && s[i] != ']') {
		if (s[i] == '[' && (s[i + 1] == ':' || s[i + 1] == '.' || s[i + 1] == '=')) {
			char close[3] = { s[i + 1], ']', '\0' };
			const char *e = strstr(s + i + 2, close);

			if (!e)
				return rx_fail(sc, RX_OPEN_BRACKET, sc->i, 1);
			i = (size_t)(e - s) + 2;
		} else {
			i++;
		}
	}
	if (!s[i])
		return rx_fail(sc, RX_OPEN_BRACKET, sc->i, 1);
	sc->i = i + 1;
	return true;
}

static bool rx_atom(struct rx_scan *sc, struct rx_node *a)
{
	const char *s = sc->s;
	size_t at = sc->i;

	a->cost = 1;
	a->empty = false;
	switch (s[at]) {
	case '(':
		if (++sc->depth > RX_MAX_DEPTH)
			return rx_fail(sc, RX_DEPTH, at, 1);
		sc->i++;
		if (!rx_alt(sc, a))
			return false;
		if (s[sc->i] != ')')
			return rx_fail(sc, RX_OPEN_PAREN, at, 1);
		sc->i++;
		sc->depth--;
		if (a->cost < 1)
			a->cost = 1;
		return true;
	case '[':
		return rx_bracket(sc);
	case '^':
	case '$':
		a->empty = true;
		break;
	case '*':
	case '+':
	case '?':
	case '{':
		return rx_fail(sc, RX_NOTHING_TO_REPEAT, at, 1);
	case '\\':
		if (s[at + 1] >= '1' && s[at + 1] <= '9')
			return rx_fail(sc, RX_BACKREF, at, 2);
		if (!s[at + 1])
			return rx_fail(sc, RX_TRAILING_BACKSLASH, at, 1);
		/* glibc's anchors: word boundaries, buffer start and end */
		a->empty = strchr("<>bB`'", s[at + 1]) != NULL;
		sc->i += 1 + char_len(s + at + 1);
		return true;
	}
	sc->i += char_len(s + at);
	return true;
}

/* A repetition operator at s[i]: its bounds (hi < 0: no bound) and its length; false when
 * there is none there, or a '{' that is not a count (RX_BAD_COUNT). A count too large for
 * the C library (over 32767) is refused by its cost. */
static bool rx_dup(struct rx_scan *sc, long *lo, long *hi, size_t *len)
{
	const char *s = sc->s + sc->i, *p;
	char *end;

	switch (*s) {
	case '*':
		*lo = 0, *hi = -1, *len = 1;
		return true;
	case '+':
		*lo = 1, *hi = -1, *len = 1;
		return true;
	case '?':
		*lo = 0, *hi = 1, *len = 1;
		return true;
	case '{':
		break;
	default:
		return false;
	}
	p = s + 1;
	*lo = (*p >= '0' && *p <= '9') ? strtol(p, &end, 10) : (end = (char *)p, 0);
	*hi = *lo;
	if (*end == ',') {
		p = end + 1;
		*hi = (*p >= '0' && *p <= '9') ? strtol(p, &end, 10) : (end = (char *)p, -1);
	}
	if (*end != '}' || end == s + 1)
		return rx_fail(sc, RX_BAD_COUNT, sc->i,
			       strchr(s, '}') ? (size_t)(strchr(s, '}') + 1 - s) : strlen(s));
	*len = (size_t)(end + 1 - s);
	return true;
}

/* An atom and its repetition. */
static bool rx_piece(struct rx_scan *sc, struct rx_node *a)
{
	size_t at = sc->i, len;
	long lo, hi;

	if (!rx_atom(sc, a))
		return false;
	if (!rx_dup(sc, &lo, &hi, &len))
		return sc->v == RX_OK;
	if (a->empty && hi != 0 && hi != 1)
		return rx_fail(sc, RX_EMPTY_REPEAT, at, sc->i + len - at);
	sc->i += len;
	{
		long lo2, hi2;
		size_t len2;

		if (rx_dup(sc, &lo2, &hi2, &len2))
			return rx_fail(sc, RX_STACKED, sc->i - len, len + len2);
		if (sc->v != RX_OK)
			return false;
	}
	/* "+" is the part then the part starred: two copies; "{n,m}" is max(n,m) copies */
	if (hi < 0)
		a->cost *= (double)lo + 1;
	else if (hi > 1)
		a->cost *= (double)(hi > lo ? hi : lo) + 1;
	a->empty = a->empty || lo == 0;
	return true;
}

/* A branch: pieces up to '|', a ')' closing a group, or the end. */
static bool rx_branch(struct rx_scan *sc, struct rx_node *b)
{
	b->cost = 0;
	b->empty = true;
	while (sc->s[sc->i] && sc->s[sc->i] != '|' && !(sc->s[sc->i] == ')' && sc->depth > 0)) {
		struct rx_node a;
		size_t at = sc->i;

		if (!rx_piece(sc, &a))
			return false;
		b->cost += a.cost;
		b->empty = b->empty && a.empty;
		if (b->cost > RX_MAX_COST)
			return rx_fail(sc, RX_COST, at, sc->i - at);
	}
	return true;
}

static bool rx_alt(struct rx_scan *sc, struct rx_node *out)
{
	out->cost = 0;
	out->empty = false;
	for (;;) {
		struct rx_node b;

		if (!rx_branch(sc, &b))
			return false;
		out->cost += b.cost;
		out->empty = out->empty || b.empty;
		if (out->cost > RX_MAX_COST)
			return rx_fail(sc, RX_COST, 0, sc->i);
		if (sc->s[sc->i] != '|')
			return true;
		sc->i++;
	}
}

/* Why src is refused before regcomp(), or NULL. */
static char *rx_screen(const char *src)
{
	struct rx_scan sc = { .s = src };
	struct rx_node top;
	size_t len = strlen(src);
	char *part, *why;

	if (len > RX_MAX_LEN)
		return xasprintf(_("bad regular expression '%.40s...': longer than %d bytes"), src,
				 RX_MAX_LEN);
	if (rx_alt(&sc, &top))
		return NULL;
	part = map_value_head(src + sc.at, sc.len);
	switch (sc.v) {
	case RX_BACKREF:
		why = xasprintf(_("bad regular expression '%s': '%s' is a back-reference, which "
				  "is refused (matching one takes time exponential in the value's "
				  "length)"), src, part);
		break;
	case RX_STACKED:
		why = xasprintf(_("bad regular expression '%s': '%s' repeats a repetition (POSIX "
				  "leaves it undefined, and the C library takes exponential time "
				  "on it): write one"), src, part);
		break;
	case RX_EMPTY_REPEAT:
		why = xasprintf(_("bad regular expression '%s': '%s' repeats a part that can "
				  "match nothing, which the C library takes exponential time to "
				  "compile: write \"(a+)*\" rather than \"(a*)+\""), src, part);
		break;
	case RX_COST:
		why = xasprintf(_("bad regular expression '%s': too many repetitions (\"+\" and "
				  "\"{n,m}\" copy what they repeat; nested, they multiply)"), src);
		break;
	case RX_DEPTH:
		why = xasprintf(_("bad regular expression '%s': more than %d nested groups"), src,
				RX_MAX_DEPTH);
		break;
	case RX_OPEN_PAREN:
		why = xasprintf(_("bad regular expression '%s': a '(' is not closed"), src);
		break;
	case RX_OPEN_BRACKET:
		why = xasprintf(_("bad regular expression '%s': '[' opens a bracket expression "
				  "that is not closed (write '\\[' for the character itself)"),
				src);
		break;
	case RX_NOTHING_TO_REPEAT:
		why = xasprintf(_("bad regular expression '%s': '%s' has nothing before it to "
				  "repeat (write '\\%s' for the character itself)"), src, part, part);
		break;
	case RX_TRAILING_BACKSLASH:
		why = xasprintf(_("bad regular expression '%s': it ends with a backslash"), src);
		break;
	case RX_BAD_COUNT:
		why = xasprintf(_("bad regular expression '%s': '%s' is not a count ({n}, {n,}, "
				  "{,m} or {n,m} with digits; write '\\{' for a brace)"), src, part);
		break;
	default:
		why = xasprintf("bad regular expression '%s'", src);      /* not reached */
		break;
	}
	free(part);
	return why;
}

/* Compile src (POSIX extended). On error returns NULL and *err says why (regerror's text). */
struct map_re *map_rx_new(const char *src, bool icase, bool nosub, char **err)
{
	struct map_re *r;
	locale_t old;
	char *why;
	int rc;

	why = rx_screen(src);
	if (why) {
		*err = why;
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
	locale_t old;
	int rc;

	if (map_too_long(s))
		return false;
	old = rx_enter();
	rc = regexec(&r->re, s, n, pm, eflags);
	rx_leave(old);
	return rc == 0;
}

char *map_value_head(const char *s, size_t len)
{
	size_t n = len;

	if (n > 40) {
		n = 40;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	return xasprintf("%.*s%s", (int)n, s, n < len ? "..." : "");
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
