/* addr: parsing and normalising client addresses; see addr.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* A short, printable rendering of untrusted input for error messages. */
static void
quote(char *out, size_t outsz, const char *s)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0' && o + 5 < outsz; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
	}
	if (s[i] != '\0' && o + 4 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

int
addr_parse(const char *s, struct addr *a, struct err *e)
{
	char q[64];

	memset(a, 0, sizeof *a);
	if (s == NULL || *s == '\0') {
		err_set(e, ERR_PERM, 0, "empty address");
		return -1;
	}
	if (strlen(s) >= ADDR_TEXT_MAX) {
		quote(q, sizeof q, s);
		err_set(e, ERR_PERM, 0, "bad address \"%s\": too long", q);
		return -1;
	}
	if (inet_pton(AF_INET, s, a->bytes) == 1) {
		a->family = AF_INET;
	} else if (inet_pton(AF_INET6, s, a->bytes) == 1) {
		a->family = AF_INET6;
		if (memcmp(a->bytes, v4mapped, sizeof v4mapped) == 0) {
			memmove(a->bytes, a->bytes + 12, 4);
			memset(a->bytes + 4, 0, 12);
			a->family = AF_INET;
		}
	} else {
		quote(q, sizeof q, s);
		err_set(e, ERR_PERM, 0,
		    "bad address \"%s\": not an IPv4 or IPv6 address", q);
		return -1;
	}
	if (inet_ntop(a->family, a->bytes, a->text, sizeof a->text) == NULL) {
		err_set(e, ERR_PERM, 0, "bad address: cannot format");
		return -1;
	}
	return 0;
}
