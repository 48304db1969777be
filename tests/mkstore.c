/*
 * mkstore: a big grants store, fast, for tools/bench-console.
 *
 *   mkstore DIR N    N timed grants (10.x.y.z, 1 to 2 hours left, 5,000
 *                    users) and 20 pins, written in commits of 50,000
 *
 * Recording a million logins through relaygate allow would take hours; this
 * writes through the store's own interface, as make bench does (tests/bench-store.c).
 * Build: make build/mkstore (a Makefile rule like build/stress's), or
 * tools/bench-console builds it with the same flags when that is missing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stores/grantdb.h"

static void
die(const char *what, const struct err *e)
{
	fprintf(stderr, "mkstore: %s: %s\n", what, e->msg);
	exit(111);
}

int
main(int argc, char **argv)
{
	struct grantdb_opts o = { .lock_timeout_ms = 10000, .sync = 0, .cache_bytes = 256u << 20 };
	int64_t now = (int64_t)time(NULL);
	struct grantdb *db;
	struct grant g;
	struct err e;
	long i, n;

	if (argc != 3 || (n = atol(argv[2])) < 0 || n > 16777216) {
		fputs("usage: mkstore DIR N (0 to 16777216)\n", stderr);
		return 2;
	}
	/* The store as relaygate init makes it, for whoever runs this. */
	if (grantdb_init(argv[1], getuid(), getgid(), GRANTDB_INIT_FIX, NULL, NULL, &e) < 0)
		die("init", &e);
	if ((db = grantdb_open(argv[1], GRANTDB_WRITE, &o, &e)) == NULL)
		die("open", &e);
	for (i = 0; i < n + 20; i++) {
		memset(&g, 0, sizeof g);
		g.granted = now - 60;
		snprintf(g.proto, sizeof g.proto, i < n ? "pop3" : "manual");
		if (i < n) {
			snprintf(g.addr, sizeof g.addr, "10.%ld.%ld.%ld", i >> 16 & 255, i >> 8 & 255, i & 255);
			g.expires = now + 3600 + i % 3600;
			snprintf(g.user, sizeof g.user, "user%ld", i % 5000);
		} else {
			snprintf(g.addr, sizeof g.addr, "198.51.100.%ld", i - n + 1);
			g.pinned = 1;
			snprintf(g.user, sizeof g.user, "admin");
			snprintf(g.note, sizeof g.note, "pin %ld", i - n + 1);
		}
		if (grantdb_put(db, &g, &e) < 0)
			die("put", &e);
		if (i % 50000 == 49999 && grantdb_commit(db, &e) < 0)
			die("commit", &e);
	}
	if (grantdb_commit(db, &e) < 0)
		die("commit", &e);
	grantdb_close(db);
	return 0;
}
