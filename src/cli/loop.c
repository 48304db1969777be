/*
 * loop: relaygate expire --loop, the background expiry that replaces the
 * cron job.  It runs in the foreground for supervise(8) or systemd, drives
 * the engine's schedule (core/sched: every interval, and at each grant's
 * expiry), logs only sweeps that removed something and changes in the
 * store's health, and ends with status 0 on SIGTERM or SIGINT.  The
 * signals are this face's own business; the schedule is the engine's.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/sched.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Sleep until the wall-clock moment at_ms, or until a signal. */
static void
sleep_until(int64_t at_ms)
{
	struct timespec t;

	t.tv_sec = (time_t)(at_ms / 1000);
	t.tv_nsec = (long)(at_ms % 1000) * 1000000L;
	while (!stop && clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

int
cli_expire_loop(const struct config *c, long interval_ms)
{
	struct sigaction sa;
	char names[SCHED_NAMED * (ADDR_TEXT_MAX + 2) + 64];
	struct sched s;
	int64_t now;
	int r, changed;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: interrupt the sleep */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
		perror("relaygate: sigaction");
		return EX_TEMP;
	}
	sched_init(&s, interval_ms, now_ms());
	while (!stop) {
		r = sched_step(&s, c, now_ms(), &changed);
		if (r < 0 && changed)
			fprintf(stderr, "relaygate: expire: %s; will retry\n", s.err.msg);
		if (r == 1 && changed)
			fprintf(stderr, "relaygate: expire: store usable again\n");
		if (r == 1 && s.last_removed > 0) {
			sched_removed_text(&s, names, sizeof names);
			fprintf(stderr, "relaygate: expired %s\n", names);
		}
		now = now_ms();
		sleep_until(now + sched_wait_ms(&s, now));
	}
	return EX_OK;
}
