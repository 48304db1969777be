/* lock: flock(2) with a time limit; see lock.h. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>

#include "stores/lock.h"

static void
on_alarm(int sig)
{
	(void)sig;	/* only there to interrupt flock(2) */
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000L + (t.tv_nsec - t0->tv_nsec) / 1000000L;
}

int
lock_take(int fd, int op, long timeout_ms)
{
	struct sigaction sa, old_sa;
	struct itimerval it;
	struct timespec t0;
	long left;
	int rc, saved;

	if (flock(fd, op | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return -1;
	if (timeout_ms <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}

	/* Wait in flock(2) itself, so the kernel wakes us when the lock is
	 * free; a one-shot timer without SA_RESTART bounds the wait. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, &old_sa) < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		left = timeout_ms - ms_since(&t0);
		if (left <= 0) {
			rc = -1;
			errno = ETIMEDOUT;
			break;
		}
		memset(&it, 0, sizeof it);
		it.it_value.tv_sec = left / 1000;
		it.it_value.tv_usec = (left % 1000) * 1000;
		if (setitimer(ITIMER_REAL, &it, NULL) < 0) {
			rc = -1;
			break;
		}
		rc = flock(fd, op);
		saved = errno;
		memset(&it, 0, sizeof it);
		setitimer(ITIMER_REAL, &it, NULL);
		errno = saved;
		if (rc == 0 || errno != EINTR)
			break;
	}
	saved = errno;
	sigaction(SIGALRM, &old_sa, NULL);
	errno = saved;
	return rc;
}

int
lock_path(int fd, const char *path, int op, long timeout_ms, struct err *e)
{
	if (lock_take(fd, op, timeout_ms) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		err_set(e, ERR_TEMP, 0, "lock %s: still locked after %ld ms", path, timeout_ms);
	else
		err_set(e, ERR_TEMP, errno, "lock %s", path);
	return -1;
}
