/*
 * priv: the one narrow privilege of a set-group-id relaygate-allow.
 *
 * relaygate-allow may be installed setgid to the store's group so that a
 * login chain running as the mail user can record a grant.  It holds that
 * group only around the write: priv_init lowers the effective ids to the
 * real ones at once (the saved ones keep the privilege), priv_raise (or
 * priv_raise_shielded) and priv_lower bracket the one write, and priv_drop gives the privilege up
 * for good (real, effective and saved ids all the real ones) before the
 * next program is executed.  A program not started set-id has nothing to
 * raise, lower or drop; these calls then change nothing.  See
 * relaygate-security(7).
 */
#ifndef RG_PRIV_H
#define RG_PRIV_H

#include "core/err.h"

/* First thing in main: note whether the program was started set-id, and lower. 0, or -1 and e. */
int priv_init(struct err *e);

/* 1 when the program was started set-user-id or set-group-id. */
int priv_setid(void);

/* Take the privilege up for one write, and put it down again. 0, or -1 and e. */
int priv_raise(struct err *e);
int priv_lower(struct err *e);

/*
 * As priv_raise, and the real ids with it, so that the user who started
 * the program cannot signal it meanwhile (kill(2) looks at the target's
 * real and saved ids): for a set-user-id program about to hold a lock that
 * others wait on, which a SIGSTOP must not freeze.  priv_lower puts the
 * real ids back.  0, or -1 and e.
 */
int priv_raise_shielded(struct err *e);

/*
 * Give the privilege up for good: real, effective and saved group (and
 * user) ids all the real ones, checked afterwards.  0, or -1 and e; a
 * program that cannot drop must not execute anything.
 */
int priv_drop(struct err *e);

#endif
