/*
 * fuzz_sheet_xlsx.c - the XLSX reader of sheet_xlsx.c and sheet_xlsx_xml.c.
 *
 * Random bytes rarely make a ZIP whose checksums hold, so most inputs are the XML parts
 * themselves, separated by a line "@@PART@@", in this order: the worksheet, the shared
 * strings, the styles, the workbook, the workbook's relationships, [Content_Types].xml. A part
 * not given is a minimal valid one. The harness stores them in a ZIP and reads it. An input
 * that starts with "PK\3\4" is taken as a whole XLSX file instead.
 */
#include "config.h"

#include <string.h>
#include <zip.h>

#include "fuzz.h"
#include "fuzz_sheet.h"

#define SEP "\n@@PART@@\n"

static const char *const names[] = {
	"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/workbook.xml",
	"xl/_rels/workbook.xml.rels", "[Content_Types].xml",
};

#define MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
static const char *const defaults[] = {
	"<worksheet xmlns=\"" MAIN "\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c>"
	"</row></sheetData></worksheet>",
	"<sst xmlns=\"" MAIN "\"><si><t>a</t></si></sst>",
	"<styleSheet xmlns=\"" MAIN "\"><cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/>"
	"</cellXfs></styleSheet>",
	"<workbook xmlns=\"" MAIN "\" xmlns:r=\"" REL "\"><sheets><sheet name=\"s\" sheetId=\"1\" "
	"r:id=\"rId1\"/></sheets></workbook>",
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
	"<Relationship Id=\"rId1\" Type=\"" REL "/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"" REL "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"" REL "/styles\" Target=\"styles.xml\"/>"
	"</Relationships>",
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	"<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-"
	"officedocument.spreadsheetml.sheet.main+xml\"/></Types>",
};

/* The parts of data in a ZIP archive in memory: *out (malloc'd) and its size, or -1. */
static int make_zip(const uint8_t *data, size_t size, void **out, size_t *outlen)
{
	const char *p = (const char *)data, *end = p + size;
	zip_error_t ze;
	zip_source_t *src;
	zip_stat_t st;
	zip_t *za;
	int ret = -1;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (!src)
		goto out;
	zip_source_keep(src);
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	if (!za)
		goto out;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *part = defaults[i], *sep = NULL;
		size_t len = strlen(part);
		zip_source_t *s;
		zip_int64_t idx;

		if (p && p <= end) {
			sep = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
			part = p;
			len = sep ? (size_t)(sep - p) : (size_t)(end - p);
			p = sep ? sep + strlen(SEP) : NULL;
		}
		s = zip_source_buffer(za, part, len, 0);
		idx = s ? zip_file_add(za, names[i], s, ZIP_FL_ENC_UTF_8) : -1;
		if (idx < 0) {
			zip_source_free(s);
			zip_discard(za);
			goto out;
		}
		zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
	}
	if (zip_close(za) < 0) {
		zip_discard(za);
		goto out;
	}
	if (zip_source_stat(src, &st) < 0 || zip_source_open(src) < 0)
		goto out;
	*out = malloc(st.size ? st.size : 1);
	if (*out && zip_source_read(src, *out, st.size) == (zip_int64_t)st.size) {
		*outlen = st.size;
		ret = 0;
	} else {
		free(*out);
		*out = NULL;
	}
	zip_source_close(src);
out:
	if (src)
		zip_source_free(src);
	zip_error_fini(&ze);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sheet_limits lim = { .cell_bytes = 64, .cells = 8, .sst_count = 16 };
	struct sheet_opts o = { .format = SHEET_XLSX };
	void *zip = NULL;
	size_t ziplen = 0;

	if (size >= 4 && memcmp(data, "PK\3\4", 4) == 0) {
		fuzz_read_sheet(fuzz_path(data, size), &o);
		return 0;
	}
	if (make_zip(data, size, &zip, &ziplen) < 0)
		return 0;
	/* small limits for one input in two, so that the caps are reached too */
	if (size & 1)
		o.limits = &lim;
	fuzz_read_sheet(fuzz_path(zip, ziplen), &o);
	free(zip);
	return 0;
}
