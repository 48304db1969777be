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
 * The peer of fd when it is a TCP connection: 1 and *a; 0 when it is not
 * (no socket, a Unix socket, not connected), why says so.
 */
int chain_peer(int fd, struct addr *a, char *why, size_t size);

/*
 * relaygate-allow: record the client for the configured lifetime, with $USER
 * and proto (NULL: from $SERVICE, else from $TCPLOCALPORT, else "unknown").
 * Nothing is recorded, silently, in Dovecot's look-up mode ($AUTHORIZED).
 * With peer_check (the default), when standard input is a TCP connection
 * its peer must be the client, and a set-id program records only for such
 * a connection.  Set-id, the user is the account the program runs as, and
 * the privilege is held only around the write (priv.h).
 */
void chain_allow(const char *proto, int64_t now, struct chain_result *r);

/* relaygate-check: should RELAYCLIENT be set for the client, and to what? */
void chain_check(int64_t now, struct chain_result *r);

#endif
