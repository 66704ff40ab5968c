/*
 * map.c - from directory entries to loadusers rows: template compilation and expansion, the
 * transforms (case, phone numbers, dates...) and the BAL type rules. Pure: no I/O.
 *
 * A template compiles to a list of nodes, each a literal text or an expression (alternatives
 * and transforms), so that expanding one is a single pass over the nodes.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "map.h"

enum xf_kind {
	XF_UPPER, XF_LOWER, XF_TRIM, XF_DIGITS, XF_PHONE, XF_DATE, XF_STRIP, XF_SUBSTR, XF_FIRST,
	XF_DEFAULT
};

enum xf_arg { ARG_NONE, ARG_TEXT, ARG_NUMBERS };

static const struct xf_def {
	const char *name;
	enum xf_kind kind;
	enum xf_arg arg;
} xf_defs[] = {
	{ "upper",   XF_UPPER,   ARG_NONE },
	{ "lower",   XF_LOWER,   ARG_NONE },
	{ "trim",    XF_TRIM,    ARG_NONE },
	{ "digits",  XF_DIGITS,  ARG_NONE },
	{ "phone",   XF_PHONE,   ARG_NONE },
	{ "date",    XF_DATE,    ARG_NONE },
	{ "strip",   XF_STRIP,   ARG_TEXT },
	{ "substr",  XF_SUBSTR,  ARG_NUMBERS },
	{ "first",   XF_FIRST,   ARG_NONE },
	{ "default", XF_DEFAULT, ARG_TEXT },
};

/* {$key}: the structure's value for a column key. */
static const struct st_key {
	const char *key;
	size_t off;
} st_keys[] = {
	{ "raison-sociale", offsetof(struct conf_structure, raison_sociale) },
	{ "adresse-1",      offsetof(struct conf_structure, adresse1) },
	{ "adresse-2",      offsetof(struct conf_structure, adresse2) },
	{ "cp",             offsetof(struct conf_structure, cp) },
	{ "ville",          offsetof(struct conf_structure, ville) },
	{ "departement",    offsetof(struct conf_structure, departement) },
	{ "region",         offsetof(struct conf_structure, region) },
	{ "id-type",        offsetof(struct conf_structure, id_type) },
	{ "id",             offsetof(struct conf_structure, id) },
	{ "structure-name", offsetof(struct conf_structure, structure) },
};

struct xform {
	enum xf_kind kind;
	char *arg;             /* strip prefix, default text */
	long a, b;             /* substr start and length (-1: to the end); strip length (0: any) */
};

struct alt {
	char *attr;            /* attribute name, or NULL for a structure key */
	int skey;              /* index in st_keys[] */
};

/* A literal text (nalts == 0) or an expression. */
struct node {
	char *text;
	struct alt *alts;
	size_t nalts;
	struct xform *xf;
	size_t nxf;
};

struct map_template {
	struct node *nodes;
	size_t n;
	char **attrs;          /* attributes read, each once */
	size_t nattrs;
};

struct map_rule {
	enum bal_type type;
	int if_col;                         /* -1 when unset */
	char *attr, *value, *member_of;     /* copies; NULL when unset */
	char *dn_suffix;                    /* normalised */
};

struct mapper {
	struct map_template *cols[NCOLS];
	struct map_template *org[MAP_ORG_NFIELDS];
	struct map_rule *rules;
	size_t nrules;
	char **attrs, **group_attrs;        /* NULL-terminated */
	size_t nattrs, ngroup_attrs;
};

static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return n > 0;
}

/* Copy of s[0..n) with blanks trimmed at both ends. */
static char *trimmed(const char *s, size_t n)
{
	while (n > 0 && is_blank((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_blank((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

static void node_free(struct node *nd)
{
	free(nd->text);
	for (size_t i = 0; i < nd->nalts; i++)
		free(nd->alts[i].attr);
	free(nd->alts);
	for (size_t i = 0; i < nd->nxf; i++)
		free(nd->xf[i].arg);
	free(nd->xf);
}

void map_template_free(struct map_template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		node_free(&t->nodes[i]);
	free(t->nodes);
	for (size_t i = 0; i < t->nattrs; i++)
		free(t->attrs[i]);
	free(t->attrs);
	free(t);
}

static bool name_in(char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], name) == 0)
			return true;
	return false;
}

static struct node *add_node(struct map_template *t)
{
	t->nodes = xrealloc(t->nodes, (t->n + 1) * sizeof(*t->nodes));
	memset(&t->nodes[t->n], 0, sizeof(*t->nodes));
	return &t->nodes[t->n++];
}

static bool valid_attr_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || is_digit(*s) ||
		      *s == '-' || *s == '.'))
			return false;
	return true;
}

/* Parse "N" (a non-negative number) from s[0..n). */
static bool parse_num(const char *s, size_t n, long *out)
{
	long v = 0;

	if (!all_digits(s, n) || n > 9)
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	*out = v;
	return true;
}

/* One transform "name[:arg]" in s[0..n), at 1-based position pos. */
static char *parse_xform(struct node *nd, const char *s, size_t n, size_t pos)
{
	const char *colon = memchr(s, ':', n);
	size_t nlen = colon ? (size_t)(colon - s) : n;
	const char *arg = colon ? colon + 1 : NULL;
	size_t alen = colon ? n - nlen - 1 : 0;
	char *name = trimmed(s, nlen), *err = NULL;
	const struct xf_def *def = NULL;
	struct xform *x;

	for (size_t i = 0; i < ARRAY_SIZE(xf_defs); i++)
		if (strcmp(xf_defs[i].name, name) == 0)
			def = &xf_defs[i];
	if (!def) {
		err = xasprintf("position %zu: unknown transform '%s'", pos, name);
		goto out;
	}
	if (def->arg == ARG_NONE && arg) {
		err = xasprintf("position %zu: transform '%s' takes no argument", pos, name);
		goto out;
	}
	if (def->arg != ARG_NONE && (!arg || (def->kind != XF_DEFAULT && alen == 0))) {
		err = xasprintf("position %zu: transform '%s' needs an argument (%s:...)", pos,
				name, name);
		goto out;
	}
	nd->xf = xrealloc(nd->xf, (nd->nxf + 1) * sizeof(*nd->xf));
	x = &nd->xf[nd->nxf++];
	memset(x, 0, sizeof(*x));
	x->kind = def->kind;
	x->b = def->kind == XF_SUBSTR ? -1 : 0;
	if (def->kind == XF_DEFAULT) {
		x->arg = xstrndup(arg, alen);
	} else if (def->kind == XF_STRIP || def->kind == XF_SUBSTR) {
		/* strip:PREFIX[:LEN] and substr:START[:LEN] */
		const char *c2 = memchr(arg, ':', alen);
		size_t l1 = c2 ? (size_t)(c2 - arg) : alen;
		bool ok = l1 > 0;

		if (c2)
			ok = ok && parse_num(c2 + 1, alen - l1 - 1, &x->b);
		if (def->kind == XF_SUBSTR)
			ok = ok && parse_num(arg, l1, &x->a);
		else
			x->arg = xstrndup(arg, l1);
		if (!ok)
			err = xasprintf("position %zu: bad argument for '%s' (%s)", pos, name,
					def->kind == XF_STRIP ? "strip:PREFIX or strip:PREFIX:LEN" :
					"substr:START or substr:START:LEN");
	}
out:
	free(name);
	return err;
}

/* The expression s[0..n) between braces, starting at 1-based position pos. */
static char *parse_expr(struct map_template *t, const char *s, size_t n, size_t pos)
{
	struct node *nd = add_node(t);
	size_t alen = 0, i;
	char *err = NULL;

	while (alen < n && s[alen] != '|')
		alen++;
	/* alternatives: a/b/$key */
	for (i = 0; i <= alen && !err;) {
		size_t j = i;
		char *name;
		struct alt *a;

		while (j < alen && s[j] != '/')
			j++;
		name = trimmed(s + i, j - i);
		nd->alts = xrealloc(nd->alts, (nd->nalts + 1) * sizeof(*nd->alts));
		a = &nd->alts[nd->nalts++];
		a->attr = NULL;
		a->skey = -1;
		if (name[0] == '$') {
			for (size_t k = 0; k < ARRAY_SIZE(st_keys); k++)
				if (strcmp(st_keys[k].key, name + 1) == 0)
					a->skey = (int)k;
			if (a->skey < 0)
				err = xasprintf("position %zu: unknown structure key '%s'",
						pos + i, name);
			free(name);
		} else if (!valid_attr_name(name)) {
			err = xasprintf("position %zu: bad attribute name '%s'", pos + i, name);
			free(name);
		} else {
			a->attr = name;
			if (!name_in(t->attrs, t->nattrs, name)) {
				t->attrs = xrealloc(t->attrs, (t->nattrs + 1) * sizeof(char *));
				t->attrs[t->nattrs++] = xstrdup(name);
			}
		}
		i = j + 1;
	}
	/* transforms: |name|name:arg */
	for (i = alen + 1; i <= n && !err;) {
		size_t j = i;

		while (j < n && s[j] != '|')
			j++;
		err = parse_xform(nd, s + i, j - i, pos + i);
		i = j + 1;
	}
	return err;
}

struct map_template *map_compile(const char *text, char **err)
{
	struct map_template *t = xcalloc(1, sizeof(*t));
	struct strbuf lit = { 0 };
	size_t i = 0, len = strlen(text);

	*err = NULL;
	while (i < len && !*err) {
		char c = text[i];

		if ((c == '{' || c == '}') && text[i + 1] == c) {
			sb_addc(&lit, c);
			i += 2;
		} else if (c == '}') {
			*err = xasprintf("position %zu: unbalanced '}' (write }} for a brace)", i + 1);
		} else if (c == '{') {
			const char *end = strchr(text + i + 1, '}');
			const char *open = memchr(text + i + 1, '{',
						  end ? (size_t)(end - text - i - 1) : 0);

			if (!end || open) {
				*err = xasprintf("position %zu: '{' is not closed", i + 1);
				break;
			}
			if (lit.len > 0)
				add_node(t)->text = sb_steal(&lit);
			*err = parse_expr(t, text + i + 1, (size_t)(end - text - i - 1), i + 2);
			i = (size_t)(end - text) + 1;
		} else {
			sb_addc(&lit, c);
			i++;
		}
	}
	if (!*err && lit.len > 0)
		add_node(t)->text = sb_steal(&lit);
	sb_free(&lit);
	if (*err) {
		map_template_free(t);
		t = NULL;
	}
	return t;
}

void map_template_attrs(const struct map_template *t, char ***names, size_t *n)
{
	for (size_t i = 0; t && i < t->nattrs; i++) {
		if (name_in(*names, *n, t->attrs[i]))
			continue;
		*names = xrealloc(*names, (*n + 1) * sizeof(char *));
		(*names)[(*n)++] = xstrdup(t->attrs[i]);
	}
}

char *map_digits(const char *in)
{
	struct strbuf sb = { 0 };

	for (; *in; in++)
		if (is_digit(*in))
			sb_addc(&sb, *in);
	return sb_steal(&sb);
}

/* Overseas country codes: the national significant number starts with one of prefixes
 * (reference/data/phone_prefixes.tsv). */
static const struct overseas {
	const char *cc;
	const char *prefixes[6];
} overseas[] = {
	{ "262", { "262", "269", "639", "692", "693" } },   /* Réunion, Mayotte */
	{ "590", { "590", "690", "691" } },                 /* Guadeloupe, St-Barth, St-Martin */
	{ "594", { "594", "694" } },                        /* Guyane */
	{ "596", { "596", "696", "697" } },                 /* Martinique */
	{ "508", { "508" } },                               /* Saint-Pierre-et-Miquelon */
};

static bool national_ok(const char *s)
{
	return strlen(s) == 10 && all_digits(s, 10) && s[0] == '0' && s[1] != '0';
}

/* International digits (after + or 00) to the national form, or NULL. */
static char *phone_intl(const char *d)
{
	size_t n = strlen(d);

	if (!all_digits(d, n))
		return NULL;
	if (strncmp(d, "33", 2) == 0) {
		if (n == 11)
			return xasprintf("0%s", d + 2);
		if (n == 12 && d[2] == '0')        /* "+33 0X ..." */
			return xstrdup(d + 2);
		return NULL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(overseas); i++) {
		const struct overseas *o = &overseas[i];
		const char *r = d + 3;

		if (strncmp(d, o->cc, 3) != 0)
			continue;
		if (n == 13 && r[0] == '0')
			r++;
		if (strcmp(o->cc, "508") == 0 && strlen(r) == 6)
			return xasprintf("0508%s", r);
		for (size_t j = 0; j < ARRAY_SIZE(o->prefixes) && o->prefixes[j]; j++)
			if (strlen(r) == 9 && strncmp(r, o->prefixes[j], 3) == 0)
				return xasprintf("0%s", r);
		return NULL;
	}
	return NULL;
}

char *map_phone(const char *in, bool *ok)
{
	struct strbuf sb = { 0 };
	char *nat = NULL, *s;

	/* separators out: blanks (also no-break spaces), . - / ( ) and the "(0)" of +33 (0)4 */
	while (*in) {
		if (strncmp(in, "(0)", 3) == 0)
			in += 3;
		else if (strncmp(in, "\xc2\xa0", 2) == 0)
			in += 2;
		else if (strncmp(in, "\xe2\x80\xaf", 3) == 0)
			in += 3;
		else if (strchr(" \t.-/()", *in))
			in++;
		else
			sb_addc(&sb, *in++);
	}
	s = sb_steal(&sb);
	if (s[0] == '+')
		nat = phone_intl(s + 1);
	else if (strncmp(s, "00", 2) == 0)
		nat = phone_intl(s + 2);
	else
		nat = xstrdup(s);
	*ok = nat && national_ok(nat);
	if (*ok) {
		free(s);
		return nat;
	}
	free(nat);
	return s;
}

enum date_res { DATE_OK, DATE_NEVER, DATE_BAD };

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic, any year). */
static long long days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, long long *y, int *m, int *d)
{
	long long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool date_valid(int y, int m, int d)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (y < 1601 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return !(m == 2 && d == 29 && !leap);
}

/* Generalized time: YYYYMMDD[HH[MM[SS]]][.frac](Z|+hhmm|-hhmm)? in s. */
static enum date_res parse_gentime(const char *s, long long *out)
{
	size_t n = strspn(s, "0123456789");
	int y, m, d, hh = 0, mi = 0, ss = 0, off = 0;
	const char *p = s + n;

	if (n != 8 && n != 10 && n != 12 && n != 14)
		return DATE_BAD;
	y = num(s, 4);
	m = num(s + 4, 2);
	d = num(s + 6, 2);
	if (n >= 10)
		hh = num(s + 8, 2);
	if (n >= 12)
		mi = num(s + 10, 2);
	if (n >= 14)
		ss = num(s + 12, 2);
	if (*p == '.' || *p == ',') {
		p++;
		p += strspn(p, "0123456789");
	}
	if (*p == 'Z') {
		p++;
	} else if ((*p == '+' || *p == '-') && all_digits(p + 1, 2)) {
		size_t z = strspn(p + 1, "0123456789");

		if (z != 2 && z != 4)
			return DATE_BAD;
		off = num(p + 1, 2) * 3600 + (z == 4 ? num(p + 3, 2) * 60 : 0);
		off = *p == '-' ? -off : off;
		p += 1 + z;
	}
	if (*p || !date_valid(y, m, d) || hh > 23 || mi > 59 || ss > 60)
		return DATE_BAD;
	*out = days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss - off;
	return DATE_OK;
}

static enum date_res date_parse(const char *in, long long *out)
{
	char *s = trimmed(in, strlen(in));
	size_t n = strlen(s);
	enum date_res r = DATE_BAD;

	if (strcmp(s, "0") == 0 || strcmp(s, "9223372036854775807") == 0) {
		r = DATE_NEVER;
	} else if (n >= 15 && n <= 19 && all_digits(s, n)) {
		/* AD: 100 ns ticks since 1601-01-01 UTC */
		unsigned long long ticks = strtoull(s, NULL, 10);

		*out = (long long)(ticks / 10000000ULL) - 11644473600LL;
		r = DATE_OK;
	} else if (n >= 10 && s[4] == '-' && s[7] == '-' && all_digits(s, 4) &&
		   all_digits(s + 5, 2) && all_digits(s + 8, 2) &&
		   (n == 10 || s[10] == 'T' || s[10] == ' ')) {
		if (date_valid(num(s, 4), num(s + 5, 2), num(s + 8, 2))) {
			*out = days_from_civil(num(s, 4), num(s + 5, 2), num(s + 8, 2)) * 86400;
			r = DATE_OK;
		}
	} else if (n == 10 && s[2] == '/' && s[5] == '/' && all_digits(s, 2) &&
		   all_digits(s + 3, 2) && all_digits(s + 6, 4)) {
		if (date_valid(num(s + 6, 4), num(s + 3, 2), num(s, 2))) {
			*out = days_from_civil(num(s + 6, 4), num(s + 3, 2), num(s, 2)) * 86400;
			r = DATE_OK;
		}
	} else if (n >= 8) {
		r = parse_gentime(s, out);
	}
	free(s);
	return r;
}

bool map_date_epoch(const char *in, long long *out)
{
	return in && date_parse(in, out) == DATE_OK;
}

char *map_date(const char *in)
{
	long long t, y, days;
	int m, d;

	if (!map_date_epoch(in, &t))
		return NULL;
	days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	civil_from_days(days, &y, &m, &d);
	return xasprintf("%02d-%02d-%02d", (int)(((y % 100) + 100) % 100), m, d);
}

/* Byte offset of code point number cp in s (or strlen(s)). */
static size_t cp_offset(const char *s, long cp)
{
	size_t i = 0;

	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (cp-- == 0)
			return i;
	}
	return i;
}

/* Apply one transform to cur; returns a new string. */
static char *apply_xform(const struct xform *x, const char *cur, struct findings *f,
			 const char *where, int col)
{
	bool ok;
	char *r;

	switch (x->kind) {
	case XF_UPPER:
		return utf8_upper(cur);
	case XF_LOWER:
		return utf8_lower(cur);
	case XF_TRIM:
		return str_trim(cur);
	case XF_DIGITS:
		return map_digits(cur);
	case XF_PHONE:
		if (str_empty(cur))
			return xstrdup("");
		r = map_phone(cur, &ok);
		if (!ok)
			findings_add(f, SEV_WARNING, where, col, "phone-format", cur,
				     _("\"%s\" is not a French 10-digit telephone number"), cur);
		return r;
	case XF_DATE:
		if (str_empty(cur))
			return xstrdup("");
		r = map_date(cur);
		if (!r) {
			long long t;

			if (date_parse(cur, &t) == DATE_NEVER)
				return xstrdup("");
			findings_add(f, SEV_WARNING, where, col, "date-format", cur,
				     _("\"%s\" is not a date this program reads"), cur);
			return xstrdup(cur);
		}
		return r;
	case XF_STRIP: {
		size_t pl = strlen(x->arg);

		if (strncmp(cur, x->arg, pl) == 0 && (x->b == 0 || (long)utf8_len(cur) == x->b))
			return xstrdup(cur + pl);
		return xstrdup(cur);
	}
	case XF_SUBSTR: {
		size_t from = cp_offset(cur, x->a);
		size_t to = x->b < 0 ? strlen(cur) : from + cp_offset(cur + from, x->b);

		return xstrndup(cur + from, to - from);
	}
	case XF_FIRST: {
		const char *p = cur;
		size_t n;

		while (is_blank((unsigned char)*p))
			p++;
		for (n = 0; p[n] && !is_blank((unsigned char)p[n]); n++)
			;
		return xstrndup(p, n);
	}
	case XF_DEFAULT:
		return xstrdup(str_empty(cur) ? x->arg : cur);
	}
	return xstrdup(cur);
}

/* Printable form of invalid UTF-8 for a finding: bytes >= 0x80 as \xNN. */
static char *escape_bytes(const char *s, size_t n)
{
	struct strbuf sb = { 0 };

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || c < 0x20)
			sb_addf(&sb, "\\x%02x", c);
		else
			sb_addc(&sb, (char)c);
	}
	return sb_steal(&sb);
}

/* The first alternative with a non-empty value, or NULL. */
static const char *node_value(const struct node *nd, const struct entry *e,
			      const struct conf_structure *st, struct findings *f,
			      const char *where, int col)
{
	for (size_t i = 0; i < nd->nalts; i++) {
		const struct alt *a = &nd->alts[i];
		const struct attr *at;

		if (!a->attr) {
			const char *v = st ? *(char *const *)((const char *)st +
							       st_keys[a->skey].off) : NULL;

			if (v && *v)
				return v;
			continue;
		}
		at = e ? entry_attr(e, a->attr) : NULL;
		if (!at || at->nvals == 0 || at->lens[0] == 0)
			continue;
		if (!utf8_valid(at->vals[0], at->lens[0])) {
			char *esc = escape_bytes(at->vals[0], at->lens[0]);

			findings_add(f, SEV_ERROR, where, col, "invalid-utf8", esc,
				     _("attribute %s is not valid UTF-8; value dropped"), a->attr);
			free(esc);
			continue;
		}
		return at->vals[0];
	}
	return NULL;
}

/* The transforms of node nd applied to v (NULL = empty). */
static char *transform(const struct node *nd, const char *v, struct findings *f,
		       const char *where, int col)
{
	char *cur = apply_xform(&nd->xf[0], v ? v : "", f, where, col);

	for (size_t j = 1; j < nd->nxf; j++) {
		char *next = apply_xform(&nd->xf[j], cur, f, where, col);

		free(cur);
		cur = next;
	}
	return cur;
}

char *map_expand(const struct map_template *t, const struct entry *e,
		 const struct conf_structure *st, struct findings *f, const char *where, int col)
{
	struct strbuf out = { 0 };

	/* most templates are one "{attr|transform...}": no buffer, no copy */
	if (t && t->n == 1 && t->nodes[0].nalts > 0) {
		const char *v = node_value(&t->nodes[0], e, st, f, where, col);

		if (t->nodes[0].nxf > 0)
			return transform(&t->nodes[0], v, f, where, col);
		return xstrdup(v ? v : "");
	}

	for (size_t i = 0; t && i < t->n; i++) {
		const struct node *nd = &t->nodes[i];
		const char *v;
		char *cur;

		if (nd->nalts == 0) {
			sb_add(&out, nd->text);
			continue;
		}
		v = node_value(nd, e, st, f, where, col);
		if (nd->nxf == 0) {
			if (v)
				sb_add(&out, v);
			continue;
		}
		cur = transform(nd, v, f, where, col);
		sb_add(&out, cur);
		free(cur);
	}
	return sb_steal(&out);
}

/* Compile text for name into *t; on error append "name: why" to errs. */
static void compile_into(struct map_template **t, const char *text, const char *name,
			 struct strbuf *errs)
{
	char *err = NULL;

	if (!text || !*text)
		return;
	*t = map_compile(text, &err);
	if (!*t) {
		sb_addf(errs, "%s%s: %s", errs->len ? "\n" : "", name, err);
		free(err);
	}
}

static void null_terminate(char ***v, size_t n)
{
	*v = xrealloc(*v, (n + 1) * sizeof(char *));
	(*v)[n] = NULL;
}

struct mapper *map_new(const struct config *c, char **err)
{
	struct mapper *m = xcalloc(1, sizeof(*m));
	struct strbuf errs = { 0 };
	const char *org_text[MAP_ORG_NFIELDS] = {
		c->org.mail, c->org.nom, c->org.prenom, c->org.description,
		c->org.responsible_nom, c->org.responsible_prenom, c->org.responsible_profession,
		c->org.responsible_rpps
	};
	static const char *const org_names[MAP_ORG_NFIELDS] = {
		"org.adresse-mail", "org.nom", "org.prenom", "org.description",
		"org.responsible-nom", "org.responsible-prenom", "org.responsible-profession",
		"org.responsible-rpps"
	};

	*err = NULL;
	for (int i = 0; i < NCOLS; i++) {
		char *name = xasprintf("map.%s", columns[i].key);

		if (i != COL_TYPE_BAL)
			compile_into(&m->cols[i], c->map[i], name, &errs);
		free(name);
		map_template_attrs(m->cols[i], &m->attrs, &m->nattrs);
	}
	for (int i = 0; i < MAP_ORG_NFIELDS; i++) {
		compile_into(&m->org[i], org_text[i], org_names[i], &errs);
		if (i >= MAP_ORG_RESP_NOM)
			map_template_attrs(m->org[i], &m->attrs, &m->nattrs);
		else
			map_template_attrs(m->org[i], &m->group_attrs, &m->ngroup_attrs);
	}
	m->rules = xcalloc(c->nrules, sizeof(*m->rules));
	for (size_t i = 0; i < c->nrules; i++) {
		const struct conf_bal_rule *r = &c->rules[i];
		struct map_rule *mr = &m->rules[m->nrules++];

		mr->type = r->type;
		mr->attr = r->if_attribute ? xstrdup(r->if_attribute) : NULL;
		mr->value = r->if_value ? xstrdup(r->if_value) : NULL;
		mr->member_of = r->if_member_of ? xstrdup(r->if_member_of) : NULL;
		mr->if_col = r->if_column ? column_by_key(r->if_column) : -1;
		if (r->if_column && mr->if_col < 0)
			sb_addf(&errs, "%sbal-rule \"%s\": if-column: unknown column key \"%s\"",
				errs.len ? "\n" : "", r->name, r->if_column);
		if (r->if_dn_suffix)
			mr->dn_suffix = dn_normalise(r->if_dn_suffix);
		if (r->if_attribute && !name_in(m->attrs, m->nattrs, r->if_attribute)) {
			m->attrs = xrealloc(m->attrs, (m->nattrs + 1) * sizeof(char *));
			m->attrs[m->nattrs++] = xstrdup(r->if_attribute);
		}
	}
	null_terminate(&m->attrs, m->nattrs);
	null_terminate(&m->group_attrs, m->ngroup_attrs);
	if (errs.len) {
		*err = sb_steal(&errs);
		map_free(m);
		m = NULL;
	}
	sb_free(&errs);
	return m;
}

void map_free(struct mapper *m)
{
	if (!m)
		return;
	for (int i = 0; i < NCOLS; i++)
		map_template_free(m->cols[i]);
	for (int i = 0; i < MAP_ORG_NFIELDS; i++)
		map_template_free(m->org[i]);
	for (size_t i = 0; i < m->nrules; i++) {
		free(m->rules[i].attr);
		free(m->rules[i].value);
		free(m->rules[i].member_of);
		free(m->rules[i].dn_suffix);
	}
	free(m->rules);
	for (size_t i = 0; i < m->nattrs; i++)
		free(m->attrs[i]);
	free(m->attrs);
	for (size_t i = 0; i < m->ngroup_attrs; i++)
		free(m->group_attrs[i]);
	free(m->group_attrs);
	free(m);
}

const char *const *map_people_attrs(const struct mapper *m)
{
	return (const char *const *)m->attrs;
}

const char *const *map_group_attrs(const struct mapper *m)
{
	return (const char *const *)m->group_attrs;
}

const struct map_template *map_column(const struct mapper *m, int col)
{
	return col >= 0 && col < NCOLS ? m->cols[col] : NULL;
}

const struct map_template *map_org_template(const struct mapper *m, enum map_org_field f)
{
	return f >= 0 && f < MAP_ORG_NFIELDS ? m->org[f] : NULL;
}

static bool has_value(const struct entry *e, const char *name, const char *value)
{
	const struct attr *a = entry_attr(e, name);

	if (!a || a->nvals == 0)
		return false;
	if (!value)
		return true;
	for (size_t i = 0; i < a->nvals; i++)
		if (strcasecmp(a->vals[i], value) == 0)
			return true;
	return false;
}

static bool dn_ends_with(const char *dn, const char *suffix)
{
	size_t n = strlen(dn), k = strlen(suffix);

	if (k > n || strcmp(dn + n - k, suffix) != 0)
		return false;
	return k == n || dn[n - k - 1] == ',';
}

/* Every condition set must hold; *ndn caches the person's normalised DN. */
static bool rule_holds(const struct map_rule *mr, const struct entry *e, const struct row *row,
		       map_member_fn member, void *member_arg, char **ndn)
{
	if (mr->if_col >= 0 && str_empty(row_get(row, (enum col)mr->if_col)))
		return false;
	if (mr->attr && !has_value(e, mr->attr, mr->value))
		return false;
	if (mr->member_of && !(member && e->dn && member(e->dn, mr->member_of, member_arg)))
		return false;
	if (mr->dn_suffix) {
		if (!*ndn)
			*ndn = dn_normalise(e->dn ? e->dn : "");
		if (!dn_ends_with(*ndn, mr->dn_suffix))
			return false;
	}
	return true;
}

static void finding_drop(struct finding *x)
{
	free(x->where);
	free(x->value);
	free(x->message);
}

enum bal_type map_person(const struct mapper *m, const struct entry *e,
			 const struct conf_directory *d, map_member_fn member, void *member_arg,
			 struct row *row, struct findings *f)
{
	const struct conf_structure *st = d ? d->st : NULL;
	struct findings tmp = { 0 };
	enum bal_type type = BAL_NONE;
	char *ndn = NULL;

	for (int i = 0; i < NCOLS; i++) {
		char *v = m->cols[i] ? map_expand(m->cols[i], e, st, &tmp, e->dn, i) : NULL;

		if (v && !*v) {
			free(v);
			v = NULL;
		}
		row_take(row, (enum col)i, v);
	}
	for (size_t i = 0; i < m->nrules && type == BAL_NONE; i++)
		if (rule_holds(&m->rules[i], e, row, member, member_arg, &ndn))
			type = m->rules[i].type;
	free(ndn);
	if (type == BAL_NONE) {
		findings_add(f, SEV_ERROR, e->dn, COL_TYPE_BAL, "no-bal-rule", NULL,
			     _("no bal-rule matched this person (add a last rule with no "
			       "condition)"));
	} else {
		row_set(row, COL_TYPE_BAL, bal_type_name(type));
		for (int i = 0; i < NCOLS; i++)
			if (columns[i].req[type] == REQ_NC)
				row_take(row, (enum col)i, NULL);
	}
	/* keep the findings of the cells that stay */
	for (size_t i = 0; i < tmp.n; i++) {
		struct finding *x = &tmp.v[i];

		if (type != BAL_NONE && x->col >= 0 && columns[x->col].req[type] == REQ_NC) {
			finding_drop(x);
			continue;
		}
		xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
		f->v[f->n++] = *x;
	}
	free(tmp.v);
	return type;
}
