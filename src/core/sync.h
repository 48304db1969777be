/*
 * sync: keep this host's grants store in step with the shared one in
 * PostgreSQL, as a non-blocking step a main loop drives (like sched).
 *
 * What goes up: the store's change log (grantdb.h), every put and removal
 * made here, pushed in order and trimmed only once the database has it;
 * the database records, in the push's own transaction, how far each
 * host's log is pushed, so a daemon killed between the two pushes nothing
 * twice.  What comes down: every change notified (LISTEN/NOTIFY), and a
 * full reconcile on connecting and every reconcile interval; changes that
 * come down are written unlogged, so they never go up again.  An address
 * with a local change not yet pushed is left alone until it is.
 *
 * Rules kept on both sides: a login never turns a pin into a timed grant;
 * a revoke removes only a timed grant, an unpin only a pin; lifetimes
 * travel as seconds left by the database's clock and are applied from
 * this host's clock, capped at RELAY_TTL_MAX, so skewed clocks do not
 * stretch them.  Expiry travels nowhere: every side honours it.
 *
 * The chain programs never wait for any of this: they only write the log
 * as part of their own commit.
 */
#ifndef RG_SYNC_H
#define RG_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/syncstat.h"
#include "core/view.h"

struct pgstore;
struct grantdb_change;
struct pgstore_change;
struct pgstore_row;

#define SYNC_QUEUE_MAX 1024	/* notified addresses held; more: reconcile */

struct sync {
	const struct config *c;
	struct pgstore *pg;		/* NULL while not connected */
	long timeout_ms;		/* deadline of every network step */
	long reconcile_ms;		/* full reconcile every so often */
	long poll_ms;			/* look for local changes this often */
	int64_t retry_ms;		/* next connect attempt */
	long backoff_ms;
	int64_t reconcile_due_ms, beat_due_ms, poll_due_ms, status_due_ms;
	struct view_token tok;
	uint64_t log_id;		/* the store's log */
	uint64_t pushed;		/* the log is pushed through this */
	char host[GRANT_HOST_MAX];
	char (*queue)[ADDR_TEXT_MAX];	/* addresses to fetch from upstream */
	size_t nqueue;
	int reconcile_now;
	int net_down;			/* this step's failure was the database's */
	struct grantdb_change *ch;	/* scratch */
	struct pgstore_change *pc;
	struct pgstore_row *rows;
	int *res;
	struct sync_status st;		/* what the status file says */
	int status_dirty;
	char last_err[512];		/* said once until it changes */
	void (*say)(const char *msg, void *arg);	/* the face's log */
	void *say_arg;
};

/*
 * Set up s for c (c->pgsql names the database), each network step within
 * timeout_ms, a full reconcile every reconcile_ms; turn the store's change
 * log on (logging what it holds when it was off).  say(msg, arg) hears of
 * connections made and lost, refusals and troubles, once each.
 * 0, or -1 and e.
 */
int sync_init(struct sync *s, const struct config *c, long timeout_ms, long reconcile_ms,
    void (*say)(const char *, void *), void *arg, int64_t now_ms, struct err *e);

/* Do what is due at now_ms: connect, push, pull, reconcile, heartbeat.  Never blocks
 * longer than the network deadlines. */
void sync_step(struct sync *s, int64_t now_ms);

/* Milliseconds until something is due, unless the socket (sync_fd) speaks first. */
long sync_wait_ms(const struct sync *s, int64_t now_ms);

/* The connection's socket to wait on for notifications, or -1. */
int sync_fd(const struct sync *s);

/* One full pass and out (relaygate sync --once): connect, push, reconcile.  0, or -1 and e. */
int sync_once(struct sync *s, int64_t now_ms, struct err *e);

/* Mark the status stopped, write it, close the connection, free s's memory. */
void sync_end(struct sync *s, int64_t now_ms);

/* Create or update the schema and roles in c->pgsql's database.  0, or -1 and e. */
int sync_init_schema(const struct config *c, long timeout_ms, struct err *e);

/* Turn the store's change log off and drop it (this host leaves).  0, or -1 and e. */
int sync_leave(const struct config *c, struct err *e);

#endif
