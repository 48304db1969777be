/* sched: the expiry schedule as a non-blocking step; see sched.h. */
#include <string.h>

#include "core/relay.h"
#include "core/sched.h"

void
sched_init(struct sched *s, long interval_ms, int64_t now_ms)
{
	memset(s, 0, sizeof *s);
	s->interval_ms = interval_ms > 0 ? interval_ms : 1;
	s->due_ms = now_ms;
}

long
sched_wait_ms(const struct sched *s, int64_t now_ms)
{
	return s->due_ms > now_ms ? (long)(s->due_ms - now_ms) : 0;
}

int
sched_step(struct sched *s, const struct config *c, int64_t now_ms, int *health_changed)
{
	struct err e;
	int64_t when;
	long removed;
	int was = s->failing;

	*health_changed = 0;
	if (now_ms < s->due_ms)
		return 0;
	s->due_ms = now_ms + s->interval_ms;
	if (relay_expire(c, now_ms / 1000, &removed, &e) < 0) {
		/* Missing, locked or damaged: say so once, and keep trying. */
		*health_changed = !was || strcmp(e.msg, s->err.msg) != 0;
		s->failing = 1;
		s->err = e;
		return -1;
	}
	*health_changed = was;
	s->failing = 0;
	err_clear(&s->err);
	s->last_ms = now_ms;
	s->last_removed = removed;
	s->total_removed += removed;
	/* Wake for the next grant to expire, if that comes first. */
	if (relay_next_expiry(c, &when, &e) == 1 && when * 1000 < s->due_ms)
		s->due_ms = when * 1000 > now_ms ? when * 1000 : now_ms + 1;
	return 1;
}

int
sched_overdue(const struct view_counts *n, long interval_ms, int64_t now)
{
	return n->expired > 0 && (now - n->oldest_expired) * 1000 > 2 * (int64_t)interval_ms;
}
