/* textfile: reading, locking and replacing an admin's text file; see textfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "stores/dirsync.h"
#include "stores/lock.h"
#include "stores/textfile.h"

static int
read_fd(int fd, const char *path, char **data, size_t *len, struct err *e)
{
	size_t cap = 4096, n = 0;
	ssize_t got;
	char *buf, *nb;
	struct stat st;

	/* Only a regular file: a FIFO or a device is no admin's text. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(e, ERR_PERM, 0, "read %s: not a regular file", path);
		return -1;
	}
	buf = malloc(cap);

	if (buf == NULL) {
		err_set(e, ERR_TEMP, ENOMEM, "read %s", path);
		return -1;
	}
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= (64u << 20)) {
				err_set(e, ERR_PERM, EFBIG, "read %s", path);
				free(buf);
				return -1;
			}
			if ((nb = realloc(buf, cap * 2)) == NULL) {
				err_set(e, ERR_TEMP, ENOMEM, "read %s", path);
				free(buf);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
		got = pread(fd, buf + n, cap - n - 1, (off_t)n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err_set(e, ERR_TEMP, errno, "read %s", path);
			free(buf);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int
textfile_read(const char *path, char **data, size_t *len, struct err *e)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		err_set(e, ERR_TEMP, errno, "open %s", path);
		return -1;
	}
	rc = read_fd(fd, path, data, len, e);
	close(fd);
	return rc;
}

int
textfile_lock(struct textfile *t, const char *path, int create, long timeout_ms,
    struct err *e)
{
	struct stat now;

	memset(t, 0, sizeof *t);
	t->fd = -1;
	snprintf(t->path, sizeof t->path, "%s", path);
	for (;;) {
		if ((t->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
			if (errno == ENOENT && create) {
				/* Nothing to lock yet: the new file's rename is atomic. */
				t->data = calloc(1, 1);
				if (t->data == NULL) {
					err_set(e, ERR_TEMP, ENOMEM, "read %s", path);
					return -1;
				}
				t->st.st_mode = 0644;
				t->st.st_uid = (uid_t)-1;
				return 0;
			}
			err_set(e, ERR_TEMP, errno, "open %s", path);
			return -1;
		}
		if (lock_take(t->fd, LOCK_EX, timeout_ms) < 0) {
			if (errno == ETIMEDOUT)
				err_set(e, ERR_TEMP, 0, "lock %s: another admin holds it", path);
			else
				err_set(e, ERR_TEMP, errno, "lock %s", path);
			close(t->fd);
			t->fd = -1;
			return -1;
		}
		if (fstat(t->fd, &t->st) < 0) {
			err_set(e, ERR_TEMP, errno, "stat %s", path);
			textfile_unlock(t);
			return -1;
		}
		/* Still the file under that name, not one replaced while we waited? */
		if (stat(path, &now) == 0 && now.st_ino == t->st.st_ino &&
		    now.st_dev == t->st.st_dev)
			break;
		close(t->fd);
	}
	if (read_fd(t->fd, path, &t->data, &t->len, e) < 0) {
		textfile_unlock(t);
		return -1;
	}
	return 0;
}

int
textfile_replace(struct textfile *t, const char *data, size_t len, struct err *e)
{
	char tmp[sizeof t->path + 16];
	size_t off = 0;
	ssize_t w;
	int fd;

	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", t->path) >= (int)sizeof tmp) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "write %s", t->path);
		return -1;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		err_set(e, ERR_TEMP, errno, "create %s", tmp);
		return -1;
	}
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fchmod(fd, t->st.st_mode & 07777) < 0)
		goto fail;
	if (t->st.st_uid != (uid_t)-1 && fchown(fd, t->st.st_uid, t->st.st_gid) < 0 &&
	    errno != EPERM)
		goto fail;
	if (fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	if (rename(tmp, t->path) < 0) {
		err_set(e, ERR_TEMP, errno, "rename %s to %s", tmp, t->path);
		unlink(tmp);
		return -1;
	}
	if (dirsync(t->path) < 0) {
		err_set(e, ERR_TEMP, errno, "fsync directory of %s", t->path);
		return -1;
	}
	return 0;
fail:
	err_set(e, ERR_TEMP, errno, "write %s", tmp);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

void
textfile_unlock(struct textfile *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->data);
	t->data = NULL;
}
