/*
 * fuzz_btread: a Berkeley DB btree file, damaged or hostile, read by
 * btread (relaygate-check's look-up).  The input is the whole file.  A few
 * fixed keys (those of the seeds in corpus/btread) and a few cut from the
 * input itself are looked up, whole and into a short buffer, then
 * prefetched and looked up again.  Whatever the file holds, every answer
 * is -1, 0 or 1, an error names the file, a short buffer gives the same
 * answer as a long one, a value read whole is no longer than the file,
 * and a prefetch changes no answer and fails only where a look-up does.
 */
#include <fcntl.h>
#include <unistd.h>

#include "stores/btread.h"
#include "fuzz.h"

#define NFIXED 10
#define NCUT 4
#define NKEYS (NFIXED + NCUT)
#define VCAP 65536
#define SHORT 7

struct answer {
	int r;
	size_t vlen;
	unsigned char head[SHORT];
};

/* Key i into *k: a fixed one, or one cut from the input. */
static void
key_of(size_t i, const uint8_t *data, size_t size, struct btread_key *k)
{
	/* Keys of the seeds: the two-level trees, overflow data and keys, the grants files. */
	static const struct btread_key fixed[NFIXED - 1] = {
		{ "", 0 }, { "k00", 3 }, { "k07", 3 }, { "k39", 3 }, { "big", 3 },
		{ "a", 1 }, { "10.0.0.1", 9 }, { "192.0.2.1", 10 },
		{ "a\4\300\0\2\4", 6 },
	};
	static char longkey[153];
	size_t at, h;

	if (i < NFIXED - 1) {
		*k = fixed[i];
		return;
	}
	if (i == NFIXED - 1) {
		memset(longkey, 'p', 150);
		memcpy(longkey + 150, "k03", 3);
		k->p = longkey;
		k->n = sizeof longkey;
		return;
	}
	h = size >= 2 ? (size_t)data[size - 1] << 8 | data[size - 2] : 0;
	at = (h * (i + 1) * 2654435761u) % (size > 0 ? size : 1);
	k->p = data + at;
	k->n = size - at < 1 + (h >> (i - NFIXED)) % 24 ? size - at : 1 + (h >> (i - NFIXED)) % 24;
}

static void
ask(struct btread *t, const char *path, const struct btread_key *k, size_t size,
    unsigned char *v, struct answer *a)
{
	unsigned char s[SHORT];
	struct err e;
	size_t n = 0, m;
	int r2;

	e.msg[0] = '\0';
	a->r = btread_get(t, k->p, k->n, v, VCAP, &a->vlen, &e);
	FUZZ_ASSERT(a->r >= -1 && a->r <= 1);
	if (a->r == -1)
		FUZZ_ASSERT(strstr(e.msg, path) != NULL);
	if (a->r == 1) {
		/* Read whole, a value came from distinct pages of the file. */
		FUZZ_ASSERT(a->vlen > VCAP || a->vlen <= size);
		memcpy(a->head, v, a->vlen < SHORT ? a->vlen : SHORT);
	}
	r2 = btread_get(t, k->p, k->n, s, sizeof s, &n, &e);
	FUZZ_ASSERT(r2 >= -1 && r2 <= 1);
	if (a->r >= 0)
		FUZZ_ASSERT(r2 == a->r);
	else
		FUZZ_ASSERT(r2 != 0);	/* the same search; only the value's tail went unread */
	if (a->r == 1) {
		m = a->vlen < SHORT ? a->vlen : SHORT;
		FUZZ_ASSERT(n == a->vlen && memcmp(s, a->head, m) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char v[VCAP];
	char path[PATH_MAX + 16];
	struct btread_key keys[NKEYS];
	struct answer before[NKEYS], after;
	struct btread t;
	struct err e;
	size_t i;
	int fd, p, failed = 0;

	snprintf(path, sizeof path, "%s/grants.db", fuzz_dir());
	fuzz_write(path, data, size);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		abort();
	e.msg[0] = '\0';
	if (btread_open(&t, fd, path, &e) < 0) {
		FUZZ_ASSERT(strstr(e.msg, path) != NULL);
		close(fd);
		return 0;
	}
	FUZZ_ASSERT(size >= 512);
	for (i = 0; i < NKEYS; i++) {
		key_of(i, data, size, &keys[i]);
		ask(&t, path, &keys[i], size, v, &before[i]);
		failed |= before[i].r == -1;
	}
	p = btread_prefetch(&t, keys, NKEYS, &e);
	FUZZ_ASSERT(p == 0 || (p == -1 && failed && strstr(e.msg, path) != NULL));
	for (i = 0; i < NKEYS; i++) {
		ask(&t, path, &keys[i], size, v, &after);
		FUZZ_ASSERT(after.r == before[i].r);
		if (after.r == 1)
			FUZZ_ASSERT(after.vlen == before[i].vlen &&
			    memcmp(after.head, before[i].head,
			    after.vlen < SHORT ? after.vlen : SHORT) == 0);
	}
	btread_close(&t);
	close(fd);
	return 0;
}
