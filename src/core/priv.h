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
 * raise, lower or drop; these calls then change nothing.  The other way
 * round, priv_act_as and priv_act_end let root work with less: another
 * account's rights, for work in a directory that account may change.  See
 * relaygate-security(7).
 */
#ifndef RG_PRIV_H
#define RG_PRIV_H

#include <sys/types.h>

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

/*
 * Root, about to work in a directory that another account owns and may
 * change at will (the store's, for relaygate repair): act with that
 * account's rights meanwhile, so that a name it swaps for a link takes
 * root nowhere the account could not go itself.  The effective uid and gid
 * become uid and gid, and gid the only supplementary group; the real and
 * saved ids stay root's, so that the account can neither signal nor trace
 * the process, and priv_act_end comes back.  Not root, or uid root:
 * nothing changes.  0, or -1 and e (and nothing changed).
 */
struct priv_act {
	int on;			/* private: the ids were changed */
	gid_t egid;		/* private: root's, to come back to */
	int ngroups;
	gid_t *groups;
};
int priv_act_as(uid_t uid, gid_t gid, struct priv_act *a, struct err *e);

/* Root's own ids and groups again (a may be one that changed nothing). 0, or -1 and e. */
int priv_act_end(struct priv_act *a, struct err *e);

#endif
