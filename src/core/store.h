/*
 * store: the grants store made and kept as relaygate-security(7) says:
 * the directory and every file owned by the configured user and group
 * (user, group in relaygate.conf), with fixed modes, made once by
 * relaygate init, checked by relaygate init --check, put right by
 * relaygate init --fix.
 */
#ifndef RG_STORE_H
#define RG_STORE_H

#include "core/config.h"
#include "core/err.h"

enum store_init {
	STORE_CHECK,		/* report, change nothing */
	STORE_CREATE,		/* make what is missing, report the rest */
	STORE_FIX,		/* make what is missing, put right the rest */
};

/*
 * The store in c->dir, for c->user and c->group.  report(what, fixed, arg)
 * hears of every problem found (fixed: put right).  The number of problems
 * left, or -1 and e (ERR_PERM when the user or group does not exist).
 */
int store_init(const struct config *c, enum store_init how,
    void (*report)(const char *what, int fixed, void *arg), void *arg, struct err *e);

#endif
