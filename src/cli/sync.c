/*
 * sync: relaygate sync, the daemon that keeps this host's grants in step
 * with the shared PostgreSQL store (core/sync), in the foreground for
 * supervise(8) or systemd like the expiry loop; and its --status,
 * --init-schema, --once and --leave.  It logs connections made and lost,
 * refusals and troubles, once each, never the connection string.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/sync.h"
#include "core/syncstat.h"

static void
say(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "relaygate sync: %s\n", msg);
}

/* "2", "0.5": seconds, with up to 3 decimals, in ms within [lo, hi]. */
static int
seconds_ms(const char *s, long lo, long hi, long *ms)
{
	long whole = 0, frac = 0, scale = 100;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((whole = whole * 10 + (*p - '0')) > 86400)
			return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (*p != '\0')
		return -1;
	*ms = whole * 1000 + frac;
	return *ms >= lo && *ms <= hi ? 0 : -1;
}

static void
iso_or_dash(int64_t t, char buf[32])
{
	if (t > 0)
		out_iso(t, buf);
	else
		snprintf(buf, 32, "-");
}

static int
show_status(const struct config *c, int json)
{
	int64_t now = (int64_t)time(NULL);
	struct sync_status s;
	char since[32], contact[32], rec[32], pulled[32];
	struct err e;
	long behind;

	if (syncstat_get(c, now, &s, &e) < 0)
		return cli_fail(&e);
	behind = s.oldest_pending > 0 && now > s.oldest_pending ? (long)(now - s.oldest_pending) : 0;
	iso_or_dash(s.since, since);
	iso_or_dash(s.last_contact, contact);
	iso_or_dash(s.last_reconcile, rec);
	iso_or_dash(s.last_pulled, pulled);
	if (json) {
		printf("{\"state\":\"%s\",\"host\":", syncstat_state_name(s.state));
		out_json_string(stdout, s.host);
		printf(",\"pid\":%ld,\"since\":\"%s\",\"pending\":%ld,\"behind\":%ld,"
		    "\"overflow\":%s,\"last_contact\":\"%s\",\"last_reconcile\":\"%s\","
		    "\"last_pulled\":\"%s\",\"pushed\":%ld,\"pulled\":%ld,\"skew_ms\":%ld,\"error\":",
		    s.state >= SYNC_CONNECTING ? s.pid : 0L, since, s.pending, behind,
		    s.overflow ? "true" : "false", contact, rec, pulled, s.pushed, s.pulled,
		    s.skew_ms);
		out_json_string(stdout, s.error);
		puts("}");
	} else {
		printf("state\t%s\nhost\t%s\npid\t%ld\nsince\t%s\npending\t%ld\nbehind\t%ld\n"
		    "overflow\t%s\nlast_contact\t%s\nlast_reconcile\t%s\nlast_pulled\t%s\n"
		    "pushed\t%ld\npulled\t%ld\nskew_ms\t%ld\nerror\t%s\n",
		    syncstat_state_name(s.state), s.host, s.state >= SYNC_CONNECTING ? s.pid : 0L,
		    since, s.pending, behind, s.overflow ? "yes" : "no", contact, rec, pulled,
		    s.pushed, s.pulled, s.skew_ms, s.error);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("relaygate: write standard output");
		return EX_TEMP;
	}
	return s.state == SYNC_CONNECTED ? EX_OK : EX_NO;
}

static int
run_daemon(const struct config *c, long timeout_ms, long reconcile_ms, int once)
{
	struct pollfd p;
	struct sync s;
	struct err e;
	long wait;
	int rc = EX_OK;

	if (cli_catch_stop() < 0) {
		perror("relaygate: sigaction");
		return EX_TEMP;
	}
	signal(SIGPIPE, SIG_IGN);
	if (sync_init(&s, c, timeout_ms, reconcile_ms, say, NULL, cli_now_ms(), &e) < 0) {
		fprintf(stderr, "relaygate sync: %s\n", e.msg);
		return e.kind == ERR_PERM ? EX_USAGE : EX_TEMP;
	}
	if (once) {
		if (sync_once(&s, cli_now_ms(), &e) < 0) {
			fprintf(stderr, "relaygate sync: %s\n", e.msg);
			rc = EX_TEMP;
		}
		sync_end(&s, cli_now_ms());
		return rc;
	}
	while (!cli_stop) {
		sync_step(&s, cli_now_ms());
		if (cli_stop)
			break;
		wait = sync_wait_ms(&s, cli_now_ms());
		p.fd = sync_fd(&s);
		p.events = POLLIN;
		p.revents = 0;
		/* A negative fd is ignored by poll: then it only sleeps. */
		if (poll(&p, 1, wait > 60000 ? 60000 : (int)wait) < 0 && errno != EINTR) {
			perror("relaygate sync: poll");
			rc = EX_TEMP;
			break;
		}
	}
	sync_end(&s, cli_now_ms());
	return rc;
}

int
cmd_sync(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "status", no_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "init-schema", no_argument, NULL, 'i' }, { "once", no_argument, NULL, 'o' },
		{ "leave", no_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "reconcile", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	long timeout_ms = 2000, reconcile_ms = 300000;
	int ch, json = 0, mode = 0;
	struct err e;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case 'h':
			cli_usage(stdout, "sync");
			return EX_OK;
		case 'j':
			json = 1;
			break;
		case 's':
		case 'i':
		case 'o':
		case 'l':
			if (mode != 0 && mode != ch) {
				fprintf(stderr, "relaygate sync: one of --status, --init-schema, "
				    "--once, --leave\n");
				return EX_USAGE;
			}
			mode = ch;
			break;
		case 't':
			if (seconds_ms(optarg, 10, 60000, &timeout_ms) < 0) {
				fprintf(stderr, "relaygate sync: --timeout: \"%s\" is not a number "
				    "of seconds from 0.01 to 60\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'r':
			if (seconds_ms(optarg, 1000, 86400000L, &reconcile_ms) < 0) {
				fprintf(stderr, "relaygate sync: --reconcile: \"%s\" is not a number "
				    "of seconds from 1 to 86400\n", optarg);
				return EX_USAGE;
			}
			break;
		case ':':
			fprintf(stderr, "relaygate sync: %s needs a value\n", argv[optind - 1]);
			cli_usage(stderr, "sync");
			return EX_USAGE;
		default:
			fprintf(stderr, "relaygate sync: unknown option %s\n", argv[optind - 1]);
			cli_usage(stderr, "sync");
			return EX_USAGE;
		}
	}
	if (argc - optind != 0 || (json && mode != 's')) {
		fprintf(stderr, "relaygate sync: %s\n", json && mode != 's' ?
		    "--json goes with --status" : "too many arguments");
		cli_usage(stderr, "sync");
		return EX_USAGE;
	}
	switch (mode) {
	case 's':
		return show_status(c, json);
	case 'i':
		if (sync_init_schema(c, timeout_ms, &e) < 0) {
			fprintf(stderr, "relaygate sync: %s\n", e.msg);
			return e.kind == ERR_PERM ? EX_USAGE : EX_TEMP;
		}
		return EX_OK;
	case 'l':
		if (sync_leave(c, &e) < 0)
			return cli_fail(&e);
		return EX_OK;
	}
	return run_daemon(c, timeout_ms, reconcile_ms, mode == 'o');
}
