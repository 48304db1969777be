/*
 * shield: keeping a set-user-id process that is about to hold a lock
 * others wait on out of reach of the user who started it.
 *
 * priv_raise_shielded keeps the user's signals off (the real ids raised).
 * What remains is what the user set up around the process before it
 * started: a cgroup of theirs (systemd delegates one to every user), whose
 * freezer stops the process without a signal and whose CPU limit slows it
 * to a crawl, and a scheduling policy (SCHED_IDLE, nice 19).  A process
 * frozen while it holds the POP password store's lock would stall every
 * login.  relaygate-security(7).
 */
#ifndef RG_SHIELD_H
#define RG_SHIELD_H

#include <sys/types.h>

#include "core/err.h"

/*
 * With root's effective ids: the default scheduling policy and priority,
 * and, in every cgroup hierarchy that can freeze or slow a process (v2;
 * v1's freezer and cpu), out of a cgroup that user (who started the
 * program) may write into the hierarchy's root.  0; or -1 and e when the
 * process stays where its user can freeze it (the caller must not take
 * the lock then).
 */
int shield_process(uid_t user, struct err *e);

#endif
