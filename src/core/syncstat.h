/*
 * syncstat: how relaygate sync is doing, for every face that shows it.
 *
 * The daemon (core/sync) writes a small status file, sync.status in the
 * store's directory, whenever its state changes and at least every
 * SYNCSTAT_BEAT seconds, by rename so a reader never sees half of it.
 * syncstat_get adds what the store itself says (the change log: local
 * changes not yet pushed), so it is right even when no daemon runs.
 * Neither needs libpq: the console and batch mode link only this.
 */
#ifndef RG_SYNCSTAT_H
#define RG_SYNCSTAT_H

#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/grant.h"

#define SYNCSTAT_FILE "sync.status"
#define SYNCSTAT_BEAT 5		/* seconds between writes at most */

enum sync_state {
	SYNC_OFF,		/* no pgsql setting and no change log: not syncing */
	SYNC_STOPPED,		/* no daemon running (no status, or a stale one) */
	SYNC_CONNECTING,	/* the daemon runs, and is (re)connecting */
	SYNC_CONNECTED,		/* connected and listening */
};

struct sync_status {
	enum sync_state state;
	char host[GRANT_HOST_MAX];	/* this host, as sync records it */
	long pid;			/* the daemon's; 0 none */
	int64_t since;			/* in this state since (daemon's view); 0 unknown */
	int64_t updated;		/* when the daemon last wrote the status */
	int64_t last_contact;		/* last exchange with the database that worked */
	int64_t last_reconcile;		/* last full reconcile done */
	int64_t last_pulled;		/* last change applied from upstream */
	long pushed, pulled;		/* changes pushed and applied since the daemon started */
	long skew_ms;			/* the database's clock minus this host's */
	long pending;			/* local changes not yet upstream (the store's log) */
	int64_t oldest_pending;		/* when the oldest of them was made; 0 none */
	int overflow;			/* the log overflowed: the daemon will resend all */
	char error[512];		/* the daemon's last trouble, "" none */
};

/* The status as the daemon writes it (pending, oldest_pending and overflow are not written). */
int syncstat_write(const char *dir, const struct sync_status *s, struct err *e);

/*
 * The whole picture at now: the status file, checked for staleness
 * (3 * SYNCSTAT_BEAT) and a dead pid, plus the store's log.  0 and *s,
 * or -1 and e (the store could not be read).
 */
int syncstat_get(const struct config *c, int64_t now, struct sync_status *s, struct err *e);

/* This host's name as sync records it: the host_name setting, else gethostname. */
void syncstat_host(const struct config *c, char *buf, size_t size);

/* Who recorded g: g->host, or this host when it is "" (recorded here). */
void syncstat_recorded_by(const struct config *c, const struct grant *g, char *buf, size_t size);

/* "off", "stopped", "connecting", "connected". */
const char *syncstat_state_name(enum sync_state st);

#endif
