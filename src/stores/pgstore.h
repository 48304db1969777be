/*
 * pgstore: the shared grants in PostgreSQL, for relaygate sync only.
 *
 * The only file that talks to libpq; only the relaygate program links it
 * (relaygate-allow and relaygate-check never do).  One connection, made
 * with libpq's non-blocking calls so that every network step, the connect
 * included, ends by a deadline of our own (libpq's connect_timeout cannot
 * go below 2 s).  A step that misses its deadline or loses the server
 * fails with ERR_TEMP; the caller drops the connection and makes a new one.
 *
 * The tables (pgstore_init_schema):
 *   grants(addr text COLLATE "C" PRIMARY KEY, expires timestamptz,  NULL: a pin
 *          pinned boolean (generated: expires IS NULL), username, proto,
 *          granted, relayclient (NULL: the configured one), note, host)
 *   sync_hosts(name PRIMARY KEY, store_id, pushed, seen)   how far each
 *          host's change log has been pushed, in the push's own transaction
 * Every change of grants sends NOTIFY relaygate_grants with the address.
 * Expiry times are the database's clock: a push sends the seconds a grant
 * has left, a fetch returns the seconds left, so hosts' clocks never meet.
 */
#ifndef RG_PGSTORE_H
#define RG_PGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/grant.h"

struct pgstore;

/* Connect with conninfo (a libpq connection string or URI), within timeout_ms. */
struct pgstore *pgstore_connect(const char *conninfo, long timeout_ms, struct err *e);

void pgstore_close(struct pgstore *pg);

/* The connection's socket, to wait on for notifications. */
int pgstore_fd(const struct pgstore *pg);

/* Create or bring up to date the tables, the trigger, the roles and their rights. */
int pgstore_init_schema(struct pgstore *pg, struct err *e);

/* LISTEN for changes of grants.  0, or -1 and e. */
int pgstore_listen(struct pgstore *pg, struct err *e);

/*
 * Read what the server sent (without waiting) and call fn(addr, arg) for
 * each change notified.  0, or -1 and e (the connection is gone).
 */
int pgstore_notified(struct pgstore *pg, void (*fn)(const char *addr, void *arg),
    void *arg, struct err *e);

/* The database's clock, in milliseconds since the epoch (a heartbeat).  0, or -1 and e. */
int pgstore_now(struct pgstore *pg, int64_t *ms, struct err *e);

/* How far host's log (of store id) is pushed: *seq, 0 when never.  0, or -1 and e. */
int pgstore_pushed(struct pgstore *pg, const char *host, uint64_t id, uint64_t *seq,
    struct err *e);

/* One local change to push. */
struct pgstore_change {
	int del;		/* 0 put g; 1 remove g.addr (a pin when g.pinned) */
	double remaining;	/* put of a timed grant: seconds it has left */
	struct grant g;		/* g.host: the recording host */
};

enum pgstore_result {
	PGSTORE_DONE,		/* upstream now says what the change said */
	PGSTORE_KEPT,		/* upstream kept something else (a pin beats a login) */
	PGSTORE_REFUSED,	/* this role may not make the change: dropped */
};

/*
 * Push c[0..n) in one transaction, with host's log now pushed through seq.
 * result[i] says what became of c[i]; a refused change (no right: the
 * row-level policies) is left out and the rest pushed again, and *refusal
 * (if not NULL) gets the first refusal's message.  0, or -1 and e.
 */
int pgstore_push(struct pgstore *pg, const char *host, uint64_t id, uint64_t seq,
    const struct pgstore_change *c, size_t n, int *result, struct err *refusal,
    struct err *e);

/* A grant as upstream holds it: the time it has left by the database's clock. */
struct pgstore_row {
	struct grant g;		/* g.expires unused */
	int64_t remaining;	/* seconds left (timed grants) */
};

/*
 * Up to max live grants and pins with addr > after (""), in the byte order
 * of addr, into rows (*n of them: rows beyond our limits are passed over).
 * *nread is what the server sent, last (ADDR_TEXT_MAX bytes) the addr of
 * its last row: go on after it while *nread == max.  0, or -1 and e.
 */
int pgstore_page(struct pgstore *pg, const char *after, size_t max,
    struct pgstore_row *rows, size_t *n, char *last, size_t *nread, struct err *e);

/* The live grants or pins of addrs[0..n) (normal form); absent ones are left out. */
int pgstore_fetch(struct pgstore *pg, char (*addrs)[ADDR_TEXT_MAX], size_t n,
    struct pgstore_row *rows, size_t *nrows, struct err *e);

/* Remove grants expired more than an hour ago (when this role may). 0, or -1 and e. */
int pgstore_purge(struct pgstore *pg, long *removed, struct err *e);

#endif
