/* grant: the rule of when a grant counts; see grant.h. */
#include "core/grant.h"

int
grant_live(const struct grant *g, int64_t now)
{
	return g->pinned || g->expires > now;
}
