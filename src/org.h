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

/* Register a person (an account candidate) under its DN and optional uid; id is the caller's
 * index for it. A DN registered twice keeps the first id. */
void org_add_person(struct org_index *x, const char *dn, const char *uid, size_t id);

/* Register a group by DN with its member values. kind tells how to read them:
 * ORG_MEMBER_DN (member), ORG_MEMBER_UNIQUE (uniqueMember: "DN" or "DN#'0101'B"),
 * ORG_MEMBER_UID (memberUid: a uid). The strings are copied. */
enum org_member_kind { ORG_MEMBER_DN, ORG_MEMBER_UNIQUE, ORG_MEMBER_UID };
void org_add_group(struct org_index *x, const char *dn);
void org_add_member(struct org_index *x, const char *group_dn, enum org_member_kind kind,
		    const char *value);

/* Transitive people of group_dn. *ids receives a malloc'd array of person ids (no duplicates,
 * in ascending id order), *n its length. Members that are neither a known person nor a known
 * group are reported as findings (rule "org-member-unknown", warning), cycles as
 * "org-cycle" (warning) naming the groups on the cycle. Returns -1 if group_dn is unknown. */
int org_members(struct org_index *x, const char *group_dn, size_t **ids, size_t *n,
		struct findings *f) WUR;

/* True when person DN is a transitive member of group_dn (for if-member-of rules). */
bool org_is_member(struct org_index *x, const char *person_dn, const char *group_dn);

/* Find a person id by DN; returns false when unknown. */
bool org_person_by_dn(const struct org_index *x, const char *dn, size_t *id);

#endif
