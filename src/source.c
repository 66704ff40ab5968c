/*
 * source.c - reading one directory section: groups, then people pulled across its bases; the
 * membership index and the ORG responsibles' entries they feed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "log.h"
#include "source.h"

void source_attrs_add(char ***v, size_t *n, const char *name)
{
	if (!name || !*name)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp((*v)[i], name) == 0)
			return;
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(name);
	(*v)[*n] = NULL;
}

void source_attrs_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Whether DN dn was read already (overlapping bases); seen may be NULL (one base). */
static bool seen_before(struct hmap *seen, const char *dn)
{
	char *ndn;
	bool dup;

	if (!seen)
		return false;
	ndn = dn_normalise(dn);
	dup = hmap_add(seen, ndn, (void *)1) != NULL;
	free(ndn);
	return dup;
}

/* Read every group of one search into sd->groups, skipping those already in seen. 0, or -1
 * when the search failed (logged). */
static int gather(struct source *sd, const char *base, enum dir_scope scope,
		  const char *filter, char **attrs, struct hmap *seen)
{
	struct dir_search *q = dir_search_start(sd->s, base, scope, filter,
						 (const char *const *)attrs);
	struct entry *e;
	int r;

	while ((r = dir_next_entry(q, &e)) == 1) {
		if (seen_before(seen, e->dn))
			continue;
		xgrow(&sd->groups, &sd->capgroups, sd->ngroups + 1, sizeof(*sd->groups));
		dir_entry_steal(&sd->groups[sd->ngroups++], e);
	}
	dir_search_end(q);
	return r;
}

static const char *const group_classes =
	"(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)"
	"(objectClass=group)(objectClass=groupOfURLs))";

/* The attributes of the groups' searches. */
static void group_attrs(const struct conf_directory *d, const struct mapper *m, char ***v,
			size_t *n)
{
	source_attrs_add(v, n, "objectClass");
	source_attrs_add(v, n, "cn");
	source_attrs_add(v, n, d->id_attribute);
	source_attrs_add(v, n, d->owner_attribute);
	for (size_t i = 0; i < d->nmember_attributes; i++)
		source_attrs_add(v, n, d->member_attributes[i]);
	for (const char *const *a = map_group_attrs(m); *a; a++)
		source_attrs_add(v, n, *a);
	(void)dir_filter_attrs(d->group_filter, v, n);
}

int source_read_groups(struct source *sd, const struct config *c, const struct mapper *m)
{
	const struct conf_directory *d = sd->d;
	char **gattrs = NULL;
	size_t ng = 0;
	struct hmap *seen = hmap_new(false);
	int rc = -1;

	group_attrs(d, m, &gattrs, &ng);
	sd->s = dir_open(d);
	if (!sd->s)
		goto out;
	if (d->group_filter || d->ngroup_dns > 0 || c->nrules > 0) {
		for (size_t i = 0; i < d->ngroup_bases; i++)
			if (gather(sd, d->group_bases[i], DIR_SCOPE_SUB, group_classes, gattrs,
				   seen) != 0)
				goto out;
		/* Groups named by DN may live outside the group bases. */
		for (size_t i = 0; i < d->ngroup_dns; i++) {
			char *ndn = dn_normalise(d->group_dns[i]);
			bool have = hmap_get(seen, ndn) != NULL;

			free(ndn);
			if (!have && gather(sd, d->group_dns[i], DIR_SCOPE_BASE,
					    "(objectClass=*)", gattrs, seen) != 0)
				goto out;
		}
	}
	sd->counts->groups = sd->ngroups;
	rc = 0;
out:
	hmap_free(seen);
	source_attrs_free(gattrs, ng);
	return rc;
}

static bool group_selected(const struct conf_directory *d, const struct entry *g)
{
	char *ndn;
	bool eq = false;

	if (d->group_filter && dir_filter_match(d->group_filter, g) == 1)
		return true;
	if (d->ngroup_dns == 0)
		return false;
	ndn = dn_normalise(g->dn);
	for (size_t i = 0; i < d->ngroup_dns && !eq; i++) {
		char *a = dn_normalise(d->group_dns[i]);

		eq = strcmp(a, ndn) == 0;
		free(a);
	}
	free(ndn);
	return eq;
}

void source_index_groups(struct source *sd, struct org_index *idx)
{
	const struct conf_directory *d = sd->d;

	sd->selected = xcalloc(sd->ngroups ? sd->ngroups : 1, sizeof(*sd->selected));
	for (size_t i = 0; i < sd->ngroups; i++) {
		struct entry *g = &sd->groups[i];

		org_add_group(idx, g->dn);
		for (size_t k = 0; k < d->nmember_attributes; k++) {
			const char *name = d->member_attributes[k];
			const struct attr *a = entry_attr(g, name);
			enum org_member_kind kind = ORG_MEMBER_DN;

			if (!a)
				continue;
			if (strcasecmp(name, "uniqueMember") == 0)
				kind = ORG_MEMBER_UNIQUE;
			else if (strcasecmp(name, "memberUid") == 0)
				kind = ORG_MEMBER_UID;
			for (size_t v = 0; v < a->nvals; v++)
				org_add_member(idx, g->dn, kind, a->vals[v]);
		}
		sd->selected[i] = group_selected(d, g);
		if (!sd->selected[i])
			entry_free(g);     /* the index has its members: nothing else reads it */
	}
}

static void owner_put(struct hmap *owners, const char *dn)
{
	char *ndn = dn_normalise(dn);

	hmap_put(owners, ndn, (void *)1);
	free(ndn);
}

void source_owners(const struct source *sd, size_t n, const char *default_owner,
		   struct hmap *owners)
{
	if (default_owner)
		owner_put(owners, default_owner);
	for (size_t i = 0; i < n; i++) {
		const struct conf_directory *d = sd[i].d;

		for (size_t k = 0; k < sd[i].ngroups; k++) {
			const char *o = d->owner_attribute ?
					entry_get(&sd[i].groups[k], d->owner_attribute) : NULL;

			if (o && sd[i].selected[k])
				owner_put(owners, o);
		}
	}
}

const struct entry *source_owner(const struct hmap *owners, const char *dn)
{
	char *ndn = dn_normalise(dn);
	const struct entry *e = hmap_get(owners, ndn);

	free(ndn);
	return e == (void *)1 ? NULL : e;
}

void source_owners_free(struct hmap *owners)
{
	size_t pos = 0;
	const char *k;
	void *v;

	while (owners && hmap_next(owners, &pos, &k, &v))
		if (v != (void *)1) {
			entry_free(v);
			free(v);
		}
	hmap_free(owners);
}

void source_index_person(struct org_index *idx, struct hmap *owners,
			 const struct conf_directory *d, struct entry *e, size_t id, bool steal)
{
	const char *uid = d->uid_attribute ? entry_get(e, d->uid_attribute) : NULL;
	char *ndn = dn_normalise(e->dn);

	org_add_person_ndn(idx, ndn, uid, id);
	if (hmap_count(owners) > 0 && hmap_get(owners, ndn) == (void *)1) {
		struct entry *copy = xcalloc(1, sizeof(*copy));

		if (steal) {
			dir_entry_steal(copy, e);
		} else {
			copy->dn = xstrdup(e->dn);
			for (size_t i = 0; i < e->nattrs; i++)
				for (size_t v = 0; v < e->attrs[i].nvals; v++)
					entry_add_value(copy, e->attrs[i].name, e->attrs[i].vals[v],
							e->attrs[i].lens[v]);
		}
		hmap_put(owners, ndn, copy);
	}
	free(ndn);
}

void source_keep_person(struct source *sd, struct entry *e)
{
	xgrow(&sd->people, &sd->cappeople, sd->npeople + 1, sizeof(*sd->people));
	dir_entry_steal(&sd->people[sd->npeople++], e);
}

/* The attributes of the people's searches. */
static void people_attrs(struct source *sd, const struct config *c, const struct mapper *m)
{
	const struct conf_directory *d = sd->d;

	for (const char *const *a = map_people_attrs(m); *a; a++)
		source_attrs_add(&sd->attrs, &sd->nattrs, *a);
	source_attrs_add(&sd->attrs, &sd->nattrs, d->id_attribute);
	source_attrs_add(&sd->attrs, &sd->nattrs, d->disabled_attribute);
	source_attrs_add(&sd->attrs, &sd->nattrs, d->end_date_attribute);
	source_attrs_add(&sd->attrs, &sd->nattrs, d->uid_attribute);
	(void)dir_filter_attrs(d->disabled_filter, &sd->attrs, &sd->nattrs);
	for (size_t i = 0; i < c->nrules; i++)
		source_attrs_add(&sd->attrs, &sd->nattrs, c->rules[i].if_attribute);
}

/* One base read: its count of people logged, and said when there are none. */
static void base_done(struct source *sd)
{
	const struct conf_directory *d = sd->d;
	size_t got = sd->counts->people - sd->before;

	log_info("%s: %zu people under %s", d->name, got, d->bases[sd->base]);
	if (got == 0) {
		free(sd->empty);
		sd->empty = xasprintf(_("directory \"%s\", base %s: no people"), d->name,
				      d->bases[sd->base]);
	}
	sd->base++;
}

/* The end of the people's loop: what it held is freed. */
static void people_done(struct source *sd)
{
	dir_search_end(sd->q);
	sd->q = NULL;
	hmap_free(sd->seen);
	sd->seen = NULL;
	source_attrs_free(sd->attrs, sd->nattrs);
	sd->attrs = NULL;
	sd->nattrs = 0;
}

int source_next_person(struct source *sd, const struct config *c, const struct mapper *m,
		       struct entry **e)
{
	const struct conf_directory *d = sd->d;
	int r;

	if (!sd->started) {
		sd->started = true;
		people_attrs(sd, c, m);
		sd->seen = d->nbases > 1 ? hmap_new(false) : NULL;
	}
	while (sd->base < d->nbases) {
		if (!sd->q) {
			sd->before = sd->counts->people;
			sd->q = dir_search_start(sd->s, d->bases[sd->base], DIR_SCOPE_SUB,
						 d->people_filter, (const char *const *)sd->attrs);
		}
		while ((r = dir_next_entry(sd->q, e)) == 1) {
			if (seen_before(sd->seen, (*e)->dn))
				continue;
			sd->counts->people++;
			return 1;
		}
		dir_search_end(sd->q);
		sd->q = NULL;
		if (r != 0) {
			people_done(sd);
			return -1;
		}
		base_done(sd);
	}
	people_done(sd);
	return 0;
}

void source_close(struct source *sd)
{
	if (!sd->s)
		return;
	sd->counts->searches = dir_search_count(sd->s);
	dir_close(sd->s);
	sd->s = NULL;
}

void source_free(struct source *sd)
{
	people_done(sd);
	dir_close(sd->s);
	for (size_t i = 0; i < sd->npeople; i++)
		entry_free(&sd->people[i]);
	for (size_t i = 0; i < sd->ngroups; i++)
		entry_free(&sd->groups[i]);
	free(sd->selected);
	free(sd->people);
	free(sd->groups);
	free(sd->empty);
	memset(sd, 0, sizeof(*sd));
}
