/*
 * dir.h - directory access: an LDAP session (libldap) or an LDIF file, behind one interface.
 *
 * The session hides paging (RFC 2696, always on), AD range retrieval (member;range=N-*) and
 * TLS/SASL details: callers loop over complete entries. A search that fails or comes back
 * incomplete returns -1 with a message naming the URI and the server's cause; it is never a
 * short but "successful" result.
 */
#ifndef MS_DIR_H
#define MS_DIR_H

#include "conf.h"
#include "filter.h"     /* the filter functions, for dir.h's callers */
#include "model.h"

struct dir_session;

/* Connect and bind according to d, or read d->ldif whole (RFC 2849 entries only: change
 * records, controls and ":<" URL values are refused). On failure prints one line "URI: cause"
 * or "FILE:LINE: cause" and returns NULL. */
struct dir_session *dir_open(const struct conf_directory *d) WUR;
void dir_close(struct dir_session *s);

/* Called for each entry; the entry is only valid during the call (copy what you keep, or take
 * it with dir_entry_steal). Return non-zero to stop the search with that value. */
typedef int (*dir_entry_cb)(struct entry *e, void *arg);
/* Inside a callback: move e's contents to *dst (caller's, freed with entry_free); e is left
 * empty. */
void dir_entry_steal(struct entry *dst, struct entry *e);

enum dir_scope { DIR_SCOPE_BASE, DIR_SCOPE_ONE, DIR_SCOPE_SUB };

/* Search base with filter, asking for attrs (NULL-terminated; NULL = all user attributes).
 * Multi-valued attributes split in ranges by the server are fetched whole. Returns 0, -1 on
 * error (message logged), or the callback's non-zero value. Entries are passed in server order. */
int dir_search(struct dir_session *s, const char *base, enum dir_scope scope, const char *filter,
	       const char *const *attrs, dir_entry_cb cb, void *arg) WUR;

/* Number of search operations sent on this session (paged requests count one each). */
unsigned long dir_search_count(const struct dir_session *s);

/* Canonical text of a binary objectGUID (16 bytes) "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
char *dir_guid_text(const unsigned char *guid, size_t len);

#endif
