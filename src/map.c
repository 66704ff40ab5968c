/*
 * map.c - the compiled mapping of a config (map_new): the value tables, one template per
 * column, per BAL type and per ORG field, the BAL type rules, the severities of the mapper's
 * findings. Pure: no I/O. The other parts of the mapper: map_int.h lists them.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "i18n.h"
#include "map_int.h"

/* The findings whose severity the config may change (rule ids of check_rules[]). */
const char *const map_mf_rules[MF_N] = {
	[MF_PHONE]    = "phone-format",
	[MF_DATE]     = "date-format",
	[MF_IDNAT]    = "idnat-format",
	[MF_TABLE]    = "table-unmatched",
	[MF_NATIONAL] = "national-unmatched",
	[MF_UTF8]     = "invalid-utf8",
	[MF_LONG]     = "value-too-long",
	[MF_NO_RULE]  = "no-bal-rule",
};

enum severity map_mf_default(enum mf k)
{
	const struct check_rule_info *r = check_rule_find(map_mf_rules[k]);

	return r ? r->sev : SEV_ERROR;
}

/* Append "FILE:LINE: message" (or "FILE: ", or nothing, when unknown) as a line of errs. */
void map_add_err(struct strbuf *errs, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (errs->len)
		sb_addc(errs, '\n');
	if (file && *file && line > 0)
		sb_addf(errs, "%s:%d: ", file, line);
	else if (file && *file)
		sb_addf(errs, "%s: ", file);
	sb_add(errs, msg);
	free(msg);
}

/* Compile text for name into *t; on error append "FILE:LINE: name: why" to errs. */
static void compile_into(struct mapper *m, struct map_template **t, const char *text,
			 const char *name, const char *file, int line, enum nat_use nat,
			 struct strbuf *errs)
{
	char *err = NULL;

	if (!text || !*text)
		return;
	*t = map_compile_in(text, m, nat, &err);
	if (!*t) {
		map_add_err(errs, file, line, "%s: %s", name, err);
		free(err);
	}
}

/* Where the template of column col (or ORG field org, when >= 0) may read the national
 * directory: a person's cells may, except RPPS and ADELI (they find the record) and the
 * group's own ORG templates. */
static enum nat_use nat_use_of(const struct config *c, int col, int org)
{
	if (!c->national)
		return NAT_NO_SECTION;
	if (org >= 0 && org < MAP_ORG_RESP_NOM)
		return NAT_GROUP;
	if (col == COL_RPPS || col == COL_ADELI || org == MAP_ORG_RESP_RPPS)
		return NAT_ID_CELL;
	return NAT_OK;
}

static void null_terminate(char ***v, size_t n)
{
	*v = xrealloc(*v, (n + 1) * sizeof(char *));
	(*v)[n] = NULL;
}

static void build_rule(struct mapper *m, struct map_rule *mr, const struct conf_bal_rule *r,
		       const char *path, struct strbuf *errs)
{
	char *err = NULL;

	mr->name = xstrdup(r->name);
	mr->type = r->type;
	mr->attr = r->if_attribute ? xstrdup(r->if_attribute) : NULL;
	mr->value = r->if_value ? xstrdup(r->if_value) : NULL;
	mr->member_of = r->if_member_of ? xstrdup(r->if_member_of) : NULL;
	mr->if_col = r->if_column ? column_by_key(r->if_column) : -1;
	if (r->if_column && mr->if_col < 0)
		map_add_err(errs, NULL, 0, "bal-rule \"%s\": if-column: unknown column key \"%s\"",
			r->name, r->if_column);
	if (r->if_dn_suffix)
		mr->dn_suffix = dn_normalise(r->if_dn_suffix);
	if (r->if_match) {
		mr->match_text = xstrdup(r->if_match);
		mr->match = map_rx_parse_whole(r->if_match, &err);
		if (!mr->match)
			map_add_err(errs, path, r->line_match, "bal-rule \"%s\": if-match: %s", r->name,
				err);
		free(err);
	}
	if (r->if_table) {
		struct map_table *tb = map_table_by_name(m, r->if_table);

		if (!tb)
			map_add_err(errs, path, r->line_table, "bal-rule \"%s\": if-table: no table "
				"section \"%s\"", r->name, r->if_table);
		else
			tb->used = true;
		mr->table = tb;
	}
	if (r->if_attribute)
		map_add_name(&m->attrs, &m->nattrs, r->if_attribute);
}

/* The severity of each finding of the mapper: its rule's default, or what severity = sets. */
static void set_severities(struct mapper *m, const struct config *c)
{
	for (int k = 0; k < MF_N; k++) {
		m->sev[k] = map_mf_default((enum mf)k);
		for (size_t i = 0; i < c->nsev; i++)
			if (strcmp(c->sev_rule[i], map_mf_rules[k]) == 0)
				m->sev[k] = c->sev_value[i];
	}
}

struct mapper *map_new(const struct config *c, char **err)
{
	struct mapper *m = xcalloc(1, sizeof(*m));
	struct strbuf errs = { 0 }, warns = { 0 };
	const char *org_text[MAP_ORG_NFIELDS] = {
		c->org.mail, c->org.nom, c->org.prenom, c->org.description,
		c->org.responsible_nom, c->org.responsible_prenom, c->org.responsible_profession,
		c->org.responsible_rpps
	};
	static const char *const org_names[MAP_ORG_NFIELDS] = {
		"org.adresse-mail", "org.nom", "org.prenom", "org.description",
		"org.responsible-nom", "org.responsible-prenom", "org.responsible-profession",
		"org.responsible-rpps"
	};

	*err = NULL;
	for (size_t i = 0; c->national && i < c->national->nmssante_domains; i++)
		map_add_name(&m->domains, &m->ndomains, c->national->mssante_domains[i]);
	set_severities(m, c);
	m->tables = xcalloc(c->ntables, sizeof(*m->tables));
	for (size_t i = 0; i < c->ntables; i++)
		map_table_build(&m->tables[m->ntables++], &c->tables[i], c->path, &errs, &warns);
	for (int i = 0; i < NCOLS; i++) {
		char *name = xasprintf("map.%s", columns[i].key);

		if (i != COL_TYPE_BAL)
			compile_into(m, &m->cols[i], c->map[i], name, c->path, c->map_line[i],
				     nat_use_of(c, i, -1), &errs);
		free(name);
		map_template_attrs(m->cols[i], &m->attrs, &m->nattrs);
		m->national = m->national || map_reads_national(m->cols[i]);
	}
	for (int t = 0; t < BAL_NTYPES; t++) {
		for (int i = 0; i < NCOLS; i++) {
			char *name;

			if (t == BAL_ORG || i == COL_TYPE_BAL || !c->type_map[t][i])
				continue;
			m->tset[t][i] = true;
			name = xasprintf("map-type \"%s\": %s", bal_type_name((enum bal_type)t),
					 columns[i].key);
			compile_into(m, &m->tcols[t][i], c->type_map[t][i], name, c->path,
				     c->type_map_line[t][i], nat_use_of(c, i, -1), &errs);
			free(name);
			map_template_attrs(m->tcols[t][i], &m->attrs, &m->nattrs);
			m->national = m->national || map_reads_national(m->tcols[t][i]);
		}
	}
	for (int i = 0; i < MAP_ORG_NFIELDS; i++) {
		compile_into(m, &m->org[i], org_text[i], org_names[i], c->path, c->org.line[i],
			     nat_use_of(c, -1, i), &errs);
		if (i >= MAP_ORG_RESP_NOM)
			map_template_attrs(m->org[i], &m->attrs, &m->nattrs);
		else
			map_template_attrs(m->org[i], &m->group_attrs, &m->ngroup_attrs);
	}
	m->rules = xcalloc(c->nrules, sizeof(*m->rules));
	for (size_t i = 0; i < c->nrules; i++)
		build_rule(m, &m->rules[m->nrules++], &c->rules[i], c->path, &errs);
	for (size_t i = 0; i < m->ntables; i++)
		if (!m->tables[i].used)
			map_add_err(&warns, m->tables[i].cfile, m->tables[i].line, "table \"%s\": "
				"warning: no template (table:%s) and no bal-rule (if-table) uses "
				"it", m->tables[i].name, m->tables[i].name);
	null_terminate(&m->attrs, m->nattrs);
	null_terminate(&m->group_attrs, m->ngroup_attrs);
	if (warns.len)
		m->warnings = sb_steal(&warns);
	if (errs.len) {
		*err = sb_steal(&errs);
		map_free(m);
		m = NULL;
	}
	sb_free(&errs);
	sb_free(&warns);
	return m;
}

void map_free(struct mapper *m)
{
	if (!m)
		return;
	for (int i = 0; i < NCOLS; i++) {
		map_template_free(m->cols[i]);
		for (int t = 0; t < BAL_NTYPES; t++)
			map_template_free(m->tcols[t][i]);
	}
	for (int i = 0; i < MAP_ORG_NFIELDS; i++)
		map_template_free(m->org[i]);
	for (size_t i = 0; i < m->nrules; i++) {
		struct map_rule *r = &m->rules[i];

		free(r->name);
		free(r->attr);
		free(r->value);
		free(r->member_of);
		free(r->dn_suffix);
		map_rx_free(r->match);
		free(r->match_text);
	}
	free(m->rules);
	for (size_t i = 0; i < m->ntables; i++)
		map_table_free(&m->tables[i]);
	free(m->tables);
	map_names_free(m->attrs, m->nattrs);
	map_names_free(m->group_attrs, m->ngroup_attrs);
	map_names_free(m->domains, m->ndomains);
	free(m->warnings);
	free(m);
}

const char *map_warnings(const struct mapper *m)
{
	return m->warnings;
}

const char *const *map_people_attrs(const struct mapper *m)
{
	return (const char *const *)m->attrs;
}

const char *const *map_group_attrs(const struct mapper *m)
{
	return (const char *const *)m->group_attrs;
}

const struct map_template *map_column(const struct mapper *m, int col)
{
	return col >= 0 && col < NCOLS ? m->cols[col] : NULL;
}

const struct map_template *map_org_template(const struct mapper *m, enum map_org_field f)
{
	return f >= 0 && f < MAP_ORG_NFIELDS ? m->org[f] : NULL;
}
