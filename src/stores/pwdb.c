/* pwdb: the POP password store; see pwdb.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stores/bdbfile.h"
#include "stores/lock.h"
#include "stores/pagelog.h"
#include "stores/pwdb.h"
#include "stores/safefile.h"

#define VERSION 1

struct pwdb {
	int write;
	int sync;
	int dirty;
	int lockfd;
	int jfd;		/* the journal, writers only, or -1 */
	DB *db;
	char path[PATH_MAX], jpath[PATH_MAX];
};

static void
wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

void
pwdb_close(struct pwdb *db)
{
	if (db == NULL)
		return;
	if (db->db != NULL)
		db->db->close(db->db, DB_NOSYNC);
	if (db->write)
		pagelog_end();
	if (db->lockfd >= 0)
		close(db->lockfd);
	if (db->jfd >= 0)
		close(db->jfd);
	free(db);
}

struct pwdb *
pwdb_open(const char *path, int write, int create, long timeout_ms, int sync,
    struct err *e)
{
	struct pwdb *db;
	struct stat st;
	const char *paths[1];
	char dir[PATH_MAX], *slash;
	uid_t owner;
	u_int32_t ps;
	int fd, ret;

	if ((db = calloc(1, sizeof *db)) == NULL) {
		err_set(e, ERR_TEMP, errno, "open %s", path);
		return NULL;
	}
	db->write = write;
	db->sync = sync;
	db->lockfd = -1;
	db->jfd = -1;
	if (snprintf(db->path, sizeof db->path, "%s", path) >= (int)sizeof db->path ||
	    snprintf(db->jpath, sizeof db->jpath, "%s.journal", path) >= (int)sizeof db->jpath) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "open %s", path);
		goto fail;
	}
	if (bdbfile_pagelog() < 0) {
		err_set(e, ERR_TEMP, errno, "set up Berkeley DB I/O for %s", path);
		goto fail;
	}
	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "open %s", path);
		goto fail;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, sizeof dir, ".");
	else
		slash[slash == dir ? 1 : 0] = '\0';
	/* Whoever owns the directory owns the store: its files are theirs. */
	if (stat(dir, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "open directory %s", dir);
		goto fail;
	}
	owner = st.st_uid;
	if (write && create && bdbfile_ensure(path, 0600, (uid_t)-1, (gid_t)-1, 0, e) < 0)
		goto fail;
	/* safefile: no link, no FIFO, a regular file of the directory's owner. */
	if ((db->lockfd = safefile_open(path, write ? O_RDWR : O_RDONLY, owner, &st, e)) < 0)
		goto fail;
	/* 0600 or 0640 (a dedicated group may read): group write or any access by others is refused. */
	if (st.st_mode & 0027) {
		err_set(e, ERR_PERM, 0, "%s is open to other users (mode %04o); refusing to "
		    "use it: chmod g-w,o-rwx %s", path, (unsigned)(st.st_mode & 07777), path);
		goto fail;
	}
	if (lock_path(db->lockfd, path, write ? LOCK_EX : LOCK_SH, timeout_ms, e) < 0)
		goto fail;
	if (write) {
		db->jfd = safefile_open(db->jpath, O_RDWR, owner, NULL, e);
		if (db->jfd < 0 && e->errnum == ENOENT)
			db->jfd = safefile_create(db->jpath, O_RDWR, 0600, (uid_t)-1,
			    (gid_t)-1, e);
		if (db->jfd < 0)
			goto fail;
	}
	paths[0] = db->path;
	if (pagelog_finish(db->lockfd, path, db->jfd, db->jpath, owner, timeout_ms,
	    paths, 1, sync, e) < 0)
		goto fail;
	if (bdbfile_open(&db->db, path, !write, 0, &st, e) < 0)
		goto fail;
	if (write) {
		pagelog_begin();
		db->db->get_pagesize(db->db, &ps);
		if ((ret = db->db->fd(db->db, &fd)) != 0 || pagelog_watch(fd, 0, ps, db->path) < 0) {
			bdbfile_err(e, ret ? ret : errno, "watch", path);
			goto fail;
		}
	}
	return db;
fail:
	pwdb_close(db);
	return NULL;
}

int
pwdb_get(struct pwdb *db, const char *user, char *buf, size_t cap, struct err *e)
{
	unsigned char v[PWDB_SECRET_MAX + 2];
	DBT k, d;
	int ret;

	bdbfile_dbt_in(&k, user, strlen(user));
	bdbfile_dbt_out(&d, v, sizeof v);
	ret = db->db->get(db->db, NULL, &k, &d, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret == 0 && (d.size < 1 || v[0] != VERSION || d.size - 1 >= cap ||
	    memchr(v + 1, '\0', d.size - 1) != NULL))
		ret = DB_BUFFER_SMALL;	/* reported as damaged below */
	if (ret == DB_BUFFER_SMALL) {
		wipe(v, sizeof v);
		err_set(e, ERR_PERM, 0, "%s: damaged record for user %s", db->path, user);
		return -1;
	}
	if (ret != 0) {
		bdbfile_err(e, ret, "read", db->path);
		return -1;
	}
	memcpy(buf, v + 1, d.size - 1);
	buf[d.size - 1] = '\0';
	wipe(v, sizeof v);
	return 1;
}

static int
must_write(struct pwdb *db, struct err *e)
{
	if (db->write)
		return 0;
	err_set(e, ERR_PERM, EBADF, "write %s", db->path);
	return -1;
}

int
pwdb_put(struct pwdb *db, const char *user, const char *secret, struct err *e)
{
	unsigned char v[PWDB_SECRET_MAX + 1];
	size_t n = strlen(secret);
	DBT k, d;
	int ret;

	if (must_write(db, e) < 0)
		return -1;
	if (n > PWDB_SECRET_MAX || strlen(user) > PWDB_USER_MAX) {
		err_set(e, ERR_PERM, 0, "a secret is at most %d bytes", PWDB_SECRET_MAX);
		return -1;
	}
	v[0] = VERSION;
	memcpy(v + 1, secret, n);
	bdbfile_dbt_in(&k, user, strlen(user));
	bdbfile_dbt_in(&d, v, n + 1);
	ret = db->db->put(db->db, NULL, &k, &d, 0);
	wipe(v, sizeof v);
	if (ret != 0) {
		bdbfile_err(e, ret, "write", db->path);
		return -1;
	}
	db->dirty = 1;
	return 0;
}

int
pwdb_del(struct pwdb *db, const char *user, struct err *e)
{
	DBT k;
	int ret;

	if (must_write(db, e) < 0)
		return -1;
	bdbfile_dbt_in(&k, user, strlen(user));
	ret = db->db->del(db->db, NULL, &k, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0) {
		bdbfile_err(e, ret, "write", db->path);
		return -1;
	}
	db->dirty = 1;
	return 1;
}

int
pwdb_each(struct pwdb *db, int (*fn)(const char *, void *), void *arg, struct err *e)
{
	char user[PWDB_USER_MAX + 1];
	DBC *c;
	DBT k, d;
	int ret, rc = 0;

	if ((ret = db->db->cursor(db->db, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->path);
		return -1;
	}
	for (;;) {
		bdbfile_dbt_out(&k, user, sizeof user - 1);
		memset(&d, 0, sizeof d);
		d.flags = DB_DBT_PARTIAL;	/* names only: never read a secret */
		ret = c->get(c, &k, &d, DB_NEXT);
		if (ret == DB_NOTFOUND)
			break;
		if (ret != 0) {
			bdbfile_err(e, ret, "read", db->path);
			rc = -1;
			break;
		}
		user[k.size] = '\0';
		if ((rc = fn(user, arg)) != 0)
			break;
	}
	c->close(c);
	return rc;
}

int
pwdb_commit(struct pwdb *db, struct err *e)
{
	int ret;

	if (must_write(db, e) < 0)
		return -1;
	if (!db->dirty)
		return 0;
	if ((ret = db->db->sync(db->db, 0)) != 0) {
		bdbfile_err(e, ret, "write", db->path);
		return -1;
	}
	if (pagelog_commit(db->jfd, db->jpath, db->sync, 0, e) < 0)
		return -1;
	db->dirty = 0;
	return 0;
}
