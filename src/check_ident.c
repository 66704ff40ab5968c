/*
 * check_ident.c - the shapes of single values in the Medimail rules: identifier keys (RPPS,
 * ADELI, FINESS, SIREN, SIRET), telephone numbers, dates, mail addresses, CP and département,
 * and the transliteration of letters Windows-1252 lacks. Pure functions.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_int.h"
#include "check_data.h"

bool check_luhn(const char *digits)
{
	size_t n = strlen(digits), i;
	unsigned sum = 0;

	if (n == 0 || !all_digits(digits, n))
		return false;
	for (i = 0; i < n; i++) {
		unsigned x = (unsigned)(digits[n - 1 - i] - '0');

		if (i & 1) {
			x *= 2;
			if (x > 9)
				x -= 9;
		}
		sum += x;
	}
	return sum % 10 == 0;
}

bool check_rpps(const char *s)
{
	return all_digits(s, 11) && check_luhn(s);
}

bool check_adeli(const char *s)
{
	return all_digits(s, 9) && check_luhn(s);
}

int check_finess(const char *s)
{
	if (strlen(s) != 9)
		return 0;
	if (s[0] == '2' && (s[1] == 'A' || s[1] == 'B') && all_digits(s + 2, 7))
		return 2;
	return all_digits(s, 9) && check_luhn(s) ? 1 : 0;
}

bool check_siren(const char *s)
{
	return all_digits(s, 9) && check_luhn(s);
}

bool check_siret(const char *s)
{
	unsigned sum = 0;

	if (!all_digits(s, 14))
		return false;
	if (check_luhn(s))
		return true;
	/* La Poste: establishments share one SIREN; their NIC makes the digit sum a multiple
	 * of 5 instead (the head office follows Luhn) */
	if (strncmp(s, "356000000", 9) != 0 || strcmp(s, "35600000000048") == 0)
		return false;
	for (const char *p = s; *p; p++)
		sum += (unsigned)(*p - '0');
	return sum % 5 == 0;
}

bool check_phone(const char *s)
{
	return all_digits(s, 10) && s[0] == '0';
}

static bool two_digits(const char *s)
{
	return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9';
}

bool check_date(const char *s)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) != 8 || s[2] != '-' || s[5] != '-' || !two_digits(s) || !two_digits(s + 3) ||
	    !two_digits(s + 6))
		return false;
	y = 2000 + (s[0] - '0') * 10 + (s[1] - '0');
	m = (s[3] - '0') * 10 + (s[4] - '0');
	d = (s[6] - '0') * 10 + (s[7] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return !(m == 2 && d == 29 && y % 4 != 0);   /* 2000-2099: every fourth year is leap */
}

static bool is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* RFC 5321 Dot-string: atoms of atext separated by single dots, at most 64 octets. */
static bool dot_string(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!is_atext(s[i])) {
			return false;
		}
	}
	return true;
}

/* Domain: at least two LDH labels of 1-63 octets, no hyphen at either end of a label. */
static bool domain_ok(const char *s)
{
	size_t n = strlen(s), lab = 0, nlabels = 1, i;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-')
				return false;
			if (c == '.')
				nlabels++;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-') || (lab == 0 && c == '-'))
			return false;
		lab++;
	}
	return nlabels >= 2;
}

bool check_mailbox_syntax(const char *s)
{
	const char *at = strrchr(s, '@');

	if (!at || strlen(s) > 254)
		return false;
	return dot_string(s, (size_t)(at - s)) && domain_ok(at + 1);
}

bool check_has_ascii_upper(const char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return true;
	return false;
}

bool check_mailbox(const char *s)
{
	return check_mailbox_syntax(s) && !check_has_ascii_upper(s);
}

bool check_local_part(const char *s)
{
	return dot_string(s, strlen(s));
}

/* Départements by code: "01".."95" by number, "2A"/"2B", "971".."976" by last digit. The
 * table is built at the first call (a postal code is checked several times per person). */
static const struct code_entry *find_dep(const char *code, size_t n)
{
	static const struct code_entry *two[100], *corsica[2], *overseas[10];
	static bool built;

	if (!built) {
		for (size_t i = 0; i < data_ndepartements; i++) {
			const char *c = data_departements[i].code;
			size_t len = strlen(c);

			if (len == 2 && is_digit(c[0]) && is_digit(c[1]))
				two[(c[0] - '0') * 10 + c[1] - '0'] = &data_departements[i];
			else if (len == 2 && c[0] == '2' && (c[1] == 'A' || c[1] == 'B'))
				corsica[c[1] - 'A'] = &data_departements[i];
			else if (len == 3 && c[0] == '9' && c[1] == '7' && is_digit(c[2]))
				overseas[c[2] - '0'] = &data_departements[i];
		}
		built = true;
	}
	if (n == 2 && is_digit(code[0]) && is_digit(code[1]))
		return two[(code[0] - '0') * 10 + code[1] - '0'];
	if (n == 2 && code[0] == '2' && (code[1] == 'A' || code[1] == 'B'))
		return corsica[code[1] - 'A'];
	if (n == 3 && code[0] == '9' && code[1] == '7' && is_digit(code[2]))
		return overseas[code[2] - '0'];
	return NULL;
}

const char *check_cp_departement(const char *cp)
{
	const struct code_entry *d;

	if (!cp || !all_digits(cp, 5))
		return NULL;
	for (size_t i = 0; i < data_ncp_exceptions; i++)
		if (!data_cp_exceptions[i].shared && strcmp(data_cp_exceptions[i].cp, cp) == 0)
			return data_cp_exceptions[i].dep;
	if (strncmp(cp, "20", 2) == 0)
		return strcmp(cp, "20200") < 0 ? "2A" : "2B";
	/* overseas: three-digit départements 971-976; 98xxx (Monaco, COM) have none */
	d = (cp[0] == '9' && (cp[1] == '7' || cp[1] == '8')) ? find_dep(cp, 3) : find_dep(cp, 2);
	return d ? d->code : NULL;
}

/* Is dep an acceptable département for cp (derived one or a listed exception)? */
bool check_cp_accepts(const char *cp, const char *dep)
{
	const char *want = check_cp_departement(cp);

	if (want && strcmp(want, dep) == 0)
		return true;
	for (size_t i = 0; i < data_ncp_exceptions; i++)
		if (strcmp(data_cp_exceptions[i].cp, cp) == 0 &&
		    strcmp(data_cp_exceptions[i].dep, dep) == 0)
			return true;
	return false;
}

const char *check_departement_region(const char *dep)
{
	const struct code_entry *d = dep ? find_dep(dep, strlen(dep)) : NULL;

	return d ? d->parent : NULL;
}

/* Decode the code point at p (valid UTF-8, not at its end); returns its length in bytes. */
size_t check_next_cp(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] < 0xe0 && p[1]) {
		*cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		return 2;
	}
	if (p[0] < 0xf0 && p[1] && p[2]) {
		*cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		return 3;
	}
	if (p[1] && p[2] && p[3]) {
		*cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
		      (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		return 4;
	}
	*cp = 0xfffd;           /* a truncated sequence: one byte at a time */
	return 1;
}

/* Latin Extended-A (U+0100..U+017F) letters without their marks; ' ' where Windows-1252 has
 * the letter itself (Œ, Š, Ÿ, Ž...) and so no transliteration is needed. */
static const char latin_ext_a[] =
	"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOo  "
	"RrRrRrSsSsSs  TtTtTtUuUuUuUuUuUuWwYy ZzZz  s";

/* The ASCII letter (or '-') transliterating code point cp, or 0 when there is none. */
static char translit_cp(uint32_t cp)
{
	if (cp >= 0x100 && cp <= 0x17f && latin_ext_a[cp - 0x100] != ' ')
		return latin_ext_a[cp - 0x100];
	switch (cp) {
	case 0x218: case 0x21a:              /* Ș Ț (Romanian comma below) */
		return cp == 0x218 ? 'S' : 'T';
	case 0x219: case 0x21b:
		return cp == 0x219 ? 's' : 't';
	case 0x2010: case 0x2011: case 0x2012: case 0x2212:   /* hyphens, figure dash, minus */
		return '-';
	default:
		return 0;
	}
}

char *check_transliterate(const char *v)
{
	struct strbuf sb = { 0 };
	const char *p = v;
	uint32_t cp;
	size_t n;
	char t;

	sb_add(&sb, "");
	while (*p) {
		n = check_next_cp(p, &cp);
		t = cp1252_byte(cp) < 0 ? translit_cp(cp) : 0;
		if (t)
			sb_addc(&sb, t);
		else
			sb_addn(&sb, p, n);
		p += n;
	}
	return sb_steal(&sb);
}
