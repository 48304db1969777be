/* safefile: store files nobody can redirect; see safefile.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stores/safefile.h"

const char *
safefile_kind(const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return "a regular file";
	if (S_ISDIR(st->st_mode))
		return "a directory";
	if (S_ISLNK(st->st_mode))
		return "a symbolic link";
	if (S_ISFIFO(st->st_mode))
		return "a FIFO";
	if (S_ISSOCK(st->st_mode))
		return "a socket";
	if (S_ISCHR(st->st_mode))
		return "a character device";
	if (S_ISBLK(st->st_mode))
		return "a block device";
	return "not a regular file";
}

int
safefile_check(int fd, const char *path, uid_t owner, const struct stat *given,
    struct err *e)
{
	struct stat st;
	char who[96], want[96];

	if (given != NULL)
		st = *given;
	else if (fstat(fd, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, ERR_TEMP, 0, "%s is %s, not a regular file; refusing it "
		    "(relaygate init --check)", path, safefile_kind(&st));
		return -1;
	}
	/* Another name for it, made by whoever could: not the store's file alone. */
	if (st.st_nlink != 1) {
		err_set(e, ERR_TEMP, 0, "open %s: it has %ld hard links, not 1 (another name "
		    "for the same file); refusing it (relaygate init --check)", path,
		    (long)st.st_nlink);
		return -1;
	}
	if (owner != SAFEFILE_ANY_OWNER && st.st_uid != owner) {
		safefile_user(st.st_uid, who, sizeof who);
		safefile_user(owner, want, sizeof want);
		err_set(e, ERR_TEMP, 0, "%s belongs to %s, not to the store's owner %s; "
		    "refusing it (relaygate init --check)", path, who, want);
		return -1;
	}
	if (owner != SAFEFILE_ANY_OWNER && (st.st_mode & S_IWOTH)) {
		err_set(e, ERR_TEMP, 0, "%s is writable by every user (mode %04o); "
		    "refusing it (relaygate init --check)", path,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* A failed open, in words: a link is named as one. */
static void
open_failed(const char *path, struct err *e)
{
	if (errno == ELOOP)
		err_set(e, ERR_TEMP, 0, "%s is a symbolic link; refusing to follow it "
		    "(relaygate init --check)", path);
	else
		err_set(e, ERR_TEMP, errno, "open %s", path);
}

int
safefile_open(const char *path, int flags, uid_t owner, struct stat *st,
    struct err *e)
{
	struct stat s;
	int fd;

	if (flags & (O_CREAT | O_TRUNC)) {
		err_set(e, ERR_PERM, EINVAL, "open %s", path);
		return -1;
	}
	if ((fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
		open_failed(path, e);
		return -1;
	}
	if (fstat(fd, &s) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", path);
		close(fd);
		return -1;
	}
	/* A regular file, checked: O_NONBLOCK changes nothing for it, and
	 * stays (it was only there so that opening a FIFO could not hang). */
	if (safefile_check(fd, path, owner, &s, e) < 0) {
		close(fd);
		return -1;
	}
	if (st != NULL)
		*st = s;
	return fd;
}

int
safefile_own(int fd, const char *path, mode_t mode, uid_t uid, gid_t gid,
    struct err *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", path);
		return -1;
	}
	if ((uid != (uid_t)-1 && st.st_uid != uid) || (gid != (gid_t)-1 && st.st_gid != gid)) {
		if (fchown(fd, uid, gid) < 0) {
			err_set(e, ERR_TEMP, errno, "chown %s", path);
			return -1;
		}
	}
	/* After the chown, which may clear set-id bits; the mode is exact. */
	if (fchmod(fd, mode) < 0) {
		err_set(e, ERR_TEMP, errno, "chmod %s", path);
		return -1;
	}
	return 0;
}

int
safefile_create(const char *path, int flags, mode_t mode, uid_t uid, gid_t gid,
    struct err *e)
{
	int fd;

	fd = open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			err_set(e, ERR_TEMP, errno, "create %s", path);
		else
			open_failed(path, e);
		return -1;
	}
	if (safefile_own(fd, path, mode, uid, gid, e) < 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}
