/*
 * prompt: a secret asked on the terminal; see prompt.h.
 *
 * The signals that end or stop a program at a terminal are blocked for the
 * whole question except inside pselect(), so one can only arrive there: its
 * handler just notes it, and the code below restores the terminal, gives
 * the signal back its own action and raises it again.  Nothing but an
 * assignment runs in the handler.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>
#include <termios.h>
#include <unistd.h>

#include "cli/prompt.h"

static const int asked_sigs[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU
};
#define NSIGS (sizeof asked_sigs / sizeof asked_sigs[0])

/* The signal that arrived while asking: written by on_signal alone. */
static volatile sig_atomic_t caught;

static void
on_signal(int sig)
{
	caught = sig;
}

/* What one question changes, to be put back. */
struct asking {
	int tty;
	struct termios saved;		/* the terminal as it was */
	struct sigaction old[NSIGS];	/* the signals' own actions */
	int took[NSIGS];		/* 1: on_signal is installed for it */
	sigset_t mask;			/* the signal mask as it was */
};

static int
stop_signal(int sig)
{
	return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* Put the signals' actions and the mask back as they were. */
static int
restore_signals(struct asking *a)
{
	int rc = 0;
	size_t i;

	for (i = 0; i < NSIGS; i++)
		if (a->took[i] && sigaction(asked_sigs[i], &a->old[i], NULL) < 0)
			rc = -1;
	if (sigprocmask(SIG_SETMASK, &a->mask, NULL) < 0)
		rc = -1;
	return rc;
}

/*
 * Block the signals, catch those not ignored, and turn echo off; nothing
 * is written and no input is flushed.  0, or -1 and errno (all undone).
 */
static int
begin(struct asking *a, int tty)
{
	struct sigaction sa;
	struct termios quiet;
	sigset_t block;
	size_t i;
	int e;

	memset(a, 0, sizeof *a);
	a->tty = tty;
	sigemptyset(&block);
	for (i = 0; i < NSIGS; i++)
		sigaddset(&block, asked_sigs[i]);
	if (sigprocmask(SIG_BLOCK, &block, &a->mask) < 0)
		return -1;
	if (tcgetattr(tty, &a->saved) < 0)
		goto undo;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_mask = block;
	sa.sa_flags = 0;		/* no SA_RESTART: pselect returns EINTR */
	for (i = 0; i < NSIGS; i++) {
		if (sigaction(asked_sigs[i], NULL, &a->old[i]) < 0)
			goto undo;
		if (a->old[i].sa_handler == SIG_IGN)
			continue;	/* the caller's choice stands */
		if (sigaction(asked_sigs[i], &sa, NULL) < 0)
			goto undo;
		a->took[i] = 1;
	}
	quiet = a->saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(tty, TCSANOW, &quiet) < 0)
		goto undo;
	return 0;
undo:
	e = errno;
	restore_signals(a);
	errno = e;
	return -1;
}

/* The terminal as it was, a newline for the unechoed one, the signals. */
static int
end(struct asking *a)
{
	int rc = 0, e = 0;

	if (tcsetattr(a->tty, TCSANOW, &a->saved) < 0) {
		rc = -1;
		e = errno;
	}
	if (write(a->tty, "\n", 1) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (restore_signals(a) < 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	errno = e;
	return rc;
}

static int
write_all(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;
	ssize_t w;

	while (off < len) {
		w = write(fd, s + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/*
 * Read the answer's line into buf, waking for signals: 0 a line (*n its
 * length), 1 a signal came (caught), -1 and errno.  *n carries what was
 * read before a signal over to the next call.  In canonical mode read()
 * returns at most one line, so a second answer typed ahead stays queued.
 */
static int
read_answer(int tty, const sigset_t *mask, char *buf, size_t cap, size_t *n,
    int *too_long)
{
	fd_set r;
	ssize_t got;
	char *nl;

	for (;;) {
		FD_ZERO(&r);
		FD_SET(tty, &r);
		if (pselect(tty + 1, &r, NULL, NULL, NULL, mask) < 0) {
			if (errno != EINTR)
				return -1;
			if (caught)
				return 1;
			continue;
		}
		got = read(tty, buf + *n, cap - *n);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got < 0)
			return -1;
		if (got == 0) {		/* end of input: it ends a line begun */
			if (*n == 0 && !*too_long) {
				errno = ENODATA;
				return -1;
			}
			return 0;
		}
		if ((nl = memchr(buf + *n, '\n', (size_t)got)) != NULL) {
			*n = (size_t)(nl - buf);
			return 0;
		}
		*n += (size_t)got;
		if (*n == cap) {	/* no room for the NUL: read on, dropping it */
			*too_long = 1;
			*n = 0;
		}
	}
}

int
prompt_secret(int tty, const char *prompt, char *buf, size_t cap)
{
	struct asking a;
	size_t n = 0;
	int rc, sig, too_long = 0, e;

	if (cap < 2 || tty < 0 || tty >= FD_SETSIZE) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		if (begin(&a, tty) < 0)
			goto fail;
		caught = 0;
		rc = write_all(tty, prompt);
		if (rc == 0)
			rc = read_answer(tty, &a.mask, buf, cap, &n, &too_long);
		e = errno;
		sig = caught;
		caught = 0;
		if (end(&a) < 0 && rc == 0)
			goto fail;
		errno = e;
		if (rc < 0)
			goto fail;
		if (rc == 0)
			break;
		/* The terminal is back as it was: now the signal's own action. */
		if (raise(sig) != 0)
			goto fail;
		if (!stop_signal(sig)) {	/* handled, and we are still here */
			errno = EINTR;
			goto fail;
		}
		/* Continued after a stop: ask again. */
	}
	if (too_long) {
		errno = EMSGSIZE;
		goto fail;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		errno = EILSEQ;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	explicit_bzero(buf, cap);
	errno = e;
	return -1;
}

const char *
prompt_failure(int errnum, int *usage)
{
	*usage = 1;
	switch (errnum) {
	case ENODATA:
		return "no password read (end of input)";
	case EMSGSIZE:
		return "a password is 1 to 255 bytes";
	case EILSEQ:
		return "a password may not hold a NUL byte";
	}
	*usage = 0;
	if (errnum == EINTR)
		return "interrupted";
	return NULL;	/* the caller says strerror(errnum), on /dev/tty */
}
