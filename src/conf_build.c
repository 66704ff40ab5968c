/*
 * conf_build.c - the configuration parsed by libconfuse converted to the plain structs of
 * conf.h: flavor defaults, default templates and rules, value tables (with their TSV files),
 * the checks that need the whole file; and conf_free (conf_int.h).
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <confuse.h>

#include "conf.h"
#include "conf_int.h"

/* The templates of org, in the order of conf_org.line[] (enum map_org_field). */
static const char *const org_templates[8] = {
	"adresse-mail", "nom", "prenom", "description", "responsible-nom", "responsible-prenom",
	"responsible-profession", "responsible-rpps"
};

/* Defaults that depend on the directory's flavor (DESIGN.md). */
static const struct flavor_defaults {
	const char *id_attribute, *people_filter, *disabled_filter, *disabled_attribute;
	const char *end_date_attribute, *owner_attribute, *uid_attribute;
	const char *member_attributes[4];
} flavor_defaults[] = {
	[FLAVOR_OPENLDAP] = {
		"entryUUID", "(objectClass=inetOrgPerson)", NULL, "pwdAccountLockedTime",
		"shadowExpire", "owner", "uid", { "member", "uniqueMember", "memberUid", NULL }
	},
	[FLAVOR_AD] = {
		"objectGUID", "(&(objectCategory=person)(objectClass=user))",
		"(userAccountControl:1.2.840.113556.1.4.803:=2)", NULL,
		"accountExpires", "managedBy", "sAMAccountName", { "member", NULL }
	},
};

/* Templates of the columns the map section leaves unset. */
static const struct map_default {
	enum col col;
	const char *openldap, *ad;
} map_defaults[] = {
	{ COL_MAIL,           "{mail|trim|lower}",       NULL },
	{ COL_NOM,            "{sn|trim|upper}",         NULL },
	{ COL_PRENOM,         "{givenName|trim}",        NULL },
	{ COL_RAISON_SOCIALE, "{$raison-sociale}",       NULL },
	{ COL_ADRESSE1,       "{street/$adresse-1|trim}", "{streetAddress/$adresse-1|trim}" },
	{ COL_ADRESSE2,       "{$adresse-2}",            NULL },
	{ COL_CP,             "{postalCode/$cp|digits}", NULL },
	{ COL_VILLE,          "{l/$ville|trim|upper}",   NULL },
	{ COL_DEPARTEMENT,    "{$departement}",          NULL },
	{ COL_REGION,         "{$region}",               NULL },
	{ COL_TEL1,           "{telephoneNumber|phone}", NULL },
	{ COL_LIBERAL,        "NON",                     NULL },
	{ COL_TYPE_ID_STRUCT, "{$id-type}",              NULL },
	{ COL_ID_STRUCT,      "{$id}",                   NULL },
	{ COL_STRUCTURE,      "{$structure-name}",       NULL },
};

/* NULL for NULL or "" (an empty option means "not used"), else a copy. */
static char *dup_opt(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static char *dup_or(cfg_t *sec, const char *name, const char *dflt)
{
	return dup_opt(cfg_size(sec, name) > 0 ? cfg_getstr(sec, name) : dflt);
}

static char **dup_list(cfg_t *sec, const char *name, size_t *n)
{
	unsigned int size = cfg_size(sec, name);
	char **v = xcalloc(size + 1, sizeof(*v));

	for (unsigned int i = 0; i < size; i++)
		v[i] = xstrdup(cfg_getnstr(sec, name, i));
	*n = size;
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* The section's values; the index defaults to national.idx next to the state file. */
static void get_national(cfg_t *cfg, struct config *c)
{
	cfg_t *n;
	struct conf_national *nd;
	char *dir;

	if (cfg_size(cfg, "national-directory") == 0)
		return;
	n = cfg_getsec(cfg, "national-directory");
	nd = xcalloc(1, sizeof(*nd));
	nd->extract = dup_opt(cfg_getstr(n, "extract"));
	nd->mssante_extract = dup_opt(cfg_getstr(n, "mssante-extract"));
	nd->index = dup_opt(cfg_getstr(n, "index"));
	if (!nd->index) {
		dir = xstrdup(c->state_file);
		nd->index = xasprintf("%s/national.idx", dirname(dir));
		free(dir);
	}
	nd->max_age = (int)cfg_getint(n, "max-age");
	nd->mssante_domains = dup_list(n, "mssante-domains", &nd->nmssante_domains);
	for (size_t i = 0; i < nd->nmssante_domains; i++) {
		char *low = utf8_lower(nd->mssante_domains[i]);

		free(nd->mssante_domains[i]);
		nd->mssante_domains[i] = low;
	}
	c->national = nd;
}

static void free_national(struct conf_national *nd)
{
	if (!nd)
		return;
	free(nd->extract);
	free(nd->mssante_extract);
	free(nd->index);
	free_list(nd->mssante_domains, nd->nmssante_domains);
	free(nd);
}

static void get_structure(cfg_t *s, struct conf_structure *st)
{
	int t = conf_choice_index("id-type", cfg_getstr(s, "id-type"));

	st->name = xstrdup(cfg_title(s));
	st->raison_sociale = dup_opt(cfg_getstr(s, "raison-sociale"));
	st->adresse1 = dup_opt(cfg_getstr(s, "adresse-1"));
	st->adresse2 = dup_opt(cfg_getstr(s, "adresse-2"));
	st->cp = dup_opt(cfg_getstr(s, "cp"));
	st->ville = dup_opt(cfg_getstr(s, "ville"));
	st->departement = dup_opt(cfg_getstr(s, "departement"));
	st->region = dup_opt(cfg_getstr(s, "region"));
	st->id_type = xstrdup(conf_choice_value("id-type", t));
	st->id = dup_opt(cfg_getstr(s, "id"));
	st->structure = dup_opt(cfg_getstr(s, "structure-name"));
}

static void get_directory(cfg_t *s, struct conf_directory *d)
{
	const struct flavor_defaults *fd;
	int v;

	d->name = xstrdup(cfg_title(s));
	v = conf_choice_index("flavor", cfg_getstr(s, "flavor"));
	d->flavor = v == FLAVOR_AD ? FLAVOR_AD : FLAVOR_OPENLDAP;
	fd = &flavor_defaults[d->flavor];
	d->uri = dup_opt(cfg_getstr(s, "uri"));
	d->ldif = dup_opt(cfg_getstr(s, "ldif"));
	d->starttls = cfg_getbool(s, "starttls");
	d->ca_file = dup_opt(cfg_getstr(s, "ca-file"));
	v = conf_choice_index("tls-reqcert", cfg_getstr(s, "tls-reqcert"));
	d->tls_reqcert = v < 0 ? TLS_DEMAND : (enum tls_reqcert)v;
	d->bind_dn = dup_opt(cfg_getstr(s, "bind-dn"));
	d->bind_password_file = dup_opt(cfg_getstr(s, "bind-password-file"));
	v = conf_choice_index("sasl-mech", cfg_getstr(s, "sasl-mech"));
	d->sasl_mech = v < 0 ? NULL : xstrdup(conf_choice_value("sasl-mech", v));
	d->sasl_authzid = dup_opt(cfg_getstr(s, "sasl-authzid"));
	d->sasl_secprops = dup_opt(cfg_getstr(s, "sasl-secprops"));
	d->krb5_keytab = dup_opt(cfg_getstr(s, "krb5-keytab"));
	d->krb5_ccache = dup_opt(cfg_getstr(s, "krb5-ccache"));
	d->bases = dup_list(s, "base", &d->nbases);
	d->people_filter = dup_or(s, "people-filter", fd->people_filter);
	if (cfg_size(s, "group-base") > 0)
		d->group_bases = dup_list(s, "group-base", &d->ngroup_bases);
	else
		d->group_bases = dup_list(s, "base", &d->ngroup_bases);
	d->group_filter = dup_opt(cfg_getstr(s, "group-filter"));
	d->group_dns = dup_list(s, "group-dn", &d->ngroup_dns);
	d->id_attribute = dup_or(s, "id-attribute", fd->id_attribute);
	d->disabled_filter = dup_or(s, "disabled-filter", fd->disabled_filter);
	d->disabled_attribute = dup_or(s, "disabled-attribute", fd->disabled_attribute);
	d->end_date_attribute = dup_or(s, "end-date-attribute", fd->end_date_attribute);
	/* the form follows the attribute unless set: AD ticks, shadow days, else any form */
	v = conf_choice_index("end-date-format", cfg_getstr(s, "end-date-format"));
	if (cfg_size(s, "end-date-format") > 0)
		d->end_date_format = v < 0 ? DATE_FORM_AUTO : (enum date_form)v;
	else if (d->end_date_attribute && strcasecmp(d->end_date_attribute, "accountExpires") == 0)
		d->end_date_format = DATE_FORM_AD;
	else if (d->end_date_attribute && strcasecmp(d->end_date_attribute, "shadowExpire") == 0)
		d->end_date_format = DATE_FORM_DAYS;
	else
		d->end_date_format = DATE_FORM_AUTO;
	d->owner_attribute = dup_or(s, "owner-attribute", fd->owner_attribute);
	if (cfg_size(s, "member-attribute") > 0) {
		d->member_attributes = dup_list(s, "member-attribute", &d->nmember_attributes);
	} else {
		size_t n = 0;

		while (fd->member_attributes[n])
			n++;
		d->member_attributes = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			d->member_attributes[i] = xstrdup(fd->member_attributes[i]);
		d->nmember_attributes = n;
	}
	d->uid_attribute = dup_or(s, "uid-attribute", fd->uid_attribute);
	d->page_size = cfg_size(s, "page-size") > 0 ? (int)cfg_getint(s, "page-size") : 500;
	d->range_size = (int)cfg_getint(s, "range-size");
	d->network_timeout = (int)cfg_getint(s, "network-timeout");
	d->timeout = (int)cfg_getint(s, "timeout");
	d->structure = dup_opt(cfg_getstr(s, "structure"));
}

/* Resolve each directory's structure; the only structure is the default. */
static void resolve_structures(cfg_t *cfg, struct config *c)
{
	for (size_t i = 0; i < c->ndirectories; i++) {
		struct conf_directory *d = &c->directories[i];
		cfg_t *s = cfg_getnsec(cfg, "directory", (unsigned int)i);
		char *what = xasprintf("directory \"%s\"", d->name);

		if (!d->structure && c->nstructures == 1)
			d->structure = xstrdup(c->structures[0].name);
		if (!d->structure && c->nstructures > 1)
			conf_err_at(s->line, what, false,
				    "structure: required when there are several structure sections");
		for (size_t j = 0; d->structure && j < c->nstructures; j++)
			if (strcmp(c->structures[j].name, d->structure) == 0)
				d->st = &c->structures[j];
		if (d->structure && !d->st)
			conf_err_at(conf_line_of(s, "structure"), "structure", false,
				    "no structure section \"%s\"", d->structure);
		free(what);
	}
}

static void get_map(cfg_t *cfg, struct config *c)
{
	cfg_t *m = cfg_getsec(cfg, "map");
	enum flavor fl = c->ndirectories > 0 ? c->directories[0].flavor : FLAVOR_OPENLDAP;

	for (int i = 0; i < NCOLS; i++) {
		if (i != COL_TYPE_BAL && cfg_size(m, columns[i].key) > 0)
			c->map[i] = dup_opt(cfg_getstr(m, columns[i].key));
		c->map_line[i] = conf_line_of(m, columns[i].key);
	}
	for (size_t i = 0; i < ARRAY_SIZE(map_defaults); i++) {
		const struct map_default *md = &map_defaults[i];

		if (cfg_size(m, columns[md->col].key) > 0)
			continue;
		c->map[md->col] = xstrdup(fl == FLAVOR_AD && md->ad ? md->ad : md->openldap);
	}
}

/* map-type "T" sections: the columns they set, "" included (empty for that type). */
static void get_type_maps(cfg_t *cfg, struct config *c)
{
	static const enum bal_type types[] = { BAL_PER, BAL_INT, BAL_MED };  /* choices "type" */
	bool seen[BAL_NTYPES] = { false };

	for (unsigned int i = 0; i < cfg_size(cfg, "map-type"); i++) {
		cfg_t *s = cfg_getnsec(cfg, "map-type", i);
		int k = conf_choice_index("type", cfg_title(s));
		enum bal_type t;

		if (k < 0)
			continue;       /* v_map_type said why */
		t = types[k];
		if (seen[t])
			conf_err_at(s->line, "map-type", false, "\"%s\": another map-type section "
				    "is for %s", cfg_title(s), bal_type_name(t));
		seen[t] = true;
		for (int col = 0; col < NCOLS; col++) {
			const char *v;

			if (col == COL_TYPE_BAL || cfg_size(s, columns[col].key) == 0)
				continue;
			v = cfg_getstr(s, columns[col].key);
			free(c->type_map[t][col]);
			c->type_map[t][col] = xstrdup(v ? v : "");
			c->type_map_line[t][col] = conf_line_of(s, columns[col].key);
		}
	}
}

static void add_rule(struct config *c, const char *name, enum bal_type t, const char *if_column)
{
	struct conf_bal_rule *r;

	c->rules = xrealloc(c->rules, (c->nrules + 1) * sizeof(*c->rules));
	r = &c->rules[c->nrules++];
	memset(r, 0, sizeof(*r));
	r->name = xstrdup(name);
	r->type = t;
	r->if_column = dup_opt(if_column);
}

static void get_rules(cfg_t *cfg, struct config *c)
{
	unsigned int n = cfg_size(cfg, "bal-rule");

	for (unsigned int i = 0; i < n; i++) {
		cfg_t *s = cfg_getnsec(cfg, "bal-rule", i);
		struct conf_bal_rule *r;
		int t = conf_choice_index("type", cfg_getstr(s, "type"));
		const char *col;

		/* choices "type" are PER INT MED, in that order */
		/* an unknown if-column was reported by v_column_key: not copied */
		col = cfg_getstr(s, "if-column");
		add_rule(c, cfg_title(s), t == 1 ? BAL_INT : t == 2 ? BAL_MED : BAL_PER,
			 col && column_by_key(col) >= 0 ? col : NULL);
		r = &c->rules[c->nrules - 1];
		r->if_attribute = dup_opt(cfg_getstr(s, "if-attribute"));
		r->if_value = dup_opt(cfg_getstr(s, "if-value"));
		r->if_match = dup_opt(cfg_getstr(s, "if-match"));
		r->if_table = dup_opt(cfg_getstr(s, "if-table"));
		r->line_match = conf_line_of(s, "if-match");
		r->line_table = conf_line_of(s, "if-table");
		r->if_member_of = dup_opt(cfg_getstr(s, "if-member-of"));
		r->if_dn_suffix = dup_opt(cfg_getstr(s, "if-dn-suffix"));
	}
	if (n > 0)
		return;
	add_rule(c, "per-rpps", BAL_PER, "rpps");
	add_rule(c, "per-adeli", BAL_PER, "adeli");
	add_rule(c, "med", BAL_MED, NULL);
}

static void get_org(cfg_t *cfg, struct config *c)
{
	cfg_t *o = cfg_getsec(cfg, "org");
	struct conf_org *org = &c->org;

	org->mail = dup_opt(cfg_getstr(o, "adresse-mail"));
	org->nom = dup_opt(cfg_getstr(o, "nom"));
	org->prenom = dup_opt(cfg_getstr(o, "prenom"));
	org->description = dup_opt(cfg_getstr(o, "description"));
	org->default_owner = dup_opt(cfg_getstr(o, "default-owner"));
	/* the responsible is a person: by default, mapped like the people */
	org->responsible_nom = dup_or(o, "responsible-nom", c->map[COL_NOM]);
	org->responsible_prenom = dup_or(o, "responsible-prenom", c->map[COL_PRENOM]);
	org->responsible_profession = dup_or(o, "responsible-profession",
					     c->map[COL_PROFESSION]);
	org->responsible_rpps = dup_or(o, "responsible-rpps", c->map[COL_RPPS]);
	for (size_t i = 0; i < ARRAY_SIZE(org_templates); i++)
		org->line[i] = conf_line_of(o, org_templates[i]);
}

/* "KEY => VALUE": split at the first "=>" that is not inside a /.../ key. */
static bool split_entry(const char *s, char **key, char **value)
{
	const char *p = s + strspn(s, " \t"), *from = p, *arrow;
	char *raw;

	if (*p == '/') {
		size_t i = 1;

		for (; p[i] && p[i] != '/'; i++)
			if (p[i] == '\\' && p[i + 1])
				i++;
		if (p[i] == '/')
			from = p + i + 1;
	}
	arrow = strstr(from, "=>");
	if (!arrow)
		return false;
	raw = xstrndup(s, (size_t)(arrow - s));
	*key = str_trim(raw);
	*value = str_trim(arrow + 2);
	free(raw);
	return true;
}

/* A table's pairs: checked, then added with the place they come from. dups maps the folded
 * plain keys to their index + 1, for the warning about a key written twice. */
struct table_load {
	struct conf_table *t;
	struct hmap *dups;
	const char *what;        /* "table \"NAME\"" */
};

static void table_add(struct table_load *tl, char *key, char *value, const char *file,
		      int line)
{
	struct conf_table *t = tl->t;
	size_t len = strlen(key);
	struct conf_table_entry *e;

	if (len == 0) {
		conf_msg(file, line, tl->what, false, "empty key");
		goto fail;
	}
	if (key[0] == '/' && (len < 2 || key[len - 1] != '/')) {
		conf_msg(file, line, tl->what, false, "key \"%s\": a regular expression key is "
			 "written /RE/, without flags (values are compared folded: lower case, no "
			 "accents)", key);
		goto fail;
	}
	if (key[0] != '/') {
		char *folded = utf8_fold(key);
		uintptr_t prev = (uintptr_t)hmap_add(tl->dups, folded,
						     (void *)(uintptr_t)(t->nentries + 1));

		if (prev)
			conf_msg(file, line, tl->what, true, "key \"%s\" is already at %s:%d; the "
				 "first one wins", key, t->entries[prev - 1].file,
				 t->entries[prev - 1].line);
		free(folded);
	}
	t->entries = xrealloc(t->entries, (t->nentries + 1) * sizeof(*t->entries));
	e = &t->entries[t->nentries++];
	*e = (struct conf_table_entry){ key, value, file, line };
	return;
fail:
	free(key);
	free(value);
}

/* The TSV file of a table: KEY<TAB>VALUE lines, UTF-8, # comments and empty lines. */
static void table_read_file(struct table_load *tl, int opt_line)
{
	const char *path = tl->t->file;
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int line = 0;

	if (!f) {
		conf_err_at(opt_line, "file", false, "%s: cannot read: %s", path, strerror(errno));
		return;
	}
	while ((n = getline(&buf, &cap, f)) > 0) {
		char *p = buf, *tab;
		size_t len = (size_t)n;

		line++;
		if (memchr(buf, '\0', len)) {
			conf_msg(path, line, tl->what, false, "NUL byte (not a text file)");
			continue;
		}
		while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
			p[--len] = '\0';
		if (line == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;         /* the byte order mark some editors write */
		if (!utf8_valid(p, strlen(p))) {
			conf_msg(path, line, tl->what, false, "not valid UTF-8 (save the file as "
				 "UTF-8)");
			continue;
		}
		if (str_empty(p) || p[strspn(p, " \t")] == '#')
			continue;
		tab = strchr(p, '\t');
		if (!tab) {
			conf_msg(path, line, tl->what, false, "no tab between key and value");
			continue;
		}
		*tab = '\0';
		table_add(tl, str_trim(p), str_trim(tab + 1), path, line);
	}
	if (ferror(f))
		conf_err_at(opt_line, "file", false, "%s: cannot read: %s", path, strerror(errno));
	free(buf);
	fclose(f);
}

/* A path relative to the directory of the configuration file. */
static char *conf_relative(const char *path)
{
	const char *slash = strrchr(conf_ctx->path, '/');

	if (path[0] == '/' || !slash)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - conf_ctx->path), conf_ctx->path, path);
}

static void get_tables(cfg_t *cfg, struct config *c)
{
	c->ntables = cfg_size(cfg, "table");
	c->tables = xcalloc(c->ntables, sizeof(*c->tables));
	for (size_t i = 0; i < c->ntables; i++) {
		cfg_t *s = cfg_getnsec(cfg, "table", (unsigned int)i);
		struct conf_table *t = &c->tables[i];
		const char *file = cfg_getstr(s, "file");
		struct table_load tl = { t, hmap_new(false), NULL };
		char *what = xasprintf("table \"%s\"", cfg_title(s));
		unsigned int n = cfg_size(s, "entry");

		tl.what = what;
		t->name = xstrdup(cfg_title(s));
		if (cfg_size(s, "default") > 0)
			t->dflt = xstrdup(cfg_getstr(s, "default") ? cfg_getstr(s, "default") : "");
		t->line = n > 0 ? conf_value_line(s, 0) : conf_line_of(s, "file");
		if (t->line <= 0)
			t->line = s->line;
		for (unsigned int k = 0; k < n; k++) {
			const char *v = cfg_getnstr(s, "entry", k);
			int line = conf_value_line(s, k);
			char *key, *value;

			if (!split_entry(v, &key, &value)) {
				conf_err_at(line, what, false, "entry \"%s\": no => between key "
					    "and value (\"KEY => VALUE\")", v);
				continue;
			}
			table_add(&tl, key, value, c->path, line);
		}
		if (file && *file) {
			t->file = conf_relative(file);
			table_read_file(&tl, conf_line_of(s, "file"));
		}
		if (t->nentries == 0)
			conf_err_at(t->line, what, true, "no key (no entry, no line in a file): "
				    "every value is unmatched");
		hmap_free(tl.dups);
		free(what);
	}
}

static void get_output(cfg_t *cfg, struct config *c)
{
	cfg_t *o = cfg_getsec(cfg, "output");
	struct conf_output *out = &c->output;
	int v;

	out->directory = xstrdup(cfg_getstr(o, "directory"));
	out->directory_line = conf_line_of(o, "directory");
	out->format = conf_choice_index("format", cfg_getstr(o, "format")) == 1 ? OUT_CSV :
		      OUT_XLSX;
	out->csv_separator = xstrdup(cfg_getstr(o, "csv-separator"));
	v = conf_choice_index("csv-encoding", cfg_getstr(o, "csv-encoding"));
	out->csv_encoding = xstrdup(conf_choice_value("csv-encoding", v));
	out->csv_bom = cfg_getbool(o, "csv-bom");
	out->csv_transliterate = cfg_getbool(o, "csv-transliterate");
	v = conf_choice_index("value-form", cfg_getstr(o, "value-form"));
	out->value_form = v < 0 ? FORM_LABEL : (enum value_form)v;
	out->keep = (int)cfg_getint(o, "keep");
	out->post_command = dup_opt(cfg_getstr(o, "post-command"));
}

static void get_limits(cfg_t *cfg, struct config *c)
{
	cfg_t *l = cfg_getsec(cfg, "limits");

	c->limits.max_expire_count = (int)cfg_getint(l, "max-expire-count");
	c->limits.max_expire_percent = cfg_getfloat(l, "max-expire-percent");
	c->limits.max_org_loss_percent = cfg_getfloat(l, "max-org-loss-percent");
	c->limits.grace_days = (int)cfg_getint(l, "grace-days");
}

static void get_reconcile(cfg_t *cfg, struct config *c)
{
	cfg_t *r = cfg_getsec(cfg, "reconcile");

	c->reconcile.keep_hand_edits = conf_choice_index("hand-edits",
						    cfg_getstr(r, "hand-edits")) == 1;
}

static void get_severity_lists(cfg_t *cfg, struct config *c)
{
	unsigned int n = cfg_size(cfg, "severity"), nl = cfg_size(cfg, "list");

	c->sev_rule = xcalloc(n + 1, sizeof(*c->sev_rule));
	c->sev_value = xcalloc(n + 1, sizeof(*c->sev_value));
	for (unsigned int i = 0; i < n; i++) {
		const char *v = cfg_getnstr(cfg, "severity", i);
		const char *colon = strrchr(v, ':');

		if (!colon)
			colon = v + strlen(v);
		c->sev_rule[i] = xstrndup(v, (size_t)(colon - v));
		c->sev_value[i] = strcmp(colon, ":error") == 0 ? SEV_ERROR :
				  strcmp(colon, ":warning") == 0 ? SEV_WARNING : SEV_OFF;
	}
	c->nsev = n;
	for (unsigned int i = 0; i < nl; i++) {
		cfg_t *l = cfg_getnsec(cfg, "list", i);
		unsigned int na = cfg_size(l, "add");

		c->list_name = xrealloc(c->list_name, (c->nlist + na + 1) * sizeof(char *));
		c->list_value = xrealloc(c->list_value, (c->nlist + na + 1) * sizeof(char *));
		for (unsigned int j = 0; j < na; j++) {
			c->list_name[c->nlist] = xstrdup(cfg_title(l));
			c->list_value[c->nlist++] = xstrdup(cfg_getnstr(l, "add", j));
		}
		if (cfg_getbool(l, "replace")) {
			c->list_replace = xrealloc(c->list_replace,
						   (c->nlist_replace + 1) * sizeof(char *));
			c->list_replace[c->nlist_replace++] = xstrdup(cfg_title(l));
		}
	}
}

struct config *conf_build(cfg_t *cfg, const char *path)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->path = xstrdup(path);
	c->state_file = xstrdup(cfg_getstr(cfg, "state-file"));
	c->nstructures = cfg_size(cfg, "structure");
	c->structures = xcalloc(c->nstructures, sizeof(*c->structures));
	for (size_t i = 0; i < c->nstructures; i++)
		get_structure(cfg_getnsec(cfg, "structure", (unsigned int)i), &c->structures[i]);
	c->ndirectories = cfg_size(cfg, "directory");
	c->directories = xcalloc(c->ndirectories, sizeof(*c->directories));
	for (size_t i = 0; i < c->ndirectories; i++)
		get_directory(cfg_getnsec(cfg, "directory", (unsigned int)i), &c->directories[i]);
	if (c->ndirectories == 0)
		conf_err_at(0, "directory", false, "at least one directory section is needed");
	resolve_structures(cfg, c);
	get_map(cfg, c);
	get_type_maps(cfg, c);
	get_tables(cfg, c);
	get_rules(cfg, c);
	get_org(cfg, c);
	get_output(cfg, c);
	get_limits(cfg, c);
	get_reconcile(cfg, c);
	get_severity_lists(cfg, c);
	get_national(cfg, c);
	return c;
}

/* Free n strings (the string fields of a struct, gathered in an array). */
static void free_strs(char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
}

static void free_structure(struct conf_structure *s)
{
	char *strs[] = {
		s->name, s->raison_sociale, s->adresse1, s->adresse2, s->cp, s->ville,
		s->departement, s->region, s->id_type, s->id, s->structure
	};

	free_strs(strs, ARRAY_SIZE(strs));
}

static void free_directory(struct conf_directory *d)
{
	char *strs[] = {
		d->name, d->uri, d->ldif, d->ca_file, d->bind_dn, d->bind_password_file,
		d->sasl_mech, d->sasl_authzid, d->sasl_secprops, d->krb5_keytab,
		d->krb5_ccache, d->people_filter, d->group_filter, d->id_attribute,
		d->disabled_filter, d->disabled_attribute, d->end_date_attribute,
		d->owner_attribute, d->uid_attribute, d->structure
	};

	free_strs(strs, ARRAY_SIZE(strs));
	free_list(d->bases, d->nbases);
	free_list(d->group_bases, d->ngroup_bases);
	free_list(d->group_dns, d->ngroup_dns);
	free_list(d->member_attributes, d->nmember_attributes);
}

static void free_table(struct conf_table *t)
{
	char *strs[] = { t->name, t->file, t->dflt };

	free_strs(strs, ARRAY_SIZE(strs));
	for (size_t k = 0; k < t->nentries; k++) {
		free(t->entries[k].key);
		free(t->entries[k].value);
	}
	free(t->entries);
}

static void free_rule(struct conf_bal_rule *r)
{
	char *strs[] = {
		r->name, r->if_column, r->if_attribute, r->if_value, r->if_match, r->if_table,
		r->if_member_of, r->if_dn_suffix
	};

	free_strs(strs, ARRAY_SIZE(strs));
}

static void free_org(struct conf_org *org)
{
	char *strs[] = {
		org->mail, org->nom, org->prenom, org->description, org->default_owner,
		org->responsible_nom, org->responsible_prenom, org->responsible_profession,
		org->responsible_rpps
	};

	free_strs(strs, ARRAY_SIZE(strs));
}

/* Free each of the n elements of the array v with fn, then the array. */
#define FREE_ARRAY(v, n, fn) do {				\
		for (size_t i_ = 0; i_ < (n); i_++)		\
			fn(&(v)[i_]);				\
		free(v);					\
	} while (0)

void conf_free(struct config *c)
{
	if (!c)
		return;
	FREE_ARRAY(c->structures, c->nstructures, free_structure);
	FREE_ARRAY(c->directories, c->ndirectories, free_directory);
	for (int i = 0; i < NCOLS; i++) {
		free(c->map[i]);
		for (int t = 0; t < BAL_NTYPES; t++)
			free(c->type_map[t][i]);
	}
	FREE_ARRAY(c->tables, c->ntables, free_table);
	FREE_ARRAY(c->rules, c->nrules, free_rule);
	free_org(&c->org);
	free(c->output.directory);
	free(c->output.csv_separator);
	free(c->output.csv_encoding);
	free(c->output.post_command);
	free_list(c->sev_rule, c->nsev);
	free(c->sev_value);
	free_list(c->list_name, c->nlist);
	free_list(c->list_value, c->nlist);
	free_list(c->list_replace, c->nlist_replace);
	free_national(c->national);
	free(c->state_file);
	free(c->path);
	free(c);
}
