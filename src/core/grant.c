/* grant: the rule of when a grant counts; see grant.h. */
#include "core/config.h"
#include "core/grant.h"

int
grant_live(const struct grant *g, int64_t now)
{
	return g->pinned || g->expires > now;
}

int64_t
grant_remaining(const struct grant *g, int64_t now)
{
	if (g->pinned)
		return -1;
	if (g->expires <= now)
		return 0;
	return g->expires - now > CONFIG_EXPIRY_MAX ? CONFIG_EXPIRY_MAX : g->expires - now;
}

void
grant_cap(struct grant *g, int64_t now)
{
	if (!g->pinned && g->expires > now && g->expires - now > CONFIG_EXPIRY_MAX)
		g->expires = now + CONFIG_EXPIRY_MAX;
}

int64_t
grant_overdue(const struct grant *g, int64_t now)
{
	if (g->pinned || g->expires > now)
		return 0;
	return now - g->expires;
}
