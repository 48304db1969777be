/*
 * relaygate: the administrator's program.  With a subcommand it is batch
 * mode for scripts (relaygate list, allow, pin, expire --loop, ...); see
 * relaygate(8).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define VERSION "0.1"

static void
usage(FILE *f)
{
	const struct command *c;

	fputs("usage: relaygate [-c config] command [argument ...]\n"
	    "       relaygate --version\n\ncommands:\n", f);
	for (c = cli_commands; c->name != NULL; c++)
		fprintf(f, "  %-13s%s\n", c->name, c->about);
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
		puts("relaygate " VERSION);
		return EX_OK;
	}
	if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
		usage(stdout);
		return EX_OK;
	}
	if (i >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	for (cmd = cli_commands; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[i]) == 0)
			break;
	if (cmd->name == NULL) {
		fprintf(stderr, "relaygate: unknown command \"%s\"\n", argv[i]);
		usage(stderr);
		return EX_USAGE;
	}
	if (config_load(&c, conf, config_env_trusted(), &e) < 0) {
		fprintf(stderr, "relaygate: %s\n", e.msg);
		return e.kind == ERR_PERM ? EX_USAGE : EX_TEMP;
	}
	return cmd->run(&c, argc - i, argv + i);
}
