/*
 * passwd: relaygate passwd, the face of the POP password store, as qpopper's
 * popauth was: set a user's APOP secret (asked twice on the terminal, or one
 * line on stdin), delete it, list the users, create the store.  A secret is
 * never taken from argv and never printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/prompt.h"
#include "core/pop.h"
#include "core/secret.h"

#define SECRET_BUF 1024

/* One line from fd into buf without its newline; 0, or -1 (EOF or error). */
static int
read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	char ch;

	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return n > 0 ? (buf[n] = '\0', 0) : -1;
		if (ch == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = ch;
		else
			n = cap;	/* too long: flagged below */
	}
	if (n >= cap) {
		buf[cap - 1] = '\0';
		return -1;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

/*
 * One question on the terminal, through the one hidden-input module: EX_OK,
 * or the exit status of what went wrong, said on stderr (nothing changed).
 */
static int
ask(int tty, const char *prompt, char *buf, size_t cap)
{
	const char *why;
	int usage;

	if (prompt_secret(tty, prompt, buf, cap) == 0)
		return EX_OK;
	if ((why = prompt_failure(errno, &usage)) != NULL)
		fprintf(stderr, "relaygate passwd: %s; nothing changed\n", why);
	else
		fprintf(stderr, "relaygate passwd: read password from /dev/tty: %s; nothing changed\n",
		    strerror(errno));
	return usage ? EX_USAGE : EX_TEMP;
}

static int
print_user(const char *user, void *arg)
{
	(void)arg;
	printf("%s\n", user);
	return 0;
}

/* The store's trouble (missing, locked, open to others, damaged): 111. */
static int
fail(const struct err *e)
{
	fprintf(stderr, "relaygate passwd: %s\n", e->msg);
	return EX_TEMP;
}

/* The caller's words (a bad name or password): 2. */
static int
bad(const struct err *e)
{
	fprintf(stderr, "relaygate passwd: %s\n", e->msg);
	return EX_USAGE;
}

int
cmd_passwd(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "stdin", no_argument, NULL, 's' }, { "delete", no_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' }, { "init", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	char one[SECRET_BUF], two[SECRET_BUF];
	int ch, from_stdin = 0, del = 0, list = 0, init = 0, tty, r;
	struct err e;

	if (secret_protect_process() < 0) {
		perror("relaygate passwd: keep secrets out of core dumps");
		return EX_TEMP;
	}
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case 's': from_stdin = 1; break;
		case 'd': del = 1; break;
		case 'l': list = 1; break;
		case 'i': init = 1; break;
		case 'h': cli_usage(stdout, "passwd"); return EX_OK;
		default:
			fprintf(stderr, "relaygate passwd: unknown option %s\n", argv[optind - 1]);
			cli_usage(stderr, "passwd");
			return EX_USAGE;
		}
	}
	if (del + list + init + from_stdin > 1 || argc - optind != (list || init ? 0 : 1)) {
		if (argc - optind == 0 && !list && !init)
			fputs("relaygate passwd: which user? (a user changes their own with "
			    "relaygate-passwd)\n", stderr);
		cli_usage(stderr, "passwd");
		return EX_USAGE;
	}
	if (init) {
		if ((r = pop_init(c, &e)) < 0)
			return fail(&e);
		if (r == 1) {
			fprintf(stderr, "relaygate passwd: %s exists already; nothing done\n",
			    c->passwords);
			return EX_NO;
		}
		return EX_OK;
	}
	if (list)
		return pop_list(c, print_user, NULL, &e) < 0 ? fail(&e) : EX_OK;
	if (pop_user_ok(argv[optind], &e) < 0)
		return bad(&e);
	if (del) {
		if ((r = pop_delete(c, argv[optind], &e)) < 0)
			return fail(&e);
		if (r == 0) {
			fprintf(stderr, "relaygate passwd: %s has no POP password\n", argv[optind]);
			return EX_NO;
		}
		return EX_OK;
	}
	if (from_stdin) {
		if (read_line(0, one, sizeof one) < 0) {
			fprintf(stderr, "relaygate passwd: no password on standard input (one line, "
			    "at most 255 bytes)\n");
			explicit_bzero(one, sizeof one);
			return EX_USAGE;
		}
	} else {
		if ((tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0) {
			fprintf(stderr, "relaygate passwd: no terminal to ask on; use --stdin\n");
			return EX_USAGE;
		}
		r = ask(tty, "New POP password: ", one, sizeof one);
		if (r == EX_OK)
			r = ask(tty, "Again: ", two, sizeof two);
		if (close(tty) < 0 && r == EX_OK) {
			perror("relaygate passwd: close /dev/tty");
			r = EX_TEMP;
		}
		if (r == EX_OK && strcmp(one, two) != 0) {
			fprintf(stderr, "relaygate passwd: the two did not match; nothing changed\n");
			r = EX_USAGE;
		}
		explicit_bzero(two, sizeof two);
		if (r != EX_OK) {
			explicit_bzero(one, sizeof one);
			return r;
		}
	}
	if (pop_secret_ok(one, &e) < 0) {
		explicit_bzero(one, sizeof one);
		return bad(&e);
	}
	r = pop_set_secret(c, argv[optind], one, &e);
	explicit_bzero(one, sizeof one);
	return r < 0 ? fail(&e) : EX_OK;
}
