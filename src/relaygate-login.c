/*
 * relaygate-login: the privileged half of recording a login, for login
 * chains that a server starts as root (tcpserver, stunnel, couriertcpd,
 * inetd), TLS or not: first in the chain, it notes the client's address,
 * then runs the chain; relaygate-allow, after the login succeeded, tells
 * it so, and it records the address for that account.
 *
 *   tcpserver 0 pop3 relaygate-login qmail-popup HOST checkpassword relaygate-allow qmail-pop3d Maildir
 *
 * It never stops a login: when it cannot do its part it logs and execs
 * anyway (relaygate-security(7)).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/chain.h"
#include "version.h"

int
main(int argc, char **argv)
{
	struct chain_result r;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts("relaygate-login " RELAYGATE_VERSION);
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		fputs("usage: relaygate-login prog [arg ...]\n", stderr);
		return 2;
	}
	chain_login("relaygate-login", &r);
	if (r.log[0] != '\0')
		chain_log("relaygate-login", "%s", r.log);
	execvp(argv[1], argv + 1);
	chain_log("relaygate-login", "exec %s: %s", argv[1], strerror(errno));
	return 111;
}
