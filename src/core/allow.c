/* allow: relaygate-allow's decision, recording a login (chain.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/chain.h"
#include "core/config.h"
#include "core/peer.h"
#include "core/priv.h"
#include "core/relay.h"
#include "core/text.h"
#include "core/ticket.h"

/* The longest a login waits for relaygate-login to answer its ticket. */
#define TICKET_WAIT_MS 10000

/*
 * May this login be recorded for a?  0 yes, -1 no: r->log says why.
 *
 * Set-id, the program believes only what a local user cannot hand it: a
 * connection that a server here accepted (peer.h), whose peer is the
 * client; peer_check cannot turn that off.  Run by an account that may
 * write the store anyway (a login path's privileged half: root, the
 * store's account), the environment is that account's own; with
 * peer_check a TCP connection on standard input must still come from the
 * client.
 */
static int
peer_ok(const struct config *c, const struct addr *a, const char *from,
    struct chain_result *r)
{
	struct addr peer;
	char why[256];

	if (priv_setid()) {
		if (peer_accepted(0, &peer, why, sizeof why) != 1) {
			snprintf(r->log, sizeof r->log, "nothing recorded for %s %s: %s "
			    "(setgid, peer_check)", from, a->text, why);
			return -1;
		}
		if (strcmp(peer.text, a->text) != 0) {
			snprintf(r->log, sizeof r->log, "nothing recorded for %s %s: this "
			    "connection comes from %s (setgid, peer_check)", from, a->text, peer.text);
			return -1;
		}
		return 0;
	}
	if (!c->peer_check || strcmp(from, CHAIN_FROM_PEER) == 0)
		return 0;
	if (chain_peer(0, &peer, why, sizeof why) == 1 && strcmp(peer.text, a->text) != 0) {
		snprintf(r->log, sizeof r->log, "%s is %s, but this connection comes from "
		    "%s; nothing recorded (peer_check)", from, a->text, peer.text);
		return -1;
	}
	return 0;
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

/*
 * relaygate-login, first in this chain, waits for this login's word
 * (ticket.h): tell it, and record nothing here.  It knows the client's
 * address; this process, the user's, has only its word to give.
 */
static void
tell_login(const char *fdtext, const char *proto, struct chain_result *r)
{
	const char *user = getenv("USER");
	struct err e;
	char *end;
	long fd;
	int rc;

	errno = 0;
	fd = strtol(fdtext, &end, 10);
	if (end == fdtext || *end != '\0' || errno != 0 || fd < 3 || fd > INT_MAX) {
		snprintf(r->log, sizeof r->log, "%s=%s is no descriptor; nothing recorded",
		    TICKET_ENV, fdtext);
		unsetenv(TICKET_ENV);
		return;
	}
	rc = ticket_send((int)fd, user != NULL ? user : "", proto, TICKET_WAIT_MS, &e);
	close((int)fd);
	unsetenv(TICKET_ENV);
	if (rc < 0)
		snprintf(r->log, sizeof r->log, "%s; nothing recorded", e.msg);
	else if (rc == 0)
		snprintf(r->log, sizeof r->log, "relaygate-login recorded nothing (its log says why)");
	else
		r->routine = 1;
}

void
chain_allow(const char *proto, int64_t now, struct chain_result *r)
{
	struct config c;
	struct addr a;
	struct err e;
	const char *user = getenv("USER"), *from;
	char self[GRANT_USER_MAX], ignored[256], note[512] = "", safe[GRANT_USER_MAX];
	int rc;

	memset(r, 0, sizeof *r);
	/* Dovecot's look-ups (AUTHORIZED set) come before its own password
	 * check: no login has succeeded yet, so there is nothing to record. */
	if (getenv("AUTHORIZED") != NULL)
		return;
	if (proto == NULL)
		proto = guess_proto();
	if (getenv(TICKET_ENV) != NULL) {
		tell_login(getenv(TICKET_ENV), proto, r);
		return;
	}
	if (chain_setup(&c, &a, &from, "nothing recorded", r) < 0 || peer_ok(&c, &a, from, r) < 0)
		return;
	if (priv_setid()) {
		/* Set-id: the user is the account this runs as, not what $USER says. */
		relay_actor(self, sizeof self);
		user = self;
		config_env_ignored(ignored, sizeof ignored);
		if (ignored[0] != '\0')
			snprintf(note, sizeof note, "; setgid, so %s ignored: settings come "
			    "from %s alone", ignored, CONFIG_FILE);
	}
	if (user == NULL)
		user = "";
	/* An odd USER (control characters, too long) still gets its grant: recorded and logged escaped. */
	user = text_escape(safe, sizeof safe, user);
	if (priv_raise(&e) < 0) {
		snprintf(r->log, sizeof r->log, "%s; nothing recorded for %s", e.msg, a.text);
		return;
	}
	rc = relay_allow(&c, &a, user, proto, c.expiry, now, &e);
	if (priv_lower(NULL) < 0) {
		/* Dropped for good before the exec all the same (priv_drop). */
	}
	chain_recorded(&a, rc, &e, c.expiry, user, proto, note, r->log, sizeof r->log);
	r->routine = rc >= 0 && note[0] == '\0';
}
