/*
 * test_dir.c - unit tests of dir.c and dir_conn.c: filter escaping, GUID text, client-side
 * filters, the password file check and LDIF sources (no server needed).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dir.h"
#include "ldif.h"
#include "tmpdir.h"
#include "log.h"

/* Run-time scratch directory, removed at the end. */
static char tmpdir[4096];

static char *write_tmp(const char *name, const char *text, mode_t mode)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* Capture what is logged to stderr while f runs. */
static int saved_fd = -1;
static char *cap_path;

static void capture_start(void)
{
	int fd;

	fflush(stderr);
	cap_path = xasprintf("%s/stderr", tmpdir);
	fd = open(cap_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	saved_fd = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *capture_end(void)
{
	struct strbuf sb = { 0 };
	char buf[256];
	FILE *f;
	size_t n;

	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	f = fopen(cap_path, "r");
	assert_non_null(f);
	sb_add(&sb, "");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_addn(&sb, buf, n);
	fclose(f);
	unlink(cap_path);
	free(cap_path);
	return sb_steal(&sb);
}

static void test_filter_escape(void **state)
{
	char *s;

	(void)state;
	s = dir_filter_escape("a*b(c)\\d");
	assert_string_equal(s, "a\\2ab\\28c\\29\\5cd");
	free(s);
	s = dir_filter_escape("Hélène O'Neil");
	assert_string_equal(s, "Hélène O'Neil");
	free(s);
	s = dir_filter_escape("");
	assert_string_equal(s, "");
	free(s);
}

static void test_guid_text(void **state)
{
	/* worked by hand: the first three fields are little-endian, the rest in order */
	static const unsigned char g[16] = {
		0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};
	static const unsigned char z[16] = { 0x01 };
	char *s;

	(void)state;
	s = dir_guid_text(g, sizeof(g));
	assert_string_equal(s, "00112233-4455-6677-8899-aabbccddeeff");
	free(s);
	s = dir_guid_text(z, sizeof(z));
	assert_string_equal(s, "00000001-0000-0000-0000-000000000000");
	free(s);
	assert_null(dir_guid_text(g, 15));
}

static void person(struct entry *e)
{
	static const char *const av[][2] = {
		{ "objectClass", "top" }, { "objectClass", "inetOrgPerson" },
		{ "uid", "hdupont" }, { "cn", "Hélène Dupont" }, { "cn", "a*b" },
		{ "sn", "Dupont" }, { "mail", " h.dupont@chu.example " },
		{ "userAccountControl", "514" }, { "uidNumber", "1500" },
		{ "modifyTimestamp", "20240315120000Z" },
	};

	memset(e, 0, sizeof(*e));
	e->dn = xstrdup("uid=hdupont,ou=people,dc=chu,dc=example");
	for (size_t i = 0; i < ARRAY_SIZE(av); i++)
		entry_add_value(e, av[i][0], av[i][1], strlen(av[i][1]));
}

static void test_filter_match(void **state)
{
	static const struct {
		const char *filter;
		int want;
	} cases[] = {
		{ "(uid=hdupont)", 1 },
		{ "(UID= HDUPONT )", 1 },
		{ "(uid=hdupon)", 0 },
		{ "uid=hdupont", 1 },
		{ "(objectClass=INETORGPERSON)", 1 },
		{ "(objectclass=*)", 1 },
		{ "(mail=h.dupont@chu.example)", 1 },
		{ "(&(uid=hdupont)(objectClass=inetOrgPerson))", 1 },
		{ "(&(uid=hdupont)(objectClass=groupOfNames))", 0 },
		{ "(| (uid=x) (uid=hdupont) )", 1 },
		{ "(|(uid=x)(uid=y))", 0 },
		{ "(!(uid=hdupont))", 0 },
		{ "(!(telephoneNumber=1))", 1 },
		{ "(&)", 1 },
		{ "(|)", 0 },
		{ "(mail=*)", 1 },
		{ "(telephoneNumber=*)", 0 },
		{ "(cn=HÉL*)", 1 },
		{ "(cn=*dup*)", 1 },
		{ "(cn=*ONT)", 1 },
		{ "(cn=h*n*o*t)", 1 },
		{ "(cn=h*e*e*t)", 0 },
		{ "(cn=*xyz*)", 0 },
		{ "(cn=dupont*)", 0 },
		{ "(cn=a\\2ab)", 1 },
		{ "(cn=a\\2a)", 0 },
		{ "(cn=a*\\62)", 1 },
		{ "(userAccountControl:1.2.840.113556.1.4.803:=2)", 1 },
		{ "(userAccountControl:1.2.840.113556.1.4.803:=18)", 0 },
		{ "(userAccountControl:1.2.840.113556.1.4.804:=18)", 1 },
		{ "(!(userAccountControl:1.2.840.113556.1.4.803:=2))", 0 },
		{ "(uidNumber>=1000)", 1 },
		{ "(uidNumber<=999)", 0 },
		{ "(uidNumber<=10000)", 1 },      /* numeric, not "1500" > "10000" */
		{ "(sn>=M)", 0 },
		{ "(sn<=e)", 1 },
		{ "(modifyTimestamp>=20240101000000Z)", 1 },
		{ "(modifyTimestamp<=20240101000000Z)", 0 },
		/* malformed */
		{ "(uid=x", -1 },
		{ "uid=x)", -1 },
		{ "(&(uid=x)", -1 },
		{ "(uid=a(b)", -1 },
		{ "(uid=\\zz)", -1 },
		{ "(uid=\\2)", -1 },
		{ "(=x)", -1 },
		{ "(uid~x)", -1 },
		{ "((uid=x))", -1 },
		{ "(uid=x)(uid=y)", -1 },
		{ "(!(uid=x)(uid=y))", -1 },
		{ "(uidNumber>=1*)", -1 },
		{ "(memberOf:1.2.840.113556.1.4.1941:=cn=g)", -1 },
		{ "(userAccountControl:1.2.840.113556.1.4.803:=two)", -1 },
		{ "", -1 },
	};
	struct entry e;

	(void)state;
	person(&e);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int got = dir_filter_match(cases[i].filter, &e);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].filter, got, cases[i].want);
	}
	assert_int_equal(dir_filter_match(NULL, &e), -1);
	entry_free(&e);
}

/* The attributes a filter tests, as the evaluator parses it: every branch of &, | and !,
 * each name once whatever its case, after the names already there. */
static void test_filter_attrs(void **state)
{
	char **names = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(dir_filter_attrs(NULL, &names, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(dir_filter_attrs("(&(objectClass=user)(|(uid=a*)(!(CN~=b)))"
					  "(userAccountControl:1.2.840.113556.1.4.803:=2)"
					  "(UID>=c)(description;lang-fr<=d\\28))", &names, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(names[0], "objectClass");
	assert_string_equal(names[1], "uid");
	assert_string_equal(names[2], "CN");
	assert_string_equal(names[3], "userAccountControl");
	assert_string_equal(names[4], "description;lang-fr");
	assert_null(names[5]);
	/* a bare item, as dir_filter_match takes it; a name already there is not added */
	assert_int_equal(dir_filter_attrs("mail=x", &names, &n), 0);
	assert_int_equal(dir_filter_attrs("cn=*", &names, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(names[5], "mail");
	/* malformed: -1, the names before the fault kept */
	assert_int_equal(dir_filter_attrs("(|(sn=a)(=b))", &names, &n), -1);
	assert_int_equal(n, 7);
	assert_string_equal(names[6], "sn");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void conf_init(struct conf_directory *d)
{
	memset(d, 0, sizeof(*d));
	d->name = "test";
	d->page_size = 500;
	d->network_timeout = 2;
	d->timeout = 5;
}

static void test_password_mode(void **state)
{
	struct conf_directory d;
	struct dir_session *s;
	char *pw = write_tmp("bind.pw", "s3cr3t-pw\n", 0644), *log;

	(void)state;
	conf_init(&d);
	d.uri = "ldap://127.0.0.1:1";
	d.bind_dn = "cn=reader,dc=example";
	d.bind_password_file = pw;
	capture_start();
	s = dir_open(&d);
	log = capture_end();
	assert_null(s);
	assert_non_null(strstr(log, ": mode 0644 is readable by group or others; chmod 600 it"));
	assert_non_null(strstr(log, pw));
	assert_null(strstr(log, "contact"));   /* refused before connecting */
	free(log);

	/* 0600: accepted, then the connection fails; the password never shows */
	assert_int_equal(chmod(pw, 0600), 0);
	log_init("test_dir", false, LOG_DEBUG);
	capture_start();
	s = dir_open(&d);
	log = capture_end();
	log_init("test_dir", false, LOG_ERR);
	assert_null(s);
	assert_non_null(strstr(log, "ldap://127.0.0.1:1: simple bind as cn=reader,dc=example: "
				    "Can't contact LDAP server"));
	assert_null(strstr(log, "s3cr3t"));
	free(log);

	/* empty, and missing */
	free(write_tmp("bind.pw", "\n", 0600));
	capture_start();
	s = dir_open(&d);
	log = capture_end();
	assert_null(s);
	assert_non_null(strstr(log, "is empty"));
	free(log);
	unlink(pw);
	capture_start();
	s = dir_open(&d);
	log = capture_end();
	assert_null(s);
	assert_non_null(strstr(log, "No such file"));
	free(log);

	/* a FIFO is refused at once: open() used to wait for a writer forever (alarm: the
	 * test dies instead of hanging) */
	assert_int_equal(mkfifo(pw, 0600), 0);
	alarm(10);
	capture_start();
	s = dir_open(&d);
	log = capture_end();
	alarm(0);
	assert_null(s);
	assert_non_null(strstr(log, ": the bind password file is not a regular file"));
	free(log);
	unlink(pw);

	/* a symbolic link is refused, even to a good file: the configuration names the file
	 * itself, whose mode is checked */
	{
		char *target = write_tmp("bind.pw.real", "s3cr3t-pw\n", 0600);

		assert_int_equal(symlink(target, pw), 0);
		capture_start();
		s = dir_open(&d);
		log = capture_end();
		assert_null(s);
		assert_non_null(strstr(log, ": the bind password file is a symbolic link"));
		assert_null(strstr(log, "contact"));
		free(log);
		unlink(pw);
		unlink(target);
		free(target);
	}
	free(pw);
}

static const char ldif_text[] =
	"version: 1\n"
	"\n"
	"# the suffix\n"
	"dn: dc=ex,dc=org\n"
	"objectClass: domain\n"
	"dc: ex\n"
	"\n"
	"dn: ou=people,dc=ex,dc=org\n"
	"objectClass: organizationalUnit\n"
	"ou: people\n"
	"\n"
	"dn: uid=a,ou=people,dc=ex,dc=org\n"
	"objectClass: inetOrgPerson\n"
	"uid: a\n"
	"cn: Alice\n"
	"sn: A\n"
	"mail: a@ex.org\n"
	"objectGUID:: MyIRAFVEd2aImaq7zN3u/w==\n"
	"\n"
	"dn: uid=b,ou=people,dc=ex,dc=org\n"
	"objectClass: inetOrgPerson\n"
	"uid: b\n"
	"cn: Bob\n"
	"sn: B\n"
	"description: a long line that is\n"
	"  folded\n"
	"\n"
	"dn: uid=c,ou=sub,ou=people,dc=ex,dc=org\n"
	"objectClass: inetOrgPerson\n"
	"uid: c\n"
	"cn: Carol\n"
	"sn: C\n"
	"\n"
	"dn: cn=g,dc=ex,dc=org\n"
	"objectClass: groupOfNames\n"
	"cn: g\n"
	"member: uid=a,ou=people,dc=ex,dc=org\n"
	"member: uid=b,ou=people,dc=ex,dc=org\n";

/* The DNs a search gives, "DN|" each, through the pull iterator; uid=a's entry is taken into
 * *kept (when kept is not NULL). *rc: 0, or -1 on error. */
static char *search(struct dir_session *s, const char *base, enum dir_scope scope,
		    const char *filter, const char *const *attrs, int *rc, struct entry *kept)
{
	struct dir_search *q = dir_search_start(s, base, scope, filter, attrs);
	struct strbuf dns = { 0 };
	struct entry *e, mine = { 0 };

	sb_add(&dns, "");
	while ((*rc = dir_next_entry(q, &e)) == 1) {
		sb_addf(&dns, "%s|", e->dn);
		if (strcmp(e->dn, "uid=a,ou=people,dc=ex,dc=org") == 0)
			dir_entry_steal(&mine, e);
	}
	dir_search_end(q);
	if (kept)
		*kept = mine;
	else
		entry_free(&mine);
	return sb_steal(&dns);
}

static void test_ldif_search(void **state)
{
	static const char *const mail_only[] = { "mail", "objectGUID", NULL };
	struct conf_directory d;
	struct dir_session *s;
	struct entry kept;
	const struct attr *a;
	char *path = write_tmp("dir.ldif", ldif_text, 0600), *r;
	int rc;

	(void)state;
	conf_init(&d);
	d.ldif = path;
	s = dir_open(&d);
	assert_non_null(s);

	r = search(s, "ou=people,dc=ex,dc=org", DIR_SCOPE_SUB, "(objectClass=inetOrgPerson)", NULL,
		   &rc, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(r, "uid=a,ou=people,dc=ex,dc=org|uid=b,ou=people,dc=ex,dc=org|"
			       "uid=c,ou=sub,ou=people,dc=ex,dc=org|");
	free(r);
	r = search(s, "OU=People, DC=ex,dc=ORG", DIR_SCOPE_ONE, NULL, NULL, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(r, "uid=a,ou=people,dc=ex,dc=org|uid=b,ou=people,dc=ex,dc=org|");
	free(r);
	r = search(s, "dc=ex,dc=org", DIR_SCOPE_SUB, "(|(uid=b)(member=*))", NULL, &rc, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(r, "uid=b,ou=people,dc=ex,dc=org|cn=g,dc=ex,dc=org|");
	free(r);

	/* base scope, requested attributes only, binary value whole, entry kept */
	r = search(s, "uid=a,ou=people,dc=ex,dc=org", DIR_SCOPE_BASE, "(objectClass=*)",
		   mail_only, &rc, &kept);
	assert_int_equal(rc, 0);
	assert_string_equal(r, "uid=a,ou=people,dc=ex,dc=org|");
	free(r);
	assert_string_equal(kept.dn, "uid=a,ou=people,dc=ex,dc=org");
	assert_int_equal(kept.nattrs, 2);
	assert_string_equal(entry_get(&kept, "mail"), "a@ex.org");
	assert_null(entry_get(&kept, "cn"));
	a = entry_attr(&kept, "objectguid");
	assert_non_null(a);
	assert_int_equal(a->lens[0], 16);
	r = dir_guid_text((const unsigned char *)a->vals[0], a->lens[0]);
	assert_string_equal(r, "00112233-4455-6677-8899-aabbccddeeff");
	free(r);
	entry_free(&kept);

	/* a folded line is joined */
	r = search(s, "dc=ex,dc=org", DIR_SCOPE_SUB, "(description=a long line that is folded)",
		   NULL, &rc, NULL);
	assert_string_equal(r, "uid=b,ou=people,dc=ex,dc=org|");
	free(r);

	/* errors: a missing base, a bad filter; a search ended early */
	capture_start();
	r = search(s, "ou=nowhere,dc=ex,dc=org", DIR_SCOPE_SUB, NULL, NULL, &rc, NULL);
	free(capture_end());
	assert_int_equal(rc, -1);
	free(r);
	capture_start();
	r = search(s, "dc=ex,dc=org", DIR_SCOPE_SUB, "(uid=a", NULL, &rc, NULL);
	free(capture_end());
	assert_int_equal(rc, -1);
	free(r);
	{
		/* the caller may stop early: the entry it holds lives until dir_search_end() */
		struct dir_search *q = dir_search_start(s, "dc=ex,dc=org", DIR_SCOPE_SUB, NULL,
							 NULL);
		struct entry *e;

		assert_int_equal(dir_next_entry(q, &e), 1);
		assert_non_null(e->dn);
		dir_search_end(q);
	}
	assert_int_equal(dir_search_count(s), 8);
	dir_close(s);
	free(path);
}

/* Open d on an LDIF file holding text: NULL and a log holding want, or a session if !want. */
static void ldif_case(struct conf_directory *d, const char *text, size_t len, const char *want)
{
	struct dir_session *s;
	char *path = xasprintf("%s/case.ldif", tmpdir), *log;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	d->ldif = path;
	capture_start();
	s = dir_open(d);
	log = capture_end();
	if (want ? s || !strstr(log, want) : !s)
		fail_msg("%.60s: got %s, \"%s\", want \"%s\"", text, s ? "a session" : "NULL", log,
			 want ? want : "a session");
	dir_close(s);
	free(log);
	free(path);
}

static void test_ldif_errors(void **state)
{
	/* each with the line at fault; the inputs of issue 17 crashed libldap's parser (a
	 * record number alone, a "-" line, a line starting with ':') or made it read a local
	 * file (":<"), which could put a password into the loadusers file */
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "dn: dc=ex,dc=org\nobjectClass: domain\n\ndn: ou=x,dc=ex,dc=org\n"
		  "objectClass: organizationalUnit\nthis line has no colon\n",
		  "case.ldif:6: malformed LDIF record: expected \"attribute: value\"" },
		{ "6\n", "case.ldif:1: malformed LDIF record: expected" },
		{ "6\ndn: dc=ex,dc=org\ndc: ex\n", "case.ldif:1: malformed LDIF record: expected" },
		{ "dn: uid=x,dc=example,dc=org\n-\n", "case.ldif:2: malformed LDIF record" },
		{ "dn:\n:\n", "case.ldif:2: malformed LDIF record" },
		{ "dn: cn=a,dc=ex\n: no name\n", "case.ldif:2: malformed LDIF record" },
		{ "\n\n# c\n cont\n\ncn: a\ndn: cn=a,dc=ex\n",
		  "case.ldif:6: malformed LDIF record: the record does not start with a dn: line" },
		{ "dn: cn=a,dc=ex\n\n cn: a\n", "case.ldif:3: malformed LDIF record: a continuation" },
		{ "dn: cn=a,dc=ex\ncn:: YW=J\n", "case.ldif:2: malformed LDIF record: bad base64" },
		{ "dn: cn=a,dc=ex\ncn:: YWJjZ\n", "case.ldif:2: malformed LDIF record: bad base64" },
		{ "dn:: Y249YQBi\ncn: a\n", "case.ldif:1: malformed LDIF record: a NUL byte in the dn" },
		{ "version: 2\n\ndn: cn=a,dc=ex\n", "case.ldif:1: malformed LDIF record: unsupported" },
		{ "dn: cn=a,dc=ex\ncn: a\n\nversion: 1\n",
		  "case.ldif:4: malformed LDIF record: the record does not start with a dn:" },
		{ "dn: cn=a,dc=ex\ngivenName:< file:///etc/hostname\n",
		  "case.ldif:2: a value given as a URL (\":<\") is refused" },
		{ "dn: cn=a,dc=ex\ncn:< file:///dev/zero\n", "case.ldif:2: a value given as a URL" },
		{ "dn: cn=a,dc=ex\ncn: a\ncn:<file:///dev/zero\n", "case.ldif:3: a value given as a URL" },
		{ "dn: cn=a,dc=ex\ncontrol: 1.2.3 true\ncn: a\n",
		  "case.ldif:1: cn=a,dc=ex: only entries are supported" },
		{ "\ndn: cn=a,dc=ex\nChangeType: modify\nreplace: cn\ncn: b\n-\n",
		  "case.ldif:2: cn=a,dc=ex: only entries are supported" },
		/* accepted: a version line alone or before the first entry, comments anywhere
		 * (continued too), CRLF, base64 without padding, no blank line at the end */
		{ "version: 1\n", NULL },
		{ "version: 1\ndn: dc=ex,dc=org\ndc: ex\n", NULL },
		{ "# a comment\n  continued\r\ndn: dc=ex,dc=org\r\n# in\r\ndc:: ZXg\r\n\r\n\r\n", NULL },
		{ "", NULL },
	};
	struct conf_directory d;

	(void)state;
	conf_init(&d);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ldif_case(&d, cases[i].text, strlen(cases[i].text), cases[i].want);
	/* a NUL byte in a line */
	ldif_case(&d, "dn: cn=a,dc=ex\ncn: a\0b\n", 22, "case.ldif:2: malformed LDIF record: a NUL");

	d.ldif = "/nonexistent/x.ldif";
	capture_start();
	assert_null(dir_open(&d));
	{
		char *log = capture_end();

		assert_non_null(strstr(log, "/nonexistent/x.ldif: cannot open the LDIF file"));
		free(log);
	}
}

/* The caps: one attribute line (unfolded) and one record, each refused one byte over. */
static void test_ldif_caps(void **state)
{
	size_t line = LDIF_LINE_MAX, rec = LDIF_RECORD_MAX;
	size_t cap = rec + line + 64, n;
	char *text = xmalloc(cap);
	struct conf_directory d;

	(void)state;
	conf_init(&d);
	/* a value line exactly at the cap is read; one byte more is refused */
	n = (size_t)sprintf(text, "dn: cn=a,dc=ex\ndescription: ");
	memset(text + n, 'x', line - 13);
	n += line - 13;
	text[n++] = '\n';
	ldif_case(&d, text, n, NULL);
	memcpy(text + n - 1, "x\n", 2);
	ldif_case(&d, text, n + 1, "case.ldif:2: attribute line longer than 2097152 bytes");
	/* the same over folded lines: the line of the attribute is named */
	n = (size_t)sprintf(text, "dn: cn=a,dc=ex\ncn: a\ndescription: x\n");
	for (size_t k = 0; k < 3; k++) {
		text[n++] = ' ';
		memset(text + n, 'y', line / 2);
		n += line / 2;
		text[n++] = '\n';
	}
	ldif_case(&d, text, n, "case.ldif:3: attribute line longer than");
	/* a physical line with no end at all (no newline: a file like /dev/zero made of text) */
	memset(text, 'z', line + 10);
	ldif_case(&d, text, line + 10, "case.ldif:1: attribute line longer than");
	/* a record of many lines, each under the line cap */
	n = (size_t)sprintf(text, "dn: cn=a,dc=ex\ncn: a\n\ndn: cn=b,dc=ex\n");
	while (n < rec + 100) {
		size_t k = (size_t)sprintf(text + n, "description: ");

		memset(text + n + k, 'w', 1000);
		text[n + k + 1000] = '\n';
		n += k + 1001;
	}
	ldif_case(&d, text, n, "case.ldif:4: record longer than 33554432 bytes: refused");
	free(text);
}

static int setup(void **state)
{
	(void)state;
	log_init("test_dir", false, LOG_ERR);
	return tmpdir_make(tmpdir, sizeof(tmpdir), "test_dir");
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_escape),
		cmocka_unit_test(test_guid_text),
		cmocka_unit_test(test_filter_match),
		cmocka_unit_test(test_filter_attrs),
		cmocka_unit_test(test_password_mode),
		cmocka_unit_test(test_ldif_search),
		cmocka_unit_test(test_ldif_errors),
		cmocka_unit_test(test_ldif_caps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
