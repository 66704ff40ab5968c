/*
 * dir.c - directory access: a session on an LDAP server (connected and bound by dir_conn.c)
 * with paged searches and AD range retrieval, or on an LDIF file read by ldif.c and searched
 * client-side (filters evaluated by filter.c). Also GUID text.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include <ldap.h>

#include "dir_int.h"
#include "ldif.h"
#include "log.h"

/* ------------------------------------------------------------------------------------------ */
/* Messages */

/* Append s to sb quoted for a POSIX shell. */
static void sb_add_shell(struct strbuf *sb, const char *s)
{
	sb_addc(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sb_add(sb, "'\\''");
		else
			sb_addc(sb, *s);
	}
	sb_addc(sb, '\'');
}

static const char *const scope_names[] = { "base", "one", "sub" };

/* At debug level: the equivalent ldapsearch command line, never the password itself. */
static void log_search(const struct dir_session *s, const char *base, enum dir_scope scope,
		       const char *filter, char **attrs)
{
	const struct conf_directory *d = s->d;
	struct strbuf sb = { 0 };

	if (!log_enabled(LOG_DEBUG))
		return;
	sb_add(&sb, "ldapsearch -LLL -o ldif-wrap=no -H ");
	sb_add_shell(&sb, d->uri);
	if (d->starttls)
		sb_add(&sb, " -ZZ");
	if (d->sasl_mech) {
		sb_addf(&sb, " -Q -Y %s", d->sasl_mech);
		if (d->sasl_authzid && *d->sasl_authzid) {
			sb_add(&sb, " -X ");
			sb_add_shell(&sb, d->sasl_authzid);
		}
		if (d->sasl_secprops && *d->sasl_secprops) {
			sb_add(&sb, " -O ");
			sb_add_shell(&sb, d->sasl_secprops);
		}
	} else if (d->bind_dn && *d->bind_dn) {
		sb_add(&sb, " -x -D ");
		sb_add_shell(&sb, d->bind_dn);
		sb_add(&sb, " -y ");
		sb_add_shell(&sb, d->bind_password_file ? d->bind_password_file : "");
	} else {
		sb_add(&sb, " -x");
	}
	sb_add(&sb, " -b ");
	sb_add_shell(&sb, base);
	sb_addf(&sb, " -s %s -E pr=%d/noprompt", scope_names[scope], d->page_size);
	if (d->timeout > 0)
		sb_addf(&sb, " -l %d", d->timeout);
	sb_addc(&sb, ' ');
	sb_add_shell(&sb, filter);
	for (size_t i = 0; attrs && attrs[i]; i++) {
		sb_addc(&sb, ' ');
		sb_add_shell(&sb, attrs[i]);
	}
	log_debug("%s", sb.buf);
	sb_free(&sb);
}

/* ------------------------------------------------------------------------------------------ */
/* LDIF source: the entries read by ldif_read (ldif.c), searched here */

/* The parent of a normalised DN: after the first unescaped comma, "" at the top. */
static const char *dn_parent(const char *ndn)
{
	for (const char *p = ndn; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == ',')
			return p + 1;
	}
	return "";
}

static bool in_scope(const char *ndn, const char *nbase, enum dir_scope scope)
{
	size_t m = strlen(nbase);

	switch (scope) {
	case DIR_SCOPE_BASE:
		return strcmp(ndn, nbase) == 0;
	case DIR_SCOPE_ONE:
		return strcmp(dn_parent(ndn), nbase) == 0;
	case DIR_SCOPE_SUB:
		if (m == 0 || strcmp(ndn, nbase) == 0)
			return true;
		/* a suffix after an unescaped comma: walk the parents */
		for (const char *p = dn_parent(ndn); *p; p = dn_parent(p))
			if (strlen(p) == m && strcmp(p, nbase) == 0)
				return true;
		return false;
	}
	return false;
}

/* Is the requested attribute list asking for name? NULL, "*" mean every attribute. */
static bool attr_wanted(char **attrs, const char *name)
{
	size_t n = strcspn(name, ";");

	if (!attrs)
		return true;
	for (size_t i = 0; attrs[i]; i++) {
		size_t m = strcspn(attrs[i], ";");

		if (strcmp(attrs[i], "*") == 0)
			return true;
		if (m == n && strncasecmp(attrs[i], name, n) == 0)
			return true;
	}
	return false;
}

/* A search in progress (dir.h): the LDAP page being read, or the position in the LDIF file's
 * entries. The current entry is reused from one call to the next. */
struct dir_search {
	struct dir_session *s;
	char *base, *filter;
	enum dir_scope scope;
	char **attrs;                     /* as requested (range options added), or NULL */
	struct entry e;                   /* the entry dir_next_entry() gave last */
	bool done;                        /* complete, or failed: no more entries */
	/* LDIF */
	char *nbase;
	size_t next;                      /* the next entry of the file to look at */
	bool base_seen;
	/* LDAP */
	int msgid;                        /* the page being read, -1 between pages */
	unsigned long nentries;
	struct berval cookie;             /* from the last page's response control */
};

/* The next LDIF entry in scope that matches: 1, 0 at the end, -1 on error (logged). */
WUR static int ldif_next(struct dir_search *q)
{
	struct dir_session *s = q->s;

	while (q->next < s->nents) {
		size_t i = q->next++;
		const struct entry *e = &s->ents[i];
		int r;

		if (in_scope(s->ndns[i], q->nbase, DIR_SCOPE_SUB))
			q->base_seen = true;
		if (!in_scope(s->ndns[i], q->nbase, q->scope))
			continue;
		r = dir_filter_match(q->filter, e);
		if (r < 0) {
			log_err("%s: bad filter %s", s->where, q->filter);
			return -1;
		}
		if (r != DIR_FILTER_TRUE)
			continue;     /* false or undefined, as a server does */
		q->e.dn = xstrdup(e->dn);
		for (size_t a = 0; a < e->nattrs; a++) {
			if (!attr_wanted(q->attrs, e->attrs[a].name))
				continue;
			for (size_t v = 0; v < e->attrs[a].nvals; v++)
				entry_add_value(&q->e, e->attrs[a].name, e->attrs[a].vals[v],
						e->attrs[a].lens[v]);
		}
		return 1;
	}
	if (!q->base_seen) {
		log_err("%s: base %s: no such entry in the LDIF file", s->where, q->base);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Sessions */

/* libldap writes to sockets with write(): a server gone mid-search must be an error to report,
 * not a SIGPIPE that kills the run. Only a default disposition is changed. */
static void ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		sa.sa_flags = 0;
		sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGPIPE, &sa, NULL);
	}
}

struct dir_session *dir_open(const struct conf_directory *d)
{
	struct dir_session *s = xcalloc(1, sizeof(*s));

	s->d = d;
	if (d->ldif && *d->ldif) {
		s->where = d->ldif;
		if (ldif_read(s->where, &s->ents, &s->ndns, &s->nents))
			goto fail;
		return s;
	}
	s->where = d->uri ? d->uri : "(no uri)";
	ignore_sigpipe();
	if (!d->uri || !*d->uri) {
		log_err("%s: neither uri nor ldif is set", d->name ? d->name : "directory");
		goto fail;
	}
	if (dir_connect_and_bind(s))
		goto fail;
	return s;
fail:
	dir_close(s);
	return NULL;
}

void dir_close(struct dir_session *s)
{
	if (!s)
		return;
	if (s->ld)
		(void)ldap_unbind_ext_s(s->ld, NULL, NULL);
	for (size_t i = 0; i < s->nents; i++) {
		entry_free(&s->ents[i]);
		free(s->ndns[i]);
	}
	free(s->ents);
	free(s->ndns);
	free(s);
}

unsigned long dir_search_count(const struct dir_session *s)
{
	return s->nsearch;
}

void dir_entry_steal(struct entry *dst, struct entry *e)
{
	*dst = *e;
	memset(e, 0, sizeof(*e));
}

/* ------------------------------------------------------------------------------------------ */
/* LDAP search: paging and range retrieval */

/* "member;range=0-1499": 1 with *low and *high (-1 for '*'), 0 if no range option, -1 bad. */
static int parse_range(const char *name, long *low, long *high)
{
	const char *p = name;
	char *end;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		if (strncasecmp(p, "range=", 6) == 0)
			break;
	}
	if (!p)
		return 0;
	p += 6;
	errno = 0;
	*low = strtol(p, &end, 10);
	if (errno || end == p || *end != '-' || *low < 0)
		return -1;
	p = end + 1;
	if (*p == '*') {
		*high = -1;
		return p[1] == '\0' || p[1] == ';' ? 1 : -1;
	}
	*high = strtol(p, &end, 10);
	if (errno || end == p || (*end && *end != ';') || *high < *low)
		return -1;
	return 1;
}

static struct timeval *op_timeout(const struct dir_session *s, struct timeval *tv)
{
	if (s->d->timeout <= 0)
		return NULL;
	tv->tv_sec = s->d->timeout;
	tv->tv_usec = 0;
	return tv;
}

/* Fetch the rest of a multi-valued attribute the server split: base searches asking for
 * "NAME;range=NEXT-*" (or NEXT-(NEXT+range_size-1)) until a range ends with '*'. */
WUR static int fetch_ranges(struct dir_session *s, struct entry *e, const char *name, long next)
{
	struct timeval tv;
	int ret = -1;

	for (;;) {
		char *want = s->d->range_size > 0 ?
			xasprintf("%s;range=%ld-%ld", name, next, next + s->d->range_size - 1) :
			xasprintf("%s;range=%ld-*", name, next);
		char *attrs[] = { want, NULL };
		LDAPMessage *res = NULL, *msg;
		bool found = false, done = false;
		int rc;

		log_search(s, e->dn, DIR_SCOPE_BASE, "(objectClass=*)", attrs);
		s->nsearch++;
		errno = 0;
		rc = ldap_search_ext_s(s->ld, e->dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
				       NULL, NULL, op_timeout(s, &tv), LDAP_NO_LIMIT, &res);
		if (rc != LDAP_SUCCESS) {
			char *what = xasprintf("%s: range retrieval of %s", e->dn, want);

			dir_log_ldap(s, what, rc, errno);
			free(what);
		}
		for (msg = rc == LDAP_SUCCESS ? ldap_first_entry(s->ld, res) : NULL; msg && !found;
		     msg = ldap_next_entry(s->ld, msg)) {
			BerElement *ber = NULL;

			for (char *a = ldap_first_attribute(s->ld, msg, &ber); a;
			     a = ldap_next_attribute(s->ld, msg, ber)) {
				long low, high;
				struct berval **vals;

				if (strncasecmp(a, name, strlen(name)) != 0 ||
				    parse_range(a, &low, &high) != 1 || low != next) {
					ldap_memfree(a);
					continue;
				}
				vals = ldap_get_values_len(s->ld, msg, a);
				for (size_t i = 0; vals && vals[i]; i++)
					entry_add_value(e, a, vals[i]->bv_val, vals[i]->bv_len);
				ldap_value_free_len(vals);
				found = true;
				done = high < 0;
				next = high + 1;
				ldap_memfree(a);
			}
			ber_free(ber, 0);
		}
		ldap_msgfree(res);
		if (rc == LDAP_SUCCESS && !found)
			log_err("%s: %s: range retrieval of %s: the server returned no such range",
				s->where, e->dn, want);
		free(want);
		if (!found)
			goto out;
		if (done)
			break;
	}
	ret = 0;
out:
	return ret;
}

/* Build the entry of a search result message, fetching split attributes whole. The values are
 * read in place from the message (ldap_get_attribute_ber) and copied once, into the entry. */
WUR static int build_entry(struct dir_session *s, LDAPMessage *msg, struct entry *e)
{
	BerElement *ber = NULL;
	struct berval dn, name, *vals = NULL;
	char **split = NULL;
	long *next = NULL;
	size_t nsplit = 0;
	int rc, ret = -1;

	rc = ldap_get_dn_ber(s->ld, msg, &ber, &dn);
	if (rc != LDAP_SUCCESS || !dn.bv_val) {
		dir_log_ldap(s, "reading the DN of an entry",
			     rc == LDAP_SUCCESS ? LDAP_DECODING_ERROR : rc, 0);
		goto out;
	}
	e->dn = xstrndup(dn.bv_val, dn.bv_len);
	for (;;) {
		struct attr *at;
		char *a;
		long low, high;
		int r;

		vals = NULL;
		rc = ldap_get_attribute_ber(s->ld, msg, ber, &name, &vals);
		if (rc != LDAP_SUCCESS) {
			char *what = xasprintf("%s: reading its attributes", e->dn);

			dir_log_ldap(s, what, rc, 0);
			free(what);
			goto out;
		}
		if (!name.bv_val)
			break;
		at = entry_attr_add(e, name.bv_val, name.bv_len);
		for (size_t i = 0; vals && vals[i].bv_val; i++)
			attr_add_value(e, at, vals[i].bv_val, vals[i].bv_len);
		ber_memfree(vals);
		vals = NULL;
		if (at->namelen == name.bv_len)
			continue;             /* no option: no range */
		a = xstrndup(name.bv_val, name.bv_len);
		r = parse_range(a, &low, &high);
		if (r < 0) {
			log_err("%s: %s: attribute %s: malformed range", s->where, e->dn, a);
			free(a);
			goto out;
		}
		if (r > 0 && high >= 0) {
			split = xrealloc(split, (nsplit + 1) * sizeof(*split));
			next = xrealloc(next, (nsplit + 1) * sizeof(*next));
			split[nsplit] = xstrndup(a, at->namelen);
			next[nsplit++] = high + 1;
		}
		free(a);
	}
	for (size_t i = 0; i < nsplit; i++)
		if (fetch_ranges(s, e, split[i], next[i]))
			goto out;
	ret = 0;
out:
	ber_memfree(vals);
	if (ber)
		ber_free(ber, 0);
	for (size_t i = 0; i < nsplit; i++)
		free(split[i]);
	free(split);
	free(next);
	return ret;
}

static void log_search_err(const struct dir_search *q, int rc, int err)
{
	char *what = xasprintf("search base=%s filter=%s failed after %lu entries", q->base,
			       q->filter, q->nentries);

	dir_log_ldap_hint(q->s, what, rc, err, rc == LDAP_SERVER_DOWN ?
			  "the connection to the server was lost" : NULL);
	free(what);
}

/* The result message of one page: success and a paged results response, else -1. */
WUR static int page_result(struct dir_search *q, LDAPMessage *res)
{
	struct dir_session *s = q->s;
	LDAPControl **ctrls = NULL, *pr;
	char *diag = NULL;
	ber_int_t estimate;
	int err = LDAP_OTHER, rc, ret = -1;

	rc = ldap_parse_result(s->ld, res, &err, NULL, &diag, NULL, &ctrls, 0);
	if (rc != LDAP_SUCCESS) {
		log_search_err(q, rc, 0);
		goto out;
	}
	if (err != LDAP_SUCCESS) {
		/* the diagnostic of the result message, not a stale one of the handle */
		(void)ldap_set_option(s->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, diag);
		log_search_err(q, err, 0);
		goto out;
	}
	pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	if (!pr) {
		log_err("%s: search base=%s filter=%s: the server returned no paged results "
			"control: the result may be incomplete", s->where, q->base, q->filter);
		goto out;
	}
	ber_memfree(q->cookie.bv_val);
	q->cookie.bv_val = NULL;
	q->cookie.bv_len = 0;
	rc = ldap_parse_pageresponse_control(s->ld, pr, &estimate, &q->cookie);
	if (rc != LDAP_SUCCESS) {
		log_search_err(q, rc, 0);
		goto out;
	}
	ret = 0;
out:
	ldap_memfree(diag);
	ldap_controls_free(ctrls);
	return ret;
}

/* With range-size set, ask for "ATTR;range=0-(N-1)" for the member attributes. */
static char **request_attrs(const struct dir_session *s, const char *const *attrs)
{
	const struct conf_directory *d = s->d;
	size_t n = 0;
	char **out;

	if (!attrs)
		return NULL;
	while (attrs[n])
		n++;
	out = xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		bool member = false;

		for (size_t j = 0; d->range_size > 0 && j < d->nmember_attributes; j++)
			if (strcasecmp(attrs[i], d->member_attributes[j]) == 0)
				member = true;
		out[i] = member ? xasprintf("%s;range=0-%d", attrs[i], d->range_size - 1) :
				  xstrdup(attrs[i]);
	}
	return out;
}

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* Test hook: MEDIMAIL_SYNC_PAGE_DELAY_MS slows paging down so that a test can stop the server
 * in the middle of a search, or start a second run while the first holds the lock. */
static void test_page_delay(void)
{
	const char *v = getenv("MEDIMAIL_SYNC_PAGE_DELAY_MS");
	long ms = v ? strtol(v, NULL, 10) : 0;

	if (ms > 0 && ms < 60000) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
}

/* Ask for the next page (q->cookie: where the last one ended). 0 or -1. */
WUR static int page_request(struct dir_search *q)
{
	static const int scopes[] = { LDAP_SCOPE_BASE, LDAP_SCOPE_ONELEVEL, LDAP_SCOPE_SUBTREE };
	struct dir_session *s = q->s;
	int page_size = s->d->page_size > 0 ? s->d->page_size : 500;
	LDAPControl *pctrl = NULL, *sctrls[2] = { NULL, NULL };
	struct timeval tv;
	int rc;

	rc = ldap_create_page_control(s->ld, page_size, &q->cookie, 1, &pctrl);
	if (rc != LDAP_SUCCESS) {
		log_search_err(q, rc, 0);
		return -1;
	}
	sctrls[0] = pctrl;
	errno = 0;
	rc = ldap_search_ext(s->ld, q->base, scopes[q->scope], q->filter, q->attrs, 0, sctrls,
			     NULL, op_timeout(s, &tv), LDAP_NO_LIMIT, &q->msgid);
	ldap_control_free(pctrl);
	s->nsearch++;
	if (rc != LDAP_SUCCESS) {
		q->msgid = -1;
		log_search_err(q, rc, errno);
		return -1;
	}
	return 0;
}

/* The next LDAP entry, over the pages: 1, 0 at the end, -1 on error (logged). */
WUR static int ldap_next(struct dir_search *q)
{
	struct dir_session *s = q->s;
	LDAPMessage *res = NULL;
	struct timeval tv;
	int rc, ret = -1;

	for (;;) {
		if (q->msgid < 0 && page_request(q) < 0)
			goto out;
		errno = 0;
		rc = ldap_result(s->ld, q->msgid, LDAP_MSG_ONE, op_timeout(s, &tv), &res);
		if (rc < 0) {
			int err = errno, code = LDAP_OTHER;

			(void)ldap_get_option(s->ld, LDAP_OPT_RESULT_CODE, &code);
			log_search_err(q, code, err);
			q->msgid = -1;     /* nothing to abandon on a connection gone */
			goto out;
		}
		if (rc == 0) {
			(void)ldap_set_option(s->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, NULL);
			log_search_err(q, LDAP_TIMEOUT, 0);
			goto out;
		}
		switch (ldap_msgtype(res)) {
		case LDAP_RES_SEARCH_ENTRY:
			if (build_entry(s, res, &q->e) != 0)
				goto out;
			q->nentries++;
			ret = 1;
			goto out;
		case LDAP_RES_SEARCH_REFERENCE:
			log_debug("%s: search base=%s: ignoring a search reference (referrals off)",
				  s->where, q->base);
			break;
		case LDAP_RES_SEARCH_RESULT:
			q->msgid = -1;     /* this page is read */
			if (page_result(q, res))
				goto out;
			ldap_msgfree(res);
			res = NULL;
			test_page_delay();
			if (q->cookie.bv_len == 0) {
				log_debug("%s: search base=%s filter=%s: %lu entries", s->where,
					  q->base, q->filter, q->nentries);
				ret = 0;
				goto out;
			}
			break;
		default:
			break;
		}
		ldap_msgfree(res);
		res = NULL;
	}
out:
	ldap_msgfree(res);
	return ret;
}

struct dir_search *dir_search_start(struct dir_session *s, const char *base,
				    enum dir_scope scope, const char *filter,
				    const char *const *attrs)
{
	struct dir_search *q = xcalloc(1, sizeof(*q));

	q->s = s;
	q->base = xstrdup(base);
	q->filter = xstrdup(filter && *filter ? filter : "(objectClass=*)");
	q->scope = scope;
	q->attrs = request_attrs(s, attrs);
	q->msgid = -1;
	if (s->ld) {
		log_search(s, q->base, scope, q->filter, q->attrs);
	} else {
		s->nsearch++;
		q->nbase = dn_normalise(base);
	}
	return q;
}

int dir_next_entry(struct dir_search *q, struct entry **e)
{
	int r;

	*e = NULL;
	entry_clear(&q->e);
	if (q->done)
		return 0;
	r = q->s->ld ? ldap_next(q) : ldif_next(q);
	if (r == 1)
		*e = &q->e;
	else
		q->done = true;
	return r;
}

void dir_search_end(struct dir_search *q)
{
	if (!q)
		return;
	/* a page still coming: the server can stop sending it */
	if (q->s->ld && q->msgid >= 0)
		(void)ldap_abandon_ext(q->s->ld, q->msgid, NULL, NULL);
	entry_free(&q->e);
	ber_memfree(q->cookie.bv_val);
	free_strv(q->attrs);
	free(q->nbase);
	free(q->base);
	free(q->filter);
	free(q);
}

/* ------------------------------------------------------------------------------------------ */
/* GUIDs */

char *dir_guid_text(const unsigned char *g, size_t len)
{
	if (!g || len != 16)
		return NULL;
	return xasprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
			 "%02x%02x%02x%02x%02x%02x",
			 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
			 g[10], g[11], g[12], g[13], g[14], g[15]);
}
