/* test_relay: the rules of record, check, pin and expire, with the clock in the test's hand. */
#include "helpers.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>

#include "core/priv.h"
#include "core/relay.h"

static struct config c;

static int
setup(void **s)
{
	scratch_setup(s);
	config_for(&c, dir);
	return 0;
}

static enum relay_answer
check_at(const char *ip, int64_t now, char *relayclient)
{
	struct relay_decision d;
	struct addr a = A(ip);
	struct err e;

	if (relay_check(&c, &a, now, &d, &e) < 0)
		fail_msg("check: %s", e.msg);
	if (relayclient != NULL)
		strcpy(relayclient, d.relayclient);
	return d.answer;
}

static void
check_allows_a_fresh_grant_and_not_after_its_expiry(void **s)
{
	struct addr a = A("192.0.2.1");
	struct err e;

	(void)s;
	assert_int_equal(relay_allow(&c, &a, "alice", "pop3", 900, 1000, &e), RELAY_DONE);
	assert_int_equal(check_at("192.0.2.1", 1000, NULL), RELAY_GRANT);
	assert_int_equal(check_at("192.0.2.1", 1899, NULL), RELAY_GRANT);
	/* Expired and not yet swept: no. */
	assert_int_equal(check_at("192.0.2.1", 1900, NULL), RELAY_NO);
	assert_int_equal(check_at("192.0.2.2", 1000, NULL), RELAY_NO);
}

static void
mapped_and_plain_ipv4_are_one_client(void **s)
{
	struct addr a = A("::ffff:192.0.2.1");
	struct err e;

	(void)s;
	assert_int_equal(relay_allow(&c, &a, "bob", "imap", 60, 1000, &e), RELAY_DONE);
	assert_int_equal(check_at("192.0.2.1", 1001, NULL), RELAY_GRANT);
	a = A("2001:db8::7");
	assert_int_equal(relay_allow(&c, &a, "bob", "imap", 60, 1000, &e), RELAY_DONE);
	assert_int_equal(check_at("2001:DB8:0::7", 1001, NULL), RELAY_GRANT);
}

static void
a_pins_own_relayclient_wins_over_the_configured_one(void **s)
{
	struct addr p = A("198.51.100.1"), q = A("198.51.100.2"), g = A("198.51.100.3");
	struct err e;
	char rc[GRANT_TEXT_MAX];

	(void)s;
	snprintf(c.relayclient, sizeof c.relayclient, "@default");
	assert_int_equal(relay_pin(&c, &p, "admin", "@partner", "partner MX", 1000, &e), RELAY_DONE);
	assert_int_equal(relay_pin(&c, &q, "admin", NULL, "", 1000, &e), RELAY_DONE);
	assert_int_equal(relay_allow(&c, &g, "alice", "pop3", 60, 1000, &e), RELAY_DONE);
	assert_int_equal(check_at("198.51.100.1", 99999999, rc), RELAY_PIN);
	assert_string_equal(rc, "@partner");
	assert_int_equal(check_at("198.51.100.2", 99999999, rc), RELAY_PIN);
	assert_string_equal(rc, "@default");
	assert_int_equal(check_at("198.51.100.3", 1001, rc), RELAY_GRANT);
	assert_string_equal(rc, "@default");
}

static void
a_login_from_a_pinned_address_leaves_the_pin(void **s)
{
	struct addr p = A("198.51.100.1");
	struct err e;
	long removed;

	(void)s;
	assert_int_equal(relay_pin(&c, &p, "admin", NULL, "office", 1000, &e), RELAY_DONE);
	assert_int_equal(relay_allow(&c, &p, "alice", "pop3", 60, 2000, &e), RELAY_UNCHANGED);
	assert_int_equal(relay_expire(&c, 99999999, &removed, &e), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(check_at("198.51.100.1", 99999999, NULL), RELAY_PIN);
}

static void
unpin_removes_only_pins_and_revoke_only_grants(void **s)
{
	struct addr p = A("198.51.100.1"), g = A("198.51.100.2"), none = A("198.51.100.3");
	struct err e;

	(void)s;
	assert_int_equal(relay_pin(&c, &p, "admin", NULL, "", 1000, &e), RELAY_DONE);
	assert_int_equal(relay_allow(&c, &g, "alice", "pop3", 60, 1000, &e), RELAY_DONE);
	assert_int_equal(relay_unpin(&c, &g, &e), RELAY_UNCHANGED);
	assert_int_equal(relay_revoke(&c, &p, &e), RELAY_REFUSED);
	assert_non_null(strstr(e.msg, "is pinned; use unpin"));
	assert_int_equal(relay_revoke(&c, &none, &e), RELAY_UNCHANGED);
	assert_int_equal(relay_unpin(&c, &p, &e), RELAY_DONE);
	assert_int_equal(relay_revoke(&c, &g, &e), RELAY_DONE);
	assert_int_equal(check_at("198.51.100.1", 1001, NULL), RELAY_NO);
	assert_int_equal(check_at("198.51.100.2", 1001, NULL), RELAY_NO);
}

static void
expire_counts_what_it_removed(void **s)
{
	struct addr a;
	struct err e;
	struct relay_stats st;
	long removed;
	int64_t when;
	char ip[32];
	int i;

	(void)s;
	for (i = 1; i <= 10; i++) {
		snprintf(ip, sizeof ip, "203.0.113.%d", i);
		a = A(ip);
		assert_int_equal(relay_allow(&c, &a, "u", "pop3", i * 10, 1000, &e), RELAY_DONE);
	}
	assert_int_equal(relay_next_expiry(&c, &when, &e), 1);
	assert_int_equal(when, 1010);
	assert_int_equal(relay_stats(&c, 1050, &st, &e), 0);
	assert_int_equal(st.live, 5);
	assert_int_equal(st.expired, 5);
	assert_int_equal(relay_expire(&c, 1050, &removed, &e), 0);
	assert_int_equal(removed, 5);
	assert_int_equal(relay_expire(&c, 1050, &removed, &e), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(relay_next_expiry(&c, &when, &e), 1);
	assert_int_equal(when, 1060);
}

static void
bad_lifetimes_and_fields_are_refused(void **s)
{
	struct addr a = A("192.0.2.1"), other = A("192.0.2.2");
	struct err e;

	(void)s;
	assert_int_equal(relay_allow(&c, &other, "bob", "pop3", 60, 1000, &e), RELAY_DONE);
	assert_int_equal(relay_allow(&c, &a, "alice", "pop3", 0, 1000, &e), -1);
	assert_non_null(strstr(e.msg, "out of range"));
	assert_int_equal(relay_allow(&c, &a, "alice", "pop3", RELAY_TTL_MAX + 1, 1000, &e), -1);
	assert_int_equal(relay_allow(&c, &a, "al\tice", "pop3", 60, 1000, &e), -1);
	assert_non_null(strstr(e.msg, "control character"));
	assert_int_equal(relay_allow(&c, &a, "alice", "POP3 ", 60, 1000, &e), -1);
	assert_int_equal(relay_pin(&c, &a, "admin", NULL, "two\nlines", 1000, &e), -1);
	assert_int_equal(check_at("192.0.2.1", 1000, NULL), RELAY_NO);
}

static void
remaining_time_never_exceeds_the_longest_lifetime(void **s)
{
	struct grant g;
	struct addr a = A("192.0.2.9");
	struct err e;
	long removed;

	(void)s;
	memset(&g, 0, sizeof g);
	g.expires = 1000 + 3 * (int64_t)RELAY_TTL_MAX;	/* written with the clock years ahead */
	assert_int_equal(grant_remaining(&g, 1000), RELAY_TTL_MAX);
	grant_cap(&g, 1000);
	assert_int_equal(g.expires, 1000 + RELAY_TTL_MAX);
	/* In the store: a sweep brings it down to a year from now. */
	assert_int_equal(relay_allow(&c, &a, "alice", "pop3", 60, 2 * (int64_t)RELAY_TTL_MAX, &e), RELAY_DONE);
	assert_int_equal(relay_expire(&c, 1000, &removed, &e), 0);
	assert_int_equal(check_at("192.0.2.9", 1000 + RELAY_TTL_MAX - 1, NULL), RELAY_GRANT);
	assert_int_equal(check_at("192.0.2.9", 1000 + RELAY_TTL_MAX, NULL), RELAY_NO);
}

/* Root repairs a store with its owner's rights (issue 22): root's own ids and groups come back after. */
static void
root_acts_as_the_store_owner_and_comes_back(void **s)
{
	gid_t before[64], after[64], now[4];
	char private[PATH_MAX + 16];
	struct priv_act a;
	struct err e;
	int n, m;

	(void)s;
	if (geteuid() != 0)
		skip();
	snprintf(private, sizeof private, "%s/private", dir);
	assert_int_equal(mkdir(private, 0700), 0);
	n = getgroups(64, before);
	assert_true(n >= 0);
	assert_int_equal(priv_act_as(65534, 65534, &a, &e), 0);
	assert_int_equal(geteuid(), 65534);
	assert_int_equal(getegid(), 65534);
	assert_int_equal(getuid(), 0);	/* the account may not signal us meanwhile */
	assert_int_equal(getgroups(4, now), 1);
	assert_int_equal(now[0], 65534);
	assert_int_equal(open(private, O_RDONLY | O_DIRECTORY), -1);	/* its rights, not root's */
	assert_int_equal(errno, EACCES);
	assert_int_equal(priv_act_end(&a, &e), 0);
	assert_int_equal(geteuid(), 0);
	assert_int_equal(getegid(), 0);
	m = getgroups(64, after);
	assert_int_equal(m, n);
	assert_memory_equal(after, before, sizeof(gid_t) * (size_t)n);
	/* As root's own account: nothing to change. */
	assert_int_equal(priv_act_as(0, 0, &a, &e), 0);
	assert_int_equal(a.on, 0);
	assert_int_equal(priv_act_end(&a, &e), 0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(root_acts_as_the_store_owner_and_comes_back),
		T(check_allows_a_fresh_grant_and_not_after_its_expiry),
		T(mapped_and_plain_ipv4_are_one_client),
		T(a_pins_own_relayclient_wins_over_the_configured_one),
		T(a_login_from_a_pinned_address_leaves_the_pin),
		T(unpin_removes_only_pins_and_revoke_only_grants),
		T(expire_counts_what_it_removed),
		T(bad_lifetimes_and_fields_are_refused),
		T(remaining_time_never_exceeds_the_longest_lifetime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
