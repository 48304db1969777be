/* tries: when a user may next try a secret; see tries.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stores/safefile.h"
#include "stores/tries.h"

#define NS 1000000000L

void
tries_close(struct tries *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* The directory dir, made when missing, checked: its fd, or -1 and e. */
static int
open_dir(const char *dir, struct err *e)
{
	char who[96];
	struct stat st;
	int dfd;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err_set(e, ERR_TEMP, errno, "create directory %s", dir);
		return -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ELOOP || errno == ENOTDIR)
			err_set(e, ERR_TEMP, 0, "open directory %s: not a directory (a link?); "
			    "refusing it", dir);
		else
			err_set(e, ERR_TEMP, errno, "open directory %s", dir);
		return -1;
	}
	if (fstat(dfd, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", dir);
		close(dfd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		safefile_user(st.st_uid, who, sizeof who);
		err_set(e, ERR_TEMP, 0, "open directory %s: it belongs to %s, mode %04o: it must "
		    "be root's and writable by nobody else; refusing it", dir, who,
		    (unsigned)(st.st_mode & 07777));
		close(dfd);
		return -1;
	}
	return dfd;
}

int
tries_open(struct tries *t, const char *dir, unsigned long uid, struct err *e)
{
	char name[32];
	mode_t mask;
	int dfd;

	t->fd = -1;
	snprintf(name, sizeof name, "%lu", uid);
	if (snprintf(t->path, sizeof t->path, "%s/%s", dir, name) >= (int)sizeof t->path) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "open %s", dir);
		return -1;
	}
	/* The caller's umask is the user's: the modes are these, whatever it is. */
	mask = umask(077);
	if ((dfd = open_dir(dir, e)) >= 0) {
		t->fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
		    O_NOCTTY, 0600);
		if (t->fd < 0)
			err_set(e, ERR_TEMP, errno == ELOOP ? 0 : errno, "open %s%s", t->path,
			    errno == ELOOP ? ": a symbolic link; refusing to follow it" : "");
		close(dfd);
	}
	umask(mask);
	if (t->fd < 0)
		return -1;
	if (safefile_check(t->fd, t->path, geteuid(), NULL, e) < 0) {
		tries_close(t);
		return -1;
	}
	return 0;
}

static int64_t
ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * NS + ts->tv_nsec;
}

static void
sleep_ns(int64_t ns)
{
	struct timespec d;

	if (ns <= 0)
		return;
	d.tv_sec = (time_t)(ns / NS);
	d.tv_nsec = (long)(ns % NS);
	while (nanosleep(&d, &d) < 0 && errno == EINTR)
		;
}

/* The time the file holds: 1 and *at, 0 none (empty), -1 not a time. */
static int
read_time(int fd, int64_t *at)
{
	char buf[64], *end;
	long long s, n;
	ssize_t got;

	if ((got = pread(fd, buf, sizeof buf - 1, 0)) <= 0)
		return got == 0 ? 0 : -1;
	buf[got] = '\0';
	errno = 0;
	s = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '.' || s < 0)
		return -1;
	n = strtoll(end + 1, &end, 10);
	if (errno != 0 || *end != '\n' || n < 0 || n >= NS || s > INT64_MAX / NS - 1)
		return -1;
	*at = (int64_t)s * NS + n;
	return 1;
}

int
tries_take(struct tries *t, long pause_ms, struct timespec *next, struct err *e)
{
	int64_t pause = (int64_t)pause_ms * 1000000, at = 0, wait;
	struct timespec now;
	char buf[64];
	ssize_t w;
	int n, r;

	while (flock(t->fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err_set(e, ERR_TEMP, errno, "lock %s", t->path);
			return -1;
		}
	}
	clock_gettime(CLOCK_REALTIME, &now);
	/* Not a time (only root writes it): a whole pause, to be safe. */
	if ((r = read_time(t->fd, &at)) < 0)
		at = ns_of(&now) + pause;
	wait = r == 0 ? 0 : at - ns_of(&now);
	sleep_ns(wait < pause ? wait : pause);
	clock_gettime(CLOCK_REALTIME, &now);
	at = ns_of(&now) + pause;
	next->tv_sec = (time_t)(at / NS);
	next->tv_nsec = (long)(at % NS);
	n = snprintf(buf, sizeof buf, "%lld.%09ld\n", (long long)next->tv_sec, next->tv_nsec);
	if ((w = pwrite(t->fd, buf, (size_t)n, 0)) != n || ftruncate(t->fd, n) < 0) {
		err_set(e, ERR_TEMP, w >= 0 && w < n ? EIO : errno, "write %s", t->path);
		flock(t->fd, LOCK_UN);
		return -1;
	}
	flock(t->fd, LOCK_UN);
	return 0;
}

void
tries_sleep_until(const struct timespec *next, long pause_ms)
{
	struct timespec now;
	int64_t left, pause = (int64_t)pause_ms * 1000000;

	clock_gettime(CLOCK_REALTIME, &now);
	left = ns_of(next) - ns_of(&now);
	sleep_ns(left < pause ? left : pause);
}
