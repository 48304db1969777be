/* syncstat: the sync daemon's status file and the store's change log; see syncstat.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/syncstat.h"
#include "stores/grantdb.h"

const char *
syncstat_state_name(enum sync_state st)
{
	switch (st) {
	case SYNC_OFF:
		return "off";
	case SYNC_STOPPED:
		return "stopped";
	case SYNC_CONNECTING:
		return "connecting";
	case SYNC_CONNECTED:
		return "connected";
	}
	return "unknown";
}

void
syncstat_host(const struct config *c, char *buf, size_t size)
{
	char h[256];

	if (c->host_name[0] != '\0') {
		snprintf(buf, size, "%s", c->host_name);
		return;
	}
	if (gethostname(h, sizeof h) < 0)
		snprintf(h, sizeof h, "localhost");
	h[sizeof h - 1] = '\0';
	snprintf(buf, size, "%s", h);
}

void
syncstat_recorded_by(const struct config *c, const struct grant *g, char *buf, size_t size)
{
	if (g->host[0] != '\0')
		snprintf(buf, size, "%s", g->host);
	else
		syncstat_host(c, buf, size);
}

int
syncstat_write(const char *dir, const struct sync_status *s, struct err *e)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	int bad, fd;

	if (snprintf(path, sizeof path, "%s/%s", dir, SYNCSTAT_FILE) >= (int)sizeof path ||
	    snprintf(tmp, sizeof tmp, "%s/%s.%ld.new", dir, SYNCSTAT_FILE, (long)getpid()) >=
	    (int)sizeof tmp) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "write %s/%s", dir, SYNCSTAT_FILE);
		return -1;
	}
	/* In the store: never through a planted link, always a new file. */
	if ((unlink(tmp) < 0 && errno != ENOENT) ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0) {
		err_set(e, ERR_TEMP, errno, "create %s", tmp);
		return -1;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		err_set(e, ERR_TEMP, errno, "create %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	fprintf(f, "state %s\nhost %s\npid %ld\nsince %" PRId64 "\nupdated %" PRId64
	    "\nlast_contact %" PRId64 "\nlast_reconcile %" PRId64 "\nlast_pulled %" PRId64
	    "\npushed %ld\npulled %ld\nskew_ms %ld\nerror %s\n",
	    syncstat_state_name(s->state), s->host, s->pid, s->since, s->updated,
	    s->last_contact, s->last_reconcile, s->last_pulled, s->pushed, s->pulled,
	    s->skew_ms, s->error);
	bad = fflush(f) != 0 || ferror(f);
	if (fclose(f) != 0 || bad) {
		err_set(e, ERR_TEMP, errno, "write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		err_set(e, ERR_TEMP, errno, "rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
field(struct sync_status *s, const char *k, char *v)
{
	if (strcmp(k, "state") == 0)
		s->state = strcmp(v, "connected") == 0 ? SYNC_CONNECTED : SYNC_CONNECTING;
	else if (strcmp(k, "host") == 0)
		snprintf(s->host, sizeof s->host, "%s", v);
	else if (strcmp(k, "pid") == 0)
		s->pid = strtol(v, NULL, 10);
	else if (strcmp(k, "since") == 0)
		s->since = strtoll(v, NULL, 10);
	else if (strcmp(k, "updated") == 0)
		s->updated = strtoll(v, NULL, 10);
	else if (strcmp(k, "last_contact") == 0)
		s->last_contact = strtoll(v, NULL, 10);
	else if (strcmp(k, "last_reconcile") == 0)
		s->last_reconcile = strtoll(v, NULL, 10);
	else if (strcmp(k, "last_pulled") == 0)
		s->last_pulled = strtoll(v, NULL, 10);
	else if (strcmp(k, "pushed") == 0)
		s->pushed = strtol(v, NULL, 10);
	else if (strcmp(k, "pulled") == 0)
		s->pulled = strtol(v, NULL, 10);
	else if (strcmp(k, "skew_ms") == 0)
		s->skew_ms = strtol(v, NULL, 10);
	else if (strcmp(k, "error") == 0)
		snprintf(s->error, sizeof s->error, "%s", v);
}

/* The status file into s: 1 read, 0 none. */
static int
read_file(const char *dir, struct sync_status *s)
{
	char path[PATH_MAX], line[768], *sp, *nl;
	struct stat st;
	FILE *f;
	int fd;

	/* A regular file, not through a link: a FIFO there must not hang a face. */
	if (snprintf(path, sizeof path, "%s/%s", dir, SYNCSTAT_FILE) >= (int)sizeof path ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return 0;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		field(s, line, sp + 1);
	}
	fclose(f);
	return 1;
}

int
syncstat_get(const struct config *c, int64_t now, struct sync_status *s, struct err *e)
{
	struct grantdb_opts o;
	struct grantdb_log lg;
	struct grantdb *db;
	int r;

	memset(s, 0, sizeof *s);
	s->state = SYNC_STOPPED;
	if (read_file(c->dir, s) == 1 &&
	    (now - s->updated > 3 * SYNCSTAT_BEAT || s->pid <= 0 ||
	     (kill((pid_t)s->pid, 0) < 0 && errno == ESRCH)))
		s->state = SYNC_STOPPED;	/* the daemon is gone */
	syncstat_host(c, s->host, sizeof s->host);
	memset(&o, 0, sizeof o);
	o.lock_timeout_ms = c->lock_timeout_ms;
	if ((db = grantdb_open(c->dir, GRANTDB_READ, &o, e)) == NULL) {
		if (e->errnum != ENOENT)
			return -1;
		memset(&lg, 0, sizeof lg);
	} else {
		r = grantdb_log_state(db, &lg, e);
		grantdb_close(db);
		if (r < 0)
			return -1;
	}
	s->pending = lg.pending;
	s->oldest_pending = lg.oldest;
	s->overflow = lg.overflow;
	if (!lg.on && c->pgsql[0] == '\0' && s->state == SYNC_STOPPED)
		s->state = SYNC_OFF;
	return 0;
}
