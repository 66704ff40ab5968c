/*
 * map.h - from directory entries to loadusers rows: templates, transforms, value tables, BAL
 * type rules, per-type templates. Pure: no I/O. Findings (a phone number that cannot be
 * normalised, an identifier of no known shape...) go to a findings list; unmatched table
 * values and coverage go to a struct map_stats; the steps of one person to a struct map_trace.
 *
 * Template syntax (a column's value in the config; medimail-sync.conf(5), TEMPLATES):
 *   plain text is copied; {ATTR|transform|transform:arg} inserts the first value of ATTR;
 *   {ATTR1/ATTR2} takes the first one present; {$cp} is the structure's value for that column
 *   key; {national:FIELD} a field of the person's record in the national directory (found by
 *   the RPPS cell, else the ADELI cell); {A|xf||B|xf} the chain after "||" when the one before
 *   gives nothing; "{{" and "}}" are literal braces.
 * Transforms: upper, lower, trim, digits, phone, first, default:TEXT, strip:PREFIX[:LEN],
 *   substr:START[:LEN], date[:FORM], match:/RE/[i], replace:/RE/TEXT/[gi], idnat:rpps,
 *   idnat:adeli, table:NAME. After match: and replace: the argument is delimited by slashes
 *   and may hold | { } : (\/ is a slash).
 * Regular expressions are POSIX extended ones, compiled and run in the C.UTF-8 locale (the
 *   current one when it does not exist), so that results do not depend on the admin's LANG.
 * Multi-valued attributes give their first value; a value that is not UTF-8 is dropped with an
 * "invalid-utf8" finding.
 */
#ifndef MS_MAP_H
#define MS_MAP_H

#include "conf.h"
#include "model.h"
#include "national.h"

struct map_template;
struct mapper;
struct map_stats;
struct map_trace;

/* The national directory as the templates read it ({national:FIELD}): plain records through
 * callbacks, so that the mapper stays pure. */
struct map_national {
	/* map_person: the record of the RPPS cell, else of the ADELI cell (nat_find behind it);
	 * NULL: no look-up (person stays as the caller set it) */
	nat_find_fn find;
	/* The value v (a code, else a label) of the code list named list ("profession",
	 * "specialite", "civilite-exercice") in the form rows are written with, or NULL when the
	 * list has no such value (check_list_value behind it); allocated. NULL: the extract's
	 * label is taken as it is. */
	char *(*list_value)(void *arg, const char *list, const char *v);
	void *arg;                   /* of both */
	/* The record the templates read. map_expand reads it as the caller set it; map_person
	 * sets it to the record it found (NULL when none), for the caller's checks. */
	const struct nat_person *person;
};

/* What map_person and map_expand may fill besides the row and the findings; each pointer may
 * be NULL, and so may the struct itself. */
struct map_extra {
	struct map_stats *stats;     /* unmatched table values are recorded here */
	struct map_trace *trace;     /* explain only */
	struct map_national *national;   /* NULL: {national:FIELD} gives nothing */
};

/* Compile a template that uses no value table (table:NAME is an error here: tables belong to
 * a mapper, see map_new). On error returns NULL and *err (allocated) says why, as
 * "position N: why". The template is freed with map_template_free(). */
struct map_template *map_compile(const char *text, char **err) WUR;
void map_template_free(struct map_template *t);
/* Attribute names the template reads (appended to *names, not duplicated if present). */
void map_template_attrs(const struct map_template *t, char ***names, size_t *n);

/* Expand against entry e and structure st (may be NULL). Returns an allocated string (maybe "").
 * A transform that cannot apply (phone on garbage, an unreadable date, an identifier of no
 * known shape, a value no table key matches) adds a finding naming where and col, with the
 * severity of its rule (see map_new) and yields what the transform documents. x may be NULL. */
char *map_expand(const struct map_template *t, const struct entry *e,
		 const struct conf_structure *st, struct findings *f, const char *where, int col,
		 const struct map_extra *x);

/* Transforms, exposed for tests and reuse. Each returns an allocated string. */
char *map_phone(const char *in, bool *ok);          /* "+33 4 67 33 00 00" -> "0467330000" */
char *map_digits(const char *in);
/* National identifier of a health professional (idnat:rpps, idnat:adeli): blanks (also
 * no-break spaces) removed, then "8"+11 digits or 11 digits give the RPPS, "0"+9 digits or 9
 * digits the ADELI. Returns the identifier asked for, or "" (the other kind, or empty input).
 * *ok is false when the value has no known shape (the result is then ""). */
char *map_idnat(const char *in, bool adeli, bool *ok);

/* Dates: one reader for the date transform and the end date of a person. */
enum date_res { DATE_OK, DATE_NEVER, DATE_BAD };
/* in: an attribute value (blanks around it ignored). On DATE_OK *epoch is seconds since
 * 1970-01-01 UTC (a date between 1601 and 9999). DATE_NEVER: the form's "no end" value
 * (ad: 0 and 9223372036854775807; days: any value <= 0; unix: 0; auto: 0 and
 * 9223372036854775807). DATE_BAD: anything else, including a bare number that auto cannot
 * tell apart (1 to 7 or 9 to 13 digits). */
enum date_res map_date_read(const char *in, enum date_form form, long long *epoch);
/* "auto", "gentime", "ad", "days", "unix", "iso", "dmy" (exact, lower case). */
bool map_date_form_parse(const char *name, enum date_form *out);
const char *map_date_form_name(enum date_form f);   /* static string */
/* What the form is, translated, for messages: "days since 1970-01-01"... Static string. */
const char *map_date_form_text(enum date_form f);
/* epoch to the file's "AA-MM-JJ" (UTC day). Allocated. */
char *map_date_text(long long epoch);

/* The compiled mapping for a config: the value tables, one template per column (and per BAL
 * type where map-type sets one) plus the rules. It copies what it needs from c. On error
 * returns NULL and *err (allocated) lists every error, one per line, as
 * "FILE:LINE: map.KEY: position N: why" (just "map.KEY: ..." when c holds no path or line),
 * "FILE:LINE: bal-rule \"NAME\": ...", "FILE:LINE: table \"NAME\": ...", "org.FIELD: ...".
 * Findings take the severity c->sev_rule/sev_value give their rule id, else the mapper's
 * default: phone-format, date-format and idnat-format warnings, table-unmatched off. */
struct mapper *map_new(const struct config *c, char **err) WUR;
void map_free(struct mapper *m);
/* Warnings found by map_new (a table no template and no rule uses), one per line as
 * "FILE:LINE: table \"NAME\": warning: ...", or NULL when there are none. Owned by m. */
const char *map_warnings(const struct mapper *m);
/* Every attribute the mapping and the rules read from people (NULL-terminated, owned by m). */
const char *const *map_people_attrs(const struct mapper *m);

/* The compiled template of a column in the map section (NULL when the column is left empty),
 * owned by m. */
const struct map_template *map_column(const struct mapper *m, int col);

/* ORG templates: the first four read the group's entry, the responsible ones the owner's
 * entry (they default to the people map's nom, prenom, profession and rpps templates). */
enum map_org_field {
	MAP_ORG_MAIL, MAP_ORG_NOM, MAP_ORG_PRENOM, MAP_ORG_DESCRIPTION,
	MAP_ORG_RESP_NOM, MAP_ORG_RESP_PRENOM, MAP_ORG_RESP_PROFESSION, MAP_ORG_RESP_RPPS,
	MAP_ORG_NFIELDS
};
/* NULL when the config leaves that field empty; owned by m. */
const struct map_template *map_org_template(const struct mapper *m, enum map_org_field f);
/* Attributes the four group templates read (NULL-terminated, owned by m). */
const char *const *map_group_attrs(const struct mapper *m);

/* Groups a person belongs to, transitively; used by if-member-of rules. Return true if the
 * person with this DN is a member of the group with DN group_dn. */
typedef bool (*map_member_fn)(const char *person_dn, const char *group_dn, void *arg);

/* Map one person. Fills row (all 36 cells; row must be zeroed or hold cells it owns, which are
 * replaced) and returns the BAL type (BAL_NONE if no rule matched: a "no-bal-rule" finding
 * says so). The RPPS and ADELI cells are expanded first and, with x->national, give the
 * person's national record (x->national->person) that the other templates read; the rules
 * read the map section's cells; then the columns set in map-type for the type are expanded
 * with those templates (the record looked up again when they change RPPS or ADELI), the
 * type-bal cell is set, cells NC for the type are cleared and findings about them dropped. A person gets one finding per rule and value (two
 * columns reading one bad identifier give one idnat-format finding). Unmatched table values
 * of the cells kept go to x->stats; map_person does not count the row's coverage
 * (map_stats_add_row is the caller's, once the row is final). Uses d->st for {$key} (d may be
 * NULL). x may be NULL. */
enum bal_type map_person(const struct mapper *m, const struct entry *e,
			 const struct conf_directory *d, map_member_fn member, void *member_arg,
			 struct row *row, struct findings *f, const struct map_extra *x);

/* Coverage and unmatched table values, accumulated over a run. Not thread-safe. */
struct map_stats *map_stats_new(void);
void map_stats_free(struct map_stats *s);
/* Count one row of type t (BAL_PER..BAL_MED; other values are ignored): for each column,
 * filled or empty. Called by the collector for every account it maps, people and ORG
 * mailboxes, after NC clearing and list normalisation. */
void map_stats_add_row(struct map_stats *s, const struct row *row, enum bal_type t);
void map_stats_coverage(const struct map_stats *s, enum bal_type t, int col,
			size_t *filled, size_t *empty);
struct map_unmatched {
	const char *table;      /* table name */
	const char *value;      /* the value as first met (not folded) */
	size_t count;           /* entries that had it */
	const char *example;    /* the DN of the first entry that had it */
};
/* Distinct unmatched values (distinct by table + folded value), most frequent first, then by
 * table and value. The labels of the national directory that no code list value matches are
 * among them, as tables "national:profession", "national:specialite" and
 * "national:civilite-exercice". *out is a new array (caller frees the array only; NULL when
 * there are none); the strings belong to s. Returns the count. */
size_t map_stats_unmatched(const struct map_stats *s, struct map_unmatched **out);

/* Trace of one person's mapping, for "medimail-sync explain": lines of plain text, each
 * ending with a newline. Zero-initialise, pass in map_extra, read, then map_trace_free(). */
struct map_trace {
	struct strbuf col[NCOLS];   /* per column: the template used and why (map or map-type),
				       each alternative tried with every value of the attribute,
				       each transform step "name:arg -> result", table keys matched,
				       the final cell */
	struct strbuf rules;        /* each BAL rule tried, each condition and its result, the
				       rule that matched */
	struct strbuf national;     /* the national record looked up: by which cell, found or
				       not */
};
void map_trace_free(struct map_trace *t);

#endif
