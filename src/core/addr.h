/*
 * addr: the one place where a client address is parsed and normalised.
 *
 * IPv4 in dotted quad, IPv6 in any form inet_pton(3) takes; an IPv4-mapped
 * IPv6 address (::ffff:192.0.2.1) is the same client as 192.0.2.1.  The
 * normal text is what Postfix looks up for the client: IPv4 dotted quad, or
 * IPv6 as inet_ntop(3) writes it (lower case, longest zero run compressed).
 */
#ifndef RG_ADDR_H
#define RG_ADDR_H

#include "core/err.h"

#define ADDR_TEXT_MAX 46	/* INET6_ADDRSTRLEN */

struct addr {
	int family;			/* AF_INET or AF_INET6 */
	unsigned char bytes[16];	/* 4 or 16 used, network order */
	char text[ADDR_TEXT_MAX];	/* normal form, NUL-terminated */
};

/* 0 and a filled *a, or -1 with e saying why s is not a client address. */
int addr_parse(const char *s, struct addr *a, struct err *e);

/*
 * Is a in one of the networks of list, written as addresses or
 * address/prefix-length and separated by spaces or commas
 * ("127.0.0.0/8, 192.168.1.0/24 ::1")?  1, 0, or -1 and e for a bad list.
 */
int addr_in_list(const struct addr *a, const char *list, struct err *e);

#endif
