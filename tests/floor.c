/*
 * floor: the least a relay check can cost, for make bench to measure
 * relaygate-check against.  It stands for relay-ctrl's design: one stat(2)
 * of one file (relay-ctrl-check stats a file named by the client's
 * address; here, the store's grants.db in $RELAYGATE_DIR), RELAYCLIENT set
 * when that file is there, then exec.  Linked statically, as a small
 * program with nothing to load.
 *
 *   floor prog [arg ...]
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	const char *dir = getenv("RELAYGATE_DIR");
	char path[PATH_MAX];
	struct stat st;

	if (argc < 2) {
		fputs("usage: floor prog [arg ...]\n", stderr);
		return 2;
	}
	if (dir != NULL && snprintf(path, sizeof path, "%s/grants.db", dir) < (int)sizeof path &&
	    stat(path, &st) == 0)
		setenv("RELAYCLIENT", "", 1);
	execvp(argv[1], argv + 1);
	fprintf(stderr, "floor: exec %s: %s\n", argv[1], strerror(errno));
	return 111;
}
