/*
 * source.h - reading one directory section for the collector (collect.c): its groups first
 * (every group, since nesting goes through any of them) and which of them are ORG mailboxes,
 * then its people, pulled one at a time across its bases (dir.h's pull iterator; an entry in
 * two overlapping bases comes once). Also what the reading feeds: the membership index (org.h)
 * and the entries of the ORG responsibles, kept for the ORG rows (orgrows.h).
 *
 * Reading is all-or-nothing: a search that fails is an error (logged by dir.c), never a short
 * read.
 */
#ifndef MS_SOURCE_H
#define MS_SOURCE_H

#include <stdbool.h>
#include "collect.h"
#include "conf.h"
#include "dir.h"
#include "map.h"
#include "org.h"

/* One directory section while it is read. Zero-initialise, set d and counts; free with
 * source_free(). */
struct source {
	const struct conf_directory *d;    /* borrowed from the config */
	struct collect_source *counts;     /* its people, groups and searches are counted here
					      (borrowed) */
	struct dir_session *s;             /* open from source_read_groups() to source_close() */
	struct entry *groups;              /* every group read: those not selected are emptied
					      once their members are in the index */
	size_t ngroups, capgroups;
	bool *selected;                    /* groups[i] is an ORG mailbox (source_index_groups) */
	struct entry *people;              /* the people kept with source_keep_person() */
	size_t npeople, cappeople;
	char *empty;                       /* the last base that gave no people, said for the
					      safety limit (the caller may take it), or NULL */
	/* the people's pull loop (source_next_person) */
	bool started;
	char **attrs;
	size_t nattrs;
	size_t base;                       /* the base being read */
	size_t before;                     /* people counted before it */
	struct dir_search *q;
	struct hmap *seen;                 /* normalised DNs read; NULL with one base */
};

/* Open sd's session and read its groups (when groups are selected or rules read them), with
 * the attributes c's rules and m's group templates read. 0, or -1 (logged). */
int source_read_groups(struct source *sd, const struct config *c, const struct mapper *m) WUR;

/* Register sd's groups and their member values in idx, decide which are ORG mailboxes
 * (sd->selected) and empty the others' entries. */
void source_index_groups(struct source *sd, struct org_index *idx);

/* The responsibles of the ORG mailboxes of sd[0..n), and default_owner (may be NULL), whose
 * entries must be kept: put in owners as normalised DN -> (void *)1. */
void source_owners(const struct source *sd, size_t n, const char *default_owner,
		   struct hmap *owners);

/* The next person of sd, base after base, with the attributes m's templates and c's rules
 * read: 1 with *e (owned by the search: it lives until the next call, unless taken with
 * dir_entry_steal()), 0 when every base is read, -1 when a search failed (logged). Each base
 * read is logged with its count of people; one that gave none is said in sd->empty. */
int source_next_person(struct source *sd, const struct config *c, const struct mapper *m,
		       struct entry **e) WUR;

/* Take person e into sd->people, for mapping once everyone's membership is known. */
void source_keep_person(struct source *sd, struct entry *e);

/* Register person e (read from d) in idx under its DN and uid with id; when owners holds its
 * DN (the responsible of an ORG mailbox), keep its entry there: taken from e with steal, else
 * copied. */
void source_index_person(struct org_index *idx, struct hmap *owners,
			 const struct conf_directory *d, struct entry *e, size_t id, bool steal);

/* The kept entry of responsible dn in owners, or NULL (not a person read). */
const struct entry *source_owner(const struct hmap *owners, const char *dn);

/* Free owners and the entries it holds. NULL is allowed. */
void source_owners_free(struct hmap *owners);

/* Count sd's searches and close its session (kept entries stay). */
void source_close(struct source *sd);
void source_free(struct source *sd);

/* The attribute list of a search: add name (ignored when NULL, empty or present already,
 * without case). *v stays NULL-terminated, as dir_filter_attrs() keeps it (the attributes a
 * filter evaluated client-side tests, which must be fetched); free it with
 * source_attrs_free(). */
void source_attrs_add(char ***v, size_t *n, const char *name);
void source_attrs_free(char **v, size_t n);

#endif
