/*
 * map_person.c - the evaluation of a template against an entry (map_expand) and of a person
 * (map_person): cells, the BAL type rules, the per-type templates, the findings kept and the
 * trace for explain. Pure: no I/O.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "map_int.h"

/* Printable form of invalid UTF-8 for a finding (util.h: sb_add_visible). */
static char *escape_bytes(const char *s, size_t n)
{
	struct strbuf sb = { 0 };

	sb_addn(&sb, "", 0);
	sb_add_visible(&sb, s, n);
	return sb_steal(&sb);
}

/* Trace: every value of an attribute, as  "a", "b"  or  no value. */
static void trace_values(struct strbuf *tr, const struct attr *at)
{
	if (!at || at->nvals == 0)
		sb_add(tr, _(" no value"));
	for (size_t i = 0; at && i < at->nvals; i++) {
		char *esc = escape_bytes(at->vals[i], at->lens[i]);   /* explain shows it */

		if (utf8_valid(at->vals[i], at->lens[i]))
			sb_addf(tr, "%s \"%s\"", i ? "," : "", esc);
		else
			sb_addf(tr, _("%s \"%s\" (not UTF-8)"), i ? "," : "", esc);
		free(esc);
	}
}

/* The first alternative with a non-empty value, or NULL; x->src names it. */
static const char *node_value(const struct node *nd, const struct entry *e,
			      const struct conf_structure *st, struct xctx *x)
{
	x->src = NULL;
	for (size_t i = 0; i < nd->nalts; i++) {
		const struct alt *a = &nd->alts[i];
		const struct attr *at;

		if (a->kind == ALT_NATIONAL) {
			const char *v = map_national_value((unsigned)a->skey, x);

			if (v) {
				x->src = a->name;
				return v;
			}
			continue;
		}

		if (a->kind == ALT_STRUCT) {
			const char *v = st ? *(char *const *)((const char *)st +
							       map_st_keys[a->skey].off) : NULL;

			if (x->tr)
				sb_addf(x->tr, "    %s: %s%s%s\n", a->name, v && *v ? "\"" : "",
					v && *v ? v : _("empty (structure)"), v && *v ? "\"" : "");
			if (v && *v) {
				x->src = a->name;
				return v;
			}
			continue;
		}
		at = e ? entry_attr(e, a->name) : NULL;
		if (x->tr) {
			sb_addf(x->tr, "    %s:", a->name);
			trace_values(x->tr, at);
			sb_addc(x->tr, '\n');
		}
		if (!at || at->nvals == 0 || at->lens[0] == 0)
			continue;
		if (!utf8_valid(at->vals[0], at->lens[0])) {
			char *esc = escape_bytes(at->vals[0], at->lens[0]);

			emit(x, MF_UTF8, esc, _("attribute %s is not valid UTF-8; value dropped"),
			     a->name);
			free(esc);
			continue;
		}
		if (at->lens[0] > MAP_VALUE_MAX) {
			char *head = map_value_head(at->vals[0], at->lens[0]);

			emit(x, MF_LONG, head, _("attribute %s has a value of %zu bytes, longer "
						 "than the %d a template reads; value dropped"),
			     a->name, at->lens[0], MAP_VALUE_MAX);
			free(head);
			continue;
		}
		x->src = a->name;
		return at->vals[0];
	}
	return NULL;
}

/* One step of the trace: a transform and its result, escaped (explain shows it). */
static void trace_step(struct strbuf *tr, const char *label, const char *v)
{
	sb_addf(tr, "    %s -> \"", label);
	sb_add_visible(tr, v, strlen(v));
	sb_add(tr, "\"\n");
}

/* The transforms of node nd applied to v (NULL = empty). */
static char *transform(const struct node *nd, const char *v, const struct xctx *x)
{
	char *cur = map_apply_xform(&nd->xf[0], v ? v : "", x);

	if (x->tr)
		trace_step(x->tr, nd->xf[0].label, cur);
	for (size_t j = 1; j < nd->nxf; j++) {
		char *next = map_apply_xform(&nd->xf[j], cur, x);

		if (x->tr)
			trace_step(x->tr, nd->xf[j].label, next);
		free(cur);
		cur = next;
	}
	return cur;
}

/* The value of an expression's chain, transforms applied (allocated); when it is empty, that
 * of the chain after "||". */
static char *node_eval(const struct node *nd, const struct entry *e,
		       const struct conf_structure *st, struct xctx *x)
{
	const char *v = node_value(nd, e, st, x);
	char *cur = nd->nxf > 0 ? transform(nd, v, x) : xstrdup(v ? v : "");

	if (!*cur && nd->next) {
		if (x->tr)
			sb_add(x->tr, _("    empty: the chain after ||\n"));
		free(cur);
		cur = node_eval(nd->next, e, st, x);
	}
	return cur;
}

static char *expand(const struct map_template *t, const struct entry *e,
		    const struct conf_structure *st, struct xctx *x)
{
	struct strbuf out = { 0 };

	x->sev = t ? t->sev : NULL;
	x->m = t ? t->m : NULL;
	/* most templates are one "{attr|transform...}": no buffer */
	if (t && t->n == 1 && t->nodes[0].nalts > 0 && !x->tr)
		return node_eval(&t->nodes[0], e, st, x);

	sb_addn(&out, "", 0);
	for (size_t i = 0; t && i < t->n; i++) {
		const struct node *nd = &t->nodes[i];
		char *cur;

		if (nd->nalts == 0) {
			sb_add(&out, nd->text);
			continue;
		}
		if (x->tr && t->n > 1)
			sb_addf(x->tr, "  %s\n", nd->text);
		cur = node_eval(nd, e, st, x);
		sb_add(&out, cur);
		free(cur);
	}
	return sb_steal(&out);
}

char *map_expand(const struct map_template *t, const struct entry *e,
		 const struct conf_structure *st, struct findings *f, const char *where, int col,
		 const struct map_extra *x)
{
	struct xctx cx = { .f = f, .where = where, .col = col };
	char *r;

	if (x) {
		cx.stats = x->stats;
		cx.nat = x->national;
		if (x->trace && col >= 0 && col < NCOLS)
			cx.tr = &x->trace->col[col];
	}
	r = expand(t, e, st, &cx);
	free(cx.tmp);
	return r;
}

static bool dn_ends_with(const char *dn, const char *suffix)
{
	size_t n = strlen(dn), k = strlen(suffix);

	if (k > n || strcmp(dn + n - k, suffix) != 0)
		return false;
	return k == n || dn[n - k - 1] == ',';
}

/* The if-match and if-table conditions of mr hold for value v (both when both are set). A
 * value over MAP_VALUE_MAX never does, and is an error of the person (fail closed: the rule
 * might have held); what names where it comes from. */
static bool value_fits(const struct map_rule *mr, const char *v, const char *what,
		       const struct xctx *cx)
{
	bool ok = true;

	if (map_too_long(v)) {
		char *head = map_value_head(v, strlen(v));

		emit(cx, MF_LONG, head, _("bal-rule \"%s\": %s has a value of %zu bytes, longer "
					  "than the %d that if-match and if-table read"),
		     mr->name, what, strlen(v), MAP_VALUE_MAX);
		free(head);
		return false;
	}
	if (mr->match)
		ok = map_rx_match(mr->match, v, 0, NULL, 0);
	if (ok && mr->table) {
		char *folded = utf8_fold(v);

		ok = map_table_find(mr->table, folded) >= 0;
		free(folded);
	}
	return ok;
}

/* " if-match \"/RE/\" if-table \"T\"" for the trace. */
static void trace_patterns(struct strbuf *tr, const struct map_rule *mr)
{
	if (mr->match_text)
		sb_addf(tr, " if-match \"%s\"", mr->match_text);
	if (mr->table)
		sb_addf(tr, " if-table \"%s\"", mr->table->name);
}

static bool cond_column(const struct map_rule *mr, const struct row *row,
			const struct xctx *cx, struct strbuf *tr)
{
	const char *v = row_get(row, (enum col)mr->if_col);
	bool ok = !str_empty(v) &&
		  (!(mr->match || mr->table) || value_fits(mr, v, columns[mr->if_col].key, cx));

	if (tr) {
		sb_addf(tr, "  if-column \"%s\"", columns[mr->if_col].key);
		trace_patterns(tr, mr);
		sb_addf(tr, _(": cell \"%s\" -> %s\n"), v, ok ? _("yes") : _("no"));
	}
	return ok;
}

static bool cond_attr(const struct map_rule *mr, const struct entry *e, const struct xctx *cx,
		      struct strbuf *tr)
{
	const struct attr *a = entry_attr(e, mr->attr);
	bool ok = false;

	for (size_t i = 0; a && i < a->nvals && !ok; i++) {
		if (mr->value)
			ok = strcasecmp(a->vals[i], mr->value) == 0;
		else if (mr->match || mr->table)
			ok = utf8_valid(a->vals[i], a->lens[i]) &&
			     value_fits(mr, a->vals[i], mr->attr, cx);
		else
			ok = true;
	}
	if (tr) {
		sb_addf(tr, "  if-attribute \"%s\"", mr->attr);
		if (mr->value)
			sb_addf(tr, " if-value \"%s\"", mr->value);
		trace_patterns(tr, mr);
		sb_add(tr, ":");
		trace_values(tr, a);
		sb_addf(tr, " -> %s\n", ok ? _("yes") : _("no"));
	}
	return ok;
}

/* Every condition set must hold; *ndn caches the person's normalised DN. With a trace, every
 * condition is evaluated and written down. */
static bool rule_holds(const struct map_rule *mr, const struct entry *e, const struct row *row,
		       map_member_fn member, void *member_arg, char **ndn,
		       const struct xctx *cx, struct strbuf *tr)
{
	bool ok = true, c;

	if (tr)
		sb_addf(tr, "bal-rule \"%s\" (type %s)\n", mr->name, bal_type_name(mr->type));
	if (mr->if_col >= 0) {
		ok = cond_column(mr, row, cx, tr);
		if (!ok && !tr)
			return false;
	}
	if (mr->attr) {
		c = cond_attr(mr, e, cx, tr);
		ok = ok && c;
		if (!ok && !tr)
			return false;
	}
	if (mr->member_of) {
		c = member && e->dn && member(e->dn, mr->member_of, member_arg);
		if (tr)
			sb_addf(tr, "  if-member-of \"%s\" -> %s\n", mr->member_of,
				c ? _("yes") : _("no"));
		ok = ok && c;
		if (!ok && !tr)
			return false;
	}
	if (mr->dn_suffix) {
		if (!*ndn)
			*ndn = dn_normalise(e->dn ? e->dn : "");
		c = dn_ends_with(*ndn, mr->dn_suffix);
		if (tr)
			sb_addf(tr, "  if-dn-suffix \"%s\": DN \"%s\" -> %s\n", mr->dn_suffix, *ndn,
				c ? _("yes") : _("no"));
		ok = ok && c;
	}
	if (tr)
		sb_addf(tr, "  %s\n", ok ? _("holds") : _("does not hold"));
	return ok;
}

static void finding_drop(struct finding *x)
{
	free(x->where);
	free(x->value);
	free(x->message);
}

/* Drop the findings and the unmatched values of column col (its cell is mapped again). */
static void drop_col(struct findings *tmp, struct pending *pend, int col)
{
	size_t k = 0;

	for (size_t i = 0; i < tmp->n; i++) {
		if (tmp->v[i].col == col)
			finding_drop(&tmp->v[i]);
		else
			tmp->v[k++] = tmp->v[i];
	}
	tmp->n = k;
	k = 0;
	for (size_t i = 0; i < pend->n; i++) {
		if (pend->v[i].col == col) {
			free(pend->v[i].value);
			free(pend->v[i].folded);
		} else {
			pend->v[k++] = pend->v[i];
		}
	}
	pend->n = k;
}

bool map_nc(enum bal_type type, int col)
{
	return type != BAL_NONE && col >= 0 && column_req(col, type) == REQ_NC;
}

/* Move the findings of the cells that stay to f, one per rule and value. An identifier of no
 * known shape is kept even on a cell cleared for the type: it is likely why the person got
 * that type (no RPPS, no ADELI: not PER). */
static void keep_findings(struct findings *f, struct findings *tmp, enum bal_type type)
{
	size_t start = f->n;

	for (size_t i = 0; i < tmp->n; i++) {
		struct finding *x = &tmp->v[i];
		bool dup = false;

		for (size_t j = start; j < f->n && x->value && !dup; j++)
			dup = f->v[j].value && strcmp(f->v[j].rule, x->rule) == 0 &&
			      strcmp(f->v[j].value, x->value) == 0;
		if (dup || (map_nc(type, x->col) && strcmp(x->rule, map_mf_rules[MF_IDNAT]) != 0)) {
			finding_drop(x);
			continue;
		}
		xgrow(&f->v, &f->cap, f->n + 1, sizeof(*f->v));
		f->v[f->n++] = *x;
	}
	free(tmp->v);
}

static bool id_col(int col)
{
	return col == COL_RPPS || col == COL_ADELI;
}

/* Expand template t (NULL: empty) into cell col of row. */
static void map_cell(const struct map_template *t, int col, const struct entry *e,
		     const struct conf_structure *st, struct xctx *cx, struct row *row,
		     struct map_trace *trace)
{
	char *v = NULL;

	cx->col = col;
	cx->tr = trace ? &trace->col[col] : NULL;
	if (t)
		v = expand(t, e, st, cx);
	if (v && !*v) {
		free(v);
		v = NULL;
	}
	row_take(row, (enum col)col, v);
}

enum bal_type map_person(const struct mapper *m, const struct entry *e,
			 const struct conf_directory *d, map_member_fn member, void *member_arg,
			 struct row *row, struct findings *f, const struct map_extra *x)
{
	const struct conf_structure *st = d ? d->st : NULL;
	struct map_trace *trace = x ? x->trace : NULL;
	struct findings tmp = { 0 };
	struct pending pend = { 0 };
	struct xctx cx = { .f = &tmp, .where = e->dn, .pend = &pend,
			   .nat = x ? x->national : NULL };
	enum bal_type type = BAL_NONE;
	size_t r;
	char *ndn = NULL;

	/* RPPS and ADELI first: they find the national record the other cells may read */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < NCOLS; i++) {
			if (id_col(i) != (pass == 0))
				continue;
			if (trace && m->cols[i])
				sb_addf(&trace->col[i], _("template (map): %s\n"), m->cols[i]->src);
			else if (trace && i != COL_TYPE_BAL)
				sb_add(&trace->col[i], _("no template (map): empty\n"));
			map_cell(m->cols[i], i, e, st, &cx, row, trace);
		}
		if (pass == 0)
			map_nat_lookup(row, &cx, trace);
	}
	cx.col = COL_TYPE_BAL;
	for (r = 0; r < m->nrules && type == BAL_NONE; r++)
		if (rule_holds(&m->rules[r], e, row, member, member_arg, &ndn, &cx,
			       trace ? &trace->rules : NULL))
			type = m->rules[r].type;
	free(ndn);
	if (trace && type == BAL_NONE)
		sb_add(&trace->rules, _("no bal-rule holds: the entry is rejected\n"));
	else if (trace)
		sb_addf(&trace->rules, _("type %s, from bal-rule \"%s\"\n"), bal_type_name(type),
			m->rules[r - 1].name);
	if (type == BAL_NONE) {
		findings_add(f, m->sev[MF_NO_RULE], e->dn, COL_TYPE_BAL,
			     map_mf_rules[MF_NO_RULE], NULL, _("no bal-rule matched this person "
			     "(add a last rule with no condition)"));
	} else {
		/* the rules have read the map cells; now the type's own templates, RPPS and
		 * ADELI first again */
		for (int pass = 0; pass < 2; pass++) {
			bool ids = false;

			for (int i = 0; i < NCOLS; i++) {
				if (!m->tset[type][i] || id_col(i) != (pass == 0))
					continue;
				drop_col(&tmp, &pend, i);
				if (trace)
					sb_addf(&trace->col[i], _("template (map-type \"%s\", for this "
						"type): %s\n"), bal_type_name(type),
						m->tcols[type][i] ? m->tcols[type][i]->src :
						_("\"\" (empty)"));
				map_cell(m->tcols[type][i], i, e, st, &cx, row, trace);
				ids = true;
			}
			if (ids && pass == 0)
				map_nat_lookup(row, &cx, trace);
		}
		row_set(row, COL_TYPE_BAL, bal_type_name(type));
		for (int i = 0; i < NCOLS; i++)
			if (map_nc(type, i))
				row_take(row, (enum col)i, NULL);
	}
	free(cx.tmp);
	keep_findings(f, &tmp, type);
	map_keep_unmatched(x ? x->stats : NULL, &pend, type, e->dn);
	for (int i = 0; trace && i < NCOLS; i++) {
		if (map_nc(type, i))
			sb_addf(&trace->col[i], _("cell: empty (NC for %s)\n"), bal_type_name(type));
		else if (*row_get(row, (enum col)i))
			sb_addf(&trace->col[i], _("cell: \"%s\"\n"), row_get(row, (enum col)i));
		else
			sb_add(&trace->col[i], _("cell: empty\n"));
	}
	return type;
}

void map_trace_free(struct map_trace *t)
{
	if (!t)
		return;
	for (int i = 0; i < NCOLS; i++)
		sb_free(&t->col[i]);
	sb_free(&t->rules);
	sb_free(&t->national);
}
