/*
 * national_extract.c - reading the national directory's extracts: which file a configured
 * path or glob names and its identity, lines (from a file in chunks or from memory), fields
 * between "|" with UTF-8 checked, and the columns of a header line found by name. See
 * national.h for the format, national_int.h for the interfaces.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "national_int.h"

/* ---------------------------------------------------------------------------------------
 * Columns, by name. The first name is the ANS's; the second a variant seen in extracts.
 */
struct colspec {
	const char *name, *alias;
};

static const struct colspec act_cols[AC_NCOLS] = {
	[AC_TYPE] = { "Type d'identifiant PP", NULL },
	[AC_ID] = { "Identifiant PP", NULL },
	[AC_IDNAT] = { "Identification nationale PP", NULL },
	[AC_CIVEX_CODE] = { "Code civilité d'exercice", "Code civilité exercice" },
	[AC_CIVEX_LABEL] = { "Libellé civilité d'exercice", "Libellé civilité exercice" },
	[AC_CIV_CODE] = { "Code civilité", NULL },
	[AC_CIV_LABEL] = { "Libellé civilité", NULL },
	[AC_NOM] = { "Nom d'exercice", NULL },
	[AC_PRENOM] = { "Prénom d'exercice", NULL },
	[AC_PROF_CODE] = { "Code profession", NULL },
	[AC_PROF_LABEL] = { "Libellé profession", NULL },
	[AC_CAT_CODE] = { "Code catégorie professionnelle", NULL },
	[AC_CAT_LABEL] = { "Libellé catégorie professionnelle", NULL },
	[AC_SFT_CODE] = { "Code type savoir-faire", NULL },
	[AC_SFT_LABEL] = { "Libellé type savoir-faire", NULL },
	[AC_SF_CODE] = { "Code savoir-faire", NULL },
	[AC_SF_LABEL] = { "Libellé savoir-faire", NULL },
	[AC_MODE_CODE] = { "Code mode exercice", NULL },
	[AC_MODE_LABEL] = { "Libellé mode exercice", NULL },
	[AC_SECT_CODE] = { "Code secteur d'activité", NULL },
	[AC_SECT_LABEL] = { "Libellé secteur d'activité", NULL },
	[AC_SIRET] = { "Numéro SIRET site", NULL },
	[AC_SIREN] = { "Numéro SIREN site", NULL },
	[AC_FINESS] = { "Numéro FINESS site", NULL },
	[AC_FINESS_EJ] = { "Numéro FINESS établissement juridique", NULL },
	[AC_STRUCT_ID] = { "Identifiant technique de la structure", NULL },
	[AC_RS] = { "Raison sociale site", NULL },
	[AC_CP] = { "Code postal (coord. structure)", NULL },
	[AC_COMMUNE_CODE] = { "Code commune (coord. structure)", NULL },
	[AC_COMMUNE] = { "Libellé commune (coord. structure)", NULL },
};

static const struct colspec mss_cols[MC_NCOLS] = {
	[MC_BAL_TYPE] = { "Type de BAL", NULL },
	[MC_ADDRESS] = { "Adresse BAL", NULL },
	[MC_TYPE] = { "Type Identifiant PP", NULL },
	[MC_ID] = { "Identifiant PP", NULL },
	[MC_STRUCT_TYPE] = { "Type identifiant structure", NULL },
	[MC_STRUCT_ID] = { "Identification Structure", NULL },
	[MC_SERVICE] = { "Service de rattachement", NULL },
	[MC_RS] = { "Raison Sociale structure BAL", NULL },
};

/* ---------------------------------------------------------------------------------------
 * The line reader: a file read in chunks, or a buffer in memory.
 */
void nat_reader_mem(struct reader *r, const char *path, const char *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->fd = -1;
	r->buf = (char *)data;
	r->end = len;
	r->eof = true;
}

/* 1 and the next line (without its LF and a CR before it), 0 at the end, -1 on error. */
int nat_reader_next(struct reader *r, const char **line, size_t *len, bool *nl, char **err)
{
	char *p;
	ssize_t n;

	for (;;) {
		p = r->end > r->start ? memchr(r->buf + r->start, '\n', r->end - r->start) : NULL;
		if (p || r->eof) {
			if (!p && r->start == r->end)
				return 0;
			*line = r->buf + r->start;
			*len = (size_t)((p ? p : r->buf + r->end) - *line);
			*nl = p != NULL;
			r->start = p ? (size_t)(p - r->buf) + 1 : r->end;
			r->line++;
			if (*len > NAT_MAX_LINE) {
				nat_set_err(err, _("%s:%lu: line longer than %d bytes"), r->path,
					r->line, NAT_MAX_LINE);
				return -1;
			}
			if (*len && (*line)[*len - 1] == '\r')
				(*len)--;
			return 1;
		}
		if (r->end - r->start > NAT_MAX_LINE) {
			nat_set_err(err, _("%s:%lu: line longer than %d bytes"), r->path,
				    r->line + 1, NAT_MAX_LINE);
			return -1;
		}
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		do
			n = read(r->fd, r->buf + r->end, r->cap - r->end);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			nat_set_err(err, _("%s: cannot read: %s"), r->path, strerror(errno));
			return -1;
		}
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
}

/* ---------------------------------------------------------------------------------------
 * Splitting a line: fields between "|", UTF-8 checked on the way.
 */
/* Length of the valid UTF-8 sequence (2 to 4 bytes) at q, or 0 (RFC 3629: no overlong form,
 * no surrogate, nothing above U+10FFFF). */
static inline size_t utf8_seq(const unsigned char *q, size_t left)
{
	unsigned char c = q[0];

	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return left >= 2 && (q[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (left < 3 || (q[1] & 0xc0) != 0x80 || (q[2] & 0xc0) != 0x80 ||
		    (c == 0xe0 && q[1] < 0xa0) || (c == 0xed && q[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c < 0xf5) {
		if (left < 4 || (q[1] & 0xc0) != 0x80 || (q[2] & 0xc0) != 0x80 ||
		    (q[3] & 0xc0) != 0x80 || (c == 0xf0 && q[1] < 0x90) ||
		    (c == 0xf4 && q[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

#define SWAR_ONES 0x0101010101010101ULL
#define SWAR_HIGH 0x8080808080808080ULL

/* The high bit of each byte of w equal to c; exact up to the first such byte (little-endian:
 * the lowest bit set marks the first). */
static inline uint64_t swar_has(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (SWAR_ONES * c);

	return (x - SWAR_ONES) & ~x & SWAR_HIGH;
}

/* Split [line, line + n): out[slot[i]] receives field i when slot[i] >= 0 (i < nslot).
 * Returns the number of "|", or -1 with *bad the offset of invalid UTF-8 or a NUL byte. */
long nat_split_line(const char *line, size_t n, const int16_t *slot, size_t nslot,
		    struct field *out, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)line, *e = p + n, *q = p, *fs = p;
	size_t nf = 0, k;

	while (q < e) {
		unsigned char c;

		if (e - q >= 8) {
			/* skip to the first "|", NUL or non-ASCII byte of the next eight */
			uint64_t w = ld64(q);
			uint64_t m = (w & SWAR_HIGH) | swar_has(w, '|') | swar_has(w, 0);

			if (!m) {
				q += 8;
				continue;
			}
			q += __builtin_ctzll(m) >> 3;
		}
		c = *q;
		if (c >= 0x80) {
			k = utf8_seq(q, (size_t)(e - q));
			if (!k)
				goto bad;
			q += k;
			continue;
		}
		if (c == '|') {
			if (nf < nslot && slot[nf] >= 0)
				out[slot[nf]] = (struct field){ (const char *)fs,
								(size_t)(q - fs) };
			nf++;
			fs = q + 1;
		} else if (c == 0) {
			goto bad;
		}
		q++;
	}
	if (nf < nslot && slot[nf] >= 0)
		out[slot[nf]] = (struct field){ (const char *)fs, (size_t)(q - fs) };
	return (long)nf;
bad:
	*bad = (size_t)(q - p);
	return -1;
}

/* 0 when every column was found (where[j] >= 0), or -1 + *err naming the first missing one
 * and the header's names that were not recognised. */
static int missing_column(const char *path, const struct colspec *cols, size_t ncols,
			  const int16_t *where, const struct strbuf *unknown, char **err)
{
	for (size_t j = 0; j < ncols; j++) {
		if (where[j] >= 0)
			continue;
		nat_set_err(err, _("%s:1: column \"%s\" is missing from the header%s%s%s"), path,
			cols[j].name, unknown->len ? _(" (columns not recognised: ") : "",
			unknown->len ? unknown->buf : "", unknown->len ? ")" : "");
		return -1;
	}
	return 0;
}

int nat_parse_header(int kind, const char *path, const char *line, size_t n,
		     struct layout *lay, char **err)
{
	const struct colspec *cols = kind == KIND_ACT ? act_cols : mss_cols;
	size_t ncols = kind == KIND_ACT ? AC_NCOLS : MC_NCOLS;
	char *want[AC_NCOLS][2] = { { NULL } };
	int16_t where[AC_NCOLS];
	struct strbuf unknown = { 0 };
	const char *p = line, *e = line + n, *q;
	size_t i, j, nf = 0, bad;
	int rc = -1;

	if (n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
		p += 3;         /* a byte order mark */
	lay->hash = hash_bytes(line, n, HASH_SEED);
	for (i = 0; i < NAT_MAX_FIELDS; i++)
		lay->slot[i] = -1;
	if (nat_split_line(p, (size_t)(e - p), lay->slot, 0, NULL, &bad) < 0) {
		nat_set_err(err,
			    _("%s:1: invalid UTF-8 (or a NUL byte) at byte %zu of the header"),
			    path, bad + 1 + (size_t)(p - line));
		return -1;
	}
	for (i = 0; i < ncols; i++) {
		want[i][0] = utf8_fold(cols[i].name);
		want[i][1] = cols[i].alias ? utf8_fold(cols[i].alias) : NULL;
		where[i] = -1;
	}
	for (;; nf++) {
		char *raw, *f;
		bool known = false;

		q = memchr(p, '|', (size_t)(e - p));
		if (!q)
			q = e;
		if (nf >= NAT_MAX_FIELDS) {
			nat_set_err(err, _("%s:1: more than %d columns: not an extract"), path,
				NAT_MAX_FIELDS);
			goto out;
		}
		raw = xstrndup(p, (size_t)(q - p));
		f = utf8_fold(raw);
		for (j = 0; j < ncols && *f; j++) {
			if (strcmp(f, want[j][0]) != 0 && !(want[j][1] && !strcmp(f, want[j][1])))
				continue;
			known = true;
			if (where[j] >= 0) {
				nat_set_err(err, _("%s:1: column \"%s\" appears twice (columns %d "
					"and %zu)"), path, cols[j].name, where[j] + 1, nf + 1);
				free(raw);
				free(f);
				goto out;
			}
			where[j] = (int16_t)nf;
			lay->slot[nf] = (int16_t)j;
		}
		if (!known && *f)
			sb_addf(&unknown, "%s\"%s\"", unknown.len ? ", " : "", raw);
		free(raw);
		free(f);
		if (q == e)
			break;
		p = q + 1;
	}
	lay->nseps = nf;
	rc = missing_column(path, cols, ncols, where, &unknown, err);
out:
	for (i = 0; i < ncols; i++) {
		free(want[i][0]);
		free(want[i][1]);
	}
	sb_free(&unknown);
	return rc;
}

/* ---------------------------------------------------------------------------------------
 * The sources: the file a configured path or glob names, its identity and header line.
 */
void nat_source_free(struct source *s)
{
	free(s->path);
	memset(s, 0, sizeof(*s));
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file a path or glob names: the last match in byte order (the ANS's names end with the
 * extraction's date and time, YYYYMMDDhhmm). */
static char *resolve_glob(const char *pattern, const char *what, char **err)
{
	glob_t g;
	char *path = NULL;
	int rc;

	if (!strpbrk(pattern, "*?["))
		return xstrdup(pattern);
	rc = glob(pattern, GLOB_ERR, NULL, &g);
	if (rc == GLOB_NOMATCH) {
		nat_set_err(err, _("%s: no file matches (national-directory %s)"), pattern, what);
		return NULL;
	}
	if (rc != 0) {
		nat_set_err(err, _("%s: cannot search (national-directory %s): %s"), pattern, what,
			rc == GLOB_NOSPACE ? _("out of memory") : strerror(errno));
		return NULL;
	}
	qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), strp_cmp);
	path = xstrdup(g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	return path;
}

/* Resolve and stat a source, and hash its header line as the reader will see it. */
int nat_source_probe(const char *pattern, const char *what, struct source *s, char **err)
{
	struct reader r;
	const char *line;
	size_t len;
	bool nl;
	int fd = -1, rc = -1;

	memset(s, 0, sizeof(*s));
	s->path = resolve_glob(pattern, what, err);
	if (!s->path)
		return -1;
	fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &s->st) < 0) {
		nat_set_err(err, _("%s: cannot open (national-directory %s): %s"), s->path, what,
			strerror(errno));
		goto out;
	}
	if (!S_ISREG(s->st.st_mode)) {
		nat_set_err(err, _("%s: not a regular file (national-directory %s)"), s->path,
			    what);
		goto out;
	}
	memset(&r, 0, sizeof(r));
	r.path = s->path;
	r.fd = fd;
	r.cap = 64 * 1024;
	r.buf = xmalloc(r.cap);
	rc = nat_reader_next(&r, &line, &len, &nl, err);
	if (rc == 0)
		nat_set_err(err, _("%s: empty file: no header line"), s->path);
	if (rc > 0 && !nl && r.end == r.cap) {
		nat_set_err(err, _("%s:1: no end of line in the first 64 KiB: not an extract"),
			s->path);
		rc = -1;
	}
	if (rc > 0)
		s->header_hash = hash_bytes(line, len, HASH_SEED);
	rc = rc > 0 ? 0 : -1;
	free(r.buf);
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

