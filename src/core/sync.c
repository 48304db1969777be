/* sync: the shared store's daemon as a non-blocking step; see sync.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/relay.h"
#include "core/sync.h"
#include "stores/grantdb.h"
#include "stores/pgstore.h"

#define BATCH 256		/* changes pushed, rows applied, per session */
#define PAGE 512		/* rows of a reconcile page */
#define PENDING_MAX 4096	/* local changes looked at before applying */
#define EXPIRY_SLACK 2		/* seconds of difference that is no change */
#define BACKOFF_MIN 250
#define BACKOFF_MAX 5000

/* A call to the database: its failure means the connection is in doubt. */
#define NET(s, call) ((call) < 0 ? ((s)->net_down = 1, -1) : 0)

static void
say(struct sync *s, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (s->say != NULL)
		s->say(msg, s->say_arg);
}

/* Say a trouble once, until a different one comes (or it is over). */
static void
trouble(struct sync *s, const struct err *e)
{
	snprintf(s->st.error, sizeof s->st.error, "%s", e->msg);
	s->status_dirty = 1;
	if (strcmp(s->last_err, e->msg) == 0)
		return;
	snprintf(s->last_err, sizeof s->last_err, "%s", e->msg);
	say(s, "%s", e->msg);
}

static struct grantdb *
open_store(const struct config *c, enum grantdb_mode mode, struct err *e)
{
	struct grantdb_opts o;

	memset(&o, 0, sizeof o);
	o.lock_timeout_ms = c->lock_timeout_ms;
	o.sync = c->sync;
	return grantdb_open(c->dir, mode, &o, e);
}

static int
finish(struct grantdb *db, int rc, struct err *e)
{
	if (rc >= 0 && grantdb_commit(db, e) < 0)
		rc = -1;
	grantdb_close(db);
	return rc;
}

static void
set_state(struct sync *s, enum sync_state st, int64_t now_ms)
{
	if (s->st.state != st) {
		s->st.state = st;
		s->st.since = now_ms / 1000;
		s->status_dirty = 1;
	}
}

static void
drop(struct sync *s, const struct err *e, int64_t now_ms)
{
	if (s->pg != NULL) {
		pgstore_close(s->pg);
		s->pg = NULL;
		say(s, "lost the database: %s", e->msg);
		snprintf(s->last_err, sizeof s->last_err, "%s", e->msg);
		snprintf(s->st.error, sizeof s->st.error, "%s", e->msg);
	} else {
		trouble(s, e);
	}
	set_state(s, SYNC_CONNECTING, now_ms);
	s->retry_ms = now_ms + s->backoff_ms;
	s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX ? BACKOFF_MAX : s->backoff_ms * 2;
}

/* Enable the log; turn it on again after an overflow. */
static int
log_on(struct sync *s, struct err *e)
{
	struct grantdb_log lg;
	struct grantdb *db;

	if ((db = open_store(s->c, GRANTDB_WRITE, e)) == NULL)
		return -1;
	if (grantdb_log_enable(db, e) < 0 || grantdb_log_state(db, &lg, e) < 0)
		return finish(db, -1, e);
	if (finish(db, 0, e) < 0)
		return -1;
	if (lg.id != s->log_id)
		s->pushed = lg.trimmed;	/* a new log: nothing of it pushed yet */
	s->log_id = lg.id;
	if (s->pushed < lg.trimmed)
		s->pushed = lg.trimmed;
	return 0;
}

int
sync_init(struct sync *s, const struct config *c, long timeout_ms, long reconcile_ms,
    void (*sayfn)(const char *, void *), void *arg, int64_t now_ms, struct err *e)
{
	memset(s, 0, sizeof *s);
	s->c = c;
	s->timeout_ms = timeout_ms;
	s->reconcile_ms = reconcile_ms;
	s->poll_ms = 50;
	s->backoff_ms = BACKOFF_MIN;
	s->retry_ms = now_ms;
	s->say = sayfn;
	s->say_arg = arg;
	syncstat_host(c, s->host, sizeof s->host);
	if (c->pgsql[0] == '\0') {
		err_set(e, ERR_PERM, 0, "no pgsql setting in %s: nothing to sync with",
		    c->file[0] ? c->file : "the configuration");
		return -1;
	}
	s->queue = calloc(SYNC_QUEUE_MAX, sizeof *s->queue);
	s->ch = calloc(BATCH, sizeof *s->ch);
	s->pc = calloc(BATCH, sizeof *s->pc);
	s->rows = calloc(PAGE, sizeof *s->rows);
	s->res = calloc(BATCH, sizeof *s->res);
	if (s->queue == NULL || s->ch == NULL || s->pc == NULL || s->rows == NULL ||
	    s->res == NULL) {
		err_set(e, ERR_TEMP, errno, "sync: memory");
		sync_end(s, now_ms);
		return -1;
	}
	if (log_on(s, e) < 0) {
		sync_end(s, now_ms);
		return -1;
	}
	snprintf(s->st.host, sizeof s->st.host, "%s", s->host);
	s->st.pid = (long)getpid();
	s->st.state = SYNC_CONNECTING;
	s->st.since = now_ms / 1000;
	s->status_dirty = 1;
	return 0;
}

/* --- down: upstream rows into the local store --- */

/* Does the local grant l already say what upstream's w says? */
static int
same(const struct grant *l, const struct grant *w)
{
	int64_t d = l->expires - w->expires;

	return l->pinned == w->pinned &&
	    (l->pinned || (d <= EXPIRY_SLACK && d >= -EXPIRY_SLACK)) &&
	    strcmp(l->user, w->user) == 0 && strcmp(l->proto, w->proto) == 0 &&
	    l->has_relayclient == w->has_relayclient &&
	    strcmp(l->relayclient, w->relayclient) == 0 &&
	    strcmp(l->note, w->note) == 0 && strcmp(l->host, w->host) == 0;
}

/* Addresses with local changes not pushed yet, sorted, into *out.  n, or -1 and e. */
struct pending {
	char (*a)[ADDR_TEXT_MAX];
	size_t n;
	int full;		/* too many to know: apply nothing now */
};

static int
cmp_addr(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
pending_read(struct sync *s, struct grantdb *db, struct pending *p, struct err *e)
{
	struct grantdb_change *c;
	size_t n, i;

	memset(p, 0, sizeof *p);
	if ((c = malloc(PENDING_MAX * sizeof *c)) == NULL ||
	    (p->a = malloc(PENDING_MAX * sizeof *p->a)) == NULL) {
		free(c);
		err_set(e, ERR_TEMP, errno, "sync: memory");
		return -1;
	}
	if (grantdb_log_read(db, s->pushed, PENDING_MAX, c, &n, e) < 0) {
		free(c);
		free(p->a);
		p->a = NULL;
		return -1;
	}
	for (i = 0; i < n; i++)
		memcpy(p->a[i], c[i].g.addr, ADDR_TEXT_MAX);
	free(c);
	p->n = n;
	p->full = n == PENDING_MAX;
	if (p->n > 1)
		qsort(p->a, p->n, sizeof *p->a, cmp_addr);
	return 0;
}

static int
is_pending(const struct pending *p, const char *addr)
{
	return p->full || (p->n > 0 && bsearch(addr, p->a, p->n, sizeof *p->a, cmp_addr) != NULL);
}

/* Make local addr what upstream row says (NULL: absent).  1 changed, 0 not, -1 and e. */
static int
apply_one(struct sync *s, struct grantdb *db, const char *addr,
    const struct pgstore_row *row, int64_t now, struct err *e)
{
	struct grant want, have;
	int64_t left;
	int r;

	if ((r = grantdb_get(db, addr, &have, e)) < 0)
		return -1;
	if (row == NULL || (!row->g.pinned && row->remaining <= 0)) {
		if (r == 0 || (!have.pinned && have.expires <= now))
			return 0;	/* absent, or left to the expiry sweep */
		return grantdb_del(db, addr, e) < 0 ? -1 : 1;
	}
	want = row->g;
	if (!want.pinned) {
		left = row->remaining > RELAY_TTL_MAX ? RELAY_TTL_MAX : row->remaining;
		want.expires = now + left;	/* this host's clock from here on */
	}
	if (strcmp(want.host, s->host) == 0)
		want.host[0] = '\0';	/* recorded here */
	if (r == 1 && same(&have, &want))
		return 0;
	return grantdb_put(db, &want, e) < 0 ? -1 : 1;
}

/*
 * Apply rows[0..n) (and, when addrs is not NULL, absence for addrs[0..na)
 * not among the rows) in one unlogged session.  0, or -1 and e.
 */
static int
apply_rows(struct sync *s, const struct pgstore_row *rows, size_t n,
    char (*addrs)[ADDR_TEXT_MAX], size_t na, int64_t now_ms, struct err *e)
{
	struct pending p;
	struct grantdb *db;
	size_t i, j;
	long changed = 0;
	int r = 0;

	if ((db = open_store(s->c, GRANTDB_WRITE, e)) == NULL)
		return -1;
	grantdb_unlogged(db);
	if (pending_read(s, db, &p, e) < 0)
		return finish(db, -1, e);
	for (i = 0; i < n && r >= 0; i++)
		if (!is_pending(&p, rows[i].g.addr) &&
		    (r = apply_one(s, db, rows[i].g.addr, &rows[i], now_ms / 1000, e)) > 0)
			changed++;
	for (i = 0; addrs != NULL && i < na && r >= 0; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(rows[j].g.addr, addrs[i]) == 0)
				break;
		if (j == n && !is_pending(&p, addrs[i]) &&
		    (r = apply_one(s, db, addrs[i], NULL, now_ms / 1000, e)) > 0)
			changed++;
	}
	free(p.a);
	if (finish(db, r < 0 ? -1 : 0, e) < 0)
		return -1;
	if (changed > 0) {
		s->st.pulled += changed;
		s->st.last_pulled = now_ms / 1000;
		s->status_dirty = 1;
	}
	return 0;
}

/* Fetch and apply the queued (notified) addresses. */
static int
pull_queue(struct sync *s, int64_t now_ms, struct err *e)
{
	size_t off, k, n;

	for (off = 0; off < s->nqueue; off += k) {
		k = s->nqueue - off > BATCH ? BATCH : s->nqueue - off;
		if (NET(s, pgstore_fetch(s->pg, s->queue + off, k, s->rows, &n, e)) < 0 ||
		    apply_rows(s, s->rows, n, s->queue + off, k, now_ms, e) < 0)
			return -1;
	}
	s->nqueue = 0;
	return 0;
}

static void
enqueue(struct sync *s, const char *addr)
{
	size_t i;

	for (i = 0; i < s->nqueue; i++)
		if (strcmp(s->queue[i], addr) == 0)
			return;
	if (s->nqueue == SYNC_QUEUE_MAX || strlen(addr) >= ADDR_TEXT_MAX) {
		s->reconcile_now = 1;	/* too many to follow one by one */
		return;
	}
	memcpy(s->queue[s->nqueue++], addr, strlen(addr) + 1);
}

static void
on_notify(const char *addr, void *arg)
{
	enqueue(arg, addr);
}

/* --- up: the change log into the database --- */

/* Push every logged change; trim what went up.  0, or -1 and e. */
static int
push_log(struct sync *s, int64_t now_ms, struct err *e)
{
	struct grantdb_log lg;
	struct grantdb *db;
	struct err refusal;
	double now = (double)now_ms / 1000.0;
	size_t n, i, m;
	int rounds, r;

	for (rounds = 0; rounds < 64; rounds++) {
		if ((db = open_store(s->c, GRANTDB_READ, e)) == NULL)
			return e->errnum == ENOENT ? 0 : -1;
		r = grantdb_log_state(db, &lg, e);
		if (r == 0)
			r = grantdb_log_read(db, s->pushed, BATCH, s->ch, &n, e);
		grantdb_close(db);
		if (r < 0)
			return -1;
		if (!lg.on || lg.overflow || lg.id != s->log_id) {
			say(s, "the change log %s: sending every grant again",
			    lg.on ? "overflowed" : "was off");
			if (log_on(s, e) < 0)
				return -1;
			continue;
		}
		if (n == 0)
			return 0;
		for (i = m = 0; i < n; i++) {
			struct pgstore_change *p = &s->pc[m];

			p->del = s->ch[i].del;
			p->g = s->ch[i].g;
			if (p->g.host[0] == '\0')
				snprintf(p->g.host, sizeof p->g.host, "%s", s->host);
			p->remaining = p->g.pinned || p->del ? 0 : (double)p->g.expires - now;
			if (!p->del && !p->g.pinned && p->remaining <= 0)
				continue;	/* expired already: every side honours expiry */
			m++;
		}
		if (NET(s, pgstore_push(s->pg, s->host, s->log_id, s->ch[n - 1].seq, s->pc, m,
		    s->res, &refusal, e)) < 0)
			return -1;
		for (i = 0; i < m; i++) {
			if (s->res[i] == PGSTORE_REFUSED)
				say(s, "%s of %s not pushed, this role may not: %s",
				    s->pc[i].del ? "removal" : s->pc[i].g.pinned ? "pin" : "grant",
				    s->pc[i].g.addr, refusal.msg);
			if (s->res[i] != PGSTORE_DONE)
				enqueue(s, s->pc[i].g.addr);	/* take upstream's word */
		}
		s->pushed = s->ch[n - 1].seq;
		s->st.pushed += (long)m;
		s->st.last_contact = now_ms / 1000;
		s->status_dirty = 1;
		if ((db = open_store(s->c, GRANTDB_WRITE, e)) == NULL)
			return -1;
		if (finish(db, grantdb_log_trim(db, s->pushed, e), e) < 0)
			return -1;
	}
	return 0;
}

/* --- the full reconcile --- */

struct addrset {
	char (*a)[ADDR_TEXT_MAX];
	size_t n, cap;
};

static int
addrset_add(struct addrset *set, const char *addr)
{
	void *np;

	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 1024;

		if ((np = realloc(set->a, cap * sizeof *set->a)) == NULL)
			return -1;
		set->a = np;
		set->cap = cap;
	}
	memcpy(set->a[set->n++], addr, ADDR_TEXT_MAX);
	return 0;
}

struct gone_ctx {
	const struct addrset *up;
	struct addrset gone;
	int64_t now;
	int failed;
};

static int
gone_one(const struct grant *g, void *arg)
{
	struct gone_ctx *x = arg;

	if (!g->pinned && g->expires <= x->now)
		return 0;	/* the sweep's, not ours */
	if (x->up->n > 0 &&
	    bsearch(g->addr, x->up->a, x->up->n, sizeof *x->up->a, cmp_addr) != NULL)
		return 0;
	if (addrset_add(&x->gone, g->addr) < 0) {
		x->failed = 1;
		return 1;
	}
	return 0;
}

static int
reconcile(struct sync *s, int64_t now_ms, struct err *e)
{
	struct addrset up = { NULL, 0, 0 };
	struct gone_ctx x;
	struct grantdb *db;
	char after[ADDR_TEXT_MAX] = "", last[ADDR_TEXT_MAX];
	size_t n, nread, i, k;
	long purged;
	int rc = -1, r;

	memset(&x, 0, sizeof x);
	if (push_log(s, now_ms, e) < 0)
		return -1;
	do {
		if (NET(s, pgstore_page(s->pg, after, PAGE, s->rows, &n, last, &nread, e)) < 0)
			goto out;
		for (i = 0; i < n; i++)
			if (addrset_add(&up, s->rows[i].g.addr) < 0) {
				err_set(e, ERR_TEMP, ENOMEM, "reconcile");
				goto out;
			}
		if (apply_rows(s, s->rows, n, NULL, 0, now_ms, e) < 0)
			goto out;
		memcpy(after, last, sizeof after);
	} while (nread == PAGE);
	if (up.n > 1)
		qsort(up.a, up.n, sizeof *up.a, cmp_addr);
	/* What this store holds and upstream does not: gone upstream. */
	x.up = &up;
	x.now = now_ms / 1000;
	if ((db = open_store(s->c, GRANTDB_READ, e)) == NULL) {
		if (e->errnum != ENOENT)
			goto out;
	} else {
		r = grantdb_each(db, gone_one, &x, e);
		grantdb_close(db);
		if (r < 0 || x.failed) {
			if (x.failed)
				err_set(e, ERR_TEMP, ENOMEM, "reconcile");
			goto out;
		}
	}
	for (i = 0; i < x.gone.n; i += k) {
		k = x.gone.n - i > BATCH ? BATCH : x.gone.n - i;
		if (apply_rows(s, NULL, 0, x.gone.a + i, k, now_ms, e) < 0)
			goto out;
	}
	if (NET(s, pgstore_purge(s->pg, &purged, e)) < 0)
		goto out;
	s->st.last_reconcile = now_ms / 1000;
	s->st.last_contact = now_ms / 1000;
	s->status_dirty = 1;
	rc = 0;
out:
	free(up.a);
	free(x.gone.a);
	return rc;
}

/* --- the connection --- */

static int
heartbeat(struct sync *s, int64_t now_ms, struct err *e)
{
	int64_t db_ms;

	if (NET(s, pgstore_now(s->pg, &db_ms, e)) < 0)
		return -1;
	s->st.skew_ms = (long)(db_ms - now_ms);
	s->st.last_contact = now_ms / 1000;
	s->status_dirty = 1;
	return 0;
}

static int
connect_db(struct sync *s, int64_t now_ms, struct err *e)
{
	uint64_t up;

	if ((s->pg = pgstore_connect(s->c->pgsql, s->timeout_ms, e)) == NULL) {
		s->net_down = 1;
		return -1;
	}
	/* Listen first: what changes during the reconcile is notified after it. */
	if (NET(s, pgstore_listen(s->pg, e)) < 0 ||
	    NET(s, pgstore_pushed(s->pg, s->host, s->log_id, &up, e)) < 0)
		return -1;
	if (up > s->pushed)
		s->pushed = up;	/* pushed before a crash, not trimmed yet */
	s->nqueue = 0;
	if (heartbeat(s, now_ms, e) < 0 || reconcile(s, now_ms, e) < 0)
		return -1;
	return 0;
}

void
sync_step(struct sync *s, int64_t now_ms)
{
	struct err e;

	err_clear(&e);
	s->net_down = 0;
	if (s->pg == NULL && now_ms >= s->retry_ms) {
		if (connect_db(s, now_ms, &e) < 0) {
			if (!s->net_down) {
				pgstore_close(s->pg);	/* the store's trouble: try it all again */
				s->pg = NULL;
			}
			drop(s, &e, now_ms);
		} else {
			say(s, "connected; listening for changes (host %s)", s->host);
			s->last_err[0] = '\0';
			s->st.error[0] = '\0';
			s->backoff_ms = BACKOFF_MIN;
			s->reconcile_due_ms = now_ms + s->reconcile_ms;
			s->beat_due_ms = now_ms + 10000;
			set_state(s, SYNC_CONNECTED, now_ms);
		}
	}
	if (s->pg != NULL) {
		if (NET(s, pgstore_notified(s->pg, on_notify, s, &e)) < 0)
			goto lost;
		if (now_ms >= s->poll_due_ms) {
			s->poll_due_ms = now_ms + s->poll_ms;
			if (view_changed(s->c, &s->tok, now_ms / 1000) && push_log(s, now_ms, &e) < 0)
				goto lost_or_store;
		}
		if (s->nqueue > 0 && pull_queue(s, now_ms, &e) < 0)
			goto lost_or_store;
		if (s->reconcile_now || now_ms >= s->reconcile_due_ms) {
			s->reconcile_now = 0;
			s->reconcile_due_ms = now_ms + s->reconcile_ms;
			if (reconcile(s, now_ms, &e) < 0)
				goto lost_or_store;
		}
		if (now_ms >= s->beat_due_ms) {
			s->beat_due_ms = now_ms + 10000;
			if (heartbeat(s, now_ms, &e) < 0)
				goto lost;
		}
	}
	goto status;
lost_or_store:
	if (!s->net_down) {
		/* The local store's trouble (locked, say): keep the connection, try again. */
		trouble(s, &e);
		s->tok.seen_s = 0;
		s->reconcile_now = 0;
		s->reconcile_due_ms = now_ms + 1000;
		goto status;
	}
lost:
	drop(s, &e, now_ms);
status:
	if (s->status_dirty || now_ms >= s->status_due_ms) {
		s->st.updated = now_ms / 1000;
		s->status_dirty = 0;
		s->status_due_ms = now_ms + SYNCSTAT_BEAT * 1000 / 2;
		if (syncstat_write(s->c->dir, &s->st, &e) < 0)
			trouble(s, &e);	/* tried again at the next beat */
	}
}

long
sync_wait_ms(const struct sync *s, int64_t now_ms)
{
	int64_t due = s->status_due_ms;

	if (s->pg == NULL) {
		if (s->retry_ms < due)
			due = s->retry_ms;
	} else {
		if (s->poll_due_ms < due)
			due = s->poll_due_ms;
		if (s->reconcile_due_ms < due)
			due = s->reconcile_due_ms;
		if (s->beat_due_ms < due)
			due = s->beat_due_ms;
		if (s->nqueue > 0 || s->reconcile_now)
			due = now_ms;
	}
	return due > now_ms ? (long)(due - now_ms) : 0;
}

int
sync_fd(const struct sync *s)
{
	return s->pg != NULL ? pgstore_fd(s->pg) : -1;
}

int
sync_once(struct sync *s, int64_t now_ms, struct err *e)
{
	if (connect_db(s, now_ms, e) < 0 || push_log(s, now_ms, e) < 0 ||
	    NET(s, pgstore_notified(s->pg, on_notify, s, e)) < 0 || pull_queue(s, now_ms, e) < 0)
		return -1;
	return 0;
}

void
sync_end(struct sync *s, int64_t now_ms)
{
	struct err e;

	if (s->st.pid != 0) {
		s->st.state = SYNC_STOPPED;
		s->st.pid = 0;
		s->st.updated = now_ms / 1000;
		syncstat_write(s->c->dir, &s->st, &e);
	}
	pgstore_close(s->pg);
	s->pg = NULL;
	free(s->queue);
	free(s->ch);
	free(s->pc);
	free(s->rows);
	free(s->res);
	s->queue = NULL;
	s->ch = NULL;
	s->pc = NULL;
	s->rows = NULL;
	s->res = NULL;
}

int
sync_init_schema(const struct config *c, long timeout_ms, struct err *e)
{
	struct pgstore *pg;
	int rc;

	if (c->pgsql[0] == '\0') {
		err_set(e, ERR_PERM, 0, "no pgsql setting: which database?");
		return -1;
	}
	if ((pg = pgstore_connect(c->pgsql, timeout_ms, e)) == NULL)
		return -1;
	rc = pgstore_init_schema(pg, e);
	pgstore_close(pg);
	return rc;
}

int
sync_leave(const struct config *c, struct err *e)
{
	struct grantdb *db;

	if ((db = open_store(c, GRANTDB_WRITE, e)) == NULL)
		return -1;
	return finish(db, grantdb_log_disable(db, e), e);
}
