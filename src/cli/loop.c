/*
 * loop: relaygate expire --loop, the background expiry that replaces the
 * cron job.  It runs in the foreground for supervise(8) or systemd, sweeps
 * every interval and wakes at each grant's expiry, logs only sweeps that
 * removed something and changes in the store's health, and ends with
 * status 0 on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/relay.h"

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
	char last[sizeof ((struct err *)0)->msg] = "";
	struct err e;
	int64_t start, wake, when;
	long removed;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: interrupt the sleep */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0) {
		perror("relaygate: sigaction");
		return EX_TEMP;
	}
	while (!stop) {
		start = now_ms();
		if (relay_expire(c, start / 1000, &removed, &e) < 0) {
			/* Missing, locked or damaged: say so once, and keep trying. */
			if (strcmp(e.msg, last) != 0)
				fprintf(stderr, "relaygate: expire: %s; will retry\n", e.msg);
			snprintf(last, sizeof last, "%s", e.msg);
		} else {
			if (last[0] != '\0')
				fprintf(stderr, "relaygate: expire: store usable again\n");
			last[0] = '\0';
			if (removed > 0)
				fprintf(stderr, "relaygate: expired %ld grant%s\n",
				    removed, removed == 1 ? "" : "s");
		}
		wake = start + interval_ms;
		if (last[0] == '\0' && relay_next_expiry(c, &when, &e) == 1 &&
		    when * 1000 < wake)
			wake = when * 1000;
		if (wake < now_ms() + 1)
			wake = now_ms() + 1;
		sleep_until(wake);
	}
	return EX_OK;
}
