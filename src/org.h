/*
 * org.h - group membership resolved in memory: people and groups indexed by DN (and people by
 * uid, for memberUid), transitive members through nested groups with cycle detection.
 * Pure: no I/O. Linear in the memberships visited; no search per member.
 */
#ifndef MS_ORG_H
#define MS_ORG_H

#include <stddef.h>
#include "model.h"

struct org_index;

struct org_index *org_index_new(void);
void org_index_free(struct org_index *x);

/* Register a person (an account candidate) under its DN and optional uid (may be NULL); id is
 * the caller's index for it. A DN registered twice keeps the first id; a uid shared by two people
 * resolves to the first. DNs compare after dn_normalise(), uids ASCII case-insensitively. */
void org_add_person(struct org_index *x, const char *dn, const char *uid, size_t id);
/* The same with the DN already through dn_normalise(). */
void org_add_person_ndn(struct org_index *x, const char *ndn, const char *uid, size_t id);

/* Register a group by DN with its member values. kind tells how to read them:
 * ORG_MEMBER_DN (member), ORG_MEMBER_UNIQUE (uniqueMember: "DN" or "DN#'0101'B"),
 * ORG_MEMBER_UID (memberUid: a uid). The strings are copied. org_add_member() registers the
 * group if it is new. Adding after a query is allowed: cached resolutions are redone. */
enum org_member_kind { ORG_MEMBER_DN, ORG_MEMBER_UNIQUE, ORG_MEMBER_UID };
void org_add_group(struct org_index *x, const char *dn);
void org_add_member(struct org_index *x, const char *group_dn, enum org_member_kind kind,
		    const char *value);

/* Transitive people of group_dn. *ids receives a malloc'd array of person ids (no duplicates,
 * in ascending id order; caller frees), *n its length. Members that are neither a known person
 * nor a known group are reported as findings (rule "org-member-unknown", warning, where = the
 * group listing it, value = the member; each once per call), cycles as "org-cycle" (warning,
 * where = group_dn) naming the groups on the cycle. A member that is both a person and a group
 * counts as both. f may be NULL (no findings). Returns -1 (*ids NULL) if group_dn is unknown. */
int org_members(struct org_index *x, const char *group_dn, size_t **ids, size_t *n,
		struct findings *f) WUR;

/* True when person DN is a transitive member of group_dn (for if-member-of rules). The group's
 * member set is computed at the first call and cached: later calls are O(1) plus the DN. */
bool org_is_member(struct org_index *x, const char *person_dn, const char *group_dn);

/* Find a person id by DN; returns false when unknown. */
bool org_person_by_dn(const struct org_index *x, const char *dn, size_t *id);

#endif
