/*
 * fuzz_grantrec: the records of the grants store read back from a damaged
 * or hostile file: a grants.db value, a details record of grants-meta.db,
 * and a key of each of its orders.  The first byte says which.
 */
#include "stores/grantdb.h"
#include "stores/grantrec.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char buf[GRANTREC_META_MAX], k[GRANTDB_KEY_MAX];
	struct grant g, g2;
	enum grantdb_index ix;
	int64_t expires;
	size_t n, kn;
	int pinned;

	if (size < 1)
		return 0;
	n = size - 1;
	switch (data[0] % 5) {
	case 0:		/* a details record: what decodes encodes to the same bytes */
		memset(&g, 0, sizeof g);
		if (grantrec_meta_decode(data + 1, n, &g) < 0)
			return 0;
		FUZZ_ASSERT(grantrec_meta_encode(&g, buf, &kn) == 0);
		FUZZ_ASSERT(kn == n && memcmp(buf, data + 1, n) == 0);
		FUZZ_ASSERT(strnlen(g.user, sizeof g.user) < sizeof g.user);
		FUZZ_ASSERT(strnlen(g.note, sizeof g.note) < sizeof g.note);
		break;
	case 1:		/* a grants.db value */
		if (grantrec_value_decode((const char *)data + 1, n, &expires, &pinned) < 0)
			return 0;
		FUZZ_ASSERT(expires >= 0 && pinned == (expires == 0));
		break;
	default:	/* an order's key: what parses makes a key that parses alike */
		ix = data[0] % 5 == 2 ? GRANTDB_BY_ADDR :
		    data[0] % 5 == 3 ? GRANTDB_BY_EXPIRY : GRANTDB_BY_USER;
		if (grantdb_key_parse(ix, data + 1, n, &g) < 0)
			return 0;
		FUZZ_ASSERT(g.addr[0] != '\0');
		if ((kn = grantdb_key(ix, &g, k)) == 0)
			return 0;
		FUZZ_ASSERT(kn <= GRANTDB_KEY_MAX);
		FUZZ_ASSERT(grantdb_key_parse(ix, k, kn, &g2) == 0);
		FUZZ_ASSERT(grantdb_key(ix, &g2, buf) == kn && memcmp(buf, k, kn) == 0);
		break;
	}
	return 0;
}
