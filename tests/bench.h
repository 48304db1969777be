/*
 * bench: what tests/bench.c, bench-exec.c and bench-store.c share (make bench).
 */
#ifndef RG_BENCH_H
#define RG_BENCH_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <spawn.h>

#include "core/err.h"

/* --- bench.c: the little everything uses --- */

double now_s(void);			/* CLOCK_MONOTONIC, seconds */
void die(const char *what, const struct err *e);	/* e NULL: errno */
double median_of(double *v, int n);	/* sorts v */
void sort_doubles(double *v, int n);

/* --- bench-exec.c: programs measured side by side, round by round --- */

/*
 * What tcpserver gives a program (as tcpserver -H -l mail.example.net: no
 * TCPREMOTEHOST), PATH, where the store is, and USER when a POP server
 * would set it: the whole environment of every program measured.
 */
struct tcpenv {
	char port[32];			/* TCPLOCALPORT=... */
	char remote[64];		/* TCPREMOTEIP=... */
	char conf[PATH_MAX + 16];	/* RELAYGATE_CONF=... (its dir = the store) */
	char dir[PATH_MAX + 16];	/* RELAYGATE_DIR=... (the same; the floor reads it) */
	char user[64];			/* USER=... */
	char *envp[16];
};

void tcpenv_init(struct tcpenv *t, const char *conf, const char *dir, const char *port,
    const char *user);
void tcpenv_client(struct tcpenv *t, const char *ip);

#define LINEUP_PROGS 4
#define LINEUP_ROUNDS 101

/* One program of a lineup: what it is called, and argv (prog /bin/true). */
struct lineup_prog {
	const char *name;
	char *argv[3];
};

/*
 * Programs run in turn with one environment: each round runs each
 * program runs times back to back, the order turned by one every round.
 * progs[0] is the baseline.  new_client: a new TCPREMOTEIP for every run.
 */
struct lineup {
	struct lineup_prog progs[LINEUP_PROGS];
	int n;
	struct tcpenv env;
	int new_client;
	long clients;			/* addresses given so far */
	char client[48];		/* the last of them */
	int devnull;
	posix_spawn_file_actions_t quiet;	/* stdin, stdout, stderr on devnull */
	int rounds, runs;
	double t[LINEUP_PROGS][LINEUP_ROUNDS];	/* seconds per run, by program, round */
};

/* The middle of a set of per-round ratios, and its interquartile range. */
struct spread {
	double med, lo, hi;
};

void lineup_init(struct lineup *l, int rounds, int runs);
void lineup_add(struct lineup *l, const char *name, const char *path);
void lineup_measure(struct lineup *l);
double lineup_median_us(const struct lineup *l, int p);
struct spread lineup_ratio(const struct lineup *l, int p, int q);
void lineup_print(const struct lineup *l, const char *at);
void lineup_free(struct lineup *l);

/* The exit status of argv run once in env, quietly (128 + signal when killed). */
int run_quiet_env(char *const argv[], char *const envp[]);

/*
 * System calls of one run of argv in envp under strace -f -c (exec'd
 * program included): 1 and *calls, 0 when strace is absent or cannot
 * trace here (why says so), -1 on failure.
 */
int syscall_count(char *const argv[], char *const envp[], const char *tmpdir,
    long *calls, char *why, size_t size);

/* --- bench-store.c: a grants store on disk, filled, sized, cached --- */

#define STORE_FILES 4

extern const char *const store_files[STORE_FILES];

void addr_of(long i, char *out, size_t n);
void store_make(const char *dir, const char *conf);
/* Grant i of n (every hundredth expired at now); only_expired: just those. */
void store_fill(const char *dir, long n, int64_t now, int only_expired);
void store_settle(const char *dir);		/* fdatasync every file */
void store_drop_cache(const char *dir);	/* settle, then out of the page cache */
void store_warm(const char *dir);		/* read every file into it */
double store_resident(const char *dir);	/* percent of its pages in the page cache */
int64_t store_print_sizes(const char *dir);	/* one line per file; the total bytes */
const char *fs_name(const char *path);		/* ext4, tmpfs, ... */

#endif
