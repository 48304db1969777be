/*
 * bench: what relaygate costs where it matters, printed as figures.
 *
 *  1. relaygate-check per SMTP connection, against a baseline that only
 *     execs (env PROG), at 10, 10,000 and 1,000,000 stored grants.
 *  2. The time to expire 1% (10,000) of a 1,000,000-grant store.
 *
 * Goals (issue 2): check at most 1.25x the baseline at 1,000,000 grants;
 * expiring 10,000 of 1,000,000 in under 0.2 s.  Figures, not assertions:
 * timings on a shared machine are no test.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/relay.h"
#include "stores/grantdb.h"

extern char **environ;

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
die(const char *what, const struct err *e)
{
	fprintf(stderr, "bench: %s: %s\n", what, e ? e->msg : strerror(errno));
	exit(1);
}

static void
addr_of(long i, char *out, size_t n)
{
	snprintf(out, n, "10.%ld.%ld.%ld", i >> 16 & 255, i >> 8 & 255, i & 255);
}

/* n grants, every hundredth already expired at now, in commits of 50,000. */
static void
populate(const char *dir, long n, int64_t now)
{
	struct grantdb_opts o = { .lock_timeout_ms = 10000, .sync = 0, .cache_bytes = 256u << 20 };
	struct grantdb *db;
	struct grant g;
	struct err e;
	long i;

	if ((db = grantdb_open(dir, GRANTDB_WRITE, &o, &e)) == NULL)
		die("open", &e);
	for (i = 0; i < n; i++) {
		memset(&g, 0, sizeof g);
		addr_of(i, g.addr, sizeof g.addr);
		g.granted = now - 60;
		g.expires = i % 100 == 99 ? now - 1 : now + 3600 + i % 600;
		snprintf(g.user, sizeof g.user, "user%ld", i % 5000);
		snprintf(g.proto, sizeof g.proto, "pop3");
		if (grantdb_put(db, &g, &e) < 0)
			die("put", &e);
		if (i % 50000 == 49999 && grantdb_commit(db, &e) < 0)
			die("commit", &e);
	}
	if (grantdb_commit(db, &e) < 0)
		die("commit", &e);
	grantdb_close(db);
}

/* Mean seconds for one spawn-and-wait of argv. */
static double
spawn_cost(char *const argv[], int runs)
{
	double t0 = now_s();
	int i, status;
	pid_t pid;

	for (i = 0; i < runs; i++) {
		if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
			die("spawn", NULL);
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("child failed", NULL);
	}
	return (now_s() - t0) / runs;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static const long sizes[] = { 10, 10000, 1000000 };
	const char *build = getenv("RELAYGATE_BUILD");
	char check[PATH_MAX], base[256], dir[PATH_MAX], ip[32];
	char *check_argv[] = { check, "/bin/true", NULL };
	char *env_argv[] = { "/usr/bin/env", "/bin/true", NULL };
	int64_t now = (int64_t)time(NULL);
	double c[7], b[7], t0, took, ratio = 0;
	long removed;
	struct config cfg;
	struct relay_decision d;
	struct addr a;
	struct err e;
	size_t s;
	int k, runs = argc > 1 ? atoi(argv[1]) : 300;

	snprintf(check, sizeof check, "%s/relaygate-check", build ? build : "build");
	snprintf(base, sizeof base, "%s/rgbench.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(base) == NULL)
		die("mkdtemp", NULL);
	setenv("RELAYGATE_CONF", "/dev/null", 1);
	unsetenv("RELAYCLIENT");
	printf("relaygate-check per connection: median of 7 rounds, each the mean of %d runs\n", runs);
	printf("%10s %12s %12s %8s %10s\n", "grants", "check us", "env us", "ratio", "fill s");
	for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		snprintf(dir, sizeof dir, "%s/%ld", base, sizes[s]);
		if (mkdir(dir, 0755) < 0)
			die("mkdir", NULL);
		t0 = now_s();
		populate(dir, sizes[s], now);
		took = now_s() - t0;
		setenv("RELAYGATE_DIR", dir, 1);
		addr_of(sizes[s] / 2, ip, sizeof ip);	/* a live grant in the middle */
		setenv("TCPREMOTEIP", ip, 1);
		memset(&cfg, 0, sizeof cfg);
		snprintf(cfg.dir, sizeof cfg.dir, "%s", dir);
		cfg.lock_timeout_ms = 5000;
		addr_parse(ip, &a, NULL);
		if (relay_check(&cfg, &a, now, &d, &e) < 0 || d.answer != RELAY_GRANT)
			die("the probe address does not relay", NULL);
		for (k = 0; k < 7; k++) {	/* interleaved, so drift hits both */
			c[k] = spawn_cost(check_argv, runs);
			b[k] = spawn_cost(env_argv, runs);
		}
		qsort(c, 7, sizeof c[0], cmp_double);
		qsort(b, 7, sizeof b[0], cmp_double);
		ratio = c[3] / b[3];
		printf("%10ld %12.1f %12.1f %8.3f %10.2f\n", sizes[s], c[3] * 1e6, b[3] * 1e6,
		    ratio, took);
		fflush(stdout);
	}
	printf("goal: ratio at 1000000 grants <= 1.25: %s\n", ratio <= 1.25 ? "met" : "NOT met");

	cfg.sync = 0;
	t0 = now_s();
	if (relay_expire(&cfg, now, &removed, &e) < 0)
		die("expire", &e);
	took = now_s() - t0;
	printf("expire: removed %ld of 1000000 grants in %.3f s (goal < 0.2 s: %s)\n",
	    removed, took, took < 0.2 ? "met" : "NOT met");
	snprintf(dir, sizeof dir, "rm -rf '%s'", base);
	return system(dir) == 0 ? 0 : 1;
}
