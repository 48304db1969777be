/*
 * init: relaygate init, the one way a grants store comes to be: the
 * directory and every file with the owner, group and mode
 * relaygate-security(7) gives them, whatever the umask.  --check reports
 * what differs (exit 1), --fix puts it right.
 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "core/store.h"

static void
say(const char *what, int fixed, void *arg)
{
	(void)arg;
	printf("%s%s\n", fixed ? "fixed: " : "", what);
}

int
cmd_init(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "check", no_argument, NULL, 'c' }, { "fix", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	enum store_init how = STORE_CREATE;
	struct err e;
	int ch, n, given = 0;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': how = STORE_CHECK; given++; break;
		case 'f': how = STORE_FIX; given++; break;
		case 'h': cli_usage(stdout, "init"); return EX_OK;
		default:
			fprintf(stderr, "relaygate init: unknown option %s\n", argv[optind - 1]);
			cli_usage(stderr, "init");
			return EX_USAGE;
		}
	}
	if (given > 1 || argc - optind != 0) {
		fprintf(stderr, "relaygate init: %s\n", given > 1 ?
		    "--check and --fix go alone" : "too many arguments");
		cli_usage(stderr, "init");
		return EX_USAGE;
	}
	if ((n = store_init(c, how, say, NULL, &e)) < 0) {
		fprintf(stderr, "relaygate init: %s\n", e.msg);
		return e.kind == ERR_PERM ? EX_NO : EX_TEMP;
	}
	if (fflush(stdout) != 0) {
		perror("relaygate: write standard output");
		return EX_TEMP;
	}
	if (n > 0) {
		fprintf(stderr, "relaygate init: %s: %d problem%s%s\n", c->dir, n,
		    n == 1 ? "" : "s", how == STORE_CHECK ? "" : "; relaygate init --fix "
		    "puts them right");
		return EX_NO;
	}
	return EX_OK;
}
