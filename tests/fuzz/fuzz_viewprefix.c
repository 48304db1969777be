/* fuzz_viewprefix: what an admin types as an address prefix or filter (relaygate list PREFIX, the console's filter). */
#include "core/view.h"
#include "fuzz.h"

/* Input: prefixes separated by '\n', added to one filter; then the first as a console filter. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *p, *nl;
	struct view_filter f, g;
	struct err e;
	size_t i;

	memset(&f, 0, sizeof f);
	for (p = s; p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		(void)view_filter_prefix(&f, p, &e);
		FUZZ_ASSERT(f.nranges <= VIEW_RANGES_MAX);
	}
	for (i = 0; i < f.nranges; i++) {
		FUZZ_ASSERT(f.range[i].lo[0] == f.range[i].hi[0]);
		FUZZ_ASSERT(f.range[i].lo[0] == 4 || f.range[i].lo[0] == 6);
		FUZZ_ASSERT(memcmp(f.range[i].lo, f.range[i].hi,
		    f.range[i].lo[0] == 4 ? 5 : 17) <= 0);
	}
	memset(&g, 0, sizeof g);
	if (view_filter_parse(&g, s, &e) == 0)
		FUZZ_ASSERT(g.nranges <= VIEW_RANGES_MAX && strnlen(g.user, sizeof g.user) < sizeof g.user);
	free(s);
	return 0;
}
