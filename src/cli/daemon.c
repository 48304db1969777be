/*
 * daemon: what the foreground daemons of batch mode share (the expiry loop
 * and relaygate sync): SIGTERM and SIGINT ask them to stop, and the wall
 * clock in milliseconds that their schedules run on.
 */
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

volatile sig_atomic_t cli_stop;

static void
on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

int
cli_catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: interrupt the wait */
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ? -1 : 0;
}

int64_t
cli_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
