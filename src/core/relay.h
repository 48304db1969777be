/*
 * relay: the rules of POP-before-SMTP, written once for every face.
 *
 * Record a login's address for a while, pin an address for good, answer
 * whether an address may relay now and with which RELAYCLIENT, and forget
 * what has expired.  The chain programs, the batch commands, the expiry loop
 * and the console all call these, and only these, to touch grants.
 */
#ifndef RG_RELAY_H
#define RG_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/err.h"
#include "core/grant.h"

enum relay_answer {
	RELAY_NO,		/* no grant, or only an expired one */
	RELAY_GRANT,		/* a live grant from a login */
	RELAY_PIN,		/* a pin */
};

struct relay_decision {
	enum relay_answer answer;
	char relayclient[GRANT_TEXT_MAX];	/* what RELAYCLIENT should be */
	struct grant grant;	/* the grant behind a yes, or an expired one (expires != 0) */
	char details_err[512];	/* a pin whose details could not be read: why ("" else) */
};

/* What a change did; the functions below return one of these, or -1 and e. */
enum relay_outcome {
	RELAY_DONE,		/* the store now says what was asked */
	RELAY_UNCHANGED,	/* nothing to do: pinned already, or absent */
	RELAY_REFUSED,		/* not done; e says why */
	RELAY_GONE,		/* the grant acted on is no more (removed, or expired) */
	RELAY_CHANGED,		/* the grant acted on was changed meanwhile: nothing done */
};

/* Longest lifetime of one grant, in seconds: a year (as config.h). */
#define RELAY_TTL_MAX CONFIG_EXPIRY_MAX

/* Record a login from a for ttl seconds; a pin is left as it is. */
int relay_allow(const struct config *c, const struct addr *a,
    const char *user, const char *proto, long ttl, int64_t now, struct err *e);

/*
 * May a relay now?  0 and *d, or -1 and e (the store could not be read).
 * grants.db alone answers: a pin whose details in grants-meta.db cannot be
 * read (no access, missing, damaged) still relays, with the configured
 * RELAYCLIENT, and d->details_err says why.
 */
int relay_check(const struct config *c, const struct addr *a, int64_t now,
    struct relay_decision *d, struct err *e);

/* Pin a for good, with its own RELAYCLIENT (NULL: the configured one) and a note. */
int relay_pin(const struct config *c, const struct addr *a,
    const char *by, const char *relayclient, const char *note, int64_t now, struct err *e);

/* Remove a's pin (not a grant): DONE, UNCHANGED when not pinned. */
int relay_unpin(const struct config *c, const struct addr *a, struct err *e);

/* Remove a's grant (not a pin: REFUSED): DONE, UNCHANGED when absent. */
int relay_revoke(const struct config *c, const struct addr *a, struct err *e);

/*
 * Acting on what an admin saw: seen is the grant as shown when the admin
 * chose the action.  The change is made only while a's grant is still that
 * one (same pinned state and expiry); otherwise nothing is touched and the
 * answer is GONE (removed, or expired at now) or CHANGED.
 *   revoke: DONE, GONE, CHANGED, REFUSED (a pin)
 *   unpin:  DONE, GONE, CHANGED, REFUSED (not a pin)
 */
int relay_revoke_seen(const struct config *c, const struct addr *a,
    const struct grant *seen, int64_t now, struct err *e);
int relay_unpin_seen(const struct config *c, const struct addr *a,
    const struct grant *seen, int64_t now, struct err *e);

/*
 * Give a's live grant ttl seconds from now, never more than RELAY_TTL_MAX
 * (*capped is set when the lifetime was cut to that).  seen, when not NULL,
 * is checked as above.  DONE; GONE when there is no live grant; REFUSED for
 * a pin (it never expires); CHANGED; or -1 and e.
 */
int relay_extend(const struct config *c, const struct addr *a, const struct grant *seen,
    long ttl, int64_t now, int *capped, struct err *e);

/* The whole grant for a: 1 and *g, 0 none, -1 and e. */
int relay_get(const struct config *c, const struct addr *a, struct grant *g,
    struct err *e);

/* What relaygate-check sets RELAYCLIENT to for g: a pin's own value, or the configured one. */
const char *relay_relayclient(const struct config *c, const struct grant *g);

/* Who makes a manual change: the login name of the real user (or "uid N"), into buf. */
void relay_actor(char *buf, size_t size);

/* The protocol recorded for grants and pins made by hand. */
#define RELAY_PROTO_MANUAL "manual"

/* Forget every grant expired at now. 0 and *removed, or -1 and e. */
int relay_expire(const struct config *c, int64_t now, long *removed, struct err *e);

/* The same, calling fn(addr, arg) for each grant removed, for a log that names them. */
int relay_expire_each(const struct config *c, int64_t now, long *removed,
    void (*fn)(const char *, void *), void *arg, struct err *e);

/*
 * After a sweep: remove the details and user entries of the grants it
 * removed (grantdb_tidy), in commits of RELAY_TIDY_CHUNK, the store
 * unlocked between them; then a checkpoint (relay_checkpoint).  0 and
 * *tidied, or -1 and e.
 */
#define RELAY_TIDY_CHUNK 2048
int relay_tidy(const struct config *c, long *tidied, struct err *e);

/*
 * A checkpoint (relaygate-grants(5)): flush the files, then empty the
 * journal, so that every change in it is on disk in the files.  relay_tidy
 * ends with one; sweeps and logins are group commits.  0, or -1 and e.
 */
int relay_checkpoint(const struct config *c, struct err *e);

/* The next moment a grant expires: 1 and *when, 0 none, -1 and e. */
int relay_next_expiry(const struct config *c, int64_t *when, struct err *e);

/* What relaygate verify found, or what relaygate repair kept. */
struct relay_fsck {
	long grants, pinned;		/* readable (verify), kept (repair) */
	long problems;			/* found (verify), records not kept (repair) */
};

/*
 * Check the grants store without changing it: its journal, its files (libdb's
 * own check, every record, the details, orders and counts against a walk),
 * and the modes of the store and of the password store.  note(line) for
 * each problem.  0 and *r (r->problems 0: sound), or -1 and e.
 */
int relay_verify(const struct config *c, void (*note)(const char *, void *), void *arg,
    struct relay_fsck *r, struct err *e);

/*
 * Repair the grants store: every grant and pin that can be read is kept,
 * what can be derived is rebuilt, what cannot be read is set aside; note(line)
 * for each thing done.  0 and *r, or -1 and e.
 */
int relay_repair(const struct config *c, void (*note)(const char *, void *), void *arg,
    struct relay_fsck *r, struct err *e);

/* The counts of relaygate stats, read from the counts kept with the data. */
struct relay_stats {
	long live, pinned, expired;
	int64_t bytes;
};

int relay_stats(const struct config *c, int64_t now, struct relay_stats *s,
    struct err *e);

/*
 * Import relay-ctrl's spool directory dir: each file named by an address,
 * its mtime the login, becomes a grant with the time it has left under the
 * configured expiry.  skipped(name, why, arg) hears of every file left out.
 * 0 and *imported, or -1 and e.
 */
int relay_import_spool(const struct config *c, const char *dir, int64_t now,
    void (*skipped)(const char *name, const char *why, void *arg), void *arg,
    long *imported, struct err *e);

#endif
