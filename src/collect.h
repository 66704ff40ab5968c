/*
 * collect.h - from the directories to accounts: read every directory section (groups first,
 * then people), map and validate each person as it arrives, build the ORG mailboxes from the
 * selected groups, and reject duplicate addresses. plan, apply and explain start here.
 *
 * Reading is all-or-nothing: any directory error fails the collection, so that a short search
 * is never read as "these people left".
 */
#ifndef MS_COLLECT_H
#define MS_COLLECT_H

#include <stdbool.h>
#include "check.h"
#include "conf.h"
#include "map.h"
#include "national.h"
#include "plan.h"

/* What one directory section gave. */
struct collect_source {
	const struct conf_directory *d;    /* borrowed from the config */
	size_t people, groups, orgs;
	unsigned long searches;
};

/* The national directory's part of a collection (issue 15); zero without the section. The
 * counts hold whatever the severities of the rules (natcheck.h). */
struct collect_national {
	struct nat_db *db;                 /* collect_opts.national, or opened by collect() */
	bool owned;                        /* opened by collect(): collect_free() closes it */
	size_t checked;                    /* rows whose RPPS or ADELI was looked up */
	size_t absent;                     /* rows with a number absent from the extract */
	size_t name;                       /* rows whose names are not the holder's */
	size_t profession;                 /* rows whose profession is not the holder's */
	size_t mssante_people;             /* professionals (PER, INT accounts not rejected)
					      whose record has MSSanté addresses */
	size_t mssante_addresses;          /* their addresses */
	size_t mssante_own;                /* those in the national-directory mssante-domains */
};

/* Everything collected; owned by the caller, freed with collect_free(). */
struct collection {
	struct account *acc;               /* people, then ORG mailboxes */
	size_t nacc, capacc;
	struct collect_source *src;        /* one per directory section, in config order */
	size_t nsrc;
	struct findings f;                 /* mapping and validation findings */
	struct map_stats *stats;           /* coverage of the rows, unmatched table values */
	bool empty;                        /* a base gave no people (safety limit) */
	char *empty_detail;                /* which one, for the report */
	struct collect_national national;  /* each account's record: account.national */
};

/* explain: one entry looked for while collecting, by DN (compared after dn_normalise) or by
 * the address it maps to (trimmed, lower case). The first match is kept and mapped once more
 * with a trace. Zero-initialise, set want; free with collect_explain_free(). */
struct collect_explain {
	const char *want;                  /* DN or address, as given (borrowed) */
	size_t found;                      /* entries that matched */
	size_t acc;                        /* the first one's index in collection.acc */
	bool group;                        /* it is an ORG mailbox (a group) */
	const struct conf_directory *dir;  /* where it was read (borrowed from the config) */
	struct entry entry;                /* a copy of its entry */
	struct map_trace trace;            /* its mapping: columns and BAL rules */
	struct row mapped;                 /* a person's row as mapped, before the checks
					      normalise it (CP to Département, list forms) */
};
void collect_explain_free(struct collect_explain *ex);

struct collect_opts {
	long long now;                     /* epoch s: end dates are compared with it */
	size_t reserve;                    /* accounts expected (those the state knows) */
	struct collect_explain *explain;   /* NULL unless explaining an entry */
	/* The national directory (nat_open or nat_open_background: collect() waits for its
	 * check before it returns), borrowed: it must outlive the collection. NULL: collect()
	 * opens it itself when c has a national-directory section. */
	struct nat_db *national;
	/* Values kept by hand in Medimail (reconcile, hand-edits = keep; kept_values_load()),
	 * given to the accounts as the collection's last step (reconcile_keep_apply); borrowed.
	 * NULL, or nkept 0: none. */
	const struct kept_value *kept;
	size_t nkept;
};

/* The checker and the mapper of c that collect() needs: 0, or -1 when the configuration is
 * at fault (logged; exit status 2). Free them with check_free() and map_free(). */
int collect_setup(const struct config *c, struct checker **ck, struct mapper **m) WUR;

/* Collect every account of c's directories, mapped by m and validated by ck; with a
 * national-directory section, the templates read the national directory and the rows are
 * checked against it (natcheck.h); then the values kept by hand (o->kept) replace the
 * cells they were kept for. The collection is final when collect() returns. Returns 0, or -1 when a directory could not be read
 * completely, or the national directory cannot be opened or its index turns out damaged (the
 * error is logged); *out holds what was collected in both cases and must be freed with
 * collect_free(). */
int collect(const struct config *c, const struct mapper *m, const struct checker *ck,
	    const struct collect_opts *o, struct collection *out) WUR;
void collect_free(struct collection *col);

#endif
