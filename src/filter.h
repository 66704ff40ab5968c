/*
 * filter.h - LDAP filters on the client side: escaping a value for a filter, evaluating a
 * filter against an entry, and the attributes a filter tests (which a search must fetch for
 * the filter to be evaluated on its entries). Pure: no I/O, no libldap. dir.h includes it.
 */
#ifndef MS_FILTER_H
#define MS_FILTER_H

#include <stddef.h>
#include "model.h"

/* Escape a value for use inside an LDAP filter (RFC 4515). Caller frees. */
char *dir_filter_escape(const char *value);

/* Client-side evaluation of an LDAP filter against an entry (for LDIF sources, and for the
 * disabled filter). Supports &, |, !, =, =*, substrings, >=, <= and the AD bitwise rules
 * 1.2.840.113556.1.4.803 (AND) and .804 (OR). Returns DIR_FILTER_TRUE, DIR_FILTER_FALSE,
 * DIR_FILTER_UNDEFINED (RFC 4511's third value: a value could not be compared, e.g. a
 * bitwise rule against a flag word that is not a number; "!" keeps it undefined), or -1 for
 * a malformed filter. */
enum { DIR_FILTER_FALSE = 0, DIR_FILTER_TRUE = 1, DIR_FILTER_UNDEFINED = 2 };
int dir_filter_match(const char *filter, const struct entry *e);

/* The attribute names filter tests, as the parser of dir_filter_match reads them, appended to
 * *names (NULL-terminated, *n of them; NULL and 0 to start), each once (compared
 * case-insensitively with those already there), in the order they come. The vector and its
 * strings are the caller's (realloc'd here). A NULL filter adds nothing. Returns 0, or -1 for
 * a malformed filter (the names before the fault are added). */
int dir_filter_attrs(const char *filter, char ***names, size_t *n);

#endif
