/*
 * textfile: an admin's own text file (tcp.smtp), read whole, locked against
 * a second writer, and replaced atomically with its owner and mode kept.
 *
 * The lock is flock(2) on the file itself; since a replace puts a new file
 * under the name, a locker checks after waiting that it holds the file the
 * name now refers to, and tries again if not.
 */
#ifndef RG_TEXTFILE_H
#define RG_TEXTFILE_H

#include <stddef.h>
#include <sys/stat.h>

#include "core/err.h"

struct textfile {
	int fd;			/* holds the lock; -1 when the file was missing */
	char path[4096];
	struct stat st;
	char *data;		/* the whole content, NUL-terminated */
	size_t len;
};

/* Read path whole (no lock).  0, or -1 and e. */
int textfile_read(const char *path, char **data, size_t *len, struct err *e);

/*
 * Lock path exclusively and read it.  A missing file reads as empty when
 * create is set (it is made by textfile_replace), else is an error.
 */
int textfile_lock(struct textfile *t, const char *path, int create,
    long timeout_ms, struct err *e);

/* Replace the locked file's content, keeping its owner and mode. 0, or -1 and e. */
int textfile_replace(struct textfile *t, const char *data, size_t len, struct err *e);

void textfile_unlock(struct textfile *t);

#endif
