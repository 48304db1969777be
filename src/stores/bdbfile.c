/* bdbfile: opening, creating, locking Berkeley DB files; see bdbfile.h. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "stores/bdbfile.h"
#include "stores/lock.h"
#include "stores/pagelog.h"

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

static int
db_new(DB **dbp, size_t cache, const char *path, struct err *e)
{
	int ret;

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
bdbfile_open(DB **dbp, const char *path, int rdonly, size_t cache, struct err *e)
{
	int ret;

	if (db_new(dbp, cache, path, e) < 0)
		return -1;
	ret = (*dbp)->open(*dbp, NULL, path, NULL, DB_BTREE,
	    rdonly ? DB_RDONLY : 0, 0);
	if (ret != 0) {
		bdbfile_err(e, ret, "open", path);
		(*dbp)->close(*dbp, DB_NOSYNC);
		*dbp = NULL;
		return -1;
	}
	return 0;
}

int
bdbfile_ensure(const char *path, int mode, unsigned pagesize, struct err *e)
{
	char tmp[PATH_MAX];
	DB *db;
	int ret;

	if (access(path, F_OK) == 0)
		return 0;
	if (errno != ENOENT) {
		err_set(e, ERR_TEMP, errno, "access %s", path);
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s.%ld.new", path, (long)getpid());
	unlink(tmp);
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
	if (link(tmp, path) < 0 && errno != EEXIST) {
		err_set(e, ERR_TEMP, errno, "link %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	unlink(tmp);
	return 0;
}

int
bdbfile_lock(int fd, const char *path, int op, long timeout_ms, struct err *e)
{
	if (lock_take(fd, op, timeout_ms) == 0)
		return 0;
	if (errno == ETIMEDOUT)
		err_set(e, ERR_TEMP, 0, "lock %s: still locked after %ld ms", path, timeout_ms);
	else
		err_set(e, ERR_TEMP, errno, "lock %s", path);
	return -1;
}

int
bdbfile_finish_journal(int lockfd, const char *lockpath, int write, long timeout_ms,
    const char *journal, const char *const *paths, unsigned n, int sync, struct err *e)
{
	if (access(journal, F_OK) < 0)
		return 0;
	if ((!write && bdbfile_lock(lockfd, lockpath, LOCK_EX, timeout_ms, e) < 0) ||
	    pagelog_recover(journal, paths, n, sync, e) < 0 ||
	    (!write && bdbfile_lock(lockfd, lockpath, LOCK_SH, timeout_ms, e) < 0))
		return -1;
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
