/*
 * log.h - logging to stderr (interactive) or syslog (--syslog, timers).
 * Messages never contain secrets: callers must not pass passwords here.
 */
#ifndef MS_LOG_H
#define MS_LOG_H

#include <syslog.h>
#include "util.h"

/* level is a syslog priority (LOG_ERR .. LOG_DEBUG). */
void log_init(const char *ident, bool use_syslog, int level);
/* Parse "error", "warning", "notice", "info", "debug". Returns -1 if unknown. */
int log_level_parse(const char *name);
void log_msg(int prio, const char *fmt, ...) PRINTF(2, 3);
/* A message that names its own place, "FILE:LINE: option: why" (the configuration's errors
 * and warnings): written to stderr as it is, without the program's name and whatever the
 * level, and to syslog as well with --syslog. Each line of text is one message, escaped as
 * log_msg escapes. */
void log_located(int prio, const char *text);
bool log_enabled(int prio);
void log_close(void);
/* "-l debug" tells where the time of a run goes: logs "timing: WHAT: N s" since *t0 (a
 * CLOCK_MONOTONIC reading) and sets *t0 to now. */
struct timespec;
void log_timing(const char *what, struct timespec *t0);

#define log_err(...)     log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)    log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
