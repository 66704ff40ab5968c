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
#include "plan.h"

/* What one directory section gave. */
struct collect_source {
	const struct conf_directory *d;    /* borrowed from the config */
	size_t people, groups, orgs;
	unsigned long searches;
};

/* Everything collected; owned by the caller, freed with collect_free(). */
struct collection {
	struct account *acc;               /* people, then ORG mailboxes */
	size_t nacc, capacc;
	struct collect_source *src;        /* one per directory section, in config order */
	size_t nsrc;
	struct findings f;                 /* mapping and validation findings */
	bool empty;                        /* a base gave no people (safety limit) */
	char *empty_detail;                /* which one, for the report */
};

struct collect_opts {
	long long now;                     /* epoch s: end dates are compared with it */
	size_t reserve;                    /* accounts expected (those the state knows) */
};

/* Collect every account of c's directories, mapped by m and validated by ck. Returns 0, or -1
 * when a directory could not be read completely (the error is logged); *out holds what was
 * collected in both cases and must be freed with collect_free(). */
int collect(const struct config *c, const struct mapper *m, const struct checker *ck,
	    const struct collect_opts *o, struct collection *out) WUR;
void collect_free(struct collection *col);

#endif
