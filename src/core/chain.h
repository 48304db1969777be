/*
 * chain: what relaygate-allow and relaygate-check decide before they exec
 * the rest of their chain.  Both read only their environment; neither may
 * stop a login or a mail: every failure becomes a log line, never an exit.
 */
#ifndef RG_CHAIN_H
#define RG_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/grant.h"

struct chain_result {
	int set_relayclient;		/* check: export RELAYCLIENT=relayclient */
	char relayclient[GRANT_TEXT_MAX];
	char log[2048];			/* one line for stderr, or "" */
	int routine;			/* allow: recorded, nothing amiss (-q keeps quiet) */
};

/*
 * The client address of this connection: $TCPREMOTEIP (ucspi-tcp), or $IP
 * (a Dovecot post-login script).  NULL when neither is set.
 */
const char *chain_client(void);

/*
 * The client address of this connection, wherever it is: $TCPREMOTEIP, else
 * $IP, else (inetd sets neither) the peer of standard input when that is a
 * TCP connection; an IPv4-mapped peer is plain IPv4.  1, *a, and *from
 * naming the source ("TCPREMOTEIP", "IP" or CHAIN_FROM_PEER); 0 none, why
 * says what standard input is instead; -1 a variable holds no address, why
 * says so.
 */
#define CHAIN_FROM_PEER "the connection"
int chain_client_addr(struct addr *a, const char **from, char *why, size_t size);

/*
 * The peer of fd when it is a TCP connection: 1 and *a; 0 when it is not
 * (no socket, a Unix socket, not connected), why says so.
 */
int chain_peer(int fd, struct addr *a, char *why, size_t size);

/*
 * One log line of a chain program (prog: its name), printf-style, without
 * the newline: on standard error, as "prog: line"; or, when standard error
 * is a TCP/IP socket (inetd gives the program the client's connection as
 * descriptors 0, 1 and 2), through syslog(3), facility mail, so that the
 * line never lands in the client's session.  The one place a chain
 * program's words leave it.
 */
void chain_log(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * When standard error is the client's connection (inetd), chain_log writes
 * through syslog(3) from now on, and the caller may let standard error go:
 * 1; else 0.
 */
int chain_log_leave_stderr(void);

/*
 * The log line of a login recorded for a (relay_allow gave rc, and e when
 * it failed), for expiry seconds, user and proto; note follows it: into
 * log, size bytes.  relaygate-allow's and relaygate-login's one wording.
 */
struct err;
void chain_recorded(const struct addr *a, int rc, const struct err *e, long expiry,
    const char *user, const char *proto, const char *note, char *log, size_t size);

/*
 * The config and the client address of this connection (chain_client_addr):
 * 0; or -1 with r->log saying why, then consequence ("nothing recorded").
 */
struct config;
int chain_setup(struct config *c, struct addr *a, const char **from,
    const char *consequence, struct chain_result *r);

/*
 * relaygate-allow: record the client (chain_client_addr) for the configured lifetime, with $USER
 * and proto (NULL: from $SERVICE, else from $TCPLOCALPORT, else "unknown").
 * Nothing is recorded, silently, in Dovecot's look-up mode ($AUTHORIZED).
 * With peer_check (the default), when standard input is a TCP connection
 * its peer must be the client, and a set-id program records only for such
 * a connection.  Set-id, the user is the account the program runs as, and
 * the privilege is held only around the write (priv.h).
 */
void chain_allow(const char *proto, int64_t now, struct chain_result *r);

/*
 * relaygate-login: first in a login chain, as root, in the process the
 * server started for the connection: note the client (chain_client_addr;
 * under stunnel, whose exec sets REMOTE_HOST, TCPREMOTEIP is set from it),
 * hand the chain one end of a ticket pair (ticket.h) named by
 * RELAYGATE_LOGIN, and leave behind, outside the chain's process tree, a
 * waiter that records the client for the account whose relaygate-allow
 * sends the ticket, logs it through prog's chain_log, and answers.
 * Returns in the process that goes on to exec the chain, r->log saying
 * what went wrong, if anything: the chain then runs all the same, without
 * RELAYGATE_LOGIN.
 */
void chain_login(const char *prog, struct chain_result *r);

/* relaygate-check: should RELAYCLIENT be set for the client (chain_client_addr), and to what? */
void chain_check(int64_t now, struct chain_result *r);

#endif
