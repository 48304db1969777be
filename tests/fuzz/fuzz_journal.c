/*
 * fuzz_journal: a grants store's journal (pagelog) left by a dead writer,
 * damaged or hostile, finished by the next opener.  An input whose first
 * byte has bit 1 set is the body of a block after a header (today's
 * layout, a header of another boot): the header is put in front and the
 * block's checksum put right; else, with bit 0 set, the input is a
 * journal of one block at its start (earlier versions' layout) with its
 * checksum put right; else the journal is the input as it is.  The
 * journal is written in place (pagelog.h): whatever it held, it is empty
 * afterwards, applied or not, as no input can be settled in this boot;
 * pagelog_check agrees with what recover did.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stores/pagelog.h"
#include "fuzz.h"

#define HDR 16

#define JALIGN 512

static uint64_t
fnv(uint64_t h, const unsigned char *p, size_t n)
{
	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* pagelog.c's fnv_words: a little-endian 64-bit word at a time. */
static uint64_t
fnv_words(uint64_t h, const unsigned char *p, size_t n)
{
	uint64_t w;
	int i;

	for (; n >= 8; n -= 8, p += 8) {
		for (w = 0, i = 7; i >= 0; i--)
			w = w << 8 | p[i];
		h ^= w;
		h *= 0x100000001b3ULL;
	}
	return fnv(h, p, n);
}

static void
put_le(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* A header of another boot (a boot id of zeros), settled up to JALIGN, then the block body. */
static unsigned char *
after_header(const unsigned char *body, size_t len, size_t *n)
{
	unsigned char *b;
	size_t end;

	if ((b = calloc(1, JALIGN + len + 1)) == NULL)
		abort();
	memcpy(b, "RGJOURN2", 8);
	put_le(b + 24, JALIGN);
	put_le(b + 32, fnv(0xcbf29ce484222325ULL, b, 32));
	memcpy(b + JALIGN, body, len);
	*n = JALIGN + len;
	/* The body's last 16 bytes, when they are an end record: its sum put right. */
	end = *n - HDR;
	if (len >= 8 + HDR && b[end] == 'E' && (end - JALIGN) % 8 == 0)
		put_le(b + end + 8, fnv_words(0xcbf29ce484222325ULL, b + JALIGN, end - JALIGN));
	return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char journal[PATH_MAX + 32], f0[PATH_MAX + 32], f1[PATH_MAX + 32];
	const char *paths[2] = { f0, f1 };
	unsigned char *b;
	uint64_t sum;
	struct err e;
	struct stat st;
	size_t n;
	int r, c, i, jfd, fds[2];

	if (size < 1)
		return 0;
	snprintf(journal, sizeof journal, "%s/grants.journal", fuzz_dir());
	snprintf(f0, sizeof f0, "%s/grants.db", fuzz_dir());
	snprintf(f1, sizeof f1, "%s/grants-meta.db", fuzz_dir());
	fuzz_write(f0, "0123456789abcdef", 16);
	fuzz_write(f1, "", 0);
	n = size - 1;
	if (data[0] & 2) {
		b = after_header(data + 1, n, &n);
	} else if ((b = malloc(n + 1)) == NULL) {
		abort();
	} else {
		memcpy(b, data + 1, n);
	}
	if (!(data[0] & 2) && (data[0] & 1) && n >= 8 + HDR && b[n - HDR] == 'E') {
		sum = fnv(0xcbf29ce484222325ULL, b, n - HDR);
		for (i = 0; i < 8; i++)
			b[n - HDR + 8 + i] = (unsigned char)(sum >> (8 * i));
	}
	fuzz_write(journal, b, n);
	if ((jfd = open(journal, O_RDWR | O_CLOEXEC)) < 0 ||
	    (fds[0] = open(f0, O_RDWR | O_CLOEXEC)) < 0 ||
	    (fds[1] = open(f1, O_RDWR | O_CLOEXEC)) < 0)
		abort();
	c = pagelog_check(jfd, journal, 2, &e);
	FUZZ_ASSERT(c >= 0 && c <= 2);
	FUZZ_ASSERT((c == 0) == (n == 0));
	r = pagelog_recover(jfd, journal, fds, paths, 2, 0, &e);
	FUZZ_ASSERT(r >= -1 && r <= 1);
	/* A whole journal is applied, anything else emptied unread; either way it is empty after. */
	if (r >= 0) {
		FUZZ_ASSERT(r == (c == 1));
		FUZZ_ASSERT(fstat(jfd, &st) == 0 && st.st_size == 0);
	} else {
		FUZZ_ASSERT(e.msg[0] != '\0');
	}
	close(fds[0]);
	close(fds[1]);
	close(jfd);
	unlink(journal);
	free(b);
	return 0;
}
