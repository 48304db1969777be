/*
 * relaygate-checkpw: a checkpassword program for POP3 with APOP and
 * POP-only passwords.  Reads "user\0password\0timestamp\0" from fd 3;
 * checks USER/PASS or an APOP digest against the password store; on
 * success becomes the user and runs the rest of the chain.
 *
 *   tcpserver 0 pop3 qmail-popup HOST relaygate-checkpw relaygate-allow qmail-pop3d Maildir
 *
 * Exit 1 bad login, 2 misuse, 111 temporary failure (and 3, unknown user,
 * in Dovecot's credentials look-up).  Under Dovecot it hands back the
 * account's ids (userdb_uid, userdb_gid) instead of becoming the user.  Secrets stay out of argv, logs and
 * core dumps.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/chain.h"
#include "core/pop.h"
#include "core/secret.h"
#include "version.h"
#include "core/text.h"

/* Under inetd standard error is the client's connection: chain_log keeps it out. */
#define LOG(...) chain_log("relaygate-checkpw", __VA_ARGS__)

/* The overall time limit: a hung read or look-up holds a login slot for no one. */
static void
on_alarm(int sig)
{
	static const char m[] = "relaygate-checkpw: time limit (checkpw_timeout) reached; temporary failure\n";

	(void)sig;
	if (write(2, m, sizeof m - 1) < 0)
		_exit(POP_TEMP);
	_exit(POP_TEMP);
}

/* All of fd 3, up to cap bytes (one more than allowed, to see an oversized one). */
static ssize_t
read_input(char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap) {
		r = read(3, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(3);
	return (ssize_t)n;
}

static void
pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/*
 * The client's address as the chain gives it ($TCPREMOTEIP or $IP, as
 * they are), else the peer of standard input (inetd); NULL unknown.
 */
static const char *
client(char *buf, size_t size)
{
	const char *from;
	struct addr a;
	char why[512];

	if (chain_client() != NULL)
		return chain_client();
	if (chain_client_addr(&a, &from, why, sizeof why) != 1)
		return NULL;
	snprintf(buf, size, "%s", a.text);
	return buf;
}

/* Dovecot wants the account's ids back, named in EXTRA. */
static void
tell_dovecot(const struct pop_account *a)
{
	char n[32];

	snprintf(n, sizeof n, "%lu", a->uid);
	setenv("userdb_uid", n, 1);
	snprintf(n, sizeof n, "%lu", a->gid);
	setenv("userdb_gid", n, 1);
}

int
main(int argc, char **argv)
{
	char buf[POP_INPUT_MAX + 1], why[512], secret[256], peer[ADDR_TEXT_MAX], q[80];
	const char *misuse, *from, *authorized = getenv("AUTHORIZED");
	int dovecot = getenv("AUTH_USER") != NULL || getenv("AUTH_PROTOCOL") != NULL ||
	    authorized != NULL;
	struct pop_account acct;
	struct pop_login l;
	struct config c;
	struct err e;
	ssize_t n;
	int v;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts("relaygate-checkpw " RELAYGATE_VERSION);
		return 0;
	}
	if (secret_protect_process() < 0) {
		LOG("keep secrets out of core dumps: %s", strerror(errno));
		return POP_TEMP;
	}
	if (argc < 2) {
		fputs("usage: relaygate-checkpw prog [arg ...]   (input on fd 3)\n", stderr);
		return POP_MISUSE;
	}
	signal(SIGALRM, on_alarm);
	alarm(60);	/* until the configuration says otherwise */
	if (config_load(&c, NULL, config_env_trusted(), &e) < 0) {
		LOG("%s", e.msg);
		return POP_TEMP;
	}
	alarm((unsigned)c.checkpw_timeout);
	if ((n = read_input(buf, sizeof buf)) < 0) {
		LOG("read fd 3: %s", strerror(errno));
		return POP_MISUSE;
	}
	if (pop_parse(buf, (size_t)n, &l, &misuse) < 0) {
		explicit_bzero(buf, sizeof buf);
		LOG("bad input on fd 3: %s", misuse);
		return POP_MISUSE;
	}
	explicit_bzero(buf, sizeof buf);
	/* APOP is POP3's: under Dovecot an IMAP login (SERVICE=imap) has no
	 * APOP to use, so apop_only would lock it out. */
	if (dovecot && getenv("SERVICE") != NULL && strcmp(getenv("SERVICE"), "pop3") != 0)
		c.apop_only = 0;
	if (authorized != NULL && strcmp(authorized, "1") == 0) {
		/* Dovecot asks for the account (and, for APOP, the secret) and checks itself. */
		v = pop_lookup(&c, l.user, &acct, secret, sizeof secret, why, sizeof why);
		pop_wipe(&l);
		if (v != POP_OK) {
			LOG("%s", why);
			return v;
		}
		if (getenv("CREDENTIALS_LOOKUP") != NULL && setenv("PASSWORD", secret, 1) < 0)
			v = POP_TEMP;
		explicit_bzero(secret, sizeof secret);
		setenv("EXTRA", "userdb_uid userdb_gid PASSWORD", 1);
		setenv("AUTHORIZED", "2", 1);
	} else {
		from = client(peer, sizeof peer);
		v = pop_check(&c, &l, from, &acct, why, sizeof why);
		pop_wipe(&l);
		if (v == POP_BAD) {
			LOG("bad login from %s: %s", from ? text_escape(q, sizeof q, from) : "-", why);
			alarm(0);	/* the pause is the configured one, not a hang */
			pause_ms(c.fail_delay_ms);
			return POP_BAD;
		}
		if (v != POP_OK) {
			LOG("%s", why);
			return POP_TEMP;
		}
		if (dovecot)
			setenv("EXTRA", "userdb_uid userdb_gid", 1);
	}
	if (dovecot)
		tell_dovecot(&acct);
	if (pop_become(&acct, !dovecot, why, sizeof why) < 0) {
		LOG("%s", why);
		return POP_TEMP;
	}
	alarm(0);	/* an alarm outlives exec: never leave one to the next program */
	execvp(argv[1], argv + 1);
	LOG("exec %s: %s", argv[1], strerror(errno));
	return POP_TEMP;
}
