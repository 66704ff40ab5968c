/*
 * orgrows.h - the row of an ORG mailbox, from a selected group: its own cells from the org
 * templates read on the group's entry, the structure and contact cells from the people's
 * templates read on the same entry, the responsible's cells from the owner's entry (or the
 * configured default owner) and its national record, and the connexion accounts (the group's
 * transitive members that are valid nominative accounts). Pure: the group, the people already
 * built and their membership come in, the account and its findings go out.
 *
 * Findings: missing-id, org-no-responsible, org-responsible-unknown, org-responsible-rpps,
 * org-member-excluded, org-mail-personal, org.c's org-cycle and org-member-unknown, then the
 * row's checks; each with the severity the configuration gives its rule. Every error finding
 * rejects the ORG mailbox.
 */
#ifndef MS_ORGROWS_H
#define MS_ORGROWS_H

#include <stdbool.h>
#include "account.h"
#include "map.h"

/* The people an ORG mailbox is built from; borrowed. */
struct orgrows_people {
	const struct account *acc;         /* the people's accounts, by their ids in env->idx */
	size_t nacc;
	/* normalised DN -> the entry of each responsible read, or (void *)1 for one that was
	 * not (source.h: source_owners, source_index_person) */
	const struct hmap *owners;
};

/* Build the ORG mailbox of group g (selected in d) into a (zeroed by the caller): type ORG,
 * dn, source, key ("dn:DN" and a missing-id finding when the group has no usable id), row
 * (checked and normalised) and rejected. Findings go to f; xx (may be NULL) gets the
 * statistics and, for explain, the trace of each column. */
void orgrows_account(const struct account_env *env, const struct orgrows_people *p,
		     const struct conf_directory *d, const struct entry *g, struct account *a,
		     struct findings *f, const struct map_extra *xx);

/* The value of ORG field fld's template read on e (d->st fills {$key}); allocated, "" when the
 * field has no template. Findings go to f, naming e->dn and col. */
char *orgrows_expand(const struct account_env *env, enum map_org_field fld,
		     const struct entry *e, const struct conf_structure *st, struct findings *f,
		     int col, const struct map_extra *xx);

#endif
