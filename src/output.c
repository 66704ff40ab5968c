/*
 * output.c - the loadusers writers. Both formats write a temporary file in a private directory
 * (mode 0700) beside the final one (mode 0600), fsync it, rename it and fsync the directory, so a reader sees either the
 * old file or the complete new one. XLSX goes through libxlsxwriter in constant-memory mode,
 * every cell a string; CSV is written here, UTF-8 or Windows-1252, lines ending in CRLF.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>
#include <zip.h>

#include "output.h"
#include "testhook.h"
#include "util.h"

#define CSV_FLUSH_AT 65536

/* "data row N (mail)" for messages; the mail only when it is short and readable. */
static char *row_label(const struct row *r, size_t i)
{
	const char *mail = row_get(r, COL_MAIL);
	size_t len = strlen(mail);

	if (len == 0)
		return xasprintf("data row %zu (no Adresse mail)", i + 1);
	if (len > 254 || !utf8_valid(mail, len))
		return xasprintf("data row %zu (unreadable Adresse mail)", i + 1);
	return xasprintf("data row %zu (%s)", i + 1, mail);
}

static char *cell_error(const struct row *r, size_t i, int c, const char *why)
{
	char *label = row_label(r, i);
	char *msg = xasprintf("%s, column \"%s\": %s", label, columns[c].header, why);

	free(label);
	return msg;
}

/* Length as Excel counts it: UTF-16 code units (a code point above U+FFFF counts two). */
static size_t utf16_units(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	for (; *p; p++) {
		if ((*p & 0xc0) != 0x80)
			n++;
		if (*p >= 0xf0)
			n++;
	}
	return n;
}

/* Every cell valid UTF-8 and, for XLSX, within the cell limit. */
static int check_rows(const char *path, const struct row *const *rows, size_t n, bool xlsx,
		      char **err)
{
	char *msg = NULL;
	int rc = -1;

	size_t i, units;
	int c;

	for (i = 0; i < n; i++) {
		for (c = 0; c < NCOLS; c++) {
			const char *v = row_get(rows[i], c);
			char *why;

			if (!utf8_valid(v, strlen(v))) {
				msg = cell_error(rows[i], i, c, "invalid UTF-8");
				goto out;
			}
			units = xlsx ? utf16_units(v) : 0;
			if (units > XLSX_CELL_MAX) {
				why = xasprintf("%zu characters, more than the %d an XLSX "
						"cell holds", units, XLSX_CELL_MAX);
				msg = cell_error(rows[i], i, c, why);
				free(why);
				goto out;
			}
		}
	}
	rc = 0;
out:
	if (msg)
		*err = xasprintf("%s: %s", path, msg);
	free(msg);
	return rc;
}

/* The output directory must be ours alone (dir_check_private), and the temporary file for
 * final_path is created in a private directory inside it. *err on failure. */
static int open_tmp(const char *final_path, char **tmp, char **err)
{
	char *dir = xstrdup(final_path), *why = NULL;
	int fd = -1;

	if (dir_check_private(dirname(dir), "output directory", &why) < 0) {
		*err = xasprintf("%s: %s", final_path, why);
		goto out;
	}
	fd = tmpfile_open(final_path, tmp);
	if (fd < 0)
		*err = xasprintf("%s: cannot create a temporary file: %s", final_path,
				 strerror(errno));
out:
	free(why);
	free(dir);
	return fd;
}

/* fsync the complete temporary file, then rename it into place. Consumes fd. */
static int commit(int fd, const char *tmp, const char *final_path, char **err)
{
	if (fsync(fd) < 0) {
		*err = xasprintf("%s: fsync: %s", tmp, strerror(errno));
		close(fd);
		tmpfile_discard(tmp);
		return -1;
	}
	test_crash_point("before-rename");
	if (tmpfile_commit(fd, tmp, final_path) < 0) {
		*err = xasprintf("%s: cannot commit %s: %s", final_path, tmp, strerror(errno));
		return -1;
	}
	return 0;
}

#define PART_HEAD 4096     /* enough for the XML declaration and the root's start tag */
#define PART_TAIL 256
#define PART_CHUNK 65536

/* Whether an XML part ends with the end tag of its root element: head holds its first bytes,
 * tail its last ones. */
static bool part_complete(const char *head, size_t hlen, const char *tail, size_t tlen)
{
	const char *p = head, *end = head + hlen, *name;
	size_t n;

	while (p < end && (p = memchr(p, '<', (size_t)(end - p))) && p + 1 < end &&
	       (p[1] == '?' || p[1] == '!'))
		p++;
	if (!p || p + 1 >= end)
		return false;
	name = ++p;
	while (p < end && !strchr(" \t\r\n/>", *p))
		p++;
	n = (size_t)(p - name);
	while (tlen > 0 && strchr(" \t\r\n", tail[tlen - 1]))
		tlen--;
	return n > 0 && p < end && tlen >= n + 3 && tail[tlen - n - 3] == '<' &&
	       tail[tlen - n - 2] == '/' && memcmp(tail + tlen - n - 1, name, n) == 0 &&
	       tail[tlen - 1] == '>';
}

/* Read one part through, keeping its head and its tail; false when it is cut short. */
static bool part_read(zip_file_t *zf, zip_uint64_t size, char *buf)
{
	char head[PART_HEAD], tail[PART_TAIL];
	size_t hlen = 0, tlen = 0, k;
	zip_uint64_t total = 0;
	zip_int64_t got;

	while ((got = zip_fread(zf, buf, PART_CHUNK)) > 0) {
		k = (size_t)got;
		total += k;
		if (hlen < sizeof(head)) {
			size_t c = k < sizeof(head) - hlen ? k : sizeof(head) - hlen;

			memcpy(head + hlen, buf, c);
			hlen += c;
		}
		if (k >= sizeof(tail)) {
			memcpy(tail, buf + k - sizeof(tail), sizeof(tail));
			tlen = sizeof(tail);
		} else {
			size_t keep = tlen + k > sizeof(tail) ? sizeof(tail) - k : tlen;

			memmove(tail, tail + tlen - keep, keep);
			memcpy(tail + keep, buf, k);
			tlen = keep + k;
		}
	}
	return got == 0 && total == size && part_complete(head, hlen, tail, tlen);
}

/* libxlsxwriter does not check every write to its own temporary files: one that failed for
 * want of room (a full disk, ulimit -f) leaves a truncated sheet in a zip that closes fine.
 * Read the workbook back: every XML part must be whole. *why (caller frees) on failure. */
static int check_parts(const char *path, char **why)
{
	zip_t *z;
	zip_file_t *zf;
	zip_stat_t zs;
	zip_int64_t n, i;
	char *buf = xmalloc(PART_CHUNK);
	const char *name, *dot;
	int zerr = 0, rc = -1;
	bool whole;

	z = zip_open(path, ZIP_RDONLY, &zerr);
	if (!z) {
		*why = xasprintf("cannot read it back: libzip error %d", zerr);
		goto out;
	}
	n = zip_get_num_entries(z, 0);
	for (i = 0; i < n; i++) {
		name = zip_get_name(z, (zip_uint64_t)i, 0);
		dot = name ? strrchr(name, '.') : NULL;
		if (!dot || (strcmp(dot, ".xml") != 0 && strcmp(dot, ".rels") != 0))
			continue;
		if (zip_stat_index(z, (zip_uint64_t)i, 0, &zs) < 0 ||
		    !(zs.valid & ZIP_STAT_SIZE) || !(zf = zip_fopen_index(z, (zip_uint64_t)i, 0))) {
			*why = xasprintf("cannot read back %s: %s", name, zip_strerror(z));
			goto out;
		}
		whole = part_read(zf, zs.size, buf);
		zip_fclose(zf);
		if (!whole) {
			*why = xasprintf("part %s is incomplete (a write failed: full disk or file "
					 "size limit?)", name);
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	if (z)
		zip_discard(z);
	return rc;
}

int xlsx_write_atomic(const char *final_path, const char *title, xlsx_fill_fn fill, void *arg,
		      char **err)
{
	lxw_doc_properties props = {
		.title = (char *)title,
		.author = "medimail-sync",
	};
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE };
	lxw_workbook *wb = NULL;
	lxw_error lerr = LXW_NO_ERROR;
	char *tmp = NULL, *dir = NULL, *why = NULL;
	const char *epoch;
	int fd, rc = -1;

	*err = NULL;
	fd = open_tmp(final_path, &tmp, err);
	if (fd < 0)
		goto out;
	/* libxlsxwriter reopens the path with "wb": truncating keeps the mode 0600, and the
	 * private directory keeps the name ours; its own temporary files go there too */
	close(fd);
	dir = xstrdup(tmp);
	opt.tmpdir = dirname(dir);
	wb = workbook_new_opt(tmp, &opt);
	if (!wb) {
		*err = xasprintf("%s: cannot start a workbook in %s", final_path, tmp);
		goto fail;
	}
	/* the creation date is the only varying byte: SOURCE_DATE_EPOCH pins it for tests */
	epoch = getenv("SOURCE_DATE_EPOCH");
	if (epoch && *epoch)
		props.created = (time_t)strtoll(epoch, NULL, 10);
	errno = 0;
	lerr = workbook_set_properties(wb, &props);
	if (!lerr)
		lerr = fill(wb, arg);
	if (lerr)
		goto lxw_fail;
	lerr = workbook_close(wb);
	wb = NULL;
	if (lerr)
		goto lxw_fail;
	if (check_parts(tmp, &why) < 0) {
		*err = xasprintf("%s: writing %s: %s", final_path, tmp, why);
		goto fail;
	}
	fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		*err = xasprintf("%s: cannot reopen: %s", tmp, strerror(errno));
		goto fail;
	}
	rc = commit(fd, tmp, final_path, err);
	goto out;
lxw_fail:
	/* libxlsxwriter's codes say little ("Zip generic error"): errno says "No space left" */
	if (errno)
		*err = xasprintf("%s: writing %s: %s (libxlsxwriter: %s)", final_path, tmp,
				 strerror(errno), lxw_strerror(lerr));
	else
		*err = xasprintf("%s: writing %s: %s", final_path, tmp, lxw_strerror(lerr));
fail:
	if (wb)
		lxw_workbook_free(wb);
	tmpfile_discard(tmp);
out:
	free(why);
	free(dir);
	free(tmp);
	return rc;
}

struct loadusers {
	const struct row *const *rows;
	size_t n;
};

static lxw_error fill_loadusers(lxw_workbook *wb, void *arg)
{
	const struct loadusers *lu = arg;
	lxw_worksheet *ws = workbook_add_worksheet(wb, "loadusers");
	lxw_error lerr = LXW_NO_ERROR;
	int c;

	if (!ws)
		return LXW_ERROR_MEMORY_MALLOC_FAILED;
	for (c = 0; c < NCOLS && !lerr; c++)
		lerr = worksheet_write_string(ws, 0, c, columns[c].header, NULL);
	/* strings only, so leading zeros survive; empty cells are left blank */
	for (size_t i = 0; i < lu->n && !lerr; i++) {
		for (c = 0; c < NCOLS && !lerr; c++) {
			const char *v = row_get(lu->rows[i], c);

			if (*v)
				lerr = worksheet_write_string(ws, i + 1, c, v, NULL);
		}
	}
	return lerr;
}

int output_write_xlsx(const char *final_path, const struct row *const *rows, size_t n,
		      char **err)
{
	struct loadusers lu = { rows, n };

	*err = NULL;
	if (n >= LXW_ROW_MAX) {
		*err = xasprintf("%s: %zu rows, more than one XLSX sheet holds", final_path, n);
		return -1;
	}
	if (check_rows(final_path, rows, n, true, err) < 0)
		return -1;
	return xlsx_write_atomic(final_path, "Medimail loadusers", fill_loadusers, &lu, err);
}

char *csv_cell(const char *v, char sep)
{
	struct strbuf sb = { 0 };
	bool quote, guard;
	const char *p;

	if (!v)
		v = "";
	quote = strchr(v, '"') || strchr(v, '\r') || strchr(v, '\n') ||
		(sep && strchr(v, sep));
	guard = *v && strchr("=+-@\t\r", *v);
	if (quote)
		sb_addc(&sb, '"');
	if (guard)
		sb_addc(&sb, '\'');
	for (p = v; *p; p++) {
		if (*p == '"')
			sb_addc(&sb, '"');
		sb_addc(&sb, *p);
	}
	if (quote)
		sb_addc(&sb, '"');
	return sb_steal(&sb);
}

/* Decode one code point of valid UTF-8; returns its length in bytes. */
static size_t utf8_next(const unsigned char *p, uint32_t *cp)
{
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] < 0xe0) {
		*cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		return 2;
	}
	if (p[0] < 0xf0) {
		*cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		return 3;
	}
	*cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
	      (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
	return 4;
}

/* Append s (valid UTF-8) converted to Windows-1252; *bad gets the first unmapped code point. */
static int add_cp1252(struct strbuf *sb, const char *s, uint32_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	int b;

	while (*p) {
		p += utf8_next(p, &cp);
		b = cp1252_byte(cp);
		if (b < 0) {
			*bad = cp;
			return -1;
		}
		sb_addc(sb, (char)b);
	}
	return 0;
}

/* Append one CSV line (36 cells, CRLF); r NULL means the header line. */
static int add_line(struct strbuf *sb, const struct row *r, size_t i, char sep, bool cp1252,
		    char **err)
{
	uint32_t bad = 0;
	char *cell, *why;
	int c, rc = 0;

	for (c = 0; c < NCOLS && rc == 0; c++) {
		cell = csv_cell(r ? row_get(r, c) : columns[c].header, sep);
		if (c > 0)
			sb_addc(sb, sep);
		if (!cp1252)
			sb_add(sb, cell);
		else if (add_cp1252(sb, cell, &bad) < 0) {
			why = xasprintf("character U+%04X cannot be written in windows-1252",
					(unsigned)bad);
			*err = r ? cell_error(r, i, c, why) :
				   xasprintf("header \"%s\": %s", columns[c].header, why);
			free(why);
			rc = -1;
		}
		free(cell);
	}
	sb_add(sb, "\r\n");
	return rc;
}

int output_write_csv(const char *final_path, const struct row *const *rows, size_t n,
		     const struct conf_output *o, char **err)
{
	struct strbuf sb = { 0 };
	const char *enc = o && o->csv_encoding ? o->csv_encoding : "utf-8";
	char sep = o && o->csv_separator && o->csv_separator[0] ? o->csv_separator[0] : ';';
	char *tmp = NULL, *msg = NULL;
	bool cp1252 = false;
	size_t i;
	int fd = -1, rc = -1;

	*err = NULL;
	if (!strcasecmp(enc, "windows-1252") || !strcasecmp(enc, "cp1252"))
		cp1252 = true;
	else if (strcasecmp(enc, "utf-8") && strcasecmp(enc, "utf8")) {
		*err = xasprintf("%s: unknown CSV encoding \"%s\"", final_path, enc);
		goto out;
	}
	if (!conf_csv_separator_ok((const char[]){ sep, '\0' })) {
		*err = xasprintf("%s: unusable CSV separator", final_path);
		goto out;
	}
	if (check_rows(final_path, rows, n, false, err) < 0)
		goto out;
	fd = open_tmp(final_path, &tmp, err);
	if (fd < 0)
		goto out;
	/* a UTF-8 BOM makes Excel read UTF-8; it means nothing in windows-1252 */
	if (o && o->csv_bom && !cp1252)
		sb_add(&sb, "\xef\xbb\xbf");
	if (add_line(&sb, NULL, 0, sep, cp1252, &msg) < 0)
		goto fail;
	for (i = 0; i <= n; i++) {
		if (i == n || sb.len >= CSV_FLUSH_AT) {
			if (sb.len && fd_write_all(fd, sb.buf, sb.len) < 0) {
				msg = xasprintf("write: %s", strerror(errno));
				goto fail;
			}
			sb.len = 0;
		}
		if (i < n && add_line(&sb, rows[i], i, sep, cp1252, &msg) < 0)
			goto fail;
	}
	rc = commit(fd, tmp, final_path, err);
	fd = -1;
	goto out;
fail:
	*err = xasprintf("%s: %s", final_path, msg);
	close(fd);
	tmpfile_discard(tmp);
out:
	free(msg);
	sb_free(&sb);
	free(tmp);
	return rc;
}
