/*
 * conf.c - the configuration file: libconfuse option tables, validators, flavor defaults and
 * the conversion to the plain structs of conf.h. The only file that includes confuse.h.
 *
 * Every value with a domain is checked while parsing, with the line it was read on; checks that
 * need the whole file (structure references) run after parsing, with lines recorded on the way.
 * All errors go to the logger as "file:line: option: why" (log_located: stderr, and syslog with
 * --syslog) and conf_load() returns NULL at the end.
 */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <confuse.h>

#include "conf.h"
#include "log.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

/* Where an option was read: validators record it for checks made after parsing. */
struct line_rec {
	const cfg_t *sec;
	const char *opt;
	int line;
};

/* Where a value of a list option was read. */
struct value_rec {
	const cfg_t *sec;
	unsigned int idx;
	int line;
};

/* State of one conf_load() (libconfuse callbacks take no user pointer). */
struct load_ctx {
	const char *path;
	int errors;
	struct line_rec *lines;
	size_t nlines, cap;
	const cfg_opt_t *last_list;   /* list validators run per value and at '}' */
	unsigned int last_list_n;
	struct value_rec *vlines;     /* lines of list values (table entries) */
	size_t nvlines, capv;
};

static struct load_ctx *ctx;

/* Every message of the configuration goes out here, through the logger: to stderr as
 * "file:line: ...", as it always was, and to syslog too with --syslog. */
PRINTF(2, 3)
static void conf_say(int prio, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	log_located(prio, text ? text : fmt);
	free(text);
}

/* "file:line: [what: ][warning: ]why"; an error is counted. */
PRINTF(5, 0)
static void conf_vmsg(const char *file, int line, const char *what, bool warning,
		      const char *fmt, va_list ap)
{
	char *msg, *loc;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	loc = line > 0 ? xasprintf("%s:%d", file, line) : xstrdup(file);
	conf_say(warning ? LOG_WARNING : LOG_ERR, "%s: %s%s%s%s", loc, what ? what : "",
		 what ? ": " : "", warning ? "warning: " : "", msg ? msg : fmt);
	free(loc);
	free(msg);
	if (!warning)
		ctx->errors++;
}

/* An error at the current line of section sec; counted, parsing goes on. */
PRINTF(3, 4)
static void conf_err(const cfg_t *sec, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vmsg(sec && sec->filename ? sec->filename : ctx->path, sec ? sec->line : 0, what,
		  false, fmt, ap);
	va_end(ap);
}

PRINTF(4, 5)
static void conf_err_at(int line, const char *what, bool warning, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vmsg(ctx->path, line, what, warning, fmt, ap);
	va_end(ap);
}

/* The same in another file (a table's TSV file). */
PRINTF(5, 6)
static void conf_msg(const char *file, int line, const char *what, bool warning,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vmsg(file, line, what, warning, fmt, ap);
	va_end(ap);
}

/* libconfuse's own messages ("no such option 'foo'"), which it hands to the function set by
 * cfg_set_error_function() with the section being parsed (its filename and line), rewritten
 * as "file:line: foo: why". */
static void conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	const char *file = cfg && cfg->filename ? cfg->filename : (ctx ? ctx->path : "config");
	int line = cfg ? cfg->line : 0;
	char *msg = NULL, *q1, *q2;

	if (ctx)
		ctx->errors++;
	if (vasprintf(&msg, fmt, ap) < 0) {
		conf_say(LOG_ERR, "%s:%d: %s", file, line, fmt);
		return;
	}
	if (strncmp(fmt, "found duplicate title", 21) == 0 && (q1 = strchr(msg, '\''))) {
		conf_say(LOG_ERR, "%s:%d: title %s: another section of this kind has it", file,
			 line, q1);
		free(msg);
		return;
	}
	q1 = strchr(msg, '\'');
	q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	if (q1 && q2) {
		*q2 = '\0';
		/* drop " 'name'" from the sentence and put the name first */
		if (q1 > msg && q1[-1] == ' ')
			q1[-1] = '\0';
		else
			*q1 = '\0';
		if (line > 0)
			conf_say(LOG_ERR, "%s:%d: %s: %s%s", file, line, q1 + 1, msg, q2 + 1);
		else
			conf_say(LOG_ERR, "%s: %s: %s%s", file, q1 + 1, msg, q2 + 1);
	} else if (line > 0) {
		conf_say(LOG_ERR, "%s:%d: %s", file, line, msg);
	} else {
		conf_say(LOG_ERR, "%s: %s", file, msg);
	}
	free(msg);
}

static void rec_line(const cfg_t *sec, const char *opt, int line)
{
	xgrow(&ctx->lines, &ctx->cap, ctx->nlines + 1, sizeof(*ctx->lines));
	ctx->lines[ctx->nlines++] = (struct line_rec){ sec, opt, line };
}

static int line_of(const cfg_t *sec, const char *opt)
{
	int line = 0;

	for (size_t i = 0; i < ctx->nlines; i++)
		if (ctx->lines[i].sec == sec && strcmp(ctx->lines[i].opt, opt) == 0)
			line = ctx->lines[i].line;
	return line;
}

/* Line of value idx of the list option of sec that v_table_entry records, or 0. */
static int value_line(const cfg_t *sec, unsigned int idx)
{
	for (size_t i = 0; i < ctx->nvlines; i++)
		if (ctx->vlines[i].sec == sec && ctx->vlines[i].idx == idx)
			return ctx->vlines[i].line;
	return 0;
}

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
static int choice_index(const char *name, const char *value)
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
static const char *choice_value(const char *name, int i)
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

	rec_line(cfg, opt->name, cfg->line);
	if (choice_index(opt->name, v) >= 0)
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

	rec_line(cfg, opt->name, cfg->line);
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

	rec_line(cfg, opt->name, cfg->line);
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
	rec_line(cfg, opt->name, cfg->line);
	return 0;
}

static bool list_seen(const cfg_opt_t *opt)
{
	unsigned int n = cfg_opt_size((cfg_opt_t *)opt);

	if (n == 0 || (ctx->last_list == opt && ctx->last_list_n == n))
		return true;
	ctx->last_list = opt;
	ctx->last_list_n = n;
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
		conf_err_at(line_of(d, "ldif") > line_of(d, "uri") ? line_of(d, "ldif") :
			    line_of(d, "uri"), what, false, "set uri or ldif, not both");
	else if (!has_uri && !has_ldif)
		conf_err(cfg, what, "set uri (a server) or ldif (an export)");
	/* an LDIF without one would be read as 0 people */
	if ((has_uri || has_ldif) && cfg_size(d, "base") == 0)
		conf_err(cfg, what, "base: at least one base DN is needed");
	if (has_uri && cfg_getbool(d, "starttls") && strncasecmp(uri, "ldaps://", 8) == 0)
		conf_err_at(line_of(d, "uri"), "starttls", false, "not with an ldaps:// URI");
	/* AD's MaxPageSize is 1000 unless raised: larger pages are cut by the server */
	if (choice_index("flavor", cfg_getstr(d, "flavor")) == FLAVOR_AD &&
	    cfg_size(d, "page-size") > 0 && cfg_getint(d, "page-size") > 1000)
		conf_err_at(line_of(d, "page-size"), "page-size", true,
			    "%ld is over Active Directory's default MaxPageSize (1000)",
			    cfg_getint(d, "page-size"));
	/* OpenLDAP knows no ;range= option: asked for member;range=0-N it returns no member */
	if (choice_index("flavor", cfg_getstr(d, "flavor")) != FLAVOR_AD &&
	    cfg_getint(d, "range-size") > 0)
		conf_err_at(line_of(d, "range-size"), "range-size", false,
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
			conf_err_at(line_of(r, o), what, false, "%s needs exactly one of "
				    "if-attribute and if-column (the values it tests)", o);
		if (val && *val)
			conf_err_at(line_of(r, o), what, false, "%s cannot be combined with "
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
	else if (choice_index("type", title) < 0)
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
	if (list_seen(opt))
		return 0;
	xgrow(&ctx->vlines, &ctx->capv, ctx->nvlines + 1, sizeof(*ctx->vlines));
	ctx->vlines[ctx->nvlines++] = (struct value_rec){ cfg, cfg_opt_size(opt) - 1, cfg->line };
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

/* The templates of org, in the order of conf_org.line[] (enum map_org_field). */
static const char *const org_templates[8] = {
	"adresse-mail", "nom", "prenom", "description", "responsible-nom", "responsible-prenom",
	"responsible-profession", "responsible-rpps"
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
static char *dup_opt(const char *s);
static char **dup_list(cfg_t *sec, const char *name, size_t *n);
static void free_list(char **v, size_t n);

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
/* --- end of national directory ------------------------------------------------------------ */

static cfg_opt_t reconcile_opts[] = {
	O_STR("hand-edits", "overwrite", 0, v_choice),
	O_END()
};

/* The map section has one option per column key of columns[]: filled by map_opts_init(). */
static cfg_opt_t map_opts[NCOLS + 1];

static cfg_opt_t root_opts[] = {
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

static void map_opts_init(void)
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

static void get_structure(cfg_t *s, struct conf_structure *st)
{
	int t = choice_index("id-type", cfg_getstr(s, "id-type"));

	st->name = xstrdup(cfg_title(s));
	st->raison_sociale = dup_opt(cfg_getstr(s, "raison-sociale"));
	st->adresse1 = dup_opt(cfg_getstr(s, "adresse-1"));
	st->adresse2 = dup_opt(cfg_getstr(s, "adresse-2"));
	st->cp = dup_opt(cfg_getstr(s, "cp"));
	st->ville = dup_opt(cfg_getstr(s, "ville"));
	st->departement = dup_opt(cfg_getstr(s, "departement"));
	st->region = dup_opt(cfg_getstr(s, "region"));
	st->id_type = xstrdup(choice_value("id-type", t));
	st->id = dup_opt(cfg_getstr(s, "id"));
	st->structure = dup_opt(cfg_getstr(s, "structure-name"));
}

static void get_directory(cfg_t *s, struct conf_directory *d)
{
	const struct flavor_defaults *fd;
	int v;

	d->name = xstrdup(cfg_title(s));
	v = choice_index("flavor", cfg_getstr(s, "flavor"));
	d->flavor = v == FLAVOR_AD ? FLAVOR_AD : FLAVOR_OPENLDAP;
	fd = &flavor_defaults[d->flavor];
	d->uri = dup_opt(cfg_getstr(s, "uri"));
	d->ldif = dup_opt(cfg_getstr(s, "ldif"));
	d->starttls = cfg_getbool(s, "starttls");
	d->ca_file = dup_opt(cfg_getstr(s, "ca-file"));
	v = choice_index("tls-reqcert", cfg_getstr(s, "tls-reqcert"));
	d->tls_reqcert = v < 0 ? TLS_DEMAND : (enum tls_reqcert)v;
	d->bind_dn = dup_opt(cfg_getstr(s, "bind-dn"));
	d->bind_password_file = dup_opt(cfg_getstr(s, "bind-password-file"));
	v = choice_index("sasl-mech", cfg_getstr(s, "sasl-mech"));
	d->sasl_mech = v < 0 ? NULL : xstrdup(choice_value("sasl-mech", v));
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
	v = choice_index("end-date-format", cfg_getstr(s, "end-date-format"));
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
			conf_err_at(line_of(s, "structure"), "structure", false,
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
		c->map_line[i] = line_of(m, columns[i].key);
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
		int k = choice_index("type", cfg_title(s));
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
			c->type_map_line[t][col] = line_of(s, columns[col].key);
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
		int t = choice_index("type", cfg_getstr(s, "type"));
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
		r->line_match = line_of(s, "if-match");
		r->line_table = line_of(s, "if-table");
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
		org->line[i] = line_of(o, org_templates[i]);
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
	const char *slash = strrchr(ctx->path, '/');

	if (path[0] == '/' || !slash)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - ctx->path), ctx->path, path);
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
		t->line = n > 0 ? value_line(s, 0) : line_of(s, "file");
		if (t->line <= 0)
			t->line = s->line;
		for (unsigned int k = 0; k < n; k++) {
			const char *v = cfg_getnstr(s, "entry", k);
			int line = value_line(s, k);
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
			table_read_file(&tl, line_of(s, "file"));
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
	out->directory_line = line_of(o, "directory");
	out->format = choice_index("format", cfg_getstr(o, "format")) == 1 ? OUT_CSV : OUT_XLSX;
	out->csv_separator = xstrdup(cfg_getstr(o, "csv-separator"));
	v = choice_index("csv-encoding", cfg_getstr(o, "csv-encoding"));
	out->csv_encoding = xstrdup(choice_value("csv-encoding", v));
	out->csv_bom = cfg_getbool(o, "csv-bom");
	out->csv_transliterate = cfg_getbool(o, "csv-transliterate");
	v = choice_index("value-form", cfg_getstr(o, "value-form"));
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

	c->reconcile.keep_hand_edits = choice_index("hand-edits",
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

static struct config *conf_build(cfg_t *cfg, const char *path)
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

/*
 * libconfuse 3.3 counts a line twice after each '#' comment and refuses comments inside lists:
 * comments are blanked here (outside quoted strings, newlines kept) before it parses the text.
 */
static void blank_comments(char *s)
{
	char quote = 0;

	for (; *s; s++) {
		if (quote) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == quote)
				quote = 0;
		} else if (*s == '"' || *s == '\'') {
			quote = *s;
		} else if (*s == '#' || (s[0] == '/' && s[1] == '/')) {
			for (; *s && *s != '\n'; s++)
				*s = ' ';
			if (!*s)
				break;
		} else if (s[0] == '/' && s[1] == '*') {
			for (; *s && !(s[0] == '*' && s[1] == '/'); s++)
				if (*s != '\n')
					*s = ' ';
			if (!*s)
				break;
			s[0] = s[1] = ' ';
			s++;
		}
	}
}

/* The file's text with comments blanked, or NULL after printing why. */
static char *read_config(const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = { 0 };
	char buf[8192];
	size_t n;
	char *text = NULL;

	if (!f) {
		conf_say(LOG_ERR, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_addn(&sb, buf, n);
	if (ferror(f)) {
		conf_say(LOG_ERR, "%s: cannot read: %s", path, strerror(errno));
		sb_free(&sb);
		goto out;
	}
	if (sb.len && memchr(sb.buf, '\0', sb.len)) {
		conf_say(LOG_ERR, "%s: not a text file (NUL byte)", path);
		sb_free(&sb);
		goto out;
	}
	text = sb_steal(&sb);
	blank_comments(text);
out:
	if (f)
		fclose(f);
	return text;
}

struct config *conf_load(const char *path)
{
	return conf_load_checked(path, NULL);
}

struct config *conf_load_checked(const char *path, conf_check_fn check)
{
	struct load_ctx lc = { .path = path };
	struct config *c = NULL;
	cfg_t *cfg = NULL;
	char *text = NULL;
	FILE *fp = NULL;
	int rc;

	map_opts_init();
	ctx = &lc;
	cfg = cfg_init(root_opts, CFGF_NONE);
	if (!cfg) {
		conf_say(LOG_ERR, "%s: cannot initialise the parser", path);
		goto out;
	}
	cfg_set_error_function(cfg, conf_errfunc);
	text = read_config(path);
	if (!text)
		goto out;
	fp = fmemopen(text, strlen(text), "r");
	if (!fp) {
		conf_say(LOG_ERR, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	cfg->filename = xstrdup(path);
	rc = cfg_parse_fp(cfg, fp);
	if (rc != CFG_SUCCESS)
		goto out;
	/* built even after validator errors, so that the later checks are reported too */
	c = conf_build(cfg, path);
	if (check) {
		char *err = check(c);

		if (err) {
			log_located(LOG_ERR, err);
			lc.errors++;
			free(err);
		}
	}
	if (lc.errors > 0) {
		conf_free(c);
		c = NULL;
	}
out:
	if (fp)
		fclose(fp);
	free(text);
	if (cfg)
		cfg_free(cfg);
	free(lc.lines);
	free(lc.vlines);
	ctx = NULL;
	return c;
}

char *conf_check_paths(const struct config *c)
{
	const struct conf_output *o = &c->output;
	struct stat st;
	char *where, *err;
	int rc, e;

	rc = stat(o->directory, &st);
	e = errno;
	if (rc == 0 && S_ISDIR(st.st_mode))
		return NULL;
	where = o->directory_line > 0 ? xasprintf("%s:%d", c->path, o->directory_line) :
		xstrdup(c->path);
	if (rc < 0 && e == ENOENT)
		err = xasprintf("%s: output.directory: %s%s does not exist: create it (mode 0700, "
				"owned by the user that runs apply)", where, o->directory,
				o->directory_line > 0 ? "" : " (the default)");
	else if (rc < 0)
		err = xasprintf("%s: output.directory: %s: %s", where, o->directory, strerror(e));
	else
		err = xasprintf("%s: output.directory: %s is not a directory", where, o->directory);
	free(where);
	return err;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void conf_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nstructures; i++) {
		struct conf_structure *s = &c->structures[i];

		free(s->name);
		free(s->raison_sociale);
		free(s->adresse1);
		free(s->adresse2);
		free(s->cp);
		free(s->ville);
		free(s->departement);
		free(s->region);
		free(s->id_type);
		free(s->id);
		free(s->structure);
	}
	free(c->structures);
	for (size_t i = 0; i < c->ndirectories; i++) {
		struct conf_directory *d = &c->directories[i];
		char *strs[] = {
			d->name, d->uri, d->ldif, d->ca_file, d->bind_dn, d->bind_password_file,
			d->sasl_mech, d->sasl_authzid, d->sasl_secprops, d->krb5_keytab,
			d->krb5_ccache, d->people_filter, d->group_filter, d->id_attribute,
			d->disabled_filter, d->disabled_attribute, d->end_date_attribute,
			d->owner_attribute, d->uid_attribute, d->structure
		};

		for (size_t j = 0; j < ARRAY_SIZE(strs); j++)
			free(strs[j]);
		free_list(d->bases, d->nbases);
		free_list(d->group_bases, d->ngroup_bases);
		free_list(d->group_dns, d->ngroup_dns);
		free_list(d->member_attributes, d->nmember_attributes);
	}
	free(c->directories);
	for (int i = 0; i < NCOLS; i++) {
		free(c->map[i]);
		for (int t = 0; t < BAL_NTYPES; t++)
			free(c->type_map[t][i]);
	}
	for (size_t i = 0; i < c->ntables; i++) {
		struct conf_table *t = &c->tables[i];

		for (size_t k = 0; k < t->nentries; k++) {
			free(t->entries[k].key);
			free(t->entries[k].value);
		}
		free(t->entries);
		free(t->name);
		free(t->file);
		free(t->dflt);
	}
	free(c->tables);
	for (size_t i = 0; i < c->nrules; i++) {
		struct conf_bal_rule *r = &c->rules[i];

		free(r->name);
		free(r->if_column);
		free(r->if_attribute);
		free(r->if_value);
		free(r->if_match);
		free(r->if_table);
		free(r->if_member_of);
		free(r->if_dn_suffix);
	}
	free(c->rules);
	free(c->org.mail);
	free(c->org.nom);
	free(c->org.prenom);
	free(c->org.description);
	free(c->org.default_owner);
	free(c->org.responsible_nom);
	free(c->org.responsible_prenom);
	free(c->org.responsible_profession);
	free(c->org.responsible_rpps);
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
	map_opts_init();
	add_names(&sb, NULL, root_opts);
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
