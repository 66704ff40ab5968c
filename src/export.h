/*
 * export.h - Medimail's own account list, as the Medimail console exports it ("Exporter la
 * liste d'utilisateurs au format XLS / CSV"): read into loadusers rows, for the commands that
 * adopt existing accounts and reconcile the state with Medimail.
 *
 * The file is CSV, XLSX or XLS (sheet.h). Its first non-blank row is the header. Columns are
 * matched by name in any order, whatever their case, accents, spacing or punctuation: the 36
 * loadusers headers, the usual variants of an export (export.c, aliases[]: "Email" for Adresse
 * mail, "N° RPPS", "Type de BAL"...), and the account state ("Etat", "Statut"...), kept apart.
 * Unknown columns are ignored and named once in a warning. "Adresse mail" is required.
 * Cells are trimmed; numbers get their leading zeros back and dates become AA-MM-JJ by column
 * (sheet_loadusers_text); the address is in lower case.
 */
#ifndef MS_EXPORT_H
#define MS_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include "model.h"

struct export_account {
	struct row row;          /* the 36 cells, normalised, packed; empty when not in the file */
	char *state;             /* the state column's text, "" when the file has none */
	long line;               /* where the row is: CSV line or XLSX/XLS row (see unit) */
};

/* Everything is owned by the list and freed by export_free(). */
struct export_list {
	char *path;              /* the file read */
	const char *unit;        /* "line" (CSV) or "row" (XLSX, XLS): static */
	long header_line;        /* where the header is */
	struct export_account *acc;   /* the accounts, in file order */
	size_t n;
	bool present[NCOLS];     /* the file has a column for this loadusers column */
	bool has_state;          /* the file has a state column */
	char **unknown;          /* headers not recognised, as written, in file order */
	size_t nunknown;
	/* What was skipped or is doubtful, where = "line 12" or "row 12": rows without an
	 * address (rule "export-no-address", error, row skipped), damaged CSV records ("csv-quote",
	 * "csv-binary", errors, skipped), an address given twice ("export-duplicate", warning,
	 * both kept), columns ignored ("export-unknown-column", "export-duplicate-column",
	 * warnings), cells cut at the reader's limits ("export-cut", warning). */
	struct findings f;
};

/* Read the export at path. NULL on error, with *err (allocated, one line naming the file and
 * what is wrong: unreadable, not a spreadsheet, empty, no "Adresse mail" column). */
struct export_list *export_read(const char *path, char **err) WUR;
void export_free(struct export_list *l);

/* The loadusers column a header names (0..NCOLS-1), EXPORT_STATE for the state column, or -1
 * when it is not known. */
#define EXPORT_STATE NCOLS
int export_header_column(const char *header);

#endif
