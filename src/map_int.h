/*
 * map_int.h - what the files of the mapper share (map.c, map_compile.c, map_table.c,
 * map_xform.c, map_date.c, map_national.c, map_person.c, map_stats.c): the compiled forms of
 * templates, tables and rules, the state of one expansion, and the functions one file gives
 * another. Private: callers use map.h. Nothing here does I/O.
 */
#ifndef MS_MAP_INT_H
#define MS_MAP_INT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "map.h"

enum xf_kind {
	XF_UPPER, XF_LOWER, XF_TRIM, XF_DIGITS, XF_PHONE, XF_DATE, XF_STRIP, XF_SUBSTR, XF_FIRST,
	XF_DEFAULT, XF_MATCH, XF_REPLACE, XF_IDNAT, XF_TABLE
};

/* The findings whose severity the config may change (rule ids of check_rules[]). */
enum mf {
	MF_PHONE, MF_DATE, MF_IDNAT, MF_TABLE, MF_NATIONAL, MF_UTF8, MF_LONG, MF_NO_RULE, MF_N
};

/* The longest value a template reads from the directory, and the longest a regular expression
 * or a table is run on: no cell of the file is near it, and glibc's matching time grows with
 * the square of the length (an unanchored expression on 64 KiB takes seconds). */
#define MAP_VALUE_MAX 4096

static inline bool map_too_long(const char *s)
{
	return strnlen(s, MAP_VALUE_MAX + 1) > MAP_VALUE_MAX;
}
extern const char *const map_mf_rules[MF_N];   /* map.c: the rule id of each */
/* map.c: the default severity of finding k: its rule's in check_rules[]. */
enum severity map_mf_default(enum mf k);

/* {$key}: the structure's value for a column key (map_compile.c). */
struct st_key {
	const char *key;
	size_t off;
};
extern const struct st_key map_st_keys[];
extern const size_t map_nst_keys;

/* A /delimited/ expression: match:, replace:, if-match, the /RE/ keys of a table. */
struct map_re {
	regex_t re;
	char *src;             /* as written between the slashes */
	bool global;           /* replace: every match */
};

/* A piece of a replacement text: literal text, or group number (>= 0). */
struct piece {
	char *text;
	int group;
};

struct xform {
	enum xf_kind kind;
	char *label;           /* the transform as written, for the trace */
	char *arg;             /* strip prefix, default text */
	long a, b;             /* substr start and length (-1: to the end); strip length (0: any);
				  match: the group returned; idnat: b = 1 for adeli */
	enum date_form form;
	struct map_re *re;     /* match, replace */
	struct piece *rep;     /* replace: the replacement */
	size_t nrep;
	const struct map_table *table;
};

/* {national:FIELD}: a field of the person's record in the national directory. Fields with a
 * list are translated to that code list (by code, else by label); the others are taken as the
 * extract writes them. */
enum nat_field {
	NF_PROFESSION, NF_SPECIALITE, NF_SAVOIR_FAIRE, NF_CIVILITE_EXERCICE, NF_NOM, NF_PRENOM,
	NF_MSSANTE, NF_MSSANTE_LOCAL, NF_N
};
struct nat_field_def {
	const char *name;
	const char *list;      /* code list (check_list_value), NULL: as written */
	const char *table;     /* the name its unmatched labels are listed under */
};
extern const struct nat_field_def map_nat_fields[NF_N];   /* map_national.c */

/* Where a template may read {national:FIELD} (map_new; map_compile allows it). */
enum nat_use { NAT_OK, NAT_NO_SECTION, NAT_ID_CELL, NAT_GROUP };

/* Kinds of alternatives: an attribute, a structure key, a national directory field. */
enum alt_kind { ALT_ATTR, ALT_STRUCT, ALT_NATIONAL };

struct alt {
	enum alt_kind kind;
	char *name;            /* attribute name, "$key" or "national:FIELD" */
	int skey;              /* ALT_STRUCT: index in map_st_keys[]; ALT_NATIONAL: enum nat_field */
};

/* A literal text (nalts == 0) or an expression: a chain of alternatives and transforms, and
 * the chain written after "||", used when this one gives nothing. */
struct node {
	char *text;            /* literal text, or the expression as written (trace) */
	struct alt *alts;
	size_t nalts;
	struct xform *xf;
	size_t nxf;
	struct node *next;     /* the chain after "||", or NULL */
};

struct map_template {
	char *src;             /* the template as written */
	struct node *nodes;
	size_t n;
	char **attrs;          /* attributes read, each once */
	size_t nattrs;
	const enum severity *sev;   /* the mapper's severities (enum mf), NULL: defaults */
	const struct mapper *m;     /* for the national fields' domains; NULL: map_compile */
};

/* A value table: keys in order; plain keys also in a hash of their folded text. */
struct tkey {
	char *key;             /* folded plain key, or the expression as written */
	char *value;
	const char *file;      /* the table's cfile or tfile */
	int line;
	struct map_re *re;     /* NULL for a plain key */
};

struct map_table {
	char *name;
	struct tkey *keys;
	size_t n;
	struct hmap *exact;    /* folded key -> index + 1 of its first occurrence */
	size_t *rx;            /* indexes of the /RE/ keys, in order */
	size_t nrx;
	char *dflt;            /* NULL: no default */
	char *cfile, *tfile;   /* the config file and the TSV file, for messages */
	int line;
	bool used;
};

struct map_rule {
	char *name;
	enum bal_type type;
	int if_col;                         /* -1 when unset */
	char *attr, *value, *member_of;     /* copies; NULL when unset */
	char *dn_suffix;                    /* normalised */
	struct map_re *match;               /* if-match */
	const struct map_table *table;      /* if-table */
	char *match_text;                   /* if-match as written */
};

struct mapper {
	struct map_template *cols[NCOLS];
	struct map_template *tcols[BAL_NTYPES][NCOLS];   /* map-type templates */
	bool tset[BAL_NTYPES][NCOLS];                    /* set in map-type (maybe to "") */
	struct map_template *org[MAP_ORG_NFIELDS];
	struct map_table *tables;
	size_t ntables;
	struct map_rule *rules;
	size_t nrules;
	char **attrs, **group_attrs;        /* NULL-terminated */
	size_t nattrs, ngroup_attrs;
	enum severity sev[MF_N];
	char *warnings;
	bool national;                      /* a person's template reads {national:FIELD} */
	char **domains;                     /* national-directory mssante-domains */
	size_t ndomains;
};

/* map_person holds the unmatched values of each cell until it knows which cells stay. */
struct pend_item {
	const char *table;     /* the table's name (the mapper's, or a static one) */
	char *value, *folded;
	int col;
};
struct pending {
	struct pend_item *v;
	size_t n, cap;
};

/* What the expansion of one cell needs besides the template and the entry. */
struct xctx {
	struct findings *f;
	const char *where;
	int col;
	const enum severity *sev;    /* per enum mf; NULL: the defaults */
	struct map_stats *stats;     /* unmatched values, when pend is NULL */
	struct pending *pend;
	struct strbuf *tr;           /* this cell's trace, or NULL */
	const char *src;             /* the alternative that gave the value */
	struct map_national *nat;    /* NULL: national fields give nothing */
	const struct mapper *m;      /* the template's mapper (mssante-domains), or NULL */
	char *tmp;                   /* a value node_value computed (national fields) */
};

/* A finding of kind k on the cell being expanded, with the severity the config gives it
 * (findings_add drops it when that is off). */
#define emit(x, k, value, ...) \
	findings_add((x)->f, (x)->sev ? (x)->sev[k] : map_mf_default(k), (x)->where, (x)->col, \
		     map_mf_rules[k], value, __VA_ARGS__)

static inline bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return n > 0;
}

/* Copy of s[0..n) with blanks trimmed at both ends. */
static inline char *trimmed(const char *s, size_t n)
{
	while (n > 0 && is_blank((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_blank((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Bytes of the UTF-8 character at s (1 for an invalid byte; 0 at the end). */
static inline size_t char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

	if (!c)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/* map.c: append "FILE:LINE: message" (or "FILE: ", or nothing, when unknown) as a line of
 * errs. */
void map_add_err(struct strbuf *errs, const char *file, int line, const char *fmt, ...)
	PRINTF(4, 5);

/* map_table.c: regular expressions, in the C.UTF-8 locale. map_rx_new compiles src (POSIX
 * extended); on error returns NULL and *err (allocated) says why. */
struct map_re *map_rx_new(const char *src, bool icase, bool nosub, char **err);
void map_rx_free(struct map_re *r);
/* Whether r matches s; never for an s longer than MAP_VALUE_MAX. */
bool map_rx_match(const struct map_re *r, const char *s, size_t n, regmatch_t *pm, int eflags);
/* s[0..len) when it is at most 40 bytes, else its first 40 bytes cut between characters and
 * "...": a long value or a part of an expression, quoted in a message. */
char *map_value_head(const char *s, size_t len);
/* A /delimited/ text at s[*pi] (the opening '/') into out; *pi is left after the closing '/'.
 * "\/" is a slash when unescape; false when there is no closing '/'. */
bool map_read_delimited(const char *s, size_t *pi, struct strbuf *out, bool unescape);
/* "/RE/[i]" as a whole string (if-match); NULL and *err (allocated) on error. */
struct map_re *map_rx_parse_whole(const char *s, char **err);
/* Tables: the one named name (NULL when none, or m is NULL); the index of the first key of tb
 * matching the folded value, or -1; build one from the config (errors and warnings appended
 * as lines); free what it holds. */
struct map_table *map_table_by_name(const struct mapper *m, const char *name);
long map_table_find(const struct map_table *tb, const char *folded);
void map_table_build(struct map_table *tb, const struct conf_table *ct, const char *cpath,
		     struct strbuf *errs, struct strbuf *warns);
void map_table_free(struct map_table *tb);

/* map_compile.c: compile text for mapper m (NULL: map_compile) where nat says whether it may
 * read the national directory; NULL and *err (allocated) on error. */
struct map_template *map_compile_in(const char *text, struct mapper *m, enum nat_use nat,
				    char **err);
bool map_reads_national(const struct map_template *t);
/* Append name to *names unless it is there (case-insensitive); copied. */
void map_add_name(char ***names, size_t *n, const char *name);
/* Free the n strings of names and the array. */
void map_names_free(char **names, size_t n);

/* map_xform.c: one transform applied to cur; a new string. */
char *map_apply_xform(const struct xform *xf, const char *cur, const struct xctx *x);

/* map_national.c: a field of the person's national record as a cell takes it, or NULL
 * (x->tmp holds what was computed); the record of the row's RPPS cell, else of its ADELI
 * cell, into x->nat->person (trace may be NULL). */
const char *map_national_value(unsigned field, struct xctx *x);
void map_nat_lookup(const struct row *row, struct xctx *x, struct map_trace *trace);

/* map_stats.c: a value of table (a name) that matched no key, held in x->pend or recorded in
 * x->stats; record an unmatched value in s (where: the entry, counted once); record the held
 * values of the cells that stay for type, once per table and folded value, and free them. */
void map_unmatched(const struct xctx *x, const char *table, const char *value,
		   const char *folded);
void map_stats_note(struct map_stats *s, const char *table, const char *value,
		    const char *folded, const char *where);
void map_keep_unmatched(struct map_stats *s, struct pending *pend, enum bal_type type,
			const char *where);
/* map_person.c: whether col is NC for type */
bool map_nc(enum bal_type type, int col);

#endif
