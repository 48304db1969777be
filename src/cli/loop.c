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

/* Sleep until the wall-clock moment at_ms, or until a signal. */
static void
sleep_until(int64_t at_ms)
{
	struct timespec t;

	t.tv_sec = (time_t)(at_ms / 1000);
	t.tv_nsec = (long)(at_ms % 1000) * 1000000L;
	while (!cli_stop && clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

int
cli_expire_loop(const struct config *c, long interval_ms)
{
	char names[SCHED_NAMED * (ADDR_TEXT_MAX + 2) + 64];
	struct sched s;
	int64_t now;
	int r, changed;

	if (cli_catch_stop() < 0) {
		perror("relaygate: sigaction");
		return EX_TEMP;
	}
	sched_init(&s, interval_ms, cli_now_ms());
	while (!cli_stop) {
		r = sched_step(&s, c, cli_now_ms(), &changed);
		if (r < 0 && changed)
			fprintf(stderr, "relaygate: expire: %s; will retry\n", s.err.msg);
		if (r == 1 && changed)
			fprintf(stderr, "relaygate: expire: store usable again\n");
		if (r == 1 && s.last_removed > 0) {
			sched_removed_text(&s, names, sizeof names);
			fprintf(stderr, "relaygate: expired %s\n", names);
		}
		now = cli_now_ms();
		sleep_until(now + sched_wait_ms(&s, now));
	}
	return EX_OK;
}
