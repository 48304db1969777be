/* ticket: a login's word from the unprivileged half to the privileged one; see ticket.h. */
#define _GNU_SOURCE		/* struct ucred, SO_PASSCRED, SCM_CREDENTIALS */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/ticket.h"

/* *fd moved to the first free descriptor from min, when below it.  0, or -1 and errno. */
static int
move_up(int *fd, int min)
{
	int high;

	if (*fd >= min)
		return 0;
	if ((high = fcntl(*fd, F_DUPFD_CLOEXEC, min)) < 0)
		return -1;
	close(*fd);
	*fd = high;
	return 0;
}

int
ticket_pair(int *keep, int *give, struct err *e)
{
	int fds[2], on = 1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) {
		err_set(e, ERR_TEMP, errno, "make the login's socket pair");
		return -1;
	}
	/* The chain's end out of the way of its own descriptors (qmail-popup
	 * and every checkpassword program use 3, Dovecot's 4 too) and kept
	 * across exec; the waiting end clear of 0, 1 and 2, which the waiter
	 * reopens; the kernel attaches each sender's ids to what it receives. */
	if (move_up(&fds[1], TICKET_FD_MIN) < 0 || move_up(&fds[0], 3) < 0 ||
	    setsockopt(fds[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0 ||
	    fcntl(fds[1], F_SETFD, 0) < 0) {
		err_set(e, ERR_TEMP, errno, "set up the login's socket pair");
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	*keep = fds[0];
	*give = fds[1];
	return 0;
}

int
ticket_wait(int keep, struct ticket *t, struct err *e)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	char data[GRANT_USER_MAX + 64];
	struct iovec iov = { data, sizeof data - 1 };
	struct msghdr m;
	struct cmsghdr *c;
	struct ucred cred;
	struct passwd *pw;
	const char *proto, *user, *z;
	ssize_t n;
	int have = 0;

	memset(t, 0, sizeof *t);
	memset(&m, 0, sizeof m);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof ctl.buf;
	while ((n = recvmsg(keep, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0) {
		err_set(e, ERR_TEMP, errno, "read the login's ticket");
		return -1;
	}
	if (n == 0)
		return 0;
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof cred)) {
			memcpy(&cred, CMSG_DATA(c), sizeof cred);
			have = 1;
		}
	if (!have || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		err_set(e, ERR_PERM, 0, "a login's ticket without the sender's ids, or too long");
		return -1;
	}
	/* "proto\0user\0" */
	data[n] = '\0';
	proto = data;
	if ((z = memchr(data, '\0', (size_t)n)) == NULL) {
		err_set(e, ERR_PERM, 0, "a login's ticket that is not \"protocol, user\"");
		return -1;
	}
	user = z + 1;		/* data[n] ends it */
	if (strlen(proto) >= sizeof t->proto || strlen(user) >= sizeof t->user) {
		err_set(e, ERR_PERM, 0, "a login's ticket with a protocol or user too long");
		return -1;
	}
	t->uid = (unsigned long)cred.uid;
	memcpy(t->proto, proto, strlen(proto) + 1);
	if (cred.uid == 0)
		memcpy(t->user, user, strlen(user) + 1);
	else if ((pw = getpwuid(cred.uid)) != NULL)
		snprintf(t->user, sizeof t->user, "%s", pw->pw_name);
	else
		snprintf(t->user, sizeof t->user, "uid %lu", t->uid);
	return 1;
}

int
ticket_answer(int keep, int recorded, struct err *e)
{
	char c = recorded ? 'y' : 'n';

	if (send(keep, &c, 1, MSG_NOSIGNAL) != 1) {
		err_set(e, ERR_TEMP, errno, "answer the login's ticket");
		return -1;
	}
	return 0;
}

int
ticket_send(int fd, const char *user, const char *proto, int ms, struct err *e)
{
	char data[GRANT_USER_MAX + 64];
	struct pollfd p = { fd, POLLIN, 0 };
	int n, rc;
	char c;

	n = snprintf(data, sizeof data, "%s%c%s", proto, '\0', user);
	if (n < 0 || (size_t)n >= sizeof data) {
		err_set(e, ERR_PERM, 0, "a user name too long for the login's ticket");
		return -1;
	}
	if (send(fd, data, (size_t)n + 1, MSG_NOSIGNAL) != n + 1) {
		err_set(e, ERR_TEMP, errno, "send the login's ticket (%s)", TICKET_ENV);
		return -1;
	}
	while ((rc = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	if (rc == 0) {
		err_set(e, ERR_TEMP, 0, "no answer to the login's ticket within %d ms", ms);
		return -1;
	}
	if (rc < 0 || recv(fd, &c, 1, 0) != 1) {
		err_set(e, ERR_TEMP, rc < 0 ? errno : 0, "read the answer to the login's ticket");
		return -1;
	}
	return c == 'y';
}
