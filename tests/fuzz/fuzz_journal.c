/*
 * fuzz_journal: a grants store's journal (pagelog) left by a dead writer,
 * damaged or hostile, finished by the next opener.  An input whose first
 * byte is odd gets its checksum put right, so the fuzzer reaches the
 * records and their apply; an even one is the journal as it is.
 */
#include <fcntl.h>

#include "stores/pagelog.h"
#include "fuzz.h"

#define HDR 16

static uint64_t
fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char journal[PATH_MAX + 32], f0[PATH_MAX + 32], f1[PATH_MAX + 32];
	const char *paths[2] = { f0, f1 };
	unsigned char *b;
	uint64_t sum;
	struct err e;
	size_t n;
	int r, i;

	if (size < 1)
		return 0;
	snprintf(journal, sizeof journal, "%s/grants.journal", fuzz_dir());
	snprintf(f0, sizeof f0, "%s/grants.db", fuzz_dir());
	snprintf(f1, sizeof f1, "%s/grants-meta.db", fuzz_dir());
	fuzz_write(f0, "0123456789abcdef", 16);
	fuzz_write(f1, "", 0);
	n = size - 1;
	if ((b = malloc(n + 1)) == NULL)
		abort();
	memcpy(b, data + 1, n);
	if ((data[0] & 1) && n >= 8 + HDR && b[n - HDR] == 'E') {
		sum = fnv(0xcbf29ce484222325ULL, b, n - HDR);
		for (i = 0; i < 8; i++)
			b[n - HDR + 8 + i] = (unsigned char)(sum >> (8 * i));
	}
	fuzz_write(journal, b, n);
	r = pagelog_recover(journal, paths, 2, 0, &e);
	FUZZ_ASSERT(r >= -1 && r <= 1);
	/* A journal is finished (applied and gone) or refused (kept for repair). */
	if (r == 1)
		FUZZ_ASSERT(access(journal, F_OK) < 0);
	else if (r < 0)
		FUZZ_ASSERT(e.msg[0] != '\0');
	unlink(journal);
	free(b);
	return 0;
}
