/*
 * relaygate-allow: after a successful POP3/IMAP login, remember the client's
 * address so that SMTP relays for it a while; then run the rest of the chain.
 *
 *   tcpserver 0 pop3 qmail-popup HOST checkpassword relaygate-allow qmail-pop3d Maildir
 *
 * -q logs only what went wrong: a Dovecot post-login script's every
 * stderr line is logged as an Error, and Dovecot logs the login already.
 *
 * It never stops a login: when recording fails it logs and execs anyway.
 * Installed setgid to the store's group, it holds that group only for the
 * write and drops it (real, effective and saved) before the exec; if it
 * could not, it executes nothing (relaygate-security(7)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/chain.h"
#include "core/priv.h"
#include "version.h"

static void
usage(void)
{
	fputs("usage: relaygate-allow [-q] [-p protocol] prog [arg ...]\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct chain_result r;
	const char *proto = NULL;
	struct err e;
	int ch, quiet = 0;

	if (priv_init(&e) < 0)
		fprintf(stderr, "relaygate-allow: %s\n", e.msg);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts("relaygate-allow " RELAYGATE_VERSION);
		return 0;
	}
	while ((ch = getopt(argc, argv, "+p:q")) != -1) {
		switch (ch) {
		case 'p':
			proto = optarg;
			break;
		case 'q':	/* Dovecot logs a post-login script's stderr as errors */
			quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	chain_allow(proto, (int64_t)time(NULL), &r);
	if (r.log[0] != '\0' && !(quiet && r.routine))
		chain_log("relaygate-allow", "%s", r.log);
	if (priv_drop(&e) < 0) {
		chain_log("relaygate-allow", "%s; not executing %s", e.msg, argv[optind]);
		return 111;
	}
	execvp(argv[optind], argv + optind);
	chain_log("relaygate-allow", "exec %s: %s", argv[optind], strerror(errno));
	return 111;
}
