/*
 * run.c - one run: directories -> entries -> accounts (people, then ORG mailboxes) -> plan ->
 * loadusers file and state. Reading is all-or-nothing: any directory error fails the run before
 * anything is planned, so a short search is never read as "these people left".
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dir.h"
#include "i18n.h"
#include "log.h"
#include "map.h"
#include "org.h"
#include "output.h"
#include "report.h"
#include "run.h"
#include "state.h"

/* One directory section while it is read: its session, its groups, and its people's entries
 * when they must be kept until every person is known (if-member-of rules). */
struct source_data {
	struct dir_session *s;
	struct entry *people;
	size_t npeople, cappeople;
	struct entry *groups;
	size_t ngroups, capgroups;
	bool *selected;           /* groups[i] is an ORG mailbox; the others' entries are freed
				     once their members are in the ORG index */
};

/* What the people's search callback needs to map each person as it arrives. */
struct people_ctx {
	struct run *r;
	struct run_source *rs;
	struct source_data *sd;
	const struct mapper *m;
	const struct checker *ck;
	struct org_index *idx;
	struct hmap *seen;        /* normalised DNs read (overlapping bases); NULL with one base */
	struct hmap *owners;      /* normalised DN of each ORG responsible -> its entry copy */
	bool keep;                /* keep the entries and map them afterwards */
};

struct collect {
	struct entry **v;
	size_t *n, *cap;
	struct hmap *seen;        /* normalised DNs already collected (overlapping bases) */
};

static int collect_entry(struct entry *e, void *arg)
{
	struct collect *c = arg;
	char *ndn = dn_normalise(e->dn);
	bool dup = hmap_add(c->seen, ndn, (void *)1) != NULL;

	free(ndn);
	if (dup)
		return 0;
	xgrow(c->v, c->cap, *c->n + 1, sizeof(**c->v));
	(*c->v)[(*c->n)++] = *e;
	memset(e, 0, sizeof(*e));     /* taken: the caller's entry_free() frees nothing */
	return 0;
}

static void add_attr(char ***v, size_t *n, const char *name)
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

/* The attribute names an LDAP filter tests: evaluated client-side, they must be fetched. */
static void add_filter_attrs(char ***v, size_t *n, const char *filter)
{
	const char *p = filter;

	while (p && (p = strchr(p, '(')) != NULL) {
		size_t len;
		char *name;

		p++;
		while (*p == '&' || *p == '|' || *p == '!' || *p == '(' || *p == ' ')
			p++;
		len = strcspn(p, "=~<>:()");
		if (len == 0 || (p[len] != '=' && p[len] != '~' && p[len] != '<' &&
				 p[len] != '>' && p[len] != ':'))
			continue;
		name = xstrndup(p, len);
		add_attr(v, n, name);
		free(name);
		p += len;
	}
}

static void free_attrs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const char *const group_classes =
	"(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)"
	"(objectClass=group)(objectClass=groupOfURLs))";

/* Read every group of one directory section (nesting goes through any of them), opening
 * the session that the people's search uses next. */
static int read_groups(struct run *r, struct run_source *rs, const struct mapper *m,
		       struct source_data *sd)
{
	const struct conf_directory *d = rs->d;
	char **gattrs = NULL;
	size_t ng = 0;
	struct hmap *seen = hmap_new(false);
	struct collect col = { &sd->groups, &sd->ngroups, &sd->capgroups, seen };
	int rc = -1;

	add_attr(&gattrs, &ng, "objectClass");
	add_attr(&gattrs, &ng, "cn");
	add_attr(&gattrs, &ng, d->id_attribute);
	add_attr(&gattrs, &ng, d->owner_attribute);
	for (size_t i = 0; i < d->nmember_attributes; i++)
		add_attr(&gattrs, &ng, d->member_attributes[i]);
	for (const char *const *a = map_group_attrs(m); *a; a++)
		add_attr(&gattrs, &ng, *a);
	add_filter_attrs(&gattrs, &ng, d->group_filter);

	sd->s = dir_open(d);
	if (!sd->s)
		goto out;
	if (d->group_filter || d->ngroup_dns > 0 || r->c->nrules > 0) {
		for (size_t i = 0; i < d->ngroup_bases; i++)
			if (dir_search(sd->s, d->group_bases[i], DIR_SCOPE_SUB, group_classes,
				       (const char *const *)gattrs, collect_entry, &col) != 0)
				goto out;
		/* Groups named by DN may live outside the group bases. */
		for (size_t i = 0; i < d->ngroup_dns; i++) {
			char *ndn = dn_normalise(d->group_dns[i]);
			bool have = hmap_get(seen, ndn) != NULL;

			free(ndn);
			if (!have && dir_search(sd->s, d->group_dns[i], DIR_SCOPE_BASE,
						"(objectClass=*)", (const char *const *)gattrs,
						collect_entry, &col) != 0)
				goto out;
		}
	}
	rs->groups = sd->ngroups;
	rc = 0;
out:
	hmap_free(seen);
	free_attrs(gattrs, ng);
	return rc;
}

static struct account *new_account(struct run *r)
{
	struct account *a;

	xgrow(&r->acc, &r->capacc, r->nacc + 1, sizeof(*r->acc));
	a = &r->acc[r->nacc++];
	memset(a, 0, sizeof(*a));
	a->type = BAL_NONE;
	return a;
}

/* The stable id as text: objectGUID (16 bytes) in canonical form, else the value. */
static char *entry_key(const struct entry *e, const char *id_attr)
{
	const struct attr *a = entry_attr(e, id_attr);

	if (!a || a->nvals == 0 || a->lens[0] == 0)
		return NULL;
	if (a->lens[0] == 16 && strcasecmp(id_attr, "objectGUID") == 0)
		return dir_guid_text((const unsigned char *)a->vals[0], 16);
	if (!utf8_valid(a->vals[0], a->lens[0]))
		return NULL;
	return xstrdup(a->vals[0]);
}

struct member_ctx {
	struct org_index *idx;
};

static bool is_member(const char *person_dn, const char *group_dn, void *arg)
{
	struct member_ctx *mc = arg;

	return org_is_member(mc->idx, person_dn, group_dn);
}

static bool entry_disabled(const struct conf_directory *d, const struct entry *e)
{
	if (d->disabled_attribute && entry_attr(e, d->disabled_attribute))
		return true;
	return d->disabled_filter && dir_filter_match(d->disabled_filter, e) == 1;
}

/* Map, normalise and validate one person into a new account. */
static void map_one(struct people_ctx *pc, const struct entry *e)
{
	struct run *r = pc->r;
	const struct conf_directory *d = pc->rs->d;
	struct member_ctx mc = { pc->idx };
	struct account *a = new_account(r);
	const char *end;
	long long t;

	a->dn = xstrdup(e->dn);
	a->source = d->name;
	a->key = entry_key(e, d->id_attribute);
	a->disabled = entry_disabled(d, e);
	end = d->end_date_attribute ? entry_get(e, d->end_date_attribute) : NULL;
	if (end && map_date_read(end, d->end_date_format, &t) == DATE_OK)
		a->end_time = t;
	a->type = map_person(pc->m, e, d, is_member, &mc, &a->row, &r->f, NULL);
	if (!a->key) {
		findings_add(&r->f, SEV_ERROR, e->dn, -1, "missing-id", NULL,
			     _("the entry has no usable %s (the stable id)"), d->id_attribute);
		a->key = xasprintf("dn:%s", e->dn);
		a->rejected = true;
	}
	if (a->type == BAL_NONE) {
		a->rejected = true;
	} else {
		/* A future end date is written ahead as Date de péremption. */
		if (a->end_time > 0 && str_empty(row_get(&a->row, COL_PEREMPTION)))
			row_take(&a->row, COL_PEREMPTION, plan_date(a->end_time));
		/* a disabled person is leaving: the last written row is what counts */
		if (!a->disabled) {
			check_normalise(pc->ck, &a->row, a->type);
			if (check_row(pc->ck, &a->row, a->type, e->dn, &r->f) > 0)
				a->rejected = true;
		}
	}
	row_pack(&a->row);
}

/* Register a person for membership resolution, and keep its entry if it is responsible for
 * an ORG mailbox (the responsible's cells are read on it). */
static void register_person(struct people_ctx *pc, struct entry *e, size_t id, bool steal)
{
	const char *uid = pc->rs->d->uid_attribute ? entry_get(e, pc->rs->d->uid_attribute) : NULL;
	char *ndn = dn_normalise(e->dn);

	org_add_person_ndn(pc->idx, ndn, uid, id);
	if (hmap_count(pc->owners) > 0 && hmap_get(pc->owners, ndn) == (void *)1) {
		struct entry *copy = xmalloc(sizeof(*copy));

		if (steal) {
			*copy = *e;
			memset(e, 0, sizeof(*e));
		} else {
			memset(copy, 0, sizeof(*copy));
			copy->dn = xstrdup(e->dn);
			for (size_t i = 0; i < e->nattrs; i++)
				for (size_t v = 0; v < e->attrs[i].nvals; v++)
					entry_add_value(copy, e->attrs[i].name, e->attrs[i].vals[v],
							e->attrs[i].lens[v]);
		}
		hmap_put(pc->owners, ndn, copy);
	}
	free(ndn);
}

static int person_entry(struct entry *e, void *arg)
{
	struct people_ctx *pc = arg;
	size_t id;

	if (pc->seen) {
		char *ndn = dn_normalise(e->dn);
		bool dup = hmap_add(pc->seen, ndn, (void *)1) != NULL;

		free(ndn);
		if (dup)
			return 0;
	}
	pc->rs->people++;
	if (pc->keep) {
		xgrow(&pc->sd->people, &pc->sd->cappeople, pc->sd->npeople + 1,
		      sizeof(*pc->sd->people));
		pc->sd->people[pc->sd->npeople++] = *e;
		memset(e, 0, sizeof(*e));    /* taken: the caller's entry_free() frees nothing */
		return 0;
	}
	/* Streamed: map now, keep only what the ORG mailboxes need. */
	id = pc->r->nacc;
	map_one(pc, e);
	register_person(pc, e, id, true);
	return 0;
}

/* The people of one directory section: mapped as they arrive, or kept (pc->keep). */
static int read_people(struct people_ctx *pc)
{
	const struct conf_directory *d = pc->rs->d;
	const struct config *c = pc->r->c;
	char **pattrs = NULL;
	size_t np = 0;
	int rc = -1;

	for (const char *const *a = map_people_attrs(pc->m); *a; a++)
		add_attr(&pattrs, &np, *a);
	add_attr(&pattrs, &np, d->id_attribute);
	add_attr(&pattrs, &np, d->disabled_attribute);
	add_attr(&pattrs, &np, d->end_date_attribute);
	add_attr(&pattrs, &np, d->uid_attribute);
	add_filter_attrs(&pattrs, &np, d->disabled_filter);
	for (size_t i = 0; i < c->nrules; i++)
		add_attr(&pattrs, &np, c->rules[i].if_attribute);

	pc->seen = d->nbases > 1 ? hmap_new(false) : NULL;
	for (size_t i = 0; i < d->nbases; i++) {
		size_t before = pc->rs->people;
		struct plan_limit *l = &pc->r->plan.limit[LIMIT_EMPTY_SOURCE];

		if (dir_search(pc->sd->s, d->bases[i], DIR_SCOPE_SUB, d->people_filter,
			       (const char *const *)pattrs, person_entry, pc) != 0)
			goto out;
		log_info("%s: %zu people under %s", d->name, pc->rs->people - before,
			 d->bases[i]);
		if (pc->rs->people == before) {
			l->tripped = true;
			free(l->detail);
			l->detail = xasprintf(_("directory \"%s\", base %s: no people"), d->name,
					      d->bases[i]);
		}
	}
	rc = 0;
out:
	hmap_free(pc->seen);
	pc->seen = NULL;
	free_attrs(pattrs, np);
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

static void register_groups(struct org_index *idx, const struct conf_directory *d,
			    struct source_data *sd)
{
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Build the ORG mailbox of group g. Returns false when the ORG is rejected. */
static const int org_shared_cols[] = {
	COL_RAISON_SOCIALE, COL_ADRESSE1, COL_ADRESSE2, COL_CP, COL_VILLE, COL_DEPARTEMENT,
	COL_REGION, COL_TEL1, COL_TEL2, COL_TYPE_ID_STRUCT, COL_ID_STRUCT, COL_STRUCTURE,
};

static char *expand_org(const struct mapper *m, enum map_org_field fld, const struct entry *e,
			const struct conf_structure *st, struct findings *f, int col)
{
	const struct map_template *t = map_org_template(m, fld);

	return t ? map_expand(t, e, st, f, e->dn, col, NULL) : xstrdup("");
}

/* The kept entry of an ORG responsible, or NULL. */
static const struct entry *owner_entry(struct hmap *owners, const char *dn)
{
	char *ndn = dn_normalise(dn);
	const struct entry *e = hmap_get(owners, ndn);

	free(ndn);
	return e == (void *)1 ? NULL : e;
}

/* The responsibles of the selected groups, whose entries must be kept: DN -> (void *)1. */
static void collect_owners(struct run *r, struct source_data *sd, struct hmap *owners)
{
	if (r->c->org.default_owner) {
		char *ndn = dn_normalise(r->c->org.default_owner);

		hmap_put(owners, ndn, (void *)1);
		free(ndn);
	}
	for (size_t i = 0; i < r->nsrc; i++) {
		const struct conf_directory *d = r->src[i].d;

		for (size_t k = 0; k < sd[i].ngroups; k++) {
			const char *o = d->owner_attribute ?
					entry_get(&sd[i].groups[k], d->owner_attribute) : NULL;
			char *ndn;

			if (!o || !sd[i].selected[k])
				continue;
			ndn = dn_normalise(o);
			hmap_put(owners, ndn, (void *)1);
			free(ndn);
		}
	}
}

static void owners_free(struct hmap *owners)
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

static bool build_org(struct run *r, const struct conf_directory *d, const struct entry *g,
		      struct org_index *idx, const struct mapper *m, struct hmap *owners,
		      const struct checker *ck, struct account *a)
{
	const struct conf_structure *st = d->st;
	const char *owner;
	size_t resp_id, *ids = NULL, n = 0, nmail = 0;
	char **mails = NULL;
	const struct account *resp = NULL;
	const struct entry *oe = NULL;
	struct strbuf sb = { 0 };
	bool ok = true;

	row_take(&a->row, COL_MAIL, expand_org(m, MAP_ORG_MAIL, g, st, &r->f, COL_MAIL));
	row_take(&a->row, COL_NOM, expand_org(m, MAP_ORG_NOM, g, st, &r->f, COL_NOM));
	row_take(&a->row, COL_PRENOM, expand_org(m, MAP_ORG_PRENOM, g, st, &r->f, COL_PRENOM));
	row_take(&a->row, COL_DESCRIPTION,
		 expand_org(m, MAP_ORG_DESCRIPTION, g, st, &r->f, COL_DESCRIPTION));
	/* Structure and contact cells: the people's templates, read on the group's entry, so
	 * that the group may override them and the structure fills in the rest. */
	for (size_t i = 0; i < ARRAY_SIZE(org_shared_cols); i++) {
		int col = org_shared_cols[i];
		const struct map_template *t = map_column(m, col);

		if (t)
			row_take(&a->row, col, map_expand(t, g, st, &r->f, g->dn, col, NULL));
	}
	row_set(&a->row, COL_LIBERAL, "NON");
	row_set(&a->row, COL_TYPE_BAL, "ORG");

	/* The responsible: the group's owner, or the configured default. */
	owner = d->owner_attribute ? entry_get(g, d->owner_attribute) : NULL;
	if (!owner)
		owner = r->c->org.default_owner;
	if (!owner) {
		findings_add(&r->f, SEV_ERROR, g->dn, COL_NOM_RESP, "org-no-responsible", NULL,
			     _("the group has no %s and no default-owner is configured"),
			     d->owner_attribute ? d->owner_attribute : "owner");
		ok = false;
	} else if (!org_person_by_dn(idx, owner, &resp_id) || resp_id >= r->nacc ||
		   !(oe = owner_entry(owners, owner))) {
		findings_add(&r->f, SEV_ERROR, g->dn, COL_NOM_RESP, "org-responsible-unknown",
			     owner, _("the responsible is not a person read from the directory"));
		ok = false;
	} else {
		/* The responsible's cells come from the owner's own entry. */
		resp = &r->acc[resp_id];
		row_take(&a->row, COL_NOM_RESP,
			 expand_org(m, MAP_ORG_RESP_NOM, oe, st, &r->f, COL_NOM_RESP));
		row_take(&a->row, COL_PRENOM_RESP,
			 expand_org(m, MAP_ORG_RESP_PRENOM, oe, st, &r->f, COL_PRENOM_RESP));
		row_take(&a->row, COL_PROFESSION_RESP,
			 expand_org(m, MAP_ORG_RESP_PROFESSION, oe, st, &r->f,
				    COL_PROFESSION_RESP));
		row_take(&a->row, COL_ID_RESP,
			 expand_org(m, MAP_ORG_RESP_RPPS, oe, st, &r->f, COL_ID_RESP));
		row_set(&a->row, COL_PROFESSION, row_get(&a->row, COL_PROFESSION_RESP));
		if (!check_rpps(row_get(&a->row, COL_ID_RESP))) {
			findings_add(&r->f, SEV_ERROR, g->dn, COL_ID_RESP, "org-responsible-rpps",
				     owner, _("the responsible %s must be a health professional "
					      "with a valid RPPS number"), resp->dn);
			ok = false;
		}
	}

	/* Connexion accounts: transitive members that are valid nominative accounts. */
	if (org_members(idx, g->dn, &ids, &n, &r->f) == 0) {
		mails = xcalloc(n ? n : 1, sizeof(*mails));
		for (size_t i = 0; i < n; i++) {
			const struct account *mb = &r->acc[ids[i]];
			const char *why = NULL;

			if (mb->rejected)
				why = _("is rejected in this run");
			else if (mb->disabled || (mb->end_time > 0 && mb->end_time <= r->o->now))
				why = _("is disabled");
			else if (mb->type != BAL_PER && mb->type != BAL_INT && mb->type != BAL_MED)
				why = _("is not a PER, INT or MED account");
			if (why) {
				findings_add(&r->f, SEV_WARNING, g->dn, COL_CONNEXION,
					     "org-member-excluded", mb->dn,
					     _("member %s %s: not a connexion account"), mb->dn,
					     why);
				continue;
			}
			mails[nmail++] = (char *)row_get(&mb->row, COL_MAIL);
		}
		qsort(mails, nmail, sizeof(*mails), cmp_str);
		for (size_t i = 0; i < nmail; i++) {
			if (i > 0 && strcmp(mails[i], mails[i - 1]) == 0)
				continue;
			if (sb.len)
				sb_addc(&sb, ';');
			sb_add(&sb, mails[i]);
		}
		/* A generic address: not one of its members' own. */
		for (size_t i = 0; i < nmail; i++)
			if (strcmp(mails[i], row_get(&a->row, COL_MAIL)) == 0) {
				findings_add(&r->f, SEV_ERROR, g->dn, COL_MAIL, "org-mail-personal",
					     mails[i], _("the ORG address is a member's "
							 "personal address: it must be "
							 "generic"));
				ok = false;
				break;
			}
	}
	row_take(&a->row, COL_CONNEXION, sb_steal(&sb));
	free(mails);
	free(ids);

	check_normalise(ck, &a->row, BAL_ORG);
	if (check_row(ck, &a->row, BAL_ORG, g->dn, &r->f) > 0)
		ok = false;
	return ok;
}

static void build_orgs(struct run *r, struct run_source *rs, struct source_data *sd,
		       struct org_index *idx, const struct mapper *m, struct hmap *owners,
		       const struct checker *ck)
{
	for (size_t i = 0; i < sd->ngroups; i++) {
		const struct entry *g = &sd->groups[i];
		struct account *a;

		if (!sd->selected[i])
			continue;
		rs->orgs++;
		a = new_account(r);
		a->type = BAL_ORG;
		a->dn = xstrdup(g->dn);
		a->source = rs->d->name;
		a->key = entry_key(g, rs->d->id_attribute);
		if (!a->key) {
			findings_add(&r->f, SEV_ERROR, g->dn, -1, "missing-id", NULL,
				     _("the group has no usable %s (the stable id)"),
				     rs->d->id_attribute);
			a->key = xasprintf("dn:%s", g->dn);
			a->rejected = true;
		}
		if (!build_org(r, rs->d, g, idx, m, owners, ck, a))
			a->rejected = true;
	}
}

/* An address must be unique among the accounts written: every holder is rejected. */
static void check_duplicates(struct run *r)
{
	struct hmap *h = hmap_new_borrowed(false);     /* the addresses stay in the rows */

	for (size_t i = 0; i < r->nacc; i++) {
		struct account *a = &r->acc[i];
		const char *mail = row_get(&a->row, COL_MAIL);
		struct account *other;

		if (a->rejected || a->disabled || !*mail)
			continue;
		other = hmap_add(h, mail, a);
		if (!other)
			continue;
		findings_add(&r->f, SEV_ERROR, a->dn, COL_MAIL, "mail-duplicate", mail,
			     _("the address is also the address of %s"), other->dn);
		if (!other->rejected)
			findings_add(&r->f, SEV_ERROR, other->dn, COL_MAIL, "mail-duplicate",
				     mail, _("the address is also the address of %s"), a->dn);
		a->rejected = true;
		other->rejected = true;
	}
	hmap_free(h);
}

static void source_data_free(struct source_data *sd)
{
	dir_close(sd->s);
	for (size_t i = 0; i < sd->npeople; i++)
		entry_free(&sd->people[i]);
	for (size_t i = 0; i < sd->ngroups; i++)
		entry_free(&sd->groups[i]);
	free(sd->selected);
	sd->selected = NULL;
	free(sd->people);
	free(sd->groups);
	memset(sd, 0, sizeof(*sd));
}

/* Test hook for crash-safety tests. */
static void crash_point(const char *where)
{
	const char *at = getenv("MEDIMAIL_SYNC_CRASH_AT");

	if (at && strcmp(at, where) == 0)
		raise(SIGKILL);
}

static int write_output(struct run *r, const struct row *const *rows, size_t n)
{
	const struct conf_output *o = &r->c->output;
	char *path, *err = NULL;
	int rc;

	path = unique_path(o->directory, "loadusers", o->format == OUT_CSV ? "csv" : "xlsx");
	if (o->format == OUT_CSV)
		rc = output_write_csv(path, rows, n, o, &err);
	else
		rc = output_write_xlsx(path, rows, n, &err);
	if (rc != 0) {
		log_err("%s", err ? err : path);
		free(path);
	} else {
		r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
		r->files[r->nfiles++] = path;
	}
	free(err);
	return rc;
}

/* Temporary files of a run that was killed before its rename: with the lock held, no other
 * run can be writing them. */
static void remove_stale_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".loadusers-", 11) != 0 &&
		    strncmp(de->d_name, ".report-", 8) != 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_info("%s/%s: removed the temporary file of an interrupted run", dir,
				 de->d_name);
	}
	closedir(d);
}

/* "-l debug" tells where the time of a run goes, phase by phase. */
static void phase_done(const char *what, struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	log_debug("timing: %s: %.3f s", what, (double)(t.tv_sec - t0->tv_sec) +
		  (double)(t.tv_nsec - t0->tv_nsec) / 1e9);
	*t0 = t;
}

struct output_job {
	struct run *r;
	const struct row *const *rows;
	size_t nrows;
	int rc;
};

static void *output_thread(void *arg)
{
	struct output_job *job = arg;

	job->rc = write_output(job->r, job->rows, job->nrows);
	return NULL;
}

struct fetch_ctx {
	struct state *st;
	char *err;
};

static int fetch_prev(void *arg, struct state_account *a)
{
	struct fetch_ctx *fc = arg;

	if (fc->err)
		return -1;
	return state_fetch_row(fc->st, a, &fc->err);
}

static int do_run(struct run *r)
{
	const struct config *c = r->c;
	struct source_data *sd = xcalloc(c->ndirectories, sizeof(*sd));
	struct checker *ck = NULL;
	struct mapper *m = NULL;
	struct state *st = NULL;
	struct org_index *idx = org_index_new();
	struct plan_opts po;
	struct fetch_ctx fc = { NULL, NULL };
	const struct row **rows = NULL;
	struct hmap *owners = NULL;
	bool keep = false;
	size_t nrows;
	char *err = NULL;
	int rc = EXIT_FAIL;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck = check_new(c, &err);
	if (!ck) {
		log_err("%s: %s", c->path, err ? err : "invalid configuration");
		rc = EXIT_USAGE;
		goto out;
	}
	/* the mapper's errors and warnings name the file and line themselves */
	m = map_new(c, &err);
	if (!m) {
		log_err("%s", err ? err : "invalid configuration");
		rc = EXIT_USAGE;
		goto out;
	}
	if (map_warnings(m))
		log_warn("%s", map_warnings(m));
	/* The lock first: a second apply must give up before reading anything. */
	st = state_open(c->state_file, !r->o->apply, r->o->apply, &err);
	if (!st) {
		log_err("%s", err ? err : c->state_file);
		rc = errno == EWOULDBLOCK ? EXIT_LOCKED : EXIT_FAIL;
		goto out;
	}
	if (r->o->apply)
		remove_stale_tmp(c->output.directory);
	if (state_load_digests(st, &r->prev, &r->nprev, &err) != 0) {
		log_err("%s: %s", c->state_file, err ? err : "cannot read the state");
		goto out;
	}

	/* most of the accounts the state knows are read again: reserve room for them, as a
	 * doubled array would waste up to half of it */
	if (r->nprev > 0) {
		r->capacc = r->nprev + r->nprev / 32 + 64;
		r->acc = xcalloc(r->capacc, sizeof(*r->acc));
	}
	phase_done("configuration and state", &t0);
	r->nsrc = c->ndirectories;
	r->src = xcalloc(r->nsrc, sizeof(*r->src));
	/* Groups first: they say whose entries the ORG mailboxes need. Every search of every
	 * directory must succeed before anything is planned. */
	for (size_t i = 0; i < r->nsrc; i++) {
		r->src[i].d = &c->directories[i];
		if (read_groups(r, &r->src[i], m, &sd[i]) != 0)
			goto out;
	}
	phase_done("reading the groups", &t0);
	for (size_t i = 0; i < r->nsrc; i++)
		register_groups(idx, r->src[i].d, &sd[i]);
	owners = hmap_new(false);
	collect_owners(r, sd, owners);
	/* People are mapped as they arrive, unless a rule needs everyone's membership first. */
	for (size_t i = 0; i < c->nrules; i++)
		keep = keep || c->rules[i].if_member_of;
	for (size_t i = 0; i < r->nsrc; i++) {
		struct people_ctx pc = { r, &r->src[i], &sd[i], m, ck, idx, NULL, owners, keep };

		if (read_people(&pc) != 0)
			goto out;
		r->src[i].searches = dir_search_count(sd[i].s);
		dir_close(sd[i].s);
		sd[i].s = NULL;
	}
	for (size_t i = 0; keep && i < r->nsrc; i++) {
		struct people_ctx pc = { r, &r->src[i], &sd[i], m, ck, idx, NULL, owners, keep };

		for (size_t k = 0; k < sd[i].npeople; k++)
			register_person(&pc, &sd[i].people[k], r->nacc + k, false);
		for (size_t k = 0; k < sd[i].npeople; k++)
			map_one(&pc, &sd[i].people[k]);
	}
	phase_done("reading and mapping the people", &t0);
	for (size_t i = 0; i < r->nsrc; i++)
		build_orgs(r, &r->src[i], &sd[i], idx, m, owners, ck);
	check_duplicates(r);
	for (size_t i = 0; i < r->nsrc; i++)
		source_data_free(&sd[i]);

	phase_done("ORG mailboxes and duplicates", &t0);
	po = (struct plan_opts){
		.now = r->o->now,
		.grace_days = c->limits.grace_days,
		.max_expire_count = c->limits.max_expire_count,
		.max_expire_percent = c->limits.max_expire_percent,
		.max_org_loss_percent = c->limits.max_org_loss_percent,
		.override_limits = r->o->override_limits,
		.fetch = fetch_prev,
		.fetch_arg = &fc,
	};
	{
		/* plan_build() starts from a clean plan; keep what reading found. */
		struct plan_limit empty = r->plan.limit[LIMIT_EMPTY_SOURCE];

		memset(&r->plan, 0, sizeof(r->plan));
		fc.st = st;
		if (plan_build(r->acc, r->nacc, r->prev, r->nprev, &po, &r->plan) != 0) {
			log_err("cannot build the plan%s%s", fc.err ? ": " : "",
				fc.err ? fc.err : "");
			free(fc.err);
			free(empty.detail);
			goto out;
		}
		r->planned = true;
		if (empty.tripped) {
			free(r->plan.limit[LIMIT_EMPTY_SOURCE].detail);
			r->plan.limit[LIMIT_EMPTY_SOURCE] = empty;
			if (!r->o->override_limits)
				r->plan.limits_tripped = true;
		} else {
			free(empty.detail);
		}
	}
	phase_done("plan", &t0);
	nrows = plan_rows(&r->plan, &rows);
	r->nrows = nrows;
	r->nothing_to_do = nrows == 0;

	if (r->plan.limits_tripped) {
		rc = EXIT_LIMIT;
		goto out;
	}
	if (r->o->apply && nrows > 0) {
		struct state_run_info ri = { 0 };
		struct strbuf files = { 0 };
		struct output_job job = { r, (const struct row *const *)rows, nrows, -1 };
		pthread_t writer;
		long long run_id;

		/* The loadusers file is written by a second thread while this one writes the
		 * state's rows in an open transaction; the transaction commits only once the
		 * file is complete and renamed, so a crash leaves the state as it was. */
		ri.started = r->started;
		ri.command = "apply";
		if (pthread_create(&writer, NULL, output_thread, &job) != 0) {
			log_err("cannot start a thread: %s", strerror(errno));
			goto out;
		}
		run_id = state_commit_begin(st, &r->plan, &ri, &err);
		pthread_join(writer, NULL);
		if (job.rc != 0) {
			state_commit_abort(st);
			goto out;
		}
		phase_done("loadusers file and state rows", &t0);
		if (run_id < 0) {
			log_err("%s: %s (the file %s was written; the next apply writes its "
				"changes again)", c->state_file, err ? err : "commit failed",
				r->files[0]);
			goto out;
		}
		crash_point("after-file");
		for (size_t i = 0; i < r->nfiles; i++) {
			if (i)
				sb_addc(&files, ';');
			sb_add(&files, r->files[i]);
		}
		ri.finished = time(NULL);
		ri.files = files.buf;
		if (state_commit_end(st, run_id, &ri, &err) != 0) {
			log_err("%s: %s (the file %s was written; the next apply writes its "
				"changes again)", c->state_file, err ? err : "commit failed",
				r->files[0]);
			sb_free(&files);
			goto out;
		}
		sb_free(&files);
		phase_done("state commit", &t0);
	}
	rc = findings_count(&r->f, SEV_ERROR) > 0 ? EXIT_REJECTED : EXIT_OK;
out:
	owners_free(owners);
	free(rows);
	free(err);
	for (size_t i = 0; i < c->ndirectories; i++)
		source_data_free(&sd[i]);
	free(sd);
	org_index_free(idx);
	state_close(st);
	map_free(m);
	check_free(ck);
	return rc;
}

/* Retention: the files of one kind in the output directory, newest first. */
struct out_file {
	char *name;
	struct timespec mtime;
};

static int out_file_cmp(const void *pa, const void *pb)
{
	const struct out_file *a = pa, *b = pb;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec > b->mtime.tv_sec ? -1 : 1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec > b->mtime.tv_nsec ? -1 : 1;
	return -strcmp(a->name, b->name);     /* same second: the "-2" file is the newer */
}

static bool name_matches(const char *name, const char *prefix, const char *const *exts)
{
	const char *dot = strrchr(name, '.');

	if (strncmp(name, prefix, strlen(prefix)) != 0 || !dot)
		return false;
	for (; *exts; exts++)
		if (strcmp(dot + 1, *exts) == 0)
			return true;
	return false;
}

static bool of_this_run(const struct run *r, const char *name)
{
	const char *b;

	for (size_t i = 0; i < r->nfiles; i++) {
		b = strrchr(r->files[i], '/');
		if (strcmp(b ? b + 1 : r->files[i], name) == 0)
			return true;
	}
	if (!r->report)
		return false;
	b = strrchr(r->report, '/');
	return strcmp(b ? b + 1 : r->report, name) == 0;
}

/* Keep the newest `keep` files PREFIX-*.EXT, and every file of this run; the newest
 * loadusers file, which may not be imported yet, is always among them. */
static void prune(const struct run *r, const char *dir, const char *prefix,
		  const char *const *exts, int keep)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct out_file *v = NULL;
	size_t n = 0, cap = 0;
	struct stat st;

	if (!d) {
		log_err("%s: cannot list for retention: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (!name_matches(de->d_name, prefix, exts) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		xgrow(&v, &cap, n + 1, sizeof(*v));
		v[n].name = xstrdup(de->d_name);
		v[n++].mtime = st.st_mtim;
	}
	if (n)
		qsort(v, n, sizeof(*v), out_file_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i >= (size_t)keep && !of_this_run(r, v[i].name)) {
			if (unlinkat(dirfd(d), v[i].name, 0) == 0)
				log_info("%s/%s: removed (output keep = %d)", dir, v[i].name,
					 keep);
			else
				log_err("%s/%s: cannot remove: %s", dir, v[i].name,
					strerror(errno));
		}
		free(v[i].name);
	}
	closedir(d);
out:
	free(v);
}

static void apply_retention(const struct run *r)
{
	static const char *const loadusers_exts[] = { "xlsx", "csv", NULL };
	static const char *const report_exts[] = { "xlsx", NULL };
	const struct conf_output *o = &r->c->output;

	if (o->keep <= 0)
		return;
	prune(r, o->directory, "loadusers-", loadusers_exts, o->keep);
	prune(r, o->directory, "report-", report_exts, o->keep);
}

/* The configured post-command, through the shell: "$1" is the report, "$2" the loadusers
 * file (empty when none was written). Its failure is logged, the run's exit code stays. */
static void run_post_command(const struct run *r)
{
	const char *cmd = r->c->output.post_command;
	char *argv[7];
	pid_t pid;
	int status;

	if (str_empty(cmd))
		goto out;
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = (char *)cmd;
	argv[3] = "medimail-sync";
	argv[4] = r->report ? r->report : "";
	argv[5] = r->nfiles ? r->files[0] : "";
	argv[6] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		log_err("post-command: cannot fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			log_err("post-command: cannot wait: %s", strerror(errno));
			goto out;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("post-command: done");
	else if (WIFEXITED(status))
		log_err("post-command failed with exit status %d: %s", WEXITSTATUS(status), cmd);
	else if (WIFSIGNALED(status))
		log_err("post-command killed by signal %d: %s", WTERMSIG(status), cmd);
out:
	return;
}

int run_main(const struct config *c, const struct run_opts *o)
{
	struct run r = { 0 };
	struct run_opts opts = *o;
	struct timespec t0;

	if (!opts.now)
		opts.now = time(NULL);
	r.c = c;
	r.o = &opts;
	r.started = opts.now;
	r.clock_started = time(NULL);
	r.exit_code = do_run(&r);
	r.finished = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	report_run(&r);
	phase_done("report", &t0);
	/* after the report, so that retention counts it and the command can send it */
	if (opts.apply && (r.exit_code == EXIT_OK || r.exit_code == EXIT_REJECTED))
		apply_retention(&r);
	if (opts.apply && r.planned)
		run_post_command(&r);
	for (size_t i = 0; i < r.nacc; i++)
		account_free(&r.acc[i]);
	free(r.acc);
	for (size_t i = 0; i < r.nprev; i++)
		state_account_free(&r.prev[i]);
	free(r.prev);
	if (r.planned)
		plan_free(&r.plan);
	else
		for (int i = 0; i < LIMIT_N; i++)
			free(r.plan.limit[i].detail);
	for (size_t i = 0; i < r.nfiles; i++)
		free(r.files[i]);
	free(r.files);
	free(r.report);
	free(r.src);
	findings_free(&r.f);
	return r.exit_code;
}
