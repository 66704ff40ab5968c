/*
 * map.h - from directory entries to loadusers rows: templates, transforms, BAL type rules.
 * Pure: no I/O. Findings (e.g. a phone number that cannot be normalised) go to a findings list.
 *
 * Template syntax (a column's value in the config):
 *   plain text is copied; {ATTR|transform|transform:arg} inserts the first value of ATTR;
 *   {ATTR1/ATTR2} takes the first one present; {$cp} is the structure's value for that column
 *   key; "{{" and "}}" are literal braces.
 * Transforms: upper, lower, trim, digits, phone, strip:PREFIX[:LEN] (remove PREFIX, only when
 *   the value is LEN characters long if LEN is given: strip:8:12), substr:START[:LEN] (0-based,
 *   in characters), date, first (first word), default:TEXT (when empty).
 * Multi-valued attributes give their first value; a value that is not UTF-8 is dropped with an
 * "invalid-utf8" finding.
 */
#ifndef MS_MAP_H
#define MS_MAP_H

#include "conf.h"
#include "model.h"

struct map_template;

/* Compile a template. On error returns NULL and *err (allocated) says why. */
struct map_template *map_compile(const char *text, char **err) WUR;
void map_template_free(struct map_template *t);
/* Attribute names the template reads (appended to *names, not duplicated if present). */
void map_template_attrs(const struct map_template *t, char ***names, size_t *n);

/* Expand against entry e and structure st (may be NULL). Returns an allocated string (maybe "").
 * A transform that cannot apply (e.g. phone on garbage) adds a finding (rule "phone-format" or
 * "date-format", a warning, naming where and col) and yields the raw value. */
char *map_expand(const struct map_template *t, const struct entry *e,
		 const struct conf_structure *st, struct findings *f, const char *where, int col);

/* Transforms, exposed for tests and reuse. Each returns an allocated string. */
char *map_phone(const char *in, bool *ok);          /* "+33 4 67 33 00 00" -> "0467330000" */
char *map_digits(const char *in);
/* Directory dates to "AA-MM-JJ": generalized time "20270131000000Z", AD ticks, "2027-01-31".
 * Returns NULL when the value is not a date or means "never" (AD 0 / 9223372036854775807). */
char *map_date(const char *in);
/* Same input forms to seconds since the epoch (UTC); returns false if never/unparseable. */
bool map_date_epoch(const char *in, long long *out);

/* The compiled mapping for a config: one template per column plus the rules. It copies what
 * it needs from c. On error returns NULL and *err (allocated) lists every template error, one
 * per line, as "map.KEY: position N: why" or "org.FIELD: ...". */
struct mapper;
struct mapper *map_new(const struct config *c, char **err) WUR;
void map_free(struct mapper *m);
/* Every attribute the mapping and the rules read from people (NULL-terminated, owned by m). */
const char *const *map_people_attrs(const struct mapper *m);

/* The compiled template of a column (NULL when the column is left empty), owned by m. */
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
 * says so). The type-bal cell is set from the rule; cells NC for the type are cleared, and
 * findings about them dropped. Uses d->st for {$key} (d may be NULL). */
enum bal_type map_person(const struct mapper *m, const struct entry *e,
			 const struct conf_directory *d, map_member_fn member, void *member_arg,
			 struct row *row, struct findings *f);

#endif
