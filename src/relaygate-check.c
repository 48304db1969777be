/*
 * relaygate-check: in front of the SMTP server, let a client relay when it
 * holds a live grant or a pin (RELAYCLIENT); then run the SMTP server.
 *
 *   tcpserver -x /etc/tcp.smtp.cdb 0 smtp relaygate-check qmail-smtpd
 *
 * It never stops mail: when the store cannot be read it logs and execs the
 * server without RELAYCLIENT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/chain.h"
#include "version.h"

static void
usage(void)
{
	fputs("usage: relaygate-check prog [arg ...]\n", stderr);
	exit(2);
}

int
main(int argc, char **argv)
{
	struct chain_result r;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts("relaygate-check " RELAYGATE_VERSION);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-')
		usage();
	chain_check((int64_t)time(NULL), &r);
	if (r.log[0] != '\0')
		chain_log("relaygate-check", "%s", r.log);
	if (r.set_relayclient && setenv("RELAYCLIENT", r.relayclient, 1) < 0)
		chain_log("relaygate-check", "setenv RELAYCLIENT: %s", strerror(errno));
	execvp(argv[1], argv + 1);
	chain_log("relaygate-check", "exec %s: %s", argv[1], strerror(errno));
	return 111;
}
