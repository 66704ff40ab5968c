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

static int count(struct entry *e, void *arg)
{
	(void)e;
	(*(size_t *)arg)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	struct conf_directory d;
	struct dir_session *s;
	size_t n = 0;

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
	if (dir_search(s, "", DIR_SCOPE_SUB, "(objectClass=*)", NULL, count, &n) == 0 &&
	    dir_search(s, "dc=example", DIR_SCOPE_ONE, "(|(cn=a*)(!(uid=b)))", NULL, count, &n))
		n = 0;
	dir_close(s);
	return 0;
}
