/*
 * view: live, paged reads of the grants, for every face that shows them.
 *
 * A face never loads the whole store.  It asks for a window: up to N grants
 * in one of three orders, from a position in that order, forward or
 * backward; it keeps the position (a key), never a row number, so the same
 * grants come back in the same place while others come and go.  Each call
 * opens the store, holds the shared lock for that one window, and closes
 * it: nothing is kept open between calls, so a process that shows a view
 * may also change and expire the store.
 *
 * The counts (total, pinned, timed) are kept with the data and read without
 * a walk; the expired-not-yet-swept count costs what has expired.  A change
 * token says cheaply (one stat) whether anything may have changed since the
 * caller last looked.
 */
#ifndef RG_VIEW_H
#define RG_VIEW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/err.h"
#include "core/grant.h"

enum view_order {
	VIEW_BY_ADDR,		/* numeric: IPv4 before IPv6, 10.0.0.2 before 10.0.0.10 */
	VIEW_BY_EXPIRY,		/* least time left first; pins after all timed grants */
	VIEW_BY_USER,		/* user name (bytes), then address */
};

/* A position in one order: the order key of a grant.  Opaque to faces. */
#define VIEW_KEY_MAX (2 + GRANT_USER_MAX + 1 + 17)
struct view_key {
	size_t len;			/* 0: none */
	unsigned char b[VIEW_KEY_MAX];
};

/* The key of g in order o (g->addr in normal form). */
void view_key_of(enum view_order o, const struct grant *g, struct view_key *k);

/* The key of address a in the address order. */
void view_key_addr(const struct addr *a, struct view_key *k);

#define VIEW_RANGES_MAX 8

/*
 * Which grants a window shows.  Zero it for "every live grant and pin".
 * An address prefix is a set of ranges of the address order, so it costs
 * what it shows; a user substring is tested grant by grant.
 */
struct view_filter {
	int all;			/* include grants expired but not swept yet */
	size_t nranges;			/* 0: any address */
	struct {
		unsigned char lo[17], hi[17];	/* family byte, then 4 or 16 address bytes */
	} range[VIEW_RANGES_MAX];
	char user[GRANT_USER_MAX];	/* substring of the user name; "" any */
};

/*
 * Add an address prefix to f: a network in CIDR ("192.0.2.0/24",
 * "2001:db8::/32"), an address, or the leading text of addresses
 * ("192.0.2.", "10.1", "2001:db8:").  0, or -1 and e (not an address prefix).
 */
int view_filter_prefix(struct view_filter *f, const char *prefix, struct err *e);

/*
 * What an admin typed into a filter prompt: an address prefix when text
 * holds a '.', ':' or '/' or only digits, otherwise a user substring.
 * 0, or -1 and e.
 */
int view_filter_parse(struct view_filter *f, const char *text, struct err *e);

enum view_from {
	VIEW_FIRST,		/* from the start of the order, forward */
	VIEW_LAST,		/* the last rows of the order */
	VIEW_AT,		/* rows with key >= k, forward */
	VIEW_AFTER,		/* rows with key > k, forward */
	VIEW_BEFORE,		/* the rows just before k (key < k) */
};

struct view_row {
	struct grant g;
	struct view_key key;		/* its position in the order read */
};

/*
 * Read up to max rows of order o that pass f, from position k (ignored for
 * FIRST and LAST), into rows[], always in ascending order of the order.
 * budget_ms > 0 bounds the time spent on a user-substring filter: the walk
 * goes in chunks, the lock taken for a few milliseconds at a time; when the
 * budget runs out first, *partial is set and *resume says where to go on
 * from (with VIEW_AFTER forward, VIEW_BEFORE backward).  0 and *n, or -1
 * and e (e->errnum is ENOENT when there is no store yet).
 */
int view_read(const struct config *c, enum view_order o, const struct view_filter *f,
    enum view_from from, const struct view_key *k, size_t max, int64_t now,
    long budget_ms, struct view_row *rows, size_t *n, int *partial,
    struct view_key *resume, struct err *e);

struct view_counts {
	long total;			/* grants and pins */
	long pinned;
	long timed;			/* total - pinned, expired ones included */
	long expired;			/* timed, expired at now, not swept yet */
	int64_t oldest_expired;		/* expiry of the oldest of those; 0 none */
	int64_t bytes;			/* size of the store's files */
};

/* The counts at now.  0 and *n, or -1 and e (ENOENT: no store yet). */
int view_counts(const struct config *c, int64_t now, struct view_counts *n,
    struct err *e);

/* A change token: what the store looked like when last read. */
struct view_token {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t ctime_s;
	long ctime_ns;
	int64_t seen_s;			/* when the token was taken */
};

/*
 * Has the store changed since *t?  1 (and *t moves on: re-read now), 0 not.
 * Take the token before reading, so a change during the read shows next
 * time.  A brand-new token (zeroed) always says 1.  Costs one stat(2);
 * a change within the file system's timestamp granularity of the last
 * look is reported as a change (racy, as git's index calls it).
 */
int view_changed(const struct config *c, struct view_token *t, int64_t now);

/*
 * May this process change the store?  1 yes; 0 no, with e saying which
 * file is not writable and why (a face then shows the store read-only);
 * a store not made yet (relaygate init) is not.
 */
int view_writable(const struct config *c, struct err *e);

#endif
