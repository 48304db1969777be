/* grantlock: the grants store's files found, checked and locked; see grantlock.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "stores/grantdb.h"
#include "stores/grantlock.h"
#include "stores/lock.h"
#include "stores/safefile.h"

/*
 * Lock grants.db through the turnstile: a writer keeps the gate while it
 * waits, so readers that come after it wait too; a reader only passes
 * through.  Without a gate file (a store made by someone else) the plain
 * lock is taken.
 */
static int
take_turn(struct grantlock *l, int write, long timeout_ms, struct err *e)
{
	/* flock(2) needs no write access: everyone opens it read-only. */
	l->gatefd = safefile_open(l->tpath, O_RDONLY, l->owner, NULL, e);
	if (l->gatefd < 0 && e->errnum != ENOENT && e->errnum != EACCES)
		return -1;
	if (l->gatefd >= 0 &&
	    lock_path(l->gatefd, l->tpath, write ? LOCK_EX : LOCK_SH, timeout_ms, e) < 0)
		return -1;
	if (!write && l->gatefd >= 0)
		flock(l->gatefd, LOCK_UN);
	if (lock_path(l->lockfd, l->gpath, write ? LOCK_EX : LOCK_SH, timeout_ms, e) < 0)
		return -1;
	if (write && l->gatefd >= 0)
		flock(l->gatefd, LOCK_UN);
	return 0;
}

int
grantlock_dir(const char *dir, struct stat *st, struct err *e)
{
	if (stat(dir, st) < 0) {
		err_set(e, ERR_TEMP, errno, "open directory %s", dir);
		return -1;
	}
	if (!S_ISDIR(st->st_mode)) {
		err_set(e, ERR_PERM, ENOTDIR, "open directory %s", dir);
		return -1;
	}
	return 0;
}

int
grantlock_open(struct grantlock *l, const char *dir, int write, long timeout_ms,
    struct err *e)
{
	struct stat st;

	l->lockfd = l->gatefd = -1;
	l->owner = (uid_t)-1;
	if (snprintf(l->gpath, sizeof l->gpath, "%s/%s", dir, GRANTDB_FILE) >= PATH_MAX ||
	    snprintf(l->mpath, sizeof l->mpath, "%s/%s", dir, GRANTDB_META) >= PATH_MAX ||
	    snprintf(l->jpath, sizeof l->jpath, "%s/%s", dir, GRANTDB_JOURNAL) >= PATH_MAX ||
	    snprintf(l->tpath, sizeof l->tpath, "%s/%s", dir, GRANTDB_GATE) >= PATH_MAX) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "open store in %s", dir);
		return -1;
	}
	/* The directory's owner is the store's: every file must be theirs. */
	if (grantlock_dir(dir, &st, e) < 0)
		return -1;
	if (st.st_mode & S_IWOTH) {
		err_set(e, ERR_TEMP, 0, "%s is writable by every user (mode %04o); refusing "
		    "it (relaygate init --check)", dir, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	l->owner = st.st_uid;
	l->lockfd = safefile_open(l->gpath, write ? O_RDWR : O_RDONLY, l->owner, &l->gst, e);
	if (l->lockfd < 0 || take_turn(l, write, timeout_ms, e) < 0) {
		grantlock_close(l);
		return -1;
	}
	return 0;
}

void
grantlock_close(struct grantlock *l)
{
	if (l->lockfd >= 0)
		close(l->lockfd);
	if (l->gatefd >= 0)
		close(l->gatefd);
	l->lockfd = l->gatefd = -1;
}
