/*
 * sched: when to sweep expired grants, as a step a main loop drives.
 *
 * The expiry loop (relaygate expire --loop) and the console both run the
 * same schedule: sweep at once, then every interval, and sooner when a
 * grant expires before the next interval is up.  sched_step never blocks
 * and never touches signals; the caller sleeps (or waits for keys) until
 * sched_wait_ms says the next sweep is due.
 */
#ifndef RG_SCHED_H
#define RG_SCHED_H

#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/view.h"

/* How many of a sweep's removed addresses a schedule keeps, for the log. */
#define SCHED_NAMED 10

struct sched {
	long interval_ms;
	int64_t due_ms;			/* next sweep, wall clock in ms */
	int64_t last_ms;		/* when the last sweep ran; 0 never */
	long last_removed;		/* what it removed */
	char named[SCHED_NAMED][ADDR_TEXT_MAX];	/* the first of them */
	long total_removed;		/* since sched_init */
	int failing;			/* the last sweep failed (err says why) */
	struct err err;
};

/*
 * The last sweep's removals for a log line, into buf: "192.0.2.1,
 * 192.0.2.7 (2 grants)", at most SCHED_NAMED addresses, then "and N more".
 */
void sched_removed_text(const struct sched *s, char *buf, size_t size);

/* A schedule sweeping every interval_ms, the first sweep due at now_ms. */
void sched_init(struct sched *s, long interval_ms, int64_t now_ms);

/* Milliseconds until the next sweep is due (0: due now). */
long sched_wait_ms(const struct sched *s, int64_t now_ms);

/*
 * Sweep if due at now_ms, then set the next due time.  0 not due;
 * 1 swept (s->last_removed); -1 the sweep failed (s->err; retried next
 * interval).  *health_changed is set when failing turned on or off, so a
 * face can say so once rather than at every attempt.
 */
int sched_step(struct sched *s, const struct config *c, int64_t now_ms,
    int *health_changed);

/*
 * Is an expiry loop missing?  1 when some grant expired more than two
 * intervals (of interval_ms) before now and is still in the store, so
 * nobody is sweeping: Postfix relays for such grants until they go.
 */
int sched_overdue(const struct view_counts *n, long interval_ms, int64_t now);

#endif
