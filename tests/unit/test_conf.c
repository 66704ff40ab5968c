/* test_conf.c - cmocka unit tests for conf*.c: values, flavor defaults, validators, errors. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conf.h"
#include "log.h"

/* Linked with -Wl,--wrap=log_located: every message conf.c hands to the logger is recorded
 * here as "PRIO|TEXT\n", then written by the real logger (stderr, as the tests read it). */
void __wrap_log_located(int prio, const char *text);
void __real_log_located(int prio, const char *text);
static struct strbuf logged;

void __wrap_log_located(int prio, const char *text)
{
	sb_addf(&logged, "%d|%s\n", prio, text);
	__real_log_located(prio, text);
}

/* Source tree root, from this file's path: .../tests/unit/test_conf.c */
static char *src_path(const char *rel)
{
	const char *file = __FILE__;
	const char *end = strstr(file, "tests/unit/test_conf.c");

	return xasprintf("%.*s%s", end ? (int)(end - file) : 0, file, rel);
}

/* conf_load() with stderr captured into *errors (caller frees). */
static struct config *load_capture(const char *path, char **errors)
{
	char tmpl[] = "/tmp/test_conf_err.XXXXXX";
	int fd = mkstemp(tmpl), saved;
	struct config *c;
	struct strbuf sb = { 0 };
	char buf[4096];
	ssize_t n;

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	c = conf_load(path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sb_addn(&sb, buf, (size_t)n);
	close(fd);
	unlink(tmpl);
	*errors = sb_steal(&sb);
	return c;
}

/* Write text to a temporary config file; returns its path (caller unlinks and frees). */
static char *write_conf(const char *text)
{
	char *path = xstrdup("/tmp/test_conf.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* Load the file at path, expect failure, and expect each of the expected lines (with
 * "path:" prepended) in stderr. expected ends with NULL. */
static void expect_file_errors(const char *path, const char *const *expected)
{
	char *errors = NULL;
	struct config *c = load_capture(path, &errors);

	if (c)
		fail_msg("loaded, should not have: %s", path);
	for (; *expected; expected++) {
		char *want = xasprintf("%s:%s", path, *expected);

		if (!strstr(errors, want))
			fail_msg("missing \"%s\" in:\n%s", want, errors);
		free(want);
	}
	free(errors);
}

/* The same for a configuration given as text. */
static void expect_errors(const char *text, const char *const *expected)
{
	char *path = write_conf(text);

	expect_file_errors(path, expected);
	unlink(path);
	free(path);
}

static void test_good_openldap(void **state)
{
	char *path = src_path("tests/fixtures/conf/good-openldap.conf"), *errors = NULL;
	struct config *c = load_capture(path, &errors);
	const struct conf_directory *d;

	(void)state;
	assert_non_null(c);
	assert_string_equal(errors, "");
	assert_string_equal(c->state_file, "/tmp/ms-test/state.db");
	assert_string_equal(c->output.directory, "/tmp/ms-test/out");
	assert_int_equal(c->output.format, OUT_CSV);
	assert_string_equal(c->output.csv_separator, ",");
	assert_string_equal(c->output.csv_encoding, "windows-1252");
	assert_true(c->output.csv_bom);
	assert_int_equal(c->output.value_form, FORM_CODE_LABEL);
	assert_int_equal(c->output.keep, 12);
	assert_string_equal(c->output.post_command, "/usr/local/bin/after-apply");
	assert_int_equal(c->limits.max_expire_count, 20);
	assert_true(c->limits.max_expire_percent == 5.5);
	assert_true(c->limits.max_org_loss_percent == -1);
	assert_int_equal(c->limits.grace_days, 7);
	assert_true(c->reconcile.keep_hand_edits);

	assert_int_equal(c->nstructures, 1);
	assert_string_equal(c->structures[0].name, "chu");
	assert_string_equal(c->structures[0].adresse1, "1 avenue de l'Hôpital");
	assert_string_equal(c->structures[0].id_type, "SIRET");
	assert_null(c->structures[0].adresse2);
	assert_null(c->structures[0].structure);

	assert_int_equal(c->ndirectories, 1);
	d = &c->directories[0];
	assert_string_equal(d->name, "annuaire");
	assert_int_equal(d->flavor, FLAVOR_OPENLDAP);
	assert_string_equal(d->uri, "ldaps://ldap1.chu.example ldaps://ldap2.chu.example");
	assert_null(d->ldif);
	assert_int_equal(d->tls_reqcert, TLS_ALLOW);
	/* the password file is only named here: it does not exist */
	assert_string_equal(d->bind_password_file, "/nonexistent/bind.pw");
	assert_int_equal(d->nbases, 2);
	assert_string_equal(d->bases[1], "ou=externes,dc=chu,dc=example");
	/* group-base defaults to base */
	assert_int_equal(d->ngroup_bases, 2);
	assert_string_equal(d->group_bases[0], "ou=people,dc=chu,dc=example");
	assert_string_equal(d->group_filter, "(objectClass=medimailOrgMailbox)");
	/* flavor defaults where unset, explicit values elsewhere */
	assert_string_equal(d->id_attribute, "entryUUID");
	assert_string_equal(d->people_filter, "(objectClass=inetOrgPerson)");
	assert_null(d->disabled_filter);
	assert_string_equal(d->disabled_attribute, "pwdAccountLockedTime");
	assert_string_equal(d->end_date_attribute, "medimailAccountEndDate");
	assert_string_equal(d->owner_attribute, "owner");
	assert_int_equal(d->nmember_attributes, 1);
	assert_string_equal(d->member_attributes[0], "member");
	assert_string_equal(d->uid_attribute, "uid");
	assert_int_equal(d->page_size, 200);
	assert_int_equal(d->network_timeout, 10);
	assert_int_equal(d->timeout, 30);
	/* the only structure is the default one */
	assert_string_equal(d->structure, "chu");
	assert_ptr_equal(d->st, &c->structures[0]);

	/* map: explicit entries, "" = empty, defaults for the rest */
	assert_string_equal(c->map[COL_RPPS], "{medimailRPPS|digits|strip:8:12}");
	assert_string_equal(c->map[COL_NOM], "{sn|upper}");
	assert_null(c->map[COL_ADRESSE2]);
	assert_string_equal(c->map[COL_MAIL], "{mail|trim|lower}");
	assert_string_equal(c->map[COL_ADRESSE1], "{street/$adresse-1|trim}");
	/* defaults pass the product's own rules: VILLE trimmed and in upper case */
	assert_string_equal(c->map[COL_VILLE], "{l/$ville|trim|upper}");
	assert_string_equal(c->map[COL_LIBERAL], "NON");
	assert_null(c->map[COL_TYPE_BAL]);
	assert_null(c->map[COL_SERVICE]);

	assert_int_equal(c->nrules, 3);
	assert_string_equal(c->rules[0].name, "per-rpps");
	assert_int_equal(c->rules[0].type, BAL_PER);
	assert_string_equal(c->rules[0].if_column, "rpps");
	assert_int_equal(c->rules[1].type, BAL_INT);
	assert_string_equal(c->rules[1].if_value, "interne");
	assert_int_equal(c->rules[2].type, BAL_MED);
	assert_null(c->rules[2].if_column);

	assert_string_equal(c->org.mail, "{mail|trim|lower}");
	assert_string_equal(c->org.nom, "{cn|trim|upper}");     /* NOM is in upper case */
	assert_string_equal(c->org.default_owner, "uid=dsi,ou=people,dc=chu,dc=example");
	/* responsible defaults to the people mapping */
	assert_string_equal(c->org.responsible_nom, "{sn|upper}");
	assert_string_equal(c->org.responsible_rpps, "{medimailRPPS|digits|strip:8:12}");

	assert_int_equal(c->nsev, 2);
	assert_string_equal(c->sev_rule[0], "finess-key");
	assert_int_equal(c->sev_value[0], SEV_WARNING);
	assert_string_equal(c->sev_rule[1], "rpps-key");
	assert_int_equal(c->sev_value[1], SEV_OFF);
	assert_int_equal(c->nlist, 3);
	assert_string_equal(c->list_name[1], "profession");
	assert_string_equal(c->list_value[1], "Art-thérapeute");
	assert_string_equal(c->list_name[2], "specialite");
	assert_int_equal(c->nlist_replace, 1);
	assert_string_equal(c->list_replace[0], "specialite");
	conf_free(c);
	free(errors);
	free(path);
}

static void test_good_ad(void **state)
{
	char *path = src_path("tests/fixtures/conf/good-ad.conf"), *errors = NULL;
	struct config *c = load_capture(path, &errors);
	const struct conf_directory *d;

	(void)state;
	assert_non_null(c);
	assert_string_equal(errors, "");
	d = &c->directories[0];
	assert_int_equal(d->flavor, FLAVOR_AD);
	assert_true(d->starttls);
	assert_string_equal(d->sasl_mech, "GSSAPI");
	assert_string_equal(d->id_attribute, "objectGUID");
	assert_string_equal(d->people_filter, "(&(objectCategory=person)(objectClass=user))");
	assert_string_equal(d->disabled_filter, "(userAccountControl:1.2.840.113556.1.4.803:=2)");
	assert_null(d->disabled_attribute);
	assert_string_equal(d->end_date_attribute, "accountExpires");
	assert_string_equal(d->owner_attribute, "managedBy");
	assert_int_equal(d->nmember_attributes, 1);
	assert_string_equal(d->member_attributes[0], "member");
	assert_string_equal(d->uid_attribute, "sAMAccountName");
	assert_int_equal(d->page_size, 500);
	assert_int_equal(d->tls_reqcert, TLS_DEMAND);
	assert_null(d->structure);
	assert_null(d->st);
	assert_string_equal(c->map[COL_ADRESSE1], "{streetAddress/$adresse-1|trim}");
	/* built-in defaults */
	assert_string_equal(c->state_file, LOCALSTATEDIR "/lib/medimail-sync/state.db");
	assert_string_equal(c->output.directory, LOCALSTATEDIR "/lib/medimail-sync/out");
	assert_int_equal(c->output.format, OUT_XLSX);
	assert_string_equal(c->output.csv_separator, ";");
	assert_int_equal(c->limits.max_expire_count, 50);
	assert_true(c->limits.max_expire_percent == 10);
	assert_true(c->limits.max_org_loss_percent == 50);
	assert_int_equal(c->limits.grace_days, 0);
	assert_false(c->reconcile.keep_hand_edits);
	/* default rules: PER if rpps, PER if adeli, MED */
	assert_int_equal(c->nrules, 3);
	assert_string_equal(c->rules[0].if_column, "rpps");
	assert_string_equal(c->rules[1].if_column, "adeli");
	assert_int_equal(c->rules[1].type, BAL_PER);
	assert_int_equal(c->rules[2].type, BAL_MED);
	assert_null(c->rules[2].if_column);
	conf_free(c);
	free(errors);
	free(path);
}

static void test_unknown_option(void **state)
{
	char *path = src_path("tests/fixtures/conf/bad-unknown-option.conf");

	(void)state;
	expect_file_errors(path, (const char *const[]){ "5: peopel-filter: no such option",
							NULL });
	free(path);
}

static void test_duplicate_title(void **state)
{
	char *path = src_path("tests/fixtures/conf/bad-duplicate-title.conf");

	(void)state;
	expect_file_errors(path, (const char *const[]){ "4: title 'chu'", NULL });
	free(path);
}

/* Every error of the file is reported, each at its line. */
static void test_bad_values_file(void **state)
{
	char *path = src_path("tests/fixtures/conf/bad-values.conf");
	static const char *const expected[] = {
		"2: id-type: \"FINES\" is not one of: FINESS, SIRET, SIREN\n",
		"4: flavor: \"samba\" is not one of: openldap, ad\n",
		"5: uri: \"http://ldap.example\": scheme must be ldap://, ldaps:// or ldapi://\n",
		"6: tls-reqcert: \"hard\" is not one of: demand, allow, never\n",
		"7: page-size: 20000 is out of range (1 to 10000)\n",
		"8: network-timeout: 0 is out of range (at least 1)\n",
		"9: structure: no structure section \"nope\"\n",
		"12: format: \"ods\" is not one of: xlsx, csv\n",
		NULL
	};

	(void)state;
	expect_file_errors(path, expected);
	free(path);
}

#define DIR_OK "directory \"d\" { ldif = \"x.ldif\" base = \"dc=x\" }\n"

/* check-config's look at the output directory (issue 17): apply would fail on it */
static void test_check_paths(void **state)
{
	char dir[] = "/tmp/test_conf_out.XXXXXX";
	char *text, *path, *errors = NULL, *err;
	struct config *c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	text = xasprintf(DIR_OK "output {\n format = csv\n directory = \"%s\"\n}\n", dir);
	path = write_conf(text);
	c = load_capture(path, &errors);
	assert_non_null(c);
	assert_null(conf_check_paths(c));       /* it exists */
	assert_int_equal(rmdir(dir), 0);
	err = conf_check_paths(c);              /* gone */
	assert_non_null(err);
	{
		char *want = xasprintf("%s:4: output.directory: %s does not exist", path, dir);

		assert_non_null(strstr(err, want));
		free(want);
	}
	free(err);
	assert_int_equal(close(open(dir, O_WRONLY | O_CREAT, 0600)), 0);
	err = conf_check_paths(c);              /* a file */
	assert_non_null(err);
	assert_non_null(strstr(err, ":4: output.directory: "));
	assert_non_null(strstr(err, " is not a directory"));
	free(err);
	unlink(dir);
	conf_free(c);
	free(errors);
	unlink(path);
	free(path);
	free(text);

	/* the default, named as such (no line) */
	path = write_conf(DIR_OK);
	c = load_capture(path, &errors);
	assert_non_null(c);
	err = conf_check_paths(c);
	if (access(c->output.directory, F_OK) != 0) {
		char *want = xasprintf("%s: output.directory: %s (the default) does not exist",
				       path, c->output.directory);

		assert_non_null(err);
		assert_non_null(strstr(err, want));
		free(want);
	}
	free(err);
	conf_free(c);
	free(errors);
	unlink(path);
	free(path);
}

static void test_validators(void **state)
{
	(void)state;
	expect_errors(DIR_OK "output {\n csv-separator = \";;\"\n}\n", (const char *const[]){
		"3: csv-separator: must be exactly one ASCII character", NULL });
	/* those the CSV writer refuses, refused here (issue 17): the same function decides */
	{
		static const char *const bad[] = { "'", "\\\"", "\\n", "\\r", "é", "", NULL };

		for (size_t i = 0; bad[i]; i++) {
			char *text = xasprintf(DIR_OK "output {\n csv-separator = \"%s\"\n}\n",
					       bad[i]);

			expect_errors(text, (const char *const[]){
				"3: csv-separator: must be exactly one ASCII character", NULL });
			free(text);
		}
		assert_true(conf_csv_separator_ok(";"));
		assert_true(conf_csv_separator_ok("\t"));
		assert_false(conf_csv_separator_ok("'"));
		assert_false(conf_csv_separator_ok(NULL));
	}
	expect_errors(DIR_OK "output { csv-encoding = \"latin1\" }\n", (const char *const[]){
		"2: csv-encoding: \"latin1\" is not one of: utf-8, windows-1252", NULL });
	expect_errors(DIR_OK "output { value-form = \"both\" }\n", (const char *const[]){
		"2: value-form: \"both\" is not one of", NULL });
	expect_errors(DIR_OK "limits {\n max-expire-percent = 100.5\n}\n", (const char *const[]){
		"3: max-expire-percent: 100.5 is not a percentage", NULL });
	expect_errors(DIR_OK "limits { max-org-loss-percent = -2 }\n", (const char *const[]){
		"2: max-org-loss-percent: -2 is not a percentage", NULL });
	expect_errors(DIR_OK "limits { max-expire-count = -5 }\n", (const char *const[]){
		"2: max-expire-count: -5 is out of range (at least -1)", NULL });
	expect_errors(DIR_OK "reconcile { hand-edits = ignore }\n", (const char *const[]){
		"2: hand-edits: \"ignore\" is not one of: overwrite, keep", NULL });
	expect_errors(DIR_OK "limits { grace-days = x }\n", (const char *const[]){
		"2: grace-days: invalid integer value for option", NULL });
	expect_errors(DIR_OK "severity = { \"rpps-key:warning\",\n \"finess-key\" }\n",
		      (const char *const[]){
		"3: severity: \"finess-key\": expected \"rule:level\"", NULL });
	expect_errors(DIR_OK "severity = { \"rpps-key:fatal\" }\n", (const char *const[]){
		"2: severity: \"rpps-key:fatal\": level must be error, warning or off", NULL });
	expect_errors(DIR_OK "bal-rule \"x\" { type = ORG }\n", (const char *const[]){
		"2: type: ORG mailboxes come from groups", NULL });
	expect_errors(DIR_OK "bal-rule \"x\" { type = PER if-column = \"RPPS\" }\n",
		      (const char *const[]){
		"2: if-column: \"RPPS\" is not a column key", NULL });
	expect_errors(DIR_OK "bal-rule \"x\" {\n if-value = \"a\"\n}\n", (const char *const[]){
		"4: bal-rule \"x\": type is required", "4: bal-rule \"x\": if-value needs", NULL });
	expect_errors(DIR_OK "list \"professions\" { add = { \"x\" } }\n", (const char *const[]){
		"2: list: \"professions\" is not a code list", NULL });
	expect_errors(DIR_OK "map {\n type-bal = \"PER\"\n}\n", (const char *const[]){
		"3: type-bal: set by the bal-rule sections", NULL });
	expect_errors(DIR_OK "map {\n adresse_mail = \"{mail}\"\n}\n", (const char *const[]){
		"3: adresse_mail: no such option", NULL });
	expect_errors("directory \"d\" {\n uri = \"ldap://a\"\n ldif = \"x.ldif\"\n"
		      " base = { \"dc=x\" }\n}\n", (const char *const[]){
		"3: directory \"d\": set uri or ldif, not both", NULL });
	expect_errors("directory \"d\" {\n flavor = ad\n}\n", (const char *const[]){
		"3: directory \"d\": set uri (a server) or ldif (an export)", NULL });
	expect_errors("directory \"d\" {\n uri = \"ldap://a\"\n}\n", (const char *const[]){
		"3: directory \"d\": base: at least one base DN is needed", NULL });
	/* an LDIF export needs one too: without, apply read 0 people (issue 17) */
	expect_errors("directory \"d\" {\n ldif = \"x.ldif\"\n}\n", (const char *const[]){
		"3: directory \"d\": base: at least one base DN is needed", NULL });
	expect_errors("directory \"d\" {\n uri = \"ldaps://a\"\n starttls = true\n"
		      " base = { \"dc=x\" }\n}\n", (const char *const[]){
		"2: starttls: not with an ldaps:// URI", NULL });
	expect_errors("directory \"d\" {\n ldif = \"x\" base = \"dc=x\"\n sasl-mech = \"PLAIN\"\n}\n",
		      (const char *const[]){
		"3: sasl-mech: \"PLAIN\" is not one of: EXTERNAL, GSSAPI", NULL });
	expect_errors("structure \"a\" { }\nstructure \"b\" { }\n" DIR_OK, (const char *const[]){
		"3: directory \"d\": structure: required when there are several", NULL });
	expect_errors("directory \"d\" { ldif = \"x\" base = \"dc=x\" timeout = 0 range-size = -1 }\n",
		      (const char *const[]){
		"1: timeout: 0 is out of range", "1: range-size: -1 is out of range", NULL });
	expect_errors("directory \"d\" {\n uri = \"ldap://a\"\n base = { \"dc=x\" }\n"
		      " range-size = 1000\n}\n", (const char *const[]){
		"4: range-size: range retrieval is an Active Directory feature", NULL });
}

/* Comments anywhere (libconfuse 3.3 miscounts lines after them and refuses them in lists);
 * '#' inside a quoted string is not a comment. */
static void test_comments(void **state)
{
	char *path = write_conf("# one\n# two\n/* three\n four */\ndirectory \"d\" {\n"
				" ldif = \"exp#1.ldif\" base = \"dc=x\" // five\n"
				" base = { \"dc=a\", # six\n \"dc=b\" }\n}\n");
	char *errors = NULL;
	struct config *c = load_capture(path, &errors);

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->directories[0].ldif, "exp#1.ldif");
	assert_int_equal(c->directories[0].nbases, 2);
	assert_string_equal(c->directories[0].bases[1], "dc=b");
	conf_free(c);
	free(errors);
	unlink(path);
	free(path);
	expect_errors("# one\n# two\n/* three\n four */\ndirectory \"d\" {\n ldif = \"x\" base = \"dc=x\"\n"
		      " timeout = 0\n}\n", (const char *const[]){ "7: timeout: 0 is out", NULL });
}

static void test_no_directory(void **state)
{
	(void)state;
	expect_errors("state-file = \"/tmp/x.db\"\n",
		      (const char *const[]){ " directory: at least one directory section", NULL });
}

static void test_missing_file(void **state)
{
	char *errors = NULL;

	(void)state;
	assert_null(load_capture("/nonexistent/medimail-sync.conf", &errors));
	assert_non_null(strstr(errors, "/nonexistent/medimail-sync.conf: cannot read"));
	free(errors);
}

/* AD page size over 1000: a warning, not an error. */
static void test_ad_page_size_warning(void **state)
{
	char *path = write_conf("directory \"d\" {\n flavor = ad\n ldif = \"x\" base = \"dc=x\"\n"
				" page-size = 2000\n}\n"), *errors = NULL;
	struct config *c = load_capture(path, &errors);
	char *want = xasprintf("%s:4: page-size: warning: 2000", path);

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->directories[0].page_size, 2000);
	assert_non_null(strstr(errors, want));
	conf_free(c);
	free(want);
	free(errors);
	unlink(path);
	free(path);
}

/* Explicit values win over flavor defaults, even empty ones. */
static void test_flavor_override(void **state)
{
	char *path = write_conf("directory \"d\" {\n flavor = ad\n ldif = \"x\" base = \"dc=x\"\n"
				" disabled-filter = \"\"\n id-attribute = \"employeeID\"\n"
				" member-attribute = { \"member\", \"memberUid\" }\n}\n");
	char *errors = NULL;
	struct config *c = load_capture(path, &errors);

	(void)state;
	assert_non_null(c);
	assert_null(c->directories[0].disabled_filter);
	assert_string_equal(c->directories[0].id_attribute, "employeeID");
	assert_int_equal(c->directories[0].nmember_attributes, 2);
	assert_string_equal(c->directories[0].member_attributes[1], "memberUid");
	assert_string_equal(c->directories[0].owner_attribute, "managedBy");
	conf_free(c);
	free(errors);
	unlink(path);
	free(path);
}

/* The shipped examples parse. */
static void test_examples(void **state)
{
	static const char *const files[] = {
		"conf/medimail-sync.conf", "conf/openldap-schema.conf",
		"conf/several-structures.conf",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = src_path(files[i]), *errors = NULL;
		struct config *c = load_capture(path, &errors);

		if (!c)
			fail_msg("%s:\n%s", path, errors);
		conf_free(c);
		free(errors);
		free(path);
	}
}

static void test_several_structures(void **state)
{
	char *path = src_path("conf/several-structures.conf"), *errors = NULL;
	struct config *c = load_capture(path, &errors);

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->nstructures, 2);
	assert_int_equal(c->ndirectories, 2);
	assert_ptr_equal(c->directories[0].st, &c->structures[0]);
	assert_ptr_equal(c->directories[1].st, &c->structures[1]);
	conf_free(c);
	free(errors);
	free(path);
}

/* national-directory: optional; extract required in it; the index next to the state file. */
static void test_national_section(void **state)
{
	static const char *const no_extract[] = {
		"3: max-age: -2 is out of range (0 to 3650 days; 0: no check)",
		"4: mssante-domains: \"@x.fr\" is not a domain name (e.g. "
		"\"chu-exemple.mssante.fr\")",
		"4: mssante-domains: \"fr\" is not a domain name (e.g. \"chu-exemple.mssante.fr\")",
		"5: national-directory: extract is required", NULL
	};
	char *path = write_conf("state-file = \"/srv/ms/state.db\"\n"
				"directory \"d\" { ldif = \"x\" base = \"dc=x\" }\n"), *errors = NULL;
	struct config *c = load_capture(path, &errors);

	(void)state;
	assert_non_null(c);
	assert_null(c->national);
	conf_free(c);
	unlink(path);
	free(path);
	free(errors);
	path = write_conf("state-file = \"/srv/ms/state.db\"\n"
			  "directory \"d\" { ldif = \"x\" base = \"dc=x\" }\n"
			  "national-directory { extract = \"/n/PS_*.txt\" max-age = 0\n"
			  " mssante-domains = { \"CHU-Exemple.mssante.fr\", \"b.fr\" } }\n");
	c = load_capture(path, &errors);
	assert_non_null(c);
	assert_non_null(c->national);
	assert_string_equal(c->national->extract, "/n/PS_*.txt");
	assert_null(c->national->mssante_extract);
	assert_string_equal(c->national->index, "/srv/ms/national.idx");
	assert_int_equal(c->national->max_age, 0);
	assert_int_equal(c->national->nmssante_domains, 2);
	assert_string_equal(c->national->mssante_domains[0], "chu-exemple.mssante.fr");
	assert_string_equal(c->national->mssante_domains[1], "b.fr");
	conf_free(c);
	unlink(path);
	free(path);
	free(errors);
	expect_errors("directory \"d\" { ldif = \"x\" base = \"dc=x\" }\nnational-directory {\n"
		      " max-age = -2\n mssante-domains = { \"@x.fr\", \"ok.fr\", \"fr\" }\n}\n",
		      no_extract);
}

static void test_option_names(void **state)
{
	const char *const *names = conf_option_names();
	bool seen_state = false, seen_dir_uri = false, seen_map_nom = false, seen_type_bal = false;
	bool seen_hand_edits = false;
	size_t n = 0;

	(void)state;
	for (; names[n]; n++) {
		seen_state |= strcmp(names[n], "state-file") == 0;
		seen_dir_uri |= strcmp(names[n], "directory.uri") == 0;
		seen_map_nom |= strcmp(names[n], "map.nom") == 0;
		seen_type_bal |= strcmp(names[n], "map.type-bal") == 0;
		seen_hand_edits |= strcmp(names[n], "reconcile.hand-edits") == 0;
	}
	assert_true(seen_state && seen_dir_uri && seen_map_nom && seen_hand_edits);
	assert_false(seen_type_bal);
	/* 2 top-level + 9 output + 4 limits + 1 reconcile + 10 structure + 31 directory + 35 map
	 * + 35 map-type + 3 table + 8 bal-rule + 9 org + 2 list + 5 national-directory */
	assert_int_equal(n, 154);
	assert_ptr_equal(names, conf_option_names());
}

/* Load text that must parse; returns the config (caller frees), errors (warnings) in *errors. */
static struct config *load_text(const char *text, char **path, char **errors)
{
	struct config *c;

	*path = write_conf(text);
	c = load_capture(*path, errors);
	if (!c)
		fail_msg("did not load:\n%s\n%s", text, *errors);
	return c;
}

static void unload(struct config *c, char *path, char *errors)
{
	conf_free(c);
	unlink(path);
	free(path);
	free(errors);
}

/* The end date's form follows the attribute unless set. */
static void test_end_date_format(void **state)
{
	static const struct {
		const char *dir;
		const char *attr;
		enum date_form form;
	} cases[] = {
		{ "ldif = \"x\" base = \"dc=x\"", "shadowExpire", DATE_FORM_DAYS },
		{ "ldif = \"x\" base = \"dc=x\"\n flavor = ad", "accountExpires", DATE_FORM_AD },
		{ "ldif = \"x\" base = \"dc=x\"\n end-date-attribute = \"SHADOWEXPIRE\"", "SHADOWEXPIRE",
		  DATE_FORM_DAYS },
		{ "ldif = \"x\" base = \"dc=x\"\n end-date-attribute = \"accountexpires\"", "accountexpires",
		  DATE_FORM_AD },
		{ "ldif = \"x\" base = \"dc=x\"\n end-date-attribute = \"contractEnd\"", "contractEnd",
		  DATE_FORM_AUTO },
		{ "ldif = \"x\" base = \"dc=x\"\n end-date-format = iso", "shadowExpire", DATE_FORM_ISO },
		{ "ldif = \"x\" base = \"dc=x\"\n flavor = ad\n end-date-format = \"gentime\"", "accountExpires",
		  DATE_FORM_GENTIME },
		{ "ldif = \"x\" base = \"dc=x\"\n end-date-format = auto", "shadowExpire", DATE_FORM_AUTO },
		{ "ldif = \"x\" base = \"dc=x\"\n end-date-format = days", "shadowExpire", DATE_FORM_DAYS },
		{ "ldif = \"x\" base = \"dc=x\"\n end-date-format = unix", "shadowExpire", DATE_FORM_UNIX },
		{ "ldif = \"x\" base = \"dc=x\"\n end-date-format = AD", "shadowExpire", DATE_FORM_AD },
		{ "ldif = \"x\" base = \"dc=x\"\n end-date-format = dmy", "shadowExpire", DATE_FORM_DMY },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = xasprintf("directory \"d\" {\n %s\n}\n", cases[i].dir), *path, *errors;
		struct config *c = load_text(text, &path, &errors);

		assert_string_equal(c->directories[0].end_date_attribute, cases[i].attr);
		assert_int_equal(c->directories[0].end_date_format, cases[i].form);
		unload(c, path, errors);
		free(text);
	}
	expect_errors("directory \"d\" {\n ldif = \"x\" base = \"dc=x\"\n end-date-format = \"yyyymmdd\"\n}\n",
		      (const char *const[]){ "3: end-date-format: \"yyyymmdd\" is not one of: "
		      "auto, gentime, ad, days, unix, iso, dmy", NULL });
}

/* map-type sections, if-match and if-table, and the lines map_new's errors will name. */
static void test_lang_options(void **state)
{
	char *path, *errors;
	struct config *c = load_text(
		DIR_OK                                                         /* 1 */
		"map {\n"                                                      /* 2 */
		" rpps = '{employeeNumber|match:/^8([0-9]{11})$/}'\n"          /* 3 */
		" profession = \"{title|table:profession}\"\n"                  /* 4 */
		"}\n"                                                          /* 5 */
		"map-type \"INT\" {\n"                                         /* 6 */
		" profession = \"Interne\"\n"                                  /* 7 */
		" telephone-1 = \"\"\n"                                        /* 8 */
		"}\n"                                                          /* 9 */
		"map-type per { civilite-exercice = \"{civ}\" }\n"             /* 10 */
		"bal-rule \"int\" {\n"                                         /* 11 */
		" type = INT\n"                                                /* 12 */
		" if-attribute = \"title\"\n"                                  /* 13 */
		" if-match = '/^interne\\/x/i'\n"                              /* 14 */
		"}\n"                                                          /* 15 */
		"bal-rule \"by-table\" { type = PER if-column = \"profession\"\n" /* 16 */
		"  if-table = \"profession\" }\n"                              /* 17 */
		"org {\n"                                                      /* 18 */
		" nom = \"{cn|upper}\"\n"                                      /* 19 */
		"}\n"                                                          /* 20 */
		"table \"profession\" { entry = { \"IDE => Infirmier\" } }\n", /* 21 */
		&path, &errors);

	(void)state;
	assert_string_equal(c->map[COL_RPPS], "{employeeNumber|match:/^8([0-9]{11})$/}");
	assert_int_equal(c->map_line[COL_RPPS], 3);
	assert_int_equal(c->map_line[COL_PROFESSION], 4);
	assert_int_equal(c->map_line[COL_MAIL], 0);       /* a default */
	assert_string_equal(c->type_map[BAL_INT][COL_PROFESSION], "Interne");
	assert_int_equal(c->type_map_line[BAL_INT][COL_PROFESSION], 7);
	assert_string_equal(c->type_map[BAL_INT][COL_TEL1], "");    /* empty for INT */
	assert_int_equal(c->type_map_line[BAL_INT][COL_TEL1], 8);
	assert_null(c->type_map[BAL_INT][COL_NOM]);                  /* unset: the map one */
	assert_string_equal(c->type_map[BAL_PER][COL_CIVILITE], "{civ}");
	assert_null(c->type_map[BAL_MED][COL_CIVILITE]);
	assert_int_equal(c->nrules, 2);
	/* single quotes keep the backslash of \/ */
	assert_string_equal(c->rules[0].if_match, "/^interne\\/x/i");
	assert_int_equal(c->rules[0].line_match, 14);
	assert_null(c->rules[0].if_table);
	assert_string_equal(c->rules[1].if_table, "profession");
	assert_int_equal(c->rules[1].line_table, 17);
	assert_string_equal(c->org.nom, "{cn|upper}");
	assert_int_equal(c->org.line[1], 19);
	assert_int_equal(c->org.line[0], 0);
	assert_int_equal(c->ntables, 1);
	assert_string_equal(errors, "");
	unload(c, path, errors);
}

static void test_map_type_errors(void **state)
{
	(void)state;
	expect_errors(DIR_OK "map-type \"ORG\" {\n nom = \"x\"\n}\n", (const char *const[]){
		"4: map-type: \"ORG\": ORG mailboxes come from groups (org section)", NULL });
	expect_errors(DIR_OK "map-type \"interne\" { }\n", (const char *const[]){
		"2: map-type: \"interne\" is not a BAL type: PER, INT or MED", NULL });
	expect_errors(DIR_OK "map-type \"INT\" { }\nmap-type \"INT\" { }\n", (const char *const[]){
		"3: title 'INT'", NULL });
	expect_errors(DIR_OK "map-type \"INT\" { }\nmap-type \"int\" {\n}\n", (const char *const[]){
		"4: map-type: \"int\": another map-type section is for INT", NULL });
	expect_errors(DIR_OK "map-type \"MED\" {\n type-bal = \"PER\"\n}\n", (const char *const[]){
		"3: type-bal: set by the bal-rule sections", NULL });
	expect_errors(DIR_OK "map-type \"MED\" {\n nome = \"x\"\n}\n", (const char *const[]){
		"3: nome: no such option", NULL });
}

static void test_rule_pattern_errors(void **state)
{
	(void)state;
	expect_errors(DIR_OK "bal-rule \"x\" {\n type = INT\n if-match = \"/a/\"\n}\n",
		      (const char *const[]){ "4: bal-rule \"x\": if-match needs exactly one of "
		      "if-attribute and if-column (the values it tests)", NULL });
	expect_errors(DIR_OK "bal-rule \"x\" {\n type = INT\n if-table = \"t\"\n"
		      " if-attribute = \"title\"\n if-column = \"profession\"\n}\n"
		      "table \"t\" { entry = { \"a => b\" } }\n",
		      (const char *const[]){ "4: bal-rule \"x\": if-table needs exactly one of "
		      "if-attribute and if-column", NULL });
	expect_errors(DIR_OK "bal-rule \"x\" {\n type = INT\n if-attribute = \"title\"\n"
		      " if-value = \"IDE\"\n if-match = \"/a/\"\n}\n",
		      (const char *const[]){ "6: bal-rule \"x\": if-match cannot be combined with "
		      "if-value", NULL });
}

/* A TSV file for a table: path relative to the directory of the config. */
static char *write_file_in(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
	return path;
}

static void test_tables(void **state)
{
	char dir[] = "/tmp/test_conf_tables.XXXXXX";
	char *tsv, *empty, *conf, *errors = NULL, *want;
	struct config *c;
	const struct conf_table *t;

	(void)state;
	assert_non_null(mkdtemp(dir));
	tsv = write_file_in(dir, "prof.tsv",
			    "\xef\xbb\xbf# title\tprofession\n"          /* 1: BOM, comment */
			    "\n"                                           /* 2 */
			    "Cadre de santé\tCadre de santé\r\n"           /* 3: CRLF */
			    "  /^sage.femme/ \t Sage-Femme \n"             /* 4 */
			    "infirmiere de bloc\tdouble\n"                 /* 5: already line 4 */
			    "Empty\t\n");                                  /* 6: "" */
	empty = write_file_in(dir, "comments.tsv", "# nothing yet\n\n");
	conf = write_file_in(dir, "ms.conf",
			     DIR_OK                                                  /* 1 */
			     "table \"profession\" {\n"                              /* 2 */
			     " entry = { \"Infirmière de bloc => Infirmier\",\n"     /* 3 */
			     "   '/^ide( |$)/ => Infirmier',\n"                      /* 4 */
			     "   \" /a=>b/ => x => y \" }\n"                         /* 5 */
			     " file = \"prof.tsv\"\n"                                /* 6 */
			     " default = \"\"\n"                                     /* 7 */
			     "}\n"                                                   /* 8 */
			     "table \"civ\" { entry = { \"INFIRMIERE-DE-BLOC => b\" } }\n"   /* 9 */
			     "table \"empty\" {\n file = \"comments.tsv\"\n}\n");        /* 10-12 */
	c = load_capture(conf, &errors);
	if (!c)
		fail_msg("%s", errors);
	assert_int_equal(c->ntables, 3);
	t = &c->tables[0];
	assert_string_equal(t->name, "profession");
	assert_string_equal(t->file, tsv);
	assert_non_null(t->dflt);
	assert_string_equal(t->dflt, "");
	assert_int_equal(t->line, 3);
	assert_int_equal(t->nentries, 7);
	assert_string_equal(t->entries[0].key, "Infirmière de bloc");
	assert_string_equal(t->entries[0].value, "Infirmier");
	assert_string_equal(t->entries[0].file, conf);
	assert_int_equal(t->entries[0].line, 3);
	assert_string_equal(t->entries[1].key, "/^ide( |$)/");
	assert_int_equal(t->entries[1].line, 4);
	/* split at the first => outside the /.../ key */
	assert_string_equal(t->entries[2].key, "/a=>b/");
	assert_string_equal(t->entries[2].value, "x => y");
	assert_int_equal(t->entries[2].line, 5);
	assert_string_equal(t->entries[3].key, "Cadre de santé");
	assert_string_equal(t->entries[3].value, "Cadre de santé");
	assert_string_equal(t->entries[3].file, tsv);
	assert_int_equal(t->entries[3].line, 3);
	assert_string_equal(t->entries[4].key, "/^sage.femme/");
	assert_string_equal(t->entries[4].value, "Sage-Femme");
	assert_int_equal(t->entries[5].line, 5);
	assert_string_equal(t->entries[6].key, "Empty");
	assert_string_equal(t->entries[6].value, "");
	assert_null(c->tables[1].dflt);
	/* a plain key met twice: a warning at the second, naming the first */
	want = xasprintf("%s:5: table \"profession\": warning: key \"infirmiere de bloc\" is "
			 "already at %s:3; the first one wins\n", tsv, conf);
	assert_non_null(strstr(errors, want));
	free(want);
	/* a table without a key: a warning */
	assert_int_equal(c->tables[2].nentries, 0);
	want = xasprintf("%s:11: table \"empty\": warning: no key (no entry, no line in a "
			 "file): every value is unmatched\n", conf);
	assert_non_null(strstr(errors, want));
	free(want);
	conf_free(c);
	free(errors);
	unlink(tsv);
	unlink(empty);
	unlink(conf);
	free(tsv);
	free(empty);
	free(conf);
	rmdir(dir);
}

static void test_table_errors(void **state)
{
	char dir[] = "/tmp/test_conf_tables.XXXXXX";
	char *tsv, *conf, *want[6];

	(void)state;
	assert_non_null(mkdtemp(dir));
	tsv = write_file_in(dir, "bad.tsv",
			    "ok\tyes\n"                   /* 1 */
			    "no tab here\n"               /* 2 */
			    "Infirmi\xe8re\tx\n"          /* 3: Latin-1 */
			    "\tempty key\n"               /* 4 */
			    "/^ide/i\tx\n");              /* 5 */
	conf = write_file_in(dir, "ms.conf",
			     DIR_OK                                                  /* 1 */
			     "table \"t\" {\n"                                       /* 2 */
			     " entry = { \"a => b\", \"no arrow\",\n"                /* 3 */
			     "  \"/x => y/\",\n"                                     /* 4 */
			     "  \" => z\" }\n"                                       /* 5 */
			     " file = \"bad.tsv\"\n"                                 /* 6 */
			     "}\n"                                                   /* 7 */
			     "table \"u\" {\n"                                       /* 8 */
			     " file = \"/nonexistent/u.tsv\"\n"                      /* 9 */
			     "}\n"                                                   /* 10 */
			     "table \"bad name\" { entry = { \"a => b\" } }\n");     /* 11 */
	want[0] = xasprintf("3: table \"t\": entry \"no arrow\": no => between key and value");
	want[1] = xasprintf("4: table \"t\": entry \"/x => y/\": no => between key and value");
	want[2] = xasprintf("5: table \"t\": empty key");
	want[3] = xasprintf("9: file: /nonexistent/u.tsv: cannot read: No such file or "
			    "directory");
	want[4] = xasprintf("11: table: \"bad name\": a table name is letters, digits");
	want[5] = NULL;
	expect_file_errors(conf, (const char *const *)want);
	for (int i = 0; want[i]; i++)
		free(want[i]);
	/* the errors of the TSV file name it and its lines (path relative to the config) */
	{
		char *errors = NULL;
		struct config *c = load_capture(conf, &errors);
		char *w[4];

		assert_null(c);
		w[0] = xasprintf("%s:2: table \"t\": no tab between key and value\n", tsv);
		w[1] = xasprintf("%s:3: table \"t\": not valid UTF-8 (save the file as UTF-8)\n",
				 tsv);
		w[2] = xasprintf("%s:4: table \"t\": empty key\n", tsv);
		w[3] = xasprintf("%s:5: table \"t\": key \"/^ide/i\": a regular expression key is "
				 "written /RE/, without flags", tsv);
		for (int i = 0; i < 4; i++) {
			if (!strstr(errors, w[i]))
				fail_msg("missing \"%s\" in:\n%s", w[i], errors);
			free(w[i]);
		}
		free(errors);
	}
	unlink(tsv);
	unlink(conf);
	free(tsv);
	free(conf);
	rmdir(dir);
}

/* The logger's side of log_located: each line is written as it is, without the program's
 * name, and escaped as log_msg escapes. */
static void test_log_located(void **state)
{
	char tmpl[] = "/tmp/test_conf_log.XXXXXX";
	int fd = mkstemp(tmpl), saved;
	char buf[256];
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	log_located(LOG_ERR, "a.conf:3: uri: bad\nb.tsv:4: table \"t\": key \"\x1b[31m\"");
	log_located(LOG_WARNING, "a.conf: page-size: warning: large\n");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(tmpl);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "a.conf:3: uri: bad\nb.tsv:4: table \"t\": key \"\\x1b[31m\"\n"
			    "a.conf: page-size: warning: large\n");
	sb_free(&logged);
}

static char *two_errors(const struct config *c)
{
	return xasprintf("%s:1: map: first\n%s:2: map: second", c->path, c->path);
}

/* One error path: libconfuse's messages (its error function), the validators' errors and
 * warnings, and the errors of the check function all reach the logger, with their file:line,
 * errors at LOG_ERR and warnings at LOG_WARNING (syslog's levels with --syslog). */
static void test_errors_to_logger(void **state)
{
	char *path = write_conf("directory \"d\" {\n"
				"  ldif = \"x.ldif\"\n"
				"  peopel-filter = \"(x=y)\"\n"
				"}\n");
	char *want[3];
	struct config *c;

	(void)state;
	sb_free(&logged);
	c = conf_load(path);
	assert_null(c);
	want[0] = xasprintf("%d|%s:3: peopel-filter: no such option\n", LOG_ERR, path);
	if (!strstr(logged.buf, want[0]))
		fail_msg("missing \"%s\" in:\n%s", want[0], logged.buf);
	free(want[0]);
	sb_free(&logged);

	unlink(path);
	free(path);
	path = write_conf("directory \"d\" {\n"
			  "  flavor = \"ad\"\n"
			  "  ldif = \"x.ldif\"\n"
			  "  base = \"dc=x\"\n"
			  "  page-size = 2000\n"
			  "}\n"
			  "output { format = \"ods\" }\n");
	c = conf_load_checked(path, two_errors);
	assert_null(c);
	want[0] = xasprintf("%d|%s:7: format: \"ods\" is not one of: xlsx, csv\n", LOG_ERR, path);
	want[1] = xasprintf("%d|%s:5: page-size: warning: 2000 is over Active Directory's "
			    "default MaxPageSize (1000)\n", LOG_WARNING, path);
	want[2] = xasprintf("%d|%s:1: map: first\n%s:2: map: second\n", LOG_ERR, path, path);
	for (int i = 0; i < 3; i++) {
		if (!strstr(logged.buf, want[i]))
			fail_msg("missing \"%s\" in:\n%s", want[i], logged.buf);
		free(want[i]);
	}
	sb_free(&logged);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_openldap),
		cmocka_unit_test(test_good_ad),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_duplicate_title),
		cmocka_unit_test(test_bad_values_file),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_check_paths),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_no_directory),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_ad_page_size_warning),
		cmocka_unit_test(test_flavor_override),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_several_structures),
		cmocka_unit_test(test_option_names),
		cmocka_unit_test(test_end_date_format),
		cmocka_unit_test(test_lang_options),
		cmocka_unit_test(test_map_type_errors),
		cmocka_unit_test(test_rule_pattern_errors),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_table_errors),
		cmocka_unit_test(test_national_section),
		cmocka_unit_test(test_log_located),
		cmocka_unit_test(test_errors_to_logger),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
