/*
 * log.c - stderr when run by hand, syslog (LOG_DAEMON, LOG_PID) with --syslog.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static bool use_syslog;
static int max_level = LOG_NOTICE;
static const char *prog = "medimail-sync";

static const struct {
	const char *name;
	int prio;
} levels[] = {
	{ "error", LOG_ERR }, { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
	{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
};

void log_init(const char *ident, bool to_syslog, int level)
{
	prog = ident;
	use_syslog = to_syslog;
	max_level = level;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		if (strcasecmp(name, levels[i].name) == 0)
			return levels[i].prio;
	return -1;
}

bool log_enabled(int prio)
{
	return prio <= max_level;
}

/* The message is escaped as a whole (sb_add_visible): the values it embeds (DNs, attribute
 * values, a server's diagnostic) cannot forge a line, colour the terminal or reach syslog raw. */
void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;
	struct strbuf vis = { 0 };
	char *raw = NULL;
	int n;

	if (prio > max_level)
		return;
	va_start(ap, fmt);
	n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_addn(&vis, "", 0);
	sb_add_visible(&vis, raw, (size_t)n);
	free(raw);
	if (use_syslog) {
		syslog(prio, "%s", vis.buf);
	} else {
		const char *tag = prio <= LOG_ERR ? "error: " : prio == LOG_WARNING ? "warning: " :
				  prio == LOG_DEBUG ? "debug: " : "";

		flockfile(stderr);     /* one whole line, even with the output thread */
		fprintf(stderr, "%s: %s%s\n", prog, tag, vis.buf);
		funlockfile(stderr);
	}
	sb_free(&vis);
}

void log_located(int prio, const char *text)
{
	const char *p = text, *nl;
	struct strbuf vis = { 0 };

	do {
		nl = strchr(p, '\n');
		vis.len = 0;
		sb_addn(&vis, "", 0);
		sb_add_visible(&vis, p, nl ? (size_t)(nl - p) : strlen(p));
		if (use_syslog)
			syslog(prio, "%s", vis.buf);
		flockfile(stderr);
		fprintf(stderr, "%s\n", vis.buf);
		funlockfile(stderr);
		if (!nl)
			break;
		p = nl + 1;
	} while (*p);
	sb_free(&vis);
}

void log_close(void)
{
	if (use_syslog)
		closelog();
}

void log_timing(const char *what, struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	log_debug("timing: %s: %.3f s", what, (double)(t.tv_sec - t0->tv_sec) +
		  (double)(t.tv_nsec - t0->tv_nsec) / 1e9);
	*t0 = t;
}
