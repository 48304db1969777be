/*
 * relaygate: the administrator's program.  On a terminal with no
 * subcommand (or with "console") it is the ncurses console (src/ui); with a
 * subcommand it is batch mode for scripts (relaygate list, allow, pin,
 * expire --loop, ...); see relaygate(8).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ui/ui.h"
#include "version.h"

static void
usage(FILE *f)
{
	const struct command *c;

	fputs("usage: relaygate [-c config] command [argument ...]\n"
	    "       relaygate [-c config] [console [--readonly] [--no-color] [--interval SECONDS]]\n"
	    "       relaygate --version\n\ncommands:\n", f);
	for (c = cli_commands; c->name != NULL; c++)
		fprintf(f, "  %-13s%s\n", c->name, c->about);
}

/* relaygate console [--readonly] [--no-color] [--interval SECONDS] */
static int
console(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "readonly", no_argument, NULL, 'r' },
		{ "no-color", no_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	static const char use[] = "usage: relaygate console [--readonly] [--no-color] [--interval SECONDS]\n";
	struct ui_opts o = { 0, 0, 0 };
	struct err e;
	long secs;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case 'r': o.readonly = 1; break;
		case 'n': o.no_color = 1; break;
		case 'i':
			if (config_number("--interval", optarg, 1, 3600, "seconds", &secs, &e) < 0) {
				fprintf(stderr, "relaygate console: %s\n", e.msg);
				return EX_USAGE;
			}
			o.interval_ms = secs * 1000;
			break;
		case 'h': fputs(use, stdout); return EX_OK;
		default:
			fprintf(stderr, "relaygate console: %s %s\n",
			    ch == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
			fputs(use, stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "relaygate console: too many arguments\n%s", use);
		return EX_USAGE;
	}
	return ui_run(c, &o);
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	const char *conf = NULL;
	struct config c;
	struct err e;
	int i = 1;

	if (i < argc && strcmp(argv[i], "-c") == 0) {
		if (i + 1 >= argc) {
			usage(stderr);
			return EX_USAGE;
		}
		conf = argv[i + 1];
		i += 2;
	}
	if (i < argc && strcmp(argv[i], "--version") == 0) {
		puts("relaygate " RELAYGATE_VERSION);
		return EX_OK;
	}
	if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
		usage(stdout);
		return EX_OK;
	}
	if (i >= argc && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))) {
		usage(stderr);
		return EX_USAGE;
	}
	for (cmd = cli_commands; i < argc && cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[i]) == 0)
			break;
	if (i < argc && cmd->name == NULL && strcmp(argv[i], "console") != 0) {
		fprintf(stderr, "relaygate: unknown command \"%s\"\n", argv[i]);
		usage(stderr);
		return EX_USAGE;
	}
	if (config_load(&c, conf, config_env_trusted(), &e) < 0) {
		fprintf(stderr, "relaygate: %s\n", e.msg);
		return e.kind == ERR_PERM ? EX_USAGE : EX_TEMP;
	}
	if (i >= argc)
		return console(&c, 1, (char *[]){ "console", NULL });
	if (cmd->name == NULL)
		return console(&c, argc - i, argv + i);
	return cmd->run(&c, argc - i, argv + i);
}
