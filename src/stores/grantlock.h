/*
 * grantlock: the grants store's files found, checked and locked, as every
 * opener of the store must, without libdb: grantdb.c does this before
 * libdb reads the store, grantread.c (relaygate-check) before it reads
 * grants.db itself.  See grantdb.h for the files and the locking.
 */
#ifndef RG_GRANTLOCK_H
#define RG_GRANTLOCK_H

#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/err.h"

struct grantlock {
	int lockfd;		/* grants.db, checked (safefile.h) and locked */
	int gatefd;		/* the turnstile, or -1 */
	uid_t owner;		/* the store directory's owner: every file's ((uid_t)-1: not found) */
	struct stat gst;	/* grants.db as checked */
	char gpath[PATH_MAX], mpath[PATH_MAX], jpath[PATH_MAX], tpath[PATH_MAX];
};

/* The store directory dir: *st, when it is a directory; 0, or -1 and e. */
int grantlock_dir(const char *dir, struct stat *st, struct err *e);

/*
 * Open dir's grants.db (read-write when write, else read-only) and take
 * its lock, exclusive when write, else shared, through the turnstile,
 * waiting at most timeout_ms.  The directory must not be writable by
 * others, and grants.db must belong to the directory's owner.  0, or -1 and
 * e (e->errnum ENOENT when the directory or grants.db does not exist; l->owner
 * is (uid_t)-1 when the directory was not found); l is then closed.
 */
int grantlock_open(struct grantlock *l, const char *dir, int write, long timeout_ms,
    struct err *e);

/* Close what grantlock_open opened (the locks go with the files); l may be closed already. */
void grantlock_close(struct grantlock *l);

#endif
