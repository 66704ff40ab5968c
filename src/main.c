/*
 * main.c - the command line: global options, then one command (plan, apply, check-config,
 * validate, state). Exit codes are in run.h and medimail-sync(8).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "dir.h"
#include "i18n.h"
#include "log.h"
#include "map.h"
#include "run.h"
#include "state.h"
#include "validate.h"

#define DEFAULT_CONFIG SYSCONFDIR "/medimail-sync/medimail-sync.conf"

static void usage(FILE *out)
{
	fprintf(out, _(
		"Usage: medimail-sync [-c FILE] [-l LEVEL] [--syslog] [-q] COMMAND [OPTIONS]\n"
		"\n"
		"Keep Medimail accounts in step with the establishment's directory.\n"
		"\n"
		"Commands:\n"
		"  plan [--json FILE] [--metrics FILE]\n"
		"                                 dry run: read, map, validate, compare with the\n"
		"                                 state; print the summary; write nothing\n"
		"  apply [--force] [--json FILE] [--metrics FILE]\n"
		"                                 the same, then write the loadusers file and\n"
		"                                 commit the state (--force: accept a plan that\n"
		"                                 trips a safety limit, once)\n"
		"  check-config [--connect]       check the configuration (--connect: also bind\n"
		"                                 and count the people of each directory)\n"
		"  validate FILE                  check a hand-made loadusers file (CSV, XLSX or\n"
		"                                 XLS), row by row\n"
		"  state list | history KEY | runs | forget KEY | rollback\n"
		"                                 inspect or adjust the state\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  -l, --log-level L   error, warning, notice (default), info or debug\n"
		"      --syslog        log to syslog instead of stderr\n"
		"  -q, --quiet         print nothing but errors\n"
		"  -h, --help          this help\n"
		"  -V, --version       the version\n"
		"\n"
		"Exit status: 0 success, 1 failure (directory, I/O, state), 2 usage or\n"
		"configuration error, 3 safety limit tripped, 4 completed with rejected\n"
		"entries, 5 another run holds the lock. See medimail-sync(8).\n"),
		DEFAULT_CONFIG);
}

static int count_entry(struct entry *e, void *arg)
{
	(void)e;
	(*(size_t *)arg)++;
	return 0;
}

static int cmd_check_config(const struct config *c, bool connect)
{
	struct checker *ck;
	struct mapper *m = NULL;
	char *err = NULL;
	int rc = EXIT_OK;

	/* Templates, rule ids and list names are checked by the modules that use them. */
	ck = check_new(c, &err);
	if (ck)
		m = map_new(c, &err);
	map_free(m);
	check_free(ck);
	if (!m) {
		fprintf(stderr, "%s: %s\n", c->path, err ? err : "invalid configuration");
		free(err);
		return EXIT_USAGE;
	}

	printf("%s: configuration ok (%zu director%s, %zu structure%s)\n", c->path,
	       c->ndirectories, c->ndirectories == 1 ? "y" : "ies", c->nstructures,
	       c->nstructures == 1 ? "" : "s");
	for (size_t i = 0; connect && i < c->ndirectories; i++) {
		const struct conf_directory *d = &c->directories[i];
		struct dir_session *s = dir_open(d);
		size_t n = 0;

		if (!s) {
			rc = EXIT_FAIL;
			continue;
		}
		for (size_t b = 0; b < d->nbases; b++) {
			static const char *const no_attrs[] = { "1.1", NULL };

			if (dir_search(s, d->bases[b], DIR_SCOPE_SUB, d->people_filter, no_attrs,
				       count_entry, &n) != 0)
				rc = EXIT_FAIL;
		}
		printf("directory \"%s\": %s: %zu people\n", d->name, d->uri ? d->uri : d->ldif,
		       n);
		dir_close(s);
	}
	return rc;
}

static int cmd_state(const struct config *c, int argc, char **argv)
{
	bool writes = argc > 0 && (strcmp(argv[0], "forget") == 0 ||
				   strcmp(argv[0], "rollback") == 0);
	struct state *s;
	char *err = NULL;
	int rc;

	if (argc < 1) {
		fprintf(stderr, _("medimail-sync: state: list, history KEY, runs, forget KEY or "
				  "rollback\n"));
		return EXIT_USAGE;
	}
	s = state_open(c->state_file, !writes, writes, &err);
	if (!s) {
		rc = errno == EWOULDBLOCK ? EXIT_LOCKED : EXIT_FAIL;
		log_err("%s", err ? err : c->state_file);
		free(err);
		return rc;
	}
	rc = state_cmd(s, argc, argv, stdout, &err);
	if (rc != 0) {
		log_err("state %s: %s", argv[0], err ? err : "failed");
		rc = rc == -2 ? EXIT_USAGE : EXIT_FAIL;
	}
	free(err);
	state_close(s);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option global[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct option cmdopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "metrics", required_argument, NULL, 'm' },
		{ "force", no_argument, NULL, 'f' },
		{ "connect", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = DEFAULT_CONFIG, *cmd, *env;
	struct run_opts ro = { 0 };
	struct config *c = NULL;
	bool use_syslog = false, connect = false;
	int level = LOG_NOTICE, opt, rc = EXIT_USAGE;

	umask(077);    /* loadusers files, reports and the state hold personal data */
	setlocale(LC_ALL, "");
	/* tests use the build tree's catalogue before installation */
	env = getenv("MEDIMAIL_SYNC_LOCALEDIR");
	bindtextdomain(PACKAGE, env && *env ? env : LOCALEDIR);
	textdomain(PACKAGE);
	while ((opt = getopt_long(argc, argv, "+c:l:qhV", global, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'l':
			level = log_level_parse(optarg);
			if (level < 0) {
				fprintf(stderr, _("medimail-sync: unknown log level \"%s\"\n"),
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			use_syslog = true;
			break;
		case 'q':
			ro.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("%s\n", PACKAGE_STRING);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	log_init("medimail-sync", use_syslog, level);
	if (optind >= argc) {
		usage(stderr);
		goto out;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 1;

	if (strcmp(cmd, "plan") == 0 || strcmp(cmd, "apply") == 0 ||
	    strcmp(cmd, "check-config") == 0) {
		while ((opt = getopt_long(argc, argv, "+", cmdopts, NULL)) != -1) {
			switch (opt) {
			case 'j':
				ro.json_path = optarg;
				break;
			case 'm':
				ro.metrics_path = optarg;
				break;
			case 'f':
				ro.override_limits = true;
				break;
			case 'C':
				connect = true;
				break;
			default:
				goto usage_err;
			}
		}
		if (optind != argc)
			goto usage_err;
		if (strcmp(cmd, "check-config") == 0 && (ro.json_path || ro.metrics_path ||
						     ro.override_limits))
			goto usage_err;
		if (connect && strcmp(cmd, "check-config") != 0)
			goto usage_err;
		if (strcmp(cmd, "plan") == 0 && ro.override_limits)
			goto usage_err;
	} else if (strcmp(cmd, "validate") == 0) {
		if (argc != 2)
			goto usage_err;
	} else if (strcmp(cmd, "state") != 0) {
		fprintf(stderr, _("medimail-sync: unknown command \"%s\"\n"), cmd);
		goto usage_err;
	}

	/* validate works without a configuration unless one was named. */
	if (strcmp(cmd, "validate") == 0 && config_path == (const char *)DEFAULT_CONFIG &&
	    access(config_path, R_OK) != 0) {
		rc = validate_file(argv[1], NULL, stdout);
		goto out;
	}
	c = conf_load(config_path);
	if (!c) {
		rc = EXIT_USAGE;
		goto out;
	}
	if (strcmp(cmd, "check-config") == 0) {
		rc = cmd_check_config(c, connect);
	} else if (strcmp(cmd, "validate") == 0) {
		rc = validate_file(argv[1], c, stdout);
	} else if (strcmp(cmd, "state") == 0) {
		rc = cmd_state(c, argc - 1, argv + 1);
	} else {
		ro.apply = strcmp(cmd, "apply") == 0;
		env = getenv("MEDIMAIL_SYNC_NOW");
		if (env)
			ro.now = strtoll(env, NULL, 10);
		rc = run_main(c, &ro);
	}
	goto out;
usage_err:
	usage(stderr);
	rc = EXIT_USAGE;
out:
	conf_free(c);
	log_close();
	return rc;
}
