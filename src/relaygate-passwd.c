/*
 * relaygate-passwd: a user changes their own POP (APOP) secret, as
 * passwd(1) and qpopper's popauth let them; the administrator's
 * relaygate passwd USER is for everything else.
 *
 *   relaygate-passwd          (no arguments: the user is the one running it)
 *
 * Installed set-user-id root, as the password store is root's alone
 * (relaygate-security(7)).  It lowers its privilege at once and takes it up
 * only around the two visits to the store, with the real ids too, so the
 * user cannot stop it while it holds the store's lock.  It takes nothing
 * from the environment or the command line: the user is getuid()'s
 * account, the settings are /etc/relaygate.conf's (root's), and
 * self_service = no there turns it off.  The current secret is asked
 * first, then the new one twice, on the terminal without echo; a wrong
 * current secret gets one plain answer, after a pause.  The pause is
 * booked before the check (tries.h), so it binds whoever guesses, waiting
 * or not: a try killed in its pause still costs the next one.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli/prompt.h"
#include "core/pop.h"
#include "core/priv.h"
#include "core/shield.h"
#include "core/secret.h"
#include "version.h"

#define PROG "relaygate-passwd"
#define SECRET_BUF 1024
/* Each wrong current secret costs at least this, whatever fail_delay_ms says. */
#define WRONG_DELAY_MIN_MS 1000L

enum { OK = 0, NO = 1, USAGE = 2, TEMP = 111 };

static int
usage(void)
{
	fputs("usage: relaygate-passwd\n"
	    "  changes your own POP password, and only yours: it takes no user name.\n"
	    "  An administrator sets another user's with: relaygate passwd USER\n", stderr);
	return USAGE;
}

/* One question on the terminal: OK, or the status of what went wrong, said. */
static int
ask(int tty, const char *prompt, char *buf, size_t cap)
{
	const char *why;
	int usage;

	if (prompt_secret(tty, prompt, buf, cap) == 0)
		return OK;
	if ((why = prompt_failure(errno, &usage)) != NULL)
		fprintf(stderr, PROG ": %s; nothing changed\n", why);
	else
		fprintf(stderr, PROG ": read password from /dev/tty: %s; nothing changed\n",
		    strerror(errno));
	return usage ? USAGE : TEMP;
}

/*
 * Wait for this user's turn and book the next one a pause on, before the
 * check: a try that is killed after it has paid all the same.  Root only
 * to open the user's file, whose fd then serves.  0 and *next (when this
 * try's pause ends), or -1 and e.
 */
static int
take_turn(const struct config *c, uid_t uid, long pause, struct timespec *next,
    struct err *e)
{
	struct tries t;
	struct err le;
	int r;

	if (priv_raise_shielded(e) < 0)
		return -1;
	r = pop_tries_open(c, (unsigned long)uid, &t, e);
	if (priv_lower(&le) < 0) {
		if (r == 0)
			tries_close(&t);
		*e = le;
		return -1;
	}
	if (r < 0)
		return -1;
	r = tries_take(&t, pause, next, e);
	tries_close(&t);
	return r;
}

/*
 * Visit the store with the privilege up and the signals a terminal sends
 * held back, so that nothing stops the program while it holds the lock.
 * op 'h': *has = does user have a secret; 'c': change it.  0 or 1 as the
 * pop_ call said, or -1 and e.
 */
static int
visit(int op, const struct config *c, const char *user, const char *current,
    const char *secret, struct err *e)
{
	static const int held[] = { SIGINT, SIGQUIT, SIGTSTP, SIGHUP, SIGTERM, SIGTTIN, SIGTTOU };
	sigset_t block, old;
	struct err le;
	uid_t ruid = getuid();	/* the user's, before the real ids are raised */
	size_t i;
	int r;

	sigemptyset(&block);
	for (i = 0; i < sizeof held / sizeof held[0]; i++)
		sigaddset(&block, held[i]);
	if (sigprocmask(SIG_BLOCK, &block, &old) < 0) {
		err_set(e, ERR_TEMP, errno, "block signals");
		return -1;
	}
	/* Out of the user's reach before the lock every login waits on:
	 * their signals (the real ids), their cgroup's freezer, their
	 * scheduling (shield.h). */
	if (priv_raise_shielded(e) < 0)
		r = -1;
	else if (shield_process(ruid, e) < 0) {
		r = -1;
		(void)priv_lower(&le);
	} else {
		r = op == 'h' ? pop_has_secret(c, user, e) :
		    pop_change_secret(c, user, current, secret, e);
		if (priv_lower(&le) < 0 && r >= 0) {
			*e = le;
			r = -1;
		}
	}
	if (sigprocmask(SIG_SETMASK, &old, NULL) < 0 && r >= 0) {
		err_set(e, ERR_TEMP, errno, "unblock signals");
		r = -1;
	}
	return r;
}

/* The store's trouble: said, with what it was, and 111. */
static int
fail(const struct err *e)
{
	fprintf(stderr, PROG ": %s; nothing changed\n", e->msg);
	if (e->errnum == EACCES || e->errnum == EPERM)
		fputs(PROG ": is it installed set-user-id root? See relaygate-security(7)\n", stderr);
	return TEMP;
}

int
main(int argc, char **argv)
{
	char user[256], cur[SECRET_BUF], one[SECRET_BUF], two[SECRET_BUF];
	struct timespec next;
	struct passwd *pw;
	struct config c;
	struct err e;
	uid_t uid = getuid();
	long pause;
	int has, r, v = 0, tty;

	if (priv_init(&e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		return TEMP;
	}
	if (secret_protect_process() < 0) {
		fprintf(stderr, PROG ": keep secrets out of core dumps: %s\n", strerror(errno));
		return TEMP;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts(PROG " " RELAYGATE_VERSION);
		return OK;
	}
	if (argc != 1)
		return usage();
	/* Root's file alone, whatever RELAYGATE_CONF or the rest may say. */
	if (config_load(&c, NULL, 0, &e) < 0) {
		fprintf(stderr, PROG ": %s; nothing changed\n", e.msg);
		return TEMP;
	}
	pause = c.fail_delay_ms > WRONG_DELAY_MIN_MS ? c.fail_delay_ms : WRONG_DELAY_MIN_MS;
	if (c.self_service == CONFIG_SELF_NO) {
		fputs(PROG ": changing your own POP password is turned off here (self_service = no "
		    "in " CONFIG_FILE "); ask your administrator\n", stderr);
		return NO;
	}
	errno = 0;
	if ((pw = getpwuid(uid)) == NULL) {
		fprintf(stderr, PROG ": look up uid %lu: %s\n", (unsigned long)uid,
		    errno ? strerror(errno) : "no such account");
		return errno ? TEMP : NO;
	}
	if ((long)uid < c.min_uid) {
		fprintf(stderr, PROG ": %s (uid %lu) is a system account, which POP logins are not "
		    "for (min_uid %ld)\n", pw->pw_name, (unsigned long)uid, c.min_uid);
		return NO;
	}
	if (snprintf(user, sizeof user, "%s", pw->pw_name) >= (int)sizeof user ||
	    pop_user_ok(user, &e) < 0) {
		fprintf(stderr, PROG ": your account's name is not one the password store takes\n");
		return NO;
	}
	if ((tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		fputs(PROG ": no terminal to ask on: run it from a terminal\n", stderr);
		return USAGE;
	}
	if ((has = visit('h', &c, user, NULL, NULL, &e)) < 0) {
		close(tty);
		return fail(&e);
	}
	if (!has && c.self_service != CONFIG_SELF_FIRST) {
		close(tty);
		fprintf(stderr, PROG ": you have no POP password yet; your administrator sets the "
		    "first one (relaygate passwd %s)\n", user);
		return NO;
	}
	r = has ? ask(tty, "Current POP password: ", cur, sizeof cur) : OK;
	if (r == OK)
		r = ask(tty, "New POP password: ", one, sizeof one);
	if (r == OK)
		r = ask(tty, "Again: ", two, sizeof two);
	if (close(tty) < 0 && r == OK) {
		fprintf(stderr, PROG ": close /dev/tty: %s; nothing changed\n", strerror(errno));
		r = TEMP;
	}
	if (r == OK && strcmp(one, two) != 0) {
		fputs(PROG ": the two new ones did not match; nothing changed\n", stderr);
		r = USAGE;
	}
	if (r == OK && pop_secret_ok(one, &e) < 0) {
		fprintf(stderr, PROG ": %s; nothing changed\n", e.msg);
		r = USAGE;
	}
	if (r == OK && take_turn(&c, uid, pause, &next, &e) < 0)
		r = fail(&e);
	if (r == OK)
		v = visit('c', &c, user, has ? cur : NULL, one, &e);
	explicit_bzero(cur, sizeof cur);
	explicit_bzero(one, sizeof one);
	explicit_bzero(two, sizeof two);
	if (r != OK)
		return r;
	if (v == 1) {
		/* One answer for every way the current one was wrong, after the pause
		 * this try booked (the next try waits for its end whatever we do). */
		openlog(PROG, LOG_PID, LOG_AUTHPRIV);
		syslog(LOG_NOTICE, "wrong current POP password for %s (uid %lu)", user,
		    (unsigned long)uid);
		closelog();
		tries_sleep_until(&next, pause);
		fputs(PROG ": the current POP password was not right; nothing changed\n", stderr);
		return NO;
	}
	if (v < 0)
		return fail(&e);
	openlog(PROG, LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_NOTICE, "POP password changed for %s (uid %lu)", user, (unsigned long)uid);
	closelog();
	/* Changed: a lost line on a closed terminal would not change that. */
	(void)printf(PROG ": POP password changed for %s\n", user);
	return OK;
}
