/*
 * stress: many processes on one grants store at once, as on a busy server.
 *
 *   stress concurrency DIR WRITERS OPS READERS
 *     WRITERS processes record OPS grants each (half live, half already
 *     expired), READERS processes check pins and grants, one sweeper expires;
 *     afterwards every live grant and every pin is there and every expired
 *     one gone.  It prints the writes done (WRITERS * OPS, or it fails) and,
 *     for information only, the checks and sweeps done meanwhile.  Exit 0
 *     only if nothing failed or hung.
 *   stress crash DIR KILLS OPS
 *     writers doing every kind of change, one at a time, are SIGKILLed at
 *     random moments until at least KILLS have been killed and OPS
 *     operations done, however fast the machine; afterwards the store
 *     opens, passes libdb's verify, has every pin, its lock is free, and
 *     the counts kept with the data equal a full walk.  A writer that does
 *     nothing for STALL_SECONDS is a hang, and fails the run.
 *   stress steps DIR
 *     every kind of write (allow, pin, unpin, revoke, extend, expire, a
 *     password, repair) SIGKILLed at each of its steps in turn (pagelog's
 *     crash points): afterwards every pin answers, the files pass libdb's
 *     verify, the counts equal a walk, and the store holds the change whole
 *     or not at all.
 *   stress paging DIR N
 *     N grants nobody touches, and churners adding and removing grants
 *     between them; a reader pages forward, then backward, through the
 *     address order and must see every untouched grant exactly once, in
 *     order, both ways.
 *
 * Each operation goes through core/relay and so opens, locks and commits
 * the store as relaygate-allow and relaygate-check do.
 */
#include <db.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/pop.h"
#include "core/relay.h"
#include "core/view.h"
#include "stores/grantdb.h"
#include "stores/pagelog.h"

#define PINS 50
#define STALL_SECONDS 60	/* crash: a writer this long without an operation hangs */

static struct config cfg;
static volatile sig_atomic_t done;
static volatile long *chaos_ops;	/* shared with the chaos writers: operations done */

static void
on_usr1(int sig)
{
	(void)sig;
	done = 1;
}

static void
die(const char *what, const struct err *e)
{
	fprintf(stderr, "stress[%ld]: %s: %s\n", (long)getpid(), what, e ? e->msg : "");
	_exit(1);
}

static struct addr
A(const char *fmt, int a, int b, int c)
{
	char s[64];
	struct addr x;

	snprintf(s, sizeof s, fmt, a, b, c);
	if (addr_parse(s, &x, NULL) < 0)
		die("bad address", NULL);
	return x;
}

static struct addr
pin_addr(int i)
{
	return A("172.16.%d.%d%.0d", i / 256, i % 256, 0);
}

static struct addr
grant_addr(int w, int i)
{
	return A("10.%d.%d.%d", w, i / 256, i % 256);
}

static void
make_pins(void)
{
	struct addr a;
	struct err e;
	int i;

	for (i = 0; i < PINS; i++) {
		a = pin_addr(i);
		if (relay_pin(&cfg, &a, "stress", i % 2 ? "@pin" : NULL, "kept", 1, &e) < 0)
			die("pin", &e);
	}
}

static void
check_pins(const char *when)
{
	struct relay_decision d;
	struct addr a;
	struct err e;
	int i;

	for (i = 0; i < PINS; i++) {
		a = pin_addr(i);
		if (relay_check(&cfg, &a, time(NULL), &d, &e) < 0)
			die("check pin", &e);
		if (d.answer != RELAY_PIN) {
			fprintf(stderr, "stress: pin %s lost %s\n", a.text, when);
			_exit(2);
		}
	}
}

/* Tell the parent, on the shared pipe, how many of KIND (w, c, s) this process did. */
static void
report(int fd, char kind, long ops)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%c %ld\n", kind, ops);

	if (write(fd, buf, (size_t)n) != n)
		_exit(1);
}

static void
writer(int w, int ops, int out)
{
	struct addr a;
	struct err e;
	int64_t now = time(NULL);
	int i;

	for (i = 0; i < ops; i++) {
		a = grant_addr(w, i);
		/* Odd ones were granted two hours ago for a minute: due for the sweeper. */
		if (relay_allow(&cfg, &a, "user", "pop3", i % 2 ? 60 : 3600,
		    i % 2 ? now - 7200 : now, &e) != RELAY_DONE)
			die("allow", &e);
	}
	report(out, 'w', ops);
	_exit(0);
}

static void
reader(int r, int writers, int ops, int out)
{
	struct relay_decision d;
	struct addr a;
	struct err e;
	long n = 0;
	unsigned seed = (unsigned)r * 7919u + 1;

	while (!done) {
		a = pin_addr((int)(rand_r(&seed) % PINS));
		if (relay_check(&cfg, &a, time(NULL), &d, &e) < 0)
			die("check", &e);
		if (d.answer != RELAY_PIN) {
			fprintf(stderr, "stress: reader saw pin %s missing\n", a.text);
			_exit(2);
		}
		a = grant_addr((int)(rand_r(&seed) % (unsigned)writers),
		    (int)(rand_r(&seed) % (unsigned)ops) & ~1);
		if (relay_check(&cfg, &a, time(NULL), &d, &e) < 0)
			die("check", &e);
		n += 2;
	}
	report(out, 'c', n);
	_exit(0);
}

static void
sweeper(int out)
{
	struct err e;
	long n = 0, removed, total = 0;

	while (!done) {
		if (relay_expire(&cfg, time(NULL), &removed, &e) < 0)
			die("expire", &e);
		total += removed;
		n++;
	}
	report(out, 's', n);
	_exit(0);
}

static pid_t
spawn(void (*fn)(int, int, int, int), int a, int b, int c, int d)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		alarm(300);	/* a hang fails the test instead of stalling it */
		fn(a, b, c, d);
	}
	return pid;
}

static void writer4(int a, int b, int c, int d) { (void)d; writer(a, b, c); }
static void reader4(int a, int b, int c, int d) { reader(a, b, c, d); }
static void sweeper4(int a, int b, int c, int d) { (void)a; (void)b; (void)c; sweeper(d); }

static int
concurrency(int writers, int ops, int readers)
{
	struct sigaction sa;
	pid_t *pids;
	int fds[2], i, w, status, failed = 0, nproc = writers + readers + 1;
	long writes = 0, checks = 0, sweeps = 0, n;
	char kind;
	FILE *in;
	struct relay_stats st;
	struct relay_decision d;
	struct addr a;
	struct err e;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	make_pins();
	if (pipe(fds) < 0 || (pids = calloc((size_t)nproc, sizeof *pids)) == NULL)
		return 1;
	for (i = 0; i < readers; i++)
		pids[writers + i] = spawn(reader4, i, writers, ops, fds[1]);
	pids[writers + readers] = spawn(sweeper4, 0, 0, 0, fds[1]);
	for (w = 0; w < writers; w++)
		pids[w] = spawn(writer4, w, ops, fds[1], 0);
	close(fds[1]);
	for (i = 0; i < writers; i++)
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "stress: writer %d failed (status %d)\n", i, status);
			failed = 1;
		}
	for (i = writers; i < nproc; i++)
		kill(pids[i], SIGUSR1);
	for (i = writers; i < nproc; i++)
		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "stress: %s %d failed (status %d)\n",
			    i == nproc - 1 ? "sweeper" : "reader", i, status);
			failed = 1;
		}
	in = fdopen(fds[0], "r");
	while (in != NULL && fscanf(in, " %c %ld", &kind, &n) == 2)
		if (kind == 'w')
			writes += n;
		else if (kind == 'c')
			checks += n;
		else
			sweeps += n;
	if (in != NULL)
		fclose(in);
	free(pids);
	if (failed)
		return 1;
	if (writes != (long)writers * ops) {
		fprintf(stderr, "stress: writers reported %ld writes, not %ld\n", writes, (long)writers * ops);
		return 1;
	}

	/* Afterwards: every pin, every live grant, no expired one after a last sweep. */
	if (relay_expire(&cfg, time(NULL), &n, &e) < 0)
		die("final expire", &e);
	check_pins("after the run");
	for (w = 0; w < writers; w++)
		for (i = 0; i < ops; i++) {
			a = grant_addr(w, i);
			if (relay_check(&cfg, &a, time(NULL), &d, &e) < 0)
				die("final check", &e);
			if ((d.answer == RELAY_GRANT) != (i % 2 == 0)) {
				fprintf(stderr, "stress: %s is %s\n", a.text,
				    i % 2 ? "still there" : "missing");
				return 1;
			}
		}
	if (relay_stats(&cfg, time(NULL), &st, &e) < 0)
		die("stats", &e);
	if (st.expired != 0 || st.pinned != PINS || st.live != (long)writers * ((ops + 1) / 2)) {
		fprintf(stderr, "stress: stats live %ld pinned %ld expired %ld\n",
		    st.live, st.pinned, st.expired);
		return 1;
	}
	/* The checks and sweeps done meanwhile depend on the machine: said, not judged. */
	printf("processes %d, writes %ld, checks %ld, sweeps %ld, live %ld, pinned %ld, expired %ld\n",
	    nproc, writes, checks, sweeps, st.live, st.pinned, st.expired);
	return 0;
}

/* A writer that never stops: every kind of change, in random order. */
static void
chaos(unsigned seed)
{
	struct addr a;
	struct err e;
	long removed;
	int64_t now = time(NULL);
	int capped;

	for (;; (*chaos_ops)++) {
		int r = (int)(rand_r(&seed) % 100), x = (int)(rand_r(&seed) % 2000);

		a = A("10.%d.%d.%d", 200, x / 256, x % 256);
		if (r < 50)
			relay_allow(&cfg, &a, "chaos", "pop3", 1 + x % 50, now, &e);
		else if (r < 60)
			relay_revoke(&cfg, &a, &e);
		else if (r < 65)
			relay_extend(&cfg, &a, NULL, 1 + x % 90, now, &capped, &e);
		else if (r < 80) {
			a = A("192.168.%d.%d%.0d", x / 256, x % 256, 0);
			relay_pin(&cfg, &a, "chaos", NULL, "temporary", now, &e);
		} else if (r < 90) {
			a = A("192.168.%d.%d%.0d", x / 256, x % 256, 0);
			relay_unpin(&cfg, &a, &e);
		} else
			relay_expire(&cfg, now + x % 60, &removed, &e);
	}
}

static int
verify(const char *name)
{
	char path[PATH_MAX + 32];
	DB *db;

	snprintf(path, sizeof path, "%s/%s", cfg.dir, name);
	if (db_create(&db, NULL, 0) != 0)
		return -1;
	return db->verify(db, path, NULL, NULL, 0) == 0 ? 0 : -1;
}

struct walk {
	long total, pinned;
};

static int
walk_one(const struct grant *g, void *arg)
{
	struct walk *w = arg;

	w->total++;
	w->pinned += g->pinned;
	return 0;
}

/* The counts kept with the data, against a walk of grants.db and of the address order. */
static int
counts_match(void)
{
	struct view_filter all = { .all = 1 };
	struct view_counts n;
	struct view_row rows[256];
	struct view_key k;
	struct grantdb_opts o = { .lock_timeout_ms = 5000 };
	struct grantdb *db;
	struct walk w = { 0, 0 };
	struct err e;
	size_t got;
	long ordered = 0;
	int partial;
	enum view_from from = VIEW_FIRST;

	if ((db = grantdb_open(cfg.dir, GRANTDB_READ, &o, &e)) == NULL ||
	    grantdb_each(db, walk_one, &w, &e) < 0)
		die("walk", &e);
	grantdb_close(db);
	if (view_counts(&cfg, time(NULL), &n, &e) < 0)
		die("counts", &e);
	memset(&k, 0, sizeof k);
	do {
		if (view_read(&cfg, VIEW_BY_ADDR, &all, from, &k, 256, time(NULL), 0,
		    rows, &got, &partial, NULL, &e) < 0)
			die("view", &e);
		ordered += (long)got;
		if (got > 0)
			k = rows[got - 1].key;
		from = VIEW_AFTER;
	} while (got == 256);
	printf("counts total %ld pinned %ld, walk %ld pinned %ld, address order %ld\n",
	    n.total, n.pinned, w.total, w.pinned, ordered);
	return n.total == w.total && n.pinned == w.pinned && ordered == w.total ? 0 : -1;
}

static double
seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Let chaos writer PID (the Nth) work until the shared count reaches
 * TARGET, then a random moment more (so the kill lands anywhere in an
 * operation), and SIGKILL it.  0 once it died of the kill; -1, said on
 * stderr, if it ended by itself or did nothing for STALL_SECONDS.
 */
static int
kill_after(pid_t pid, int n, long target, unsigned *seed)
{
	long seen = *chaos_ops;
	double since = seconds();
	int status;

	while (*chaos_ops < target) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			fprintf(stderr, "stress: writer %d ended by itself (status %d) after %ld operations\n",
			    n, status, *chaos_ops);
			return -1;
		}
		if (*chaos_ops != seen) {
			seen = *chaos_ops;
			since = seconds();
		} else if (seconds() - since > STALL_SECONDS) {
			fprintf(stderr, "stress: writer %d did no operation for %d s (operations %ld, waiting for %ld): a hang\n",
			    n, STALL_SECONDS, seen, target);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
		usleep(200);
	}
	usleep(rand_r(seed) % 1000);
	kill(pid, SIGKILL);
	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		fprintf(stderr, "stress: writer %d ended by itself (status %d)\n", n, status);
		return -1;
	}
	return 0;
}

static int
crash(int kills, long ops)
{
	char journal[PATH_MAX + 32], gpath[PATH_MAX + 32];
	struct relay_decision d;
	struct addr a;
	struct err e;
	int k, journals = 0, fd;
	struct stat jst;
	unsigned seed = (unsigned)getpid();
	long left, share;
	pid_t pid;

	snprintf(journal, sizeof journal, "%s/%s", cfg.dir, GRANTDB_JOURNAL);
	snprintf(gpath, sizeof gpath, "%s/%s", cfg.dir, GRANTDB_FILE);
	make_pins();
	for (k = 0; k < kills || *chaos_ops < ops; k++) {
		/* A random share of what is left, twice the fair one at most;
		 * the last writer does all that is left. */
		left = ops > *chaos_ops ? ops - *chaos_ops : 0;
		share = k < kills - 1 ? (long)(rand_r(&seed) % (unsigned long)(2 * left / (kills - k) + 1)) : left;
		if ((pid = fork()) < 0) {
			perror("stress: fork");
			return 1;
		}
		if (pid == 0)
			chaos(seed + (unsigned)k);
		if (kill_after(pid, k + 1, *chaos_ops + share, &seed) < 0)
			return 1;
		if (stat(journal, &jst) == 0 && jst.st_size > 0)
			journals++;
		/* The dead writer's lock went with it: a reader gets in at once. */
		cfg.lock_timeout_ms = 1000;
		a = pin_addr(k % PINS);
		if (relay_check(&cfg, &a, time(NULL), &d, &e) < 0) {
			fprintf(stderr, "stress: check after kill %d: %s\n", k + 1, e.msg);
			return 1;
		}
		if (d.answer != RELAY_PIN) {
			fprintf(stderr, "stress: pin %s lost after kill %d\n", a.text, k + 1);
			return 1;
		}
	}
	if ((fd = open(gpath, O_RDONLY)) < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "stress: %s still locked after the writers died\n", gpath);
		return 1;
	}
	close(fd);
	if (verify(GRANTDB_FILE) < 0 || verify(GRANTDB_META) < 0) {
		fprintf(stderr, "stress: verify failed\n");
		return 1;
	}
	check_pins("after the kills");
	printf("kills %d, operations %ld, journals left by a killed writer %d, pins %d kept, verify ok\n",
	    kills, *chaos_ops, journals, PINS);
	return counts_match() < 0 ? 1 : 0;
}

/* --- steps: each kind of write killed at each of its steps --- */

struct text {
	char *s;
	size_t n, cap;
};

static void
text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);

	if (t->n + n + 1 > t->cap) {
		t->cap = (t->n + n + 1) * 2;
		if ((t->s = realloc(t->s, t->cap)) == NULL)
			die("realloc", NULL);
	}
	memcpy(t->s + t->n, s, n + 1);
	t->n += n;
}

static int
snap_one(const struct grant *g0, void *arg)
{
	struct text *t = arg;
	struct grant g;
	struct addr a;
	struct err e;
	char line[1024];

	if (addr_parse(g0->addr, &a, NULL) < 0 || relay_get(&cfg, &a, &g, &e) != 1)
		die("snapshot get", &e);
	snprintf(line, sizeof line, "%s %d %lld %s %s %s\n", g.addr, g.pinned,
	    (long long)g.expires, g.user, g.proto, g.note);
	text_add(t, line);
	return 0;
}

static int
snap_user(const char *user, void *arg)
{
	text_add(arg, "password ");
	text_add(arg, user);
	text_add(arg, "\n");
	return 0;
}

/* Everything the store and the password store say, as text. */
static char *
snapshot(void)
{
	struct grantdb_opts o = { .lock_timeout_ms = 5000 };
	struct text t = { NULL, 0, 0 };
	struct grantdb *db;
	struct err e;

	text_add(&t, "");
	if ((db = grantdb_open(cfg.dir, GRANTDB_READ, &o, &e)) == NULL ||
	    grantdb_each(db, snap_one, &t, &e) < 0)
		die("snapshot", &e);
	grantdb_close(db);
	if (pop_list(&cfg, snap_user, &t, &e) < 0)
		die("snapshot passwords", &e);
	return t.s;
}

static void
copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	if ((in = open(from, O_RDONLY)) < 0 ||
	    (out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		die("copy", NULL);
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			die("copy write", NULL);
	close(in);
	close(out);
}

/* Save (save 1) the store's files as base.NAME, or put them back (0), with nothing in the journals. */
static void
base(int save)
{
	static const char *const names[] = { GRANTDB_FILE, GRANTDB_META, "passwords.db" };
	char a[PATH_MAX + 64], b[PATH_MAX + 64];
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(a, sizeof a, "%s/%s", cfg.dir, names[i]);
		snprintf(b, sizeof b, "%s/base.%s", cfg.dir, names[i]);
		copy_file(save ? a : b, save ? b : a);
	}
	/* The journal is relaygate init's and stays: emptied, as after a commit. */
	snprintf(a, sizeof a, "%s/%s", cfg.dir, GRANTDB_JOURNAL);
	if (truncate(a, 0) < 0)
		die("empty journal", NULL);
	snprintf(a, sizeof a, "%s/passwords.db.journal", cfg.dir);
	if (truncate(a, 0) < 0 && errno != ENOENT)
		die("empty password journal", NULL);
}

static void
quiet(const char *line, void *arg)
{
	(void)line;
	(void)arg;
}

static const char *const kinds[] = { "allow", "allow-again", "pin", "pin-note", "unpin",
    "revoke", "extend", "expire", "password", "repair" };

/* Do write number k; its outcome (RELAY_*, or 0), or -1. */
static int
do_write(int k, int64_t now)
{
	struct relay_fsck r;
	struct addr a;
	struct err e;
	long removed;
	int capped;

	switch (k) {
	case 0: a = A("10.6.0.%d%.0d%.0d", 1, 0, 0);
		return relay_allow(&cfg, &a, "new", "pop3", 600, now, &e);
	case 1: a = A("10.5.0.%d%.0d%.0d", 2, 0, 0);
		return relay_allow(&cfg, &a, "again", "imap", 900, now, &e);
	case 2: a = A("10.6.0.%d%.0d%.0d", 2, 0, 0);
		return relay_pin(&cfg, &a, "admin", "@hub", "new pin", now, &e);
	case 3: a = A("172.31.0.%d%.0d%.0d", 1, 0, 0);
		return relay_pin(&cfg, &a, "admin", NULL, "changed", now, &e);
	case 4: a = pin_addr(3);
		return relay_unpin(&cfg, &a, &e);
	case 5: a = A("10.5.0.%d%.0d%.0d", 2, 0, 0);
		return relay_revoke(&cfg, &a, &e);
	case 6: a = A("10.5.0.%d%.0d%.0d", 4, 0, 0);
		return relay_extend(&cfg, &a, NULL, 7200, now, &capped, &e);
	case 7: return relay_expire(&cfg, now, &removed, &e) < 0 ? -1 : removed == 10 ? 0 : -1;
	case 8: return pop_set_secret(&cfg, "alice", "s3cret", &e);
	case 9: return relay_repair(&cfg, quiet, NULL, &r, &e);
	}
	return -1;
}

static int
steps(void)
{
	struct addr a;
	struct err e;
	int64_t now = time(NULL);
	char *before, *after, *s[256];
	int k, n, i, status, nb, na;
	pid_t pid;

	if (snprintf(cfg.passwords, sizeof cfg.passwords, "%.4000s/passwords.db", cfg.dir) < 0)
		die("path", NULL);
	make_pins();
	for (i = 1; i <= 20; i++) {
		a = A("10.5.0.%d%.0d%.0d", i, 0, 0);
		if (relay_allow(&cfg, &a, "user", "pop3", i % 2 ? 60 : 3600,
		    i % 2 ? now - 7200 : now, &e) != RELAY_DONE)
			die("allow", &e);
	}
	a = A("172.31.0.%d%.0d%.0d", 1, 0, 0);
	if (relay_pin(&cfg, &a, "admin", NULL, "first", now, &e) < 0 || pop_init(&cfg, &e) < 0 ||
	    pop_set_secret(&cfg, "bob", "b0b", &e) < 0)
		die("set up", &e);
	base(1);
	for (k = 0; k < (int)(sizeof kinds / sizeof kinds[0]); k++) {
		base(0);
		before = snapshot();
		after = NULL;
		for (n = 0; n < 256 && after == NULL; n++) {
			base(0);
			if ((pid = fork()) == 0) {
				pagelog_crash_after(n);
				_exit(do_write(k, now) < 0 ? 3 : 0);
			}
			if (waitpid(pid, &status, 0) != pid)
				die("wait", NULL);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				after = snapshot();
				break;
			}
			if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
				fprintf(stderr, "stress: %s failed by itself (status %d)\n", kinds[k], status);
				return 1;
			}
			/* The next opener finishes or drops what the dead writer left;
			 * every pin answers (but the one unpin removes). */
			for (i = 0; i < PINS; i++) {
				struct relay_decision d;

				a = pin_addr(i);
				if (relay_check(&cfg, &a, time(NULL), &d, &e) < 0)
					die("check pin", &e);
				if (d.answer != RELAY_PIN && !(k == 4 && i == 3)) {
					fprintf(stderr, "stress: pin %s lost: %s killed at step %d\n",
					    a.text, kinds[k], n);
					return 1;
				}
			}
			s[n] = snapshot();
			if (verify(GRANTDB_FILE) < 0 || verify(GRANTDB_META) < 0 ||
			    counts_match() < 0) {
				fprintf(stderr, "stress: %s killed at step %d: store damaged\n", kinds[k], n);
				return 1;
			}
		}
		if (after == NULL || n == 0) {
			fprintf(stderr, "stress: %s never finished, or had no step to kill\n", kinds[k]);
			return 1;
		}
		if (strcmp(before, after) == 0 && k != 9) {
			fprintf(stderr, "stress: %s changed nothing\n", kinds[k]);
			return 1;
		}
		for (i = nb = na = 0; i < n; i++) {
			if (strcmp(s[i], before) == 0)
				nb++;
			else if (strcmp(s[i], after) == 0)
				na++;
			else {
				fprintf(stderr, "stress: %s killed at step %d: half a change:\n%s\n",
				    kinds[k], i, s[i]);
				return 1;
			}
			free(s[i]);
		}
		printf("%s: killed at each of %d steps: %d times as before, %d times whole\n",
		    kinds[k], n, nb, na);
		free(before);
		free(after);
	}
	printf("steps: every kind of write, killed at every step, left the change whole or not at all\n");
	return 0;
}

/* Add and remove grants at odd last bytes, between the untouched ones, until killed. */
static void
churn(unsigned seed)
{
	struct addr a;
	struct err e;
	int64_t now = time(NULL);

	for (;;) {
		int x = (int)(rand_r(&seed) % 4096), r = (int)(rand_r(&seed) % 10);

		a = A("10.9.%d.%d%.0d", x / 128, (x % 128) * 2 + 1, 0);
		if (r < 5)
			relay_allow(&cfg, &a, "churn", "pop3", 600, now, &e);
		else if (r < 9)
			relay_revoke(&cfg, &a, &e);
		else
			relay_pin(&cfg, &a, "churn", NULL, "", now, &e);
		if (r == 9)
			relay_unpin(&cfg, &a, &e);
	}
}

/* One pass: every untouched grant (even last byte) once, keys strictly in order. */
static int
page_pass(int n, int backward, long *pages)
{
	static const struct view_filter none;
	struct view_row rows[37];
	struct view_key k, prev;
	struct err e;
	char *seen = calloc((size_t)n, 1);
	size_t got, i;
	int partial, count = 0, idx, b3, b4;
	enum view_from from = backward ? VIEW_LAST : VIEW_FIRST;

	memset(&k, 0, sizeof k);
	memset(&prev, 0, sizeof prev);
	do {
		if (view_read(&cfg, VIEW_BY_ADDR, &none, from, &k, 37, time(NULL), 0,
		    rows, &got, &partial, NULL, &e) < 0)
			die("page", &e);
		(*pages)++;
		for (i = 0; i < got; i++) {
			struct view_row *r = &rows[backward ? got - 1 - i : i];
			int cmp = prev.len == 0 ? 0 : memcmp(r->key.b, prev.b,
			    r->key.len < prev.len ? r->key.len : prev.len);

			if (prev.len && (backward ? cmp >= 0 : cmp <= 0)) {
				fprintf(stderr, "stress: %s out of order\n", r->g.addr);
				return -1;
			}
			prev = r->key;
			if (sscanf(r->g.addr, "10.9.%d.%d", &b3, &b4) == 2 && b4 % 2 == 0) {
				idx = b3 * 128 + b4 / 2;
				if (idx >= n || seen[idx]++) {
					fprintf(stderr, "stress: %s seen twice\n", r->g.addr);
					return -1;
				}
				count++;
			}
		}
		if (got > 0)
			k = rows[backward ? 0 : got - 1].key;
		from = backward ? VIEW_BEFORE : VIEW_AFTER;
		usleep(500);	/* let the churners in between pages */
	} while (got == 37);
	free(seen);
	if (count != n) {
		fprintf(stderr, "stress: %d of %d untouched grants seen\n", count, n);
		return -1;
	}
	return 0;
}

static int
paging(int n)
{
	struct addr a;
	struct err e;
	pid_t pid[4];
	long pages = 0;
	int i, rc;

	for (i = 0; i < n; i++) {
		a = A("10.9.%d.%d%.0d", i / 128, (i % 128) * 2, 0);
		if (relay_allow(&cfg, &a, "still", "pop3", 3600, time(NULL), &e) < 0)
			die("allow", &e);
	}
	for (i = 0; i < 4; i++)
		if ((pid[i] = fork()) == 0)
			churn((unsigned)getpid());
	rc = page_pass(n, 0, &pages) < 0 || page_pass(n, 1, &pages) < 0;
	for (i = 0; i < 4; i++) {
		kill(pid[i], SIGKILL);
		waitpid(pid[i], NULL, 0);
	}
	if (rc == 0)
		printf("untouched %d, seen once each way, pages %ld\n", n, pages);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *sync = getenv("RELAYGATE_SYNC");

	if (argc < 3) {
		fputs("usage: stress concurrency DIR WRITERS OPS READERS\n"
		    "       stress crash DIR KILLS OPS\n"
		    "       stress paging DIR N\n"
		    "       stress steps DIR\n", stderr);
		return 2;
	}
	chaos_ops = mmap(NULL, sizeof *chaos_ops, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (chaos_ops == MAP_FAILED) {
		perror("stress: mmap");
		return 1;
	}
	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.dir, sizeof cfg.dir, "%s", argv[2]);
	cfg.expiry = 900;
	cfg.lock_timeout_ms = 30000;
	cfg.sync = sync == NULL || strcmp(sync, "no") != 0;
	{
		struct err e;

		/* The store as relaygate init makes it, for whoever runs this. */
		if (grantdb_init(cfg.dir, getuid(), getgid(), GRANTDB_INIT_FIX, NULL, NULL, &e) < 0) {
			fprintf(stderr, "stress: init %s: %s\n", cfg.dir, e.msg);
			return 1;
		}
	}
	if (strcmp(argv[1], "concurrency") == 0 && argc == 6)
		return concurrency(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	if (strcmp(argv[1], "crash") == 0 && argc == 5 && atoi(argv[3]) > 0 && atol(argv[4]) >= 0)
		return crash(atoi(argv[3]), atol(argv[4]));
	if (strcmp(argv[1], "steps") == 0 && argc == 3)
		return steps();
	if (strcmp(argv[1], "paging") == 0 && argc == 4)
		return paging(atoi(argv[3]));
	fputs("stress: bad arguments\n", stderr);
	return 2;
}
