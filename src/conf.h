/*
 * conf.h - the configuration file (libconfuse): parsing, validation and the plain structs the
 * other modules read. Nothing else in the program touches libconfuse.
 *
 * conf_load() returns a struct config owned by the caller, freed with conf_free(). Every string
 * in it is owned by the config. Errors go to the logger as "file:line: option: why"
 * (log_located: stderr, and syslog too with --syslog).
 */
#ifndef MS_CONF_H
#define MS_CONF_H

#include <stdbool.h>
#include <string.h>
#include "model.h"

enum flavor { FLAVOR_OPENLDAP, FLAVOR_AD };
enum out_format { OUT_XLSX, OUT_CSV };
enum tls_reqcert { TLS_DEMAND, TLS_ALLOW, TLS_NEVER };
enum value_form { FORM_LABEL, FORM_CODE, FORM_CODE_LABEL };
/* How a directory writes a date (end-date-format, the date:FORM transform); map_date_read()
 * in map.h reads them. The order is that of the option's words in conf_opts.c. */
enum date_form {
	DATE_FORM_AUTO, DATE_FORM_GENTIME, DATE_FORM_AD, DATE_FORM_DAYS, DATE_FORM_UNIX,
	DATE_FORM_ISO, DATE_FORM_DMY
};

/* The establishment's values: defaults for the structure columns. */
struct conf_structure {
	char *name;                /* section title */
	char *raison_sociale, *adresse1, *adresse2, *cp, *ville, *departement, *region;
	char *id_type;             /* "FINESS", "SIRET" or "SIREN" */
	char *id;
	char *structure;           /* column 36 (Structure), NULL when not used */
};

/* A BAL type rule: every condition that is set must hold (AND). No condition = always. */
struct conf_bal_rule {
	char *name;
	enum bal_type type;
	char *if_column;           /* mapped column key that must be non-empty, e.g. "rpps" */
	char *if_attribute;        /* directory attribute that must be present ... */
	char *if_value;            /* ... and, when set, hold this value (case-insensitive) */
	char *if_match;            /* "/RE/[i]": a value of if-attribute, or the if-column cell,
				      must match (checked by map_new) */
	char *if_table;            /* table name: a value (or the cell) must match one of its keys */
	char *if_member_of;        /* group DN the person must belong to (transitively) */
	char *if_dn_suffix;        /* person DN ends with this (e.g. "ou=internes,dc=chu,dc=fr") */
	int line_match, line_table;   /* lines of if-match and if-table (0: unknown) */
};

/* A value table (table "NAME"): KEY => VALUE pairs, from entry in order, then from the file's
 * lines in order. A key is plain text (compared folded, utf8_fold) or "/RE/" (a POSIX extended
 * expression matched against the folded value); conf_load has checked the syntax, map_new
 * compiles the expressions. */
struct conf_table_entry {
	char *key, *value;         /* trimmed */
	const char *file;          /* where it was read: the config's path or the table's file */
	int line;
};
struct conf_table {
	char *name;
	struct conf_table_entry *entries;
	size_t nentries;
	char *file;                /* the TSV file (absolute, or relative to the working
				      directory), NULL when not used */
	char *dflt;                /* output when no key matches; NULL when unset */
	int line;                  /* line of the section's closing brace */
};

struct conf_directory {
	char *name;                /* section title */
	enum flavor flavor;
	char *uri;                 /* ldap://, ldaps://, ldapi:// ; NULL when ldif is set */
	char *ldif;                /* LDIF file standing in for a server */
	bool starttls;
	char *ca_file;
	enum tls_reqcert tls_reqcert;
	char *bind_dn;
	char *bind_password_file;
	char *sasl_mech;           /* "EXTERNAL", "GSSAPI" or NULL for simple bind */
	char *sasl_authzid;
	char *sasl_secprops;       /* e.g. "maxssf=0" for AD over TLS */
	char *krb5_keytab;         /* GSSAPI: client keytab (KRB5_CLIENT_KTNAME) */
	char *krb5_ccache;         /* GSSAPI: ticket cache (KRB5CCNAME) */
	char **bases;              /* people bases */
	size_t nbases;
	char *people_filter;
	char **group_bases;        /* default: bases */
	size_t ngroup_bases;
	char *group_filter;        /* ORG groups, NULL when none */
	char **group_dns;          /* ORG groups by DN */
	size_t ngroup_dns;
	char *id_attribute;        /* stable id: entryUUID / objectGUID */
	char *disabled_filter;     /* people matching it are disabled (client-side eval) */
	char *disabled_attribute;  /* present => disabled (pwdAccountLockedTime) */
	char *end_date_attribute;  /* accountExpires, shadowExpire, or a contract end date */
	enum date_form end_date_format;   /* how end_date_attribute is written */
	char *owner_attribute;     /* owner / managedBy */
	char **member_attributes;  /* member, uniqueMember, memberUid */
	size_t nmember_attributes;
	char *uid_attribute;       /* to resolve memberUid: uid / sAMAccountName */
	int page_size;
	int range_size;            /* 0: follow the server's ranges only */
	int network_timeout;       /* seconds */
	int timeout;               /* seconds, per operation */
	char *structure;           /* name of the structure section used for this directory */
	const struct conf_structure *st;   /* resolved */
};

/* The ORG mailbox mapping: templates over the group's attributes. */
struct conf_org {
	char *mail, *nom, *prenom, *description;
	char *default_owner;       /* DN of a person used when a group has no owner */
	char *responsible_nom, *responsible_prenom, *responsible_profession, *responsible_rpps;
	/* lines of the templates above, in the order mail, nom, prenom, description,
	 * responsible-nom, -prenom, -profession, -rpps (0: not in the file) */
	int line[8];
};

struct conf_output {
	char *directory;
	int directory_line;        /* its line in the file, 0 for the default */
	enum out_format format;
	char *csv_separator;       /* one character */
	char *csv_encoding;        /* "utf-8" or "windows-1252" */
	bool csv_bom;
	bool csv_transliterate;    /* windows-1252: letters it lacks (Ł) become their base (L) */
	enum value_form value_form;
	int keep;                  /* number of files to keep, 0 = all */
	char *post_command;
};

struct conf_limits {
	int max_expire_count;      /* default 50 */
	double max_expire_percent; /* default 10 */
	double max_org_loss_percent;   /* default 50 */
	int grace_days;            /* Date de péremption = today + grace_days; default 0 */
};

/* --- national directory (issue 15) ------------------------------------------------------- */
/* The national-directory section: the ANS's extracts on disk and the index built from them. */
struct conf_national {
	char *extract;             /* activity extract: a path or glob (its last match is used) */
	char *mssante_extract;     /* MSSanté extract, path or glob; NULL when not used */
	char *index;               /* the index file (default: national.idx next to state-file) */
	int max_age;               /* days: warn when the extract is older; 0 = never */
	char **mssante_domains;    /* the establishment's MSSanté domains, lower case (for
				      {national:mssante-local}); NULL-terminated */
	size_t nmssante_domains;
};
/* --- end of national directory ------------------------------------------------------------ */

/* reconcile --commit: values changed by hand in Medimail's console are overwritten by the
 * directory's at the next apply (default), or kept while the directory's value stays the
 * one medimail-sync wrote. */
struct conf_reconcile {
	bool keep_hand_edits;      /* hand-edits = keep */
};

struct config {
	char *path;
	char *state_file;
	struct conf_structure *structures;
	size_t nstructures;
	struct conf_directory *directories;
	size_t ndirectories;
	char *map[NCOLS];          /* template per column; NULL = empty */
	int map_line[NCOLS];       /* line of each map option (0: a default) */
	/* map-type "T": template per column for BAL type T; NULL = unset (the map one is used),
	 * "" = empty for this type. Indexed by enum bal_type (ORG stays unset). */
	char *type_map[BAL_NTYPES][NCOLS];
	int type_map_line[BAL_NTYPES][NCOLS];
	struct conf_table *tables;
	size_t ntables;
	struct conf_bal_rule *rules;
	size_t nrules;
	struct conf_org org;
	struct conf_output output;
	struct conf_limits limits;
	struct conf_reconcile reconcile;
	/* severity overrides: rule id -> severity */
	char **sev_rule;
	enum severity *sev_value;
	size_t nsev;
	/* extra list values: list name ("profession", "specialite", ...) and values */
	char **list_name;
	char **list_value;
	size_t nlist;
	char **list_replace;       /* list names whose defaults are replaced, not extended */
	size_t nlist_replace;
	/* national directory (issue 15): NULL when the config has no national-directory section */
	struct conf_national *national;
};

/* Load and validate. Returns NULL after logging every error found. */
struct config *conf_load(const char *path) WUR;
/* The checks other modules make on a whole configuration (the mapper compiles templates,
 * rules and tables): an allocated text of errors, one per line, each naming its file and
 * line, or NULL when there is none. */
typedef char *(*conf_check_fn)(const struct config *c);
/* conf_load, and check run on the configuration built, even when the file has errors of its
 * own, so that every error of the file is logged at once; its errors make the load fail. */
struct config *conf_load_checked(const char *path, conf_check_fn check) WUR;
void conf_free(struct config *c);
/* The CSV separator rule, one copy for the validator and the writer: one ASCII character,
 * not a quote (the cells' quoting), an apostrophe (the formula guard) or an end of line.
 * Inline: the writer's tests do not link conf*.c. */
static inline bool conf_csv_separator_ok(const char *v)
{
	return v && v[0] && !v[1] && (unsigned char)v[0] < 0x80 && !strchr("\"'\r\n", v[0]);
}
/* What apply needs of the file system that loading does not check (check-config): the output
 * directory exists and is a directory. NULL, or an allocated "FILE:LINE: option: why". */
char *conf_check_paths(const struct config *c) WUR;
/* Names of every option, for the man page consistency test: "section.option" NULL-terminated */
const char *const *conf_option_names(void);

#endif
