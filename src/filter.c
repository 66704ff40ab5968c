/*
 * filter.c - LDAP filters on the client side (RFC 4515 text, RFC 4511 three-valued logic):
 * escaping values, evaluating a filter against an entry (LDIF sources, the disabled filter,
 * the ORG groups' filter) and listing the attributes a filter tests.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"

char *dir_filter_escape(const char *value)
{
	struct strbuf sb = { 0 };

	sb_add(&sb, "");
	for (const char *p = value; *p; p++) {
		if (*p == '*' || *p == '(' || *p == ')' || *p == '\\')
			sb_addf(&sb, "\\%02x", (unsigned char)*p);
		else
			sb_addc(&sb, *p);
	}
	return sb_steal(&sb);
}

enum fop { F_EQ, F_APPROX, F_GE, F_LE, F_PRESENT, F_SUB, F_EXT };

#define OID_BIT_AND "1.2.840.113556.1.4.803"
#define OID_BIT_OR  "1.2.840.113556.1.4.804"

static void skip_blanks(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Unescape the assertion value [v, end): "\\XX" hex pairs. NULL if malformed. */
static char *unescape(const char *v, const char *end)
{
	struct strbuf sb = { 0 };
	int hi, lo;

	sb_add(&sb, "");
	for (; v < end; v++) {
		if (*v != '\\') {
			sb_addc(&sb, *v);
			continue;
		}
		if (end - v < 3 || (hi = hexval(v[1])) < 0 || (lo = hexval(v[2])) < 0) {
			sb_free(&sb);
			return NULL;
		}
		sb_addc(&sb, (char)(hi * 16 + lo));
		v += 2;
	}
	return sb_steal(&sb);
}

/* Trimmed, lower-cased copy of a value for comparisons. */
static char *fold_value(const char *v)
{
	char *t = str_trim(v), *l = utf8_lower(t);

	free(t);
	return l;
}

static bool parse_int(const char *s, long long *out)
{
	char *t = str_trim(s), *end;
	bool ok;

	errno = 0;
	*out = strtoll(t, &end, 10);
	ok = *t && !*end && errno == 0;
	free(t);
	return ok;
}

/* Substring match: pattern is the raw value with unescaped '*' separators. */
static int match_sub(const char *raw, const char *rawend, const char *val)
{
	char *v = fold_value(val), *pos = v;
	const char *p = raw;
	bool first = true;
	int ret = -1;

	for (;;) {
		const char *star = p;
		char *piece, *fp;
		bool last;

		while (star < rawend && *star != '*')
			star++;
		last = star >= rawend;
		piece = unescape(p, star);
		if (!piece)
			goto out;
		fp = utf8_lower(piece);
		free(piece);
		if (first && *fp) {
			if (strncmp(pos, fp, strlen(fp)) != 0)
				ret = 0;
			else
				pos += strlen(fp);
		} else if (last && *fp) {
			size_t n = strlen(pos), m = strlen(fp);

			if (n < m || strcmp(pos + n - m, fp) != 0)
				ret = 0;
		} else if (*fp) {
			char *hit = strstr(pos, fp);

			if (!hit)
				ret = 0;
			else
				pos = hit + strlen(fp);
		}
		free(fp);
		if (ret == 0 || last)
			break;
		first = false;
		p = star + 1;
	}
	if (ret != 0)
		ret = 1;
out:
	free(v);
	return ret;
}

/* Compare one value against the assertion; 1, 0, or -1 for a malformed assertion. */
static int match_value(enum fop op, const char *rule, const char *val, const char *assert,
		       const char *raw, const char *rawend)
{
	long long a, b;
	char *fv, *fa;
	int r;

	switch (op) {
	case F_SUB:
		return match_sub(raw, rawend, val);
	case F_EXT:
		if (!parse_int(assert, &b))
			return -1;
		if (!parse_int(val, &a))
			return DIR_FILTER_UNDEFINED;    /* a flag word that is not a number */
		if (strcmp(rule, OID_BIT_AND) == 0)
			return ((unsigned long long)a & (unsigned long long)b) ==
			       (unsigned long long)b;
		return ((unsigned long long)a & (unsigned long long)b) != 0;
	case F_GE:
	case F_LE:
		if (parse_int(val, &a) && parse_int(assert, &b)) {
			r = a < b ? -1 : a > b;
		} else {
			fv = fold_value(val);
			fa = fold_value(assert);
			r = strcmp(fv, fa);
			free(fv);
			free(fa);
		}
		return op == F_GE ? r >= 0 : r <= 0;
	default:
		fv = fold_value(val);
		fa = fold_value(assert);
		r = strcmp(fv, fa) == 0;
		free(fv);
		free(fa);
		return r;
	}
}

/* An item "attr OP value", parsed: [attr, attrend) and [raw, rawend) point into the filter,
 * rule and assert are allocated (item_free). */
struct item {
	const char *attr, *attrend, *raw, *rawend;
	char *rule, *assert;
	enum fop op;
};

static void item_free(struct item *it)
{
	free(it->rule);
	free(it->assert);
}

/* "attr", then "OP" (and the matching rule of "attr:RULE:="), at *pp; 0 or -1. */
static int item_parse_op(const char **pp, struct item *it)
{
	const char *p = *pp;

	it->attr = p;
	while (isalnum((unsigned char)*p) || *p == '-' || *p == ';' || *p == '.' || *p == '_')
		p++;
	it->attrend = p;
	if (it->attrend == it->attr)
		return -1;
	if (*p == ':') {
		const char *r = ++p;

		while (isalnum((unsigned char)*p) || *p == '.' || *p == '-')
			p++;
		if (p == r || p[0] != ':' || p[1] != '=')
			return -1;
		it->rule = xstrndup(r, (size_t)(p - r));
		if (strcmp(it->rule, OID_BIT_AND) != 0 && strcmp(it->rule, OID_BIT_OR) != 0)
			return -1;   /* only the AD bitwise rules are evaluated */
		it->op = F_EXT;
		p += 2;
	} else if (p[0] == '=') {
		it->op = F_EQ;
		p++;
	} else if ((p[0] == '~' || p[0] == '>' || p[0] == '<') && p[1] == '=') {
		it->op = p[0] == '~' ? F_APPROX : p[0] == '>' ? F_GE : F_LE;
		p += 2;
	} else {
		return -1;
	}
	*pp = p;
	return 0;
}

/* An item "attr OP value" up to (not including) the closing parenthesis, at *pp: 0 and *pp
 * at that parenthesis, or -1 (it->rule and it->assert to free either way). */
static int item_parse(const char **pp, struct item *it)
{
	const char *p = *pp;
	bool star = false;

	if (item_parse_op(&p, it) < 0)
		return -1;
	it->raw = p;
	for (; *p && *p != ')'; p++) {
		if (*p == '(')
			return -1;
		if (*p == '*')
			star = true;
		if (*p == '\\') {
			if (hexval(p[1]) < 0 || hexval(p[2]) < 0)
				return -1;
			p += 2;
		}
	}
	if (*p != ')')
		return -1;
	it->rawend = p;
	if (star && it->op != F_EQ)
		return -1;
	if (star)
		it->op = it->rawend - it->raw == 1 ? F_PRESENT : F_SUB;
	it->assert = unescape(it->raw, it->rawend);
	if (!it->assert)
		return -1;
	*pp = p;
	return 0;
}

/* The evaluation in progress: the entry, and the attribute names seen (dir_filter_attrs). */
struct eval {
	const struct entry *e;
	char ***names;
	size_t *nnames;
};

/* Add [name, name + len) to the names of x unless there (case-insensitive). */
static void eval_add_name(struct eval *x, const char *name)
{
	char **v;

	if (!x->names)
		return;
	for (size_t i = 0; i < *x->nnames; i++)
		if (strcasecmp((*x->names)[i], name) == 0)
			return;
	v = xrealloc(*x->names, (*x->nnames + 2) * sizeof(*v));
	v[(*x->nnames)++] = xstrdup(name);
	v[*x->nnames] = NULL;
	*x->names = v;
}

/* An item "attr OP value" up to (not including) the closing parenthesis. */
static int filter_item(const char **pp, struct eval *x)
{
	struct item it = { 0 };
	const struct attr *a;
	char *name = NULL;
	int ret = -1;

	if (item_parse(pp, &it) < 0)
		goto out;
	name = xstrndup(it.attr, (size_t)(it.attrend - it.attr));
	eval_add_name(x, name);
	ret = 0;
	if (it.op == F_PRESENT && strcasecmp(name, "objectClass") == 0) {
		ret = 1;
		goto out;
	}
	/* true when a value matches; else undefined when a value could not be compared */
	a = entry_attr(x->e, name);
	for (size_t i = 0; a && i < a->nvals && ret != DIR_FILTER_TRUE; i++) {
		int m;

		if (it.op == F_PRESENT) {
			ret = DIR_FILTER_TRUE;
			break;
		}
		m = match_value(it.op, it.rule, a->vals[i], it.assert, it.raw, it.rawend);
		if (m < 0) {
			ret = -1;
			break;
		}
		if (m != DIR_FILTER_FALSE)
			ret = m;
	}
out:
	free(name);
	item_free(&it);
	return ret;
}

/* Three-valued logic (RFC 4511, 4.5.1.7): "&" is false when a part is false, else undefined
 * when a part is; "|" is true when a part is true, else undefined when a part is. */
static int combine(bool and, int r, int c)
{
	int absorbing = and ? DIR_FILTER_FALSE : DIR_FILTER_TRUE;

	if (r == absorbing || c == absorbing)
		return absorbing;
	if (r == DIR_FILTER_UNDEFINED || c == DIR_FILTER_UNDEFINED)
		return DIR_FILTER_UNDEFINED;
	return and ? DIR_FILTER_TRUE : DIR_FILTER_FALSE;
}

/* "(...)" at *pp: DIR_FILTER_*, or -1; advances *pp past the closing parenthesis. */
static int filter_eval(const char **pp, struct eval *x, int depth)
{
	const char *p = *pp;
	int r = -1;

	skip_blanks(&p);
	if (*p != '(' || depth > 100)
		return -1;
	p++;
	skip_blanks(&p);
	if (*p == '&' || *p == '|') {
		bool and = *p == '&';

		r = and ? DIR_FILTER_TRUE : DIR_FILTER_FALSE;
		p++;
		skip_blanks(&p);
		while (*p == '(') {
			int c = filter_eval(&p, x, depth + 1);

			if (c < 0)
				return -1;
			r = combine(and, r, c);
			skip_blanks(&p);
		}
	} else if (*p == '!') {
		p++;
		r = filter_eval(&p, x, depth + 1);
		if (r < 0)
			return -1;
		if (r != DIR_FILTER_UNDEFINED)
			r = r == DIR_FILTER_TRUE ? DIR_FILTER_FALSE : DIR_FILTER_TRUE;
		skip_blanks(&p);
	} else {
		r = filter_item(&p, x);
		if (r < 0)
			return -1;
	}
	if (*p != ')')
		return -1;
	*pp = p + 1;
	return r;
}

/* The filter at filter, evaluated with x: DIR_FILTER_*, or -1 when malformed. */
static int filter_run(const char *filter, struct eval *x)
{
	char *wrapped = NULL;
	const char *p;
	int r;

	if (!filter)
		return -1;
	p = filter;
	skip_blanks(&p);
	if (*p != '(') {
		/* like libldap, accept a bare item "uid=x" */
		wrapped = xasprintf("(%s)", p);
		p = wrapped;
	}
	r = filter_eval(&p, x, 0);
	if (r >= 0) {
		skip_blanks(&p);
		if (*p)
			r = -1;
	}
	free(wrapped);
	return r;
}

int dir_filter_match(const char *filter, const struct entry *e)
{
	struct eval x = { e, NULL, NULL };

	return filter_run(filter, &x);
}

int dir_filter_attrs(const char *filter, char ***names, size_t *n)
{
	struct entry none = { 0 };
	struct eval x = { &none, names, n };

	if (!filter)
		return 0;
	/* evaluated against an entry with no attribute: "&", "|" and "!" visit every item */
	return filter_run(filter, &x) < 0 ? -1 : 0;
}
