/*
 * export.c - read Medimail's account export (CSV, XLSX, XLS) into loadusers rows: header
 * matched by name (aliases[] below), cells normalised by column, the state kept apart.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "i18n.h"
#include "sheet.h"

/* Other names an export may give a column; the 36 loadusers headers match as they are. Names
 * compare by export_key(): "E-mail", "email" and "Adresse e-mail " are all the same. */
static const struct {
	const char *name;
	int col;
} aliases[] = {
	{ "Email",                       COL_MAIL },
	{ "Mail",                        COL_MAIL },
	{ "Adresse e-mail",              COL_MAIL },
	{ "Adresse électronique",        COL_MAIL },
	{ "Courriel",                    COL_MAIL },
	{ "Adresse Medimail",            COL_MAIL },
	{ "Nom de famille",              COL_NOM },
	{ "N° RPPS",                     COL_RPPS },
	{ "No RPPS",                     COL_RPPS },
	{ "Numéro RPPS",                 COL_RPPS },
	{ "Identifiant RPPS",            COL_RPPS },
	{ "N° ADELI",                    COL_ADELI },
	{ "No ADELI",                    COL_ADELI },
	{ "Numéro ADELI",                COL_ADELI },
	{ "Identifiant ADELI",           COL_ADELI },
	{ "Code postal",                 COL_CP },
	{ "Téléphone",                   COL_TEL1 },
	{ "Tél",                         COL_TEL1 },
	{ "Tél 1",                       COL_TEL1 },
	{ "Tél 2",                       COL_TEL2 },
	{ "Type de BAL",                 COL_TYPE_BAL },
	{ "Type de boîte",               COL_TYPE_BAL },
	{ "Type de compte",              COL_TYPE_BAL },
	{ "Type d'utilisateur",          COL_TYPE_BAL },
	{ "Type identifiant structure",  COL_TYPE_ID_STRUCT },
	{ "Identifiant structure",       COL_ID_STRUCT },
	{ "Adresse MSSanté",             COL_MSSANTE },
	{ "Compte de connexion",         COL_CONNEXION },
	{ "Date d'expiration",           COL_PEREMPTION },
	{ "Date de fin de validité",     COL_PEREMPTION },
	{ "Etat",                        EXPORT_STATE },
	{ "Statut",                      EXPORT_STATE },
	{ "Etat de l'utilisateur",       EXPORT_STATE },
	{ "Etat du compte",              EXPORT_STATE },
	{ "Statut du compte",            EXPORT_STATE },
};

#define SHOWN_HEADERS 8   /* headers quoted when "Adresse mail" is missing */
#define SHOWN_BYTES 40    /* bytes of each */

/* Compare key of a header: folded (utf8_fold: lower case, no accents), then only its ASCII
 * letters and digits. "Téléphone (1)" and "telephone 1" give "telephone1". */
static char *export_key(const char *s)
{
	char *f = utf8_fold(s), *o = f;

	for (const char *p = f; *p; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			*o++ = *p;
	*o = '\0';
	return f;
}

int export_header_column(const char *header)
{
	char *k = export_key(header), *a;
	int col = -1;

	for (int i = 0; i < NCOLS && col < 0 && *k; i++) {
		a = export_key(columns[i].header);
		if (strcmp(a, k) == 0)
			col = i;
		free(a);
	}
	for (size_t i = 0; i < ARRAY_SIZE(aliases) && col < 0 && *k; i++) {
		a = export_key(aliases[i].name);
		if (strcmp(a, k) == 0)
			col = aliases[i].col;
		free(a);
	}
	free(k);
	return col;
}

/* Printable excerpt of a header for a message. */
static void add_shown(struct strbuf *sb, const char *h)
{
	size_t i;

	sb_addc(sb, '"');
	for (i = 0; h[i] && i < SHOWN_BYTES; i++)
		sb_addc(sb, (unsigned char)h[i] < 0x20 || h[i] == 0x7f ? '?' : h[i]);
	sb_add(sb, h[i] ? "...\"" : "\"");
}

struct reader {
	struct export_list *l;
	struct sheet *s;
	int *src;             /* per source column: loadusers column, EXPORT_STATE or -1 */
	size_t nsrc;
	int col_src[NCOLS + 1];   /* per loadusers column (and the state): source column or -1 */
	struct hmap *seen;    /* address -> 1 + index of its first account */
	size_t cap;           /* of l->acc */
};

static void finding(struct reader *r, enum severity sev, long line, int col, const char *rule,
		    const char *value, const char *msg)
{
	char *where = xasprintf("%s %ld", _(r->l->unit), line);

	findings_add(&r->l->f, sev, where, col, rule, value, "%s", msg);
	free(where);
}

/* Map the header's columns. -1 with *err when there is no address column. */
static int read_header(struct reader *r, const struct sheet_row *row, char **err)
{
	struct export_list *l = r->l;
	struct strbuf unknown = { 0 }, shown = { 0 };
	size_t i, nshown = 0;
	int ret = -1;

	for (i = 0; i <= NCOLS; i++)
		r->col_src[i] = -1;
	r->nsrc = row->nkept;
	r->src = xcalloc(r->nsrc ? r->nsrc : 1, sizeof(*r->src));
	l->header_line = row->line;
	for (i = 0; i < row->nkept; i++) {
		const char *h = row->cell[i].text;
		int c = export_header_column(h);
		char *msg;

		r->src[i] = -1;
		if (str_empty(h))
			continue;
		if (nshown < SHOWN_HEADERS) {
			if (nshown++)
				sb_add(&shown, ", ");
			add_shown(&shown, h);
		}
		if (c < 0) {
			l->unknown = xrealloc(l->unknown, (l->nunknown + 1) * sizeof(*l->unknown));
			l->unknown[l->nunknown++] = xstrdup(h);
			if (unknown.len)
				sb_add(&unknown, ", ");
			add_shown(&unknown, h);
			continue;
		}
		if (r->col_src[c] >= 0) {
			msg = xasprintf(_("column %zu (\"%s\") names the same column as column %d: "
					  "ignored"), i + 1, h, r->col_src[c] + 1);
			finding(r, SEV_WARNING, row->line, c < NCOLS ? c : -1,
				"export-duplicate-column", NULL, msg);
			free(msg);
			continue;
		}
		r->col_src[c] = (int)i;
		r->src[i] = c;
	}
	if (r->col_src[COL_MAIL] < 0) {
		if (row->nul)
			*err = xasprintf(_("%s: binary data (NUL bytes), not a CSV, XLSX or XLS "
					   "file"), l->path);
		else
			*err = xasprintf(_("%s:%ld: no \"Adresse mail\" column in the header (found "
					   "%s%s): not a Medimail account export?"), l->path,
					 row->line, shown.len ? shown.buf : _("nothing"),
					 row->ncells > SHOWN_HEADERS ? ", ..." : "");
		goto out;
	}
	if (unknown.len) {
		char *msg = xasprintf(_("columns not recognised, ignored: %s"), unknown.buf);

		finding(r, SEV_WARNING, row->line, -1, "export-unknown-column", NULL, msg);
		free(msg);
	}
	if (row->ncells > row->nkept)
		finding(r, SEV_WARNING, row->line, -1, "export-cut",
			NULL, _("the header has too many cells: the last ones are ignored"));
	for (i = 0; i < NCOLS; i++)
		l->present[i] = r->col_src[i] >= 0;
	l->has_state = r->col_src[EXPORT_STATE] >= 0;
	ret = 0;
out:
	sb_free(&unknown);
	sb_free(&shown);
	return ret;
}

static const struct sheet_cell *src_cell(const struct reader *r, const struct sheet_row *row,
					 int col)
{
	static const struct sheet_cell empty = { "", 0, SHEET_EMPTY, 0 };
	int i = r->col_src[col];

	return i >= 0 && (size_t)i < row->nkept ? &row->cell[i] : &empty;
}

static void read_account(struct reader *r, const struct sheet_row *row)
{
	struct export_list *l = r->l;
	struct export_account *a;
	char *v[NCOLS], *msg, *low;
	size_t len[NCOLS];
	const char *id_type = src_cell(r, row, COL_TYPE_ID_STRUCT)->text;
	void *first;

	if (row->open_quote || row->nul) {
		finding(r, SEV_ERROR, row->line, -1, row->nul ? "csv-binary" : "csv-quote", NULL,
			row->nul ? _("the record holds NUL bytes: skipped") :
			_("a quoted cell is still open at end of file: skipped"));
		return;
	}
	for (int c = 0; c < NCOLS; c++) {
		char *t = sheet_loadusers_text((enum col)c, src_cell(r, row, c), id_type);

		v[c] = str_trim(t);
		free(t);
		if (c == COL_MAIL) {
			low = utf8_lower(v[c]);
			free(v[c]);
			v[c] = low;
		}
		len[c] = strlen(v[c]);
	}
	if (!len[COL_MAIL]) {
		finding(r, SEV_ERROR, row->line, COL_MAIL, "export-no-address", NULL,
			_("a row without an address: skipped"));
		goto out;
	}
	if (row->cut)
		finding(r, SEV_WARNING, row->line, -1, "export-cut", NULL,
			_("a cell is too long or the row has too many cells: cut"));
	first = hmap_add(r->seen, v[COL_MAIL], (void *)(uintptr_t)(l->n + 1));
	if (first) {
		msg = xasprintf(_("this address is also on %s %ld"), _(l->unit),
				l->acc[(uintptr_t)first - 1].line);
		finding(r, SEV_WARNING, row->line, COL_MAIL, "export-duplicate", v[COL_MAIL], msg);
		free(msg);
	}
	xgrow(&l->acc, &r->cap, l->n + 1, sizeof(*l->acc));
	a = &l->acc[l->n++];
	memset(a, 0, sizeof(*a));
	row_fill(&a->row, (const char *const *)v, len);
	a->state = str_trim(src_cell(r, row, EXPORT_STATE)->text);
	a->line = row->line;
out:
	for (int c = 0; c < NCOLS; c++)
		free(v[c]);
}

struct export_list *export_read(const char *path, char **err)
{
	struct reader r = { 0 };
	struct export_list *l = xcalloc(1, sizeof(*l));
	const struct sheet_row *row;
	bool header = false;
	int rc;

	*err = NULL;
	l->path = xstrdup(path);
	r.l = l;
	r.s = sheet_open(path, err);
	if (!r.s)
		goto fail;
	l->unit = sheet_unit(r.s);
	r.seen = hmap_new(false);
	while ((rc = sheet_next(r.s, &row, err)) == 1) {
		if (sheet_row_blank(row))
			continue;
		if (!header) {
			if (read_header(&r, row, err) < 0)
				goto fail;
			header = true;
			continue;
		}
		read_account(&r, row);
	}
	if (rc < 0)
		goto fail;
	if (!header) {
		*err = xasprintf(_("%s: empty file: no header row"), path);
		goto fail;
	}
	goto out;
fail:
	export_free(l);
	l = NULL;
out:
	sheet_close(r.s);
	hmap_free(r.seen);
	free(r.src);
	return l;
}

void export_free(struct export_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		row_free(&l->acc[i].row);
		free(l->acc[i].state);
	}
	free(l->acc);
	for (size_t i = 0; i < l->nunknown; i++)
		free(l->unknown[i]);
	free(l->unknown);
	findings_free(&l->f);
	free(l->path);
	free(l);
}
