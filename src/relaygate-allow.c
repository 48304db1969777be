/*
 * relaygate-allow: after a successful POP3/IMAP login, remember the client's
 * address so that SMTP relays for it a while; then run the rest of the chain.
 *
 *   tcpserver 0 pop3 qmail-popup HOST checkpassword relaygate-allow qmail-pop3d Maildir
 *
 * It never stops a login: when recording fails it logs and execs anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/chain.h"

static void
usage(void)
{
	fputs("usage: relaygate-allow [-p protocol] prog [arg ...]\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct chain_result r;
	const char *proto = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "+p:")) != -1) {
		switch (ch) {
		case 'p':
			proto = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	chain_allow(proto, (int64_t)time(NULL), &r);
	if (r.log[0] != '\0')
		fprintf(stderr, "relaygate-allow: %s\n", r.log);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "relaygate-allow: exec %s: ", argv[optind]);
	perror(NULL);
	return 111;
}
