/*
 * conf_int.h - what the files of the configuration share; conf.h is the public interface, and
 * only conf*.c include this one (and confuse.h).
 *
 *   conf.c        loading: the text, libconfuse's parse, the error path (every message goes to
 *                 the logger as "file:line: option: why"), the lines options were read on
 *   conf_opts.c   the option tables and their validators
 *   conf_build.c  libconfuse's values to the plain structs of conf.h, conf_free
 */
#ifndef MS_CONF_INT_H
#define MS_CONF_INT_H

#include <stdbool.h>
#include <confuse.h>
#include "conf.h"

/* Where an option was read: validators record it for checks made after parsing. */
struct line_rec {
	const cfg_t *sec;
	const char *opt;
	int line;
};

/* Where a value of a list option was read. */
struct value_rec {
	const cfg_t *sec;
	unsigned int idx;
	int line;
};

/* State of one conf_load() (libconfuse callbacks take no user pointer). */
struct load_ctx {
	const char *path;
	int errors;
	struct line_rec *lines;
	size_t nlines, cap;
	const cfg_opt_t *last_list;   /* list validators run per value and at '}' */
	unsigned int last_list_n;
	struct value_rec *vlines;     /* lines of list values (table entries) */
	size_t nvlines, capv;
};

/* The load in progress (libconfuse callbacks take no user pointer); NULL outside conf_load. */
extern struct load_ctx *conf_ctx;

/* Errors and warnings, sent to the logger; an error is counted in conf_ctx->errors. */
/* At the current line of section sec (its file, or the config's path when sec is NULL). */
void conf_err(const cfg_t *sec, const char *what, const char *fmt, ...) PRINTF(3, 4);
/* At a line of the config (0: no line). */
void conf_err_at(int line, const char *what, bool warning, const char *fmt, ...) PRINTF(4, 5);
/* At a line of another file (a table's TSV file). */
void conf_msg(const char *file, int line, const char *what, bool warning, const char *fmt, ...)
	PRINTF(5, 6);

/* Lines of options (validators record them) and of list values (v_table_entry), for the
 * checks made after parsing; 0 when not recorded. */
void conf_rec_line(const cfg_t *sec, const char *opt, int line);
int conf_line_of(const cfg_t *sec, const char *opt);
int conf_value_line(const cfg_t *sec, unsigned int idx);

/* The option tables (conf_opts.c): the root, with the map section's options filled in by
 * conf_map_opts_init() (idempotent) from columns[]. */
extern cfg_opt_t conf_root_opts[];
void conf_map_opts_init(void);
/* Index of value in the domain of string option name (case-insensitive), or -1; and the
 * canonical spelling of value i (static). */
int conf_choice_index(const char *name, const char *value);
const char *conf_choice_value(const char *name, int i);

/* The plain config of a parse (conf_build.c): never NULL; its errors are counted. */
struct config *conf_build(cfg_t *cfg, const char *path);

#endif
