/*
 * login: relaygate-login's part, the privileged half of a login path
 * (chain.h, ticket.h): what the server that accepted the connection said
 * of the client is remembered before the user's code runs, and recorded
 * only when the user's relaygate-allow reports the login.
 */
#define _GNU_SOURCE		/* close_range(2) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/chain.h"
#include "core/config.h"
#include "core/relay.h"
#include "core/text.h"
#include "core/ticket.h"

/* The waiter's standard input, output and error: none of them the client's. */
static void
let_go_of_the_connection(void)
{
	int null = open("/dev/null", O_RDWR);

	/* Under inetd standard error is the connection too: log through syslog. */
	if (chain_log_leave_stderr() && null >= 0)
		dup2(null, 2);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (null > 2)
			close(null);
	}
}

/* The waiter: one ticket, one record, one answer, one log line; then gone. */
static void
wait_for_login(const char *prog, int keep, const struct config *c, const struct addr *a)
{
	struct ticket t;
	struct err e, ae;
	char user[GRANT_USER_MAX], proto[64], line[2048];
	int rc;

	let_go_of_the_connection();
	/* Nothing else of the chain's: only its end of the pair, as 3. */
	if (keep != 3 && (dup2(keep, 3) < 0 || close(keep) < 0)) {
		chain_log(prog, "move the login's socket pair: %s; nothing recorded for %s",
		    strerror(errno), a->text);
		_exit(0);
	}
	keep = 3;
	(void)close_range(4, ~0U, 0);
	if (setsid() < 0 || chdir("/") < 0) {
		/* Neither matters for what follows. */
	}
	rc = ticket_wait(keep, &t, &e);
	if (rc == 0)
		_exit(0);	/* no login succeeded on this connection */
	if (rc < 0) {
		chain_log(prog, "%s; nothing recorded for %s", e.msg, a->text);
		_exit(0);
	}
	text_escape(user, sizeof user, t.user);
	text_escape(proto, sizeof proto, t.proto);
	rc = relay_allow(c, a, user, proto, c->expiry, (int64_t)time(NULL), &e);
	if (ticket_answer(keep, rc >= 0, &ae) < 0 && rc >= 0)
		chain_log(prog, "%s", ae.msg);
	chain_recorded(a, rc, &e, c->expiry, user, proto, "", line, sizeof line);
	chain_log(prog, "%s", line);
	_exit(0);
}

void
chain_login(const char *prog, struct chain_result *r)
{
	struct config c;
	struct addr a;
	struct err e;
	const char *from, *stunnel = getenv("REMOTE_HOST");
	char num[16];
	int keep, give, status;
	pid_t pid, waiter;

	memset(r, 0, sizeof *r);
	unsetenv(TICKET_ENV);	/* only the one made here is the chain's */
	/* stunnel's exec names the client REMOTE_HOST: the chain knows it as TCPREMOTEIP. */
	if (getenv("TCPREMOTEIP") == NULL && getenv("IP") == NULL && stunnel != NULL &&
	    setenv("TCPREMOTEIP", stunnel, 1) < 0) {
		snprintf(r->log, sizeof r->log, "setenv TCPREMOTEIP: %s; nothing will be recorded",
		    strerror(errno));
		return;
	}
	if (chain_setup(&c, &a, &from, "nothing will be recorded", r) < 0)
		return;
	if (ticket_pair(&keep, &give, &e) < 0) {
		snprintf(r->log, sizeof r->log, "%s; nothing will be recorded", e.msg);
		return;
	}
	/* Twice forked: the waiter is nobody's child in the chain, which may wait for any. */
	if ((pid = fork()) == 0) {
		close(give);
		if ((waiter = fork()) == 0)
			wait_for_login(prog, keep, &c, &a);
		_exit(waiter < 0 ? 1 : 0);
	}
	close(keep);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		snprintf(r->log, sizeof r->log, "fork the login's waiter: %s; nothing will be "
		    "recorded", pid < 0 ? strerror(errno) : "failed");
		close(give);
		return;
	}
	snprintf(num, sizeof num, "%d", give);
	if (setenv(TICKET_ENV, num, 1) < 0) {
		snprintf(r->log, sizeof r->log, "setenv %s: %s; nothing will be recorded",
		    TICKET_ENV, strerror(errno));
		close(give);
	}
}
