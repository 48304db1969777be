/*
 * peer: whether a descriptor a set-id program was handed is a client's
 * connection to a server on this host.
 *
 * A local user can put any socket on relaygate-allow's standard input: a
 * connected UDP socket, an outbound connection, the accepted end of a
 * listener of their own, or a connection made in a network namespace of
 * their own, each of whose getpeername(2) names the address of their
 * choice.  What the user cannot make is a connection that a socket of
 * another account, listening in this host's network namespace, accepted:
 * that is what a server's child (tcpserver, inetd, couriertcpd, Dovecot's
 * plain-text logins) holds.  relaygate-security(7).
 */
#ifndef RG_PEER_H
#define RG_PEER_H

#include <stddef.h>

#include "core/addr.h"

/*
 * The peer of fd when fd is a TCP connection that a server here accepted:
 * a stream socket of TCP, in this process's network namespace, connected,
 * whose local address and port (or the wildcard address and that port)
 * are listened on by a socket of an account other than the real user's.
 * 1 and *a; 0 when it is not, why naming the check that refused and why;
 * a failure to find out is a refusal too.
 */
int peer_accepted(int fd, struct addr *a, char *why, size_t size);

#endif
