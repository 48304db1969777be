/* addr: parsing and normalising client addresses; see addr.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
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

/* a in net/bits: 1, 0, or -1 when the network is malformed. */
static int
in_net(const struct addr *a, const char *net, struct err *e)
{
	char buf[80], *slash, *end, q[64];
	struct addr n;
	long bits;
	int i, max;

	quote(q, sizeof q, net);
	if (strlen(net) >= sizeof buf) {
		err_set(e, ERR_PERM, 0, "bad network \"%s\"", q);
		return -1;
	}
	snprintf(buf, sizeof buf, "%s", net);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (addr_parse(buf, &n, NULL) < 0) {
		err_set(e, ERR_PERM, 0, "bad network \"%s\": not an address", q);
		return -1;
	}
	max = n.family == AF_INET ? 32 : 128;
	bits = max;
	if (slash != NULL) {
		bits = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || bits < 0 || bits > max) {
			err_set(e, ERR_PERM, 0, "bad network \"%s\": prefix length 0 to %d", q, max);
			return -1;
		}
	}
	if (n.family != a->family)
		return 0;
	for (i = 0; bits > 0; i++, bits -= 8) {
		unsigned char mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((a->bytes[i] & mask) != (n.bytes[i] & mask))
			return 0;
	}
	return 1;
}

int
addr_in_list(const struct addr *a, const char *list, struct err *e)
{
	char net[80];
	const char *p = list;
	size_t n;
	int r, found = 0;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		if ((n = strcspn(p, " \t,")) == 0)
			break;
		if (n >= sizeof net)
			n = sizeof net - 1;
		memcpy(net, p, n);
		net[n] = '\0';
		if ((r = in_net(a, net, e)) < 0)
			return -1;
		found |= r;
		p += strcspn(p, " \t,");
	}
	return found;
}
