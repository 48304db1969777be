/* chain: the decisions of relaygate-allow and relaygate-check; see chain.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chain.h"
#include "core/config.h"
#include "core/relay.h"
#include "core/text.h"

const char *
chain_client(void)
{
	const char *ip = getenv("TCPREMOTEIP");

	if (ip == NULL)
		ip = getenv("IP");
	return ip;
}

/* The protocol of this login, when the chain did not say. */
static const char *
guess_proto(void)
{
	const char *s = getenv("SERVICE"), *port = getenv("TCPLOCALPORT");

	if (s != NULL && (strcmp(s, "pop3") == 0 || strcmp(s, "imap") == 0))
		return s;
	if (port != NULL) {
		if (strcmp(port, "110") == 0 || strcmp(port, "995") == 0)
			return "pop3";
		if (strcmp(port, "143") == 0 || strcmp(port, "993") == 0)
			return "imap";
	}
	return "unknown";
}

/* Config and client address, or a log line saying why not. */
static int
setup(struct config *c, struct addr *a, const char *consequence,
    struct chain_result *r)
{
	struct err e;
	const char *ip;

	if (config_load(c, NULL, config_env_trusted(), &e) < 0) {
		snprintf(r->log, sizeof r->log, "%s; %s", e.msg, consequence);
		return -1;
	}
	if ((ip = chain_client()) == NULL) {
		snprintf(r->log, sizeof r->log,
		    "no client address (TCPREMOTEIP or IP) in the environment; %s",
		    consequence);
		return -1;
	}
	if (addr_parse(ip, a, &e) < 0) {
		snprintf(r->log, sizeof r->log, "%s; %s", e.msg, consequence);
		return -1;
	}
	return 0;
}

void
chain_allow(const char *proto, int64_t now, struct chain_result *r)
{
	struct config c;
	struct addr a;
	struct err e;
	const char *user = getenv("USER");
	char safe[GRANT_USER_MAX];
	int rc;

	memset(r, 0, sizeof *r);
	/* Dovecot's look-ups (AUTHORIZED set) come before its own password
	 * check: no login has succeeded yet, so there is nothing to record. */
	if (getenv("AUTHORIZED") != NULL)
		return;
	if (setup(&c, &a, "nothing recorded", r) < 0)
		return;
	if (user == NULL)
		user = "";
	/* An odd USER (control characters, too long) still gets its grant: recorded and logged escaped. */
	user = text_escape(safe, sizeof safe, user);
	if (proto == NULL)
		proto = guess_proto();
	rc = relay_allow(&c, &a, user, proto, c.expiry, now, &e);
	if (rc < 0)
		snprintf(r->log, sizeof r->log, "%s; nothing recorded for %s",
		    e.msg, a.text);
	else if (rc == RELAY_UNCHANGED)
		snprintf(r->log, sizeof r->log, "%s is pinned; left as it is", a.text);
	else
		snprintf(r->log, sizeof r->log, "%s may relay for %lds (user %s, %s)",
		    a.text, c.expiry, *user ? user : "-", proto);
}

void
chain_check(int64_t now, struct chain_result *r)
{
	struct relay_decision d;
	struct config c;
	struct addr a;
	struct err e;

	memset(r, 0, sizeof *r);
	/* tcpserver's rules already decided: leave their word alone. */
	if (getenv("RELAYCLIENT") != NULL)
		return;
	if (setup(&c, &a, "no RELAYCLIENT", r) < 0)
		return;
	if (relay_check(&c, &a, now, &d, &e) < 0) {
		snprintf(r->log, sizeof r->log, "%s; no RELAYCLIENT for %s",
		    e.msg, a.text);
		return;
	}
	if (d.answer == RELAY_NO)
		return;
	r->set_relayclient = 1;
	memcpy(r->relayclient, d.relayclient, sizeof r->relayclient);
}
