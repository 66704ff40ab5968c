/*
 * main.c - the command line: global options, then one command (plan, apply, check-config,
 * validate, explain, adopt, reconcile, state, national). Exit codes are in exitcode.h and
 * medimail-sync(8).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adopt_run.h"
#include "check.h"
#include "conf.h"
#include "dir.h"
#include "explain.h"
#include "i18n.h"
#include "log.h"
#include "map.h"
#include "national.h"
#include "run.h"
#include "state.h"
#include "state_cmd.h"
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
		"  explain DN|ADDRESS             one entry, column by column: rules tried,\n"
		"                                 values read, transforms, cells, findings\n"
		"  adopt FILE [--commit] [--accept-renames] [--expire-orphans] [--json FILE]\n"
		"                                 match Medimail's account export (CSV, XLSX,\n"
		"                                 XLS) with the directory; --commit records the\n"
		"                                 accounts that exist already in the state\n"
		"  reconcile FILE [--commit] [--json FILE]\n"
		"                                 compare Medimail's account export with the\n"
		"                                 state: imports missed, hand edits, expiries not\n"
		"                                 applied; --commit makes the next apply fix them\n"
		"  state list | history KEY | runs | forget KEY | rollback\n"
		"                                 inspect or adjust the state\n"
		"  national index | show ID       build or refresh the national directory's\n"
		"                                 index; print one RPPS or ADELI record\n"
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

/* Count the entries of one search (no attributes asked for): 0 or -1 (logged). */
static int count_entries(struct dir_session *s, const char *base, const char *filter,
			 size_t *n)
{
	static const char *const no_attrs[] = { "1.1", NULL };
	struct dir_search *q = dir_search_start(s, base, DIR_SCOPE_SUB, filter, no_attrs);
	struct entry *e;
	int r;

	while ((r = dir_next_entry(q, &e)) == 1)
		(*n)++;
	dir_search_end(q);
	return r;
}

/* The errors of the modules that compile the configuration (rule ids, templates, rules,
 * tables), for conf_load_checked: printed with the file's own errors, all at once. */
static char *config_errors(const struct config *c)
{
	struct checker *ck;
	struct mapper *m;
	char *err = NULL, *merr = NULL, *both;

	ck = check_new(c, &err);
	check_free(ck);
	if (err) {
		both = xasprintf("%s: %s", c->path, err);
		free(err);
		err = both;
	}
	m = map_new(c, &merr);
	map_free(m);
	if (merr && err) {
		both = xasprintf("%s\n%s", err, merr);
		free(err);
		free(merr);
		err = both;
	} else if (merr) {
		err = merr;
	}
	return err;
}

static int cmd_check_config(const struct config *c, bool connect)
{
	struct checker *ck;
	struct mapper *m = NULL;
	char *err = NULL;
	int rc = EXIT_OK;

	/* Templates, rule ids and list names are checked by the modules that use them. */
	ck = check_new(c, &err);
	if (!ck) {
		fprintf(stderr, "%s: %s\n", c->path, err ? err : "invalid configuration");
		free(err);
		return EXIT_USAGE;
	}
	check_free(ck);
	/* the mapper's errors and warnings name the file and line themselves */
	m = map_new(c, &err);
	if (!m) {
		fprintf(stderr, "%s\n", err ? err : "invalid configuration");
		free(err);
		return EXIT_USAGE;
	}
	if (map_warnings(m))
		fprintf(stderr, "%s\n", map_warnings(m));
	map_free(m);
	err = conf_check_paths(c);
	if (err) {
		fprintf(stderr, "%s\n", err);
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
		for (size_t b = 0; b < d->nbases; b++)
			if (count_entries(s, d->bases[b], d->people_filter, &n) != 0)
				rc = EXIT_FAIL;
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

/* national index: build or refresh the index of the national directory, print the counts. */
static int cmd_national_index(const struct config *c)
{
	const struct nat_info *in;
	struct nat_db *db;
	char *err = NULL;

	db = nat_open(c->national, &err);
	if (!db) {
		log_err("%s", err ? err : "national directory: cannot open");
		free(err);
		return EXIT_FAIL;
	}
	in = nat_info(db);
	if (in->rebuilt)
		printf(_("%s: built in %.2f s (%s)\n"), in->index, in->seconds, in->rebuilt);
	else
		printf(_("%s: up to date (checked in %.2f s)\n"), in->index, in->seconds);
	printf(_("  extract: %s: %llu rows, %llu people, %llu activities, %llu savoir-faire\n"),
	       in->extract, (unsigned long long)in->rows, (unsigned long long)in->persons,
	       (unsigned long long)in->activities, (unsigned long long)in->savoir_faire);
	if (in->mssante)
		printf(_("  MSSanté extract: %s: %llu rows, %llu addresses of people\n"),
		       in->mssante, (unsigned long long)in->mssante_rows,
		       (unsigned long long)in->mssante_addresses);
	printf(_("  index: %.1f MB\n"), (double)in->index_bytes / 1e6);
	nat_close(db);
	return EXIT_OK;
}

/* One line of "national show": the label padded to 22 characters (not bytes), the value. */
PRINTF(2, 3)
static void show_line(const char *label, const char *fmt, ...)
{
	size_t n = utf8_len(label);
	va_list ap;

	printf("  %s%*s ", label, n < 22 ? (int)(22 - n) : 0, "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* "-" for an empty value, so that a missing field shows */
static const char *dash(const char *s)
{
	return *s ? s : "-";
}

static void show_code(const char *label, struct nat_code k)
{
	show_line(label, "%s%s%s", dash(k.code), *k.label ? " " : "", k.label);
}

/* national show ID: every field of one person of the national directory. */
static int cmd_national_show(const struct config *c, const char *arg)
{
	const struct nat_person *p;
	struct nat_db *db;
	enum nat_id_type t;
	char *id = NULL, *err = NULL;
	const char *kind;
	int rc = EXIT_OK;

	if (nat_parse_id(arg, &t, &id) < 0) {
		fprintf(stderr, _("medimail-sync: national show: \"%s\" is not an RPPS (11 "
				  "digits), an ADELI (9 digits), a national id (8+RPPS, 0+ADELI) "
				  "or TYPE:ID\n"), arg);
		return EXIT_USAGE;
	}
	kind = t == NAT_RPPS ? "RPPS" : t == NAT_ADELI ? "ADELI" : _("identifier");
	db = nat_open(c->national, &err);
	if (!db) {
		log_err("%s", err ? err : "national directory: cannot open");
		free(err);
		free(id);
		return EXIT_FAIL;
	}
	p = nat_find(db, t, id);
	if (!p) {
		fprintf(stderr, _("medimail-sync: %s %s is not in the national directory (%s)\n"),
			kind, id, nat_info(db)->extract);
		rc = EXIT_FAIL;
		goto out;
	}
	printf("%s %s\n", kind, p->id);
	show_line(_("national id"), "%s", p->idnat);
	if (!p->in_extract)
		show_line(_("activity extract"), _("absent (only in the MSSanté extract)"));
	show_code(_("civilité d'exercice"), p->civilite_exercice);
	show_code(_("civilité"), p->civilite);
	show_line(_("nom d'exercice"), "%s (%s \"%s\", %s \"%s\")", dash(p->nom), _("folded"),
		  p->nom_fold, _("key"), p->nom_key);
	show_line(_("prénom d'exercice"), "%s (%s \"%s\", %s \"%s\")", dash(p->prenom),
		  _("folded"), p->prenom_fold, _("key"), p->prenom_key);
	for (size_t i = 0; i < p->nprofessions; i++) {
		const struct nat_profession *pr = &p->professions[i];

		show_line(_("profession"), "%s %s (%s %s %s)", dash(pr->profession.code),
			  pr->profession.label, _("catégorie"), dash(pr->categorie.code),
			  pr->categorie.label);
	}
	for (size_t i = 0; i < p->nsavoir_faire; i++) {
		const struct nat_savoir_faire *sf = &p->savoir_faire[i];

		show_line(_("savoir-faire"), _("%s %s: %s %s"), dash(sf->type.code),
			  sf->type.label, dash(sf->savoir_faire.code), sf->savoir_faire.label);
	}
	for (size_t i = 0; i < p->nactivities; i++) {
		const struct nat_activity *a = &p->activities[i];

		show_line(_("activité"), "%s %s; %s %s %s", dash(a->mode.code), a->mode.label,
			  _("secteur"), dash(a->secteur.code), a->secteur.label);
		show_line("", "%s; %s %s (%s %s)", dash(a->raison_sociale), dash(a->cp),
			  dash(a->commune), _("commune"), dash(a->commune_code));
		show_line("", "SIRET %s, SIREN %s, FINESS %s, FINESS EJ %s, %s %s", dash(a->siret),
			  dash(a->siren), dash(a->finess), dash(a->finess_ej), _("structure"),
			  dash(a->structure_id));
	}
	for (size_t i = 0; i < p->nmssante; i++) {
		const struct nat_mssante *m = &p->mssante[i];

		show_line(_("MSSanté"), "%s (%s; %s %s %s; %s %s; %s)", m->address,
			  dash(m->bal_type), _("structure"), dash(m->structure_id_type),
			  dash(m->structure_id), _("service"), dash(m->service),
			  dash(m->raison_sociale));
	}
out:
	nat_close(db);
	free(id);
	return rc;
}

/* national index | national show ID (main() checked the arguments) */
static int cmd_national(const struct config *c, char **argv)
{
	if (!c->national) {
		fprintf(stderr, _("%s: no national-directory section: nothing to index\n"),
			c->path);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "index") == 0)
		return cmd_national_index(c);
	return cmd_national_show(c, argv[1]);
}

/* adopt and reconcile: FILE, and the options before or after it. */
static int parse_adopt(int argc, char **argv, struct adopt_run_opts *ao)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "commit", no_argument, NULL, 'k' },
		{ "accept-renames", no_argument, NULL, 'r' },
		{ "expire-orphans", no_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	while (optind < argc) {
		opt = getopt_long(argc, argv, "+", opts, NULL);
		if (opt == -1) {
			/* getopt stops at FILE: take it and go on */
			if (ao->export_path || optind >= argc)
				break;
			ao->export_path = argv[optind++];
			continue;
		}
		if (opt == 'j')
			ao->json_path = optarg;
		else if (opt == 'k')
			ao->commit = true;
		else if (opt == 'r')
			ao->accept_renames = true;
		else if (opt == 'o')
			ao->expire_orphans = true;
		else
			return -1;
	}
	return ao->export_path && optind == argc ? 0 : -1;
}

/* The command line, as main() reads it. */
struct cli {
	const char *config_path;
	bool use_syslog, connect;
	int level;
	const char *cmd;                   /* argv[0] after the global options */
	int argc;
	char **argv;                       /* the command and its arguments */
	struct run_opts ro;
	struct adopt_run_opts ao;
};

static const struct option global_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "log-level", required_argument, NULL, 'l' },
	{ "syslog", no_argument, NULL, 'S' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static const struct option command_opts[] = {
	{ "json", required_argument, NULL, 'j' },
	{ "metrics", required_argument, NULL, 'm' },
	{ "force", no_argument, NULL, 'f' },
	{ "connect", no_argument, NULL, 'C' },
	{ NULL, 0, NULL, 0 }
};

/* What every command shares: private files, no death on a file size limit, the catalogue. */
static void process_setup(void)
{
	const char *env;

	umask(077);    /* loadusers files, reports and the state hold personal data */
	/* over a file size limit (ulimit -f), write() fails with EFBIG and the run's error
	 * path removes what it wrote; the signal would kill it without a word */
	signal(SIGXFSZ, SIG_IGN);
	setlocale(LC_ALL, "");
	/* tests use the build tree's catalogue before installation */
	env = getenv("MEDIMAIL_SYNC_LOCALEDIR");
	bindtextdomain(PACKAGE, env && *env ? env : LOCALEDIR);
	textdomain(PACKAGE);
}

/* The global options into cl. Returns -1 to go on, or the exit status (--help, --version, an
 * unknown option or log level). */
static int parse_global(int argc, char **argv, struct cli *cl)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "+c:l:qhV", global_opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			cl->config_path = optarg;
			break;
		case 'l':
			cl->level = log_level_parse(optarg);
			if (cl->level < 0) {
				fprintf(stderr, _("medimail-sync: unknown log level \"%s\"\n"),
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'S':
			cl->use_syslog = true;
			break;
		case 'q':
			cl->ro.quiet = true;
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
	return -1;
}

/* The options of plan, apply and check-config. 0, or -1 for a usage error. */
static int parse_run(struct cli *cl)
{
	struct run_opts *ro = &cl->ro;
	bool check = strcmp(cl->cmd, "check-config") == 0;
	int opt;

	while ((opt = getopt_long(cl->argc, cl->argv, "+", command_opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			ro->json_path = optarg;
			break;
		case 'm':
			ro->metrics_path = optarg;
			break;
		case 'f':
			ro->override_limits = true;
			break;
		case 'C':
			cl->connect = true;
			break;
		default:
			return -1;
		}
	}
	if (optind != cl->argc)
		return -1;
	if (check && (ro->json_path || ro->metrics_path || ro->override_limits))
		return -1;
	if (cl->connect && !check)
		return -1;
	if (strcmp(cl->cmd, "plan") == 0 && ro->override_limits)
		return -1;
	return 0;
}

/* The command's arguments. 0, or -1 for a usage error (an unknown command is said). */
static int parse_command(struct cli *cl)
{
	const char *cmd = cl->cmd;
	int argc = cl->argc;
	char **argv = cl->argv;

	if (strcmp(cmd, "plan") == 0 || strcmp(cmd, "apply") == 0 ||
	    strcmp(cmd, "check-config") == 0)
		return parse_run(cl);
	if (strcmp(cmd, "validate") == 0 || strcmp(cmd, "explain") == 0)
		return argc != 2 ? -1 : 0;
	if (strcmp(cmd, "adopt") == 0 || strcmp(cmd, "reconcile") == 0) {
		if (parse_adopt(argc, argv, &cl->ao) != 0)
			return -1;
		if (strcmp(cmd, "reconcile") == 0 && (cl->ao.accept_renames ||
						      cl->ao.expire_orphans))
			return -1;
		return 0;
	}
	if (strcmp(cmd, "national") == 0)
		return (argc == 2 && strcmp(argv[1], "index") == 0) ||
		       (argc == 3 && strcmp(argv[1], "show") == 0) ? 0 : -1;
	if (strcmp(cmd, "state") != 0) {
		fprintf(stderr, _("medimail-sync: unknown command \"%s\"\n"), cmd);
		return -1;
	}
	return 0;
}

/* The time of the run: MEDIMAIL_SYNC_NOW when set (tests), else dflt. */
static long long run_time(long long dflt)
{
	const char *env = getenv("MEDIMAIL_SYNC_NOW");

	return env ? strtoll(env, NULL, 10) : dflt;
}

/* Run the command with configuration c. Returns its exit status. */
static int dispatch(struct cli *cl, const struct config *c)
{
	const char *cmd = cl->cmd;

	if (strcmp(cmd, "check-config") == 0)
		return cmd_check_config(c, cl->connect);
	if (strcmp(cmd, "validate") == 0)
		return validate_file(cl->argv[1], c, stdout);
	if (strcmp(cmd, "state") == 0)
		return cmd_state(c, cl->argc - 1, cl->argv + 1);
	if (strcmp(cmd, "adopt") == 0 || strcmp(cmd, "reconcile") == 0) {
		cl->ao.quiet = cl->ro.quiet;
		cl->ao.now = run_time(0);
		return strcmp(cmd, "adopt") == 0 ? adopt_main(c, &cl->ao) :
						   reconcile_main(c, &cl->ao);
	}
	if (strcmp(cmd, "national") == 0)
		return cmd_national(c, cl->argv + 1);
	cl->ro.now = run_time(time(NULL));
	cl->ro.apply = strcmp(cmd, "apply") == 0;
	if (strcmp(cmd, "explain") == 0)
		return explain_main(c, cl->argv[1], cl->ro.now, stdout);
	return run_main(c, &cl->ro);
}

int main(int argc, char **argv)
{
	struct cli cl = { .config_path = DEFAULT_CONFIG, .level = LOG_NOTICE };
	struct config *c = NULL;
	int rc = EXIT_USAGE;

	process_setup();
	rc = parse_global(argc, argv, &cl);
	if (rc >= 0)
		return rc;
	rc = EXIT_USAGE;
	log_init("medimail-sync", cl.use_syslog, cl.level);
	if (optind >= argc) {
		usage(stderr);
		goto out;
	}
	cl.cmd = argv[optind];
	cl.argc = argc - optind;
	cl.argv = argv + optind;
	optind = 1;
	if (parse_command(&cl) != 0) {
		usage(stderr);
		goto out;
	}
	/* validate works without a configuration unless one was named. */
	if (strcmp(cl.cmd, "validate") == 0 && cl.config_path == (const char *)DEFAULT_CONFIG &&
	    access(cl.config_path, R_OK) != 0) {
		rc = validate_file(cl.argv[1], NULL, stdout);
		goto out;
	}
	c = conf_load_checked(cl.config_path, config_errors);
	if (c)
		rc = dispatch(&cl, c);
out:
	conf_free(c);
	log_close();
	return rc;
}
