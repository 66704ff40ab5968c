/*
 * test_util.c - util.c (strings, hash map, DNs, files), utf8.c, model.c and columns.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "model.h"
#include "util.h"

static void check_upper(const char *in, const char *want)
{
	char *s = utf8_upper(in);

	assert_string_equal(s, want);
	free(s);
}

static void check_lower(const char *in, const char *want)
{
	char *s = utf8_lower(in);

	assert_string_equal(s, want);
	free(s);
}

/* utf8_fold, and utf8_fold_eq against the fold, a longer and a shorter text */
static void check_fold(const char *in, const char *want)
{
	char *s = utf8_fold(in), *more = xasprintf("%sx", want);

	assert_string_equal(s, want);
	assert_true(utf8_fold_eq(in, want));
	assert_false(utf8_fold_eq(in, more));
	if (*want) {
		more[strlen(want) - 1] = '\0';
		assert_false(utf8_fold_eq(in, more));
	}
	free(more);
	free(s);
}

static void test_upper(void **state)
{
	(void)state;
	check_upper("Hélène", "HÉLÈNE");
	check_upper("élodie françois", "ÉLODIE FRANÇOIS");
	check_upper("cœur ÿ", "CŒUR Ÿ");
	check_upper("Straße", "STRASSE");
	check_upper("łódź", "ŁÓDŹ");
	check_upper("abc123-_", "ABC123-_");
	check_upper("", "");
	check_upper("\xff\xfe", "\xff\xfe");     /* invalid bytes are copied */
	check_upper("Nguyễn Thị Ánh", "NGUYỄN THỊ ÁNH");     /* Latin Extended Additional */
}

static void test_lower(void **state)
{
	(void)state;
	check_lower("HÉLÈNE", "hélène");
	check_lower("Jean-PIERRE.Dupont@CHU.FR", "jean-pierre.dupont@chu.fr");
	check_lower("ŒUVRE Ÿ", "œuvre ÿ");
	check_lower("NGUYỄN ẞ", "nguyễn ß");
}

static void test_fold(void **state)
{
	(void)state;
	check_fold("Sage-Femme ", "sage femme");
	check_fold("  Masseur-Kinésithérapeute", "masseur kinesitherapeute");
	check_fold("Chirurgien - Dentiste", "chirurgien dentiste");
	check_fold("Provence-Alpes-Côte d'Azur", "provence alpes cote d azur");
	check_fold("Œdème", "oedeme");
	check_fold("Île-de-France", "ile de france");
	check_fold("ÀÉÎÕÜ", "aeiou");
	check_fold("Łukasz Żółw", "lukasz zolw");
	check_fold(" -- ", "");
	check_fold("NGUYỄN Thị", "nguyen thi");
	/* a stray byte is its Latin-1 letter, not lowered: é gives e, Ã stays */
	check_fold("H\xe9l\xc3ne", "hel\xc3\x83ne");
	assert_false(utf8_fold_eq("Martin", "martine"));
	assert_true(utf8_fold_eq("D'ARCY  LEFÈVRE", "d arcy lefevre"));
}

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(utf8_valid("Hélène", strlen("Hélène")));
	assert_false(utf8_valid("H\xe9l\xe8ne", 6));           /* Latin-1 bytes */
	assert_false(utf8_valid("\xc0\xaf", 2));               /* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));           /* surrogate */
	assert_false(utf8_valid("a\0b", 3));                   /* NUL inside */
	assert_true(utf8_valid("\xf0\x9f\x98\x80", 4));        /* emoji */
	assert_int_equal(utf8_len("Hélène"), 6);
}

static void test_trim(void **state)
{
	char *s = str_trim("  a b \t\n");

	(void)state;
	assert_string_equal(s, "a b");
	free(s);
	assert_true(str_empty(NULL));
	assert_true(str_empty(" \t"));
	assert_false(str_empty(" x"));
}

static void test_strbuf(void **state)
{
	struct strbuf sb = { 0 };
	char *s;

	(void)state;
	s = sb_steal(&sb);
	assert_string_equal(s, "");
	free(s);
	for (int i = 0; i < 1000; i++)
		sb_addf(&sb, "%d;", i % 10);
	assert_int_equal(sb.len, 2000);
	assert_memory_equal(sb.buf, "0;1;2;", 6);
	sb_free(&sb);
	assert_null(sb.buf);
	/* a short string stolen from a large buffer keeps its text (the slack is given back) */
	for (int i = 0; i < 100; i++)
		sb_addc(&sb, 'x');
	sb.len = 3;
	sb.buf[3] = '\0';
	s = sb_steal(&sb);
	assert_string_equal(s, "xxx");
	assert_null(sb.buf);
	assert_int_equal(sb.cap, 0);
	free(s);
}

static void test_hmap(void **state)
{
	struct hmap *h = hmap_new(true);
	size_t pos = 0, seen = 0;
	const char *k;
	void *v;
	char key[32];

	(void)state;
	for (intptr_t i = 1; i <= 10000; i++) {
		snprintf(key, sizeof(key), "CN=User%ld", (long)i);
		assert_null(hmap_put(h, key, (void *)i));
	}
	assert_int_equal(hmap_count(h), 10000);
	assert_ptr_equal(hmap_get(h, "cn=user77"), (void *)77);     /* case folded */
	assert_null(hmap_get(h, "cn=user10001"));
	assert_ptr_equal(hmap_put(h, "cn=USER5", (void *)5000), (void *)5);
	assert_ptr_equal(hmap_get(h, "CN=User5"), (void *)5000);
	while (hmap_next(h, &pos, &k, &v))
		seen++;
	assert_int_equal(seen, 10000);
	hmap_free(h);

	h = hmap_new(false);
	hmap_put(h, "a@x.fr", (void *)1);
	assert_null(hmap_get(h, "A@x.fr"));
	/* hmap_add inserts once and leaves the first value */
	assert_null(hmap_add(h, "b@x.fr", (void *)2));
	assert_ptr_equal(hmap_add(h, "b@x.fr", (void *)3), (void *)2);
	assert_ptr_equal(hmap_get(h, "b@x.fr"), (void *)2);
	assert_int_equal(hmap_count(h), 2);
	hmap_free(h);

	/* borrowed keys are the caller's strings, not copies */
	{
		char mine[] = "c@x.fr";

		h = hmap_new_borrowed(false);
		assert_null(hmap_add(h, mine, (void *)4));
		pos = 0;
		assert_true(hmap_next(h, &pos, &k, &v));
		assert_ptr_equal(k, mine);
		assert_ptr_equal(hmap_get(h, "c@x.fr"), (void *)4);
		hmap_free(h);
	}
}

/* dn_normalise(in) is want, and normalising it again changes nothing */
static void check_dn(const char *in, const char *want)
{
	char *a = dn_normalise(in), *b = dn_normalise(a);

	assert_string_equal(a, want);
	assert_string_equal(b, want);
	free(a);
	free(b);
}

static void test_dn_normalise(void **state)
{
	char *a = dn_normalise(" CN=Jean Dupont , OU=People,dc=CHU ,dc=fr ");
	char *b = dn_normalise("cn=jean dupont,ou=people,dc=chu,dc=fr");
	char *c = dn_normalise("cn=Smith\\, John,dc=x");

	(void)state;
	assert_string_equal(a, b);
	assert_string_equal(c, "cn=smith\\, john,dc=x");
	free(a);
	free(b);
	free(c);
	/* escaped blanks are data, even at the end; a lone trailing backslash is kept */
	check_dn("cn=a\\  , DC=X ", "cn=a\\ ,dc=x");
	check_dn("cn = A + sn = B ,dc=x\\ ", "cn=a+sn=b,dc=x\\ ");
	check_dn("cn=X\\\\ ,dc=Y", "cn=x\\\\,dc=y");
	check_dn("cn=A\\", "cn=a\\");
	check_dn("   ", "");
	check_dn("", "");
	check_dn("CN=Élise", "cn=Élise");
}

/* the whole content of PATH, or NULL */
static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char buf[256];
	size_t n;

	if (!fp)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return xstrdup(buf);
}

static void test_file_replace(void **state)
{
	char dir[] = "/tmp/test_util.XXXXXX", *path, *fifo, *missing, *s;
	char buf[64];
	struct stat st;
	ssize_t n;
	int rd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = xasprintf("%s/summary.json", dir);
	fifo = xasprintf("%s/stream", dir);
	missing = xasprintf("%s/no-such-dir/summary.json", dir);

	/* a new file, then the same replaced: whole content, the mode asked, no leftover */
	assert_int_equal(file_replace(path, "first\n", 6, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_replace(path, "second\n", 7, 0644), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	s = slurp(path);
	assert_string_equal(s, "second\n");
	free(s);

	/* a missing directory: -1 and ENOENT, nothing created */
	errno = 0;
	assert_int_equal(file_replace(missing, "x", 1, 0600), -1);
	assert_int_equal(errno, ENOENT);

	/* a FIFO is a stream: written into, still a FIFO afterwards (a rename put a file there) */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(file_replace(fifo, "through\n", 8, 0600), 0);
	n = read(rd, buf, sizeof(buf));
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "through\n", 8);
	close(rd);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));

	/* only the two names are left in the directory: no private temporary directory */
	unlink(fifo);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	free(path);
	free(fifo);
	free(missing);
}

static void test_tmpfile(void **state)
{
	char dir[] = "/tmp/test_util.XXXXXX", *final, *tmp = NULL, *priv, *err = NULL;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	final = xasprintf("%s/out.txt", dir);
	fd = tmpfile_open(final, &tmp);
	assert_true(fd >= 0);
	assert_non_null(strstr(tmp, "/.out.txt."));
	assert_int_equal(write(fd, "hello", 5), 5);
	assert_int_equal(tmpfile_commit(fd, tmp, final), 0);
	assert_int_equal(stat(final, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(access(tmp, F_OK), -1);     /* renamed away */
	priv = xstrdup(tmp);
	*strrchr(priv, '/') = '\0';
	assert_int_equal(access(priv, F_OK), -1);    /* its private directory removed */
	free(priv);
	free(tmp);

	/* issue 17: the temporary file lies in a private directory (0700) of its own, so that
	 * nobody can swap it for a symlink between a close and a reopen by name */
	fd = tmpfile_open(final, &tmp);
	assert_true(fd >= 0);
	priv = xstrdup(tmp);
	*strrchr(priv, '/') = '\0';
	assert_string_equal(strrchr(tmp, '/'), "/out.txt");
	assert_int_equal(lstat(priv, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(strncmp(priv, dir, strlen(dir)), 0);
	close(fd);
	tmpfile_discard(tmp);
	assert_int_equal(access(priv, F_OK), -1);
	free(priv);

	/* the directory check: ours and closed to group and others */
	assert_int_equal(dir_check_private(dir, "output directory", &err), 0);
	assert_null(err);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(dir_check_private(dir, "output directory", &err), -1);
	assert_non_null(strstr(err, "output directory"));
	assert_non_null(strstr(err, dir));
	assert_non_null(strstr(err, "mode 0775"));
	free(err);
	assert_int_equal(chmod(dir, 0700), 0);
	if (geteuid() == 0) {       /* another owner: only root can make one */
		assert_int_equal(chown(dir, 65534, 65534), 0);
		assert_int_equal(dir_check_private(dir, "state directory", &err), -1);
		assert_non_null(strstr(err, "owned by uid 65534"));
		free(err);
	}
	assert_int_equal(dir_check_private(final, "output directory", &err), -1);
	assert_non_null(strstr(err, "not a directory"));
	free(err);
	unlink(final);
	rmdir(dir);
	free(tmp);
	free(final);
}

static void test_row(void **state)
{
	struct row a = { 0 }, b = { 0 };

	(void)state;
	row_set(&a, COL_MAIL, "x@chu.fr");
	row_copy(&b, &a);
	assert_true(row_equal(&a, &b));
	row_set(&b, COL_NOM, "");
	assert_true(row_equal(&a, &b));      /* "" and NULL are both empty */
	row_take(&b, COL_NOM, xstrdup("DUPONT"));
	assert_false(row_equal(&a, &b));
	assert_string_equal(row_get(&a, COL_NOM), "");
	row_free(&a);
	row_free(&b);
}

/* Packed rows: one allocation, cells at offsets; a change unpacks; a row too long for
 * 16-bit offsets stays unpacked and reads the same. */
static void test_row_pack(void **state)
{
	struct row r = { 0 }, big = { 0 }, copy = { 0 };
	char *huge = xmalloc(70001);
	const char *v[NCOLS] = { 0 };
	size_t len[NCOLS] = { 0 };

	(void)state;
	row_set(&r, COL_MAIL, "a@chu.fr");
	row_set(&r, COL_VILLE, "MONTPELLIER");
	row_set(&r, COL_NOM, "");
	row_pack(&r);
	assert_string_equal(row_get(&r, COL_MAIL), "a@chu.fr");
	assert_string_equal(row_get(&r, COL_VILLE), "MONTPELLIER");
	assert_string_equal(row_get(&r, COL_NOM), "");
	assert_string_equal(row_get(&r, COL_STRUCTURE), "");
	row_set(&r, COL_NOM, "DUPONT");          /* unpacks */
	assert_string_equal(row_get(&r, COL_MAIL), "a@chu.fr");
	assert_string_equal(row_get(&r, COL_NOM), "DUPONT");
	row_pack(&r);
	row_pack(&r);                              /* twice is harmless */
	assert_string_equal(row_get(&r, COL_NOM), "DUPONT");

	memset(huge, 'x', 70000);
	huge[70000] = '\0';
	v[COL_MAIL] = "b@chu.fr";
	len[COL_MAIL] = 8;
	v[COL_CONNEXION] = huge;
	len[COL_CONNEXION] = 70000;
	row_fill(&big, v, len);
	assert_string_equal(row_get(&big, COL_MAIL), "b@chu.fr");
	assert_int_equal(strlen(row_get(&big, COL_CONNEXION)), 70000);
	assert_string_equal(row_get(&big, COL_NOM), "");
	row_pack(&big);
	assert_int_equal(strlen(row_get(&big, COL_CONNEXION)), 70000);
	/* the digest and equality do not depend on the representation */
	row_copy(&copy, &r);                       /* unpacked copy of the packed r */
	assert_true(row_equal(&copy, &r));
	assert_int_equal(row_digest(&copy), row_digest(&r));
	row_set(&copy, COL_NOM, "DUPOND");
	assert_false(row_digest(&copy) == row_digest(&r));
	row_free(&copy);
	row_copy(&copy, &big);
	assert_int_equal(row_digest(&copy), row_digest(&big));
	row_free(&copy);
	row_free(&big);
	row_free(&r);
	row_free(&r);
	free(huge);
}

/* Arena pieces never move, are aligned for pointers, and may be larger than a block. */
static void test_arena(void **state)
{
	struct arena a = { 0 };
	char *first, *p;
	void **ptrs;

	(void)state;
	first = arena_strndup(&a, "hello world", 5);
	assert_string_equal(first, "hello");
	for (int i = 0; i < 10000; i++) {
		p = arena_alloc(&a, (size_t)(i % 37) + 1);
		assert_int_equal((uintptr_t)p % sizeof(void *), 0);
		memset(p, 'z', (size_t)(i % 37) + 1);
	}
	assert_string_equal(first, "hello");
	p = arena_alloc(&a, 200000);               /* larger than a block */
	memset(p, 1, 200000);
	ptrs = arena_alloc(&a, 3 * sizeof(*ptrs));
	assert_int_equal((uintptr_t)ptrs % sizeof(void *), 0);
	memset(ptrs, 0xff, 3 * sizeof(*ptrs));
	assert_int_equal((unsigned char)p[0], 1);     /* the pieces do not overlap */
	assert_int_equal((unsigned char)p[199999], 1);
	assert_string_equal(first, "hello");
	arena_reset(&a);
	assert_string_equal(arena_strndup(&a, "again", 5), "again");
	arena_free(&a);
	arena_free(&a);
}

static void test_entry(void **state)
{
	struct entry e = { 0 };
	const struct attr *a;

	(void)state;
	entry_add_value(&e, "member;range=0-1", "cn=a", 4);
	entry_add_value(&e, "Member", "cn=b", 4);
	entry_add_value(&e, "objectGUID", "\x01\x00\x02", 3);
	a = entry_attr(&e, "MEMBER");
	assert_non_null(a);
	assert_string_equal(a->name, "member");
	assert_int_equal(a->nvals, 2);
	assert_string_equal(entry_get(&e, "member"), "cn=a");
	assert_int_equal(entry_attr(&e, "objectguid")->lens[0], 3);
	assert_null(entry_get(&e, "mail"));
	/* a name that does not end at its length (read in place from a message) */
	attr_add_value(&e, entry_attr_add(&e, "mailXYZ", 4), "a@chu.fr", 8);
	attr_add_value(&e, entry_attr_add(&e, "MAIL;binary", 11), "b@chu.fr", 8);
	a = entry_attr(&e, "mail");
	assert_non_null(a);
	assert_string_equal(a->name, "mail");
	assert_int_equal(a->nvals, 2);
	assert_string_equal(a->vals[1], "b@chu.fr");
	entry_clear(&e);     /* ready for the next entry */
	assert_null(entry_get(&e, "member"));
	e.dn = xstrdup("cn=c");
	entry_add_value(&e, "mail", "c@chu.fr", 8);
	assert_string_equal(entry_get(&e, "MAIL"), "c@chu.fr");
	entry_free(&e);
	entry_free(&e);      /* twice is harmless */
}

static void test_findings(void **state)
{
	struct findings f = { 0 };

	(void)state;
	findings_add(&f, SEV_ERROR, "cn=a", COL_RPPS, "rpps-key", "123", "bad key %d", 7);
	findings_add(&f, SEV_WARNING, "cn=b", -1, "x", NULL, "w");
	findings_add(&f, SEV_OFF, "cn=c", -1, "y", NULL, "ignored");
	assert_int_equal(f.n, 2);
	assert_int_equal(findings_count(&f, SEV_ERROR), 1);
	assert_string_equal(f.v[0].message, "bad key 7");
	assert_string_equal(f.v[0].value, "123");
	findings_free(&f);
}

static void test_columns(void **state)
{
	(void)state;
	/* Spot checks against the guide's column table (section 3), by hand. */
	assert_string_equal(columns[0].header, "Adresse mail");
	assert_string_equal(columns[COL_PRENOM].header, "Prénom");
	assert_string_equal(columns[COL_TEL1].header, "Téléphone (1)");
	assert_string_equal(columns[COL_CONNEXION].header, "Compte(s) de connexion");
	assert_string_equal(columns[35].header, "Structure");
	assert_int_equal(columns[COL_RPPS].req[BAL_INT], REQ_NC);
	assert_int_equal(columns[COL_DIPLOME].req[BAL_INT], REQ_OSC);
	assert_int_equal(columns[COL_MSSANTE].req[BAL_MED], REQ_NC);
	assert_int_equal(columns[COL_CONNEXION].req[BAL_ORG], REQ_O);
	assert_int_equal(columns[COL_ID_STRUCT].req[BAL_PER], REQ_NC);
	assert_int_equal(column_by_key("date-de-peremption"), COL_PEREMPTION);
	assert_int_equal(column_by_header("Département"), COL_DEPARTEMENT);
	assert_int_equal(column_by_key("nope"), -1);
	assert_int_equal(bal_type_parse("ORG"), BAL_ORG);
	assert_int_equal(bal_type_parse("org"), BAL_NONE);
	assert_string_equal(bal_type_name(BAL_MED), "MED");
}

static void check_visible(const char *in, const char *want)
{
	char *s = str_visible(in);

	assert_string_equal(s, want);
	free(s);
}

/* Issue 17, defect 9: what reaches a terminal or a log shows its controls as \xNN. */
static void test_visible(void **state)
{
	struct strbuf sb = { 0 };

	(void)state;
	check_visible("Hélène Œuvre, cn=Smith\\, John", "Hélène Œuvre, cn=Smith\\, John");
	check_visible("a\033[31mb\007\r\nrejected: forged",
		      "a\\x1b[31mb\\x07\\x0d\\x0arejected: forged");
	check_visible("\t\x7f", "\\x09\\x7f");
	/* C1 controls (CSI U+009B) in UTF-8 and raw; invalid UTF-8 byte by byte */
	check_visible("\xc2\x9b" "2J\x9b\xe9t\xc3", "\\xc2\\x9b" "2J\\x9b\\xe9t\\xc3");
	/* line separator, right-to-left override */
	check_visible("a\xe2\x80\xa8" "b\xe2\x80\xae" "c", "a\\xe2\\x80\\xa8" "b\\xe2\\x80\\xae" "c");
	check_visible(NULL, "");
	/* a NUL inside the bytes given */
	sb_addn(&sb, "", 0);
	sb_add_visible(&sb, "a\0b", 3);
	assert_string_equal(sb.buf, "a\\x00b");
	sb_free(&sb);
}

/* log_msg escapes the message it formats: a DN cannot forge a line on stderr. */
static void test_log_escape(void **state)
{
	char tmpl[] = "/tmp/test_util.XXXXXX", buf[512];
	int fd = mkstemp(tmpl), saved = dup(2);
	FILE *f;
	size_t n;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	log_init("test", false, LOG_DEBUG);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	log_warn("%s: entry skipped", "uid=x\033]0;owned\007\r\nrejected: forged,dc=org");
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(tmpl);
	assert_string_equal(buf, "test: warning: uid=x\\x1b]0;owned\\x07\\x0d\\x0arejected: "
			    "forged,dc=org: entry skipped\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upper),
		cmocka_unit_test(test_lower),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_hmap),
		cmocka_unit_test(test_dn_normalise),
		cmocka_unit_test(test_tmpfile),
		cmocka_unit_test(test_file_replace),
		cmocka_unit_test(test_row),
		cmocka_unit_test(test_row_pack),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_entry),
		cmocka_unit_test(test_findings),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_visible),
		cmocka_unit_test(test_log_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
