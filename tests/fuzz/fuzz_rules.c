/* fuzz_rules: tcp.smtp text, parsed, compiled, written back and looked up in. */
#include "core/rules.h"
#include "fuzz.h"

#define RECS 256

struct recs {
	size_t n, total;
	struct { char *k, *d; size_t kn, dn; } r[RECS];
};

static int
keep(const char *k, size_t kn, const char *d, size_t dn, void *arg)
{
	struct recs *x = arg;

	x->total++;
	if (x->n < RECS) {
		if ((x->r[x->n].k = malloc(kn + 1)) == NULL || (x->r[x->n].d = malloc(dn + 1)) == NULL)
			abort();
		memcpy(x->r[x->n].k, k, kn);
		memcpy(x->r[x->n].d, d, dn);
		x->r[x->n].kn = kn;
		x->r[x->n].dn = dn;
		x->n++;
	}
	return 0;
}

static int
count(const char *k, size_t kn, const char *d, size_t dn, void *arg)
{
	(void)k, (void)kn, (void)d, (void)dn;
	++*(size_t *)arg;
	return 0;
}

static int
find(const char *k, size_t kn, char *buf, size_t cap, size_t *dn, void *arg)
{
	struct recs *x = arg;
	size_t i;

	for (i = 0; i < x->n; i++)
		if (x->r[i].kn == kn && memcmp(x->r[i].k, k, kn) == 0) {
			if (x->r[i].dn > cap)
				return -1;
			memcpy(buf, x->r[i].d, x->r[i].dn);
			*dn = x->r[i].dn;
			return 1;
		}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *ips[] = { "127.0.0.1", "10.0.0.5", "2001:db8::1", "::ffff:192.0.2.1" };
	struct rules r, r2;
	struct rules_errors errs;
	struct rules_answer ans;
	struct recs *x;
	char *text, ip[64];
	size_t len, n2 = 0, i;
	int rc;

	if (rules_parse((const char *)data, size, &r, &errs) != 0) {
		FUZZ_ASSERT(errs.n == 0 || errs.e[0].line >= 1);
		return 0;
	}
	if ((x = calloc(1, sizeof *x)) == NULL)
		abort();
	rc = rules_compile(&r, keep, x);
	/* Written back, the text parses again to the same rules and records. */
	if ((text = rules_text(&r, &len)) == NULL)
		abort();
	FUZZ_ASSERT(rules_parse(text, len, &r2, &errs) == 0);
	FUZZ_ASSERT(rules_count(&r2) == rules_count(&r));
	if (rc == 0) {
		FUZZ_ASSERT(rules_compile(&r2, count, &n2) == 0 && n2 == x->total);
		for (i = 0; i < sizeof ips / sizeof ips[0]; i++)
			if (rules_client_ip(ips[i], ip, sizeof ip, NULL) == 0)
				(void)rules_lookup(find, x, ip, "mx.example.org", "alice", &ans);
		for (i = 0; i < r.n && i < 4; i++)
			if (r.lines[i].kind == RULES_RULE &&
			    rules_client_ip(r.lines[i].address, ip, sizeof ip, NULL) == 0)
				(void)rules_lookup(find, x, ip, NULL, NULL, &ans);
	}
	rules_free(&r2);
	rules_free(&r);
	free(text);
	for (i = 0; i < x->n; i++) {
		free(x->r[i].k);
		free(x->r[i].d);
	}
	free(x);
	return 0;
}
