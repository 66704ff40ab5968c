/*
 * check_list.c - the code lists of the rules (professions, spécialités, départements...):
 * built-in entries from check_data.c plus the config's list sections, indexed by folded
 * spellings; the form a list cell is written with. Pure functions.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_int.h"
#include "check_data.h"

static const struct code_entry type_bal_values[] = {
	{ "PER", "PER", NULL, NULL, 0 }, { "INT", "INT", NULL, NULL, 0 },
	{ "ORG", "ORG", NULL, NULL, 0 }, { "MED", "MED", NULL, NULL, 0 },
};
static const struct code_entry id_type_values[] = {
	{ "FINESS", "FINESS", NULL, NULL, 0 }, { "SIRET", "SIRET", NULL, NULL, 0 },
	{ "SIREN", "SIREN", NULL, NULL, 0 },
};
static const struct code_entry liberal_values[] = {
	{ "OUI", "OUI", NULL, NULL, 0 }, { "NON", "NON", NULL, NULL, 0 },
};

const struct list_def check_list_defs[L_NLISTS] = {
	[L_PROFESSION]  = { "profession", data_professions, &data_nprofessions, 0, false },
	[L_SPECIALITE]  = { "specialite", data_specialites, &data_nspecialites, 0, false },
	[L_CIVILITE]    = { "civilite-exercice", data_civilites, &data_ncivilites, 0, false },
	[L_DEPARTEMENT] = { "departement", data_departements, &data_ndepartements, 0, false },
	[L_REGION]      = { "region", data_regions, &data_nregions, 0, false },
	[L_DIPLOME]     = { "diplome", NULL, NULL, 0, false },
	[L_TYPE_BAL]    = { "type-bal", type_bal_values, NULL, ARRAY_SIZE(type_bal_values), true },
	[L_ID_TYPE]     = { "type-identifiant-structure", id_type_values, NULL,
			    ARRAY_SIZE(id_type_values), true },
	[L_LIBERAL]     = { "activite-liberale", liberal_values, NULL,
			    ARRAY_SIZE(liberal_values), true },
};

static void index_key(struct clist *l, const char *key, const struct code_entry *e)
{
	char *k;

	if (!key || !*key)
		return;
	k = l->exact ? xstrdup(key) : utf8_fold(key);
	if (*k && !hmap_get(l->index, k))
		hmap_put(l->index, k, (void *)e);
	free(k);
}

static void index_entry(struct clist *l, const struct code_entry *e)
{
	char *both;

	index_key(l, e->code, e);
	index_key(l, e->label, e);
	index_key(l, e->alt, e);
	/* TRE_R38 labels end with the order's tag, " (SM)": directories often drop it. */
	if (e->label && !l->exact) {
		const char *p = strrchr(e->label, '(');
		size_t n = strlen(e->label);

		if (p && p > e->label + 1 && p[-1] == ' ' && e->label[n - 1] == ')' &&
		    strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == (size_t)(e->label + n - 1 - p - 1)) {
			char *bare = xstrndup(e->label, (size_t)(p - 1 - e->label));

			index_key(l, bare, e);
			free(bare);
		}
	}
	if (e->code && !l->exact) {
		both = xasprintf("%s - %s", e->code, e->label);
		index_key(l, both, e);
		free(both);
	}
}

/* Cells mostly hold a spelling of the list itself (check_normalise wrote it): map each such
 * spelling to the item its fold finds, so that list_find skips the fold for them. */
static void index_spelt(struct clist *l, const char *key)
{
	const struct code_entry *e;
	char *k;

	if (!key || !*key || hmap_get(l->spelt, key))
		return;
	k = utf8_fold(key);
	e = hmap_get(l->index, k);
	if (e)
		hmap_put(l->spelt, key, (void *)e);
	free(k);
}

static void index_spellings(struct clist *l, const struct code_entry *e)
{
	char *both;

	index_spelt(l, e->code);
	index_spelt(l, e->label);
	index_spelt(l, e->alt);
	if (e->code && e->label) {
		both = xasprintf("%s - %s", e->code, e->label);
		index_spelt(l, both);
		free(both);
	}
}

static char *own(struct checker *ck, char *s)
{
	xgrow(&ck->owned, &ck->cap_owned, ck->nowned + 1, sizeof(*ck->owned));
	ck->owned[ck->nowned++] = s;
	return s;
}

/* A config value is a label, or "code - label". */
static void parse_extra(struct checker *ck, const char *v, struct code_entry *e)
{
	const char *sep = strstr(v, " - ");

	memset(e, 0, sizeof(*e));
	if (sep && sep > v && sep[3]) {
		char *code = xstrndup(v, (size_t)(sep - v));

		e->code = own(ck, str_trim(code));
		e->label = own(ck, str_trim(sep + 3));
		free(code);
	} else {
		e->label = own(ck, str_trim(v));
	}
}

int check_list_by_name(const char *name)
{
	for (int i = 0; i < L_NLISTS; i++)
		if (strcmp(check_list_defs[i].name, name) == 0)
			return i;
	return -1;
}

void check_list_build(struct checker *ck, int li, const struct config *c)
{
	const struct list_def *d = &check_list_defs[li];
	struct clist *l = &ck->lists[li];
	size_t nb = d->nbuiltin ? *d->nbuiltin : d->nfixed, nextra = 0, i;
	bool replace = false;

	for (i = 0; c && i < c->nlist_replace; i++)
		if (strcmp(c->list_replace[i], d->name) == 0)
			replace = true;
	if (replace || !d->builtin)
		nb = 0;
	for (i = 0; c && i < c->nlist; i++)
		if (strcmp(c->list_name[i], d->name) == 0)
			nextra++;
	l->exact = d->exact;
	l->index = hmap_new(false);
	l->items = xcalloc(nb + nextra, sizeof(*l->items));
	for (i = 0; i < nb; i++)
		l->items[l->n++] = d->builtin[i];
	for (i = 0; c && i < c->nlist; i++)
		if (strcmp(c->list_name[i], d->name) == 0)
			parse_extra(ck, c->list_value[i], &l->items[l->n++]);
	for (i = 0; i < l->n; i++)
		index_entry(l, &l->items[i]);
	if (l->exact)
		return;
	l->spelt = hmap_new(false);
	for (i = 0; i < l->n; i++)
		index_spellings(l, &l->items[i]);
}

const struct code_entry *check_list_find(const struct checker *ck, int li, const char *v)
{
	const struct clist *l = &ck->lists[li];
	const struct code_entry *e;
	char *k;

	if (!v || !*v)
		return NULL;
	if (l->exact)
		return hmap_get(l->index, v);
	e = hmap_get(l->spelt, v);
	if (e)
		return e;
	k = utf8_fold(v);
	e = hmap_get(l->index, k);
	free(k);
	return e;
}

/* The value a list cell is written with, in the configured form. Caller frees. */
static char *list_form(const struct checker *ck, const struct code_entry *e)
{
	if (!e->code || ck->form == FORM_LABEL)
		return xstrdup(e->label);
	if (ck->form == FORM_CODE)
		return xstrdup(e->code);
	return xasprintf("%s - %s", e->code, e->label);
}

char *check_list_value(const struct checker *ck, const char *list, const char *v)
{
	int li = check_list_by_name(list);
	const struct code_entry *e = li >= 0 ? check_list_find(ck, li, v) : NULL;

	return e ? list_form(ck, e) : NULL;
}

static void normalise_list(const struct checker *ck, struct row *row, enum col col, int li)
{
	const struct code_entry *e = check_list_find(ck, li, row_get(row, col));

	if (e)
		row_take(row, col, list_form(ck, e));
}

void check_normalise(const struct checker *ck, struct row *row, enum bal_type type)
{
	const struct code_entry *e;
	const char *dep, *reg;

	(void)type;
	if (str_empty(row_get(row, COL_DEPARTEMENT))) {
		dep = check_cp_departement(row_get(row, COL_CP));
		e = dep ? check_list_find(ck, L_DEPARTEMENT, dep) : NULL;
		if (e)
			row_take(row, COL_DEPARTEMENT, list_form(ck, e));
	}
	if (str_empty(row_get(row, COL_REGION))) {
		e = check_list_find(ck, L_DEPARTEMENT, row_get(row, COL_DEPARTEMENT));
		reg = e ? e->parent : NULL;
		e = reg ? check_list_find(ck, L_REGION, reg) : NULL;
		if (e)
			row_take(row, COL_REGION, list_form(ck, e));
	}
	normalise_list(ck, row, COL_CIVILITE, L_CIVILITE);
	normalise_list(ck, row, COL_DEPARTEMENT, L_DEPARTEMENT);
	normalise_list(ck, row, COL_REGION, L_REGION);
	normalise_list(ck, row, COL_SPECIALITE, L_SPECIALITE);
	normalise_list(ck, row, COL_PROFESSION, L_PROFESSION);
	for (int col = 0; ck->translit && col < NCOLS; col++) {
		const char *v = row_get(row, (enum col)col);

		if (*v)
			row_take(row, (enum col)col, check_transliterate(v));
	}
}
