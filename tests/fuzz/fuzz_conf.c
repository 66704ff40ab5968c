/*
 * fuzz_conf.c - the configuration: the input is a config file's text. conf_load_checked()
 * parses it (libconfuse and our validators), then, as check-config does, the checker (rule
 * ids, lists) and the mapper (templates, value tables, BAL rules, ORG templates) compile it.
 * A config that loads is compiled once more and its attribute lists read. Every input must
 * load or be refused with a message, never crash or leak. The messages go to stderr (run-fuzz.sh
 * closes it: -close_fd_mask=2).
 */
#include "config.h"

#include <stdlib.h>

#include "check.h"
#include "conf.h"
#include "fuzz.h"
#include "map.h"

/* What main.c's config_errors does: the modules' errors, as one text. */
static char *compile(const struct config *c)
{
	struct checker *ck;
	struct mapper *m;
	char *err = NULL, *merr = NULL;

	ck = check_new(c, &err);
	check_free(ck);
	m = map_new(c, &merr);
	map_free(m);
	if (merr) {
		free(err);
		err = merr;
	}
	return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = conf_load_checked(fuzz_path(data, size), compile);
	struct mapper *m;
	char *err = NULL;

	if (!c)
		return 0;
	m = map_new(c, &err);
	if (!m)
		abort();        /* conf_load_checked compiled it: the mapper must accept it */
	for (const char *const *a = map_people_attrs(m); *a; a++)
		if (!**a)
			abort();
	for (const char *const *a = map_group_attrs(m); *a; a++)
		if (!**a)
			abort();
	map_free(m);
	conf_free(c);
	return 0;
}
