/* sched: the expiry schedule as a non-blocking step; see sched.h. */
#include <stdio.h>
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

/* The first SCHED_NAMED addresses a sweep removes. */
struct naming {
	long n;
	char named[SCHED_NAMED][ADDR_TEXT_MAX];
};

static void
name_removed(const char *addr, void *arg)
{
	struct naming *k = arg;

	if (k->n < SCHED_NAMED)
		snprintf(k->named[k->n], sizeof k->named[0], "%s", addr);
	k->n++;
}

void
sched_removed_text(const struct sched *s, char *buf, size_t size)
{
	size_t n = 0;
	long i;

	buf[0] = '\0';
	for (i = 0; i < s->last_removed && i < SCHED_NAMED && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", s->named[i]);
	if (s->last_removed > SCHED_NAMED && n < size)
		n += (size_t)snprintf(buf + n, size - n, " and %ld more",
		    s->last_removed - SCHED_NAMED);
	if (n < size)
		snprintf(buf + n, size - n, " (%ld grant%s)", s->last_removed,
		    s->last_removed == 1 ? "" : "s");
}

int
sched_step(struct sched *s, const struct config *c, int64_t now_ms, int *health_changed)
{
	struct naming k;
	struct err e;
	int64_t when;
	long removed, tidied;
	int was = s->failing;

	*health_changed = 0;
	if (now_ms < s->due_ms)
		return 0;
	s->due_ms = now_ms + s->interval_ms;
	k.n = 0;
	if (relay_expire_each(c, now_ms / 1000, &removed, name_removed, &k, &e) < 0 ||
	    relay_tidy(c, &tidied, &e) < 0) {
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
	memcpy(s->named, k.named, sizeof s->named);
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
