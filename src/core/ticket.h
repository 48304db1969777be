/*
 * ticket: how the unprivileged half of a login path tells the privileged
 * half that the login succeeded.
 *
 * relaygate-login runs first in a login chain, as root, in the process
 * that the server (tcpserver, couriertcpd, stunnel, inetd) started for the
 * connection: it knows the client's address from that server before any
 * code of the user's runs.  It hands the rest of the chain one end of a
 * socket pair, its descriptor named by RELAYGATE_LOGIN, and waits on the
 * other.  relaygate-allow, later in the chain, after the password check
 * and the drop to the user, sends one ticket there; the kernel attaches
 * the sender's ids (SCM_CREDENTIALS), which no sender can choose; the
 * waiting half records the address it knew for that account and answers.
 * A local user holds the pair only after a login that succeeded, and can
 * only record the address that login came from.  relaygate-security(7).
 */
#ifndef RG_TICKET_H
#define RG_TICKET_H

#include "core/err.h"
#include "core/grant.h"

#define TICKET_ENV "RELAYGATE_LOGIN"
#define TICKET_FD_MIN 10	/* the chain's end: the first free descriptor from here */

struct ticket {
	unsigned long uid;		/* the sender's real uid, as the kernel says */
	char user[GRANT_USER_MAX];	/* that account's name (from root: the name it sent) */
	char proto[32];			/* what the sender says the login was ("pop3") */
};

/*
 * The pair: *keep for the waiting half (close-on-exec), *give for the
 * chain (inherited across exec).  0, or -1 and e.
 */
int ticket_pair(int *keep, int *give, struct err *e);

/*
 * Wait on keep for one ticket: 1 and *t; 0 when every holder of the other
 * end closed it without one (no login succeeded, or the chain holds no
 * relaygate-allow); -1 and e.
 */
int ticket_wait(int keep, struct ticket *t, struct err *e);

/* Tell the sender whether the address was recorded.  0, or -1 and e. */
int ticket_answer(int keep, int recorded, struct err *e);

/*
 * The sender's side: the ticket for user (believed only from root) and
 * proto on fd, then the answer, waiting at most ms.  1 recorded, 0 not
 * recorded; -1 and e (no pair there, no answer in time).
 */
int ticket_send(int fd, const char *user, const char *proto, int ms, struct err *e);

#endif
