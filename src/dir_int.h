/*
 * dir_int.h - what the files of the directory access share; dir.h is the public interface, and
 * only dir*.c include this one.
 *
 *   dir.c       sessions (open, close), searches: LDAP paging and range retrieval, LDIF entries
 *               searched client-side; GUID text
 *   dir_conn.c  the connection to an LDAP server: bind password file, options and TLS,
 *               connect and bind; the one-line LDAP error messages
 */
#ifndef MS_DIR_INT_H
#define MS_DIR_INT_H

#include <ldap.h>
#include "dir.h"

/* A directory session (dir.h): a bound LDAP handle, or the entries of an LDIF file. */
struct dir_session {
	const struct conf_directory *d;   /* borrowed: the config outlives the session */
	const char *where;                /* URI or LDIF path, the prefix of every message */
	LDAP *ld;
	struct entry *ents;               /* LDIF source: every entry, in file order */
	char **ndns;                      /* ... and their normalised DNs */
	size_t nents;
	unsigned long nsearch;
};

/* Log one line "WHERE: what: ldap error (diagnostic; errno text); hint": the diagnostic is the
 * one s->ld holds (if any), errno text only for a network failure with a useful err, and with
 * hint NULL, a hint is chosen from the result code and diagnostic. */
void dir_log_ldap_hint(const struct dir_session *s, const char *what, int rc, int err,
		       const char *hint);
/* The same with the hint chosen. */
void dir_log_ldap(const struct dir_session *s, const char *what, int rc, int err);

/* Connect s (s->d and s->where set, s->ld NULL) to s->d->uri and bind: a sasl-mech other than
 * EXTERNAL or GSSAPI is refused and the bind password file read and checked before any
 * connection, then every option is set, then StartTLS if asked, then the simple, anonymous or
 * SASL bind. Returns 0, or -1 after logging one line with the cause and a hint; s->ld may then
 * be set, for dir_close() to unbind. The password is wiped from memory either way. */
int dir_connect_and_bind(struct dir_session *s) WUR;

#endif
