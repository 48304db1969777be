/* fuzz_addr: a client address and a network list, as the chain programs and the configuration give them. */
#include "core/addr.h"
#include "fuzz.h"

/* Input: ADDRESS, optionally '\n' and a network list. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *list = strchr(s, '\n');
	struct addr a, b;
	struct err e;
	int r;

	if (list != NULL)
		*list++ = '\0';
	if (addr_parse(s, &a, &e) == 0) {
		/* The normal form is an address too, and its own normal form. */
		FUZZ_ASSERT(addr_parse(a.text, &b, NULL) == 0);
		FUZZ_ASSERT(strcmp(a.text, b.text) == 0 && a.family == b.family);
		FUZZ_ASSERT(memcmp(a.bytes, b.bytes, sizeof a.bytes) == 0);
		FUZZ_ASSERT(addr_in_list(&a, a.text, NULL) == 1);
		if (list != NULL) {
			r = addr_in_list(&a, list, &e);
			FUZZ_ASSERT(r >= -1 && r <= 1);
		}
	} else {
		FUZZ_ASSERT(e.msg[0] != '\0' && strchr(e.msg, '\n') == NULL);
	}
	free(s);
	return 0;
}
