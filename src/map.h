/*
 * map.h - from directory entries to loadusers rows: templates, transforms, BAL type rules.
 * Pure: no I/O. Findings (e.g. a phone number that cannot be normalised) go to a findings list.
 *
 * Template syntax (a column's value in the config):
 *   plain text is copied; {ATTR|transform|transform:arg} inserts the first value of ATTR;
 *   {ATTR1/ATTR2} takes the first one present; {$cp} is the structure's value for that column
 *   key; "{{" and "}}" are literal braces.
 * Transforms: upper, lower, trim, digits, phone, strip:PREFIX, substr:START[:LEN], date,
 *   first (first word), default:TEXT.
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
 * A transform that cannot apply (e.g. phone on garbage) adds a finding and yields the raw value. */
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

/* The compiled mapping for a config: one template per column plus the rules. */
struct mapper;
struct mapper *map_new(const struct config *c, char **err) WUR;
void map_free(struct mapper *m);
/* Every attribute the mapping and the rules read from people (NULL-terminated, owned by m). */
const char *const *map_people_attrs(const struct mapper *m);

/* Groups a person belongs to, transitively; used by if-member-of rules. Return true if the
 * person with this DN is a member of the group with DN group_dn. */
typedef bool (*map_member_fn)(const char *person_dn, const char *group_dn, void *arg);

/* Map one person. Fills row (all 36 cells) and returns the BAL type (BAL_NONE if no rule
 * matched: a finding says so). */
enum bal_type map_person(const struct mapper *m, const struct entry *e,
			 const struct conf_directory *d, map_member_fn member, void *member_arg,
			 struct row *row, struct findings *f);

#endif
