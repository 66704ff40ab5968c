/*
 * collect.c - from the directories to accounts: groups are read first (they say whose entries
 * the ORG mailboxes need), then people, mapped and validated as they arrive unless a rule
 * needs everyone's membership first; then the ORG mailboxes and the duplicate addresses.
 * Reading is all-or-nothing: any directory error fails the collection.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "collect.h"
#include "dir.h"
#include "i18n.h"
#include "log.h"
#include "natcheck.h"
#include "org.h"

/* The state of one collection. */
struct ctx {
	const struct config *c;
	const struct collect_opts *o;
	struct collection *col;
	const struct checker *ck;
};

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
	struct ctx *x;
	struct collect_source *rs;
	struct source_data *sd;
	const struct mapper *m;
	const struct checker *ck;
	struct org_index *idx;
	struct hmap *seen;        /* normalised DNs read (overlapping bases); NULL with one base */
	struct hmap *owners;      /* normalised DN of each ORG responsible -> its entry copy */
	bool keep;                /* keep the entries and map them afterwards */
};

/* Read every entry of one search into v, skipping those already in seen (normalised DNs:
 * overlapping bases). 0, or -1 when the search failed (logged). */
static int gather(struct dir_session *s, const char *base, enum dir_scope scope,
		  const char *filter, char **attrs, struct hmap *seen, struct entry **v,
		  size_t *n, size_t *cap)
{
	struct dir_search *q = dir_search_start(s, base, scope, filter,
						 (const char *const *)attrs);
	struct entry *e;
	int r;

	while ((r = dir_next_entry(q, &e)) == 1) {
		char *ndn = dn_normalise(e->dn);
		bool dup = hmap_add(seen, ndn, (void *)1) != NULL;

		free(ndn);
		if (dup)
			continue;
		xgrow(v, cap, *n + 1, sizeof(**v));
		dir_entry_steal(&(*v)[(*n)++], e);
	}
	dir_search_end(q);
	return r;
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
static int read_groups(struct ctx *x, struct collect_source *rs, const struct mapper *m,
		       struct source_data *sd)
{
	const struct conf_directory *d = rs->d;
	char **gattrs = NULL;
	size_t ng = 0;
	struct hmap *seen = hmap_new(false);
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
	if (d->group_filter || d->ngroup_dns > 0 || x->c->nrules > 0) {
		for (size_t i = 0; i < d->ngroup_bases; i++)
			if (gather(sd->s, d->group_bases[i], DIR_SCOPE_SUB, group_classes, gattrs,
				   seen, &sd->groups, &sd->ngroups, &sd->capgroups) != 0)
				goto out;
		/* Groups named by DN may live outside the group bases. */
		for (size_t i = 0; i < d->ngroup_dns; i++) {
			char *ndn = dn_normalise(d->group_dns[i]);
			bool have = hmap_get(seen, ndn) != NULL;

			free(ndn);
			if (!have && gather(sd->s, d->group_dns[i], DIR_SCOPE_BASE,
					    "(objectClass=*)", gattrs, seen, &sd->groups,
					    &sd->ngroups, &sd->capgroups) != 0)
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

static struct account *new_account(struct ctx *x)
{
	struct account *a;

	xgrow(&x->col->acc, &x->col->capacc, x->col->nacc + 1, sizeof(*x->col->acc));
	a = &x->col->acc[x->col->nacc++];
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

/* "attr \"value\"" for the attributes an expression reads, for messages. */
static char *values_of(const struct entry *e, char *const *names, size_t n)
{
	struct strbuf sb = { 0 };

	sb_add(&sb, "");
	for (size_t i = 0; i < n; i++) {
		const struct attr *at = entry_attr(e, names[i]);

		for (size_t v = 0; at && v < at->nvals; v++)
			sb_addf(&sb, "%s%s \"%s\"", sb.len ? ", " : "", names[i], at->vals[v]);
	}
	return sb_steal(&sb);
}

/* Whether the person is disabled: 1 yes, 0 no, -1 the marker cannot be read (the disabled
 * filter is undefined for this entry: a flag word that is not a number...). */
static int entry_disabled(const struct conf_directory *d, const struct entry *e)
{
	int r;

	if (d->disabled_attribute && entry_attr(e, d->disabled_attribute))
		return 1;
	if (!d->disabled_filter)
		return 0;
	r = dir_filter_match(d->disabled_filter, e);
	return r == DIR_FILTER_TRUE ? 1 : r == DIR_FILTER_FALSE ? 0 : -1;
}

/* AD's accountExpires says "never" with 0 or the largest 64-bit integer. */
/* The person's end date (the earliest of its values) into *end (0: none). Returns -1 when a
 * value cannot be read as a date, with *bad pointing to it. */
static int entry_end(const struct conf_directory *d, const struct entry *e, long long *end,
		     const char **bad)
{
	const struct attr *at = d->end_date_attribute ?
				entry_attr(e, d->end_date_attribute) : NULL;

	*end = 0;
	for (size_t i = 0; at && i < at->nvals; i++) {
		long long t;

		if (str_empty(at->vals[i]))
			continue;
		/* the form decides what "never" is (AD 0, shadowExpire -1...) */
		switch (map_date_read(at->vals[i], d->end_date_format, &t)) {
		case DATE_NEVER:
			continue;
		case DATE_BAD:
			*bad = at->vals[i];
			return -1;
		case DATE_OK:
			break;
		}
		if (!*end || t < *end)
			*end = t;
	}
	return 0;
}

/* A value that decides whether someone keeps a mailbox is never dropped without a word: an
 * end date or a disabled marker that cannot be read keeps the entry out (rule severity error,
 * the default), or is reported and ignored (warning), or ignored (off). Returns true when the
 * entry is rejected. */
static bool leaving_unknown(struct people_ctx *pc, const struct entry *e, struct account *a)
{
	const struct conf_directory *d = pc->rs->d;
	struct findings *f = &pc->x->col->f;
	enum severity sev;
	const char *bad = NULL;
	bool rejected = false;
	int dis = entry_disabled(d, e);

	a->disabled = dis == 1;
	if (dis < 0) {
		char **names = NULL, *vals;
		size_t n = 0;

		sev = check_severity(pc->ck, "disabled-unreadable");
		add_filter_attrs(&names, &n, d->disabled_filter);
		vals = values_of(e, names, n);
		if (sev != SEV_OFF)
			findings_add(f, sev, e->dn, -1, "disabled-unreadable", vals,
				     _("cannot tell whether the account is disabled: %s is "
				       "undefined for %s; the person's offboarding depends on "
				       "it%s"),
				     d->disabled_filter, *vals ? vals : _("this entry"),
				     sev == SEV_ERROR ? _(", so the entry is kept out") :
				     _(": taken as not disabled"));
		rejected = sev == SEV_ERROR;
		free(vals);
		free_attrs(names, n);
	}
	if (entry_end(d, e, &a->end_time, &bad) < 0) {
		sev = check_severity(pc->ck, "end-date-unreadable");
		if (sev != SEV_OFF)
			findings_add(f, sev, e->dn, COL_PEREMPTION, "end-date-unreadable", bad,
				     _("cannot read %s \"%s\" as a date; the person's offboarding "
				       "depends on it%s"), d->end_date_attribute, bad,
				     sev == SEV_ERROR ? _(", so the entry is kept out") :
				     _(": the end date is ignored"));
		rejected = rejected || sev == SEV_ERROR;
		a->end_time = 0;
	}
	return rejected;
}

/* --- the national directory (issue 15) -------------------------------------------------------
 * The templates read it through map_national, the rows are checked against it (natcheck.h),
 * and each account keeps its record for the reports. */
static const struct nat_person *national_find(void *arg, enum nat_id_type t, const char *id)
{
	struct ctx *x = arg;

	return nat_find(x->col->national.db, t, id);
}

static char *national_list(void *arg, const char *list, const char *v)
{
	struct ctx *x = arg;

	return check_list_value(x->ck, list, v);
}

/* What one person's templates read (*mn), or NULL without the national directory. */
static struct map_national *national_of(struct ctx *x, struct map_national *mn)
{
	if (!x->col->national.db)
		return NULL;
	*mn = (struct map_national){ national_find, national_list, x, NULL };
	return mn;
}

/* What the ORG responsible's templates read: the record of the Identifiant resp cell. */
static struct map_national *national_resp(struct ctx *x, struct map_national *mn,
					  const char *rpps)
{
	if (!national_of(x, mn))
		return NULL;
	mn->find = NULL;          /* map_expand reads person as it is */
	mn->person = *rpps ? nat_find(x->col->national.db, NAT_RPPS, rpps) : NULL;
	return mn;
}

/* Check the row of a against the national directory and keep its record. Returns true when
 * a finding of severity error rejects it. */
static bool national_check(struct ctx *x, struct account *a, const char *where,
			   const struct nat_person *mapped)
{
	struct collect_national *n = &x->col->national;
	const struct natcheck nc = { x->ck, national_find, x };
	struct natcheck_result res;

	if (!n->db)
		return false;
	natcheck_row(&nc, &a->row, a->type, mapped, where, &x->col->f, &res);
	a->national = res.rec;
	n->checked += res.looked_up;
	n->absent += res.absent;
	n->name += res.name;
	n->profession += res.profession;
	return res.errors > 0;
}

/* The professionals who already have MSSanté addresses, once the rejections are known. */
static void national_mssante(struct ctx *x)
{
	struct collect_national *n = &x->col->national;
	const struct conf_national *cn = x->c->national;

	for (size_t i = 0; n->db && i < x->col->nacc; i++) {
		const struct account *a = &x->col->acc[i];
		const struct nat_person *p = a->national;

		if (a->rejected || !p || p->nmssante == 0 ||
		    (a->type != BAL_PER && a->type != BAL_INT))
			continue;
		n->mssante_people++;
		n->mssante_addresses += p->nmssante;
		for (size_t k = 0; k < p->nmssante; k++)
			n->mssante_own += nat_in_domains(p->mssante[k].address,
							 cn->mssante_domains,
							 cn->nmssante_domains);
	}
}

/* Whether the national directory's index was whole (its check may have run meanwhile:
 * nat_open_background): the accounts read from a damaged one must not be used. */
static int national_verified(struct ctx *x)
{
	char *err = NULL;

	if (!x->col->national.db || nat_verified(x->col->national.db, &err) == 0)
		return 0;
	log_err("%s", err);
	free(err);
	return -1;
}

/* The caller's national directory, or opened here when the config has the section. */
static int national_open(struct ctx *x)
{
	struct collect_national *n = &x->col->national;
	char *err = NULL;

	if (!x->c->national)
		return 0;
	n->db = x->o->national;
	if (n->db)
		return 0;
	n->db = nat_open(x->c->national, &err);
	if (!n->db) {
		log_err("%s", err ? err : "national directory: cannot open");
		free(err);
		return -1;
	}
	n->owned = true;
	return 0;
}
/* --- end of the national directory ------------------------------------------------------- */

/* Whether the entry (DN) or the address its row got is the one explain asks for. */
static bool wanted(const struct collect_explain *ex, const char *dn, const char *mail)
{
	char *a = dn_normalise(dn), *b = dn_normalise(ex->want), *w = str_trim(ex->want);
	char *lw = utf8_lower(w);
	bool yes = strcmp(a, b) == 0 || (mail && *mail && strcmp(mail, lw) == 0);

	free(a);
	free(b);
	free(w);
	free(lw);
	return yes;
}

static void explain_keep(struct collect_explain *ex, const struct conf_directory *d,
			 const struct entry *e, size_t acc, bool group)
{
	if (ex->found++ > 0)
		return;
	ex->acc = acc;
	ex->group = group;
	ex->dir = d;
	ex->entry.dn = xstrdup(e->dn);
	for (size_t i = 0; i < e->nattrs; i++)
		for (size_t v = 0; v < e->attrs[i].nvals; v++)
			entry_add_value(&ex->entry, e->attrs[i].name, e->attrs[i].vals[v],
					e->attrs[i].lens[v]);
}

/* The person explain asks for: keep its entry, and map it once more with a trace (the
 * mapping is pure: the same entry gives the same row). */
static void explain_person(struct people_ctx *pc, const struct entry *e, const struct account *a)
{
	struct collect_explain *ex = pc->x->o->explain;
	struct member_ctx mc = { pc->idx };
	struct map_national mn;
	struct map_extra extra = { .trace = &ex->trace, .national = national_of(pc->x, &mn) };
	struct findings scratch = { 0 };

	if (!wanted(ex, e->dn, row_get(&a->row, COL_MAIL)))
		return;
	explain_keep(ex, pc->rs->d, e, (size_t)(a - pc->x->col->acc), false);
	if (ex->found == 1) {
		map_person(pc->m, e, pc->rs->d, is_member, &mc, &ex->mapped, &scratch, &extra);
		row_pack(&ex->mapped);
	}
	findings_free(&scratch);
}

void collect_explain_free(struct collect_explain *ex)
{
	entry_free(&ex->entry);
	row_free(&ex->mapped);
	map_trace_free(&ex->trace);
}

/* Every error finding rejects its account, whichever stage raised it (the mapping, the
 * collector, the checks, the national directory): true when a finding from index from on of
 * the collection's list is an error. An account's findings are those added while it is built. */
static bool errors_since(const struct ctx *x, size_t from)
{
	for (size_t i = from; i < x->col->f.n; i++)
		if (x->col->f.v[i].sev == SEV_ERROR)
			return true;
	return false;
}

/* Map, normalise and validate one person into a new account. A person who is leaving
 * (disabled, or past their end date) is classified first: their data errors do not matter,
 * since the row last written (if any) is what an expiry writes again. */
static void map_one(struct people_ctx *pc, const struct entry *e)
{
	struct ctx *x = pc->x;
	const struct conf_directory *d = pc->rs->d;
	struct member_ctx mc = { pc->idx };
	struct account *a = new_account(x);
	struct map_national mn;
	struct map_extra extra = { .stats = x->col->stats, .national = national_of(x, &mn) };
	struct findings mf = { 0 };
	size_t from = x->col->f.n;
	bool gone;

	a->dn = xstrdup(e->dn);
	a->source = d->name;
	a->key = entry_key(e, d->id_attribute);
	a->rejected = leaving_unknown(pc, e, a);
	gone = !a->rejected && (a->disabled || (a->end_time && a->end_time <= x->o->now));
	/* a leaver's table values are not worth adding to the table */
	a->type = map_person(pc->m, e, d, is_member, &mc, &a->row, &mf, gone ? NULL : &extra);
	if (!a->key) {
		findings_add(&x->col->f, check_severity(pc->ck, "missing-id"), e->dn, -1,
			     "missing-id", NULL,
			     _("the entry has no usable %s (the stable id)"), d->id_attribute);
		a->key = xasprintf("dn:%s", e->dn);
		a->rejected = true;
	}
	if (gone) {
		findings_free(&mf);
		goto out;
	}
	findings_move(&x->col->f, &mf);
	if (a->type == BAL_NONE) {
		a->rejected = true;
		goto out;
	}
	/* A future end date is written ahead as Date de péremption. */
	if (a->end_time > 0 && str_empty(row_get(&a->row, COL_PEREMPTION)))
		row_take(&a->row, COL_PEREMPTION, plan_date(a->end_time));
	check_normalise(pc->ck, &a->row, a->type);
	map_stats_add_row(x->col->stats, &a->row, a->type);
	if (check_row(pc->ck, &a->row, a->type, e->dn, &x->col->f) > 0)
		a->rejected = true;
	if (national_check(x, a, e->dn, extra.national ? mn.person : NULL))
		a->rejected = true;
out:
	if (errors_since(x, from))
		a->rejected = true;
	if (x->o->explain)
		explain_person(pc, e, a);
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
			dir_entry_steal(copy, e);
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

/* One person read: counted, then kept (pc->keep) or mapped at once. */
static void person_entry(struct people_ctx *pc, struct entry *e)
{
	size_t id;

	if (pc->seen) {
		char *ndn = dn_normalise(e->dn);
		bool dup = hmap_add(pc->seen, ndn, (void *)1) != NULL;

		free(ndn);
		if (dup)
			return;
	}
	pc->rs->people++;
	if (pc->keep) {
		xgrow(&pc->sd->people, &pc->sd->cappeople, pc->sd->npeople + 1,
		      sizeof(*pc->sd->people));
		dir_entry_steal(&pc->sd->people[pc->sd->npeople++], e);
		return;
	}
	/* Streamed: map now, keep only what the ORG mailboxes need. */
	id = pc->x->col->nacc;
	map_one(pc, e);
	register_person(pc, e, id, true);
}

/* The people under one base. 0, or -1 when the search failed (logged). */
static int read_base(struct people_ctx *pc, const char *base, char **attrs)
{
	struct dir_search *q = dir_search_start(pc->sd->s, base, DIR_SCOPE_SUB,
						 pc->rs->d->people_filter,
						 (const char *const *)attrs);
	struct entry *e;
	int r;

	while ((r = dir_next_entry(q, &e)) == 1)
		person_entry(pc, e);
	dir_search_end(q);
	return r;
}

/* The people of one directory section: mapped as they arrive, or kept (pc->keep). */
static int read_people(struct people_ctx *pc)
{
	const struct conf_directory *d = pc->rs->d;
	const struct config *c = pc->x->c;
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
		struct collection *col = pc->x->col;

		if (read_base(pc, d->bases[i], pattrs) != 0)
			goto out;
		log_info("%s: %zu people under %s", d->name, pc->rs->people - before,
			 d->bases[i]);
		if (pc->rs->people == before) {
			col->empty = true;
			free(col->empty_detail);
			col->empty_detail = xasprintf(_("directory \"%s\", base %s: no people"),
						      d->name, d->bases[i]);
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

/* Move the findings of src (org.c's: org-cycle, org-member-unknown) to dst with the
 * severities the config gives their rules; src is left empty. */
static void rate_findings(struct findings *dst, struct findings *src, const struct checker *ck)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct finding *x = &src->v[i];

		findings_add(dst, check_severity(ck, x->rule), x->where, x->col, x->rule, x->value,
			     "%s", x->message);
	}
	findings_free(src);
}

/* explain: a line of the trace of an ORG mailbox's column. */
PRINTF(3, 4)
static void org_trace(const struct map_extra *xx, int col, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (!xx || !xx->trace)
		return;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) >= 0) {
		sb_add(&xx->trace->col[col], line);
		sb_addc(&xx->trace->col[col], '\n');
		free(line);
	}
	va_end(ap);
}

static const struct org_field {
	const char *option;
	size_t off;
} org_fields[MAP_ORG_NFIELDS] = {
	[MAP_ORG_MAIL] = { "adresse-mail", offsetof(struct conf_org, mail) },
	[MAP_ORG_NOM] = { "nom", offsetof(struct conf_org, nom) },
	[MAP_ORG_PRENOM] = { "prenom", offsetof(struct conf_org, prenom) },
	[MAP_ORG_DESCRIPTION] = { "description", offsetof(struct conf_org, description) },
	[MAP_ORG_RESP_NOM] = { "responsible-nom", offsetof(struct conf_org, responsible_nom) },
	[MAP_ORG_RESP_PRENOM] = { "responsible-prenom",
				  offsetof(struct conf_org, responsible_prenom) },
	[MAP_ORG_RESP_PROFESSION] = { "responsible-profession",
				      offsetof(struct conf_org, responsible_profession) },
	[MAP_ORG_RESP_RPPS] = { "responsible-rpps", offsetof(struct conf_org, responsible_rpps) },
};

static char *expand_org(const struct ctx *x, const struct mapper *m, enum map_org_field fld,
			const struct entry *e, const struct conf_structure *st, struct findings *f,
			int col, const struct map_extra *xx)
{
	const struct map_template *t = map_org_template(m, fld);
	const char *text = *(char *const *)((const char *)&x->c->org + org_fields[fld].off);

	org_trace(xx, col, _("template (org.%s, read on %s): %s"), org_fields[fld].option, e->dn,
		  text ? text : "");
	return t ? map_expand(t, e, st, f, e->dn, col, xx) : xstrdup("");
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
static void collect_owners(struct ctx *x, struct source_data *sd, struct hmap *owners)
{
	if (x->c->org.default_owner) {
		char *ndn = dn_normalise(x->c->org.default_owner);

		hmap_put(owners, ndn, (void *)1);
		free(ndn);
	}
	for (size_t i = 0; i < x->col->nsrc; i++) {
		const struct conf_directory *d = x->col->src[i].d;

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

static bool build_org(struct ctx *x, const struct conf_directory *d, const struct entry *g,
		      struct org_index *idx, const struct mapper *m, struct hmap *owners,
		      const struct checker *ck, struct account *a, const struct map_extra *xx)
{
	const struct conf_structure *st = d->st;
	const char *owner;
	size_t resp_id, *ids = NULL, n = 0, nmail = 0;
	char **mails = NULL;
	const struct account *resp = NULL;
	const struct entry *oe = NULL;
	struct strbuf sb = { 0 };
	struct findings *f = &x->col->f;
	struct map_national mn;
	struct map_extra rx = { 0 };
	struct findings scratch = { 0 };
	bool ok = true;

	row_take(&a->row, COL_MAIL, expand_org(x, m, MAP_ORG_MAIL, g, st, f, COL_MAIL, xx));
	row_take(&a->row, COL_NOM, expand_org(x, m, MAP_ORG_NOM, g, st, f, COL_NOM, xx));
	row_take(&a->row, COL_PRENOM, expand_org(x, m, MAP_ORG_PRENOM, g, st, f, COL_PRENOM, xx));
	row_take(&a->row, COL_DESCRIPTION,
		 expand_org(x, m, MAP_ORG_DESCRIPTION, g, st, f, COL_DESCRIPTION, xx));
	/* Structure and contact cells: the people's templates, read on the group's entry, so
	 * that the group may override them and the structure fills in the rest. */
	for (size_t i = 0; i < ARRAY_SIZE(org_shared_cols); i++) {
		int col = org_shared_cols[i];
		const struct map_template *t = map_column(m, col);

		org_trace(xx, col, _("template (map.%s, read on the group's entry): %s"),
			  columns[col].key, x->c->map[col] ? x->c->map[col] : "");
		if (t)
			row_take(&a->row, col, map_expand(t, g, st, f, g->dn, col, xx));
	}
	row_set(&a->row, COL_LIBERAL, "NON");
	row_set(&a->row, COL_TYPE_BAL, "ORG");
	org_trace(xx, COL_LIBERAL, "%s", _("NON for every ORG mailbox"));

	/* The responsible: the group's owner, or the configured default. */
	owner = d->owner_attribute ? entry_get(g, d->owner_attribute) : NULL;
	if (!owner)
		owner = x->c->org.default_owner;
	if (!owner) {
		findings_add(f, check_severity(ck, "org-no-responsible"), g->dn, COL_NOM_RESP,
			     "org-no-responsible", NULL,
			     _("the group has no %s and no default-owner is configured"),
			     d->owner_attribute ? d->owner_attribute : "owner");
	} else if (!org_person_by_dn(idx, owner, &resp_id) || resp_id >= x->col->nacc ||
		   !(oe = owner_entry(owners, owner))) {
		findings_add(f, check_severity(ck, "org-responsible-unknown"), g->dn,
			     COL_NOM_RESP, "org-responsible-unknown", owner,
			     _("the responsible is not a person read from the directory"));
	} else {
		/* The responsible's cells come from the owner's own entry, and from the
		 * national record of its RPPS. */
		resp = &x->col->acc[resp_id];
		row_take(&a->row, COL_ID_RESP,
			 expand_org(x, m, MAP_ORG_RESP_RPPS, oe, st, f, COL_ID_RESP, xx));
		if (xx)
			rx = *xx;
		rx.national = national_resp(x, &mn, row_get(&a->row, COL_ID_RESP));
		row_take(&a->row, COL_NOM_RESP,
			 expand_org(x, m, MAP_ORG_RESP_NOM, oe, st, f, COL_NOM_RESP, &rx));
		row_take(&a->row, COL_PRENOM_RESP,
			 expand_org(x, m, MAP_ORG_RESP_PRENOM, oe, st, f, COL_PRENOM_RESP, &rx));
		row_take(&a->row, COL_PROFESSION_RESP,
			 expand_org(x, m, MAP_ORG_RESP_PROFESSION, oe, st, f,
				    COL_PROFESSION_RESP, &rx));
		row_set(&a->row, COL_PROFESSION, row_get(&a->row, COL_PROFESSION_RESP));
		org_trace(xx, COL_PROFESSION, "%s", _("the responsible's profession (Profession resp)"));
		if (!check_rpps(row_get(&a->row, COL_ID_RESP))) {
			findings_add(f, check_severity(ck, "org-responsible-rpps"), g->dn,
				     COL_ID_RESP, "org-responsible-rpps", owner,
				     _("the responsible %s must be a health professional with a "
				       "valid RPPS number"), resp->dn);
		}
	}

	/* Connexion accounts: transitive members that are valid nominative accounts. */
	if (org_members(idx, g->dn, &ids, &n, &scratch) == 0) {
		mails = xcalloc(n ? n : 1, sizeof(*mails));
		for (size_t i = 0; i < n; i++) {
			const struct account *mb = &x->col->acc[ids[i]];
			const char *why = NULL;

			if (mb->rejected)
				why = _("is rejected in this run");
			else if (mb->disabled || (mb->end_time > 0 && mb->end_time <= x->o->now))
				why = _("is disabled");
			else if (mb->type != BAL_PER && mb->type != BAL_INT && mb->type != BAL_MED)
				why = _("is not a PER, INT or MED account");
			if (why) {
				findings_add(f, check_severity(ck, "org-member-excluded"),
					     g->dn, COL_CONNEXION, "org-member-excluded", mb->dn,
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
				findings_add(f, check_severity(ck, "org-mail-personal"),
					     g->dn, COL_MAIL, "org-mail-personal", mails[i],
					     _("the ORG address is a member's personal address: it "
					       "must be generic"));
				break;
			}
	}
	row_take(&a->row, COL_CONNEXION, sb_steal(&sb));
	free(mails);
	free(ids);
	rate_findings(f, &scratch, ck);

	check_normalise(ck, &a->row, BAL_ORG);
	map_stats_add_row(x->col->stats, &a->row, BAL_ORG);
	if (check_row(ck, &a->row, BAL_ORG, g->dn, f) > 0)
		ok = false;
	if (national_check(x, a, g->dn, rx.national ? mn.person : NULL))
		ok = false;
	return ok;
}

/* What build_org passes to the templates: the statistics, and the trace when explain asks
 * for this group (by DN, or by the address its mail template gives). */
static const struct map_extra *org_extra(struct ctx *x, const struct conf_directory *d,
					 const struct entry *g, const struct mapper *m,
					 const struct account *a, struct map_extra *extra)
{
	struct collect_explain *ex = x->o->explain;
	struct findings scratch = { 0 };
	char *mail;

	*extra = (struct map_extra){ .stats = x->col->stats };
	if (!ex || ex->found)
		return extra;
	mail = expand_org(x, m, MAP_ORG_MAIL, g, d->st, &scratch, COL_MAIL, NULL);
	if (wanted(ex, g->dn, mail)) {
		explain_keep(ex, d, g, (size_t)(a - x->col->acc), true);
		extra->trace = &ex->trace;
	}
	free(mail);
	findings_free(&scratch);
	return extra;
}

static void build_orgs(struct ctx *x, struct collect_source *rs, struct source_data *sd,
		       struct org_index *idx, const struct mapper *m, struct hmap *owners,
		       const struct checker *ck)
{
	for (size_t i = 0; i < sd->ngroups; i++) {
		const struct entry *g = &sd->groups[i];
		struct map_extra extra;
		struct account *a;
		size_t from = x->col->f.n;

		if (!sd->selected[i])
			continue;
		rs->orgs++;
		a = new_account(x);
		a->type = BAL_ORG;
		a->dn = xstrdup(g->dn);
		a->source = rs->d->name;
		a->key = entry_key(g, rs->d->id_attribute);
		if (!a->key) {
			findings_add(&x->col->f, check_severity(ck, "missing-id"), g->dn, -1,
				     "missing-id", NULL,
				     _("the group has no usable %s (the stable id)"),
				     rs->d->id_attribute);
			a->key = xasprintf("dn:%s", g->dn);
			a->rejected = true;
		}
		if (!build_org(x, rs->d, g, idx, m, owners, ck, a, org_extra(x, rs->d, g, m, a,
									   &extra)) ||
		    errors_since(x, from))
			a->rejected = true;
	}
}

/* An address must be unique among the accounts written (check.c decides, without case, with
 * the severity the config gives mail-duplicate): each holder gets check.c's finding naming
 * the other, and is rejected when that finding is an error. */
static void reject_duplicates(struct ctx *x)
{
	struct check_unique *u = check_unique_new(x->ck);
	bool *named = xcalloc(x->col->nacc + 1, sizeof(*named));  /* first holders named */

	for (size_t i = 0; i < x->col->nacc; i++) {
		struct account *a = &x->col->acc[i];
		const char *mail = row_get(&a->row, COL_MAIL);
		struct account *other;
		struct check_unique *pair;
		size_t from = x->col->f.n;

		if (a->rejected || a->disabled || !*mail)
			continue;
		other = (struct account *)check_unique_put(u, mail, a);
		if (!other)
			continue;
		/* the finding on a, naming other; then, once, on other naming a */
		pair = check_unique_new(x->ck);
		(void)check_unique_add(pair, mail, other->dn, NULL);
		(void)check_unique_add(pair, mail, a->dn, &x->col->f);
		check_unique_free(pair);
		if (errors_since(x, from))
			a->rejected = true;
		if (!named[other - x->col->acc]) {
			named[other - x->col->acc] = true;
			from = x->col->f.n;
			pair = check_unique_new(x->ck);
			(void)check_unique_add(pair, mail, a->dn, NULL);
			(void)check_unique_add(pair, mail, other->dn, &x->col->f);
			check_unique_free(pair);
			if (errors_since(x, from))
				other->rejected = true;
		}
	}
	free(named);
	check_unique_free(u);
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

int collect_setup(const struct config *c, struct checker **ck, struct mapper **m)
{
	char *err = NULL;
	int rc = -1;

	*m = NULL;
	*ck = check_new(c, &err);
	if (!*ck) {
		log_err("%s: %s", c->path, err ? err : "invalid configuration");
		goto out;
	}
	/* the mapper's errors and warnings name the file and line themselves */
	*m = map_new(c, &err);
	if (!*m) {
		log_err("%s", err ? err : "invalid configuration");
		check_free(*ck);
		*ck = NULL;
		goto out;
	}
	if (map_warnings(*m))
		log_warn("%s", map_warnings(*m));
	rc = 0;
out:
	free(err);
	return rc;
}

int collect(const struct config *c, const struct mapper *m, const struct checker *ck,
	    const struct collect_opts *o, struct collection *out)
{
	struct ctx x = { c, o, out, ck };
	struct source_data *sd = xcalloc(c->ndirectories ? c->ndirectories : 1, sizeof(*sd));
	struct org_index *idx = org_index_new();
	struct hmap *owners = hmap_new(false);
	bool keep = false;
	int rc = -1;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(out, 0, sizeof(*out));
	out->stats = map_stats_new();
	/* most of the accounts the state knows are read again: reserve room for them, as a
	 * doubled array would waste up to half of it */
	if (o->reserve > 0) {
		out->capacc = o->reserve + o->reserve / 32 + 64;
		out->acc = xcalloc(out->capacc, sizeof(*out->acc));
	}
	out->nsrc = c->ndirectories;
	out->src = xcalloc(out->nsrc ? out->nsrc : 1, sizeof(*out->src));
	if (national_open(&x) != 0)
		goto out;
	/* Groups first: they say whose entries the ORG mailboxes need. Every search of every
	 * directory must succeed. */
	for (size_t i = 0; i < out->nsrc; i++) {
		out->src[i].d = &c->directories[i];
		if (read_groups(&x, &out->src[i], m, &sd[i]) != 0)
			goto out;
	}
	log_timing("reading the groups", &t0);
	for (size_t i = 0; i < out->nsrc; i++)
		register_groups(idx, out->src[i].d, &sd[i]);
	collect_owners(&x, sd, owners);
	/* People are mapped as they arrive, unless a rule needs everyone's membership first. */
	for (size_t i = 0; i < c->nrules; i++)
		keep = keep || c->rules[i].if_member_of;
	for (size_t i = 0; i < out->nsrc; i++) {
		struct people_ctx pc = { &x, &out->src[i], &sd[i], m, ck, idx, NULL, owners, keep };

		if (read_people(&pc) != 0)
			goto out;
		out->src[i].searches = dir_search_count(sd[i].s);
		dir_close(sd[i].s);
		sd[i].s = NULL;
	}
	for (size_t i = 0; keep && i < out->nsrc; i++) {
		struct people_ctx pc = { &x, &out->src[i], &sd[i], m, ck, idx, NULL, owners, keep };

		for (size_t k = 0; k < sd[i].npeople; k++)
			register_person(&pc, &sd[i].people[k], out->nacc + k, false);
		for (size_t k = 0; k < sd[i].npeople; k++)
			map_one(&pc, &sd[i].people[k]);
	}
	log_timing("reading and mapping the people", &t0);
	for (size_t i = 0; i < out->nsrc; i++)
		build_orgs(&x, &out->src[i], &sd[i], idx, m, owners, ck);
	reject_duplicates(&x);
	national_mssante(&x);
	log_timing("ORG mailboxes and duplicates", &t0);
	if (national_verified(&x) != 0)
		goto out;
	rc = 0;
out:
	owners_free(owners);
	for (size_t i = 0; i < c->ndirectories; i++)
		source_data_free(&sd[i]);
	free(sd);
	org_index_free(idx);
	return rc;
}

void collect_free(struct collection *col)
{
	for (size_t i = 0; i < col->nacc; i++)
		account_free(&col->acc[i]);
	free(col->acc);
	free(col->src);
	findings_free(&col->f);
	map_stats_free(col->stats);
	if (col->national.owned)
		nat_close(col->national.db);
	free(col->empty_detail);
	memset(col, 0, sizeof(*col));
}
