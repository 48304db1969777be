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
 *                     'x' EXPIRY A      a grant a sweep removed, whose 'a'
 *                                       and 'u' entries are still to go
 *                                       (grantdb_tidy)
 *                     "W"               the latest now a sweep swept up to
 *                   Every change updates all of them in the same commit,
 *                   but a sweep: it removes the grant from grants.db and
 *                   the expiry order and queues the rest ('x'), which
 *                   grantdb_tidy removes in commits of its own; until
 *                   then the faces pass over what is left (grantdb_scan).
 *                   Added for relaygate sync (other readers pass over them):
 *                     "S"               the change log's state: next and
 *                                       trimmed sequence numbers, store id
 *                                       (three 64-bit), flags (1 overflow);
 *                                       absent: no log is kept
 *                     'l' SEQ           one logged change, by 64-bit
 *                                       big-endian sequence (see below)
 *                   A details record is of version 1, or of version 2
 *                   (the same, then the recording host) when it holds a
 *                   host: only grants that relaygate sync brought in.
 *                   A store of format 1 is brought to format 2 by the
 *                   first writer that opens it.
 *
 *   grants.lock     the turnstile (below); an empty file.
 *   grants.journal  the page journal (pagelog.h): empty, or the changes
 *                   since the files were last flushed (group commits,
 *                   grantdb_opts.group), or a change a writer died in.
 *
 * All four are made once, by grantdb_init (relaygate init), owned by the
 * store's user and group with fixed modes; nothing else ever creates a
 * file here, so a writer that borrows the store's group (relaygate-allow,
 * setgid) leaves nothing of its own behind.  Every file is opened as
 * safefile.h says: no links, regular files only, owned by the owner of
 * the directory, which must not be writable by others.
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
#include <sys/types.h>

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
	int group;		/* commits flush the journal only (pagelog.h) */
};

/*
 * Open the store in dir, made by grantdb_init.  GRANTDB_WRITE takes the
 * exclusive lock, GRANTDB_READ the shared one.  Either finishes a journal a
 * dead writer left.  NULL and e on failure (e->errnum ENOENT when the store
 * or one of its files does not exist).
 */
struct grantdb *grantdb_open(const char *dir, enum grantdb_mode mode,
    const struct grantdb_opts *o, struct err *e);

/* What grants.db says of addr: 1 with *expires and *pinned, 0 absent, -1 and e. */
int grantdb_lookup(struct grantdb *db, const char *addr, int64_t *expires,
    int *pinned, struct err *e);

/* The whole grant for addr: 1 and *g, 0 absent, -1 and e. */
int grantdb_get(struct grantdb *db, const char *addr, struct grant *g, struct err *e);

/*
 * addr's details record in grants-meta.db alone (user, protocol, a pin's
 * RELAYCLIENT and note): 1 and *g; 0 when there is none (no record, or no
 * grants-meta.db), e saying which; -1 and e when it cannot be read or is
 * damaged.  grants.db, not this, says whether addr may relay.
 */
int grantdb_details(struct grantdb *db, const char *addr, struct grant *g, struct err *e);

/* Record g, replacing any grant for g->addr.  0, or -1 and e. */
int grantdb_put(struct grantdb *db, const struct grant *g, struct err *e);

/*
 * Flush the files and empty the journal (a checkpoint, pagelog_flush):
 * every group commit before it is then in the files on disk.  Writers
 * only.  0, or -1 and e.
 */
int grantdb_flush(struct grantdb *db, struct err *e);

/*
 * Before a checkpoint: when dir's journal holds changes, flush grants.db
 * and grants-meta.db (with sync) without opening the store or taking its
 * lock, so that what grantdb_flush then does under the lock is short.  1
 * the journal holds changes, 0 it is empty (nothing to checkpoint), -1
 * and e.
 */
int grantdb_preflush(const char *dir, int sync, struct err *e);

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
 * passed over, and so, with details, are those a sweep left for
 * grantdb_tidy (a timed grant expired by now that grants.db no longer
 * has); keys only, the address and user orders still show those.  Stops
 * when fn returns non-zero (then that value); 0, or -1 and e.
 */
int grantdb_scan(struct grantdb *db, enum grantdb_index ix, const unsigned char *start,
    size_t slen, int backward, int details, int64_t now,
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

/* The same, calling fn(addr, arg) for each grant removed (fn may be NULL). */
int grantdb_expire_each(struct grantdb *db, int64_t now, long *removed,
    void (*fn)(const char *, void *), void *arg, struct err *e);
/*
 * A sweep removes a grant from grants.db and the expiry order, and queues
 * its details and user entry for this (the 'x' entries of grants-meta.db),
 * which reads and rewrites pages all over the file: done after the sweep,
 * in commits of its own.  Remove what the first max queue entries left
 * over (unless the address was granted again since): *tidied how many
 * were done, *more whether the queue holds more.  0, or -1 and e.
 */
int grantdb_tidy(struct grantdb *db, long max, long *tidied, int *more, struct err *e);

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

/*
 * The change log, for relaygate sync.  Once enabled, every put and del
 * (not an expiry sweep: both sides honour expiry) also writes a record
 * 'l' SEQ in the same commit as the change, so a change is logged if and
 * only if it happened.  relaygate sync reads the records, pushes them
 * upstream, then trims them.  Changes it applies from upstream are made
 * in an unlogged session, so they are never pushed back.  Past
 * GRANTDB_LOG_MAX records nothing more is logged and the overflow flag is
 * set: the next grantdb_log_enable logs every grant afresh.
 */
#define GRANTDB_LOG_MAX 1000000

struct grantdb_log {
	int on;			/* a log is kept */
	int overflow;		/* records were dropped: enable again */
	uint64_t id;		/* random id of this store's log */
	uint64_t next;		/* sequence number of the next record */
	uint64_t trimmed;	/* every record <= this is gone */
	long pending;		/* records in the log */
	int64_t oldest;		/* when the first of them was written; 0 none */
};

struct grantdb_change {
	uint64_t seq;
	int del;		/* 0 put g; 1 removed g.addr, a pin when g.pinned */
	int64_t when;		/* when the change was made (this host's clock) */
	struct grant g;
};

/* Changes of this session are not logged (they came from upstream). */
void grantdb_unlogged(struct grantdb *db);

/* The log's state.  0, or -1 and e. */
int grantdb_log_state(struct grantdb *db, struct grantdb_log *st, struct err *e);

/*
 * Keep a log (GRANTDB_WRITE): when none is kept yet, or it overflowed,
 * drop any records and log every grant there is as a put, so that the
 * pushes bring upstream what this store holds.  Already on: nothing.
 * 0, or -1 and e.
 */
int grantdb_log_enable(struct grantdb *db, struct err *e);

/* Keep no log any more, and drop its records (GRANTDB_WRITE).  0, or -1 and e. */
int grantdb_log_disable(struct grantdb *db, struct err *e);

/* Up to max records with seq > after, in order, into out.  0 and *n, or -1 and e. */
int grantdb_log_read(struct grantdb *db, uint64_t after, size_t max,
    struct grantdb_change *out, size_t *n, struct err *e);

/* Remove every record with seq <= through (GRANTDB_WRITE).  0, or -1 and e. */
int grantdb_log_trim(struct grantdb *db, uint64_t through, struct err *e);

/* Close, dropping uncommitted changes, and release the lock. */
void grantdb_close(struct grantdb *db);

enum grantdb_init_mode {
	GRANTDB_INIT_CHECK,	/* change nothing, report */
	GRANTDB_INIT_CREATE,	/* make what is missing, report the rest */
	GRANTDB_INIT_FIX,	/* make what is missing and put right the rest */
};

/*
 * The store in dir as it must be: the directory (mode 0755) and grants.db
 * (0664), grants-meta.db (0660), grants.lock (0644) and grants.journal
 * (0660), all owned by uid and gid, whatever the umask; no file an older
 * version left.  Existing files keep their content, but FIX empties a
 * journal written by anyone but uid rather than apply it, replaces a
 * link or other non-file under a store name, and gives a file with more
 * than one hard link a copy of its own (content, owner, group and mode
 * kept, under the store's exclusive lock).  report(what, fixed, arg)
 * hears of each problem found.  The number of problems left, or -1 and e.
 */
int grantdb_init(const char *dir, uid_t uid, gid_t gid, enum grantdb_init_mode how,
    void (*report)(const char *what, int fixed, void *arg), void *arg, struct err *e);

#endif
