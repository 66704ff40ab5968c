/*
 * map_compile.c - the template compiler: a template's text to a list of nodes, each a literal
 * text or an expression (alternatives and transforms), so that expanding one is a single pass
 * over the nodes. After match: and replace: a /delimited/ expression may hold | { } and :.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "map_int.h"

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

/* {$key}: the structure's value for a column key. */
const struct st_key map_st_keys[] = {
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
const size_t map_nst_keys = ARRAY_SIZE(map_st_keys);

void map_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
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
		map_rx_free(x->re);
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
	map_names_free(t->attrs, t->nattrs);
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

void map_add_name(char ***names, size_t *n, const char *name)
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
	if (!map_read_delimited(s, &i, &re, true)) {
		err = xasprintf("position %zu: the expression of '%s' has no closing '/'", pos,
				def->name);
		goto out;
	}
	/* replace: TEXT runs from the slash that closed RE to the next unescaped one */
	if (def->kind == XF_REPLACE) {
		i--;
		if (!map_read_delimited(s, &i, &text, false)) {
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
	x->re = map_rx_new(re.buf, icase, false, &rerr);
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
		tb = map_table_by_name(cs->m, a);
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
		if (strcmp(map_nat_fields[k].name, field) == 0)
			a->skey = k;
	if (a->skey < 0) {
		for (int k = 0; k < NF_N; k++)
			sb_addf(&names, "%s%s", k ? ", " : "", map_nat_fields[k].name);
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
			for (size_t k = 0; k < map_nst_keys; k++)
				if (strcmp(map_st_keys[k].key, name + 1) == 0)
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
			map_add_name(&t->attrs, &t->nattrs, name);
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

struct map_template *map_compile_in(const char *text, struct mapper *m, enum nat_use nat,
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
	return map_compile_in(text, NULL, NAT_OK, err);
}

/* Whether t reads a field of the national directory. */
bool map_reads_national(const struct map_template *t)
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
		map_add_name(names, n, t->attrs[i]);
}
