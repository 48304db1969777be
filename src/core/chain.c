/* chain: the decisions of relaygate-allow and relaygate-check; see chain.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "core/chain.h"
#include "core/config.h"
#include "core/priv.h"
#include "core/relay.h"
#include "core/text.h"

/* Which variable holds the client's address: TCPREMOTEIP, else IP, else NULL. */
static const char *
client_var(void)
{
	if (getenv("TCPREMOTEIP") != NULL)
		return "TCPREMOTEIP";
	if (getenv("IP") != NULL)
		return "IP";
	return NULL;
}

const char *
chain_client(void)
{
	const char *v = client_var();

	return v == NULL ? NULL : getenv(v);
}

int
chain_peer(int fd, struct addr *a, char *why, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char text[INET6_ADDRSTRLEN];
	const void *bytes;

	memset(&ss, 0, sizeof ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) {
		if (errno == ENOTSOCK)
			snprintf(why, size, "standard input is not a socket");
		else
			snprintf(why, size, "standard input has no peer (%s)", strerror(errno));
		return 0;
	}
	if (ss.ss_family == AF_INET)
		bytes = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		bytes = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	else {
		snprintf(why, size, "standard input is not a TCP connection");
		return 0;
	}
	if (inet_ntop(ss.ss_family, bytes, text, sizeof text) == NULL ||
	    addr_parse(text, a, NULL) < 0) {
		snprintf(why, size, "standard input's peer has no address");
		return 0;
	}
	return 1;
}

int
chain_client_addr(struct addr *a, const char **from, char *why, size_t size)
{
	const char *v = client_var();
	struct err e;

	if (v != NULL) {
		*from = v;
		if (addr_parse(getenv(v), a, &e) < 0) {
			snprintf(why, size, "%s", e.msg);
			return -1;
		}
		return 1;
	}
	/* inetd sets no variable: the connection itself is the client's. */
	*from = CHAIN_FROM_PEER;
	return chain_peer(0, a, why, size);
}

/* Is fd a TCP/IP socket (not a pipe, a file, a terminal or a Unix socket)? */
static int
inet_socket(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
}

void
chain_log(const char *prog, const char *fmt, ...)
{
	va_list ap;
	char line[2048];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (inet_socket(2)) {
		openlog(prog, LOG_PID, LOG_MAIL);
		syslog(LOG_NOTICE, "%s", line);
		closelog();
		return;
	}
	/* A log line that cannot be written has nowhere else to go. */
	(void)fprintf(stderr, "%s: %s\n", prog, line);
}

/*
 * Is the client the connection this login came on?  0 yes (or nothing to
 * check against, when that is allowed), -1 no: r->log says why.
 */
static int
peer_ok(const struct config *c, const struct addr *a, const char *from,
    struct chain_result *r)
{
	struct addr peer;
	char why[128];

	/* Taken from the connection itself: it is the peer. */
	if (!c->peer_check || strcmp(from, CHAIN_FROM_PEER) == 0)
		return 0;
	if (chain_peer(0, &peer, why, sizeof why) == 1) {
		if (strcmp(peer.text, a->text) == 0)
			return 0;
		snprintf(r->log, sizeof r->log, "%s is %s, but this connection comes from "
		    "%s; nothing recorded (peer_check)", from, a->text, peer.text);
		return -1;
	}
	/* Without a connection to check against, only a program that could
	 * write the store by itself anyway may record. */
	if (!priv_setid())
		return 0;
	snprintf(r->log, sizeof r->log, "%s, so %s %s cannot be checked against the "
	    "connection; nothing recorded (setgid, peer_check)", why, from, a->text);
	return -1;
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
setup(struct config *c, struct addr *a, const char **from, const char *consequence,
    struct chain_result *r)
{
	struct err e;
	char why[sizeof e.msg];
	int got;

	if (config_load(c, NULL, config_env_trusted(), &e) < 0) {
		snprintf(r->log, sizeof r->log, "%s; %s", e.msg, consequence);
		return -1;
	}
	if ((got = chain_client_addr(a, from, why, sizeof why)) < 0) {
		snprintf(r->log, sizeof r->log, "%s; %s", why, consequence);
		return -1;
	}
	if (got == 0) {
		snprintf(r->log, sizeof r->log,
		    "no client address (TCPREMOTEIP or IP) in the environment, and %s; %s",
		    why, consequence);
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
	const char *user = getenv("USER"), *from;
	char self[GRANT_USER_MAX], ignored[256], note[512] = "", safe[GRANT_USER_MAX];
	int rc;

	memset(r, 0, sizeof *r);
	/* Dovecot's look-ups (AUTHORIZED set) come before its own password
	 * check: no login has succeeded yet, so there is nothing to record. */
	if (getenv("AUTHORIZED") != NULL)
		return;
	if (setup(&c, &a, &from, "nothing recorded", r) < 0 || peer_ok(&c, &a, from, r) < 0)
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
	if (proto == NULL)
		proto = guess_proto();
	if (priv_raise(&e) < 0) {
		snprintf(r->log, sizeof r->log, "%s; nothing recorded for %s", e.msg, a.text);
		return;
	}
	rc = relay_allow(&c, &a, user, proto, c.expiry, now, &e);
	if (priv_lower(NULL) < 0) {
		/* Dropped for good before the exec all the same (priv_drop). */
	}
	if (rc < 0)
		snprintf(r->log, sizeof r->log, "%s; nothing recorded for %s%s",
		    e.msg, a.text, note);
	else if (rc == RELAY_UNCHANGED)
		snprintf(r->log, sizeof r->log, "%s is pinned; left as it is%s", a.text, note);
	else
		snprintf(r->log, sizeof r->log, "%s may relay for %lds (user %s, %s)%s",
		    a.text, c.expiry, *user ? user : "-", proto, note);
	r->routine = rc >= 0 && note[0] == '\0';
}

void
chain_check(int64_t now, struct chain_result *r)
{
	struct relay_decision d;
	struct config c;
	struct addr a;
	struct err e;
	const char *from;

	memset(r, 0, sizeof *r);
	/* tcpserver's rules already decided: leave their word alone. */
	if (getenv("RELAYCLIENT") != NULL)
		return;
	if (setup(&c, &a, &from, "no RELAYCLIENT", r) < 0)
		return;
	if (relay_check(&c, &a, now, &d, &e) < 0) {
		snprintf(r->log, sizeof r->log, "%s; no RELAYCLIENT for %s",
		    e.msg, a.text);
		return;
	}
	if (d.answer == RELAY_NO)
		return;
	if (d.answer == RELAY_PIN && d.details_err[0] != '\0')
		snprintf(r->log, sizeof r->log, "%s is pinned: relaying with the configured "
		    "RELAYCLIENT, as its details cannot be read: %s", a.text, d.details_err);
	r->set_relayclient = 1;
	memcpy(r->relayclient, d.relayclient, sizeof r->relayclient);
}
