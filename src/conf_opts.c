/*
 * conf_opts.c - the configuration's libconfuse option tables and their validators: every value
 * with a domain is checked while parsing, at the line it was read on (conf_int.h).
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <confuse.h>

#include "conf.h"
#include "conf_int.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

/* Domains of the string options, by option name (names are unique across sections). */
struct choice {
	const char *opt;
	const char *values[8];
};

static const struct choice choices[] = {
	{ "flavor",       { "openldap", "ad" } },
	{ "format",       { "xlsx", "csv" } },
	{ "tls-reqcert",  { "demand", "allow", "never" } },
	{ "value-form",   { "label", "code", "code-label" } },
	{ "csv-encoding", { "utf-8", "windows-1252" } },
	{ "id-type",      { "FINESS", "SIRET", "SIREN" } },
	{ "type",         { "PER", "INT", "MED" } },
	{ "sasl-mech",    { "EXTERNAL", "GSSAPI" } },
	/* in the order of enum date_form */
	{ "end-date-format", { "auto", "gentime", "ad", "days", "unix", "iso", "dmy" } },
	{ "hand-edits",   { "overwrite", "keep" } },
};

/* Index of value in the domain of option name (case-insensitive), or -1. */
int conf_choice_index(const char *name, const char *value)
{
	for (size_t i = 0; i < ARRAY_SIZE(choices); i++) {
		if (strcmp(choices[i].opt, name) != 0)
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(choices[i].values) && choices[i].values[j]; j++)
			if (value && strcasecmp(choices[i].values[j], value) == 0)
				return (int)j;
		return -1;
	}
	return -1;
}

/* Canonical spelling of value i of option name's domain. */
const char *conf_choice_value(const char *name, int i)
{
	for (size_t j = 0; j < ARRAY_SIZE(choices); j++)
		if (strcmp(choices[j].opt, name) == 0)
			return choices[j].values[i < 0 ? 0 : i];
	return NULL;
}

static int v_choice(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	struct strbuf sb = { 0 };

	conf_rec_line(cfg, opt->name, cfg->line);
	if (conf_choice_index(opt->name, v) >= 0)
		return 0;
	/* empty means "not used" for the optional ones */
	if (v && !*v && strcmp(opt->name, "sasl-mech") == 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(choices); i++) {
		if (strcmp(choices[i].opt, opt->name) != 0)
			continue;
		for (size_t j = 0; j < ARRAY_SIZE(choices[i].values) && choices[i].values[j]; j++) {
			sb_add(&sb, j ? ", " : "");
			sb_add(&sb, choices[i].values[j]);
		}
	}
	if (strcmp(opt->name, "type") == 0 && v && strcasecmp(v, "ORG") == 0)
		conf_err(cfg, opt->name, "ORG mailboxes come from groups (org section), not rules");
	else
		conf_err(cfg, opt->name, "\"%s\" is not one of: %s", v ? v : "", sb.buf);
	sb_free(&sb);
	return 0;
}

/* Integer domains, by option name. */
static const struct int_range {
	const char *opt;
	long min, max;
} int_ranges[] = {
	{ "page-size",        1,  10000 },
	{ "range-size",       0,  INT_MAX },
	{ "network-timeout",  1,  INT_MAX },
	{ "timeout",          1,  INT_MAX },
	{ "keep",             0,  INT_MAX },
	{ "max-expire-count", -1, INT_MAX },
	{ "grace-days",       0,  3650 },
};

static int v_int(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, 0);

	conf_rec_line(cfg, opt->name, cfg->line);
	for (size_t i = 0; i < ARRAY_SIZE(int_ranges); i++) {
		const struct int_range *r = &int_ranges[i];

		if (strcmp(r->opt, opt->name) != 0 || (v >= r->min && v <= r->max))
			continue;
		if (r->max == INT_MAX)
			conf_err(cfg, opt->name, "%ld is out of range (at least %ld)", v, r->min);
		else
			conf_err(cfg, opt->name, "%ld is out of range (%ld to %ld)", v, r->min,
				 r->max);
	}
	return 0;
}

static int v_percent(cfg_t *cfg, cfg_opt_t *opt)
{
	double v = cfg_opt_getnfloat(opt, 0);

	if (!(v == -1 || (v >= 0 && v <= 100)))
		conf_err(cfg, opt->name, "%g is not a percentage (0 to 100, or -1 for no limit)", v);
	return 0;
}

static int v_separator(cfg_t *cfg, cfg_opt_t *opt)
{
	if (!conf_csv_separator_ok(cfg_opt_getnstr(opt, 0)))
		conf_err(cfg, opt->name, "must be exactly one ASCII character, not a quote, an "
			 "apostrophe or an end of line (\";\", \",\", \"\\t\")");
	return 0;
}

/* One or more blank-separated URIs, as libldap accepts them. */
static int v_uri(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	static const char *const schemes[] = { "ldap://", "ldaps://", "ldapi://" };
	const char *p = v;

	conf_rec_line(cfg, opt->name, cfg->line);
	if (!v || !*v)
		return 0;
	while (*p) {
		size_t n = strcspn(p, " \t,");
		bool ok = false;

		for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
			if (n >= strlen(schemes[i]) &&
			    strncasecmp(p, schemes[i], strlen(schemes[i])) == 0)
				ok = true;
		if (n > 0 && !ok) {
			conf_err(cfg, opt->name, "\"%.*s\": scheme must be ldap://, ldaps:// or ldapi://",
				 (int)n, p);
			break;
		}
		p += n;
		p += strspn(p, " \t,");
	}
	return 0;
}

static int v_record(cfg_t *cfg, cfg_opt_t *opt)
{
	conf_rec_line(cfg, opt->name, cfg->line);
	return 0;
}

static bool list_seen(const cfg_opt_t *opt)
{
	unsigned int n = cfg_opt_size((cfg_opt_t *)opt);

	if (n == 0 || (conf_ctx->last_list == opt && conf_ctx->last_list_n == n))
		return true;
	conf_ctx->last_list = opt;
	conf_ctx->last_list_n = n;
	return false;
}

/* severity = { "rule:level", ... } */
static int v_severity(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v, *colon;

	if (list_seen(opt))
		return 0;
	v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	colon = strrchr(v, ':');
	if (!colon || colon == v)
		conf_err(cfg, opt->name, "\"%s\": expected \"rule:level\"", v);
	else if (strcmp(colon + 1, "error") && strcmp(colon + 1, "warning") &&
		 strcmp(colon + 1, "off"))
		conf_err(cfg, opt->name, "\"%s\": level must be error, warning or off", v);
	return 0;
}

static int v_column_key(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (v && *v && column_by_key(v) < 0)
		conf_err(cfg, opt->name, "\"%s\" is not a column key (see the map section)", v);
	else if (v && strcmp(v, "type-bal") == 0)
		conf_err(cfg, opt->name, "type-bal is what the rule sets; it cannot be a condition");
	return 0;
}

static int v_type_bal(cfg_t *cfg, cfg_opt_t *opt)
{
	conf_err(cfg, opt->name, "set by the bal-rule sections, not by a template");
	return 0;
}

/* Section checks, run at the closing brace (cfg is the parent, at that line). */
static cfg_t *last_sec(cfg_opt_t *opt)
{
	return cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
}

static int v_directory(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *d = last_sec(opt);
	const char *uri = cfg_getstr(d, "uri"), *ldif = cfg_getstr(d, "ldif");
	bool has_uri = uri && *uri, has_ldif = ldif && *ldif;
	char *what = xasprintf("directory \"%s\"", cfg_title(d));

	if (has_uri && has_ldif)
		conf_err_at(conf_line_of(d, "ldif") > conf_line_of(d, "uri") ?
			    conf_line_of(d, "ldif") : conf_line_of(d, "uri"), what, false,
			    "set uri or ldif, not both");
	else if (!has_uri && !has_ldif)
		conf_err(cfg, what, "set uri (a server) or ldif (an export)");
	/* an LDIF without one would be read as 0 people */
	if ((has_uri || has_ldif) && cfg_size(d, "base") == 0)
		conf_err(cfg, what, "base: at least one base DN is needed");
	if (has_uri && cfg_getbool(d, "starttls") && strncasecmp(uri, "ldaps://", 8) == 0)
		conf_err_at(conf_line_of(d, "uri"), "starttls", false, "not with an ldaps:// URI");
	/* AD's MaxPageSize is 1000 unless raised: larger pages are cut by the server */
	if (conf_choice_index("flavor", cfg_getstr(d, "flavor")) == FLAVOR_AD &&
	    cfg_size(d, "page-size") > 0 && cfg_getint(d, "page-size") > 1000)
		conf_err_at(conf_line_of(d, "page-size"), "page-size", true,
			    "%ld is over Active Directory's default MaxPageSize (1000)",
			    cfg_getint(d, "page-size"));
	/* OpenLDAP knows no ;range= option: asked for member;range=0-N it returns no member */
	if (conf_choice_index("flavor", cfg_getstr(d, "flavor")) != FLAVOR_AD &&
	    cfg_getint(d, "range-size") > 0)
		conf_err_at(conf_line_of(d, "range-size"), "range-size", false,
			    "range retrieval is an Active Directory feature: with flavor = "
			    "openldap the groups would come back without members");
	free(what);
	return 0;
}

static int v_bal_rule(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *r = last_sec(opt);
	char *what = xasprintf("bal-rule \"%s\"", cfg_title(r));
	const char *attr = cfg_getstr(r, "if-attribute"), *val = cfg_getstr(r, "if-value");

	if (cfg_size(r, "type") == 0)
		conf_err(cfg, what, "type is required (PER, INT or MED)");
	if (val && *val && !(attr && *attr))
		conf_err(cfg, what, "if-value needs if-attribute");
	/* if-match and if-table test the values of one thing: an attribute or a cell */
	for (int i = 0; i < 2; i++) {
		const char *o = i == 0 ? "if-match" : "if-table", *v = cfg_getstr(r, o);
		const char *col = cfg_getstr(r, "if-column");

		if (!v || !*v)
			continue;
		if ((attr && *attr) == (col && *col))
			conf_err_at(conf_line_of(r, o), what, false, "%s needs exactly one of "
				    "if-attribute and if-column (the values it tests)", o);
		if (val && *val)
			conf_err_at(conf_line_of(r, o), what, false, "%s cannot be combined with "
				    "if-value (if-value is one exact value, %s a pattern)", o, o);
	}
	free(what);
	return 0;
}

/* map-type "PER" | "INT" | "MED" */
static int v_map_type(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *title = cfg_title(last_sec(opt));

	if (strcasecmp(title, "ORG") == 0)
		conf_err(cfg, "map-type", "\"%s\": ORG mailboxes come from groups (org section)",
			 title);
	else if (conf_choice_index("type", title) < 0)
		conf_err(cfg, "map-type", "\"%s\" is not a BAL type: PER, INT or MED", title);
	return 0;
}

/* A table name is used in templates (table:NAME), where | and } end it. */
static int v_table(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *title = cfg_title(last_sec(opt));

	if (!*title || strspn(title, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			      "0123456789-_.") != strlen(title))
		conf_err(cfg, "table", "\"%s\": a table name is letters, digits, '-', '_' and "
			 "'.'", title);
	return 0;
}

/* entry = { "KEY => VALUE", ... }: the line of each value, for the checks of conf_build. */
static int v_table_entry(cfg_t *cfg, cfg_opt_t *opt)
{
	struct load_ctx *lc = conf_ctx;

	if (list_seen(opt))
		return 0;
	xgrow(&lc->vlines, &lc->capv, lc->nvlines + 1, sizeof(*lc->vlines));
	lc->vlines[lc->nvlines++] = (struct value_rec){ cfg, cfg_opt_size(opt) - 1, cfg->line };
	return 0;
}

static const char *const list_names[] = {
	"profession", "specialite", "civilite-exercice", "diplome", "departement", "region"
};

static int v_list(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *l = last_sec(opt);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(list_names); i++)
		if (strcmp(list_names[i], cfg_title(l)) == 0)
			break;
	if (i == ARRAY_SIZE(list_names))
		conf_err(cfg, "list", "\"%s\" is not a code list (profession, specialite, "
			 "civilite-exercice, diplome, departement, region)", cfg_title(l));
	return 0;
}

/* Option tables. NODEFAULT marks options whose default depends on the flavor or on other
 * sections: an unset option then has size 0. */
#define ND CFGF_NODEFAULT
#define O_STR(n, d, f, v)  { .name = n, .type = CFGT_STR, .flags = f, .def.string = d, \
			     .validcb = v }
#define O_LIST(n, f, v)    { .name = n, .type = CFGT_STR, .flags = CFGF_LIST | f, .validcb = v }
#define O_INT(n, d, f, v)  { .name = n, .type = CFGT_INT, .flags = f, .def.number = d, \
			     .validcb = v }
#define O_PCT(n, d)        { .name = n, .type = CFGT_FLOAT, .def.fpnumber = d, \
			     .validcb = v_percent }
#define O_BOOL(n, d)       { .name = n, .type = CFGT_BOOL, .def.boolean = d }
#define O_SEC(n, o, f, v)  { .name = n, .type = CFGT_SEC, .flags = f, .subopts = o, \
			     .validcb = v }
#define O_END()            { .name = NULL }
#define TITLED (CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES)

static cfg_opt_t output_opts[] = {
	O_STR("directory",     LOCALSTATEDIR "/lib/medimail-sync/out", 0, v_record),
	O_STR("format",        "xlsx",        0,  v_choice),
	O_STR("csv-separator", ";",           0,  v_separator),
	O_STR("csv-encoding",  "utf-8",       0,  v_choice),
	O_BOOL("csv-bom",      cfg_false),
	O_BOOL("csv-transliterate", cfg_false),
	O_STR("value-form",    "label",       0,  v_choice),
	O_INT("keep",          0,             0,  v_int),
	O_STR("post-command",  "",            0,  NULL),
	O_END()
};

static cfg_opt_t limits_opts[] = {
	O_INT("max-expire-count",     50, 0, v_int),
	O_PCT("max-expire-percent",   10),
	O_PCT("max-org-loss-percent", 50),
	O_INT("grace-days",           0,  0, v_int),
	O_END()
};

static cfg_opt_t structure_opts[] = {
	O_STR("raison-sociale", "",       0, NULL),
	O_STR("adresse-1",      "",       0, NULL),
	O_STR("adresse-2",      "",       0, NULL),
	O_STR("cp",             "",       0, NULL),
	O_STR("ville",          "",       0, NULL),
	O_STR("departement",    "",       0, NULL),
	O_STR("region",         "",       0, NULL),
	O_STR("id-type",        "FINESS", 0, v_choice),
	O_STR("id",             "",       0, NULL),
	O_STR("structure-name", "",       0, NULL),
	O_END()
};

static cfg_opt_t directory_opts[] = {
	O_STR("flavor",             "openldap", 0,  v_choice),
	O_STR("uri",                "",         0,  v_uri),
	O_STR("ldif",               "",         0,  v_record),
	O_BOOL("starttls",          cfg_false),
	O_STR("ca-file",            "",         0,  NULL),
	O_STR("tls-reqcert",        "demand",   0,  v_choice),
	O_STR("bind-dn",            "",         0,  NULL),
	O_STR("bind-password-file", "",         0,  NULL),
	O_STR("sasl-mech",          "",         0,  v_choice),
	O_STR("sasl-authzid",       "",         0,  NULL),
	O_STR("sasl-secprops",      "",         0,  NULL),
	O_STR("krb5-keytab",        "",         0,  NULL),
	O_STR("krb5-ccache",        "",         0,  NULL),
	O_LIST("base",                          ND, NULL),
	O_STR("people-filter",      NULL,       ND, NULL),
	O_LIST("group-base",                    ND, NULL),
	O_STR("group-filter",       "",         0,  NULL),
	O_LIST("group-dn",                      ND, NULL),
	O_STR("id-attribute",       NULL,       ND, NULL),
	O_STR("disabled-filter",    NULL,       ND, NULL),
	O_STR("disabled-attribute", NULL,       ND, NULL),
	O_STR("end-date-attribute", NULL,       ND, NULL),
	O_STR("end-date-format",    NULL,       ND, v_choice),
	O_STR("owner-attribute",    NULL,       ND, NULL),
	O_LIST("member-attribute",              ND, NULL),
	O_STR("uid-attribute",      NULL,       ND, NULL),
	O_INT("page-size",          500,        ND, v_int),
	O_INT("range-size",         0,          0,  v_int),
	O_INT("network-timeout",    10,         0,  v_int),
	O_INT("timeout",            60,         0,  v_int),
	O_STR("structure",          NULL,       ND, v_record),
	O_END()
};

static cfg_opt_t bal_rule_opts[] = {
	O_STR("type",         NULL, ND, v_choice),
	O_STR("if-column",    "",   0,  v_column_key),
	O_STR("if-attribute", "",   0,  NULL),
	O_STR("if-value",     "",   0,  NULL),
	O_STR("if-match",     "",   0,  v_record),
	O_STR("if-table",     "",   0,  v_record),
	O_STR("if-member-of", "",   0,  NULL),
	O_STR("if-dn-suffix", "",   0,  NULL),
	O_END()
};

static cfg_opt_t org_opts[] = {
	O_STR("adresse-mail",           "{mail|trim|lower}",    0,  v_record),
	O_STR("nom",                    "{cn|trim|upper}",      0,  v_record),
	O_STR("prenom",                 "{ou/$raison-sociale}", 0,  v_record),
	O_STR("description",            "{description/cn}",     0,  v_record),
	O_STR("default-owner",          "",                     0,  NULL),
	O_STR("responsible-nom",        NULL,                   ND, v_record),
	O_STR("responsible-prenom",     NULL,                   ND, v_record),
	O_STR("responsible-profession", NULL,                   ND, v_record),
	O_STR("responsible-rpps",       NULL,                   ND, v_record),
	O_END()
};


static cfg_opt_t list_opts[] = {
	O_LIST("add",     ND, NULL),
	O_BOOL("replace", cfg_false),
	O_END()
};

static cfg_opt_t table_opts[] = {
	O_LIST("entry",   ND,       v_table_entry),
	O_STR("file",     "",   0,  v_record),
	O_STR("default",  NULL, ND, NULL),
	O_END()
};


/* --- national directory (issue 15) ---------------------------------------------------------
 * national-directory { extract = "..." mssante-extract = "..." index = "..." max-age = 7
 *                      mssante-domains = { "..." } }
 * The section is optional: without it, no national check is made. */

static int v_national_age(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, 0);

	if (v < 0 || v > 3650)
		conf_err(cfg, opt->name, "%ld is out of range (0 to 3650 days; 0: no check)", v);
	return 0;
}

/* mssante-domains = { "chu-exemple.mssante.fr" }: domain names (LDH labels, at least one dot) */
static int v_national_domain(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v;
	bool ok;

	if (list_seen(opt))
		return 0;
	v = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);
	ok = v && strchr(v, '.') && v[0] != '.' && v[0] != '-' && v[strlen(v) - 1] != '.';
	for (const char *p = v; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		     (*p >= '0' && *p <= '9') || *p == '-' || (*p == '.' && p[1] != '.');
	if (!ok)
		conf_err(cfg, opt->name, "\"%s\" is not a domain name (e.g. "
			 "\"chu-exemple.mssante.fr\")", v ? v : "");
	return 0;
}

static int v_national(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *n = last_sec(opt);
	const char *x = cfg_getstr(n, "extract");

	if (!x || !*x)
		conf_err(cfg, "national-directory", "extract is required (the path or glob of "
			 "PS_LibreAcces_Personne_activite_*.txt)");
	return 0;
}

static cfg_opt_t national_opts[] = {
	O_STR("extract",         "", 0, NULL),
	O_STR("mssante-extract", "", 0, NULL),
	O_STR("index",           "", 0, NULL),
	O_INT("max-age",         7,  0, v_national_age),
	O_LIST("mssante-domains",    ND, v_national_domain),
	O_END()
};
/* --- end of national directory ------------------------------------------------------------ */

static cfg_opt_t reconcile_opts[] = {
	O_STR("hand-edits", "overwrite", 0, v_choice),
	O_END()
};

/* The map section has one option per column key of columns[]: filled by conf_map_opts_init(). */
static cfg_opt_t map_opts[NCOLS + 1];

cfg_opt_t conf_root_opts[] = {
	O_STR("state-file", LOCALSTATEDIR "/lib/medimail-sync/state.db", 0, NULL),
	O_LIST("severity",  ND,                                            v_severity),
	O_SEC("output",     output_opts,    0,      NULL),
	O_SEC("limits",     limits_opts,    0,      NULL),
	O_SEC("reconcile",  reconcile_opts, 0,      NULL),
	O_SEC("structure",  structure_opts, TITLED, NULL),
	O_SEC("directory",  directory_opts, TITLED, v_directory),
	O_SEC("map",        map_opts,       0,      NULL),
	O_SEC("map-type",   map_opts,       TITLED, v_map_type),
	O_SEC("table",      table_opts,     TITLED, v_table),
	O_SEC("bal-rule",   bal_rule_opts,  TITLED, v_bal_rule),
	O_SEC("org",        org_opts,       0,      NULL),
	O_SEC("list",       list_opts,      TITLED, v_list),
	O_SEC("national-directory", national_opts, ND, v_national),
	O_END()
};

void conf_map_opts_init(void)
{
	if (map_opts[0].name)
		return;
	for (int i = 0; i < NCOLS; i++) {
		map_opts[i] = (cfg_opt_t)O_STR(columns[i].key, NULL, ND, v_record);
		if (i == COL_TYPE_BAL)
			map_opts[i].validcb = v_type_bal;
	}
	map_opts[NCOLS] = (cfg_opt_t)O_END();
}

static void add_names(struct strbuf *names, const char *prefix, const cfg_opt_t *opts)
{
	for (size_t i = 0; opts[i].name; i++) {
		if (opts[i].type == CFGT_SEC) {
			add_names(names, opts[i].name, opts[i].subopts);
			continue;
		}
		if (opts[i].validcb == v_type_bal)
			continue;
		if (prefix)
			sb_addf(names, "%s.%s", prefix, opts[i].name);
		else
			sb_add(names, opts[i].name);
		sb_addc(names, '\n');
	}
}

const char *const *conf_option_names(void)
{
	static char **names;
	struct strbuf sb = { 0 };
	size_t n = 0;
	char *p;

	if (names)
		return (const char *const *)names;
	conf_map_opts_init();
	add_names(&sb, NULL, conf_root_opts);
	for (size_t i = 0; i < sb.len; i++)
		if (sb.buf[i] == '\n')
			n++;
	names = xcalloc(n + 1, sizeof(*names));
	p = sb_steal(&sb);
	/* one block: names[0] is the start of the buffer, the lines are cut in place */
	for (size_t i = 0; i < n; i++) {
		names[i] = p;
		p = strchr(p, '\n');
		*p++ = '\0';
	}
	return (const char *const *)names;
}
