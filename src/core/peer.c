/* peer: is this descriptor a client's connection to a server here?  See peer.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/chain.h"
#include "core/peer.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71	/* Linux 5.14; older C libraries lack the name */
#endif

static int
refuse(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return 0;
}

/* The address bytes (4 or 16) and the port of an AF_INET or AF_INET6 address. */
static const unsigned char *
sa_parts(const struct sockaddr_storage *ss, size_t *n, unsigned *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		*n = 4;
		*port = ntohs(in->sin_port);
		return (const unsigned char *)&in->sin_addr;
	}
	*n = 16;
	*port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
}

/* The network namespace's cookie of socket fd: 0, or -1 and errno. */
static int
netns_cookie(int fd, uint64_t *cookie)
{
	socklen_t len = sizeof *cookie;

	return getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len);
}

/* Is socket fd of this process's network namespace?  1 yes, 0 no, -1 and errno. */
static int
same_netns(int fd)
{
	uint64_t mine, theirs;
	int s, rc, saved;

	if (netns_cookie(fd, &theirs) < 0)
		return -1;
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	rc = netns_cookie(s, &mine);
	saved = errno;
	close(s);
	errno = saved;
	return rc < 0 ? -1 : mine == theirs;
}

/*
 * The address of a line of /proc/net/tcp or tcp6: each group of eight hex
 * digits is one 32-bit word of the address as the kernel holds it (network
 * order), printed as a number of this machine's order.
 */
static int
proc_addr(const char *hex, unsigned char *bytes, size_t n)
{
	char word[9];
	uint32_t w;
	size_t i;

	if (strlen(hex) != n * 2)
		return -1;
	for (i = 0; i < n; i += 4) {
		memcpy(word, hex + i * 2, 8);
		word[8] = '\0';
		w = (uint32_t)strtoul(word, NULL, 16);
		memcpy(bytes + i, &w, 4);
	}
	return 0;
}

/*
 * Does a socket of root's listen on the address and port of local, or on
 * the wildcard address and that port, in this network namespace?  A
 * connection's local port is one a listener holds only when a server
 * accepted it: an outbound connection's is its own.  1 yes, 0 no, -1 and
 * errno when the kernel's table could not be read.
 */
static int
root_listens(const struct sockaddr_storage *local)
{
	const char *table = local->ss_family == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6";
	size_t n;
	unsigned port;
	const unsigned char *want = sa_parts(local, &n, &port);
	static const unsigned char any[16];
	unsigned char got[16];
	char line[512], hex[40];
	unsigned lport, state;
	unsigned long uid;
	int found = 0, saved;
	FILE *f;

	if ((f = fopen(table, "re")) == NULL)
		return -1;
	/* "sl local_address rem_address st tx:rx tr:when retrnsmt uid ..." */
	while (!found && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, " %*[0-9]: %39[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %lu",
		    hex, &lport, &state, &uid) != 4)
			continue;
		if (state != 0x0A /* TCP_LISTEN */ || lport != port || uid != 0 ||
		    proc_addr(hex, got, n) < 0)
			continue;
		found = memcmp(got, want, n) == 0 || memcmp(got, any, n) == 0;
	}
	saved = errno;
	if (ferror(f)) {
		fclose(f);
		errno = saved;
		return -1;
	}
	fclose(f);
	return found;
}

int
peer_accepted(int fd, struct addr *a, char *why, size_t size)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	char ltext[INET6_ADDRSTRLEN];
	int type, proto, rc;
	unsigned lport;
	socklen_t olen;
	size_t n;

	memset(&local, 0, sizeof local);
	if (getsockname(fd, (struct sockaddr *)&local, &len) < 0)
		return errno == ENOTSOCK ? refuse(why, size, "standard input is not a socket") :
		    refuse(why, size, "standard input: getsockname: %s", strerror(errno));
	if (local.ss_family == AF_UNIX)
		return refuse(why, size, "standard input is a Unix socket, not the client's "
		    "connection (as behind a TLS proxy)");
	if (local.ss_family != AF_INET && local.ss_family != AF_INET6)
		return refuse(why, size, "standard input is not an Internet socket");
	olen = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) < 0)
		return refuse(why, size, "standard input: socket type: %s", strerror(errno));
	if (type == SOCK_DGRAM)
		return refuse(why, size, "standard input is a datagram socket, not a TCP connection");
	olen = sizeof proto;
	if (type != SOCK_STREAM || getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &olen) < 0 ||
	    proto != IPPROTO_TCP)
		return refuse(why, size, "standard input is not a TCP connection");
	if ((rc = same_netns(fd)) < 0)
		return refuse(why, size, "standard input's network namespace: %s", strerror(errno));
	if (rc == 0)
		return refuse(why, size, "standard input's connection belongs to another network namespace");
	if (inet_ntop(local.ss_family, sa_parts(&local, &n, &lport), ltext, sizeof ltext) == NULL)
		return refuse(why, size, "standard input's address: %s", strerror(errno));
	if ((rc = root_listens(&local)) < 0)
		return refuse(why, size, "read the kernel's table of listeners: %s", strerror(errno));
	if (rc == 0)
		return refuse(why, size, "no socket of root's listens on %s port %u: not a "
		    "connection a server here accepted", ltext, lport);
	/* Connected, and its peer (an IPv4-mapped one as plain IPv4) is the client. */
	return chain_peer(fd, a, why, size);
}
