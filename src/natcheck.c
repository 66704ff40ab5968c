/*
 * natcheck.c - the national directory's checks of a row: the number is in the directory, its
 * holder has the row's names and profession. Pure. See natcheck.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "natcheck.h"

/* The words of a name, folded (utf8_fold), the particles left out. */
struct word {
	const char *p;
	size_t n;
};
struct words {
	char *fold;
	struct word *v;
	size_t n, cap;
	char *key;                 /* the words joined: nat_name_key() */
};

/* The words of a name already folded (fold is taken). */
static void words_of_fold(char *fold, struct words *ws)
{
	const char *p, *e;
	struct strbuf key = { 0 };

	memset(ws, 0, sizeof(*ws));
	ws->fold = fold;
	sb_addn(&key, "", 0);
	for (p = ws->fold; *p; p = *e ? e + 1 : e) {
		e = strchr(p, ' ');
		if (!e)
			e = p + strlen(p);
		if (e == p || nat_particle(p, (size_t)(e - p)))
			continue;
		xgrow(&ws->v, &ws->cap, ws->n + 1, sizeof(*ws->v));
		ws->v[ws->n++] = (struct word){ p, (size_t)(e - p) };
		sb_addn(&key, p, (size_t)(e - p));
	}
	ws->key = sb_steal(&key);
}

static void words_free(struct words *ws)
{
	free(ws->fold);
	free(ws->v);
	free(ws->key);
}

static bool same_word(const struct word *a, const struct word *b)
{
	return a->n == b->n && memcmp(a->p, b->p, a->n) == 0;
}

/* Every word of a is a word of b. */
static bool words_in(const struct words *a, const struct words *b)
{
	for (size_t i = 0; i < a->n; i++) {
		bool found = false;

		for (size_t j = 0; j < b->n && !found; j++)
			found = same_word(&a->v[i], &b->v[j]);
		if (!found)
			return false;
	}
	return a->n > 0;
}

/* The words of a are the first words of b. */
static bool words_lead(const struct words *a, const struct words *b)
{
	if (a->n == 0 || a->n > b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!same_word(&a->v[i], &b->v[i]))
			return false;
	return true;
}

/* Compare the name a of a row with the folded name of a record: 1 the same, 0 not, -1 one
 * of them is empty (nothing to compare). Most names fold alike: that costs no allocation. */
static int names_match(const char *a, const char *fold_b, bool prenom)
{
	struct words wa, wb;
	int r;

	if (utf8_fold_eq(a, fold_b))
		return *fold_b ? 1 : -1;
	/* they differ: the slow way, word by word */
	words_of_fold(utf8_fold(a), &wa);
	words_of_fold(xstrdup(fold_b), &wb);
	if (!*wa.fold || !*wb.fold)
		r = -1;
	else if (strcmp(wa.key, wb.key) == 0)
		r = 1;
	else if (prenom)
		r = words_lead(&wa, &wb) || words_lead(&wb, &wa);
	else
		r = words_in(&wa, &wb) || words_in(&wb, &wa);
	words_free(&wa);
	words_free(&wb);
	return r;
}

/* natcheck_nom and natcheck_prenom: the record's name folded first. */
static bool name_matches(const char *name, const char *rec, bool prenom)
{
	char *fold = utf8_fold(rec);
	int r = names_match(name, fold, prenom);

	free(fold);
	return r != 0;
}

bool natcheck_nom(const char *nom, const char *rec)
{
	return name_matches(nom, rec, false);
}

bool natcheck_prenom(const char *prenom, const char *rec)
{
	return name_matches(prenom, rec, true);
}

static const char *kind_name(enum nat_id_type t)
{
	return t == NAT_RPPS ? "RPPS" : t == NAT_ADELI ? "ADELI" : "ID";
}

/* The cells a number is checked against: its own column, the names, the profession. */
struct cells {
	int id, nom, prenom, profession;
};
static const struct cells per_cells = { COL_RPPS, COL_NOM, COL_PRENOM, COL_PROFESSION };
static const struct cells org_cells = { COL_ID_RESP, COL_NOM_RESP, COL_PRENOM_RESP,
					COL_PROFESSION_RESP };

/* One finding of rule, with its configured severity (none when off). */
PRINTF(8, 9)
static void emit(const struct natcheck *x, const char *rule, const char *where, int col,
		 const char *value, struct findings *f, struct natcheck_result *res,
		 const char *fmt, ...)
{
	enum severity sev = check_severity(x->ck, rule);
	va_list ap;
	char *msg;

	if (sev == SEV_OFF)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	findings_add(f, sev, where, col, rule, value, "%s", msg ? msg : rule);
	free(msg);
	if (sev == SEV_ERROR)
		res->errors++;
}

/* The row's names against p's (found by number id of column c.id). */
static void check_names(const struct natcheck *x, const struct row *row, const struct cells *c,
			const struct nat_person *p, const char *id, const char *where,
			struct findings *f, struct natcheck_result *res)
{
	const char *nom = row_get(row, (enum col)c->nom), *prenom = row_get(row,
									     (enum col)c->prenom);

	/* the same bytes match without folding the row's; the record's names are folded once,
	 * by nat_find */
	if ((strcmp(nom, p->nom) == 0 || names_match(nom, p->nom_fold, false) != 0) &&
	    (strcmp(prenom, p->prenom) == 0 || names_match(prenom, p->prenom_fold, true) != 0))
		return;
	res->name = true;
	emit(x, "national-name", where, *row_get(row, (enum col)c->id) ? c->id : c->nom, id, f,
	     res, _("%s %s belongs to %s %s in the national directory, not %s %s"),
	     kind_name(p->type), id, p->nom, p->prenom, nom, prenom);
}

/* The row's profession (in the checker's list) against p's professions. */
static void check_profession(const struct natcheck *x, const struct row *row,
			     const struct cells *c, const struct nat_person *p, const char *where,
			     struct findings *f, struct natcheck_result *res)
{
	const char *cell = row_get(row, (enum col)c->profession);
	struct strbuf theirs = { 0 };
	bool same = false;
	char *mine;

	/* the row has the extract's label most of the time: no look-up then */
	for (size_t i = 0; i < p->nprofessions; i++)
		if (strcmp(cell, p->professions[i].profession.label) == 0)
			return;
	/* a value of no list is profession-list's to report */
	mine = *cell ? check_list_value(x->ck, "profession", cell) : NULL;
	for (size_t i = 0; mine && i < p->nprofessions && !same; i++) {
		const struct nat_code *pc = &p->professions[i].profession;
		char *v = *pc->code ? check_list_value(x->ck, "profession", pc->code) : NULL;

		if (!v && *pc->label)
			v = check_list_value(x->ck, "profession", pc->label);
		if (v) {
			same = strcmp(v, mine) == 0;
			sb_addf(&theirs, "%s%s", theirs.len ? ", " : "", v);
		}
		free(v);
	}
	if (mine && !same && theirs.len) {
		res->profession = true;
		emit(x, "national-profession", where, c->profession, cell, f, res,
		     _("%s \"%s\" is not the profession of %s %s in the national directory (%s)"),
		     columns[c->profession].header, cell, kind_name(p->type), p->id, theirs.buf);
	}
	sb_free(&theirs);
	free(mine);
}

/* The number in column col of type t: in the directory, then names and profession. Returns
 * its record, or NULL. */
static const struct nat_person *check_number(const struct natcheck *x, const struct row *row,
					     const struct cells *c, int col, enum nat_id_type t,
					     const struct nat_person *mapped, const char *where,
					     struct findings *f, struct natcheck_result *res)
{
	const char *id = row_get(row, (enum col)col);
	const struct nat_person *p;
	const char *rule = t == NAT_RPPS ? "national-rpps-absent" : "national-adeli-absent";

	if (!*id)
		return NULL;
	res->looked_up = true;
	/* most of the time, the record the mapping found */
	p = mapped && mapped->type == t && strcmp(mapped->id, id) == 0 ? mapped :
	    x->find(x->arg, t, id);
	if (!p || !p->in_extract) {
		res->absent = true;
		if (p)
			emit(x, rule, where, col, id, f, res, _("%s %s is in the MSSanté extract "
				"only, not in the activity extract of the national directory"),
			     kind_name(t), id);
		else
			emit(x, rule, where, col, id, f, res, _("%s %s is not in the national "
				"directory: registered in the last few days (the extract lags "
				"behind the register), or a wrong number"), kind_name(t), id);
		return p;
	}
	check_names(x, row, c, p, id, where, f, res);
	check_profession(x, row, c, p, where, f, res);
	return p;
}

void natcheck_row(const struct natcheck *x, const struct row *row, enum bal_type type,
		  const struct nat_person *mapped, const char *where, struct findings *f,
		  struct natcheck_result *res)
{
	const struct nat_person *p, *q;
	struct cells adeli = per_cells;

	memset(res, 0, sizeof(*res));
	switch (type) {
	case BAL_PER:
		adeli.id = COL_ADELI;
		p = check_number(x, row, &per_cells, COL_RPPS, NAT_RPPS, mapped, where, f, res);
		q = check_number(x, row, &adeli, COL_ADELI, NAT_ADELI, mapped, where, f, res);
		res->rec = p ? p : q;
		break;
	case BAL_ORG:
		res->rec = check_number(x, row, &org_cells, COL_ID_RESP, NAT_RPPS, mapped, where,
					f, res);
		break;
	case BAL_INT:
		/* the row carries no number: the names against the record its cells read */
		res->rec = mapped;
		if (mapped && mapped->in_extract) {
			res->looked_up = true;
			check_names(x, row, &per_cells, mapped, mapped->id, where, f, res);
		}
		break;
	default:
		break;
	}
}
