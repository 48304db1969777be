/* spool: reading relay-ctrl's spool directory; see spool.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stores/spool.h"

/* USER=value from a relay-ctrl file: lines or NUL-separated settings. */
static void
read_user(int dfd, const char *name, char *user, size_t cap)
{
	char buf[4096], *p, *end;
	ssize_t n;
	int fd;

	user[0] = '\0';
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (p = buf; p < buf + n; p = end + 1) {
		for (end = p; end < buf + n && *end != '\n' && *end != '\0'; end++)
			;
		*end = '\0';
		if (strncmp(p, "USER=", 5) == 0) {
			snprintf(user, cap, "%s", p + 5);
			return;
		}
	}
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
spool_each(const char *dir, int (*fn)(const struct spool_entry *, void *),
    void *arg, struct err *e)
{
	struct spool_entry ent;
	struct dirent *d;
	struct stat st;
	char **names = NULL, **nn;
	size_t n = 0, cap = 0, i;
	DIR *dp;
	int rc = 0;

	if ((dp = opendir(dir)) == NULL) {
		err_set(e, ERR_TEMP, errno, "open %s", dir);
		return -1;
	}
	errno = 0;
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nn = realloc(names, cap * sizeof *nn)) == NULL)
				goto nomem;
			names = nn;
		}
		if ((names[n] = strdup(d->d_name)) == NULL)
			goto nomem;
		n++;
		errno = 0;
	}
	if (errno != 0) {
		err_set(e, ERR_TEMP, errno, "read %s", dir);
		rc = -1;
	}
	qsort(names, n, sizeof *names, by_name);
	for (i = 0; rc == 0 && i < n; i++) {
		memset(&ent, 0, sizeof ent);
		ent.name = names[i];
		if (fstatat(dirfd(dp), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;	/* aged away while we looked */
			err_set(e, ERR_TEMP, errno, "stat %s/%s", dir, names[i]);
			rc = -1;
			break;
		}
		ent.regular = S_ISREG(st.st_mode);
		ent.mtime = st.st_mtime;
		if (ent.regular)
			read_user(dirfd(dp), names[i], ent.user, sizeof ent.user);
		rc = fn(&ent, arg);
	}
	goto out;
nomem:
	err_set(e, ERR_TEMP, ENOMEM, "read %s", dir);
	rc = -1;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(dp);
	return rc;
}
