/* test_pop: checkpassword input, RFC 1939 digests, and network lists. */
#include "helpers.h"
#include "core/addr.h"
#include "core/pop.h"

static void
rfc1939s_example_digest(void **s)
{
	char hex[33];

	(void)s;
	assert_int_equal(pop_apop_digest("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf", hex), 0);
	assert_string_equal(hex, "c4c9334bac560ecc979e58001b3e22fb");
}

static void
input_is_three_nul_terminated_fields(void **s)
{
	static const char ok3[] = "alice\0pw\0<1.2@h>\0", ok2[] = "alice\0pw\0";
	struct pop_login l;
	const char *why;

	(void)s;
	assert_int_equal(pop_parse(ok3, sizeof ok3 - 1, &l, &why), 0);
	assert_string_equal(l.user, "alice");
	assert_string_equal(l.pass, "pw");
	assert_string_equal(l.timestamp, "<1.2@h>");
	assert_int_equal(pop_parse(ok2, sizeof ok2 - 1, &l, &why), 0);
	assert_string_equal(l.timestamp, "");
	assert_int_equal(pop_parse("alice\0pw", 8, &l, &why), -1);
	assert_string_equal(why, "missing NUL after a field");
	assert_string_equal(l.pass, "");	/* wiped */
	assert_int_equal(pop_parse("alice\0pw\0ts", 11, &l, &why), -1);
	assert_string_equal(why, "missing NUL after the timestamp");
	assert_int_equal(pop_parse("alice\0", 6, &l, &why), -1);
	assert_string_equal(why, "no password field");
	assert_int_equal(pop_parse("\0pw\0", 4, &l, &why), -1);
	assert_string_equal(why, "empty user name");
	assert_int_equal(pop_parse("", 0, &l, &why), -1);
	assert_string_equal(why, "no input");
}

static void
input_over_512_bytes_is_misuse(void **s)
{
	char big[POP_INPUT_MAX + 1];
	struct pop_login l;
	const char *why;

	(void)s;
	memset(big, 'a', sizeof big);
	big[100] = '\0';
	big[POP_INPUT_MAX] = '\0';
	assert_int_equal(pop_parse(big, sizeof big, &l, &why), -1);
	assert_string_equal(why, "input longer than 512 bytes");
}

static int
in(const char *ip, const char *list)
{
	struct addr a;
	struct err e;

	assert_int_equal(addr_parse(ip, &a, &e), 0);
	return addr_in_list(&a, list, &e);
}

static void
networks_match_by_prefix(void **s)
{
	struct addr a;
	struct err e;

	(void)s;
	assert_int_equal(in("192.168.1.77", "10.0.0.0/8, 192.168.1.0/24"), 1);
	assert_int_equal(in("192.168.2.1", "10.0.0.0/8 192.168.1.0/24"), 0);
	assert_int_equal(in("10.255.0.1", "10.0.0.0/9"), 0);
	assert_int_equal(in("10.127.0.1", "10.0.0.0/9"), 1);
	assert_int_equal(in("127.0.0.1", "127.0.0.1"), 1);
	assert_int_equal(in("::ffff:127.0.0.1", "127.0.0.0/8"), 1);
	assert_int_equal(in("2001:db8::5", "2001:db8::/32"), 1);
	assert_int_equal(in("2001:db9::5", "2001:db8::/32"), 0);
	assert_int_equal(in("1.2.3.4", "0.0.0.0/0"), 1);
	assert_int_equal(in("1.2.3.4", ""), 0);
	assert_int_equal(addr_parse("1.2.3.4", &a, &e), 0);
	assert_int_equal(addr_in_list(&a, "10.0.0.0/33", &e), -1);
	assert_string_equal(e.msg, "bad network \"10.0.0.0/33\": prefix length 0 to 32");
	assert_int_equal(addr_in_list(&a, "lan", &e), -1);
	assert_string_equal(e.msg, "bad network \"lan\": not an address");
}

/* A user's own change: only with the current secret, and a first one only when there is none. */
static void
own_change_needs_the_current_secret(void **s)
{
	char has_none[] = "nobody-yet";
	struct config c;
	struct err e;

	(void)s;
	config_for(&c, dir);
	snprintf(c.passwords, sizeof c.passwords, "%s/passwords.db", dir);
	assert_int_equal(pop_init(&c, &e), 0);
	assert_int_equal(pop_set_secret(&c, "alice", "old-one", &e), 0);
	assert_int_equal(pop_has_secret(&c, "alice", &e), 1);
	assert_int_equal(pop_has_secret(&c, has_none, &e), 0);

	assert_int_equal(pop_change_secret(&c, "alice", "old-on", "new-one", &e), 1);
	assert_int_equal(pop_change_secret(&c, "alice", "old-one!", "new-one", &e), 1);
	assert_int_equal(pop_change_secret(&c, "alice", NULL, "new-one", &e), 1);
	assert_int_equal(pop_change_secret(&c, "alice", "old-one", "new-one", &e), 0);
	assert_int_equal(pop_change_secret(&c, "alice", "old-one", "third", &e), 1);
	assert_int_equal(pop_change_secret(&c, "alice", "new-one", "bad\tone", &e), -1);
	assert_non_null(strstr(e.msg, "control characters"));
	assert_int_equal(pop_change_secret(&c, "alice", "new-one", "fourth", &e), 0);	/* unchanged till now */

	assert_int_equal(pop_change_secret(&c, has_none, "anything", "first-one", &e), 1);
	assert_int_equal(pop_has_secret(&c, has_none, &e), 0);
	assert_int_equal(pop_change_secret(&c, has_none, NULL, "first-one", &e), 0);
	assert_int_equal(pop_change_secret(&c, has_none, NULL, "again", &e), 1);
	assert_int_equal(pop_change_secret(&c, has_none, "first-one", "second", &e), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc1939s_example_digest),
		cmocka_unit_test(input_is_three_nul_terminated_fields),
		cmocka_unit_test(input_over_512_bytes_is_misuse),
		cmocka_unit_test(networks_match_by_prefix),
		cmocka_unit_test_setup_teardown(own_change_needs_the_current_secret, scratch_setup,
		    scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
