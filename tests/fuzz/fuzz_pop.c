/* fuzz_pop: the checkpassword input on fd 3 (user, password, timestamp), as relaygate-checkpw reads it. */
#include "core/pop.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop_login l;
	const char *why = NULL;
	struct err e;
	char hex[33];

	if (pop_parse((const char *)data, size, &l, &why) < 0) {
		FUZZ_ASSERT(why != NULL && *why != '\0');
		return 0;
	}
	FUZZ_ASSERT(size <= POP_INPUT_MAX);
	FUZZ_ASSERT(l.user[0] != '\0' && strnlen(l.user, sizeof l.user) < sizeof l.user);
	FUZZ_ASSERT(strnlen(l.pass, sizeof l.pass) < sizeof l.pass);
	FUZZ_ASSERT(strnlen(l.timestamp, sizeof l.timestamp) < sizeof l.timestamp);
	if (pop_user_ok(l.user, &e) == 0)
		FUZZ_ASSERT(strchr(l.user, '/') == NULL && strstr(l.user, "..") == NULL);
	FUZZ_ASSERT(pop_apop_digest(l.timestamp, l.pass, hex) == 0 && strlen(hex) == 32);
	pop_wipe(&l);
	return 0;
}
