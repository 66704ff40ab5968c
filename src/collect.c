/*
 * collect.c - from the directories to accounts, in order: the national directory; the groups of
 * every directory section (they say whose entries the ORG mailboxes need); the people, mapped
 * as they arrive unless a rule needs everyone's membership first; the ORG mailboxes; the
 * duplicate addresses; the MSSanté counts. Reading is source.c's, an entry's account
 * account.c's, an ORG mailbox's row orgrows.c's. Reading is all-or-nothing: any directory
 * error fails the collection.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "collect.h"
#include "log.h"
#include "orgrows.h"
#include "reconcile.h"
#include "source.h"

/* The state of one collection. */
struct ctx {
	const struct config *c;
	const struct collect_opts *o;
	struct collection *col;
	const struct checker *ck;
	struct account_env env;            /* what the accounts are built with */
	struct source *sd;                 /* one per directory section */
	struct hmap *owners;               /* the ORG responsibles' entries (source.h) */
};

static struct account *new_account(struct ctx *x)
{
	struct account *a;

	xgrow(&x->col->acc, &x->col->capacc, x->col->nacc + 1, sizeof(*x->col->acc));
	a = &x->col->acc[x->col->nacc++];
	memset(a, 0, sizeof(*a));
	a->type = BAL_NONE;
	return a;
}

/* --- the national directory (issue 15) ------------------------------------------------------ */
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
/* --- end of the national directory ---------------------------------------------------- */

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

/* The person explain asks for: keep its entry, and map it once more with a trace. */
static void explain_person(struct ctx *x, const struct conf_directory *d, const struct entry *e,
			   const struct account *a)
{
	struct collect_explain *ex = x->o->explain;

	if (!wanted(ex, e->dn, row_get(&a->row, COL_MAIL)))
		return;
	explain_keep(ex, d, e, (size_t)(a - x->col->acc), false);
	if (ex->found == 1)
		account_trace(&x->env, d, e, &ex->mapped, &ex->trace);
}

void collect_explain_free(struct collect_explain *ex)
{
	entry_free(&ex->entry);
	row_free(&ex->mapped);
	map_trace_free(&ex->trace);
}

/* What orgrows_account passes to the templates: the statistics, and the trace when explain
 * asks for this group (by DN, or by the address its mail template gives). */
static const struct map_extra *org_extra(struct ctx *x, const struct conf_directory *d,
					 const struct entry *g, const struct account *a,
					 struct map_extra *extra)
{
	struct collect_explain *ex = x->o->explain;
	struct findings scratch = { 0 };
	char *mail;

	*extra = (struct map_extra){ .stats = x->col->stats };
	if (!ex || ex->found)
		return extra;
	mail = orgrows_expand(&x->env, MAP_ORG_MAIL, g, d->st, &scratch, COL_MAIL, NULL);
	if (wanted(ex, g->dn, mail)) {
		explain_keep(ex, d, g, (size_t)(a - x->col->acc), true);
		extra->trace = &ex->trace;
	}
	free(mail);
	findings_free(&scratch);
	return extra;
}

/* One person into a new account (account.c), traced when explain asks for it. */
static void map_one(struct ctx *x, const struct conf_directory *d, const struct entry *e)
{
	struct account *a = new_account(x);

	account_person(&x->env, d, e, a, &x->col->f);
	if (x->o->explain)
		explain_person(x, d, e, a);
	row_pack(&a->row);
}

/* The people of directory section i: mapped as they arrive and registered in the index (the
 * responsibles' entries kept), or kept when keep (a rule needs everyone's membership). 0, or
 * -1 when a search failed (logged). */
static int read_people(struct ctx *x, size_t i, bool keep)
{
	struct source *sd = &x->sd[i];
	struct entry *e;
	int r;

	while ((r = source_next_person(sd, x->c, x->env.m, &e)) == 1) {
		size_t id = x->col->nacc;

		if (keep) {
			source_keep_person(sd, e);
			continue;
		}
		map_one(x, sd->d, e);
		source_index_person(x->env.idx, x->owners, sd->d, e, id, true);
	}
	if (sd->empty) {
		x->col->empty = true;
		free(x->col->empty_detail);
		x->col->empty_detail = sd->empty;
		sd->empty = NULL;
	}
	if (r == 0)
		source_close(sd);
	return r;
}

/* The people kept (keep): registered first, then mapped, now that everyone's membership is
 * known. */
static void map_kept(struct ctx *x)
{
	for (size_t i = 0; i < x->col->nsrc; i++) {
		struct source *sd = &x->sd[i];

		for (size_t k = 0; k < sd->npeople; k++)
			source_index_person(x->env.idx, x->owners, sd->d, &sd->people[k],
					    x->col->nacc + k, false);
		for (size_t k = 0; k < sd->npeople; k++)
			map_one(x, sd->d, &sd->people[k]);
	}
}

/* The ORG mailboxes of directory section i: one per selected group. */
static void build_orgs(struct ctx *x, size_t i)
{
	struct source *sd = &x->sd[i];

	for (size_t k = 0; k < sd->ngroups; k++) {
		const struct entry *g = &sd->groups[k];
		struct map_extra extra;
		const struct map_extra *xx;
		struct orgrows_people p;
		struct account *a;

		if (!sd->selected[k])
			continue;
		x->col->src[i].orgs++;
		a = new_account(x);
		xx = org_extra(x, sd->d, g, a, &extra);
		p = (struct orgrows_people){ x->col->acc, x->col->nacc, x->owners };
		orgrows_account(&x->env, &p, sd->d, g, a, &x->col->f, xx);
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
		if (account_errors_since(&x->col->f, from))
			a->rejected = true;
		if (!named[other - x->col->acc]) {
			named[other - x->col->acc] = true;
			from = x->col->f.n;
			pair = check_unique_new(x->ck);
			(void)check_unique_add(pair, mail, a->dn, NULL);
			(void)check_unique_add(pair, mail, other->dn, &x->col->f);
			check_unique_free(pair);
			if (account_errors_since(&x->col->f, from))
				other->rejected = true;
		}
	}
	free(named);
	check_unique_free(u);
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

/* The values kept by hand in Medimail (hand-edits = keep) replace the cells they were kept
 * for, where the directory still gives the value they replaced. */
static void keep_values(struct ctx *x)
{
	size_t changed = reconcile_keep_apply(x->col->acc, x->col->nacc, x->o->kept,
					      x->o->nkept);

	if (changed)
		log_info("%zu cell(s) keep the value set by hand in Medimail (hand-edits = keep)",
			 changed);
}

/* The collection's empty state, with room for the accounts the state knows. */
static void collection_init(struct collection *out, const struct config *c,
			    const struct collect_opts *o)
{
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
	for (size_t i = 0; i < out->nsrc; i++)
		out->src[i].d = &c->directories[i];
}

/* Groups first: they say whose entries the ORG mailboxes need. Every search of every
 * directory must succeed. 0 or -1 (logged). */
static int read_groups(struct ctx *x)
{
	for (size_t i = 0; i < x->col->nsrc; i++) {
		x->sd[i].d = x->col->src[i].d;
		x->sd[i].counts = &x->col->src[i];
		if (source_read_groups(&x->sd[i], x->c, x->env.m) != 0)
			return -1;
	}
	for (size_t i = 0; i < x->col->nsrc; i++)
		source_index_groups(&x->sd[i], x->env.idx);
	source_owners(x->sd, x->col->nsrc, x->c->org.default_owner, x->owners);
	return 0;
}

int collect(const struct config *c, const struct mapper *m, const struct checker *ck,
	    const struct collect_opts *o, struct collection *out)
{
	struct ctx x = { c, o, out, ck, { 0 }, NULL, NULL };
	bool keep = false;
	int rc = -1;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	collection_init(out, c, o);
	x.env = (struct account_env){ c, ck, m, o->now, org_index_new(), out->stats,
				      &out->national };
	x.sd = xcalloc(c->ndirectories ? c->ndirectories : 1, sizeof(*x.sd));
	x.owners = hmap_new(false);
	if (national_open(&x) != 0 || read_groups(&x) != 0)
		goto out;
	log_timing("reading the groups", &t0);
	/* People are mapped as they arrive, unless a rule needs everyone's membership first. */
	for (size_t i = 0; i < c->nrules; i++)
		keep = keep || c->rules[i].if_member_of;
	for (size_t i = 0; i < out->nsrc; i++)
		if (read_people(&x, i, keep) != 0)
			goto out;
	if (keep)
		map_kept(&x);
	log_timing("reading and mapping the people", &t0);
	for (size_t i = 0; i < out->nsrc; i++)
		build_orgs(&x, i);
	reject_duplicates(&x);
	national_mssante(&x);
	log_timing("ORG mailboxes and duplicates", &t0);
	if (national_verified(&x) != 0)
		goto out;
	keep_values(&x);
	rc = 0;
out:
	source_owners_free(x.owners);
	for (size_t i = 0; i < c->ndirectories; i++)
		source_free(&x.sd[i]);
	free(x.sd);
	org_index_free(x.env.idx);
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
