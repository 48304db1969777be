/*
 * grant: one client address allowed to relay, for a while or for good.
 *
 * The record the whole product is about.  A grant made by a login expires;
 * a pin, set by an admin, does not, and may carry its own RELAYCLIENT.
 */
#ifndef RG_GRANT_H
#define RG_GRANT_H

#include <stdint.h>

#include "core/addr.h"

#define GRANT_USER_MAX 256
#define GRANT_PROTO_MAX 16
#define GRANT_TEXT_MAX 256
#define GRANT_HOST_MAX 128

struct grant {
	char addr[ADDR_TEXT_MAX];	/* normal form (addr.h) */
	int pinned;			/* set by an admin, never expires */
	int64_t expires;		/* seconds since the epoch; 0 for a pin */
	int64_t granted;		/* when it was made */
	char user[GRANT_USER_MAX];	/* who logged in, or who pinned it */
	char proto[GRANT_PROTO_MAX];	/* pop3, imap, manual, ... */
	int has_relayclient;		/* pin with its own RELAYCLIENT */
	char relayclient[GRANT_TEXT_MAX];
	char note[GRANT_TEXT_MAX];	/* admin's note on a pin */
	char host[GRANT_HOST_MAX];	/* the host that recorded it; "" this one (relaygate sync) */
};

/* 1 when g lets its address relay at time now: pinned, or not yet expired. */
int grant_live(const struct grant *g, int64_t now);

/*
 * Seconds g has left at now: > 0 live, 0 expired (not swept yet), -1 pinned.
 * Never more than the longest lifetime (CONFIG_EXPIRY_MAX), whatever the
 * stored expiry says: a grant written while the clock was ahead does not
 * outlive it once the clock is right.
 */
int64_t grant_remaining(const struct grant *g, int64_t now);

/* Bring g's expiry within the longest lifetime from now (grant_remaining's cap). */
void grant_cap(struct grant *g, int64_t now);

/* Seconds since g expired at now: > 0 expired, 0 live or pinned. */
int64_t grant_overdue(const struct grant *g, int64_t now);

#endif
