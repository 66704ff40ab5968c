/*
 * state_cmd.c - the "state" command: prints what the store (state.c) gives as aligned
 * tables, and asks it to forget an account or roll a run back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state_cmd.h"

/* the "state runs" table shows the last runs, newest first */
#define RUNS_SHOWN 20

/* A table of text cells printed with aligned columns. */
struct table {
	size_t ncols, n, cap;
	char **cells;
};

static void tbl_add(struct table *t, char **cells)
{
	xgrow(&t->cells, &t->cap, t->n + t->ncols, sizeof(*t->cells));
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->n++] = cells[i] ? cells[i] : xstrdup("");
}

static void tbl_print(struct table *t, FILE *out)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));

	for (size_t i = 0; i < t->n; i++) {
		size_t l = utf8_len(t->cells[i]);

		if (l > w[i % t->ncols])
			w[i % t->ncols] = l;
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t c = i % t->ncols;

		fputs(t->cells[i], out);
		if (c + 1 == t->ncols) {
			fputc('\n', out);
			continue;
		}
		for (size_t k = utf8_len(t->cells[i]); k < w[c] + 2; k++)
			fputc(' ', out);
	}
	free(w);
}

static void tbl_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->n = t->cap = 0;
}

static char *fmt_time(long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];

	if (!t || !localtime_r(&tt, &tm))
		return xstrdup("-");
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	return xstrdup(buf);
}

static int cmd_list(struct state *s, FILE *out, char **err)
{
	struct table t = { .ncols = 5 };
	struct state_entry *e = NULL;
	size_t n = 0;

	if (state_list(s, &e, &n, err))
		return -1;
	tbl_add(&t, (char *[]){ xstrdup("KEY"), xstrdup("TYPE"), xstrdup("STATUS"),
				xstrdup("MAIL"), xstrdup("LAST RUN") });
	for (size_t i = 0; i < n; i++) {
		tbl_add(&t, (char *[]){ e[i].key, e[i].type, e[i].status, e[i].mail, e[i].run });
		e[i] = (struct state_entry){ 0 };   /* the table owns the cells now */
	}
	tbl_print(&t, out);
	fprintf(out, "%zu account(s)\n", n);
	tbl_free(&t);
	free(e);
	return 0;
}

static int cmd_history(struct state *s, const char *key, FILE *out, char **err)
{
	struct table t = { .ncols = 7 };
	struct state_event *e = NULL;
	size_t n = 0;

	if (state_history(s, key, &e, &n, err))
		return -1;
	if (n == 0) {
		*err = xasprintf("no history for account %s", key);
		return -1;
	}
	tbl_add(&t, (char *[]){ xstrdup("RUN"), xstrdup("STARTED"), xstrdup("ACTION"),
				xstrdup("REASON"), xstrdup("STATUS"), xstrdup("MAIL"),
				xstrdup("NOTE") });
	for (size_t i = 0; i < n; i++) {
		tbl_add(&t, (char *[]){ e[i].run, fmt_time(e[i].started), e[i].action,
					e[i].reason, e[i].status, e[i].mail,
					xstrdup(e[i].rolled_back ? "rolled back" : "") });
		e[i] = (struct state_event){ 0 };   /* the table owns the cells now */
	}
	fprintf(out, "history of %s\n", key);
	tbl_print(&t, out);
	tbl_free(&t);
	free(e);
	return 0;
}

static int cmd_runs(struct state *s, FILE *out, char **err)
{
	static const char *const head[] = {
		"ID", "STARTED", "COMMAND", "CREATE", "UPDATE", "UNCHANGED", "EXPIRE",
		"REACTIVATE", "RENAME", "REJECTED", "ROLLED BACK", "FILES"
	};
	struct table t = { .ncols = ARRAY_SIZE(head) };
	char *cells[ARRAY_SIZE(head)];
	struct state_run *r = NULL;
	size_t n = 0;

	if (state_load_runs(s, &r, &n, err))
		return -1;
	for (size_t i = 0; i < t.ncols; i++)
		cells[i] = xstrdup(head[i]);
	tbl_add(&t, cells);
	for (size_t i = n; i > 0 && i + RUNS_SHOWN > n; i--) {
		const struct state_run *run = &r[i - 1];

		cells[0] = xasprintf("%lld", run->id);
		cells[1] = fmt_time(run->started);
		cells[2] = xstrdup(run->command);
		for (size_t k = 0; k < ARRAY_SIZE(run->count); k++)
			cells[3 + k] = xasprintf("%zu", run->count[k]);
		cells[10] = xstrdup(run->rolled_back ? "yes" : "no");
		cells[11] = xstrdup(run->files);
		tbl_add(&t, cells);
	}
	tbl_print(&t, out);
	tbl_free(&t);
	for (size_t i = 0; i < n; i++)
		state_run_free(&r[i]);
	free(r);
	return 0;
}

static int cmd_forget(struct state *s, const char *key, FILE *out, char **err)
{
	if (state_forget(s, key, err))
		return -1;
	fprintf(out, "forgot %s: the next apply creates it again\n", key);
	return 0;
}

static int cmd_rollback(struct state *s, FILE *out, char **err)
{
	struct state_rollback res;

	if (state_rollback(s, &res, err))
		return -1;
	fprintf(out, "rolled back run %lld: %zu account(s) restored, %zu removed; "
		"the next apply writes these changes again\n", res.run_id, res.restored,
		res.removed);
	return 0;
}

int state_cmd(struct state *s, int argc, char **argv, FILE *out, char **err)
{
	const char *cmd = argc > 0 ? argv[0] : "";
	bool with_key = strcmp(cmd, "history") == 0 || strcmp(cmd, "forget") == 0;
	bool writes = strcmp(cmd, "forget") == 0 || strcmp(cmd, "rollback") == 0;
	bool known = with_key || writes || strcmp(cmd, "list") == 0 || strcmp(cmd, "runs") == 0;
	int rc = -2;

	*err = NULL;
	if (!known || argc != (with_key ? 2 : 1)) {
		*err = xstrdup("usage: state list | history KEY | runs | forget KEY | rollback");
		goto out;
	}
	rc = -1;
	if (writes && state_readonly(s)) {
		*err = xasprintf("state %s: opened read-only", state_path(s));
	} else if (!state_exists(s)) {
		fprintf(out, "no state yet (%s does not exist)\n", state_path(s));
		rc = 0;
	} else if (strcmp(cmd, "list") == 0) {
		rc = cmd_list(s, out, err);
	} else if (strcmp(cmd, "runs") == 0) {
		rc = cmd_runs(s, out, err);
	} else if (strcmp(cmd, "history") == 0) {
		rc = cmd_history(s, argv[1], out, err);
	} else if (strcmp(cmd, "forget") == 0) {
		rc = cmd_forget(s, argv[1], out, err);
	} else {
		rc = cmd_rollback(s, out, err);
	}
out:
	return rc;
}
