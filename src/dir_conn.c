/*
 * dir_conn.c - the connection of a directory session to an LDAP server: the bind password
 * file, every libldap and TLS option, connect, StartTLS and the simple or SASL bind (dir_int.h).
 * Also the one-line LDAP error messages with a hint, which dir.c's searches use too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <ldap.h>
#include <sasl/sasl.h>

#include "dir_int.h"
#include "log.h"

/* ------------------------------------------------------------------------------------------ */
/* Messages */

static bool uses_tls(const struct conf_directory *d)
{
	return d->starttls || (d->uri && strncasecmp(d->uri, "ldaps://", 8) == 0);
}

static bool contains_ci(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle) != NULL;
}

/* A plain-words hint for the causes admins meet most, or NULL. */
static const char *ldap_hint(const struct conf_directory *d, int rc, const char *diag)
{
	if (uses_tls(d) && contains_ci(diag, "certificate"))
		return "TLS certificate not trusted: check ca-file";
	if (rc == LDAP_SERVER_DOWN && !(diag && *diag))
		return "check the URI and that the server is running and reachable";
	if ((rc == LDAP_STRONG_AUTH_REQUIRED || rc == LDAP_CONFIDENTIALITY_REQUIRED) &&
	    !uses_tls(d) && !d->sasl_mech)
		return "the server requires TLS for simple binds: use ldaps:// or starttls = true";
	if (rc == LDAP_INVALID_CREDENTIALS && !d->sasl_mech)
		return "check bind-dn and the password in bind-password-file";
	if (rc == LDAP_SIZELIMIT_EXCEEDED || rc == LDAP_ADMINLIMIT_EXCEEDED)
		return "a server limit cut the result: raise the paged-results limit of the bind "
		       "DN (slapd: size.prtotal=unlimited) or lower page-size";
	if (rc == LDAP_UNAVAILABLE_CRITICAL_EXTENSION)
		return "the server does not support paged results (RFC 2696)";
	if (rc == LDAP_NO_SUCH_OBJECT)
		return "the base DN does not exist";
	if (rc == LDAP_TIMELIMIT_EXCEEDED || rc == LDAP_TIMEOUT)
		return "raise timeout";
	if (d->sasl_mech && strcasecmp(d->sasl_mech, "GSSAPI") == 0 &&
	    contains_ci(diag, "credentials"))
		return "no Kerberos credentials: check krb5-keytab or krb5-ccache";
	return NULL;
}

/* errno values libldap leaves behind that say nothing about the cause */
static bool errno_useful(int err)
{
	return err && err != EAGAIN && err != EINPROGRESS && err != ENOTCONN && err != EINTR;
}

/* Log one line "WHERE: what: ldap error (diagnostic; errno text); hint". With hint NULL, a
 * hint is chosen from the result code and diagnostic. */
void dir_log_ldap_hint(const struct dir_session *s, const char *what, int rc, int err,
		       const char *hint)
{
	struct strbuf sb = { 0 };
	char *diag = NULL;
	bool net = rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT;

	if (s->ld)
		(void)ldap_get_option(s->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	sb_addf(&sb, "%s: %s: %s", s->where, what, ldap_err2string(rc));
	net = net && errno_useful(err);
	if ((diag && *diag) || net) {
		sb_add(&sb, " (");
		if (diag && *diag)
			sb_add(&sb, diag);
		if (net)
			sb_addf(&sb, "%s%s", diag && *diag ? "; " : "", strerror(err));
		sb_add(&sb, ")");
	}
	if (!hint)
		hint = ldap_hint(s->d, rc, diag);
	if (hint)
		sb_addf(&sb, "; %s", hint);
	log_err("%s", sb.buf);
	sb_free(&sb);
	ldap_memfree(diag);
}

void dir_log_ldap(const struct dir_session *s, const char *what, int rc, int err)
{
	dir_log_ldap_hint(s, what, rc, err, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Password file */

/* Read the bind password: a regular file no one but the owner can read or write. One trailing
 * newline is stripped. *pw is the caller's, to wipe with explicit_bzero(*pw, *cap) and free.
 * Opened without blocking (a FIFO would hang the run before any check) and without following a
 * symbolic link (the mode checked must be the file's own: the path names the file itself). */
WUR static int read_password(const char *path, char **pw, size_t *len, size_t *cap)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0, size = 64;
	int fd = -1, ret = -1;

	fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP) {
		log_err("%s: the bind password file is a symbolic link: name the file itself", path);
		goto out;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		log_err("%s: cannot read the bind password: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_err("%s: the bind password file is not a regular file", path);
		goto out;
	}
	if (st.st_mode & 077) {
		log_err("%s: mode %04o is readable by group or others; chmod 600 it", path,
			(unsigned int)(st.st_mode & 07777));
		goto out;
	}
	buf = xmalloc(size);
	for (;;) {
		ssize_t r;

		if (n + 1 >= size) {
			/* grow by hand so that no copy of the secret is left in freed memory */
			char *bigger = xmalloc(size * 2);

			memcpy(bigger, buf, n);
			explicit_bzero(buf, size);
			free(buf);
			buf = bigger;
			size *= 2;
		}
		r = read(fd, buf + n, size - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			log_err("%s: cannot read the bind password: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n == 0) {
		log_err("%s: the bind password file is empty", path);
		goto out;
	}
	*pw = buf;
	*len = n;
	*cap = size;
	buf = NULL;
	ret = 0;
out:
	if (buf) {
		explicit_bzero(buf, size);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/* ------------------------------------------------------------------------------------------ */
/* Connection and bind */

WUR static int set_opt(const struct dir_session *s, LDAP *ld, int opt, const void *val,
		       const char *name)
{
	int rc = ldap_set_option(ld, opt, val);

	if (rc != LDAP_OPT_SUCCESS) {
		dir_log_ldap(s, name, rc, 0);
		return -1;
	}
	return 0;
}

static int reqcert_opt(const struct conf_directory *d)
{
	return d->tls_reqcert == TLS_NEVER ? LDAP_OPT_X_TLS_NEVER :
	       d->tls_reqcert == TLS_ALLOW ? LDAP_OPT_X_TLS_ALLOW : LDAP_OPT_X_TLS_DEMAND;
}

/* Every option explicitly, on ld (the session's handle, or a probe with another reqcert). */
WUR static int set_options(const struct dir_session *s, LDAP *ld, int reqcert)
{
	const struct conf_directory *d = s->d;
	struct timeval net = { d->network_timeout, 0 }, op = { d->timeout, 0 };
	int version = LDAP_VERSION3, deref = LDAP_DEREF_NEVER, zero = 0;
	int timelimit = d->timeout > 0 ? d->timeout : 0;
	int tlsmin = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2;

	if (set_opt(s, ld, LDAP_OPT_PROTOCOL_VERSION, &version, "setting protocol version 3") ||
	    set_opt(s, ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF, "turning referrals off") ||
	    set_opt(s, ld, LDAP_OPT_RESTART, LDAP_OPT_ON, "setting restart on EINTR") ||
	    set_opt(s, ld, LDAP_OPT_DEREF, &deref, "setting alias dereferencing") ||
	    set_opt(s, ld, LDAP_OPT_SIZELIMIT, &zero, "setting the size limit") ||
	    set_opt(s, ld, LDAP_OPT_TIMELIMIT, &timelimit, "setting the time limit") ||
	    set_opt(s, ld, LDAP_OPT_NETWORK_TIMEOUT, d->network_timeout > 0 ? &net : NULL,
		    "setting network-timeout") ||
	    set_opt(s, ld, LDAP_OPT_TIMEOUT, d->timeout > 0 ? &op : NULL, "setting timeout") ||
	    set_opt(s, ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &reqcert, "setting tls-reqcert") ||
	    set_opt(s, ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tlsmin, "setting the minimum TLS version"))
		return -1;
	if (d->ca_file && *d->ca_file) {
		if (access(d->ca_file, R_OK) < 0) {
			log_err("%s: ca-file %s: %s", s->where, d->ca_file, strerror(errno));
			return -1;
		}
		if (set_opt(s, ld, LDAP_OPT_X_TLS_CACERTFILE, d->ca_file, "setting ca-file"))
			return -1;
	}
	if (d->sasl_secprops && *d->sasl_secprops &&
	    set_opt(s, ld, LDAP_OPT_X_SASL_SECPROPS, d->sasl_secprops, "setting sasl-secprops"))
		return -1;
	/* TLS options on a handle take effect only with a new context, made last */
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS) {
		log_err("%s: cannot set up TLS%s%s: not a PEM CA certificate file?", s->where,
			d->ca_file && *d->ca_file ? " with ca-file " : "",
			d->ca_file && *d->ca_file ? d->ca_file : "");
		return -1;
	}
	return 0;
}

/* After a TLS connection failed: try the handshake again without certificate checks (libldap's
 * "allow" skips the host name check too), to tell a certificate problem from a broken TLS
 * setup. Returns the hint to log, or NULL if TLS is not the cause. */
static const char *tls_failure_hint(const struct dir_session *s, int rc)
{
	char *diag = NULL;
	bool tcp_ok;

	(void)ldap_get_option(s->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	tcp_ok = diag && *diag;   /* a diagnostic: TCP worked and the handshake failed */
	ldap_memfree(diag);
	if (!uses_tls(s->d) || !tcp_ok || (rc != LDAP_SERVER_DOWN && rc != LDAP_CONNECT_ERROR))
		return NULL;
	if (s->d->tls_reqcert == TLS_DEMAND) {
		LDAP *ld = NULL;
		int r = ldap_initialize(&ld, s->d->uri);

		if (r == LDAP_SUCCESS && set_options(s, ld, LDAP_OPT_X_TLS_ALLOW) == 0)
			r = s->d->starttls ? ldap_start_tls_s(ld, NULL, NULL) : ldap_connect(ld);
		if (ld)
			(void)ldap_unbind_ext_s(ld, NULL, NULL);
		if (r == LDAP_SUCCESS)
			return "TLS certificate not trusted: check ca-file (and that the "
			       "certificate names the host of the URI)";
	}
	return "TLS handshake failed: check ca-file, tls-reqcert and the server's TLS setup";
}

/* SASL callback: never asks anyone; answers the authorization id from the config. */
static int sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	const struct conf_directory *d = defaults;
	sasl_interact_t *it;

	(void)ld;
	(void)flags;
	for (it = in; it->id != SASL_CB_LIST_END; it++) {
		const char *v = "";

		if (it->id == SASL_CB_USER && d->sasl_authzid)
			v = d->sasl_authzid;
		else if (it->defresult)
			v = it->defresult;
		it->result = v;
		it->len = (unsigned)strlen(v);
	}
	return LDAP_SUCCESS;
}

/* GSSAPI: the client keytab and ticket cache go through the environment of MIT krb5. Without a
 * ccache, a private MEMORY: cache makes GSSAPI get initial tickets from the client keytab. */
WUR static int krb5_env(const struct conf_directory *d)
{
	static unsigned int serial;
	char *cc = NULL;
	int ret = -1;

	if (d->krb5_keytab && *d->krb5_keytab &&
	    setenv("KRB5_CLIENT_KTNAME", d->krb5_keytab, 1) < 0)
		goto out;
	if (d->krb5_ccache && *d->krb5_ccache)
		cc = xstrdup(d->krb5_ccache);
	else if (d->krb5_keytab && *d->krb5_keytab)
		cc = xasprintf("MEMORY:medimail-sync-%ld-%u", (long)getpid(), ++serial);
	if (cc && setenv("KRB5CCNAME", cc, 1) < 0)
		goto out;
	ret = 0;
out:
	if (ret)
		log_err("setting the Kerberos environment: %s", strerror(errno));
	free(cc);
	return ret;
}

WUR static int do_bind(struct dir_session *s, const char *pw, size_t pwlen)
{
	const struct conf_directory *d = s->d;
	struct berval cred = { 0, NULL };
	char *what = NULL;
	int rc, ret = -1;

	if (d->sasl_mech) {
		if (strcasecmp(d->sasl_mech, "GSSAPI") == 0 && krb5_env(d))
			goto out;
		what = xasprintf("SASL %s bind", d->sasl_mech);
		errno = 0;
		rc = ldap_sasl_interactive_bind_s(s->ld, NULL, d->sasl_mech, NULL, NULL,
						  LDAP_SASL_QUIET, sasl_interact, (void *)d);
	} else {
		if (d->bind_dn && *d->bind_dn) {
			cred.bv_val = (char *)pw;
			cred.bv_len = pwlen;
			what = xasprintf("simple bind as %s", d->bind_dn);
		} else {
			what = xstrdup("anonymous bind");
		}
		errno = 0;
		rc = ldap_sasl_bind_s(s->ld, cred.bv_len ? d->bind_dn : NULL, LDAP_SASL_SIMPLE,
				      &cred, NULL, NULL, NULL);
	}
	if (rc != LDAP_SUCCESS) {
		int err = errno;

		dir_log_ldap_hint(s, what, rc, err, tls_failure_hint(s, rc));
		goto out;
	}
	ret = 0;
out:
	free(what);
	return ret;
}

int dir_connect_and_bind(struct dir_session *s)
{
	const struct conf_directory *d = s->d;
	char *pw = NULL;
	size_t pwlen = 0, pwcap = 0;
	int rc, ret = -1;

	if (d->sasl_mech && strcasecmp(d->sasl_mech, "EXTERNAL") != 0 &&
	    strcasecmp(d->sasl_mech, "GSSAPI") != 0) {
		log_err("%s: sasl-mech %s is not supported: use EXTERNAL or GSSAPI", s->where,
			d->sasl_mech);
		goto out;
	}
	/* the password first: a bad file is refused before any connection */
	if (!d->sasl_mech && d->bind_dn && *d->bind_dn) {
		if (!d->bind_password_file || !*d->bind_password_file) {
			log_err("%s: bind-dn is set but bind-password-file is not", s->where);
			goto out;
		}
		if (read_password(d->bind_password_file, &pw, &pwlen, &pwcap))
			goto out;
	}
	rc = ldap_initialize(&s->ld, d->uri);
	if (rc != LDAP_SUCCESS) {
		dir_log_ldap(s, "invalid URI", rc, 0);
		goto out;
	}
	if (set_options(s, s->ld, reqcert_opt(d)))
		goto out;
	if (d->starttls) {
		errno = 0;
		rc = ldap_start_tls_s(s->ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			int err = errno;

			dir_log_ldap_hint(s, "StartTLS failed", rc, err, tls_failure_hint(s, rc));
			goto out;
		}
	}
	if (do_bind(s, pw, pwlen))
		goto out;
	ret = 0;
out:
	if (pw) {
		explicit_bzero(pw, pwcap);
		free(pw);
	}
	return ret;
}
