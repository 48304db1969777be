/*
 * grantdb: the grants store, two Berkeley DB btree files in one directory.
 *
 *   grants.db       what relays.  Key "ADDRESS\0" (addr.h normal form, lower
 *                   case), value "EXPIRY\0": decimal seconds since the epoch,
 *                   or "0\0" for a pin.  Digits only, with postmap's trailing
 *                   NULs, so Postfix can use the file directly as
 *                   check_client_access btree:DIR/grants.
 *   grants-meta.db  what Postfix need not see: the user, protocol, time
 *                   granted, a pin's RELAYCLIENT and note.  A grant's record
 *                   is keyed 'x', 64-bit big-endian expiry, ADDRESS: that is
 *                   the expiry index too, so expiring k grants reads and
 *                   deletes k contiguous entries, not all n grants.  A pin's
 *                   record is keyed 'p' ADDRESS.
 *
 * Readers share and writers exclude with flock(2) on grants.db, the lock
 * Postfix itself takes.  A turnstile in front of it (grants.lock: a writer
 * holds it exclusively while it waits, a reader passes through it shared)
 * keeps a stream of readers from starving the writers.  Writes go through pagelog, so a writer killed at any
 * instant never leaves a torn file.  A commit moves grants.db's mtime on by
 * at least a second so that Postfix's smtpd processes see the change.
 * No handle is kept open across operations: open, act, close.
 */
#ifndef RG_GRANTDB_H
#define RG_GRANTDB_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/grant.h"

#define GRANTDB_FILE "grants.db"
#define GRANTDB_META "grants-meta.db"
#define GRANTDB_JOURNAL "grants.journal"
#define GRANTDB_GATE "grants.lock"

struct grantdb;

enum grantdb_mode { GRANTDB_READ, GRANTDB_WRITE };

struct grantdb_opts {
	long lock_timeout_ms;	/* longest wait for the lock */
	int sync;		/* fsync each commit */
	size_t cache_bytes;	/* libdb cache; 0: libdb's default */
	int no_create;		/* GRANTDB_WRITE: fail on a missing store */
};

/*
 * Open the store in dir.  GRANTDB_WRITE creates missing files (dir itself
 * must exist) unless no_create, and takes the exclusive lock; GRANTDB_READ takes the shared
 * one.  Either finishes a journal a dead writer left.  NULL and e on failure.
 */
struct grantdb *grantdb_open(const char *dir, enum grantdb_mode mode,
    const struct grantdb_opts *o, struct err *e);

/* What grants.db says of addr: 1 with *expires and *pinned, 0 absent, -1 and e. */
int grantdb_lookup(struct grantdb *db, const char *addr, int64_t *expires,
    int *pinned, struct err *e);

/* The whole grant for addr: 1 and *g, 0 absent, -1 and e. */
int grantdb_get(struct grantdb *db, const char *addr, struct grant *g, struct err *e);

/* Record g, replacing any grant for g->addr.  0, or -1 and e. */
int grantdb_put(struct grantdb *db, const struct grant *g, struct err *e);

/* Remove addr: 1 removed, 0 absent, -1 and e. */
int grantdb_del(struct grantdb *db, const char *addr, struct err *e);

/* Call fn for every grant in address order until it returns non-zero (then that value). 0, or -1 and e. */
int grantdb_each(struct grantdb *db, int (*fn)(const struct grant *, void *),
    void *arg, struct err *e);

/* Remove grants expired at now (expires <= now), cheapest first; *removed counts them. 0, or -1 and e. */
int grantdb_expire(struct grantdb *db, int64_t now, long *removed, struct err *e);

/* The earliest expiry of any grant: 1 and *when, 0 none, -1 and e. */
int grantdb_next_expiry(struct grantdb *db, int64_t *when, struct err *e);

/* Bytes used by the store's files. */
int grantdb_size(struct grantdb *db, int64_t *bytes, struct err *e);

/* Make this session's changes happen, all or none. 0, or -1 and e. */
int grantdb_commit(struct grantdb *db, struct err *e);

/* Close, dropping uncommitted changes, and release the lock. */
void grantdb_close(struct grantdb *db);

#endif
