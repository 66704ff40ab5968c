/*
 * map_date.c - the date reader of the date transform and of a person's end date: LDAP
 * generalized time, Active Directory time, days or seconds since 1970, ISO 8601, DD/MM/YYYY.
 * Pure: no I/O.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "map_int.h"

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

/* A date and a time of day (seconds, zone applied) read up to p: nothing may follow, and the
 * date must be real and the time (bad) valid. */
static enum date_res date_time(const char *p, int y, int m, int d, long long secs, bool bad,
			       long long *out)
{
	if (*p || bad || !date_valid(y, m, d))
		return DATE_BAD;
	return date_ok(days_from_civil(y, m, d) * 86400 + secs, out);
}

/* After the seconds at p: a fraction (".5" or ",5") is skipped. */
static const char *skip_fraction(const char *p)
{
	if ((*p == '.' || *p == ',') && is_digit(p[1]))
		p += 1 + strspn(p + 1, "0123456789");
	return p;
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
	if (n >= 10)
		p = skip_fraction(p);
	if (!read_zone(p, false, &off, &p))
		return DATE_BAD;
	return date_time(p, y, m, d, hh * 3600 + mi * 60 + ss - off,
			 hh > 23 || mi > 59 || ss > 60, out);
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
			p = skip_fraction(p + 3);
		}
		if (!read_zone(p, true, &off, &p))
			return DATE_BAD;
	}
	return date_time(p, y, m, d, hh * 3600 + mi * 60 + ss - off,
			 hh > 23 || mi > 59 || ss > 60, out);
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
