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

enum dir_scope { DIR_SCOPE_BASE, DIR_SCOPE_ONE, DIR_SCOPE_SUB };

/* A search read as a pull loop, in the manner of nss-pam-ldapd's myldap_get_entry():
 *
 *	struct dir_search *q = dir_search_start(s, base, DIR_SCOPE_SUB, filter, attrs);
 *	while ((rc = dir_next_entry(q, &e)) == 1)
 *		...use e...
 *	dir_search_end(q);
 *
 * dir_search_start() asks for attrs (NULL-terminated; NULL = all user attributes) under base
 * with filter (NULL or "": every entry); it cannot fail: errors come from dir_next_entry().
 * The search belongs to the caller, who ends it with dir_search_end() (which abandons the
 * rest of a search not read to its end); s must outlive it, and one search at a time is read
 * on a session. */
struct dir_search;
struct dir_search *dir_search_start(struct dir_session *s, const char *base,
				    enum dir_scope scope, const char *filter,
				    const char *const *attrs);
/* The next entry, in server order, with multi-valued attributes split in ranges by the server
 * fetched whole: returns 1 and *e; 0 (and *e NULL) once the search is complete; -1 on error
 * (logged: a search that fails or comes back incomplete is never a short success). *e belongs
 * to the search and lives until the next call or dir_search_end(), unless taken with
 * dir_entry_steal(). */
int dir_next_entry(struct dir_search *q, struct entry **e) WUR;
void dir_search_end(struct dir_search *q);
/* Take an entry from dir_next_entry() (or any entry): move e's contents to *dst (the
 * caller's, freed with entry_free); e is left empty. */
void dir_entry_steal(struct entry *dst, struct entry *e);

/* Number of search operations sent on this session (paged requests count one each). */
unsigned long dir_search_count(const struct dir_session *s);

/* Canonical text of a binary objectGUID (16 bytes) "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
char *dir_guid_text(const unsigned char *guid, size_t len);

#endif
