/*
 * fuzz_ldif.c - the LDIF source: dir_open() on a directory section whose "ldif" is the input
 * (our reader, ldif_read in ldif.c), then a search of every entry (the client-side filter,
 * filter.c, and the scope code of dir.c).
 */
#include "config.h"

#include <string.h>

#include "dir.h"
#include "fuzz.h"
#include "log.h"

/* Pull every entry of one search: the number read, or -1 when the search failed. */
static long count(struct dir_session *s, const char *base, enum dir_scope scope,
		  const char *filter)
{
	struct dir_search *q = dir_search_start(s, base, scope, filter, NULL);
	struct entry *e;
	long n = 0;
	int r;

	while ((r = dir_next_entry(q, &e)) == 1)
		n++;
	dir_search_end(q);
	return r == 0 ? n : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct conf_directory d;
	struct dir_session *s;

	if (!quiet) {
		log_init("fuzz_ldif", false, LOG_CRIT);   /* the errors of each input: not shown */
		quiet = true;
	}
	memset(&d, 0, sizeof(d));
	d.name = "fuzz";
	d.ldif = (char *)fuzz_path(data, size);
	s = dir_open(&d);
	if (!s)
		return 0;
	if (count(s, "", DIR_SCOPE_SUB, "(objectClass=*)") >= 0)
		(void)count(s, "dc=example", DIR_SCOPE_ONE, "(|(cn=a*)(!(uid=b)))");
	dir_close(s);
	return 0;
}
