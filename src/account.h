/*
 * account.h - from one directory entry to one account, decided in one place: its key (the
 * stable id), whether it is disabled, its end date, its mapped and validated row, and its
 * record in the national directory. Pure: the entry comes in, the account and its findings go
 * out; the national directory is read through nat_find() when there is one.
 *
 * A value that decides whether someone keeps a mailbox is never dropped without a word: an
 * end date or a disabled marker that cannot be read is a finding (end-date-unreadable,
 * disabled-unreadable) that keeps the entry out at severity error, the default (fail closed).
 * Every error finding rejects its account.
 */
#ifndef MS_ACCOUNT_H
#define MS_ACCOUNT_H

#include <stdbool.h>
#include "check.h"
#include "collect.h"
#include "conf.h"
#include "map.h"
#include "org.h"
#include "plan.h"

/* What the accounts of one collection are built with; everything is borrowed. */
struct account_env {
	const struct config *c;
	const struct checker *ck;          /* severities, checks and normalisation */
	const struct mapper *m;            /* c's templates */
	long long now;                     /* epoch s: end dates are compared with it */
	struct org_index *idx;             /* membership, for if-member-of rules and ORG rows */
	struct map_stats *stats;           /* coverage and unmatched values; NULL: none kept */
	/* the national directory and the counts of the rows checked against it; NULL, or a NULL
	 * db: no national directory */
	struct collect_national *national;
};

/* The stable id as text: objectGUID (16 bytes) in canonical form, else the first value when
 * it is UTF-8. NULL when the entry has no usable value (allocated otherwise). */
char *account_key(const struct entry *e, const char *id_attr);

/* Whether the person is disabled by d's disabled-attribute or disabled-filter: 1 yes, 0 no,
 * -1 the marker cannot be read (the filter is undefined for this entry). */
int account_disabled(const struct conf_directory *d, const struct entry *e);

/* The person's end date (the earliest of d's end-date-attribute values, read with its
 * end-date-format) into *end (0: none). Returns -1 when a value cannot be read as a date, with
 * *bad pointing to it (borrowed from e). */
int account_end_date(const struct conf_directory *d, const struct entry *e, long long *end,
		     const char **bad);

/* Build the account of person e read from d into a (zeroed by the caller, type BAL_NONE): dn,
 * source, key, disabled, end_time, type, row (not packed), national and rejected. A person who
 * is leaving (disabled, or past their end date) is classified first and their data errors are
 * not reported, since the row last written (if any) is what an expiry writes again. An entry
 * without a usable key gets "dn:DN" and a missing-id finding. Findings go to f; a is rejected
 * when one of them is an error. */
void account_person(const struct account_env *env, const struct conf_directory *d,
		    const struct entry *e, struct account *a, struct findings *f);

/* explain: map person e once more into *mapped (packed), with the trace of each column. The
 * mapping is pure: the same entry gives the same row as account_person. */
void account_trace(const struct account_env *env, const struct conf_directory *d,
		   const struct entry *e, struct row *mapped, struct map_trace *trace);

/* What the templates read of the national directory (*mn, filled), or NULL without one. */
struct map_national *account_national(const struct account_env *env, struct map_national *mn);

/* The same for an ORG responsible's templates: the record of the RPPS rpps ("" gives none). */
struct map_national *account_national_resp(const struct account_env *env,
					   struct map_national *mn, const char *rpps);

/* Check a's row against the national directory (natcheck.h), keep its record in a->national
 * and count it in env->national. mapped: the record its templates read, or NULL. Returns true
 * when a finding of severity error rejects it. Nothing is done without a national directory. */
bool account_national_check(const struct account_env *env, struct account *a,
			    const char *where, const struct nat_person *mapped,
			    struct findings *f);

/* Whether one of f's findings from index from on is an error. */
bool account_errors_since(const struct findings *f, size_t from);

#endif
