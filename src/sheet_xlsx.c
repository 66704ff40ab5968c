/*
 * sheet_xlsx.c - the XLSX reader of sheet.h, on libzip and expat: the archive and its parts.
 * What the elements of each part mean is in sheet_xlsx_xml.c.
 *
 * Opening reads [Content_Types].xml (which part is the workbook), the workbook and its
 * relationships (the first worksheet, the shared strings, the styles), the styles (which cell
 * formats are dates) and the shared strings. The worksheet is then streamed: each sheet_next()
 * feeds expat chunks of the part until a </row> suspends the parser, so memory does not grow
 * with the file. Every part has a cap on its uncompressed bytes (zip bombs); a DTD is refused
 * (entity expansion); expat's own memory is capped (one huge token).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "sheet_xlsx_int.h"

#define CHUNK 65536          /* bytes fed to expat at a time */

/* ------------------------------------------------------------------------------------------ */
/* expat's memory, capped: a file cannot make it buffer a gigabyte-long token. Counted per
 * thread; sheet_xlsx sets the cap before each call into expat. */

#define MHDR 16
static __thread size_t mem_used, mem_cap;

static void *mem_malloc(size_t n)
{
	size_t *h;

	if (n > mem_cap || mem_used > mem_cap - n)
		return NULL;
	h = malloc(n + MHDR);
	if (!h)
		return NULL;
	*h = n;
	mem_used += n;
	return (char *)h + MHDR;
}

static void mem_free(void *p)
{
	size_t *h;

	if (!p)
		return;
	h = (size_t *)(void *)((char *)p - MHDR);
	mem_used -= *h;
	free(h);
}

static void *mem_realloc(void *p, size_t n)
{
	size_t *h, old;

	if (!p)
		return mem_malloc(n);
	h = (size_t *)(void *)((char *)p - MHDR);
	old = *h;
	if (n > old && (n - old > mem_cap || mem_used > mem_cap - (n - old)))
		return NULL;
	h = realloc(h, n + MHDR);
	if (!h)
		return NULL;
	mem_used = mem_used - old + n;
	*h = n;
	return (char *)h + MHDR;
}

static const XML_Memory_Handling_Suite mem_suite = { mem_malloc, mem_realloc, mem_free };

/* ------------------------------------------------------------------------------------------ */
/* Parts: names */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Join dir(base) and target, resolving "." and ".."; a leading '/' starts from the root.
 * NULL when ".." climbs above the root. */
static char *part_resolve(const char *base, const char *target)
{
	struct strbuf in = { 0 }, out = { 0 };
	const char *slash = strrchr(base, '/');
	char *seg, *save = NULL, *ret = NULL;

	if (target[0] != '/' && slash)
		sb_addn(&in, base, (size_t)(slash - base + 1));
	sb_add(&in, target);
	sb_addn(&out, "", 0);
	for (seg = strtok_r(in.buf, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			char *cut = strrchr(out.buf, '/');

			if (!out.len)
				goto out;
			out.len = cut ? (size_t)(cut - out.buf) : 0;
			out.buf[out.len] = '\0';
			continue;
		}
		if (out.len)
			sb_addc(&out, '/');
		sb_add(&out, seg);
	}
	ret = out.len ? sb_steal(&out) : NULL;
out:
	sb_free(&in);
	sb_free(&out);
	return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* Reading a part */

/* "file: part: msg" (msg is freed), errno EINVAL. */
static char *part_error(struct sheet *s, char *msg)
{
	char *e = xasprintf("%s: %s: %s", s->path, s->x->part, msg);

	free(msg);
	errno = EINVAL;
	return e;
}

static void part_close(struct xlsx *x)
{
	if (x->p) {
		mem_cap = SIZE_MAX;
		XML_ParserFree(x->p);
		x->p = NULL;
	}
	if (x->zf)
		zip_fclose(x->zf);
	x->zf = NULL;
	free(x->part);
	x->part = NULL;
	free(x->err);
	x->err = NULL;
}

/* Open part name: 0, 1 when the archive has no such part, -1 on error (*err). */
static int part_open(struct sheet *s, const char *name, enum part_kind kind, uint64_t cap,
		     char **err)
{
	struct xlsx *x = s->x;
	zip_int64_t i = zip_name_locate(x->za, name, ZIP_FL_NOCASE);

	part_close(x);
	if (i < 0)
		return 1;
	x->part = xstrdup(name);
	x->kind = kind;
	x->nread = 0;
	x->cap = cap;
	x->zf = zip_fopen_index(x->za, (zip_uint64_t)i, 0);
	if (!x->zf) {
		*err = part_error(s, xstrdup(zip_error_strerror(zip_get_error(x->za))));
		return -1;
	}
	mem_cap = s->lim.xml_memory;
	x->p = XML_ParserCreate_MM(NULL, &mem_suite, "|");
	if (!x->p) {
		*err = part_error(s, xstrdup(_("cannot create an XML parser")));
		return -1;
	}
	sheet_xlsx_handlers(x->p, s);
	return 0;
}

/* Feed one chunk, or resume a suspended parse: 1 to go on, 0 at the end, -1 on error. */
static int part_step(struct sheet *s, char **err)
{
	struct xlsx *x = s->x;
	XML_ParsingStatus ps;
	enum XML_Status st;
	zip_uint64_t want;
	zip_int64_t n;
	void *buf;

	XML_GetParsingStatus(x->p, &ps);
	if (ps.parsing == XML_FINISHED)
		return 0;
	mem_cap = s->lim.xml_memory;
	if (ps.parsing == XML_SUSPENDED) {
		st = XML_ResumeParser(x->p);
	} else {
		buf = XML_GetBuffer(x->p, CHUNK);
		if (!buf) {
			*err = part_error(s, xasprintf(_("over the XML memory cap (%zu bytes)"),
							    s->lim.xml_memory));
			return -1;
		}
		/* up to the cap, then one byte more to see whether there is more */
		want = x->cap - x->nread < CHUNK ? x->cap - x->nread : CHUNK;
		n = zip_fread(x->zf, buf, want ? want : 1);
		if (n < 0) {
			*err = part_error(s, xasprintf(_("cannot read it: %s (damaged or "
							    "truncated file?)"),
							  zip_file_strerror(x->zf)));
			return -1;
		}
		x->nread += (uint64_t)n;
		if (x->nread > x->cap) {
			*err = part_error(s, xasprintf(_("more than %llu bytes once uncompressed: "
							    "refused (a ZIP bomb?)"),
							  (unsigned long long)x->cap));
			return -1;
		}
		st = XML_ParseBuffer(x->p, (int)n, n == 0);
	}
	if (st == XML_STATUS_ERROR) {
		enum XML_Error code = XML_GetErrorCode(x->p);

		*err = part_error(s, xasprintf(_("line %lu: %s"),
						  (unsigned long)XML_GetCurrentLineNumber(x->p),
						  x->err ? x->err : code == XML_ERROR_NO_MEMORY ?
						  _("over the XML memory cap (a huge token?)") :
						  XML_ErrorString(code)));
		return -1;
	}
	XML_GetParsingStatus(x->p, &ps);
	return ps.parsing != XML_FINISHED;
}

/* Parse a whole part: 0, 1 when absent, -1 on error. */
static int part_parse(struct sheet *s, const char *name, enum part_kind kind, uint64_t cap,
		      char **err)
{
	int rc = part_open(s, name, kind, cap, err);

	if (rc == 0)
		do
			rc = part_step(s, err);
		while (rc == 1);
	part_close(s->x);
	return rc;
}

/* ------------------------------------------------------------------------------------------ */
/* Opening */

static const struct rel *rel_by_id(const struct xlsx *x, const char *id)
{
	for (size_t i = 0; i < x->nrels; i++)
		if (strcmp(x->rels[i].id, id) == 0)
			return &x->rels[i];
	return NULL;
}

static const struct rel *rel_by_type(const struct xlsx *x, const char *suffix)
{
	for (size_t i = 0; i < x->nrels; i++)
		if (ends_with(x->rels[i].type, suffix))
			return &x->rels[i];
	return NULL;
}

static char *not_xlsx(struct sheet *s, const char *why)
{
	errno = EINVAL;
	return xasprintf(_("%s: not a readable XLSX file: %s"), s->path, why);
}

static int zip_failed(struct sheet *s, int code, char **err)
{
	zip_error_t ze;

	zip_error_init_with_code(&ze, code);
	if (zip_error_system_type(&ze) == ZIP_ET_SYS && zip_error_code_system(&ze)) {
		*err = xasprintf("%s: %s", s->path, strerror(zip_error_code_system(&ze)));
		errno = zip_error_code_system(&ze);
	} else {
		*err = xasprintf(_("%s: not a readable XLSX file: the ZIP archive is damaged or "
				   "truncated (%s)"), s->path, zip_error_strerror(&ze));
		errno = EINVAL;
	}
	zip_error_fini(&ze);
	return -1;
}

/* Workbook, relationships, styles, shared strings; then the worksheet, ready to stream. */
static int open_parts(struct sheet *s, char **err)
{
	struct xlsx *x = s->x;
	const struct rel *r = NULL;
	char *rels = NULL, *sheet = NULL, *part = NULL;
	const char *slash;
	int rc, ret = -1;

	rc = part_parse(s, "[Content_Types].xml", P_TYPES, s->lim.part_bytes, err);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		bool odf = zip_name_locate(x->za, "content.xml", 0) >= 0 &&
			   zip_name_locate(x->za, "mimetype", 0) >= 0;

		*err = not_xlsx(s, odf ? _("an OpenDocument file (ODS?): save it as XLSX or CSV") :
				_("a ZIP archive without [Content_Types].xml"));
		goto out;
	}
	if (!x->wb) {
		*err = not_xlsx(s, x->xlsb ? _("an XLSB (binary) workbook: save it as XLSX") :
				_("[Content_Types].xml names no workbook: not a spreadsheet"));
		goto out;
	}
	rc = part_parse(s, x->wb, P_WORKBOOK, s->lim.part_bytes, err);
	if (rc == 1)
		*err = not_xlsx(s, _("the workbook part named in [Content_Types].xml is missing"));
	if (rc)
		goto out;
	slash = strrchr(x->wb, '/');
	rels = xasprintf("%.*s_rels/%s.rels", slash ? (int)(slash - x->wb + 1) : 0, x->wb,
			 slash ? slash + 1 : x->wb);
	rc = part_parse(s, rels, P_RELS, s->lim.part_bytes, err);
	if (rc == 1)
		*err = not_xlsx(s, _("the workbook has no relationships part"));
	if (rc)
		goto out;
	for (size_t i = 0; i < x->nsheets && !sheet; i++) {
		r = rel_by_id(x, x->sheets[i].rid);
		if (r && ends_with(r->type, "/worksheet")) {
			sheet = part_resolve(x->wb, r->target);
			s->name = xstrdup(x->sheets[i].name);
		}
	}
	if (!sheet) {
		*err = not_xlsx(s, _("the workbook has no worksheet"));
		goto out;
	}
	r = rel_by_type(x, "/styles");
	if (r && (part = part_resolve(x->wb, r->target)) != NULL &&
	    part_parse(s, part, P_STYLES, s->lim.part_bytes, err) < 0)
		goto out;
	sheet_xlsx_resolve_styles(x);
	free(part);
	part = NULL;
	r = rel_by_type(x, "/sharedStrings");
	if (r && (part = part_resolve(x->wb, r->target)) != NULL &&
	    part_parse(s, part, P_SST, s->lim.sst_part_bytes, err) < 0)
		goto out;
	rc = part_open(s, sheet, P_SHEET, s->lim.sheet_bytes, err);
	if (rc == 1)
		*err = not_xlsx(s, _("the worksheet part is missing"));
	if (rc)
		goto out;
	ret = 0;
out:
	free(rels);
	free(sheet);
	free(part);
	return ret;
}

int sheet_xlsx_open(struct sheet *s, char **err)
{
	int code = 0;

	s->x = xcalloc(1, sizeof(*s->x));
	s->x->za = zip_open(s->path, ZIP_RDONLY | ZIP_CHECKCONS, &code);
	if (!s->x->za)
		return zip_failed(s, code, err);
	return open_parts(s, err);
}

int sheet_xlsx_next(struct sheet *s, char **err)
{
	struct xlsx *x = s->x;
	int rc;

	if (!x->p)
		return 0;
	x->row_ready = false;
	do {
		rc = part_step(s, err);
		if (rc < 0)
			return -1;
		if (x->row_ready)
			return 1;
	} while (rc == 1);
	return 0;
}

void sheet_xlsx_close(struct sheet *s)
{
	struct xlsx *x = s->x;

	if (!x)
		return;
	part_close(x);
	if (x->za)
		zip_discard(x->za);
	sheet_xlsx_xml_free(x);
	free(x);
	s->x = NULL;
}
