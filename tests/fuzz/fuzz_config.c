/* fuzz_config: a relaygate.conf, read from a file as every program reads it. */
#include "core/addr.h"
#include "core/config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[PATH_MAX + 32];
	struct config c;
	struct addr a;
	struct err e;

	snprintf(path, sizeof path, "%s/relaygate.conf", fuzz_dir());
	fuzz_write(path, data, size);
	if (config_load(&c, path, 0, &e) < 0) {
		/* Every refusal names the file, on one line. */
		FUZZ_ASSERT(strstr(e.msg, path) != NULL && strchr(e.msg, '\n') == NULL);
		return 0;
	}
	/* What loaded is whole: nothing is left to fail at the first login. */
	FUZZ_ASSERT(c.expiry >= 1 && c.expiry <= CONFIG_EXPIRY_MAX);
	FUZZ_ASSERT(c.dir[0] == '/' && c.passwords[0] == '/');
	FUZZ_ASSERT(addr_parse("192.0.2.1", &a, NULL) == 0);
	FUZZ_ASSERT(addr_in_list(&a, c.plain_networks, NULL) >= 0);
	FUZZ_ASSERT(addr_parse("2001:db8::1", &a, NULL) == 0);
	FUZZ_ASSERT(addr_in_list(&a, c.plain_networks, NULL) >= 0);
	return 0;
}
