/*
 * adopt_run.c - the "adopt" and "reconcile" commands: lock and read the state, read
 * Medimail's export, (adopt) read the directory as plan does, compare, report, and with
 * --commit record the result in one transaction. Also the loading of the values kept by hand
 * that plan and apply pass to the collector.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "export.h"
#include "i18n.h"
#include "log.h"
#include "map.h"
#include "adopt_run.h"

/* The export's accounts as the matchers see them (borrowed from ex). */
static struct medimail_account *export_view(const struct export_list *ex,
					    struct medimail_list *mm)
{
	struct medimail_account *v = xcalloc(ex->n ? ex->n : 1, sizeof(*v));

	for (size_t i = 0; i < ex->n; i++)
		v[i] = (struct medimail_account){ &ex->acc[i].row, ex->acc[i].state,
						  ex->acc[i].line };
	*mm = (struct medimail_list){ v, ex->n, 0, ex->has_state };
	for (int c = 0; c < NCOLS; c++)
		if (ex->present[c])
			mm->cols |= 1ULL << c;
	return v;
}

/* The export's path as the state's run records it: absolute when it can be. */
static char *export_file(const char *path)
{
	char *abs = realpath(path, NULL);

	return abs ? abs : xstrdup(path);
}

/* Lock (with --commit) and read the state, rows loaded; then read the export. */
static int open_inputs(struct adopt_session *s, struct state **st)
{
	const struct config *c = s->c;
	char *err = NULL;
	int rc = EXIT_FAIL;

	*st = state_open(c->state_file, !s->o->commit, s->o->commit, &err);
	if (!*st) {
		rc = errno == EWOULDBLOCK ? EXIT_LOCKED : EXIT_FAIL;
		log_err("%s", err ? err : c->state_file);
		goto out;
	}
	if (state_load(*st, &s->prev, &s->nprev, &err) != 0 ||
	    (s->reconcile && state_load_runs(*st, &s->runs, &s->nruns, &err) != 0)) {
		log_err("%s: %s", c->state_file, err ? err : "cannot read the state");
		goto out;
	}
	s->ex = export_read(s->o->export_path, &err);
	if (!s->ex) {
		log_err("%s", err ? err : s->o->export_path);
		goto out;
	}
	s->view = export_view(s->ex, &s->mm);
	rc = EXIT_OK;
out:
	free(err);
	return rc;
}

static bool has_errors(const struct adopt_session *s)
{
	return (s->ex && findings_count(&s->ex->f, SEV_ERROR) > 0) ||
	       findings_count(&s->col.f, SEV_ERROR) > 0;
}

/* Record a batch in the state, in a run of its own: 0, or -1 (logged). A batch that changes
 * no account records no run. */
static int record(struct adopt_session *s, struct state *st, const struct state_batch *b)
{
	struct state_run_info ri = { 0 };
	char *file, *err = NULL;
	long long id;

	if (b->nput == 0 && b->nkept == 0)
		return 0;
	file = export_file(s->o->export_path);
	ri.started = s->started;
	ri.finished = time(NULL);
	ri.command = s->reconcile ? "reconcile" : "adopt";
	ri.files = file;
	id = state_record(st, b, &ri, &err);
	if (id < 0)
		log_err("%s: %s (nothing was recorded)", s->c->state_file,
			err ? err : "cannot record");
	else
		s->run_id = id;
	free(err);
	free(file);
	return id < 0 ? -1 : 0;
}

static int adopt_commit(struct adopt_session *s, struct state *st)
{
	struct state_put *put = xcalloc(s->ar.n ? s->ar.n : 1, sizeof(*put));
	struct state_batch b = { .put = put };
	int rc;

	for (size_t i = 0; i < s->ar.n; i++) {
		const struct adopt_item *it = &s->ar.items[i];

		if (it->outcome != OUT_ADDED && it->outcome != OUT_REPLACED)
			continue;
		put[b.nput++] = (struct state_put){
			.key = it->key,
			.dn = it->d ? it->d->dn : "",
			.type = it->d ? it->d->type :
				bal_type_parse(row_get(it->m->row, COL_TYPE_BAL)),
			.status = it->status,
			.row = &it->rec,
			.action = "adopt",
			.prev = it->prev,
		};
	}
	b.added = s->ar.outcome[OUT_ADDED];
	b.replaced = s->ar.outcome[OUT_REPLACED];
	b.unchanged = s->ar.outcome[OUT_SAME] + s->ar.outcome[OUT_MANAGED];
	rc = record(s, st, &b);
	free(put);
	return rc;
}

static int do_adopt(struct adopt_session *s)
{
	const struct config *c = s->c;
	struct checker *ck = NULL;
	struct mapper *m = NULL;
	struct state *st = NULL;
	struct collect_opts co;
	struct adopt_opts ao = { s->o->accept_renames, s->o->expire_orphans };
	int rc = EXIT_FAIL;

	if (collect_setup(c, &ck, &m) != 0) {
		rc = EXIT_USAGE;
		goto out;
	}
	rc = open_inputs(s, &st);
	if (rc != EXIT_OK)
		goto out;
	rc = EXIT_FAIL;
	co = (struct collect_opts){ .now = s->o->now, .reserve = s->nprev };
	if (collect(c, m, ck, &co, &s->col) != 0)
		goto out;
	/* with a base that gave nobody, every mailbox would look like nobody's */
	if (s->col.empty) {
		log_err("%s: %s", s->col.empty_detail, _("nothing is matched or recorded"));
		rc = EXIT_LIMIT;
		goto out;
	}
	adopt_match(s->col.acc, s->col.nacc, &s->mm, s->o->now, &s->ar);
	adopt_decide(&s->ar, &s->mm, s->prev, s->nprev, &ao);
	s->compared = true;
	if (s->o->commit && adopt_commit(s, st) != 0)
		goto out;
	rc = adopt_needs_admin(&s->ar) || has_errors(s) ? EXIT_REJECTED : EXIT_OK;
out:
	state_close(st);
	map_free(m);
	check_free(ck);
	return rc;
}

static int reconcile_commit(struct adopt_session *s, struct state *st)
{
	static const char *const action[RO_NOUTCOMES] = {
		[RO_REQUEUE] = "requeue", [RO_REPLACE] = "reconcile",
		[RO_KEEP] = "reconcile-keep", [RO_REEXPIRE] = "reexpire",
	};
	struct state_put *put = xcalloc(s->rr.n ? s->rr.n : 1, sizeof(*put));
	struct state_batch b = { .put = put, .kept = s->rr.kept, .nkept = s->rr.nkept };
	int rc;

	for (size_t i = 0; i < s->rr.n; i++) {
		const struct recon_item *it = &s->rr.items[i];

		if (it->outcome == RO_NONE)
			continue;
		put[b.nput++] = (struct state_put){
			.key = it->s->key,
			.dn = it->s->dn,
			.type = it->s->type,
			.status = it->status,
			.row = it->outcome == RO_REQUEUE ? NULL : &it->rec,
			.action = action[it->outcome],
			.prev = it->s,
		};
	}
	b.replaced = b.nput;
	b.unchanged = s->rr.count[RECON_OK];
	rc = record(s, st, &b);
	free(put);
	return rc;
}

static int do_reconcile(struct adopt_session *s)
{
	struct state *st = NULL;
	int rc = open_inputs(s, &st);

	if (rc != EXIT_OK)
		goto out;
	reconcile_compare(s->prev, s->nprev, &s->mm, s->o->now, &s->rr);
	reconcile_decide(&s->rr, s->c->reconcile.keep_hand_edits ? HAND_KEEP : HAND_OVERWRITE);
	s->compared = true;
	rc = EXIT_FAIL;
	if (s->o->commit && reconcile_commit(s, st) != 0)
		goto out;
	rc = reconcile_needs_admin(&s->rr) || has_errors(s) ? EXIT_REJECTED : EXIT_OK;
out:
	state_close(st);
	return rc;
}

static int session_main(const struct config *c, const struct adopt_run_opts *o, bool reconcile)
{
	struct adopt_session s = { 0 };
	struct adopt_run_opts opts = *o;
	char *report;

	if (!opts.now)
		opts.now = time(NULL);
	s.c = c;
	s.o = &opts;
	s.reconcile = reconcile;
	s.started = opts.now;
	s.clock_started = time(NULL);
	s.exit_code = reconcile ? do_reconcile(&s) : do_adopt(&s);
	s.finished = time(NULL);
	report = adopt_report(&s);
	free(report);
	adopt_result_free(&s.ar);
	reconcile_result_free(&s.rr);
	collect_free(&s.col);
	for (size_t i = 0; i < s.nprev; i++)
		state_account_free(&s.prev[i]);
	free(s.prev);
	for (size_t i = 0; i < s.nruns; i++)
		state_run_free(&s.runs[i]);
	free(s.runs);
	free(s.view);
	export_free(s.ex);
	return s.exit_code;
}

int adopt_main(const struct config *c, const struct adopt_run_opts *o)
{
	return session_main(c, o, false);
}

int reconcile_main(const struct config *c, const struct adopt_run_opts *o)
{
	return session_main(c, o, true);
}

int kept_values_load(const struct config *c, struct state *st, struct kept_value **k,
		     size_t *n, char **err)
{
	*k = NULL;
	*n = 0;
	if (!c->reconcile.keep_hand_edits)
		return 0;
	return state_load_kept(st, k, n, err);
}

void kept_values_free(struct kept_value *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kept_value_free(&k[i]);
	free(k);
}
