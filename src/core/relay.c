/* relay: record, check, pin, expire; see relay.h. */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/priv.h"
#include "core/relay.h"
#include "core/view.h"
#include "stores/grantdb.h"
#include "stores/spool.h"

/* Text that goes into a tab-separated listing and a log line must be one field. */
static int
field_ok(const char *what, const char *s, size_t max, struct err *e)
{
	const unsigned char *p;

	if (strlen(s) >= max) {
		err_set(e, ERR_PERM, 0, "%s is longer than %zu characters", what, max - 1);
		return -1;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			err_set(e, ERR_PERM, 0, "%s contains a control character", what);
			return -1;
		}
	return 0;
}

static int
proto_ok(const char *s, struct err *e)
{
	const char *p;

	if (*s == '\0' || strlen(s) >= GRANT_PROTO_MAX) {
		err_set(e, ERR_PERM, 0, "protocol \"%s\": 1 to %d letters or digits",
		    s, GRANT_PROTO_MAX - 1);
		return -1;
	}
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) {
			err_set(e, ERR_PERM, 0,
			    "protocol \"%s\": only a-z, 0-9 and '-' allowed", s);
			return -1;
		}
	return 0;
}

/*
 * The store as relaygate init made it: nothing here creates a file
 * (relaygate-security(7)).  With group, commits flush only the journal and
 * the next sweep flushes the files (relaygate-grants(5)).
 */
static struct grantdb *
open_store_as(const struct config *c, enum grantdb_mode mode, size_t cache, int group,
    struct err *e)
{
	struct grantdb_opts o;

	o.lock_timeout_ms = c->lock_timeout_ms;
	o.sync = c->sync;
	o.cache_bytes = cache;
	o.group = group;
	return grantdb_open(c->dir, mode, &o, e);
}

static struct grantdb *
open_store(const struct config *c, enum grantdb_mode mode, size_t cache, struct err *e)
{
	return open_store_as(c, mode, cache, 0, e);
}

/* Commit and close; the one way every change ends. */
static int
finish(struct grantdb *db, int outcome, struct err *e)
{
	if (outcome >= 0 && grantdb_commit(db, e) < 0)
		outcome = -1;
	grantdb_close(db);
	return outcome;
}

int
relay_allow(const struct config *c, const struct addr *a, const char *user,
    const char *proto, long ttl, int64_t now, struct err *e)
{
	struct grantdb *db;
	struct grant g;
	int r;

	if (ttl < 1 || ttl > RELAY_TTL_MAX) {
		err_set(e, ERR_PERM, 0, "lifetime %ld is out of range (1 to %ld seconds)",
		    ttl, (long)RELAY_TTL_MAX);
		return -1;
	}
	if (field_ok("user name", user, GRANT_USER_MAX, e) < 0 || proto_ok(proto, e) < 0)
		return -1;
	/* A login: one flush, the journal's; the next sweep flushes the files. */
	if ((db = open_store_as(c, GRANTDB_WRITE, 0, 1, e)) == NULL)
		return -1;
	if ((r = grantdb_get(db, a->text, &g, e)) < 0)
		return finish(db, -1, e);
	if (r == 1 && g.pinned)
		return finish(db, RELAY_UNCHANGED, e);
	memset(&g, 0, sizeof g);
	snprintf(g.addr, sizeof g.addr, "%s", a->text);
	g.expires = now + ttl;
	g.granted = now;
	snprintf(g.user, sizeof g.user, "%s", user);
	snprintf(g.proto, sizeof g.proto, "%s", proto);
	if (grantdb_put(db, &g, e) < 0)
		return finish(db, -1, e);
	return finish(db, RELAY_DONE, e);
}

int
relay_pin(const struct config *c, const struct addr *a, const char *by,
    const char *relayclient, const char *note, int64_t now, struct err *e)
{
	struct grantdb *db;
	struct grant g, old;
	int r;

	memset(&g, 0, sizeof g);
	if (field_ok("user name", by, GRANT_USER_MAX, e) < 0 ||
	    field_ok("note", note, GRANT_TEXT_MAX, e) < 0 ||
	    (relayclient != NULL &&
	     field_ok("RELAYCLIENT value", relayclient, GRANT_TEXT_MAX, e) < 0))
		return -1;
	snprintf(g.addr, sizeof g.addr, "%s", a->text);
	g.pinned = 1;
	g.granted = now;
	snprintf(g.user, sizeof g.user, "%s", by);
	snprintf(g.proto, sizeof g.proto, "%s", RELAY_PROTO_MANUAL);
	if (relayclient != NULL) {
		g.has_relayclient = 1;
		snprintf(g.relayclient, sizeof g.relayclient, "%s", relayclient);
	}
	snprintf(g.note, sizeof g.note, "%s", note);
	if ((db = open_store(c, GRANTDB_WRITE, 0, e)) == NULL)
		return -1;
	if ((r = grantdb_get(db, a->text, &old, e)) < 0)
		return finish(db, -1, e);
	if (r == 1 && old.pinned && old.has_relayclient == g.has_relayclient &&
	    strcmp(old.relayclient, g.relayclient) == 0 &&
	    strcmp(old.note, g.note) == 0)
		return finish(db, RELAY_UNCHANGED, e);	/* no write Postfix would pay for */
	if (grantdb_put(db, &g, e) < 0)
		return finish(db, -1, e);
	return finish(db, RELAY_DONE, e);
}

/* Remove a when its pinned state is want_pinned. */
static int
remove_if(const struct config *c, const struct addr *a, int want_pinned, struct err *e)
{
	struct grantdb *db;
	struct grant g;
	int r;

	if ((db = open_store(c, GRANTDB_WRITE, 0, e)) == NULL)
		return -1;
	if ((r = grantdb_get(db, a->text, &g, e)) < 0)
		return finish(db, -1, e);
	if (r == 0 || (want_pinned && !g.pinned))
		return finish(db, RELAY_UNCHANGED, e);
	if (!want_pinned && g.pinned) {
		err_set(e, ERR_PERM, 0, "%s is pinned; use unpin to remove a pin", a->text);
		return finish(db, RELAY_REFUSED, e);
	}
	if (grantdb_del(db, a->text, e) < 0)
		return finish(db, -1, e);
	return finish(db, RELAY_DONE, e);
}

int
relay_unpin(const struct config *c, const struct addr *a, struct err *e)
{
	return remove_if(c, a, 1, e);
}

int
relay_revoke(const struct config *c, const struct addr *a, struct err *e)
{
	return remove_if(c, a, 0, e);
}

int
relay_expire(const struct config *c, int64_t now, long *removed, struct err *e)
{
	return relay_expire_each(c, now, removed, NULL, NULL, e);
}

int
relay_expire_each(const struct config *c, int64_t now, long *removed,
    void (*fn)(const char *, void *), void *arg, struct err *e)
{
	struct grantdb *db;
	long capped;

	*removed = 0;
	/* A sweep may touch many pages: give libdb room to hold them.  A group
	 * commit: the journal is flushed, the files at the tidy's checkpoint. */
	if ((db = open_store_as(c, GRANTDB_WRITE, 64u << 20, 1, e)) == NULL)
		return -1;
	/* And a grant from a clock that was ahead lives no longer than the longest lifetime from now. */
	if (grantdb_expire_each(db, now, removed, fn, arg, e) < 0 ||
	    grantdb_cap_expiry(db, now + RELAY_TTL_MAX, &capped, e) < 0)
		return finish(db, -1, e);
	return finish(db, 0, e);
}

int
relay_tidy(const struct config *c, long *tidied, struct err *e)
{
	struct grantdb *db;
	long n;
	int more = 1;

	*tidied = 0;
	while (more) {
		if ((db = open_store_as(c, GRANTDB_WRITE, 64u << 20, 1, e)) == NULL)
			return -1;
		if (finish(db, grantdb_tidy(db, RELAY_TIDY_CHUNK, &n, &more, e), e) < 0)
			return -1;
		*tidied += n;
	}
	return relay_checkpoint(c, e);
}

int
relay_checkpoint(const struct config *c, struct err *e)
{
	struct grantdb *db;
	int rc;

	/* The files first, without the lock, so that the flush under it
	 * finds little left to write and logins wait for no more than that;
	 * with the journal empty, nothing to do at all. */
	if ((rc = grantdb_preflush(c->dir, c->sync, e)) <= 0)
		return rc;
	if ((db = open_store(c, GRANTDB_WRITE, 0, e)) == NULL)
		return -1;
	rc = grantdb_flush(db, e);
	grantdb_close(db);
	return rc;
}

int
relay_next_expiry(const struct config *c, int64_t *when, struct err *e)
{
	struct grantdb *db;
	int r;

	if ((db = open_store(c, GRANTDB_READ, 0, e)) == NULL)
		return -1;
	r = grantdb_next_expiry(db, when, e);
	grantdb_close(db);
	return r;
}

int
relay_stats(const struct config *c, int64_t now, struct relay_stats *s, struct err *e)
{
	struct view_counts n;

	memset(s, 0, sizeof *s);
	if (view_counts(c, now, &n, e) < 0)
		return -1;
	s->live = n.timed - n.expired;
	s->pinned = n.pinned;
	s->expired = n.expired;
	s->bytes = n.bytes;
	return 0;
}

int
relay_get(const struct config *c, const struct addr *a, struct grant *g, struct err *e)
{
	struct grantdb *db;
	int r;

	if ((db = open_store(c, GRANTDB_READ, 0, e)) == NULL)
		return e->errnum == ENOENT ? 0 : -1;
	r = grantdb_get(db, a->text, g, e);
	grantdb_close(db);
	return r;
}

/*
 * Is a's grant (r: what grantdb_get said, cur: it) still the one the admin
 * saw?  RELAY_DONE when it is (or nothing was seen), else GONE or CHANGED.
 */
static int
still_seen(int r, const struct grant *cur, const struct grant *seen, int64_t now)
{
	if (r == 0 || (!cur->pinned && cur->expires <= now))
		return RELAY_GONE;
	if (seen != NULL && (cur->pinned != seen->pinned ||
	    (!cur->pinned && cur->expires != seen->expires)))
		return RELAY_CHANGED;
	return RELAY_DONE;
}

/* Remove a's grant (want_pinned 0) or pin (1), if it is still what was seen. */
static int
remove_seen(const struct config *c, const struct addr *a, int want_pinned,
    const struct grant *seen, int64_t now, struct err *e)
{
	struct grantdb *db;
	struct grant g;
	int r;

	if ((db = open_store(c, GRANTDB_WRITE, 0, e)) == NULL)
		return e->errnum == ENOENT ? RELAY_GONE : -1;
	if ((r = grantdb_get(db, a->text, &g, e)) < 0)
		return finish(db, -1, e);
	if ((r = still_seen(r, &g, seen, now)) != RELAY_DONE)
		return finish(db, r, e);
	if (g.pinned != want_pinned) {
		err_set(e, ERR_PERM, 0, want_pinned ? "%s is not pinned" :
		    "%s is pinned; use unpin to remove a pin", a->text);
		return finish(db, RELAY_REFUSED, e);
	}
	if (grantdb_del(db, a->text, e) < 0)
		return finish(db, -1, e);
	return finish(db, RELAY_DONE, e);
}

int
relay_revoke_seen(const struct config *c, const struct addr *a,
    const struct grant *seen, int64_t now, struct err *e)
{
	return remove_seen(c, a, 0, seen, now, e);
}

int
relay_unpin_seen(const struct config *c, const struct addr *a,
    const struct grant *seen, int64_t now, struct err *e)
{
	return remove_seen(c, a, 1, seen, now, e);
}

int
relay_extend(const struct config *c, const struct addr *a, const struct grant *seen,
    long ttl, int64_t now, int *capped, struct err *e)
{
	struct grantdb *db;
	struct grant g;
	int r;

	*capped = 0;
	if (ttl < 1) {
		err_set(e, ERR_PERM, 0, "lifetime %ld is out of range (1 to %ld seconds)",
		    ttl, (long)RELAY_TTL_MAX);
		return -1;
	}
	if (ttl > RELAY_TTL_MAX) {
		ttl = RELAY_TTL_MAX;	/* never past the longest lifetime */
		*capped = 1;
	}
	if ((db = open_store(c, GRANTDB_WRITE, 0, e)) == NULL)
		return e->errnum == ENOENT ? RELAY_GONE : -1;
	if ((r = grantdb_get(db, a->text, &g, e)) < 0)
		return finish(db, -1, e);
	if ((r = still_seen(r, &g, seen, now)) != RELAY_DONE)
		return finish(db, r, e);
	if (g.pinned) {
		err_set(e, ERR_PERM, 0, "%s is pinned: it never expires", a->text);
		return finish(db, RELAY_REFUSED, e);
	}
	g.expires = now + ttl;
	if (grantdb_put(db, &g, e) < 0)
		return finish(db, -1, e);
	return finish(db, RELAY_DONE, e);
}

void
relay_actor(char *buf, size_t size)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "uid %ld", (long)getuid());
}

struct import_ctx {
	const struct config *c;
	struct grantdb *db;
	int64_t now;
	void (*skipped)(const char *, const char *, void *);
	void *arg;
	long imported;
	struct err *e;
};

static int
import_one(const struct spool_entry *s, void *arg)
{
	struct import_ctx *x = arg;
	struct grant g, old;
	struct addr a;
	char why[96];
	int64_t expires = s->mtime + x->c->expiry;
	int r;

	if (!s->regular) {
		x->skipped(s->name, "not a regular file", x->arg);
		return 0;
	}
	if (addr_parse(s->name, &a, NULL) < 0) {
		x->skipped(s->name, "not an IP address", x->arg);
		return 0;
	}
	if (expires <= x->now) {
		snprintf(why, sizeof why, "expired %llds ago",
		    (long long)(x->now - expires));
		x->skipped(s->name, why, x->arg);
		return 0;
	}
	if (expires > x->now + x->c->expiry)
		expires = x->now + x->c->expiry;	/* a login in the future: clock skew */
	if ((r = grantdb_get(x->db, a.text, &old, x->e)) < 0)
		return -1;
	if (r == 1 && (old.pinned || old.expires >= expires)) {
		x->skipped(s->name, old.pinned ? "pinned already" :
		    "a longer grant is recorded already", x->arg);
		return 0;
	}
	memset(&g, 0, sizeof g);
	snprintf(g.addr, sizeof g.addr, "%s", a.text);
	g.expires = expires;
	g.granted = s->mtime;
	if (field_ok("user", s->user, GRANT_USER_MAX, NULL) == 0)
		snprintf(g.user, sizeof g.user, "%s", s->user);
	snprintf(g.proto, sizeof g.proto, "relay-ctrl");
	if (grantdb_put(x->db, &g, x->e) < 0)
		return -1;
	x->imported++;
	return 0;
}

int
relay_import_spool(const struct config *c, const char *dir, int64_t now,
    void (*skipped)(const char *name, const char *why, void *arg), void *arg,
    long *imported, struct err *e)
{
	struct import_ctx x = { c, NULL, now, skipped, arg, 0, e };

	*imported = 0;
	if ((x.db = open_store(c, GRANTDB_WRITE, 0, e)) == NULL)
		return -1;
	/* One commit: the import happens whole or not at all. */
	if (spool_each(dir, import_one, &x, e) < 0)
		return finish(x.db, -1, e);
	*imported = x.imported;
	return finish(x.db, 0, e);
}

/* --- verify and repair --- */

struct fsck_ctx {
	void (*note)(const char *, void *);
	void *arg;
	struct relay_fsck *r;
};

static void
fsck_line(const char *line, void *arg)
{
	struct fsck_ctx *x = arg;

	x->note(line, x->arg);
}

/* The modes that let someone else change what relays, or read the secrets. */
static void
check_modes(const struct config *c, struct fsck_ctx *x)
{
	static const char *const files[] = { GRANTDB_FILE, GRANTDB_META, GRANTDB_JOURNAL, GRANTDB_GATE };
	char path[PATH_MAX + 32], line[PATH_MAX + 200];
	struct stat st;
	size_t i;

	if (lstat(c->dir, &st) == 0 && (st.st_mode & 0002) && !(st.st_mode & S_ISVTX)) {
		snprintf(line, sizeof line, "%s: anyone may replace the store's files (mode %04o)",
		    c->dir, (unsigned)(st.st_mode & 07777));
		x->r->problems++;
		x->note(line, x->arg);
	}
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", c->dir, files[i]);
		if (lstat(path, &st) < 0)
			continue;
		if (!S_ISREG(st.st_mode))
			snprintf(line, sizeof line, "%s is not a regular file", path);
		else if (st.st_nlink != 1)
			snprintf(line, sizeof line, "%s has %ld hard links, not 1 (relaygate init "
			    "--fix gives it one)", path, (long)st.st_nlink);
		else if (st.st_mode & 0002)
			snprintf(line, sizeof line, "%s: anyone may write it (mode %04o)", path,
			    (unsigned)(st.st_mode & 07777));
		else
			continue;
		x->r->problems++;
		x->note(line, x->arg);
	}
	if (lstat(c->passwords, &st) == 0 && (!S_ISREG(st.st_mode) || (st.st_mode & 0027))) {
		snprintf(line, sizeof line, "%s: %s (mode %04o); the checker refuses it", c->passwords,
		    S_ISREG(st.st_mode) ? "the group may write it or others may use it" :
		    "not a regular file", (unsigned)(st.st_mode & 07777));
		x->r->problems++;
		x->note(line, x->arg);
	}
}

static void
fsck_opts(const struct config *c, struct grantdb_opts *o)
{
	memset(o, 0, sizeof *o);
	o->lock_timeout_ms = c->lock_timeout_ms;
	o->sync = c->sync;
}

int
relay_verify(const struct config *c, void (*note)(const char *, void *), void *arg,
    struct relay_fsck *r, struct err *e)
{
	struct fsck_ctx x = { note, arg, r };
	struct grantdb_tally t;
	struct grantdb_opts o;

	memset(r, 0, sizeof *r);
	fsck_opts(c, &o);
	if (grantdb_verify(c->dir, &o, fsck_line, &x, &t, e) < 0)
		return -1;
	r->grants = t.grants;
	r->pinned = t.pinned;
	r->problems = t.problems;
	check_modes(c, &x);
	return 0;
}

int
relay_repair(const struct config *c, void (*note)(const char *, void *), void *arg,
    struct relay_fsck *r, struct err *e)
{
	struct fsck_ctx x = { note, arg, r };
	struct grantdb_tally t;
	struct grantdb_opts o;
	struct priv_act act;
	struct stat st;
	int rc;

	memset(r, 0, sizeof *r);
	if (stat(c->dir, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "open directory %s", c->dir);
		return -1;
	}
	fsck_opts(c, &o);
	/*
	 * The repair builds a scratch store in the store directory, where the
	 * store's account may rename anything (a link for the scratch store
	 * once led root's removals elsewhere): root repairs with that
	 * account's rights, which are all a repair needs, so a swapped name
	 * leads nowhere the account could not go itself.
	 */
	if (priv_act_as(st.st_uid, st.st_gid, &act, e) < 0)
		return -1;
	rc = grantdb_repair(c->dir, &o, fsck_line, &x, &t, e);
	if (priv_act_end(&act, rc < 0 ? NULL : e) < 0)
		rc = -1;
	if (rc < 0)
		return -1;
	r->grants = t.grants;
	r->pinned = t.pinned;
	r->problems = t.problems;
	return 0;
}
