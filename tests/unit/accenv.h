/*
 * accenv.h - for test_account.c and test_orgrows.c: a configuration loaded by conf.c from a
 * file written into a private directory (one structure, one directory section read from an
 * LDIF file that is never opened, the default bal-rules), its checker and mapper, and the
 * account_env built on them, as collect.c builds it. Header-only; include it after cmocka.h.
 */
#ifndef MS_TEST_ACCENV_H
#define MS_TEST_ACCENV_H

#include "account.h"
#include "tmpdir.h"

/* The configuration every test shares; extra (may be "") is appended to it. The structure
 * gives CP 34000 (Département 34, Région Occitanie by derivation), FINESS 340780477. */
#define ACCENV_CONF \
	"state-file = \"%1$s/state.db\"\n" \
	"output {\n directory = \"%1$s\"\n}\n" \
	"structure \"chu\" {\n" \
	" raison-sociale = \"CHU d'Exemple\"\n" \
	" adresse-1 = \"1 avenue de l'Hopital\"\n" \
	" cp = \"34000\"\n" \
	" ville = \"Montpellier\"\n" \
	" id-type = \"FINESS\"\n" \
	" id = \"340780477\"\n" \
	"}\n" \
	"directory \"annuaire\" {\n" \
	" flavor = openldap\n" \
	" ldif = \"%1$s/none.ldif\"\n" \
	" base = { \"ou=people,dc=x\" }\n" \
	" group-base = { \"ou=groups,dc=x\" }\n" \
	" group-filter = \"(objectClass=medimailOrgMailbox)\"\n" \
	" disabled-filter = \"(flags:1.2.840.113556.1.4.803:=2)\"\n" \
	" end-date-attribute = \"shadowExpire\"\n" \
	" structure = \"chu\"\n" \
	"}\n" \
	"map {\n" \
	" rpps = \"{rpps|digits}\"\n" \
	" profession = \"{profession}\"\n" \
	"}\n" \
	"%2$s\n"

struct accenv {
	char dir[256];
	struct config *c;
	struct checker *ck;
	struct mapper *m;
	struct account_env env;
	struct findings f;
};

/* Load the configuration (with extra) and build the environment at time now. */
static inline void accenv_open(struct accenv *t, const char *extra, long long now)
{
	char *path, *text, *err = NULL;
	FILE *fp;

	memset(t, 0, sizeof(*t));
	assert_int_equal(tmpdir_make(t->dir, sizeof(t->dir), "ms-accenv"), 0);
	path = xasprintf("%s/test.conf", t->dir);
	text = xasprintf(ACCENV_CONF, t->dir, extra);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	t->c = conf_load(path);
	assert_non_null(t->c);
	t->ck = check_new(t->c, &err);
	assert_non_null(t->ck);
	t->m = map_new(t->c, &err);
	assert_non_null(t->m);
	assert_null(err);
	t->env = (struct account_env){ t->c, t->ck, t->m, now, org_index_new(), NULL, NULL };
	free(text);
	free(path);
}

static inline void accenv_close(struct accenv *t)
{
	findings_free(&t->f);
	org_index_free(t->env.idx);
	map_free(t->m);
	check_free(t->ck);
	conf_free(t->c);
	assert_int_equal(tmpdir_remove(t->dir), 0);
}

/* An entry: dn, then name/value pairs, NULL-terminated. */
static inline void accenv_entry(struct entry *e, const char *dn, ...)
{
	va_list ap;
	const char *name;

	memset(e, 0, sizeof(*e));
	e->dn = xstrdup(dn);
	va_start(ap, dn);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		entry_add_value(e, name, v, strlen(v));
	}
	va_end(ap);
}

/* The number of findings of rule in f, and the first one (or NULL) in *first. */
static inline size_t accenv_count(const struct findings *f, const char *rule,
				  const struct finding **first)
{
	size_t n = 0;

	if (first)
		*first = NULL;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].rule && strcmp(f->v[i].rule, rule) == 0) {
			if (n++ == 0 && first)
				*first = &f->v[i];
		}
	return n;
}

#endif
