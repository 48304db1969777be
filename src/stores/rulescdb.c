/* rulescdb: writing and reading tcp.smtp.cdb with tinycdb; see rulescdb.h. */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stores/dirsync.h"
#include "stores/rulescdb.h"

struct rulescdb_writer {
	struct cdb_make cm;
	int fd;
	char path[PATH_MAX];
	char tmp[PATH_MAX];
};

struct rulescdb {
	struct cdb c;
	int fd;
	char path[PATH_MAX];
};

struct rulescdb_writer *
rulescdb_create(const char *path, struct err *e)
{
	struct rulescdb_writer *w;

	if ((w = calloc(1, sizeof *w)) == NULL) {
		err_set(e, ERR_TEMP, errno, "create %s", path);
		return NULL;
	}
	if (snprintf(w->path, sizeof w->path, "%s", path) >= (int)sizeof w->path ||
	    snprintf(w->tmp, sizeof w->tmp, "%s.XXXXXX", path) >= (int)sizeof w->tmp) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "create %s", path);
		free(w);
		return NULL;
	}
	if ((w->fd = mkstemp(w->tmp)) < 0) {
		err_set(e, ERR_TEMP, errno, "create %s", w->tmp);
		free(w);
		return NULL;
	}
	if (fchmod(w->fd, 0644) < 0 || cdb_make_start(&w->cm, w->fd) < 0) {
		err_set(e, ERR_TEMP, errno, "write %s", w->tmp);
		rulescdb_abort(w);
		return NULL;
	}
	return w;
}

int
rulescdb_add(struct rulescdb_writer *w, const char *key, size_t klen,
    const char *data, size_t dlen, struct err *e)
{
	if (cdb_make_add(&w->cm, key, (unsigned)klen, data, (unsigned)dlen) < 0) {
		err_set(e, ERR_TEMP, errno, "write %s", w->tmp);
		return -1;
	}
	return 0;
}

int
rulescdb_commit(struct rulescdb_writer *w, struct err *e)
{
	if (cdb_make_finish(&w->cm) < 0 || fsync(w->fd) < 0) {
		err_set(e, ERR_TEMP, errno, "write %s", w->tmp);
		rulescdb_abort(w);
		return -1;
	}
	if (close(w->fd) < 0) {
		w->fd = -1;
		err_set(e, ERR_TEMP, errno, "write %s", w->tmp);
		rulescdb_abort(w);
		return -1;
	}
	w->fd = -1;
	if (rename(w->tmp, w->path) < 0) {
		err_set(e, ERR_TEMP, errno, "rename %s to %s", w->tmp, w->path);
		rulescdb_abort(w);
		return -1;
	}
	if (dirsync(w->path) < 0) {
		err_set(e, ERR_TEMP, errno, "fsync directory of %s", w->path);
		free(w);
		return -1;
	}
	free(w);
	return 0;
}

void
rulescdb_abort(struct rulescdb_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	unlink(w->tmp);
	free(w);
}

struct rulescdb *
rulescdb_open(const char *path, struct err *e)
{
	struct rulescdb *db;

	if ((db = calloc(1, sizeof *db)) == NULL) {
		err_set(e, ERR_TEMP, errno, "open %s", path);
		return NULL;
	}
	snprintf(db->path, sizeof db->path, "%s", path);
	if ((db->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set(e, ERR_TEMP, errno, "open %s", path);
		free(db);
		return NULL;
	}
	if (cdb_init(&db->c, db->fd) < 0) {
		err_set(e, ERR_TEMP, errno ? errno : EPROTO, "read %s", path);
		close(db->fd);
		free(db);
		return NULL;
	}
	return db;
}

int
rulescdb_find(struct rulescdb *db, const char *key, size_t klen, char *buf,
    size_t cap, size_t *dlen, struct err *e)
{
	unsigned n;
	int r;

	r = cdb_find(&db->c, key, (unsigned)klen);
	if (r < 0) {
		err_set(e, ERR_TEMP, errno ? errno : EPROTO, "read %s", db->path);
		return -1;
	}
	if (r == 0)
		return 0;
	n = cdb_datalen(&db->c);
	if (n > cap) {
		err_set(e, ERR_PERM, 0, "read %s: a record of %u bytes is too big", db->path, n);
		return -1;
	}
	if (cdb_read(&db->c, buf, n, cdb_datapos(&db->c)) < 0) {
		err_set(e, ERR_TEMP, errno ? errno : EPROTO, "read %s", db->path);
		return -1;
	}
	*dlen = n;
	return 1;
}

void
rulescdb_close(struct rulescdb *db)
{
	if (db == NULL)
		return;
	cdb_free(&db->c);
	close(db->fd);
	free(db);
}
