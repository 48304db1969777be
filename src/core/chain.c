/* chain: the decisions of relaygate-allow and relaygate-check; see chain.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>

#include "core/chain.h"
#include "core/config.h"
#include "core/relay.h"

/* Which variable holds the client's address: TCPREMOTEIP, else IP, else NULL. */
static const char *
client_var(void)
{
	if (getenv("TCPREMOTEIP") != NULL)
		return "TCPREMOTEIP";
	if (getenv("IP") != NULL)
		return "IP";
	return NULL;
}

const char *
chain_client(void)
{
	const char *v = client_var();

	return v == NULL ? NULL : getenv(v);
}

int
chain_peer(int fd, struct addr *a, char *why, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char text[INET6_ADDRSTRLEN];
	const void *bytes;

	memset(&ss, 0, sizeof ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) {
		if (errno == ENOTSOCK)
			snprintf(why, size, "standard input is not a socket");
		else
			snprintf(why, size, "standard input has no peer (%s)", strerror(errno));
		return 0;
	}
	if (ss.ss_family == AF_INET)
		bytes = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		bytes = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	else {
		snprintf(why, size, "standard input is not a TCP connection");
		return 0;
	}
	if (inet_ntop(ss.ss_family, bytes, text, sizeof text) == NULL ||
	    addr_parse(text, a, NULL) < 0) {
		snprintf(why, size, "standard input's peer has no address");
		return 0;
	}
	return 1;
}

int
chain_client_addr(struct addr *a, const char **from, char *why, size_t size)
{
	const char *v = client_var();
	struct err e;

	if (v != NULL) {
		*from = v;
		if (addr_parse(getenv(v), a, &e) < 0) {
			snprintf(why, size, "%s", e.msg);
			return -1;
		}
		return 1;
	}
	/* inetd sets no variable: the connection itself is the client's. */
	*from = CHAIN_FROM_PEER;
	return chain_peer(0, a, why, size);
}

/* Is fd a TCP/IP socket (not a pipe, a file, a terminal or a Unix socket)? */
static int
inet_socket(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	memset(&ss, 0, sizeof ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	return ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
}

/* chain_log_leave_stderr let standard error go: log through syslog. */
static int log_syslog;

int
chain_log_leave_stderr(void)
{
	return log_syslog = inet_socket(2);
}

void
chain_recorded(const struct addr *a, int rc, const struct err *e, long expiry,
    const char *user, const char *proto, const char *note, char *log, size_t size)
{
	if (rc < 0)
		snprintf(log, size, "%s; nothing recorded for %s%s", e->msg, a->text, note);
	else if (rc == RELAY_UNCHANGED)
		snprintf(log, size, "%s is pinned; left as it is%s", a->text, note);
	else
		snprintf(log, size, "%s may relay for %lds (user %s, %s)%s",
		    a->text, expiry, *user ? user : "-", proto, note);
}

void
chain_log(const char *prog, const char *fmt, ...)
{
	va_list ap;
	char line[2048];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (log_syslog || inet_socket(2)) {
		openlog(prog, LOG_PID, LOG_MAIL);
		syslog(LOG_NOTICE, "%s", line);
		closelog();
		return;
	}
	/* A log line that cannot be written has nowhere else to go. */
	(void)fprintf(stderr, "%s: %s\n", prog, line);
}

/* Config and client address, or a log line saying why not. */
int
chain_setup(struct config *c, struct addr *a, const char **from, const char *consequence,
    struct chain_result *r)
{
	struct err e;
	char why[sizeof e.msg];
	int got;

	if (config_load(c, NULL, config_env_trusted(), &e) < 0) {
		snprintf(r->log, sizeof r->log, "%s; %s", e.msg, consequence);
		return -1;
	}
	if ((got = chain_client_addr(a, from, why, sizeof why)) < 0) {
		snprintf(r->log, sizeof r->log, "%s; %s", why, consequence);
		return -1;
	}
	if (got == 0) {
		snprintf(r->log, sizeof r->log,
		    "no client address (TCPREMOTEIP or IP) in the environment, and %s; %s",
		    why, consequence);
		return -1;
	}
	return 0;
}

