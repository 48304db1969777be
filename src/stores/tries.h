/*
 * tries: when a user may next try a secret, so that the pause after a
 * wrong one binds whoever guesses, whether or not they wait for it.
 *
 * One file per user, named by uid, in a directory of root's (mode 0700;
 * relaygate-passwd keeps it beside the password store, PASSWORDS.tries).
 * The file holds the time (CLOCK_REALTIME, "SECONDS.NANOSECONDS\n")
 * before which the user's next try may not be checked.  A try takes its
 * turn before its check: under the file's lock it waits until that time,
 * then writes now + the pause and lets go.  So the pause is paid before
 * the result exists: a try killed afterwards, in its check or its pause,
 * has paid for the next one all the same, and tries started together are
 * checked one pause apart.  The lock is the user's alone: one user's
 * tries never wait on another's.
 */
#ifndef RG_TRIES_H
#define RG_TRIES_H

#include <limits.h>
#include <time.h>

#include "core/err.h"

struct tries {
	int fd;			/* the user's file, or -1 */
	char path[PATH_MAX];
};

/*
 * Open (making them when missing) the directory dir, which must be a
 * directory of the effective user's, writable by nobody else, and its file
 * for uid, which must be a regular file of the effective user's with one
 * link.  Needs the rights of dir's owner (root) only for this call: the
 * fd serves the rest.  0, or -1 and e; t is closed then.
 */
int tries_open(struct tries *t, const char *dir, unsigned long uid, struct err *e);

/*
 * Wait for the user's turn, then book the next one pause_ms from now:
 * 0 and *next (when this try's pause ends), or -1 and e.  A time further
 * ahead than one pause (the clock was set back) waits one pause only.
 */
int tries_take(struct tries *t, long pause_ms, struct timespec *next, struct err *e);

/* Close t (the lock goes with it); t may be closed already. */
void tries_close(struct tries *t);

/* Sleep until the time next (CLOCK_REALTIME), at most pause_ms. */
void tries_sleep_until(const struct timespec *next, long pause_ms);

#endif
