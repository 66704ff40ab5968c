/*
 * map_national.c - {national:FIELD}: a field of the person's record in the national
 * directory, found by the RPPS cell, else the ADELI cell. Fields with a list are translated to
 * that code list (by code, else by label); the others are taken as the extract writes them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "map_int.h"

const struct nat_field_def map_nat_fields[NF_N] = {
	[NF_PROFESSION]        = { "profession", "profession", "national:profession" },
	[NF_SPECIALITE]        = { "specialite", "specialite", "national:specialite" },
	[NF_SAVOIR_FAIRE]      = { "savoir-faire", NULL, NULL },
	[NF_CIVILITE_EXERCICE] = { "civilite-exercice", "civilite-exercice",
				   "national:civilite-exercice" },
	[NF_NOM]               = { "nom", NULL, NULL },
	[NF_PRENOM]            = { "prenom", NULL, NULL },
	[NF_MSSANTE]           = { "mssante", NULL, NULL },
	[NF_MSSANTE_LOCAL]     = { "mssante-local", NULL, NULL },
};

/* "RPPS" or "ADELI", for messages. */
static const char *nat_kind(const struct nat_person *p)
{
	return p->type == NAT_RPPS ? "RPPS" : p->type == NAT_ADELI ? "ADELI" : "ID";
}

/* The local part of the person's first MSSanté address in one of m's domains, or NULL. */
static char *mss_local(const struct nat_person *p, const struct mapper *m)
{
	for (size_t i = 0; m && i < p->nmssante; i++) {
		const char *a = p->mssante[i].address;

		if (nat_in_domains(a, m->domains, m->ndomains))
			return xstrndup(a, (size_t)(strrchr(a, '@') - a));
	}
	return NULL;
}

/* A code and label of the extract translated to the value of fd's code list (by code, else by
 * label), allocated; NULL, recorded as unmatched, when the list has neither. */
static char *national_code(const struct nat_field_def *fd, const struct nat_code *code,
			   const struct nat_person *p, struct xctx *x)
{
	char *v = NULL, *raw, *folded;

	if (!x->nat->list_value)
		return xstrdup(*code->label ? code->label : code->code);
	if (*code->code)
		v = x->nat->list_value(x->nat->arg, fd->list, code->code);
	if (!v && *code->label)
		v = x->nat->list_value(x->nat->arg, fd->list, code->label);
	if (v)
		return v;
	/* "code - label" is what the list section takes: list "specialite" { add = ... } */
	raw = *code->code && *code->label ? xasprintf("%s - %s", code->code, code->label) :
	      xstrdup(*code->code ? code->code : code->label);
	folded = utf8_fold(raw);
	map_unmatched(x, fd->table, raw, folded);
	emit(x, MF_NATIONAL, raw, _("%s %s: \"%s\" of the national directory is no value of "
				    "the %s list"), nat_kind(p), p->id, raw, fd->list);
	free(folded);
	free(raw);
	return NULL;
}

/* A field of the person's national record as a cell takes it, or NULL (x->tmp holds what
 * was computed). */
const char *map_national_value(unsigned field, struct xctx *x)
{
	const struct nat_field_def *fd = &map_nat_fields[field < NF_N ? field : 0];
	const struct nat_person *p = x->nat ? x->nat->person : NULL;
	const struct nat_savoir_faire *sf;
	struct nat_code code = { "", "" };
	const char *v = NULL;

	free(x->tmp);
	x->tmp = NULL;
	if (!p) {
		if (x->tr)
			sb_addf(x->tr, _("    national:%s: no national record\n"), fd->name);
		return NULL;
	}
	switch ((enum nat_field)field) {
	case NF_PROFESSION:
		if (p->nprofessions > 0)
			code = p->professions[0].profession;
		break;
	case NF_SPECIALITE:
		sf = nat_specialite(p);
		if (sf)
			code = sf->savoir_faire;
		break;
	case NF_SAVOIR_FAIRE:
		sf = nat_specialite(p);
		if (!sf && p->nsavoir_faire > 0)
			sf = &p->savoir_faire[0];
		v = sf ? sf->savoir_faire.label : NULL;
		break;
	case NF_CIVILITE_EXERCICE:
		code = p->civilite_exercice;
		break;
	case NF_NOM:
		v = p->nom;
		break;
	case NF_PRENOM:
		v = p->prenom;
		break;
	case NF_MSSANTE:
		v = p->nmssante > 0 ? p->mssante[0].address : NULL;
		break;
	case NF_MSSANTE_LOCAL:
		v = x->tmp = mss_local(p, x->m);
		break;
	default:
		break;
	}
	if (fd->list && (*code.code || *code.label))
		v = x->tmp = national_code(fd, &code, p, x);
	if (x->tr) {
		sb_addf(x->tr, "    national:%s (%s %s):", fd->name, nat_kind(p), p->id);
		if (fd->list && (*code.code || *code.label))
			sb_addf(x->tr, " \"%s\" \"%s\" ->", code.code, code.label);
		sb_addf(x->tr, v && *v ? " \"%s\"\n" : " %s\n", v && *v ? v :
			fd->list && (*code.code || *code.label) ? _("no value of the list") :
			_("empty"));
	}
	return v && *v ? v : NULL;
}

/* "RPPS \"ID\": NOM PRENOM in the national directory" (or not in it), for the trace. */
static void trace_lookup(struct strbuf *tr, const char *kind, const char *id,
			 const struct nat_person *p)
{
	if (!*id)
		return;
	if (p && p->in_extract)
		sb_addf(tr, _("%s \"%s\": %s %s in the national directory\n"), kind, id, p->nom,
			p->prenom);
	else if (p)
		sb_addf(tr, _("%s \"%s\": only in the MSSanté extract\n"), kind, id);
	else
		sb_addf(tr, _("%s \"%s\": not in the national directory\n"), kind, id);
}

/* The national record of the row's RPPS cell, else of its ADELI cell, into x->nat->person. */
void map_nat_lookup(const struct row *row, struct xctx *x, struct map_trace *trace)
{
	struct map_national *n = x->nat;
	const char *rpps = row_get(row, COL_RPPS), *adeli = row_get(row, COL_ADELI);
	const struct nat_person *by_adeli = NULL;

	if (!n || !n->find)
		return;
	n->person = *rpps ? n->find(n->arg, NAT_RPPS, rpps) : NULL;
	if (!n->person && *adeli)
		n->person = by_adeli = n->find(n->arg, NAT_ADELI, adeli);
	if (!trace)
		return;
	if (!*rpps && !*adeli)
		sb_add(&trace->national, _("no RPPS or ADELI cell: no national record\n"));
	trace_lookup(&trace->national, "RPPS", rpps, n->person == by_adeli ? NULL : n->person);
	if (!n->person || by_adeli)
		trace_lookup(&trace->national, "ADELI", adeli, by_adeli);
}
