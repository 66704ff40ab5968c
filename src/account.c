/*
 * account.c - from one directory entry to one account: key, disabled state, end date, mapping,
 * checks and the national directory's record, decided here and nowhere else.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "dir.h"
#include "i18n.h"
#include "natcheck.h"
#include "source.h"

char *account_key(const struct entry *e, const char *id_attr)
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

static bool is_member(const char *person_dn, const char *group_dn, void *arg)
{
	const struct account_env *env = arg;

	return org_is_member(env->idx, person_dn, group_dn);
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

int account_disabled(const struct conf_directory *d, const struct entry *e)
{
	int r;

	if (d->disabled_attribute && entry_attr(e, d->disabled_attribute))
		return 1;
	if (!d->disabled_filter)
		return 0;
	r = dir_filter_match(d->disabled_filter, e);
	return r == DIR_FILTER_TRUE ? 1 : r == DIR_FILTER_FALSE ? 0 : -1;
}

int account_end_date(const struct conf_directory *d, const struct entry *e, long long *end,
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

/* A disabled marker that cannot be read: the finding, at the severity of its rule. Returns
 * true when it keeps the entry out. */
static bool disabled_unknown(const struct account_env *env, const struct conf_directory *d,
			     const struct entry *e, struct findings *f)
{
	enum severity sev = check_severity(env->ck, "disabled-unreadable");
	char **names = NULL, *vals;
	size_t n = 0;

	(void)dir_filter_attrs(d->disabled_filter, &names, &n);
	vals = values_of(e, names, n);
	if (sev != SEV_OFF)
		findings_add(f, sev, e->dn, -1, "disabled-unreadable", vals,
			     _("cannot tell whether the account is disabled: %s is "
			       "undefined for %s; the person's offboarding depends on "
			       "it%s"),
			     d->disabled_filter, *vals ? vals : _("this entry"),
			     sev == SEV_ERROR ? _(", so the entry is kept out") :
			     _(": taken as not disabled"));
	free(vals);
	source_attrs_free(names, n);
	return sev == SEV_ERROR;
}

/* The disabled state and the end date of a: an unreadable one keeps the entry out (rule
 * severity error, the default), or is reported and ignored (warning), or ignored (off).
 * Returns true when the entry is rejected. */
static bool leaving_unknown(const struct account_env *env, const struct conf_directory *d,
			    const struct entry *e, struct account *a, struct findings *f)
{
	enum severity sev;
	const char *bad = NULL;
	bool rejected = false;
	int dis = account_disabled(d, e);

	a->disabled = dis == 1;
	if (dis < 0)
		rejected = disabled_unknown(env, d, e, f);
	if (account_end_date(d, e, &a->end_time, &bad) < 0) {
		sev = check_severity(env->ck, "end-date-unreadable");
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
	const struct account_env *env = arg;

	return nat_find(env->national->db, t, id);
}

static char *national_list(void *arg, const char *list, const char *v)
{
	const struct account_env *env = arg;

	return check_list_value(env->ck, list, v);
}

struct map_national *account_national(const struct account_env *env, struct map_national *mn)
{
	if (!env->national || !env->national->db)
		return NULL;
	*mn = (struct map_national){ national_find, national_list, (void *)env, NULL };
	return mn;
}

struct map_national *account_national_resp(const struct account_env *env,
					   struct map_national *mn, const char *rpps)
{
	if (!account_national(env, mn))
		return NULL;
	mn->find = NULL;          /* map_expand reads person as it is */
	mn->person = *rpps ? nat_find(env->national->db, NAT_RPPS, rpps) : NULL;
	return mn;
}

bool account_national_check(const struct account_env *env, struct account *a,
			    const char *where, const struct nat_person *mapped,
			    struct findings *f)
{
	struct collect_national *n = env->national;
	const struct natcheck nc = { env->ck, national_find, (void *)env };
	struct natcheck_result res;

	if (!n || !n->db)
		return false;
	natcheck_row(&nc, &a->row, a->type, mapped, where, f, &res);
	a->national = res.rec;
	n->checked += res.looked_up;
	n->absent += res.absent;
	n->name += res.name;
	n->profession += res.profession;
	return res.errors > 0;
}
/* --- end of the national directory ------------------------------------------------------- */

bool account_errors_since(const struct findings *f, size_t from)
{
	for (size_t i = from; i < f->n; i++)
		if (f->v[i].sev == SEV_ERROR)
			return true;
	return false;
}

/* The row of a person who stays: normalised, counted and checked (also against the national
 * directory). Returns true when a check rejects it. */
static bool check_person(const struct account_env *env, const struct entry *e,
			 struct account *a, const struct nat_person *mapped, struct findings *f)
{
	bool rejected = false;

	/* A future end date is written ahead as Date de péremption. */
	if (a->end_time > 0 && str_empty(row_get(&a->row, COL_PEREMPTION)))
		row_take(&a->row, COL_PEREMPTION, plan_date(a->end_time));
	check_normalise(env->ck, &a->row, a->type);
	if (env->stats)
		map_stats_add_row(env->stats, &a->row, a->type);
	if (check_row(env->ck, &a->row, a->type, e->dn, f) > 0)
		rejected = true;
	if (account_national_check(env, a, e->dn, mapped, f))
		rejected = true;
	return rejected;
}

void account_person(const struct account_env *env, const struct conf_directory *d,
		    const struct entry *e, struct account *a, struct findings *f)
{
	struct map_national mn;
	struct map_extra extra = { .stats = env->stats, .national = account_national(env, &mn) };
	struct findings mf = { 0 };
	size_t from = f->n;
	bool gone;

	a->dn = xstrdup(e->dn);
	a->source = d->name;
	a->key = account_key(e, d->id_attribute);
	a->rejected = leaving_unknown(env, d, e, a, f);
	gone = !a->rejected && (a->disabled || (a->end_time && a->end_time <= env->now));
	/* a leaver's table values are not worth adding to the table */
	a->type = map_person(env->m, e, d, is_member, (void *)env, &a->row, &mf,
			     gone ? NULL : &extra);
	if (!a->key) {
		findings_add(f, check_severity(env->ck, "missing-id"), e->dn, -1,
			     "missing-id", NULL,
			     _("the entry has no usable %s (the stable id)"), d->id_attribute);
		a->key = xasprintf("dn:%s", e->dn);
		a->rejected = true;
	}
	if (gone) {
		findings_free(&mf);
		goto out;
	}
	findings_move(f, &mf);
	if (a->type == BAL_NONE) {
		a->rejected = true;
		goto out;
	}
	if (check_person(env, e, a, extra.national ? mn.person : NULL, f))
		a->rejected = true;
out:
	if (account_errors_since(f, from))
		a->rejected = true;
}

void account_trace(const struct account_env *env, const struct conf_directory *d,
		   const struct entry *e, struct row *mapped, struct map_trace *trace)
{
	struct map_national mn;
	struct map_extra extra = { .trace = trace, .national = account_national(env, &mn) };
	struct findings scratch = { 0 };

	map_person(env->m, e, d, is_member, (void *)env, mapped, &scratch, &extra);
	row_pack(mapped);
	findings_free(&scratch);
}
