/*
 * map.c - from directory entries to loadusers rows: template compilation and expansion, the
 * transforms (case, phone numbers, dates, identifiers, regular expressions, value tables), the
 * BAL type rules and the per-type templates. Pure: no I/O.
 *
 * A template compiles to a list of nodes, each a literal text or an expression (alternatives
 * and transforms), so that expanding one is a single pass over the nodes. The compiler scans
 * the text: after match: and replace: a /delimited/ expression may hold | { } and :.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "map.h"

enum xf_kind {
	XF_UPPER, XF_LOWER, XF_TRIM, XF_DIGITS, XF_PHONE, XF_DATE, XF_STRIP, XF_SUBSTR, XF_FIRST,
	XF_DEFAULT, XF_MATCH, XF_REPLACE, XF_IDNAT, XF_TABLE
};

/* ARG_OPTIONAL: date or date:FORM; ARG_REGEX: a /delimited/ expression */
enum xf_arg { ARG_NONE, ARG_OPTIONAL, ARG_TEXT, ARG_NUMBERS, ARG_REGEX };

static const struct xf_def {
	const char *name;
	enum xf_kind kind;
	enum xf_arg arg;
	const char *flags;     /* ARG_REGEX: the flags it takes */
} xf_defs[] = {
	{ "upper",   XF_UPPER,   ARG_NONE,     NULL },
	{ "lower",   XF_LOWER,   ARG_NONE,     NULL },
	{ "trim",    XF_TRIM,    ARG_NONE,     NULL },
	{ "digits",  XF_DIGITS,  ARG_NONE,     NULL },
	{ "phone",   XF_PHONE,   ARG_NONE,     NULL },
	{ "date",    XF_DATE,    ARG_OPTIONAL, NULL },
	{ "strip",   XF_STRIP,   ARG_TEXT,     NULL },
	{ "substr",  XF_SUBSTR,  ARG_NUMBERS,  NULL },
	{ "first",   XF_FIRST,   ARG_NONE,     NULL },
	{ "default", XF_DEFAULT, ARG_TEXT,     NULL },
	{ "match",   XF_MATCH,   ARG_REGEX,    "i" },
	{ "replace", XF_REPLACE, ARG_REGEX,    "gi" },
	{ "idnat",   XF_IDNAT,   ARG_TEXT,     NULL },
	{ "table",   XF_TABLE,   ARG_TEXT,     NULL },
};

/* The findings whose severity the config may change (rule ids of check_rules[]). */
enum mf { MF_PHONE, MF_DATE, MF_IDNAT, MF_TABLE, MF_NATIONAL, MF_N };
static const struct mf_def {
	const char *rule;
	enum severity sev;
} mf_defs[MF_N] = {
	[MF_PHONE] = { "phone-format",    SEV_WARNING },
	[MF_DATE]  = { "date-format",     SEV_WARNING },
	[MF_IDNAT] = { "idnat-format",    SEV_WARNING },
	[MF_TABLE] = { "table-unmatched", SEV_OFF },
	[MF_NATIONAL] = { "national-unmatched", SEV_OFF },
};

static const struct date_form_def {
	const char *name, *text;
} date_forms[] = {
	[DATE_FORM_AUTO]    = { "auto",    N_("a date in any form that cannot be mistaken") },
	[DATE_FORM_GENTIME] = { "gentime", N_("LDAP generalized time (YYYYMMDDHHMMSSZ)") },
	[DATE_FORM_AD]      = { "ad",      N_("Active Directory time (100 ns since 1601-01-01)") },
	[DATE_FORM_DAYS]    = { "days",    N_("days since 1970-01-01") },
	[DATE_FORM_UNIX]    = { "unix",    N_("seconds since 1970-01-01") },
	[DATE_FORM_ISO]     = { "iso",     N_("an ISO 8601 date (YYYY-MM-DD)") },
	[DATE_FORM_DMY]     = { "dmy",     N_("a date written DD/MM/YYYY") },
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

/* A /delimited/ expression: match:, replace:, if-match, the /RE/ keys of a table. */
struct map_re {
	regex_t re;
	char *src;             /* as written between the slashes */
	bool global;           /* replace: every match */
};

/* A piece of a replacement text: literal text, or group number (>= 0). */
struct piece {
	char *text;
	int group;
};

struct xform {
	enum xf_kind kind;
	char *label;           /* the transform as written, for the trace */
	char *arg;             /* strip prefix, default text */
	long a, b;             /* substr start and length (-1: to the end); strip length (0: any);
				  match: the group returned; idnat: b = 1 for adeli */
	enum date_form form;
	struct map_re *re;     /* match, replace */
	struct piece *rep;     /* replace: the replacement */
	size_t nrep;
	const struct map_table *table;
};

/* {national:FIELD}: a field of the person's record in the national directory. Fields with a
 * list are translated to that code list (by code, else by label); the others are taken as the
 * extract writes them. */
enum nat_field {
	NF_PROFESSION, NF_SPECIALITE, NF_SAVOIR_FAIRE, NF_CIVILITE_EXERCICE, NF_NOM, NF_PRENOM,
	NF_MSSANTE, NF_MSSANTE_LOCAL, NF_N
};

static const struct nat_field_def {
	const char *name;
	const char *list;      /* code list (check_list_value), NULL: as written */
	const char *table;     /* the name its unmatched labels are listed under */
} nat_fields[NF_N] = {
	[NF_PROFESSION]        = { "profession", "profession", "national:profession" },
	[NF_SPECIALITE]        = { "specialite", "specialite", "national:specialite" },
	[NF_SAVOIR_FAIRE]      = { "savoir-faire", NULL, NULL },
	[NF_CIVILITE_EXERCICE] = { "civilite-exercice", "civilite-exercice",
				   "national:civilite-exercice" },
	[NF_NOM]               = { "nom", NULL, NULL },
	[NF_PRENOM]            = { "prenom", NULL, NULL },
	[NF_MSSANTE]           = { "mssante", NULL, NULL },
	[NF_MSSANTE_LOCAL]     = { "mssante-local", NULL, NULL },
};

/* Where a template may read {national:FIELD} (map_new; map_compile allows it). */
enum nat_use { NAT_OK, NAT_NO_SECTION, NAT_ID_CELL, NAT_GROUP };

/* Kinds of alternatives: an attribute, a structure key, a national directory field. */
enum alt_kind { ALT_ATTR, ALT_STRUCT, ALT_NATIONAL };

struct alt {
	enum alt_kind kind;
	char *name;            /* attribute name, "$key" or "national:FIELD" */
	int skey;              /* ALT_STRUCT: index in st_keys[]; ALT_NATIONAL: enum nat_field */
};

/* A literal text (nalts == 0) or an expression: a chain of alternatives and transforms, and
 * the chain written after "||", used when this one gives nothing. */
struct node {
	char *text;            /* literal text, or the expression as written (trace) */
	struct alt *alts;
	size_t nalts;
	struct xform *xf;
	size_t nxf;
	struct node *next;     /* the chain after "||", or NULL */
};

struct map_template {
	char *src;             /* the template as written */
	struct node *nodes;
	size_t n;
	char **attrs;          /* attributes read, each once */
	size_t nattrs;
	const enum severity *sev;   /* the mapper's severities (enum mf), NULL: defaults */
	const struct mapper *m;     /* for the national fields' domains; NULL: map_compile */
};

/* A value table: keys in order; plain keys also in a hash of their folded text. */
struct tkey {
	char *key;             /* folded plain key, or the expression as written */
	char *value;
	const char *file;      /* the table's cfile or tfile */
	int line;
	struct map_re *re;     /* NULL for a plain key */
};

struct map_table {
	char *name;
	struct tkey *keys;
	size_t n;
	struct hmap *exact;    /* folded key -> index + 1 of its first occurrence */
	size_t *rx;            /* indexes of the /RE/ keys, in order */
	size_t nrx;
	char *dflt;            /* NULL: no default */
	char *cfile, *tfile;   /* the config file and the TSV file, for messages */
	int line;
	bool used;
};

struct map_rule {
	char *name;
	enum bal_type type;
	int if_col;                         /* -1 when unset */
	char *attr, *value, *member_of;     /* copies; NULL when unset */
	char *dn_suffix;                    /* normalised */
	struct map_re *match;               /* if-match */
	const struct map_table *table;      /* if-table */
	char *match_text;                   /* if-match as written */
};

struct mapper {
	struct map_template *cols[NCOLS];
	struct map_template *tcols[BAL_NTYPES][NCOLS];   /* map-type templates */
	bool tset[BAL_NTYPES][NCOLS];                    /* set in map-type (maybe to "") */
	struct map_template *org[MAP_ORG_NFIELDS];
	struct map_table *tables;
	size_t ntables;
	struct map_rule *rules;
	size_t nrules;
	char **attrs, **group_attrs;        /* NULL-terminated */
	size_t nattrs, ngroup_attrs;
	enum severity sev[MF_N];
	char *warnings;
	bool national;                      /* a person's template reads {national:FIELD} */
	char **domains;                     /* national-directory mssante-domains */
	size_t ndomains;
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

/* Bytes of the UTF-8 character at s (1 for an invalid byte; 0 at the end). */
static size_t char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

	if (!c)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

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

static void rx_free(struct map_re *r)
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
static struct map_re *rx_new(const char *src, bool icase, bool nosub, char **err)
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

static bool rx_match(const struct map_re *r, const char *s, size_t n, regmatch_t *pm,
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
static bool read_delimited(const char *s, size_t *pi, struct strbuf *out, bool unescape)
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
static struct map_re *rx_parse_whole(const char *s, char **err)
{
	struct strbuf src = { 0 };
	struct map_re *r = NULL;
	size_t i = 0;
	bool icase = false;

	if (s[0] != '/' || !read_delimited(s, &i, &src, true)) {
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
	r = rx_new(src.buf, icase, true, err);
out:
	sb_free(&src);
	return r;
}

static void node_free(struct node *nd)
{
	if (nd->next) {
		node_free(nd->next);
		free(nd->next);
	}
	free(nd->text);
	for (size_t i = 0; i < nd->nalts; i++)
		free(nd->alts[i].name);
	free(nd->alts);
	for (size_t i = 0; i < nd->nxf; i++) {
		struct xform *x = &nd->xf[i];

		free(x->label);
		free(x->arg);
		rx_free(x->re);
		for (size_t j = 0; j < x->nrep; j++)
			free(x->rep[j].text);
		free(x->rep);
	}
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
	free(t->src);
	free(t);
}

static bool name_in(char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], name) == 0)
			return true;
	return false;
}

static void add_name(char ***names, size_t *n, const char *name)
{
	if (name_in(*names, *n, name))
		return;
	*names = xrealloc(*names, (*n + 1) * sizeof(char *));
	(*names)[(*n)++] = xstrdup(name);
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

static struct map_table *table_by_name(const struct mapper *m, const char *name)
{
	for (size_t i = 0; m && i < m->ntables; i++)
		if (strcmp(m->tables[i].name, name) == 0)
			return &m->tables[i];
	return NULL;
}

/* What the compiler reads: the template and the mapper's tables (NULL for map_compile), and
 * whether the template may read the national directory. */
struct cstate {
	const char *s;
	size_t len;
	struct mapper *m;
	enum nat_use nat;
};

static char *not_closed(size_t open)
{
	return xasprintf("position %zu: '{' is not closed", open + 1);
}

/* The replacement TEXT of replace:, raw (escapes kept), into pieces. */
static char *parse_replacement(struct xform *x, const char *raw, size_t pos)
{
	struct strbuf lit = { 0 };
	char *err = NULL;

	for (const char *p = raw; *p && !err; p++) {
		int g;

		if (*p != '\\') {
			sb_addc(&lit, *p);
			continue;
		}
		p++;
		if (*p == '\\' || *p == '/') {
			sb_addc(&lit, *p);
			continue;
		}
		if (!is_digit(*p)) {
			err = xasprintf("position %zu: '\\%c' in the replacement of 'replace' "
					"(write \\0 to \\9 for a group, \\\\ for a backslash, "
					"\\/ for a slash)", pos, *p);
			break;
		}
		g = *p - '0';
		if ((size_t)g > x->re->re.re_nsub) {
			err = xasprintf("position %zu: \\%d in the replacement, but the expression "
					"has %zu group%s", pos, g, x->re->re.re_nsub,
					x->re->re.re_nsub == 1 ? "" : "s");
			break;
		}
		x->rep = xrealloc(x->rep, (x->nrep + 2) * sizeof(*x->rep));
		if (lit.len)
			x->rep[x->nrep++] = (struct piece){ sb_steal(&lit), -1 };
		x->rep[x->nrep++] = (struct piece){ NULL, g };
	}
	if (!err && lit.len) {
		x->rep = xrealloc(x->rep, (x->nrep + 1) * sizeof(*x->rep));
		x->rep[x->nrep++] = (struct piece){ sb_steal(&lit), -1 };
	}
	sb_free(&lit);
	return err;
}

/* match:/RE/[i] and replace:/RE/TEXT/[gi] at s[*pi] (after the colon); *pi is left at the '|'
 * or '}' that ends the transform. */
static char *parse_regex_arg(struct xform *x, const struct xf_def *def, const struct cstate *cs,
			     size_t *pi, size_t open, size_t pos)
{
	const char *s = cs->s;
	struct strbuf re = { 0 }, text = { 0 };
	size_t i = *pi;
	bool icase = false;
	char *err = NULL, *rerr = NULL;

	if (s[i] != '/') {
		err = xasprintf("position %zu: '%s' takes a delimited expression: %s", pos,
				def->name,
				def->kind == XF_MATCH ? "match:/RE/" : "replace:/RE/TEXT/");
		goto out;
	}
	if (!read_delimited(s, &i, &re, true)) {
		err = xasprintf("position %zu: the expression of '%s' has no closing '/'", pos,
				def->name);
		goto out;
	}
	/* replace: TEXT runs from the slash that closed RE to the next unescaped one */
	if (def->kind == XF_REPLACE) {
		i--;
		if (!read_delimited(s, &i, &text, false)) {
			err = xasprintf("position %zu: the replacement of 'replace' has no closing "
					"'/' (replace:/RE/TEXT/)", pos);
			goto out;
		}
	}
	for (; i < cs->len && s[i] != '|' && s[i] != '}'; i++) {
		if (s[i] == '{') {
			err = not_closed(open);
			goto out;
		}
		if (!strchr(def->flags, s[i])) {
			err = xasprintf("position %zu: unknown flag '%c' for '%s' (%s)", pos, s[i],
					def->name, def->kind == XF_MATCH ? "i: ignore case" :
					"g: every match, i: ignore case");
			goto out;
		}
		if (s[i] == 'i')
			icase = true;
		else
			x->b = 1;
	}
	if (i >= cs->len) {
		err = not_closed(open);
		goto out;
	}
	x->re = rx_new(re.buf, icase, false, &rerr);
	if (!x->re) {
		err = xasprintf("position %zu: %s", pos, rerr);
		goto out;
	}
	x->re->global = x->b == 1;
	x->a = x->re->re.re_nsub > 0 ? 1 : 0;
	if (def->kind == XF_REPLACE)
		err = parse_replacement(x, text.buf, pos);
	*pi = i;
out:
	free(rerr);
	sb_free(&re);
	sb_free(&text);
	return err;
}

/* The argument of a plain transform, s[from..to), checked and stored in x. */
static char *set_arg(struct xform *x, const struct xf_def *def, const struct cstate *cs,
		     const char *arg, size_t alen, size_t pos)
{
	const char *name = def->name;
	char *err = NULL, *a;

	switch (def->kind) {
	case XF_DEFAULT:
		x->arg = xstrndup(arg, alen);
		break;
	case XF_STRIP:
	case XF_SUBSTR: {
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
		break;
	}
	case XF_DATE:
		a = trimmed(arg, alen);
		if (!map_date_form_parse(a, &x->form))
			err = xasprintf("position %zu: unknown date form '%s' (auto, gentime, ad, "
					"days, unix, iso, dmy)", pos, a);
		free(a);
		break;
	case XF_IDNAT:
		a = trimmed(arg, alen);
		if (strcmp(a, "rpps") == 0 || strcmp(a, "adeli") == 0)
			x->b = a[0] == 'a';
		else
			err = xasprintf("position %zu: unknown identifier '%s' (idnat:rpps or "
					"idnat:adeli)", pos, a);
		free(a);
		break;
	case XF_TABLE: {
		struct map_table *tb;

		a = trimmed(arg, alen);
		tb = table_by_name(cs->m, a);
		if (!tb)
			err = xasprintf("position %zu: unknown table '%s' (no table section of "
					"that name)", pos, a);
		else
			tb->used = true;
		x->table = tb;
		free(a);
		break;
	}
	default:
		break;
	}
	return err;
}

/* One transform after the '|' at s[*pi]; *pi is left at the '|' or '}' that ends it. */
static char *parse_xform(struct node *nd, const struct cstate *cs, size_t *pi, size_t open)
{
	const char *s = cs->s;
	size_t start = *pi + 1, k = start, pos = start + 1;
	const struct xf_def *def = NULL;
	struct xform *x;
	char *name, *err = NULL;

	while (k < cs->len && !strchr(":|}{", s[k]))
		k++;
	if (k >= cs->len || s[k] == '{')
		return not_closed(open);
	name = trimmed(s + start, k - start);
	for (size_t i = 0; i < ARRAY_SIZE(xf_defs); i++)
		if (strcmp(xf_defs[i].name, name) == 0)
			def = &xf_defs[i];
	if (!def) {
		err = xasprintf("position %zu: unknown transform '%s'", pos, name);
		goto out;
	}
	if (def->arg == ARG_NONE && s[k] == ':') {
		err = xasprintf("position %zu: transform '%s' takes no argument", pos, name);
		goto out;
	}
	nd->xf = xrealloc(nd->xf, (nd->nxf + 1) * sizeof(*nd->xf));
	x = &nd->xf[nd->nxf++];
	memset(x, 0, sizeof(*x));
	x->kind = def->kind;
	x->b = def->kind == XF_SUBSTR ? -1 : 0;
	x->form = DATE_FORM_AUTO;
	if (s[k] == ':' && def->arg == ARG_REGEX) {
		k++;
		err = parse_regex_arg(x, def, cs, &k, open, pos);
	} else if (s[k] == ':') {
		size_t a = ++k;

		while (k < cs->len && s[k] != '|' && s[k] != '}' && s[k] != '{')
			k++;
		if (k >= cs->len || s[k] == '{')
			err = not_closed(open);
		else if (k == a && def->kind != XF_DEFAULT && def->kind != XF_DATE)
			err = xasprintf("position %zu: transform '%s' needs an argument (%s:...)",
					pos, name, name);
		else
			err = set_arg(x, def, cs, s + a, k - a, pos);
	} else if (def->arg != ARG_NONE && def->arg != ARG_OPTIONAL) {
		err = xasprintf("position %zu: transform '%s' needs an argument (%s:...)", pos,
				name, name);
	}
	if (!err) {
		x->label = trimmed(s + start, k - start);
		*pi = k;
	}
out:
	free(name);
	return err;
}

/* national:FIELD at 1-based position pos, where the template is read (cs->nat). */
static char *parse_national(struct alt *a, const struct cstate *cs, size_t pos)
{
	const char *field = a->name + strlen("national:");
	struct strbuf names = { 0 };
	char *err = NULL;

	for (int k = 0; k < NF_N; k++)
		if (strcmp(nat_fields[k].name, field) == 0)
			a->skey = k;
	if (a->skey < 0) {
		for (int k = 0; k < NF_N; k++)
			sb_addf(&names, "%s%s", k ? ", " : "", nat_fields[k].name);
		err = xasprintf("position %zu: unknown national directory field '%s' (%s)", pos,
				field, names.buf);
	} else if (cs->nat == NAT_NO_SECTION) {
		err = xasprintf("position %zu: %s needs a national-directory section", pos,
				a->name);
	} else if (cs->nat == NAT_ID_CELL) {
		err = xasprintf("position %zu: %s: the national record is found by the RPPS and "
				"ADELI cells, whose templates cannot read it", pos, a->name);
	} else if (cs->nat == NAT_GROUP) {
		err = xasprintf("position %zu: %s: a group has no national record (the "
				"responsible-* templates read the responsible's)", pos, a->name);
	} else if (a->skey == NF_MSSANTE_LOCAL && cs->m && cs->m->ndomains == 0) {
		err = xasprintf("position %zu: %s needs mssante-domains in the national-directory "
				"section (the establishment's MSSanté domains)", pos, a->name);
	}
	sb_free(&names);
	return err;
}

/* The alternatives s[0..n) of an expression, at 1-based position pos: a/b/$key/national:F. */
static char *parse_alts(struct map_template *t, struct node *nd, const struct cstate *cs,
			const char *s, size_t n, size_t pos)
{
	char *err = NULL;

	for (size_t i = 0; i <= n && !err;) {
		size_t j = i;
		char *name;
		struct alt *a;

		while (j < n && s[j] != '/')
			j++;
		name = trimmed(s + i, j - i);
		nd->alts = xrealloc(nd->alts, (nd->nalts + 1) * sizeof(*nd->alts));
		a = &nd->alts[nd->nalts++];
		a->kind = ALT_ATTR;
		a->name = name;
		a->skey = -1;
		if (name[0] == '$') {
			a->kind = ALT_STRUCT;
			for (size_t k = 0; k < ARRAY_SIZE(st_keys); k++)
				if (strcmp(st_keys[k].key, name + 1) == 0)
					a->skey = (int)k;
			if (a->skey < 0)
				err = xasprintf("position %zu: unknown structure key '%s'",
						pos + i, name);
		} else if (strncmp(name, "national:", 9) == 0) {
			a->kind = ALT_NATIONAL;
			err = parse_national(a, cs, pos + i);
		} else if (!valid_attr_name(name)) {
			err = xasprintf("position %zu: bad attribute name '%s'", pos + i, name);
		} else {
			add_name(&t->attrs, &t->nattrs, name);
		}
		i = j + 1;
	}
	return err;
}

/* One chain of the expression opened at s[open]: its alternatives from s[*pi], then its
 * transforms; *pi is left at the '}' or the "||" that ends it. */
static char *parse_chain(struct map_template *t, struct node *nd, const struct cstate *cs,
			 size_t *pi, size_t open)
{
	const char *s = cs->s;
	size_t i = *pi, j;
	char *err;

	for (j = i; j < cs->len && s[j] != '|' && s[j] != '}' && s[j] != '{'; j++)
		;
	if (j >= cs->len || s[j] == '{')
		return not_closed(open);
	err = parse_alts(t, nd, cs, s + i, j - i, i + 1);
	i = j;
	while (!err && s[i] == '|' && s[i + 1] != '|')
		err = parse_xform(nd, cs, &i, open);
	*pi = i;
	return err;
}

/* The expression whose '{' is at s[*pi]; *pi is left after its '}'. */
static char *parse_expr(struct map_template *t, const struct cstate *cs, size_t *pi)
{
	const char *s = cs->s;
	size_t open = *pi, i = open + 1;
	struct node *nd = add_node(t), *c;
	char *err;

	err = parse_chain(t, nd, cs, &i, open);
	for (c = nd; !err && s[i] == '|' && s[i + 1] == '|'; c = c->next) {
		i += 2;
		c->next = xcalloc(1, sizeof(*c->next));
		err = parse_chain(t, c->next, cs, &i, open);
	}
	if (!err) {
		nd->text = xstrndup(s + open, i + 1 - open);
		*pi = i + 1;
	}
	return err;
}

static struct map_template *compile(const char *text, struct mapper *m, enum nat_use nat,
				   char **err)
{
	struct map_template *t = xcalloc(1, sizeof(*t));
	struct cstate cs = { text, strlen(text), m, nat };
	struct strbuf lit = { 0 };
	size_t i = 0;

	*err = NULL;
	while (i < cs.len && !*err) {
		char c = text[i];

		if ((c == '{' || c == '}') && text[i + 1] == c) {
			sb_addc(&lit, c);
			i += 2;
		} else if (c == '}') {
			*err = xasprintf("position %zu: unbalanced '}' (write }} for a brace)",
					 i + 1);
		} else if (c == '{') {
			if (lit.len > 0)
				add_node(t)->text = sb_steal(&lit);
			*err = parse_expr(t, &cs, &i);
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
		return NULL;
	}
	t->src = xstrdup(text);
	t->sev = m ? m->sev : NULL;
	t->m = m;
	return t;
}

struct map_template *map_compile(const char *text, char **err)
{
	return compile(text, NULL, NAT_OK, err);
}

/* Whether t reads a field of the national directory. */
static bool reads_national(const struct map_template *t)
{
	for (size_t i = 0; t && i < t->n; i++)
		for (const struct node *c = &t->nodes[i]; c; c = c->next)
			for (size_t k = 0; k < c->nalts; k++)
				if (c->alts[k].kind == ALT_NATIONAL)
					return true;
	return false;
}

void map_template_attrs(const struct map_template *t, char ***names, size_t *n)
{
	for (size_t i = 0; t && i < t->nattrs; i++)
		add_name(names, n, t->attrs[i]);
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

char *map_idnat(const char *in, bool adeli, bool *ok)
{
	struct strbuf sb = { 0 };
	const char *r = "";
	char *s, *out;
	size_t n;

	/* blanks out: spaces, tabs, no-break spaces (U+00A0, U+2007, U+202F) */
	while (*in) {
		if (is_blank((unsigned char)*in))
			in++;
		else if (strncmp(in, "\xc2\xa0", 2) == 0)
			in += 2;
		else if (strncmp(in, "\xe2\x80\xaf", 3) == 0 || strncmp(in, "\xe2\x80\x87", 3) == 0)
			in += 3;
		else
			sb_addc(&sb, *in++);
	}
	s = sb_steal(&sb);
	n = strlen(s);
	*ok = true;
	if (n == 0)
		r = "";
	else if (!all_digits(s, n))
		*ok = false;
	else if (n == 12 && s[0] == '8')
		r = adeli ? "" : s + 1;
	else if (n == 11)
		r = adeli ? "" : s;
	else if (n == 10 && s[0] == '0')
		r = adeli ? s + 1 : "";
	else if (n == 9)
		r = adeli ? s : "";
	else
		*ok = false;
	out = xstrdup(*ok ? r : "");
	free(s);
	return out;
}

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

/* The dates a mailbox can carry: 1601-01-01 (the AD epoch) to 9999-12-31. */
#define EPOCH_MIN (-11644473600LL)
#define EPOCH_MAX 253402300799LL
#define DAYS_MAX 2932896LL            /* 9999-12-31 */
#define AD_NEVER "9223372036854775807"

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

static enum date_res date_ok(long long t, long long *out)
{
	if (t < EPOCH_MIN || t > EPOCH_MAX)
		return DATE_BAD;
	*out = t;
	return DATE_OK;
}

/* A time zone at p: "", "Z", or +hh, +hhmm (colon when colon), -... *off in seconds, *end
 * after it. */
static bool read_zone(const char *p, bool colon, int *off, const char **end)
{
	size_t z;
	int h, m = 0;

	*off = 0;
	if (*p == 'Z' || *p == 'z') {
		*end = p + 1;
		return true;
	}
	if (*p != '+' && *p != '-') {
		*end = p;
		return true;
	}
	z = strspn(p + 1, "0123456789");
	if (z < 2)
		return false;
	h = num(p + 1, 2);
	*end = p + 3;
	if (colon && p[3] == ':' && all_digits(p + 4, 2) && !is_digit(p[6])) {
		m = num(p + 4, 2);
		*end = p + 6;
	} else if (z == 4) {
		m = num(p + 3, 2);
		*end = p + 5;
	} else if (z != 2) {
		return false;
	}
	if (h > 23 || m > 59)
		return false;
	*off = (h * 3600 + m * 60) * (*p == '-' ? -1 : 1);
	return true;
}

/* Generalized time: YYYYMMDD[HH[MM[SS]]][.frac](Z|+hh[mm]|-hh[mm])? in s. */
static enum date_res read_gentime(const char *s, long long *out)
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
	if (n >= 10 && (*p == '.' || *p == ',') && is_digit(p[1])) {
		p++;
		p += strspn(p, "0123456789");
	}
	if (!read_zone(p, false, &off, &p))
		return DATE_BAD;
	if (*p || !date_valid(y, m, d) || hh > 23 || mi > 59 || ss > 60)
		return DATE_BAD;
	return date_ok(days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss - off, out);
}

/* ISO 8601: YYYY-MM-DD, or YYYY-MM-DD(T| )hh:mm[:ss[.frac]][Z|+hh:mm|+hhmm|+hh|-...]. */
static enum date_res read_iso(const char *s, long long *out)
{
	int y, m, d, hh = 0, mi = 0, ss = 0, off = 0;
	const char *p = s + 10;

	if (!(all_digits(s, 4) && s[4] == '-' && all_digits(s + 5, 2) && s[7] == '-' &&
	      all_digits(s + 8, 2)))
		return DATE_BAD;
	y = num(s, 4);
	m = num(s + 5, 2);
	d = num(s + 8, 2);
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (!(all_digits(p + 1, 2) && p[3] == ':' && all_digits(p + 4, 2)))
			return DATE_BAD;
		hh = num(p + 1, 2);
		mi = num(p + 4, 2);
		p += 6;
		if (*p == ':') {
			if (!all_digits(p + 1, 2))
				return DATE_BAD;
			ss = num(p + 1, 2);
			p += 3;
			if ((*p == '.' || *p == ',') && is_digit(p[1])) {
				p++;
				p += strspn(p, "0123456789");
			}
		}
		if (!read_zone(p, true, &off, &p))
			return DATE_BAD;
	}
	if (*p || !date_valid(y, m, d) || hh > 23 || mi > 59 || ss > 60)
		return DATE_BAD;
	return date_ok(days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss - off, out);
}

/* D/M/YYYY, day and month of one or two digits. */
static enum date_res read_dmy(const char *s, long long *out)
{
	size_t a = strspn(s, "0123456789"), b, c;
	int d, m, y;

	if (a < 1 || a > 2 || s[a] != '/')
		return DATE_BAD;
	b = strspn(s + a + 1, "0123456789");
	if (b < 1 || b > 2 || s[a + 1 + b] != '/')
		return DATE_BAD;
	c = strspn(s + a + b + 2, "0123456789");
	if (c != 4 || s[a + b + 2 + c])
		return DATE_BAD;
	d = num(s, a);
	m = num(s + a + 1, b);
	y = num(s + a + b + 2, 4);
	if (!date_valid(y, m, d))
		return DATE_BAD;
	return date_ok(days_from_civil(y, m, d) * 86400, out);
}

/* A decimal integer with an optional '-' (at most 18 digits). */
static bool read_int(const char *s, long long *v)
{
	bool neg = *s == '-';
	size_t n = strlen(s + neg);

	if (n == 0 || n > 18 || !all_digits(s + neg, n))
		return false;
	*v = strtoll(s, NULL, 10);
	return true;
}

/* Active Directory: 100 ns ticks since 1601-01-01 UTC, 0 and 2^63-1 = never. */
static enum date_res read_ad(const char *s, long long *out)
{
	size_t n = strlen(s);
	unsigned long long ticks;

	if (n == 0 || n > 19 || !all_digits(s, n))
		return DATE_BAD;
	errno = 0;
	ticks = strtoull(s, NULL, 10);
	if (errno || ticks > (unsigned long long)INT64_MAX)
		return DATE_BAD;
	if (ticks == 0 || ticks == (unsigned long long)INT64_MAX)
		return DATE_NEVER;
	return date_ok((long long)(ticks / 10000000ULL) + EPOCH_MIN, out);
}

static enum date_res read_days(const char *s, long long *out)
{
	long long v;

	if (!read_int(s, &v))
		return DATE_BAD;
	if (v <= 0)
		return DATE_NEVER;      /* as pam_unix and shadow-utils read shadowExpire */
	if (v > DAYS_MAX)
		return DATE_BAD;        /* e.g. 20261231: a YYYYMMDD typed into a days attribute */
	*out = v * 86400;
	return DATE_OK;
}

static enum date_res read_unix(const char *s, long long *out)
{
	long long v;

	if (!read_int(s, &v) || v < 0)
		return DATE_BAD;
	if (v == 0)
		return DATE_NEVER;
	return date_ok(v, out);
}

/* auto: every form that cannot be mistaken for another. */
static enum date_res read_auto(const char *s, long long *out)
{
	size_t n = strspn(s, "0123456789");

	if (n > 0 && !s[n]) {
		/* a bare number: 0 means "never" in every form that writes numbers */
		if (strspn(s, "0") == n || strcmp(s, AD_NEVER) == 0)
			return DATE_NEVER;
		if (n >= 15 && n <= 19)
			return read_ad(s, out);
		if (n == 8 || n == 14)
			return read_gentime(s, out);
		return DATE_BAD;        /* 1-7, 9-13 digits: days? seconds? ambiguous */
	}
	if ((n == 8 || n == 10 || n == 12 || n == 14) && strchr("Zz+-.,", s[n]) &&
	    !(n == 8 && s[n] == '-'))
		return read_gentime(s, out);
	if (n == 4 && s[4] == '-')
		return read_iso(s, out);
	if (n >= 1 && n <= 2 && s[n] == '/')
		return read_dmy(s, out);
	return DATE_BAD;
}

enum date_res map_date_read(const char *in, enum date_form form, long long *epoch)
{
	char *s = trimmed(in, strlen(in));
	enum date_res r = DATE_BAD;
	long long t = 0;

	switch (form) {
	case DATE_FORM_AUTO:    r = read_auto(s, &t);    break;
	case DATE_FORM_GENTIME: r = read_gentime(s, &t); break;
	case DATE_FORM_AD:      r = read_ad(s, &t);      break;
	case DATE_FORM_DAYS:    r = read_days(s, &t);    break;
	case DATE_FORM_UNIX:    r = read_unix(s, &t);    break;
	case DATE_FORM_ISO:     r = read_iso(s, &t);     break;
	case DATE_FORM_DMY:     r = read_dmy(s, &t);     break;
	}
	if (r == DATE_OK)
		*epoch = t;
	free(s);
	return r;
}

bool map_date_form_parse(const char *name, enum date_form *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(date_forms); i++)
		if (name && strcmp(date_forms[i].name, name) == 0) {
			*out = (enum date_form)i;
			return true;
		}
	return false;
}

const char *map_date_form_name(enum date_form f)
{
	return (size_t)f < ARRAY_SIZE(date_forms) ? date_forms[f].name : "?";
}

const char *map_date_form_text(enum date_form f)
{
	return (size_t)f < ARRAY_SIZE(date_forms) ? _(date_forms[f].text) : "?";
}

char *map_date_text(long long t)
{
	long long y, days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int m, d;

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

/* Index of the first key of tb matching the folded value, or -1. Plain keys: one probe; the
 * /RE/ keys before the plain one found are tried in order, so the first key written wins. */
static long table_find(const struct map_table *tb, const char *folded)
{
	uintptr_t v = (uintptr_t)hmap_get(tb->exact, folded);
	size_t limit = v ? v - 1 : tb->n;

	for (size_t j = 0; j < tb->nrx && tb->rx[j] < limit; j++)
		if (rx_match(tb->keys[tb->rx[j]].re, folded, 0, NULL, 0))
			return (long)tb->rx[j];
	return v ? (long)v - 1 : -1;
}

/* Unmatched table values, per entry, distinct by table and folded value. */
struct um {
	char *key;             /* table name, 0x1f, folded value */
	char *table, *value, *example;
	char *last;            /* the last entry counted (an entry counts once) */
	size_t count;
};

struct map_stats {
	size_t filled[BAL_NTYPES][NCOLS], empty[BAL_NTYPES][NCOLS];
	struct hmap *unmatched;     /* key -> struct um */
	struct um **v;
	size_t n, cap;
};

static void stats_unmatched(struct map_stats *s, const char *table, const char *value,
			    const char *folded, const char *where)
{
	char *key = xasprintf("%s\x1f%s", table, folded);
	struct um *u = hmap_get(s->unmatched, key);

	where = where ? where : "";
	if (u) {
		if (strcmp(u->last, where) != 0) {
			u->count++;
			free(u->last);
			u->last = xstrdup(where);
		}
		free(key);
		return;
	}
	u = xcalloc(1, sizeof(*u));
	u->key = key;
	u->table = xstrdup(table);
	u->value = xstrdup(value);
	u->example = xstrdup(where);
	u->last = xstrdup(where);
	u->count = 1;
	hmap_put(s->unmatched, key, u);
	xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = u;
}

/* map_person holds the unmatched values of each cell until it knows which cells stay. */
struct pend_item {
	const char *table;     /* the table's name (the mapper's, or a static one) */
	char *value, *folded;
	int col;
};
struct pending {
	struct pend_item *v;
	size_t n, cap;
};

/* What the expansion of one cell needs besides the template and the entry. */
struct xctx {
	struct findings *f;
	const char *where;
	int col;
	const enum severity *sev;    /* per enum mf; NULL: the defaults */
	struct map_stats *stats;     /* unmatched values, when pend is NULL */
	struct pending *pend;
	struct strbuf *tr;           /* this cell's trace, or NULL */
	const char *src;             /* the alternative that gave the value */
	struct map_national *nat;    /* NULL: national fields give nothing */
	const struct mapper *m;      /* the template's mapper (mssante-domains), or NULL */
	char *tmp;                   /* a value node_value computed (national fields) */
};

/* A finding of kind k on the cell being expanded, with the severity the config gives it
 * (findings_add drops it when that is off). */
#define emit(x, k, value, ...) \
	findings_add((x)->f, (x)->sev ? (x)->sev[k] : mf_defs[k].sev, (x)->where, (x)->col, \
		     mf_defs[k].rule, value, __VA_ARGS__)

/* A value of table (a name) that matched no key. */
static void unmatched(const struct xctx *x, const char *table, const char *value,
		      const char *folded)
{
	if (x->pend) {
		struct pending *p = x->pend;

		xgrow(&p->v, &p->cap, p->n + 1, sizeof(*p->v));
		p->v[p->n++] = (struct pend_item){ table, xstrdup(value), xstrdup(folded), x->col };
	} else if (x->stats) {
		stats_unmatched(x->stats, table, value, folded, x->where);
	}
}

static char *apply_table(const struct xform *xf, const char *cur, const struct xctx *x)
{
	const struct map_table *tb = xf->table;
	char *folded, *r;
	long k;

	if (str_empty(cur))
		return xstrdup("");
	folded = utf8_fold(cur);
	k = table_find(tb, folded);
	if (k >= 0) {
		const struct tkey *key = &tb->keys[k];

		if (x->tr)
			sb_addf(x->tr, _("    table \"%s\": \"%s\" matches key %s%s%s (%s:%d)\n"),
				tb->name, folded, key->re ? "/" : "\"", key->key,
				key->re ? "/" : "\"", key->file, key->line);
		r = xstrdup(key->value);
	} else {
		if (x->tr && tb->dflt)
			sb_addf(x->tr, _("    table \"%s\": \"%s\" matches no key: default \"%s\"\n"),
				tb->name, folded, tb->dflt);
		else if (x->tr)
			sb_addf(x->tr, _("    table \"%s\": \"%s\" matches no key\n"), tb->name, folded);
		unmatched(x, tb->name, cur, folded);
		emit(x, MF_TABLE, cur, _("%s \"%s\" matches no key of table \"%s\""),
		     x->src ? x->src : _("value"), cur, tb->name);
		r = xstrdup(tb->dflt ? tb->dflt : "");
	}
	free(folded);
	return r;
}

/* replace:/RE/TEXT/[g]: the pieces of TEXT for each match; an empty match right after
 * another is skipped, as sed does. */
static char *apply_replace(const struct xform *xf, const char *cur)
{
	regmatch_t pm[10];
	size_t ng = xf->re->re.re_nsub + 1 < 10 ? xf->re->re.re_nsub + 1 : 10;
	struct strbuf out = { 0 };
	const char *p = cur;
	bool after = false;
	int eflags = 0;

	sb_addn(&out, "", 0);
	while (rx_match(xf->re, p, ng, pm, eflags)) {
		size_t so = (size_t)pm[0].rm_so, eo = (size_t)pm[0].rm_eo, cl;

		if (so == eo && so == 0 && after) {
			if (!*p)
				break;
			cl = char_len(p);
			sb_addn(&out, p, cl);
			p += cl;
			after = false;
			continue;
		}
		sb_addn(&out, p, so);
		for (size_t i = 0; i < xf->nrep; i++) {
			int g = xf->rep[i].group;

			if (g < 0)
				sb_add(&out, xf->rep[i].text);
			else if ((size_t)g < ng && pm[g].rm_so >= 0)
				sb_addn(&out, p + pm[g].rm_so, (size_t)(pm[g].rm_eo - pm[g].rm_so));
		}
		if (so == eo) {
			cl = char_len(p + eo);
			sb_addn(&out, p + eo, cl);
			p += eo + cl;
			after = false;
			if (!cl)
				break;
		} else {
			p += eo;
			after = true;
		}
		eflags = REG_NOTBOL;
		if (!xf->re->global)
			break;
	}
	sb_add(&out, p);
	return sb_steal(&out);
}

/* Apply one transform to cur; returns a new string. */
static char *apply_xform(const struct xform *xf, const char *cur, const struct xctx *x)
{
	regmatch_t pm[2];
	long long t;
	bool ok;
	char *r;

	switch (xf->kind) {
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
			emit(x, MF_PHONE, cur,
			     _("\"%s\" is not a French 10-digit telephone number"), cur);
		return r;
	case XF_DATE:
		if (str_empty(cur))
			return xstrdup("");
		switch (map_date_read(cur, xf->form, &t)) {
		case DATE_OK:
			return map_date_text(t);
		case DATE_NEVER:
			return xstrdup("");
		case DATE_BAD:
			break;
		}
		if (xf->form == DATE_FORM_AUTO)
			emit(x, MF_DATE, cur, _("\"%s\" is not a date this program reads"), cur);
		else
			emit(x, MF_DATE, cur, _("%s \"%s\" cannot be read as %s (date:%s)"),
			     x->src ? x->src : _("value"), cur, map_date_form_text(xf->form),
			     map_date_form_name(xf->form));
		return xstrdup(cur);
	case XF_STRIP: {
		size_t pl = strlen(xf->arg);

		if (strncmp(cur, xf->arg, pl) == 0 && (xf->b == 0 || (long)utf8_len(cur) == xf->b))
			return xstrdup(cur + pl);
		return xstrdup(cur);
	}
	case XF_SUBSTR: {
		size_t from = cp_offset(cur, xf->a);
		size_t to = xf->b < 0 ? strlen(cur) : from + cp_offset(cur + from, xf->b);

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
		return xstrdup(str_empty(cur) ? xf->arg : cur);
	case XF_MATCH:
		if (!rx_match(xf->re, cur, 2, pm, 0) || pm[xf->a].rm_so < 0)
			return xstrdup("");
		return xstrndup(cur + pm[xf->a].rm_so, (size_t)(pm[xf->a].rm_eo - pm[xf->a].rm_so));
	case XF_REPLACE:
		return apply_replace(xf, cur);
	case XF_IDNAT:
		r = map_idnat(cur, xf->b == 1, &ok);
		if (!ok)
			emit(x, MF_IDNAT, cur,
			     _("%s \"%s\" is neither an RPPS (11 digits, or 8 followed by 11 "
			       "digits) nor an ADELI (9 digits, or 0 followed by 9 digits)"),
			     x->src ? x->src : _("value"), cur);
		return r;
	case XF_TABLE:
		return apply_table(xf, cur, x);
	}
	return xstrdup(cur);
}

/* Printable form of invalid UTF-8 for a finding (util.h: sb_add_visible). */
static char *escape_bytes(const char *s, size_t n)
{
	struct strbuf sb = { 0 };

	sb_addn(&sb, "", 0);
	sb_add_visible(&sb, s, n);
	return sb_steal(&sb);
}

/* Trace: every value of an attribute, as  "a", "b"  or  no value. */
static void trace_values(struct strbuf *tr, const struct attr *at)
{
	if (!at || at->nvals == 0)
		sb_add(tr, _(" no value"));
	for (size_t i = 0; at && i < at->nvals; i++) {
		char *esc = escape_bytes(at->vals[i], at->lens[i]);   /* explain shows it */

		if (utf8_valid(at->vals[i], at->lens[i]))
			sb_addf(tr, "%s \"%s\"", i ? "," : "", esc);
		else
			sb_addf(tr, _("%s \"%s\" (not UTF-8)"), i ? "," : "", esc);
		free(esc);
	}
}

/* "RPPS" or "ADELI", for messages. */
static const char *nat_kind(const struct nat_person *p)
{
	return p->type == NAT_RPPS ? "RPPS" : p->type == NAT_ADELI ? "ADELI" : "ID";
}

/* The local part of the person's first MSSanté address in one of m's domains, or NULL. */
static char *mss_local(const struct nat_person *p, const struct mapper *m)
{
	for (size_t i = 0; m && i < p->nmssante; i++) {
		const char *a = p->mssante[i].address;

		if (nat_in_domains(a, m->domains, m->ndomains))
			return xstrndup(a, (size_t)(strrchr(a, '@') - a));
	}
	return NULL;
}

/* A code and label of the extract translated to the value of fd's code list (by code, else by
 * label), allocated; NULL, recorded as unmatched, when the list has neither. */
static char *national_code(const struct nat_field_def *fd, const struct nat_code *code,
			   const struct nat_person *p, struct xctx *x)
{
	char *v = NULL, *raw, *folded;

	if (!x->nat->list_value)
		return xstrdup(*code->label ? code->label : code->code);
	if (*code->code)
		v = x->nat->list_value(x->nat->arg, fd->list, code->code);
	if (!v && *code->label)
		v = x->nat->list_value(x->nat->arg, fd->list, code->label);
	if (v)
		return v;
	/* "code - label" is what the list section takes: list "specialite" { add = ... } */
	raw = *code->code && *code->label ? xasprintf("%s - %s", code->code, code->label) :
	      xstrdup(*code->code ? code->code : code->label);
	folded = utf8_fold(raw);
	unmatched(x, fd->table, raw, folded);
	emit(x, MF_NATIONAL, raw, _("%s %s: \"%s\" of the national directory is no value of "
				    "the %s list"), nat_kind(p), p->id, raw, fd->list);
	free(folded);
	free(raw);
	return NULL;
}

/* A field of the person's national record as a cell takes it, or NULL (x->tmp holds what
 * was computed). */
static const char *national_value(unsigned field, struct xctx *x)
{
	const struct nat_field_def *fd = &nat_fields[field < NF_N ? field : 0];
	const struct nat_person *p = x->nat ? x->nat->person : NULL;
	const struct nat_savoir_faire *sf;
	struct nat_code code = { "", "" };
	const char *v = NULL;

	free(x->tmp);
	x->tmp = NULL;
	if (!p) {
		if (x->tr)
			sb_addf(x->tr, _("    national:%s: no national record\n"), fd->name);
		return NULL;
	}
	switch ((enum nat_field)field) {
	case NF_PROFESSION:
		if (p->nprofessions > 0)
			code = p->professions[0].profession;
		break;
	case NF_SPECIALITE:
		sf = nat_specialite(p);
		if (sf)
			code = sf->savoir_faire;
		break;
	case NF_SAVOIR_FAIRE:
		sf = nat_specialite(p);
		if (!sf && p->nsavoir_faire > 0)
			sf = &p->savoir_faire[0];
		v = sf ? sf->savoir_faire.label : NULL;
		break;
	case NF_CIVILITE_EXERCICE:
		code = p->civilite_exercice;
		break;
	case NF_NOM:
		v = p->nom;
		break;
	case NF_PRENOM:
		v = p->prenom;
		break;
	case NF_MSSANTE:
		v = p->nmssante > 0 ? p->mssante[0].address : NULL;
		break;
	case NF_MSSANTE_LOCAL:
		v = x->tmp = mss_local(p, x->m);
		break;
	default:
		break;
	}
	if (fd->list && (*code.code || *code.label))
		v = x->tmp = national_code(fd, &code, p, x);
	if (x->tr) {
		sb_addf(x->tr, "    national:%s (%s %s):", fd->name, nat_kind(p), p->id);
		if (fd->list && (*code.code || *code.label))
			sb_addf(x->tr, " \"%s\" \"%s\" ->", code.code, code.label);
		sb_addf(x->tr, v && *v ? " \"%s\"\n" : " %s\n", v && *v ? v :
			fd->list && (*code.code || *code.label) ? _("no value of the list") :
			_("empty"));
	}
	return v && *v ? v : NULL;
}

/* The first alternative with a non-empty value, or NULL; x->src names it. */
static const char *node_value(const struct node *nd, const struct entry *e,
			      const struct conf_structure *st, struct xctx *x)
{
	x->src = NULL;
	for (size_t i = 0; i < nd->nalts; i++) {
		const struct alt *a = &nd->alts[i];
		const struct attr *at;

		if (a->kind == ALT_NATIONAL) {
			const char *v = national_value((unsigned)a->skey, x);

			if (v) {
				x->src = a->name;
				return v;
			}
			continue;
		}

		if (a->kind == ALT_STRUCT) {
			const char *v = st ? *(char *const *)((const char *)st +
							       st_keys[a->skey].off) : NULL;

			if (x->tr)
				sb_addf(x->tr, "    %s: %s%s%s\n", a->name, v && *v ? "\"" : "",
					v && *v ? v : _("empty (structure)"), v && *v ? "\"" : "");
			if (v && *v) {
				x->src = a->name;
				return v;
			}
			continue;
		}
		at = e ? entry_attr(e, a->name) : NULL;
		if (x->tr) {
			sb_addf(x->tr, "    %s:", a->name);
			trace_values(x->tr, at);
			sb_addc(x->tr, '\n');
		}
		if (!at || at->nvals == 0 || at->lens[0] == 0)
			continue;
		if (!utf8_valid(at->vals[0], at->lens[0])) {
			char *esc = escape_bytes(at->vals[0], at->lens[0]);

			findings_add(x->f, SEV_ERROR, x->where, x->col, "invalid-utf8", esc,
				     _("attribute %s is not valid UTF-8; value dropped"), a->name);
			free(esc);
			continue;
		}
		x->src = a->name;
		return at->vals[0];
	}
	return NULL;
}

/* One step of the trace: a transform and its result, escaped (explain shows it). */
static void trace_step(struct strbuf *tr, const char *label, const char *v)
{
	sb_addf(tr, "    %s -> \"", label);
	sb_add_visible(tr, v, strlen(v));
	sb_add(tr, "\"\n");
}

/* The transforms of node nd applied to v (NULL = empty). */
static char *transform(const struct node *nd, const char *v, const struct xctx *x)
{
	char *cur = apply_xform(&nd->xf[0], v ? v : "", x);

	if (x->tr)
		trace_step(x->tr, nd->xf[0].label, cur);
	for (size_t j = 1; j < nd->nxf; j++) {
		char *next = apply_xform(&nd->xf[j], cur, x);

		if (x->tr)
			trace_step(x->tr, nd->xf[j].label, next);
		free(cur);
		cur = next;
	}
	return cur;
}

/* The value of an expression's chain, transforms applied (allocated); when it is empty, that
 * of the chain after "||". */
static char *node_eval(const struct node *nd, const struct entry *e,
		       const struct conf_structure *st, struct xctx *x)
{
	const char *v = node_value(nd, e, st, x);
	char *cur = nd->nxf > 0 ? transform(nd, v, x) : xstrdup(v ? v : "");

	if (!*cur && nd->next) {
		if (x->tr)
			sb_add(x->tr, _("    empty: the chain after ||\n"));
		free(cur);
		cur = node_eval(nd->next, e, st, x);
	}
	return cur;
}

static char *expand(const struct map_template *t, const struct entry *e,
		    const struct conf_structure *st, struct xctx *x)
{
	struct strbuf out = { 0 };

	x->sev = t ? t->sev : NULL;
	x->m = t ? t->m : NULL;
	/* most templates are one "{attr|transform...}": no buffer */
	if (t && t->n == 1 && t->nodes[0].nalts > 0 && !x->tr)
		return node_eval(&t->nodes[0], e, st, x);

	sb_addn(&out, "", 0);
	for (size_t i = 0; t && i < t->n; i++) {
		const struct node *nd = &t->nodes[i];
		char *cur;

		if (nd->nalts == 0) {
			sb_add(&out, nd->text);
			continue;
		}
		if (x->tr && t->n > 1)
			sb_addf(x->tr, "  %s\n", nd->text);
		cur = node_eval(nd, e, st, x);
		sb_add(&out, cur);
		free(cur);
	}
	return sb_steal(&out);
}

char *map_expand(const struct map_template *t, const struct entry *e,
		 const struct conf_structure *st, struct findings *f, const char *where, int col,
		 const struct map_extra *x)
{
	struct xctx cx = { .f = f, .where = where, .col = col };
	char *r;

	if (x) {
		cx.stats = x->stats;
		cx.nat = x->national;
		if (x->trace && col >= 0 && col < NCOLS)
			cx.tr = &x->trace->col[col];
	}
	r = expand(t, e, st, &cx);
	free(cx.tmp);
	return r;
}

/* Append "FILE:LINE: message" (or "FILE: ", or nothing, when unknown) as a line of errs. */
PRINTF(4, 5)
static void add_err(struct strbuf *errs, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (errs->len)
		sb_addc(errs, '\n');
	if (file && *file && line > 0)
		sb_addf(errs, "%s:%d: ", file, line);
	else if (file && *file)
		sb_addf(errs, "%s: ", file);
	sb_add(errs, msg ? msg : fmt);
	free(msg);
}

/* Compile text for name into *t; on error append "FILE:LINE: name: why" to errs. */
static void compile_into(struct mapper *m, struct map_template **t, const char *text,
			 const char *name, const char *file, int line, enum nat_use nat,
			 struct strbuf *errs)
{
	char *err = NULL;

	if (!text || !*text)
		return;
	*t = compile(text, m, nat, &err);
	if (!*t) {
		add_err(errs, file, line, "%s: %s", name, err);
		free(err);
	}
}

/* Where the template of column col (or ORG field org, when >= 0) may read the national
 * directory: a person's cells may, except RPPS and ADELI (they find the record) and the
 * group's own ORG templates. */
static enum nat_use nat_use_of(const struct config *c, int col, int org)
{
	if (!c->national)
		return NAT_NO_SECTION;
	if (org >= 0 && org < MAP_ORG_RESP_NOM)
		return NAT_GROUP;
	if (col == COL_RPPS || col == COL_ADELI || org == MAP_ORG_RESP_RPPS)
		return NAT_ID_CELL;
	return NAT_OK;
}

static void null_terminate(char ***v, size_t n)
{
	*v = xrealloc(*v, (n + 1) * sizeof(char *));
	(*v)[n] = NULL;
}

/* A /RE/ key of a table: compiled; a warning when it has letters a folded value never has. */
static void table_re_key(struct map_table *tb, struct tkey *k, const char *key,
			 struct strbuf *errs, struct strbuf *warns)
{
	struct strbuf src = { 0 };
	size_t i = 0;
	char *err = NULL;

	if (!read_delimited(key, &i, &src, true) || key[i]) {
		add_err(errs, k->file, k->line, "table \"%s\": key %s: a slash inside the "
			"expression is written \\/", tb->name, key);
		goto out;
	}
	k->re = rx_new(src.buf, false, true, &err);
	if (!k->re) {
		add_err(errs, k->file, k->line, "table \"%s\": key %s: %s", tb->name, key, err);
		goto out;
	}
	for (const char *p = src.buf; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if ((*p >= 'A' && *p <= 'Z') || (unsigned char)*p >= 0x80) {
			add_err(warns, k->file, k->line, "table \"%s\": warning: key %s: values "
				"are compared folded (lower case, no accents): '%.*s' never "
				"matches", tb->name, key, (int)char_len(p), p);
			break;
		}
	}
out:
	free(err);
	sb_free(&src);
}

static void build_table(struct map_table *tb, const struct conf_table *ct, const char *cpath,
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

static void table_free(struct map_table *tb)
{
	for (size_t i = 0; i < tb->n; i++) {
		free(tb->keys[i].key);
		free(tb->keys[i].value);
		rx_free(tb->keys[i].re);
	}
	free(tb->keys);
	free(tb->rx);
	hmap_free(tb->exact);
	free(tb->name);
	free(tb->dflt);
	free(tb->cfile);
	free(tb->tfile);
}

static void build_rule(struct mapper *m, struct map_rule *mr, const struct conf_bal_rule *r,
		       const char *path, struct strbuf *errs)
{
	char *err = NULL;

	mr->name = xstrdup(r->name);
	mr->type = r->type;
	mr->attr = r->if_attribute ? xstrdup(r->if_attribute) : NULL;
	mr->value = r->if_value ? xstrdup(r->if_value) : NULL;
	mr->member_of = r->if_member_of ? xstrdup(r->if_member_of) : NULL;
	mr->if_col = r->if_column ? column_by_key(r->if_column) : -1;
	if (r->if_column && mr->if_col < 0)
		add_err(errs, NULL, 0, "bal-rule \"%s\": if-column: unknown column key \"%s\"",
			r->name, r->if_column);
	if (r->if_dn_suffix)
		mr->dn_suffix = dn_normalise(r->if_dn_suffix);
	if (r->if_match) {
		mr->match_text = xstrdup(r->if_match);
		mr->match = rx_parse_whole(r->if_match, &err);
		if (!mr->match)
			add_err(errs, path, r->line_match, "bal-rule \"%s\": if-match: %s", r->name,
				err);
		free(err);
	}
	if (r->if_table) {
		struct map_table *tb = table_by_name(m, r->if_table);

		if (!tb)
			add_err(errs, path, r->line_table, "bal-rule \"%s\": if-table: no table "
				"section \"%s\"", r->name, r->if_table);
		else
			tb->used = true;
		mr->table = tb;
	}
	if (r->if_attribute)
		add_name(&m->attrs, &m->nattrs, r->if_attribute);
}

struct mapper *map_new(const struct config *c, char **err)
{
	struct mapper *m = xcalloc(1, sizeof(*m));
	struct strbuf errs = { 0 }, warns = { 0 };
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
	for (size_t i = 0; c->national && i < c->national->nmssante_domains; i++)
		add_name(&m->domains, &m->ndomains, c->national->mssante_domains[i]);
	for (int k = 0; k < MF_N; k++) {
		m->sev[k] = mf_defs[k].sev;
		for (size_t i = 0; i < c->nsev; i++)
			if (strcmp(c->sev_rule[i], mf_defs[k].rule) == 0)
				m->sev[k] = c->sev_value[i];
	}
	m->tables = xcalloc(c->ntables, sizeof(*m->tables));
	for (size_t i = 0; i < c->ntables; i++)
		build_table(&m->tables[m->ntables++], &c->tables[i], c->path, &errs, &warns);
	for (int i = 0; i < NCOLS; i++) {
		char *name = xasprintf("map.%s", columns[i].key);

		if (i != COL_TYPE_BAL)
			compile_into(m, &m->cols[i], c->map[i], name, c->path, c->map_line[i],
				     nat_use_of(c, i, -1), &errs);
		free(name);
		map_template_attrs(m->cols[i], &m->attrs, &m->nattrs);
		m->national = m->national || reads_national(m->cols[i]);
	}
	for (int t = 0; t < BAL_NTYPES; t++) {
		for (int i = 0; i < NCOLS; i++) {
			char *name;

			if (t == BAL_ORG || i == COL_TYPE_BAL || !c->type_map[t][i])
				continue;
			m->tset[t][i] = true;
			name = xasprintf("map-type \"%s\": %s", bal_type_name((enum bal_type)t),
					 columns[i].key);
			compile_into(m, &m->tcols[t][i], c->type_map[t][i], name, c->path,
				     c->type_map_line[t][i], nat_use_of(c, i, -1), &errs);
			free(name);
			map_template_attrs(m->tcols[t][i], &m->attrs, &m->nattrs);
			m->national = m->national || reads_national(m->tcols[t][i]);
		}
	}
	for (int i = 0; i < MAP_ORG_NFIELDS; i++) {
		compile_into(m, &m->org[i], org_text[i], org_names[i], c->path, c->org.line[i],
			     nat_use_of(c, -1, i), &errs);
		if (i >= MAP_ORG_RESP_NOM)
			map_template_attrs(m->org[i], &m->attrs, &m->nattrs);
		else
			map_template_attrs(m->org[i], &m->group_attrs, &m->ngroup_attrs);
	}
	m->rules = xcalloc(c->nrules, sizeof(*m->rules));
	for (size_t i = 0; i < c->nrules; i++)
		build_rule(m, &m->rules[m->nrules++], &c->rules[i], c->path, &errs);
	for (size_t i = 0; i < m->ntables; i++)
		if (!m->tables[i].used)
			add_err(&warns, m->tables[i].cfile, m->tables[i].line, "table \"%s\": "
				"warning: no template (table:%s) and no bal-rule (if-table) uses "
				"it", m->tables[i].name, m->tables[i].name);
	null_terminate(&m->attrs, m->nattrs);
	null_terminate(&m->group_attrs, m->ngroup_attrs);
	if (warns.len)
		m->warnings = sb_steal(&warns);
	if (errs.len) {
		*err = sb_steal(&errs);
		map_free(m);
		m = NULL;
	}
	sb_free(&errs);
	sb_free(&warns);
	return m;
}

void map_free(struct mapper *m)
{
	if (!m)
		return;
	for (int i = 0; i < NCOLS; i++) {
		map_template_free(m->cols[i]);
		for (int t = 0; t < BAL_NTYPES; t++)
			map_template_free(m->tcols[t][i]);
	}
	for (int i = 0; i < MAP_ORG_NFIELDS; i++)
		map_template_free(m->org[i]);
	for (size_t i = 0; i < m->nrules; i++) {
		struct map_rule *r = &m->rules[i];

		free(r->name);
		free(r->attr);
		free(r->value);
		free(r->member_of);
		free(r->dn_suffix);
		rx_free(r->match);
		free(r->match_text);
	}
	free(m->rules);
	for (size_t i = 0; i < m->ntables; i++)
		table_free(&m->tables[i]);
	free(m->tables);
	for (size_t i = 0; i < m->nattrs; i++)
		free(m->attrs[i]);
	free(m->attrs);
	for (size_t i = 0; i < m->ngroup_attrs; i++)
		free(m->group_attrs[i]);
	free(m->group_attrs);
	for (size_t i = 0; i < m->ndomains; i++)
		free(m->domains[i]);
	free(m->domains);
	free(m->warnings);
	free(m);
}

const char *map_warnings(const struct mapper *m)
{
	return m->warnings;
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

static bool dn_ends_with(const char *dn, const char *suffix)
{
	size_t n = strlen(dn), k = strlen(suffix);

	if (k > n || strcmp(dn + n - k, suffix) != 0)
		return false;
	return k == n || dn[n - k - 1] == ',';
}

/* The if-match and if-table conditions of mr hold for value v (both when both are set). */
static bool value_fits(const struct map_rule *mr, const char *v)
{
	bool ok = true;

	if (mr->match)
		ok = rx_match(mr->match, v, 0, NULL, 0);
	if (ok && mr->table) {
		char *folded = utf8_fold(v);

		ok = table_find(mr->table, folded) >= 0;
		free(folded);
	}
	return ok;
}

/* " if-match \"/RE/\" if-table \"T\"" for the trace. */
static void trace_patterns(struct strbuf *tr, const struct map_rule *mr)
{
	if (mr->match_text)
		sb_addf(tr, " if-match \"%s\"", mr->match_text);
	if (mr->table)
		sb_addf(tr, " if-table \"%s\"", mr->table->name);
}

static bool cond_column(const struct map_rule *mr, const struct row *row, struct strbuf *tr)
{
	const char *v = row_get(row, (enum col)mr->if_col);
	bool ok = !str_empty(v) && (!(mr->match || mr->table) || value_fits(mr, v));

	if (tr) {
		sb_addf(tr, "  if-column \"%s\"", columns[mr->if_col].key);
		trace_patterns(tr, mr);
		sb_addf(tr, _(": cell \"%s\" -> %s\n"), v, ok ? _("yes") : _("no"));
	}
	return ok;
}

static bool cond_attr(const struct map_rule *mr, const struct entry *e, struct strbuf *tr)
{
	const struct attr *a = entry_attr(e, mr->attr);
	bool ok = false;

	for (size_t i = 0; a && i < a->nvals && !ok; i++) {
		if (mr->value)
			ok = strcasecmp(a->vals[i], mr->value) == 0;
		else if (mr->match || mr->table)
			ok = utf8_valid(a->vals[i], a->lens[i]) && value_fits(mr, a->vals[i]);
		else
			ok = true;
	}
	if (tr) {
		sb_addf(tr, "  if-attribute \"%s\"", mr->attr);
		if (mr->value)
			sb_addf(tr, " if-value \"%s\"", mr->value);
		trace_patterns(tr, mr);
		sb_add(tr, ":");
		trace_values(tr, a);
		sb_addf(tr, " -> %s\n", ok ? _("yes") : _("no"));
	}
	return ok;
}

/* Every condition set must hold; *ndn caches the person's normalised DN. With a trace, every
 * condition is evaluated and written down. */
static bool rule_holds(const struct map_rule *mr, const struct entry *e, const struct row *row,
		       map_member_fn member, void *member_arg, char **ndn, struct strbuf *tr)
{
	bool ok = true, c;

	if (tr)
		sb_addf(tr, "bal-rule \"%s\" (type %s)\n", mr->name, bal_type_name(mr->type));
	if (mr->if_col >= 0) {
		ok = cond_column(mr, row, tr);
		if (!ok && !tr)
			return false;
	}
	if (mr->attr) {
		c = cond_attr(mr, e, tr);
		ok = ok && c;
		if (!ok && !tr)
			return false;
	}
	if (mr->member_of) {
		c = member && e->dn && member(e->dn, mr->member_of, member_arg);
		if (tr)
			sb_addf(tr, "  if-member-of \"%s\" -> %s\n", mr->member_of,
				c ? _("yes") : _("no"));
		ok = ok && c;
		if (!ok && !tr)
			return false;
	}
	if (mr->dn_suffix) {
		if (!*ndn)
			*ndn = dn_normalise(e->dn ? e->dn : "");
		c = dn_ends_with(*ndn, mr->dn_suffix);
		if (tr)
			sb_addf(tr, "  if-dn-suffix \"%s\": DN \"%s\" -> %s\n", mr->dn_suffix, *ndn,
				c ? _("yes") : _("no"));
		ok = ok && c;
	}
	if (tr)
		sb_addf(tr, "  %s\n", ok ? _("holds") : _("does not hold"));
	return ok;
}

static void finding_drop(struct finding *x)
{
	free(x->where);
	free(x->value);
	free(x->message);
}

/* Drop the findings and the unmatched values of column col (its cell is mapped again). */
static void drop_col(struct findings *tmp, struct pending *pend, int col)
{
	size_t k = 0;

	for (size_t i = 0; i < tmp->n; i++) {
		if (tmp->v[i].col == col)
			finding_drop(&tmp->v[i]);
		else
			tmp->v[k++] = tmp->v[i];
	}
	tmp->n = k;
	k = 0;
	for (size_t i = 0; i < pend->n; i++) {
		if (pend->v[i].col == col) {
			free(pend->v[i].value);
			free(pend->v[i].folded);
		} else {
			pend->v[k++] = pend->v[i];
		}
	}
	pend->n = k;
}

static bool nc(enum bal_type type, int col)
{
	return type != BAL_NONE && col >= 0 && column_req(col, type) == REQ_NC;
}

/* Move the findings of the cells that stay to f, one per rule and value. An identifier of no
 * known shape is kept even on a cell cleared for the type: it is likely why the person got
 * that type (no RPPS, no ADELI: not PER). */
static void keep_findings(struct findings *f, struct findings *tmp, enum bal_type type)
{
	size_t start = f->n;

	for (size_t i = 0; i < tmp->n; i++) {
		struct finding *x = &tmp->v[i];
		bool dup = false;

		for (size_t j = start; j < f->n && x->value && !dup; j++)
			dup = f->v[j].value && strcmp(f->v[j].rule, x->rule) == 0 &&
			      strcmp(f->v[j].value, x->value) == 0;
		if (dup || (nc(type, x->col) && strcmp(x->rule, mf_defs[MF_IDNAT].rule) != 0)) {
			finding_drop(x);
			continue;
		}
		xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
		f->v[f->n++] = *x;
	}
	free(tmp->v);
}

/* Record the unmatched values of the cells that stay, once per table and folded value. */
static void keep_unmatched(struct map_stats *s, struct pending *pend, enum bal_type type,
			   const char *where)
{
	for (size_t i = 0; i < pend->n; i++) {
		struct pend_item *p = &pend->v[i];
		bool dup = false;

		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(pend->v[j].table, p->table) == 0 &&
			      strcmp(pend->v[j].folded, p->folded) == 0;
		if (s && !dup && !nc(type, p->col))
			stats_unmatched(s, p->table, p->value, p->folded, where);
	}
	for (size_t i = 0; i < pend->n; i++) {
		free(pend->v[i].value);
		free(pend->v[i].folded);
	}
	free(pend->v);
}

static bool id_col(int col)
{
	return col == COL_RPPS || col == COL_ADELI;
}

/* "RPPS \"ID\": NOM PRENOM in the national directory" (or not in it), for the trace. */
static void trace_lookup(struct strbuf *tr, const char *kind, const char *id,
			 const struct nat_person *p)
{
	if (!*id)
		return;
	if (p && p->in_extract)
		sb_addf(tr, _("%s \"%s\": %s %s in the national directory\n"), kind, id, p->nom,
			p->prenom);
	else if (p)
		sb_addf(tr, _("%s \"%s\": only in the MSSanté extract\n"), kind, id);
	else
		sb_addf(tr, _("%s \"%s\": not in the national directory\n"), kind, id);
}

/* The national record of the row's RPPS cell, else of its ADELI cell, into x->nat->person. */
static void nat_lookup(const struct row *row, struct xctx *x, struct map_trace *trace)
{
	struct map_national *n = x->nat;
	const char *rpps = row_get(row, COL_RPPS), *adeli = row_get(row, COL_ADELI);
	const struct nat_person *by_adeli = NULL;

	if (!n || !n->find)
		return;
	n->person = *rpps ? n->find(n->arg, NAT_RPPS, rpps) : NULL;
	if (!n->person && *adeli)
		n->person = by_adeli = n->find(n->arg, NAT_ADELI, adeli);
	if (!trace)
		return;
	if (!*rpps && !*adeli)
		sb_add(&trace->national, _("no RPPS or ADELI cell: no national record\n"));
	trace_lookup(&trace->national, "RPPS", rpps, n->person == by_adeli ? NULL : n->person);
	if (!n->person || by_adeli)
		trace_lookup(&trace->national, "ADELI", adeli, by_adeli);
}

/* Expand template t (NULL: empty) into cell col of row. */
static void map_cell(const struct map_template *t, int col, const struct entry *e,
		     const struct conf_structure *st, struct xctx *cx, struct row *row,
		     struct map_trace *trace)
{
	char *v = NULL;

	cx->col = col;
	cx->tr = trace ? &trace->col[col] : NULL;
	if (t)
		v = expand(t, e, st, cx);
	if (v && !*v) {
		free(v);
		v = NULL;
	}
	row_take(row, (enum col)col, v);
}

enum bal_type map_person(const struct mapper *m, const struct entry *e,
			 const struct conf_directory *d, map_member_fn member, void *member_arg,
			 struct row *row, struct findings *f, const struct map_extra *x)
{
	const struct conf_structure *st = d ? d->st : NULL;
	struct map_trace *trace = x ? x->trace : NULL;
	struct findings tmp = { 0 };
	struct pending pend = { 0 };
	struct xctx cx = { .f = &tmp, .where = e->dn, .pend = &pend,
			   .nat = x ? x->national : NULL };
	enum bal_type type = BAL_NONE;
	size_t r;
	char *ndn = NULL;

	/* RPPS and ADELI first: they find the national record the other cells may read */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < NCOLS; i++) {
			if (id_col(i) != (pass == 0))
				continue;
			if (trace && m->cols[i])
				sb_addf(&trace->col[i], _("template (map): %s\n"), m->cols[i]->src);
			else if (trace && i != COL_TYPE_BAL)
				sb_add(&trace->col[i], _("no template (map): empty\n"));
			map_cell(m->cols[i], i, e, st, &cx, row, trace);
		}
		if (pass == 0)
			nat_lookup(row, &cx, trace);
	}
	for (r = 0; r < m->nrules && type == BAL_NONE; r++)
		if (rule_holds(&m->rules[r], e, row, member, member_arg, &ndn,
			       trace ? &trace->rules : NULL))
			type = m->rules[r].type;
	free(ndn);
	if (trace && type == BAL_NONE)
		sb_add(&trace->rules, _("no bal-rule holds: the entry is rejected\n"));
	else if (trace)
		sb_addf(&trace->rules, _("type %s, from bal-rule \"%s\"\n"), bal_type_name(type),
			m->rules[r - 1].name);
	if (type == BAL_NONE) {
		findings_add(f, SEV_ERROR, e->dn, COL_TYPE_BAL, "no-bal-rule", NULL,
			     _("no bal-rule matched this person (add a last rule with no "
			       "condition)"));
	} else {
		/* the rules have read the map cells; now the type's own templates, RPPS and
		 * ADELI first again */
		for (int pass = 0; pass < 2; pass++) {
			bool ids = false;

			for (int i = 0; i < NCOLS; i++) {
				if (!m->tset[type][i] || id_col(i) != (pass == 0))
					continue;
				drop_col(&tmp, &pend, i);
				if (trace)
					sb_addf(&trace->col[i], _("template (map-type \"%s\", for this "
						"type): %s\n"), bal_type_name(type),
						m->tcols[type][i] ? m->tcols[type][i]->src :
						_("\"\" (empty)"));
				map_cell(m->tcols[type][i], i, e, st, &cx, row, trace);
				ids = true;
			}
			if (ids && pass == 0)
				nat_lookup(row, &cx, trace);
		}
		row_set(row, COL_TYPE_BAL, bal_type_name(type));
		for (int i = 0; i < NCOLS; i++)
			if (nc(type, i))
				row_take(row, (enum col)i, NULL);
	}
	free(cx.tmp);
	keep_findings(f, &tmp, type);
	keep_unmatched(x ? x->stats : NULL, &pend, type, e->dn);
	for (int i = 0; trace && i < NCOLS; i++) {
		if (nc(type, i))
			sb_addf(&trace->col[i], _("cell: empty (NC for %s)\n"), bal_type_name(type));
		else if (*row_get(row, (enum col)i))
			sb_addf(&trace->col[i], _("cell: \"%s\"\n"), row_get(row, (enum col)i));
		else
			sb_add(&trace->col[i], _("cell: empty\n"));
	}
	return type;
}

void map_trace_free(struct map_trace *t)
{
	if (!t)
		return;
	for (int i = 0; i < NCOLS; i++)
		sb_free(&t->col[i]);
	sb_free(&t->rules);
	sb_free(&t->national);
}

struct map_stats *map_stats_new(void)
{
	struct map_stats *s = xcalloc(1, sizeof(*s));

	s->unmatched = hmap_new_borrowed(false);    /* the keys are the records' */
	return s;
}

void map_stats_free(struct map_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct um *u = s->v[i];

		free(u->key);
		free(u->table);
		free(u->value);
		free(u->example);
		free(u->last);
		free(u);
	}
	free(s->v);
	hmap_free(s->unmatched);
	free(s);
}

void map_stats_add_row(struct map_stats *s, const struct row *row, enum bal_type t)
{
	if (t < 0 || t >= BAL_NTYPES)
		return;
	for (int i = 0; i < NCOLS; i++) {
		if (*row_get(row, (enum col)i))
			s->filled[t][i]++;
		else
			s->empty[t][i]++;
	}
}

void map_stats_coverage(const struct map_stats *s, enum bal_type t, int col,
			size_t *filled, size_t *empty)
{
	bool in = t >= 0 && t < BAL_NTYPES && col >= 0 && col < NCOLS;

	*filled = in ? s->filled[t][col] : 0;
	*empty = in ? s->empty[t][col] : 0;
}

static int cmp_unmatched(const void *pa, const void *pb)
{
	const struct map_unmatched *a = pa, *b = pb;
	int c;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	c = strcmp(a->table, b->table);
	return c ? c : strcmp(a->value, b->value);
}

size_t map_stats_unmatched(const struct map_stats *s, struct map_unmatched **out)
{
	*out = NULL;
	if (s->n == 0)
		return 0;
	*out = xcalloc(s->n, sizeof(**out));
	for (size_t i = 0; i < s->n; i++)
		(*out)[i] = (struct map_unmatched){ s->v[i]->table, s->v[i]->value, s->v[i]->count,
						    s->v[i]->example };
	qsort(*out, s->n, sizeof(**out), cmp_unmatched);
	return s->n;
}
