/* test_addr: client addresses are parsed and normalised in one way. */
#include <arpa/inet.h>

#include "helpers.h"
#include "core/addr.h"

static void
expect_normal(const char *in, const char *out, int family)
{
	struct addr a;
	struct err e;

	assert_int_equal(addr_parse(in, &a, &e), 0);
	assert_string_equal(a.text, out);
	assert_int_equal(a.family, family);
}

static void
expect_bad(const char *in, const char *why)
{
	struct addr a;
	struct err e;

	assert_int_equal(addr_parse(in, &a, &e), -1);
	assert_non_null(strstr(e.msg, why));
}

static void
ipv4_is_kept_as_dotted_quad(void **s)
{
	(void)s;
	expect_normal("192.0.2.1", "192.0.2.1", AF_INET);
	expect_normal("0.0.0.0", "0.0.0.0", AF_INET);
	expect_normal("255.255.255.255", "255.255.255.255", AF_INET);
}

static void
ipv4_mapped_ipv6_is_the_same_client_as_ipv4(void **s)
{
	(void)s;
	expect_normal("::ffff:192.0.2.1", "192.0.2.1", AF_INET);
	expect_normal("::FFFF:c000:0201", "192.0.2.1", AF_INET);
	expect_normal("0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1", AF_INET);
}

static void
ipv6_is_normalised_as_postfix_looks_it_up(void **s)
{
	(void)s;
	expect_normal("2001:DB8::1", "2001:db8::1", AF_INET6);
	expect_normal("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", AF_INET6);
	/* ucspi-tcp-ipv6 compresses a single zero group; inet_ntop does not. */
	expect_normal("2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1", AF_INET6);
	expect_normal("::1", "::1", AF_INET6);
}

static void
anything_else_is_rejected_with_a_reason(void **s)
{
	(void)s;
	expect_bad("", "empty address");
	expect_bad("localhost", "not an IPv4 or IPv6 address");
	expect_bad("192.0.2", "not an IPv4 or IPv6 address");
	expect_bad("192.0.2.256", "not an IPv4 or IPv6 address");
	expect_bad(" 192.0.2.1", "not an IPv4 or IPv6 address");
	expect_bad("192.0.2.1\n", "not an IPv4 or IPv6 address");
	expect_bad("fe80::1%eth0", "not an IPv4 or IPv6 address");
	expect_bad("2001:db8:::1", "not an IPv4 or IPv6 address");
	expect_bad("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa", "too long");
}

static void
garbage_is_quoted_safely_in_the_message(void **s)
{
	struct addr a;
	struct err e;

	(void)s;
	assert_int_equal(addr_parse("a\tb\x01", &a, &e), -1);
	assert_non_null(strstr(e.msg, "\"a\\x09b\\x01\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_is_kept_as_dotted_quad),
		cmocka_unit_test(ipv4_mapped_ipv6_is_the_same_client_as_ipv4),
		cmocka_unit_test(ipv6_is_normalised_as_postfix_looks_it_up),
		cmocka_unit_test(anything_else_is_rejected_with_a_reason),
		cmocka_unit_test(garbage_is_quoted_safely_in_the_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
