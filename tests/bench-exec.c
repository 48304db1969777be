/*
 * bench-exec: what a chain program costs per connection, measured against
 * other programs with the same environment, round by round (see bench.h).
 *
 * Every program gets the same explicit environment, nothing of the
 * caller's.  A round runs each program runs times back to back and keeps
 * the mean of one run; the order of the programs turns by one each round,
 * so drift, a neighbour's load and whatever runs first or last fall on all
 * of them alike.  A ratio is taken round by round (a program's run against
 * the baseline's in the same round), and its median and interquartile range
 * over the rounds are reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

void
tcpenv_init(struct tcpenv *t, const char *conf, const char *dir, const char *port,
    const char *user)
{
	int n = 0;

	memset(t, 0, sizeof *t);
	snprintf(t->port, sizeof t->port, "TCPLOCALPORT=%s", port);
	snprintf(t->conf, sizeof t->conf, "RELAYGATE_CONF=%s", conf);
	snprintf(t->dir, sizeof t->dir, "RELAYGATE_DIR=%s", dir);
	tcpenv_client(t, "192.0.2.99");
	t->envp[n++] = "PATH=/usr/bin:/bin";
	t->envp[n++] = "PROTO=TCP";
	t->envp[n++] = "TCPLOCALIP=192.0.2.1";
	t->envp[n++] = t->port;
	t->envp[n++] = "TCPLOCALHOST=mail.example.net";
	t->envp[n++] = t->remote;
	t->envp[n++] = "TCPREMOTEPORT=49152";
	t->envp[n++] = t->conf;
	t->envp[n++] = t->dir;
	if (user != NULL) {
		snprintf(t->user, sizeof t->user, "USER=%s", user);
		t->envp[n++] = t->user;
	}
	t->envp[n] = NULL;
}

void
tcpenv_client(struct tcpenv *t, const char *ip)
{
	snprintf(t->remote, sizeof t->remote, "TCPREMOTEIP=%s", ip);
}

void
lineup_init(struct lineup *l, int rounds, int runs)
{
	memset(l, 0, sizeof *l);
	if (rounds < 1 || rounds > LINEUP_ROUNDS || runs < 1)
		die("rounds or runs out of range", NULL);
	l->rounds = rounds;
	l->runs = runs;
	if ((l->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		die("open /dev/null", NULL);
	if (posix_spawn_file_actions_init(&l->quiet) != 0 ||
	    posix_spawn_file_actions_adddup2(&l->quiet, l->devnull, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&l->quiet, l->devnull, 1) != 0 ||
	    posix_spawn_file_actions_adddup2(&l->quiet, l->devnull, 2) != 0)
		die("spawn file actions", NULL);
}

void
lineup_add(struct lineup *l, const char *name, const char *path)
{
	struct lineup_prog *p = &l->progs[l->n];

	if (l->n == LINEUP_PROGS)
		die("too many programs in a lineup", NULL);
	p->name = name;
	p->argv[0] = (char *)path;
	p->argv[1] = "/bin/true";
	p->argv[2] = NULL;
	l->n++;
}

void
lineup_free(struct lineup *l)
{
	posix_spawn_file_actions_destroy(&l->quiet);
	close(l->devnull);
}

/* A new client address for the next run: 172.16.0.1, 172.16.0.2, ... */
static void
next_client(struct lineup *l)
{
	long k = ++l->clients;

	snprintf(l->client, sizeof l->client, "172.%ld.%ld.%ld",
	    16 + (k >> 16 & 15), k >> 8 & 255, k & 255);
	tcpenv_client(&l->env, l->client);
}

static int
status_of(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", NULL);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Mean seconds of one run of p, over l->runs runs back to back. */
static double
batch(struct lineup *l, const struct lineup_prog *p)
{
	double t0 = now_s();
	pid_t pid;
	int i, rc;

	for (i = 0; i < l->runs; i++) {
		if (l->new_client)
			next_client(l);
		if ((rc = posix_spawn(&pid, p->argv[0], &l->quiet, NULL, p->argv,
		    l->env.envp)) != 0) {
			errno = rc;
			die(p->argv[0], NULL);
		}
		if ((rc = status_of(pid)) != 0) {
			fprintf(stderr, "bench: %s exited %d\n", p->name, rc);
			exit(1);
		}
	}
	return (now_s() - t0) / l->runs;
}

void
lineup_measure(struct lineup *l)
{
	int r, k, p;

	for (r = 0; r < l->rounds; r++)
		for (k = 0; k < l->n; k++) {
			p = (r + k) % l->n;
			l->t[p][r] = batch(l, &l->progs[p]);
		}
}

double
lineup_median_us(const struct lineup *l, int p)
{
	double v[LINEUP_ROUNDS];

	memcpy(v, l->t[p], sizeof v[0] * (size_t)l->rounds);
	return median_of(v, l->rounds) * 1e6;
}

/* Program p against program q, round by round. */
struct spread
lineup_ratio(const struct lineup *l, int p, int q)
{
	double v[LINEUP_ROUNDS];
	struct spread s;
	int r, n = l->rounds;

	for (r = 0; r < n; r++)
		v[r] = l->t[p][r] / l->t[q][r];
	sort_doubles(v, n);
	s.med = v[n / 2];
	s.lo = v[(n - 1) / 4];
	s.hi = v[3 * (n - 1) / 4];
	return s;
}

/*
 * One line per program: the baseline's time; the others' times, ratios to
 * the baseline, and (after the second) to the second, the floor.
 */
void
lineup_print(const struct lineup *l, const char *at)
{
	struct spread b, f;
	int p;

	printf("  %-16s at %s: %7.1f us\n", l->progs[0].name, at, lineup_median_us(l, 0));
	for (p = 1; p < l->n; p++) {
		b = lineup_ratio(l, p, 0);
		printf("  %-16s at %s: %7.1f us  ratio %.2fx %s (spread %.2f-%.2f)",
		    l->progs[p].name, at, lineup_median_us(l, p), b.med, l->progs[0].name,
		    b.lo, b.hi);
		if (p > 1) {
			f = lineup_ratio(l, p, 1);
			printf(", %s %.2fx (spread %.2f-%.2f)", l->progs[1].name, f.med, f.lo, f.hi);
		}
		putchar('\n');
	}
	fflush(stdout);
}

int
run_quiet_env(char *const argv[], char *const envp[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) != 0)
		die("spawn file actions", NULL);
	if ((rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp)) != 0) {
		errno = rc;
		die(argv[0], NULL);
	}
	posix_spawn_file_actions_destroy(&fa);
	return status_of(pid);
}

/* The calls column of strace -c's total line in file: 1 and *calls, or 0. */
static int
strace_total(const char *file, long *calls)
{
	char line[256], name[32];
	FILE *f;
	int found = 0;

	if ((f = fopen(file, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		/* "100.00 0.000273 2 135 15 total", the errors column may be empty */
		if (strstr(line, " total") != NULL &&
		    (sscanf(line, "%*s %*s %*s %ld %*s %31s", calls, name) == 2 ||
		    sscanf(line, "%*s %*s %*s %ld %31s", calls, name) == 2) &&
		    strcmp(name, "total") == 0)
			found = 1;
	fclose(f);
	return found;
}

int
syscall_count(char *const argv[], char *const envp[], const char *tmpdir,
    long *calls, char *why, size_t size)
{
	static const char *const stracers[] = { "/usr/bin/strace", "/bin/strace" };
	char out[PATH_MAX], *sargv[16];
	const char *strace = NULL;
	size_t i;
	int n = 0, rc;

	for (i = 0; i < sizeof stracers / sizeof stracers[0] && strace == NULL; i++)
		if (access(stracers[i], X_OK) == 0)
			strace = stracers[i];
	if (strace == NULL) {
		snprintf(why, size, "strace is not installed");
		return 0;
	}
	snprintf(out, sizeof out, "%s/strace.out", tmpdir);
	unlink(out);
	sargv[n++] = (char *)strace;
	sargv[n++] = "-f";
	sargv[n++] = "-c";
	sargv[n++] = "-o";
	sargv[n++] = out;
	sargv[n++] = "--";
	for (i = 0; argv[i] != NULL && n < 15; i++)
		sargv[n++] = argv[i];
	sargv[n] = NULL;
	if ((rc = run_quiet_env(sargv, envp)) != 0 || !strace_total(out, calls)) {
		snprintf(why, size, "strace could not trace here (exit %d)", rc);
		return 0;
	}
	return 1;
}
