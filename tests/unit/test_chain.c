/* test_chain: what the chain programs decide from their environment, and that failures only log. */
#include "helpers.h"
#include "core/chain.h"
#include "core/relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>


static int
setup(void **s)
{
	scratch_setup(s);
	setenv("RELAYGATE_CONF", "/dev/null", 1);
	setenv("RELAYGATE_DIR", dir, 1);
	setenv("RELAYGATE_SYNC", "no", 1);
	unsetenv("TCPREMOTEIP");
	unsetenv("IP");
	unsetenv("RELAYCLIENT");
	unsetenv("RELAYGATE_RELAYCLIENT");
	unsetenv("RELAY_CTRL_RELAYCLIENT");
	unsetenv("SERVICE");
	unsetenv("TCPLOCALPORT");
	unsetenv("AUTHORIZED");
	setenv("USER", "alice", 1);
	return 0;
}

static void
allow_then_check_sets_relayclient(void **s)
{
	struct chain_result r;

	(void)s;
	setenv("TCPREMOTEIP", "192.0.2.1", 1);
	setenv("TCPLOCALPORT", "110", 1);
	chain_allow(NULL, 1000, &r);
	assert_string_equal(r.log, "192.0.2.1 may relay for 900s (user alice, pop3)");
	chain_check(1100, &r);
	assert_int_equal(r.set_relayclient, 1);
	assert_string_equal(r.relayclient, "");
	assert_string_equal(r.log, "");
	chain_check(1900, &r);
	assert_int_equal(r.set_relayclient, 0);
}

static void
dovecot_post_login_gives_ip_and_service(void **s)
{
	struct chain_result r;

	(void)s;
	setenv("IP", "2001:db8::5", 1);
	setenv("SERVICE", "imap", 1);
	chain_allow(NULL, 1000, &r);
	assert_string_equal(r.log, "2001:db8::5 may relay for 900s (user alice, imap)");
}

static void
missing_or_garbage_address_only_logs(void **s)
{
	struct chain_result r;

	(void)s;
	assert_true(freopen("/dev/null", "r", stdin) != NULL);	/* no socket either */
	chain_allow(NULL, 1000, &r);
	assert_string_equal(r.log, "no client address (TCPREMOTEIP or IP) in the environment, "
	    "and standard input is not a socket; nothing recorded");
	setenv("TCPREMOTEIP", "not-an-ip", 1);
	chain_allow("pop3", 1000, &r);
	assert_string_equal(r.log,
	    "bad address \"not-an-ip\": not an IPv4 or IPv6 address; nothing recorded");
	chain_check(1000, &r);
	assert_int_equal(r.set_relayclient, 0);
	assert_string_equal(r.log,
	    "bad address \"not-an-ip\": not an IPv4 or IPv6 address; no RELAYCLIENT");
}

static void
dovecot_lookup_mode_records_nothing(void **s)
{
	struct chain_result r;

	(void)s;
	setenv("TCPREMOTEIP", "192.0.2.9", 1);
	chain_allow("pop3", 1000, &r);		/* the store exists */
	setenv("TCPREMOTEIP", "192.0.2.1", 1);
	setenv("AUTHORIZED", "2", 1);
	chain_allow("pop3", 1000, &r);
	unsetenv("AUTHORIZED");
	assert_string_equal(r.log, "");
	chain_check(1001, &r);
	assert_string_equal(r.log, "");
	assert_int_equal(r.set_relayclient, 0);	/* nothing was recorded */
}

static void
existing_relayclient_is_left_alone(void **s)
{
	struct chain_result r;

	(void)s;
	setenv("TCPREMOTEIP", "192.0.2.1", 1);
	setenv("RELAYCLIENT", "@tcprules", 1);
	chain_check(1000, &r);	/* no store at all, and no complaint */
	assert_int_equal(r.set_relayclient, 0);
	assert_string_equal(r.log, "");
}

static void
missing_store_makes_check_log_and_go_on(void **s)
{
	struct chain_result r;
	char want[PATH_MAX + 100];

	char none[PATH_MAX];

	(void)s;
	snprintf(none, sizeof none, "%s/none", dir);
	assert_int_equal(mkdir(none, 0755), 0);	/* a directory, but no store made in it */
	setenv("RELAYGATE_DIR", none, 1);
	setenv("TCPREMOTEIP", "192.0.2.1", 1);
	chain_check(1000, &r);
	assert_int_equal(r.set_relayclient, 0);
	snprintf(want, sizeof want,
	    "open %s/grants.db: No such file or directory; no RELAYCLIENT for 192.0.2.1", none);
	assert_string_equal(r.log, want);
}

static void
relay_ctrl_names_set_expiry_and_relayclient(void **s)
{
	struct chain_result r;

	(void)s;
	setenv("TCPREMOTEIP", "192.0.2.1", 1);
	setenv("RELAY_CTRL_EXPIRY", "60", 1);
	setenv("RELAY_CTRL_RELAYCLIENT", "@hub", 1);
	chain_allow("pop3", 1000, &r);
	assert_string_equal(r.log, "192.0.2.1 may relay for 60s (user alice, pop3)");
	chain_check(1059, &r);
	assert_int_equal(r.set_relayclient, 1);
	assert_string_equal(r.relayclient, "@hub");
	chain_check(1060, &r);
	assert_int_equal(r.set_relayclient, 0);
	unsetenv("RELAY_CTRL_EXPIRY");
	unsetenv("RELAY_CTRL_RELAYCLIENT");
}

/*
 * Standard input the server's side of a TCP connection from src (family
 * fam: a listener on the loopback of that family), as inetd leaves it.
 */
static void
stdin_from(int fam, const char *src)
{
	struct sockaddr_storage ls, cs;
	socklen_t len = sizeof ls;
	int l, c, a;

	memset(&ls, 0, sizeof ls);
	memset(&cs, 0, sizeof cs);
	if (fam == AF_INET) {
		struct sockaddr_in *l4 = (struct sockaddr_in *)&ls, *c4 = (struct sockaddr_in *)&cs;

		l4->sin_family = c4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &l4->sin_addr), 1);
		assert_int_equal(inet_pton(AF_INET, src, &c4->sin_addr), 1);
	} else {
		struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)&ls, *c6 = (struct sockaddr_in6 *)&cs;

		l6->sin6_family = c6->sin6_family = AF_INET6;	/* :: takes IPv4 too, mapped */
		l6->sin6_addr = in6addr_any;
		assert_int_equal(inet_pton(AF_INET6, src, &c6->sin6_addr), 1);
	}
	assert_true((l = socket(fam, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&ls, fam == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&ls, &len), 0);
	assert_true((c = socket(fam, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(c, (struct sockaddr *)&cs, len), 0);
	if (fam == AF_INET6 && strcmp(src, "::1") == 0)
		assert_int_equal(inet_pton(AF_INET6, "::1", &((struct sockaddr_in6 *)&ls)->sin6_addr), 1);
	else if (fam == AF_INET6)
		assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1",
		    &((struct sockaddr_in6 *)&ls)->sin6_addr), 1);
	assert_int_equal(connect(c, (struct sockaddr *)&ls, len), 0);
	assert_true((a = accept(l, NULL, NULL)) >= 0);
	assert_int_equal(dup2(a, 0), 0);
	close(a);
	close(l);
	close(c);	/* the peer's address stays: getpeername still answers */
}

static void
inetd_connection_is_the_client(void **s)
{
	struct chain_result r;

	(void)s;
	stdin_from(AF_INET, "127.0.0.2");
	chain_allow("pop3", 1000, &r);
	assert_string_equal(r.log, "127.0.0.2 may relay for 900s (user alice, pop3)");
	chain_check(1001, &r);
	assert_int_equal(r.set_relayclient, 1);
	assert_string_equal(r.log, "");

	stdin_from(AF_INET6, "::1");
	chain_allow("pop3", 1000, &r);
	assert_string_equal(r.log, "::1 may relay for 900s (user alice, pop3)");

	stdin_from(AF_INET6, "::ffff:127.0.0.3");	/* mapped: recorded as IPv4 */
	chain_allow("imap", 1000, &r);
	assert_string_equal(r.log, "127.0.0.3 may relay for 900s (user alice, imap)");
	chain_check(1001, &r);
	assert_int_equal(r.set_relayclient, 1);

	stdin_from(AF_INET, "127.0.0.4");	/* no grant: no RELAYCLIENT, and quiet */
	chain_check(1001, &r);
	assert_int_equal(r.set_relayclient, 0);
	assert_string_equal(r.log, "");
	assert_true(freopen("/dev/null", "r", stdin) != NULL);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(allow_then_check_sets_relayclient),
		T(dovecot_post_login_gives_ip_and_service),
		T(missing_or_garbage_address_only_logs),
		T(dovecot_lookup_mode_records_nothing),
		T(existing_relayclient_is_left_alone),
		T(missing_store_makes_check_log_and_go_on),
		T(relay_ctrl_names_set_expiry_and_relayclient),
		T(inetd_connection_is_the_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
