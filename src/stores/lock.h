/*
 * lock: flock(2) with a time limit.
 *
 * flock is the lock Postfix takes around each lookup in a btree table
 * (shared) and postmap takes to write one (exclusive), so a store that
 * Postfix reads must be written under the same lock.  The kernel drops the
 * lock of a process that dies, so no stale lock is ever left behind.
 */
#ifndef RG_LOCK_H
#define RG_LOCK_H

#include "core/err.h"

/*
 * Take op (LOCK_SH or LOCK_EX) on fd, waiting at most timeout_ms.
 * 0, or -1 with errno (ETIMEDOUT when the wait ran out).
 */
int lock_take(int fd, int op, long timeout_ms);

/* lock_take, with an error naming path (the file fd is open on): 0, or -1 and e. */
int lock_path(int fd, const char *path, int op, long timeout_ms, struct err *e);

#endif
