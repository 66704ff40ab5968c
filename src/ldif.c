/*
 * ldif.c - the LDIF source's reader: our own reader of RFC 2849 content records. libldap's
 * LDIF parser trusts its input (a "-" line, a line starting with ':' and a record number alone
 * crashed it or were skipped) and reads the local file a ":<" URL value names. Entries are all
 * we read, so the reader is small: records separated by blank lines, comments, folded lines,
 * "name: value" and "name:: base64". Change records, controls and URL values are refused, and
 * so are a line or a record over the caps of ldif.h. Every error names the file and the line
 * at fault.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "ldif.h"
#include "log.h"

struct ldif_line {
	struct strbuf text;        /* one logical line, unfolded */
	unsigned long no;          /* its first physical line */
};

/* The entries read so far, in file order, and their normalised DNs. */
struct ldif_set {
	const char *where;         /* the file's path, the prefix of every message */
	struct entry *ents;
	char **ndns;
	size_t nents, cap;
};

struct ldif_reader {
	struct ldif_set *s;
	FILE *fp;
	unsigned long no;          /* physical lines read */
	struct strbuf phys;        /* the last one, without its end of line */
	struct ldif_line *lines;   /* the current record: lines[0 .. n - 1] (buffers reused) */
	size_t n, cap, bytes;
	bool comment;              /* the last line was a comment: its continuations go too */
	bool first;                /* no record taken yet: "version: 1" may open the file */
};

static void ldif_malformed(const struct ldif_reader *r, unsigned long no, const char *why)
{
	log_err("%s:%lu: malformed LDIF record: %s", r->s->where, no, why);
}

static void ldif_too_long(const struct ldif_reader *r, unsigned long no)
{
	log_err("%s:%lu: attribute line longer than %zu bytes: refused (no directory value is "
		"that large)", r->s->where, no, (size_t)LDIF_LINE_MAX);
}

/* Read a physical line into r->phys. 1 = a line, 0 = end of file, -1 = error (logged). */
WUR static int ldif_phys(struct ldif_reader *r)
{
	int c = getc_unlocked(r->fp);

	r->phys.len = 0;
	if (c == EOF)
		goto end;
	r->no++;
	for (; c != EOF && c != '\n'; c = getc_unlocked(r->fp)) {
		if (c == '\0') {
			ldif_malformed(r, r->no, "a NUL byte (binary values are base64: \"name::\")");
			return -1;
		}
		if (r->phys.len >= LDIF_LINE_MAX) {
			ldif_too_long(r, r->no);
			return -1;
		}
		sb_addc(&r->phys, (char)c);
	}
	if (r->phys.len && r->phys.buf[r->phys.len - 1] == '\r')
		r->phys.buf[--r->phys.len] = '\0';
	if (c == EOF && ferror(r->fp))
		goto end;
	return 1;
end:
	if (ferror(r->fp)) {
		log_err("%s:%lu: cannot read the LDIF file: %s", r->s->where, r->no + 1,
			strerror(errno));
		return -1;
	}
	return 0;
}

static int b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decode base64 in place (the result is never longer). Returns its length, or -1. */
static ssize_t b64_decode(char *s, size_t len)
{
	size_t out = 0, n = 0, pad = 0;
	unsigned int acc = 0, bits = 0;

	for (size_t i = 0; i < len; i++) {
		int d = b64_digit((unsigned char)s[i]);

		if (s[i] == '=' && (n + pad) % 4 >= 2) {
			pad++;
			continue;
		}
		if (d < 0 || pad)
			return -1;
		n++;
		acc = (acc << 6 | (unsigned int)d) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			s[out++] = (char)(acc >> bits & 0xff);
		}
	}
	if (n % 4 == 1 || (pad && (n + pad) % 4))
		return -1;
	return (ssize_t)out;
}

/* Split a logical line "name: value" or "name:: base64" (decoded in place). Returns NULL and
 * sets *namelen, *val, *vlen; or why the line is malformed. *url: a ":<" value. */
static const char *ldif_split(char *text, size_t len, size_t *namelen, char **val,
			      size_t *vlen, bool *url)
{
	static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789-.;";
	size_t name = strspn(text, name_chars), v;
	bool b64;

	*url = false;
	if (!name || !isalnum((unsigned char)text[0]) || text[name] != ':')
		return "expected \"attribute: value\"";
	*namelen = name;
	v = name + 1;
	b64 = text[v] == ':';
	if (text[v] == '<') {
		*url = true;
		return NULL;
	}
	if (b64)
		v++;
	v += strspn(text + v, " ");
	*val = text + v;
	*vlen = len - v;
	if (b64) {
		ssize_t n;

		while (*vlen && (*val)[*vlen - 1] == ' ')
			(*vlen)--;
		n = b64_decode(*val, *vlen);
		if (n < 0)
			return "bad base64 value";
		*vlen = (size_t)n;
		(*val)[n] = '\0';
	}
	return NULL;
}

/* Convert the record read (r->lines): 0 = done or nothing to do, -1 = error (logged). */
WUR static int ldif_take(struct ldif_reader *r)
{
	struct ldif_set *s = r->s;
	struct entry *e = NULL;
	size_t i = 0, namelen, vlen;
	unsigned long first;
	const char *why;
	char *val;
	bool url;
	int ret = -1;

	if (r->n == 0)
		return 0;
	first = r->lines[0].no;
	for (i = 0; i < r->n; i++) {
		struct ldif_line *l = &r->lines[i];

		why = ldif_split(l->text.buf, l->text.len, &namelen, &val, &vlen, &url);
		if (why) {
			ldif_malformed(r, l->no, why);
			goto out;
		}
		if (url) {
			log_err("%s:%lu: a value given as a URL (\":<\") is refused: an export holds "
				"its values", s->where, l->no);
			goto out;
		}
		if (i == 0 && r->first && namelen == 7 && !strncasecmp(l->text.buf, "version", 7)) {
			if (vlen != 1 || val[0] != '1') {
				ldif_malformed(r, l->no, "unsupported LDIF version (only 1)");
				goto out;
			}
			r->first = false;
			if (r->n == 1)
				break;
			first = r->lines[1].no;
			continue;
		}
		r->first = false;
		if (!e) {
			if (namelen != 2 || strncasecmp(l->text.buf, "dn", 2)) {
				ldif_malformed(r, l->no, "the record does not start with a dn: line");
				goto out;
			}
			if (memchr(val, '\0', vlen)) {
				ldif_malformed(r, l->no, "a NUL byte in the dn");
				goto out;
			}
			xgrow(&s->ents, &s->cap, s->nents + 1, sizeof(*s->ents));
			s->ndns = xrealloc(s->ndns, s->cap * sizeof(*s->ndns));
			e = &s->ents[s->nents];
			memset(e, 0, sizeof(*e));
			e->dn = xstrndup(val, vlen);
			s->ndns[s->nents] = dn_normalise(e->dn);
			s->nents++;
			continue;
		}
		if ((namelen == 10 && !strncasecmp(l->text.buf, "changetype", 10)) ||
		    (namelen == 7 && !strncasecmp(l->text.buf, "control", 7))) {
			log_err("%s:%lu: %s: only entries are supported, not change records",
				s->where, first, e->dn);
			goto out;
		}
		attr_add_value(e, entry_attr_add(e, l->text.buf, namelen), val, vlen);
	}
	ret = 0;
out:
	r->n = 0;
	r->bytes = 0;
	r->comment = false;
	return ret;
}

WUR static int ldif_load(struct ldif_set *s)
{
	struct ldif_reader r = { .s = s, .first = true };
	int rc, ret = -1;

	r.fp = fopen(s->where, "re");
	if (!r.fp) {
		log_err("%s: cannot open the LDIF file: %s", s->where, strerror(errno));
		goto out;
	}
	while ((rc = ldif_phys(&r)) > 0) {
		const char *p = r.phys.buf;
		struct ldif_line *l;

		if (r.phys.len == 0) {         /* a blank line ends the record */
			if (ldif_take(&r) < 0)
				goto out;
			continue;
		}
		r.bytes += r.phys.len + 1;
		if (r.bytes > LDIF_RECORD_MAX) {
			log_err("%s:%lu: record longer than %zu bytes: refused", s->where,
				r.n ? r.lines[0].no : r.no, (size_t)LDIF_RECORD_MAX);
			goto out;
		}
		if (p[0] == '#') {
			r.comment = true;
		} else if (p[0] == ' ' && r.comment) {
			continue;
		} else if (p[0] == ' ') {
			if (!r.n) {
				ldif_malformed(&r, r.no, "a continuation line (starting with a "
					       "space) with no line before it");
				goto out;
			}
			l = &r.lines[r.n - 1];
			if (l->text.len + r.phys.len - 1 > LDIF_LINE_MAX) {
				ldif_too_long(&r, l->no);
				goto out;
			}
			sb_addn(&l->text, p + 1, r.phys.len - 1);
		} else {
			r.comment = false;
			if (r.n == r.cap) {
				xgrow(&r.lines, &r.cap, r.n + 1, sizeof(*r.lines));
				memset(r.lines + r.n, 0, (r.cap - r.n) * sizeof(*r.lines));
			}
			l = &r.lines[r.n++];
			l->no = r.no;
			l->text.len = 0;
			sb_addn(&l->text, p, r.phys.len);
		}
	}
	if (rc < 0 || ldif_take(&r) < 0)
		goto out;
	log_debug("%s: %zu entries", s->where, s->nents);
	ret = 0;
out:
	for (size_t i = 0; i < r.cap; i++)
		sb_free(&r.lines[i].text);
	free(r.lines);
	sb_free(&r.phys);
	if (r.fp)
		fclose(r.fp);
	return ret;
}

int ldif_read(const char *path, struct entry **ents, char ***ndns, size_t *n)
{
	struct ldif_set s = { .where = path };

	if (ldif_load(&s) < 0) {
		for (size_t i = 0; i < s.nents; i++) {
			entry_free(&s.ents[i]);
			free(s.ndns[i]);
		}
		free(s.ents);
		free(s.ndns);
		return -1;
	}
	*ents = s.ents;
	*ndns = s.ndns;
	*n = s.nents;
	return 0;
}
