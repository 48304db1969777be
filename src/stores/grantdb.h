/*
 * grantdb: the grants store, two Berkeley DB btree files in one directory.
 *
 *   grants.db       what relays.  Key "ADDRESS\0" (addr.h normal form, lower
 *                   case), value "EXPIRY\0": decimal seconds since the epoch,
 *                   or "0\0" for a pin.  Digits only, with postmap's trailing
 *                   NULs, so Postfix can use the file directly as
 *                   check_client_access btree:DIR/grants.
 *   grants-meta.db  what Postfix need not see, and the orders the faces
 *                   page through (format 2; A = family byte 4 or 6, then
 *                   the 4 or 16 address bytes, so keys sort numerically):
 *                     "V"               format version, one byte: 2
 *                     "C"               counts: grants and pins, pins
 *                                       (two 64-bit big-endian numbers)
 *                     'a' A             the grant's details: user, protocol,
 *                                       time granted, a pin's RELAYCLIENT
 *                                       and note (the address order)
 *                     'e' 0 EXPIRY A    a timed grant, by 64-bit big-endian
 *                                       expiry: the expiry order, and the
 *                                       index a sweep deletes a run of
 *                     'e' 1 A           a pin, after every timed grant
 *                     'u' USER 0 A      the user order
 *                   Every change updates all of them in the same commit.
 *                   A store of format 1 is brought to format 2 by the
 *                   first writer that opens it.
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

/*
 * Call fn for every grant of grants.db, in its byte order, with no details
 * but the address, expiry and pinned state: the walk that the counts must
 * always agree with.  Until fn returns non-zero (then that value); 0, or -1 and e.
 */
int grantdb_each(struct grantdb *db, int (*fn)(const struct grant *, void *),
    void *arg, struct err *e);

/* The orders of grants-meta.db that a face can page through. */
enum grantdb_index { GRANTDB_BY_ADDR, GRANTDB_BY_EXPIRY, GRANTDB_BY_USER };

#define GRANTDB_KEY_MAX (1 + GRANT_USER_MAX + 1 + 17)

/*
 * The key of g in index ix into k (GRANTDB_KEY_MAX bytes), and its length.
 * An empty g->addr gives the smallest key of all grants that share the
 * rest (the start of an expiry, of a user); a g->addr that is not an
 * address gives 0.
 */
size_t grantdb_key(enum grantdb_index ix, const struct grant *g, unsigned char *k);

/*
 * What key k (n bytes) of index ix says, into g: the address and, for the
 * expiry order, the expiry or pin, for the user order, the user.  0, or -1.
 */
int grantdb_key_parse(enum grantdb_index ix, const unsigned char *k, size_t n,
    struct grant *g);

/*
 * Walk index ix: forward from the first key >= start, or backward from
 * the last key < start (slen 0: from the end), while the keys belong to
 * ix.  fn(key, klen, g, arg) for each; g is the whole grant when details,
 * else NULL (keys only: cheap).  Entries whose details no longer match are
 * passed over.  Stops when fn returns non-zero (then that value); 0, or
 * -1 and e.
 */
int grantdb_scan(struct grantdb *db, enum grantdb_index ix, const unsigned char *start,
    size_t slen, int backward, int details,
    int (*fn)(const unsigned char *, size_t, const struct grant *, void *),
    void *arg, struct err *e);

struct grantdb_counts {
	long total;		/* grants and pins */
	long pinned;
};

/* The counts kept with the data. 0 and *n, or -1 and e. */
int grantdb_counts(struct grantdb *db, struct grantdb_counts *n, struct err *e);

/* Remove grants expired at now (expires <= now), cheapest first; *removed counts them. 0, or -1 and e. */
int grantdb_expire(struct grantdb *db, int64_t now, long *removed, struct err *e);

/*
 * Bring every grant that expires after latest (a clock that was ahead when
 * it was written) down to latest; *capped counts them. 0, or -1 and e.
 */
int grantdb_cap_expiry(struct grantdb *db, int64_t latest, long *capped, struct err *e);

/* The earliest expiry of any grant: 1 and *when, 0 none, -1 and e. */
int grantdb_next_expiry(struct grantdb *db, int64_t *when, struct err *e);

/* Bytes used by the store's files. */
int grantdb_size(struct grantdb *db, int64_t *bytes, struct err *e);

/* --- checking and repairing a damaged store --- */

/* One line: a problem verify found, or a thing repair did. */
typedef void (*grantdb_note)(const char *line, void *arg);

struct grantdb_tally {
	long grants;		/* grants and pins readable (verify) or kept (repair) */
	long pinned;
	long problems;		/* verify: problems found; repair: records not kept */
};

/*
 * Check the store in dir, changing nothing (the shared lock): the journal,
 * both files through libdb's own verify, every record of grants.db, and the
 * details, orders and counts of grants-meta.db against a walk of grants.db.
 * note(problem) for each problem.  0 and *t, or -1 and e when the check
 * itself could not run.
 */
int grantdb_verify(const char *dir, const struct grantdb_opts *o, grantdb_note note,
    void *arg, struct grantdb_tally *t, struct err *e);

/*
 * Repair the store in dir under the exclusive lock: finish a journal a dead
 * writer left (a damaged one is set aside); keep every grant and pin that
 * can be read from grants.db, and from the details in grants-meta.db those
 * that grants.db has lost; copy each file that could not be read whole
 * aside (FILE.damaged-TIME); rebuild the details, orders and counts of
 * grants-meta.db from what was kept (as the format upgrade does); and put
 * both files in place in one journalled step, so a crash leaves the old
 * store or the new.  note(action) for each thing done.  0 and *t, or -1 and e.
 */
int grantdb_repair(const char *dir, const struct grantdb_opts *o, grantdb_note note,
    void *arg, struct grantdb_tally *t, struct err *e);

/* Make this session's changes happen, all or none. 0, or -1 and e. */
int grantdb_commit(struct grantdb *db, struct err *e);

/* Close, dropping uncommitted changes, and release the lock. */
void grantdb_close(struct grantdb *db);

#endif
