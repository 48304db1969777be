/* bdbfile: opening, creating, locking Berkeley DB files; see bdbfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "stores/bdbfile.h"
#include "stores/lock.h"
#include "stores/pagelog.h"
#include "stores/safefile.h"

/* libdb's own messages are caught here, never printed (STYLE 11). */
static char dbmsg[256];

static void
catch_msg(const DB_ENV *env, const char *prefix, const char *msg)
{
	(void)env;
	(void)prefix;
	snprintf(dbmsg, sizeof dbmsg, "%s", msg);
}

void
bdbfile_err(struct err *e, int ret, const char *op, const char *path)
{
	if (ret > 0)
		err_set(e, ERR_TEMP, ret, "%s %s", op, path);
	else if (dbmsg[0] != '\0')
		err_set(e, ERR_TEMP, 0, "%s %s: %s (%s)", op, path,
		    db_strerror(ret), dbmsg);
	else
		err_set(e, ERR_TEMP, 0, "%s %s: %s", op, path, db_strerror(ret));
	dbmsg[0] = '\0';
}

/*
 * Every file libdb opens, it opens through here: never through a link,
 * never blocking on a FIFO, and never anything but a regular file with
 * one link.  The callers have checked the file themselves first; this
 * closes the window between their check and libdb's own open.
 */
static int
hook_open(const char *path, int flags, ...)
{
	struct stat st;
	mode_t mode = 0;
	va_list ap;
	int fd, saved;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if ((fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode)) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		saved = errno;
	else if (!S_ISREG(st.st_mode))
		saved = EINVAL;
	else if (st.st_nlink != 1)
		saved = EMLINK;		/* "Too many links" */
	else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		saved = errno;
	else
		return fd;
	close(fd);
	errno = saved;
	return -1;
}

static int
db_new(DB **dbp, size_t cache, const char *path, struct err *e)
{
	static int hooked;
	int ret;

	/* Before the first handle of the process, as libdb asks. */
	if (!hooked) {
		if ((ret = db_env_set_func_open(hook_open)) != 0) {
			bdbfile_err(e, ret, "set up Berkeley DB I/O for", path);
			return -1;
		}
		hooked = 1;
	}
	if ((ret = db_create(dbp, NULL, 0)) != 0) {
		bdbfile_err(e, ret, "create handle for", path);
		return -1;
	}
	(*dbp)->set_errcall(*dbp, catch_msg);
	if (cache > 0 && (ret = (*dbp)->set_cachesize(*dbp, 0, (u_int32_t)cache, 1)) != 0) {
		bdbfile_err(e, ret, "set cache for", path);
		(*dbp)->close(*dbp, DB_NOSYNC);
		*dbp = NULL;
		return -1;
	}
	return 0;
}

int
bdbfile_open(DB **dbp, const char *path, int rdonly, size_t cache,
    const struct stat *same, struct err *e)
{
	struct stat st;
	int ret, fd;

	if (db_new(dbp, cache, path, e) < 0)
		return -1;
	ret = (*dbp)->open(*dbp, NULL, path, NULL, DB_BTREE,
	    rdonly ? DB_RDONLY : 0, 0);
	if (ret != 0) {
		bdbfile_err(e, ret, "open", path);
		goto fail;
	}
	if (same != NULL) {
		if ((ret = (*dbp)->fd(*dbp, &fd)) != 0 || fstat(fd, &st) < 0) {
			bdbfile_err(e, ret ? ret : errno, "stat", path);
			goto fail;
		}
		if (st.st_dev != same->st_dev || st.st_ino != same->st_ino) {
			err_set(e, ERR_TEMP, 0, "%s was replaced while it was being opened; "
			    "refusing it", path);
			goto fail;
		}
	}
	return 0;
fail:
	(*dbp)->close(*dbp, DB_NOSYNC);
	*dbp = NULL;
	return -1;
}

int
bdbfile_ensure(const char *path, mode_t mode, uid_t uid, gid_t gid, unsigned pagesize,
    struct err *e)
{
	char tmp[PATH_MAX];
	struct stat st;
	DB *db;
	int ret, fd;

	if (lstat(path, &st) == 0)
		return 0;
	if (errno != ENOENT) {
		err_set(e, ERR_TEMP, errno, "stat %s", path);
		return -1;
	}
	if (snprintf(tmp, sizeof tmp, "%s.%ld.new", path, (long)getpid()) >= (int)sizeof tmp) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "create %s", path);
		return -1;
	}
	/* A leftover (or a planted link) under the private name goes; the
	 * create below is O_EXCL, so nothing can stand in for it. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		err_set(e, ERR_TEMP, errno, "remove %s", tmp);
		return -1;
	}
	if (db_new(&db, 0, tmp, e) < 0)
		return -1;
	if (pagesize != 0 && (ret = db->set_pagesize(db, pagesize)) != 0) {
		bdbfile_err(e, ret, "set page size for", tmp);
		db->close(db, DB_NOSYNC);
		return -1;
	}
	ret = db->open(db, NULL, tmp, NULL, DB_BTREE, DB_CREATE | DB_EXCL, mode);
	if (ret != 0) {
		bdbfile_err(e, ret, "create", tmp);
		db->close(db, DB_NOSYNC);
		unlink(tmp);
		return -1;
	}
	if ((ret = db->close(db, 0)) != 0) {
		bdbfile_err(e, ret, "create", tmp);
		unlink(tmp);
		return -1;
	}
	/* Owner, group and mode exactly, whatever the umask, before the name appears. */
	if ((fd = safefile_open(tmp, O_RDONLY, SAFEFILE_ANY_OWNER, NULL, e)) < 0) {
		unlink(tmp);
		return -1;
	}
	if (safefile_own(fd, tmp, mode, uid, gid, e) < 0 ||
	    (fsync(fd) < 0 && (err_set(e, ERR_TEMP, errno, "fsync %s", tmp), 1))) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (link(tmp, path) < 0 && errno != EEXIST) {
		err_set(e, ERR_TEMP, errno, "link %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	return 0;
}

int
bdbfile_pagelog(void)
{
	static int installed;
	struct pagelog_io io;

	if (installed)
		return 0;
	/* Only the positioned calls: with a write(2) or read(2) hook set,
	 * libdb gives up pwrite(2) for lseek(2)+write(2), which would escape
	 * pagelog. */
	pagelog_io(&io);
	if (db_env_set_func_pwrite(io.pwrite) != 0 ||
	    db_env_set_func_pread(io.pread) != 0 ||
	    db_env_set_func_ftruncate(io.ftruncate) != 0 ||
	    db_env_set_func_fsync(io.fsync) != 0) {
		errno = EINVAL;
		return -1;
	}
	installed = 1;
	return 0;
}

void
bdbfile_dbt_in(DBT *d, const void *p, size_t n)
{
	memset(d, 0, sizeof *d);
	d->data = (void *)(uintptr_t)p;
	d->size = (u_int32_t)n;
}

void
bdbfile_dbt_out(DBT *d, void *buf, size_t cap)
{
	memset(d, 0, sizeof *d);
	d->data = buf;
	d->ulen = (u_int32_t)cap;
	d->flags = DB_DBT_USERMEM;
}

int
bdbfile_verify(const char *path, struct err *e)
{
	DB *db;
	int ret;

	if (db_new(&db, 0, path, e) < 0)
		return -1;
	dbmsg[0] = '\0';
	/* DB->verify closes the handle itself, whatever it finds. */
	if ((ret = db->verify(db, path, NULL, NULL, 0)) != 0) {
		bdbfile_err(e, ret, "verify", path);
		return -1;
	}
	return 0;
}
