/*
 * map_xform.c - the transforms of a template (upper, phone, idnat:, table:, replace:...): one
 * value in, one value out, with a finding when a value cannot be read. Pure: no I/O.
 */
#include "config.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "map_int.h"

char *map_digits(const char *in)
{
	struct strbuf sb = { 0 };

	for (; *in; in++)
		if (is_digit(*in))
			sb_addc(&sb, *in);
	return sb_steal(&sb);
}

/* Overseas country codes: the national significant number starts with one of prefixes
 * (the ARCEP national numbering plan's overseas prefixes, as libphonenumber lists them). */
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

static char *apply_table(const struct xform *xf, const char *cur, const struct xctx *x)
{
	const struct map_table *tb = xf->table;
	char *folded, *r;
	long k;

	if (str_empty(cur))
		return xstrdup("");
	folded = utf8_fold(cur);
	k = map_table_find(tb, folded);
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
		map_unmatched(x, tb->name, cur, folded);
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
	while (map_rx_match(xf->re, p, ng, pm, eflags)) {
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

/* date[:FORM]: the file's AA-MM-JJ, "" for "never", the value itself when unreadable. */
static char *apply_date(const struct xform *xf, const char *cur, const struct xctx *x)
{
	long long t;

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
}

/* Apply one transform to cur; returns a new string. */
char *map_apply_xform(const struct xform *xf, const char *cur, const struct xctx *x)
{
	regmatch_t pm[2];
	bool ok;
	char *r;

	if ((xf->kind == XF_MATCH || xf->kind == XF_REPLACE || xf->kind == XF_TABLE) &&
	    map_too_long(cur)) {
		r = map_value_head(cur, strlen(cur));
		emit(x, MF_LONG, r, _("a value of %zu bytes is longer than the %d that %s reads; "
				      "value dropped"), strlen(cur), MAP_VALUE_MAX, xf->label);
		free(r);
		return xstrdup("");
	}
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
		return apply_date(xf, cur, x);
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
		if (!map_rx_match(xf->re, cur, 2, pm, 0) || pm[xf->a].rm_so < 0)
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
