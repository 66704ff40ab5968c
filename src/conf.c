/*
 * conf.c - the configuration file: loading (the text, libconfuse's parse), the one error path
 * and the lines where options were read. The option tables and validators are in
 * conf_opts.c, the conversion to the plain structs of conf.h in conf_build.c (conf_int.h).
 *
 * Every value with a domain is checked while parsing, with the line it was read on; checks that
 * need the whole file (structure references) run after parsing, with lines recorded on the way.
 * All errors go to the logger as "file:line: option: why" (log_located: stderr, and syslog with
 * --syslog) and conf_load() returns NULL at the end.
 */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <confuse.h>

#include "conf.h"
#include "conf_int.h"
#include "log.h"

struct load_ctx *conf_ctx;

/* Every message of the configuration goes out here, through the logger: to stderr as
 * "file:line: ...", as it always was, and to syslog too with --syslog. */
PRINTF(2, 3)
static void conf_say(int prio, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	log_located(prio, text);
	free(text);
}

/* "file:line: [what: ][warning: ]why"; an error is counted. */
PRINTF(5, 0)
static void conf_vmsg(const char *file, int line, const char *what, bool warning,
		      const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap), *loc;

	loc = line > 0 ? xasprintf("%s:%d", file, line) : xstrdup(file);
	conf_say(warning ? LOG_WARNING : LOG_ERR, "%s: %s%s%s%s", loc, what ? what : "",
		 what ? ": " : "", warning ? "warning: " : "", msg);
	free(loc);
	free(msg);
	if (!warning)
		conf_ctx->errors++;
}

/* An error at the current line of section sec; counted, parsing goes on. */
PRINTF(3, 4)
void conf_err(const cfg_t *sec, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vmsg(sec && sec->filename ? sec->filename : conf_ctx->path, sec ? sec->line : 0, what,
		  false, fmt, ap);
	va_end(ap);
}

PRINTF(4, 5)
void conf_err_at(int line, const char *what, bool warning, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vmsg(conf_ctx->path, line, what, warning, fmt, ap);
	va_end(ap);
}

/* The same in another file (a table's TSV file). */
PRINTF(5, 6)
void conf_msg(const char *file, int line, const char *what, bool warning,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_vmsg(file, line, what, warning, fmt, ap);
	va_end(ap);
}

/* libconfuse's own messages ("no such option 'foo'"), which it hands to the function set by
 * cfg_set_error_function() with the section being parsed (its filename and line), rewritten
 * as "file:line: foo: why". */
static void conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	const char *file = cfg && cfg->filename ? cfg->filename :
			   conf_ctx ? conf_ctx->path : "config";
	int line = cfg ? cfg->line : 0;
	char *msg, *q1, *q2;

	if (conf_ctx)
		conf_ctx->errors++;
	msg = xvasprintf(fmt, ap);
	if (strncmp(fmt, "found duplicate title", 21) == 0 && (q1 = strchr(msg, '\''))) {
		conf_say(LOG_ERR, "%s:%d: title %s: another section of this kind has it", file,
			 line, q1);
		free(msg);
		return;
	}
	q1 = strchr(msg, '\'');
	q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	if (q1 && q2) {
		*q2 = '\0';
		/* drop " 'name'" from the sentence and put the name first */
		if (q1 > msg && q1[-1] == ' ')
			q1[-1] = '\0';
		else
			*q1 = '\0';
		if (line > 0)
			conf_say(LOG_ERR, "%s:%d: %s: %s%s", file, line, q1 + 1, msg, q2 + 1);
		else
			conf_say(LOG_ERR, "%s: %s: %s%s", file, q1 + 1, msg, q2 + 1);
	} else if (line > 0) {
		conf_say(LOG_ERR, "%s:%d: %s", file, line, msg);
	} else {
		conf_say(LOG_ERR, "%s: %s", file, msg);
	}
	free(msg);
}

void conf_rec_line(const cfg_t *sec, const char *opt, int line)
{
	xgrow(&conf_ctx->lines, &conf_ctx->cap, conf_ctx->nlines + 1, sizeof(*conf_ctx->lines));
	conf_ctx->lines[conf_ctx->nlines++] = (struct line_rec){ sec, opt, line };
}

int conf_line_of(const cfg_t *sec, const char *opt)
{
	int line = 0;

	for (size_t i = 0; i < conf_ctx->nlines; i++)
		if (conf_ctx->lines[i].sec == sec && strcmp(conf_ctx->lines[i].opt, opt) == 0)
			line = conf_ctx->lines[i].line;
	return line;
}

/* Line of value idx of the list option of sec that v_table_entry records, or 0. */
int conf_value_line(const cfg_t *sec, unsigned int idx)
{
	for (size_t i = 0; i < conf_ctx->nvlines; i++)
		if (conf_ctx->vlines[i].sec == sec && conf_ctx->vlines[i].idx == idx)
			return conf_ctx->vlines[i].line;
	return 0;
}

/*
 * libconfuse 3.3 counts a line twice after each '#' comment and refuses comments inside lists:
 * comments are blanked here (outside quoted strings, newlines kept) before it parses the text.
 */
static void blank_comments(char *s)
{
	char quote = 0;

	for (; *s; s++) {
		if (quote) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == quote)
				quote = 0;
		} else if (*s == '"' || *s == '\'') {
			quote = *s;
		} else if (*s == '#' || (s[0] == '/' && s[1] == '/')) {
			for (; *s && *s != '\n'; s++)
				*s = ' ';
			if (!*s)
				break;
		} else if (s[0] == '/' && s[1] == '*') {
			for (; *s && !(s[0] == '*' && s[1] == '/'); s++)
				if (*s != '\n')
					*s = ' ';
			if (!*s)
				break;
			s[0] = s[1] = ' ';
			s++;
		}
	}
}

/* The file's text with comments blanked, or NULL after printing why. */
static char *read_config(const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = { 0 };
	char buf[8192];
	size_t n;
	char *text = NULL;

	if (!f) {
		conf_say(LOG_ERR, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_addn(&sb, buf, n);
	if (ferror(f)) {
		conf_say(LOG_ERR, "%s: cannot read: %s", path, strerror(errno));
		sb_free(&sb);
		goto out;
	}
	if (sb.len && memchr(sb.buf, '\0', sb.len)) {
		conf_say(LOG_ERR, "%s: not a text file (NUL byte)", path);
		sb_free(&sb);
		goto out;
	}
	text = sb_steal(&sb);
	blank_comments(text);
out:
	if (f)
		fclose(f);
	return text;
}

struct config *conf_load(const char *path)
{
	return conf_load_checked(path, NULL);
}

struct config *conf_load_checked(const char *path, conf_check_fn check)
{
	struct load_ctx lc = { .path = path };
	struct config *c = NULL;
	cfg_t *cfg = NULL;
	char *text = NULL;
	FILE *fp = NULL;
	int rc;

	conf_map_opts_init();
	conf_ctx = &lc;
	cfg = cfg_init(conf_root_opts, CFGF_NONE);
	if (!cfg) {
		conf_say(LOG_ERR, "%s: cannot initialise the parser", path);
		goto out;
	}
	cfg_set_error_function(cfg, conf_errfunc);
	text = read_config(path);
	if (!text)
		goto out;
	fp = fmemopen(text, strlen(text), "r");
	if (!fp) {
		conf_say(LOG_ERR, "%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	cfg->filename = xstrdup(path);
	rc = cfg_parse_fp(cfg, fp);
	if (rc != CFG_SUCCESS)
		goto out;
	/* built even after validator errors, so that the later checks are reported too */
	c = conf_build(cfg, path);
	if (check) {
		char *err = check(c);

		if (err) {
			log_located(LOG_ERR, err);
			lc.errors++;
			free(err);
		}
	}
	if (lc.errors > 0) {
		conf_free(c);
		c = NULL;
	}
out:
	if (fp)
		fclose(fp);
	free(text);
	if (cfg)
		cfg_free(cfg);
	free(lc.lines);
	free(lc.vlines);
	conf_ctx = NULL;
	return c;
}

char *conf_check_paths(const struct config *c)
{
	const struct conf_output *o = &c->output;
	struct stat st;
	char *where, *err;
	int rc, e;

	rc = stat(o->directory, &st);
	e = errno;
	if (rc == 0 && S_ISDIR(st.st_mode))
		return NULL;
	where = o->directory_line > 0 ? xasprintf("%s:%d", c->path, o->directory_line) :
		xstrdup(c->path);
	if (rc < 0 && e == ENOENT)
		err = xasprintf("%s: output.directory: %s%s does not exist: create it (mode 0700, "
				"owned by the user that runs apply)", where, o->directory,
				o->directory_line > 0 ? "" : " (the default)");
	else if (rc < 0)
		err = xasprintf("%s: output.directory: %s: %s", where, o->directory, strerror(e));
	else
		err = xasprintf("%s: output.directory: %s is not a directory", where, o->directory);
	free(where);
	return err;
}
