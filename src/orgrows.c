/*
 * orgrows.c - the row of an ORG mailbox from a selected group: its cells, its responsible and
 * its connexion accounts.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "orgrows.h"
#include "source.h"

/* The people's templates that an ORG mailbox reads on its group's entry. */
static const int org_shared_cols[] = {
	COL_RAISON_SOCIALE, COL_ADRESSE1, COL_ADRESSE2, COL_CP, COL_VILLE, COL_DEPARTEMENT,
	COL_REGION, COL_TEL1, COL_TEL2, COL_TYPE_ID_STRUCT, COL_ID_STRUCT, COL_STRUCTURE,
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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

char *orgrows_expand(const struct account_env *env, enum map_org_field fld,
		     const struct entry *e, const struct conf_structure *st, struct findings *f,
		     int col, const struct map_extra *xx)
{
	const struct map_template *t = map_org_template(env->m, fld);
	const char *text = *(char *const *)((const char *)&env->c->org + org_fields[fld].off);

	org_trace(xx, col, _("template (org.%s, read on %s): %s"), org_fields[fld].option, e->dn,
		  text ? text : "");
	return t ? map_expand(t, e, st, f, e->dn, col, xx) : xstrdup("");
}

/* The ORG mailbox's own cells, and the structure and contact cells read on its group. */
static void org_cells(const struct account_env *env, const struct conf_structure *st,
		      const struct entry *g, struct row *row, struct findings *f,
		      const struct map_extra *xx)
{
	row_take(row, COL_MAIL, orgrows_expand(env, MAP_ORG_MAIL, g, st, f, COL_MAIL, xx));
	row_take(row, COL_NOM, orgrows_expand(env, MAP_ORG_NOM, g, st, f, COL_NOM, xx));
	row_take(row, COL_PRENOM, orgrows_expand(env, MAP_ORG_PRENOM, g, st, f, COL_PRENOM, xx));
	row_take(row, COL_DESCRIPTION,
		 orgrows_expand(env, MAP_ORG_DESCRIPTION, g, st, f, COL_DESCRIPTION, xx));
	/* Structure and contact cells: the people's templates, read on the group's entry, so
	 * that the group may override them and the structure fills in the rest. */
	for (size_t i = 0; i < ARRAY_SIZE(org_shared_cols); i++) {
		int col = org_shared_cols[i];
		const struct map_template *t = map_column(env->m, col);

		org_trace(xx, col, _("template (map.%s, read on the group's entry): %s"),
			  columns[col].key, env->c->map[col] ? env->c->map[col] : "");
		if (t)
			row_take(row, col, map_expand(t, g, st, f, g->dn, col, xx));
	}
	row_set(row, COL_LIBERAL, "NON");
	row_set(row, COL_TYPE_BAL, "ORG");
	org_trace(xx, COL_LIBERAL, "%s", _("NON for every ORG mailbox"));
}

/* The responsible's cells, from the owner's own entry (oe) and the national record of its
 * RPPS. Returns that record, or NULL. */
static const struct nat_person *resp_cells(const struct account_env *env,
					   const struct conf_structure *st, const char *owner,
					   const struct entry *oe, const char *resp_dn,
					   const struct entry *g, struct row *row,
					   struct findings *f, const struct map_extra *xx)
{
	struct map_national mn;
	struct map_extra rx = { 0 };

	row_take(row, COL_ID_RESP,
		 orgrows_expand(env, MAP_ORG_RESP_RPPS, oe, st, f, COL_ID_RESP, xx));
	if (xx)
		rx = *xx;
	rx.national = account_national_resp(env, &mn, row_get(row, COL_ID_RESP));
	row_take(row, COL_NOM_RESP,
		 orgrows_expand(env, MAP_ORG_RESP_NOM, oe, st, f, COL_NOM_RESP, &rx));
	row_take(row, COL_PRENOM_RESP,
		 orgrows_expand(env, MAP_ORG_RESP_PRENOM, oe, st, f, COL_PRENOM_RESP, &rx));
	row_take(row, COL_PROFESSION_RESP,
		 orgrows_expand(env, MAP_ORG_RESP_PROFESSION, oe, st, f, COL_PROFESSION_RESP,
				&rx));
	row_set(row, COL_PROFESSION, row_get(row, COL_PROFESSION_RESP));
	org_trace(xx, COL_PROFESSION, "%s", _("the responsible's profession (Profession resp)"));
	if (!check_rpps(row_get(row, COL_ID_RESP)))
		findings_add(f, check_severity(env->ck, "org-responsible-rpps"), g->dn,
			     COL_ID_RESP, "org-responsible-rpps", owner,
			     _("the responsible %s must be a health professional with a "
			       "valid RPPS number"), resp_dn);
	return rx.national ? mn.person : NULL;
}

/* The responsible: the group's owner, or the configured default; it must be a person read
 * from the directory. Returns its national record, or NULL. */
static const struct nat_person *org_responsible(const struct account_env *env,
						const struct orgrows_people *p,
						const struct conf_directory *d,
						const struct entry *g, struct row *row,
						struct findings *f, const struct map_extra *xx)
{
	const char *owner = d->owner_attribute ? entry_get(g, d->owner_attribute) : NULL;
	const struct entry *oe = NULL;
	size_t id;

	if (!owner)
		owner = env->c->org.default_owner;
	if (!owner) {
		findings_add(f, check_severity(env->ck, "org-no-responsible"), g->dn, COL_NOM_RESP,
			     "org-no-responsible", NULL,
			     _("the group has no %s and no default-owner is configured"),
			     d->owner_attribute ? d->owner_attribute : "owner");
		return NULL;
	}
	if (!org_person_by_dn(env->idx, owner, &id) || id >= p->nacc ||
	    !(oe = source_owner(p->owners, owner))) {
		findings_add(f, check_severity(env->ck, "org-responsible-unknown"), g->dn,
			     COL_NOM_RESP, "org-responsible-unknown", owner,
			     _("the responsible is not a person read from the directory"));
		return NULL;
	}
	return resp_cells(env, d->st, owner, oe, p->acc[id].dn, g, row, f, xx);
}

/* Why member mb is not a connexion account, or NULL when it is one. */
static const char *not_connexion(const struct account_env *env, const struct account *mb)
{
	if (mb->rejected)
		return _("is rejected in this run");
	if (mb->disabled || (mb->end_time > 0 && mb->end_time <= env->now))
		return _("is disabled");
	if (mb->type != BAL_PER && mb->type != BAL_INT && mb->type != BAL_MED)
		return _("is not a PER, INT or MED account");
	return NULL;
}

/* The connexion accounts: the addresses of the transitive members that are valid nominative
 * accounts, sorted, once each. The ORG address must not be one of them. */
static void org_connexion(const struct account_env *env, const struct orgrows_people *p,
			  const struct entry *g, struct row *row, struct findings *f)
{
	size_t *ids = NULL, n = 0, nmail = 0;
	char **mails = NULL;
	struct strbuf sb = { 0 };
	struct findings scratch = { 0 };

	if (org_members(env->idx, g->dn, &ids, &n, &scratch) == 0) {
		mails = xcalloc(n ? n : 1, sizeof(*mails));
		for (size_t i = 0; i < n; i++) {
			const struct account *mb = &p->acc[ids[i]];
			const char *why = not_connexion(env, mb);

			if (why) {
				findings_add(f, check_severity(env->ck, "org-member-excluded"),
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
			if (strcmp(mails[i], row_get(row, COL_MAIL)) == 0) {
				findings_add(f, check_severity(env->ck, "org-mail-personal"),
					     g->dn, COL_MAIL, "org-mail-personal", mails[i],
					     _("the ORG address is a member's personal address: it "
					       "must be generic"));
				break;
			}
	}
	row_take(row, COL_CONNEXION, sb_steal(&sb));
	free(mails);
	free(ids);
	rate_findings(f, &scratch, env->ck);
}

/* The row of a's ORG mailbox. Returns false when a check rejects it. */
static bool org_row(const struct account_env *env, const struct orgrows_people *p,
		    const struct conf_directory *d, const struct entry *g, struct account *a,
		    struct findings *f, const struct map_extra *xx)
{
	const struct nat_person *resp;
	bool ok = true;

	org_cells(env, d->st, g, &a->row, f, xx);
	resp = org_responsible(env, p, d, g, &a->row, f, xx);
	org_connexion(env, p, g, &a->row, f);
	check_normalise(env->ck, &a->row, BAL_ORG);
	if (env->stats)
		map_stats_add_row(env->stats, &a->row, BAL_ORG);
	if (check_row(env->ck, &a->row, BAL_ORG, g->dn, f) > 0)
		ok = false;
	if (account_national_check(env, a, g->dn, resp, f))
		ok = false;
	return ok;
}

void orgrows_account(const struct account_env *env, const struct orgrows_people *p,
		     const struct conf_directory *d, const struct entry *g, struct account *a,
		     struct findings *f, const struct map_extra *xx)
{
	size_t from = f->n;

	a->type = BAL_ORG;
	a->dn = xstrdup(g->dn);
	a->source = d->name;
	a->key = account_key(g, d->id_attribute);
	if (!a->key) {
		findings_add(f, check_severity(env->ck, "missing-id"), g->dn, -1, "missing-id", NULL,
			     _("the group has no usable %s (the stable id)"), d->id_attribute);
		a->key = xasprintf("dn:%s", g->dn);
		a->rejected = true;
	}
	if (!org_row(env, p, d, g, a, f, xx) || account_errors_since(f, from))
		a->rejected = true;
}
