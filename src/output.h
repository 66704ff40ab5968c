/*
 * output.h - the loadusers file: XLSX (libxlsxwriter, constant memory) or CSV, written to a
 * temporary name in a private directory (mode 0700) inside the output directory, fsynced,
 * renamed, directory fsynced. Mode 0600. An output directory writable by group or others, or
 * owned by another user than the running one or root, is refused (dir_check_private()).
 * A cell longer than 32,767 characters is an error for its row, never truncated.
 */
#ifndef MS_OUTPUT_H
#define MS_OUTPUT_H

#include <xlsxwriter.h>

#include "conf.h"
#include "model.h"

#define XLSX_CELL_MAX 32767

/* Write rows to final_path atomically. Test hook: MEDIMAIL_SYNC_CRASH_AT=before-rename raises
 * SIGKILL after the temporary file is complete and before the rename. *err on failure. */
int output_write_xlsx(const char *final_path, const struct row *const *rows, size_t n,
		      char **err) WUR;
int output_write_csv(const char *final_path, const struct row *const *rows, size_t n,
		     const struct conf_output *o, char **err) WUR;

/* Write an XLSX workbook (constant-memory mode) to final_path atomically, like the functions
 * above: fill() adds the sheets, in row order. Shared by the loadusers file and the report. */
typedef lxw_error (*xlsx_fill_fn)(lxw_workbook *wb, void *arg);
int xlsx_write_atomic(const char *final_path, const char *title, xlsx_fill_fn fill, void *arg,
		      char **err) WUR;

/* Escape a CSV cell: quote when needed; a cell starting with = + - @ TAB CR gets a leading
 * apostrophe so a spreadsheet cannot read it as a formula. Caller frees. */
char *csv_cell(const char *v, char sep);

#endif
