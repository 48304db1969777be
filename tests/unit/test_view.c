/* test_view: windows, filters, counts and the change token, with the clock in the test's hand. */
#include <time.h>

#include "helpers.h"
#include "core/relay.h"
#include "core/view.h"
#include "stores/grantdb.h"

static struct config c;

static int
setup(void **s)
{
	scratch_setup(s);
	config_for(&c, dir);
	return 0;
}

static void
allow(const char *ip, const char *user, long ttl, int64_t now)
{
	struct addr a = A(ip);
	struct err e;

	if (relay_allow(&c, &a, user, "pop3", ttl, now, &e) != RELAY_DONE)
		fail_msg("allow %s: %s", ip, e.msg);
}

static void
pin(const char *ip)
{
	struct addr a = A(ip);
	struct err e;

	if (relay_pin(&c, &a, "admin", NULL, "", 1000, &e) != RELAY_DONE)
		fail_msg("pin %s: %s", ip, e.msg);
}

/* The addresses of one window, space-separated. */
static char *
window(enum view_order o, const struct view_filter *f, enum view_from from,
    const char *at, size_t max, int64_t now)
{
	static char out[4096];
	struct view_row rows[64];
	struct view_key k;
	struct grant g;
	struct err e;
	size_t n, i;
	int partial;

	memset(&k, 0, sizeof k);
	if (at != NULL) {
		struct addr a = A(at);
		if (o == VIEW_BY_ADDR)
			view_key_addr(&a, &k);
		else if (relay_get(&c, &a, &g, &e) == 1)
			view_key_of(o, &g, &k);
		else
			fail_msg("no grant for %s", at);
	}
	if (view_read(&c, o, f, from, &k, max, now, 0, rows, &n, &partial, NULL, &e) < 0)
		fail_msg("view_read: %s", e.msg);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(out, rows[i].g.addr);
		if (i + 1 < n)
			strcat(out, " ");
	}
	return out;
}

static const struct view_filter none;

static void
address_order_is_numeric_ipv4_before_ipv6_mapped_as_ipv4(void **s)
{
	(void)s;
	allow("10.0.0.10", "a", 900, 1000);
	allow("2001:db8::2", "a", 900, 1000);
	allow("10.0.0.2", "a", 900, 1000);
	allow("::ffff:9.255.0.1", "a", 900, 1000);
	allow("2001:db8::10", "a", 900, 1000);
	allow("::1", "a", 900, 1000);
	pin("10.0.0.3");
	assert_string_equal(window(VIEW_BY_ADDR, &none, VIEW_FIRST, NULL, 50, 1000),
	    "9.255.0.1 10.0.0.2 10.0.0.3 10.0.0.10 ::1 2001:db8::2 2001:db8::10");
}

static void
paging_forward_then_backward_returns_every_grant_once_in_order(void **s)
{
	struct view_row rows[7];
	struct view_key k;
	struct err e;
	char seen[300][ADDR_TEXT_MAX], ip[32];
	size_t n, i, total = 0;
	int partial;

	(void)s;
	for (i = 0; i < 250; i++) {
		snprintf(ip, sizeof ip, "10.%zu.0.%zu", i % 7, i);
		allow(ip, "u", 900, 1000);
	}
	memset(&k, 0, sizeof k);
	assert_int_equal(view_read(&c, VIEW_BY_ADDR, &none, VIEW_FIRST, &k, 7, 1000, 0,
	    rows, &n, &partial, NULL, &e), 0);
	while (n > 0) {
		for (i = 0; i < n; i++) {
			if (total > 0)
				assert_true(strcmp(seen[total - 1], rows[i].g.addr) != 0);
			strcpy(seen[total++], rows[i].g.addr);
		}
		k = rows[n - 1].key;
		assert_int_equal(view_read(&c, VIEW_BY_ADDR, &none, VIEW_AFTER, &k, 7, 1000, 0,
		    rows, &n, &partial, NULL, &e), 0);
	}
	assert_int_equal(total, 250);
	/* And back again from the end: the same addresses, in reverse. */
	assert_int_equal(view_read(&c, VIEW_BY_ADDR, &none, VIEW_LAST, &k, 7, 1000, 0,
	    rows, &n, &partial, NULL, &e), 0);
	while (n > 0) {
		for (i = n; i > 0; i--)
			assert_string_equal(rows[i - 1].g.addr, seen[--total]);
		k = rows[0].key;
		assert_int_equal(view_read(&c, VIEW_BY_ADDR, &none, VIEW_BEFORE, &k, 7, 1000, 0,
		    rows, &n, &partial, NULL, &e), 0);
	}
	assert_int_equal(total, 0);
}

static void
expiry_order_puts_least_time_first_and_pins_last(void **s)
{
	struct view_filter all = { .all = 1 };

	(void)s;
	allow("192.0.2.1", "a", 300, 1000);
	allow("192.0.2.2", "b", 100, 1000);
	pin("192.0.2.3");
	allow("192.0.2.4", "c", 10, 1000);
	assert_string_equal(window(VIEW_BY_EXPIRY, &none, VIEW_FIRST, NULL, 50, 1000),
	    "192.0.2.4 192.0.2.2 192.0.2.1 192.0.2.3");
	/* Expired at 1050: left out, unless all are asked for. */
	assert_string_equal(window(VIEW_BY_EXPIRY, &none, VIEW_FIRST, NULL, 50, 1050),
	    "192.0.2.2 192.0.2.1 192.0.2.3");
	assert_string_equal(window(VIEW_BY_EXPIRY, &all, VIEW_FIRST, NULL, 50, 1050),
	    "192.0.2.4 192.0.2.2 192.0.2.1 192.0.2.3");
	assert_string_equal(window(VIEW_BY_EXPIRY, &none, VIEW_BEFORE, "192.0.2.3", 2, 1000),
	    "192.0.2.2 192.0.2.1");
	assert_string_equal(window(VIEW_BY_EXPIRY, &none, VIEW_AFTER, "192.0.2.2", 1, 1000),
	    "192.0.2.1");
}

static void
user_order_and_user_filter(void **s)
{
	struct view_filter f;
	struct err e;

	(void)s;
	allow("192.0.2.1", "mallory", 300, 1000);
	allow("192.0.2.2", "alice", 300, 1000);
	allow("192.0.2.3", "bob", 300, 1000);
	allow("192.0.2.4", "alicia", 300, 1000);
	assert_string_equal(window(VIEW_BY_USER, &none, VIEW_FIRST, NULL, 50, 1000),
	    "192.0.2.2 192.0.2.4 192.0.2.3 192.0.2.1");
	memset(&f, 0, sizeof f);
	assert_int_equal(view_filter_parse(&f, "ali", &e), 0);
	assert_string_equal(window(VIEW_BY_ADDR, &f, VIEW_FIRST, NULL, 50, 1000),
	    "192.0.2.2 192.0.2.4");
	/* A re-login changes the user: the old place in the order goes. */
	allow("192.0.2.4", "zoe", 300, 1001);
	assert_string_equal(window(VIEW_BY_USER, &none, VIEW_FIRST, NULL, 50, 1001),
	    "192.0.2.2 192.0.2.3 192.0.2.1 192.0.2.4");
}

static void
address_prefixes_are_ranges_of_the_order(void **s)
{
	struct view_filter f;
	struct err e;

	(void)s;
	allow("10.0.0.1", "a", 900, 1000);
	allow("10.0.0.2", "a", 900, 1000);
	allow("10.0.0.10", "a", 900, 1000);
	allow("10.0.0.19", "a", 900, 1000);
	allow("10.0.0.100", "a", 900, 1000);
	allow("10.0.0.200", "a", 900, 1000);
	allow("10.0.1.1", "a", 900, 1000);
	allow("2001:db8::1", "a", 900, 1000);
	allow("2001:db9::1", "a", 900, 1000);
	memset(&f, 0, sizeof f);
	assert_int_equal(view_filter_prefix(&f, "10.0.0.1", &e), 0);
	assert_string_equal(window(VIEW_BY_ADDR, &f, VIEW_FIRST, NULL, 50, 1000),
	    "10.0.0.1 10.0.0.10 10.0.0.19 10.0.0.100");
	assert_string_equal(window(VIEW_BY_ADDR, &f, VIEW_LAST, NULL, 2, 1000),
	    "10.0.0.19 10.0.0.100");
	assert_string_equal(window(VIEW_BY_EXPIRY, &f, VIEW_FIRST, NULL, 50, 1000),
	    "10.0.0.1 10.0.0.10 10.0.0.19 10.0.0.100");
	memset(&f, 0, sizeof f);
	assert_int_equal(view_filter_prefix(&f, "10.0.0.0/30", &e), 0);
	assert_string_equal(window(VIEW_BY_ADDR, &f, VIEW_FIRST, NULL, 50, 1000),
	    "10.0.0.1 10.0.0.2");
	memset(&f, 0, sizeof f);
	assert_int_equal(view_filter_parse(&f, "2001:DB8:", &e), 0);
	assert_string_equal(window(VIEW_BY_ADDR, &f, VIEW_FIRST, NULL, 50, 1000), "2001:db8::1");
	memset(&f, 0, sizeof f);
	assert_int_equal(view_filter_parse(&f, "10.0.", &e), 0);
	assert_string_equal(window(VIEW_BY_ADDR, &f, VIEW_AFTER, "10.0.0.200", 50, 1000), "10.0.1.1");
	assert_int_equal(view_filter_prefix(&f, "10.0.0.0/33", &e), -1);
	assert_int_equal(view_filter_prefix(&f, "10.300", &e), -1);
	assert_int_equal(view_filter_prefix(&f, "hello", &e), -1);
	assert_non_null(strstr(e.msg, "not an address prefix"));
}

static void
a_user_filter_walk_can_stop_and_go_on(void **s)
{
	struct view_filter f = { .user = "needle" };
	struct view_row rows[4];
	struct view_key k, resume;
	struct err e;
	char ip[32];
	size_t n, i, found = 0;
	int partial, rounds = 0;

	(void)s;
	for (i = 0; i < 3000; i++) {
		snprintf(ip, sizeof ip, "10.1.%zu.%zu", i / 256, i % 256);
		allow(ip, i == 2999 ? "needle" : "hay", 900, 1000);
	}
	memset(&k, 0, sizeof k);
	assert_int_equal(view_read(&c, VIEW_BY_ADDR, &f, VIEW_FIRST, &k, 4, 1000, 1,
	    rows, &n, &partial, &resume, &e), 0);
	for (;;) {
		found += n;
		rounds++;
		if (!partial)
			break;
		assert_true(resume.len > 0);
		k = resume;
		assert_int_equal(view_read(&c, VIEW_BY_ADDR, &f, VIEW_AFTER, &k, 4, 1000, 1,
		    rows, &n, &partial, &resume, &e), 0);
	}
	assert_int_equal(found, 1);
	assert_string_equal(rows[0].g.addr, "10.1.11.183");
	assert_true(rounds >= 1);
}

static long
walk_count(long *pinned)
{
	struct grant g;
	struct addr a;
	struct err e;
	long n = 0;
	char ip[32];
	int i;

	*pinned = 0;
	for (i = 0; i < 64; i++) {
		snprintf(ip, sizeof ip, "172.16.0.%d", i);
		a = A(ip);
		if (relay_get(&c, &a, &g, &e) == 1) {
			n++;
			*pinned += g.pinned;
		}
	}
	return n;
}

static void
counts_agree_with_a_walk_after_random_changes(void **s)
{
	struct view_counts vc;
	struct addr a;
	struct err e;
	long pinned, walked;
	char ip[32];
	int i, capped;

	(void)s;
	srand(7);
	for (i = 0; i < 2000; i++) {
		snprintf(ip, sizeof ip, "172.16.0.%d", rand() % 64);
		a = A(ip);
		switch (rand() % 6) {
		case 0: case 1: relay_allow(&c, &a, "u", "pop3", 1 + rand() % 200, 1000, &e); break;
		case 2: relay_pin(&c, &a, "admin", NULL, "", 1000, &e); break;
		case 3: relay_unpin(&c, &a, &e); break;
		case 4: relay_revoke(&c, &a, &e); break;
		case 5: relay_extend(&c, &a, NULL, 1 + rand() % 300, 1000, &capped, &e); break;
		}
	}
	walked = walk_count(&pinned);
	assert_int_equal(view_counts(&c, 1100, &vc, &e), 0);
	assert_int_equal(vc.total, walked);
	assert_int_equal(vc.pinned, pinned);
	assert_int_equal(vc.timed, walked - pinned);
	assert_true(vc.expired > 0);
	assert_true(vc.oldest_expired > 1000 && vc.oldest_expired <= 1100);
}

static void
extend_is_capped_at_the_longest_lifetime(void **s)
{
	struct addr a = A("192.0.2.9"), p = A("192.0.2.10"), x = A("192.0.2.11");
	struct grant g, seen;
	struct err e;
	int capped;

	(void)s;
	allow("192.0.2.9", "a", 60, 1000);
	pin("192.0.2.10");
	assert_int_equal(relay_extend(&c, &a, NULL, 600, 1010, &capped, &e), RELAY_DONE);
	assert_int_equal(capped, 0);
	assert_int_equal(relay_get(&c, &a, &g, &e), 1);
	assert_int_equal(g.expires, 1610);
	assert_string_equal(g.user, "a");
	assert_int_equal(relay_extend(&c, &a, NULL, RELAY_TTL_MAX * 3, 1010, &capped, &e), RELAY_DONE);
	assert_int_equal(capped, 1);
	assert_int_equal(relay_get(&c, &a, &g, &e), 1);
	assert_int_equal(g.expires, 1010 + RELAY_TTL_MAX);
	assert_int_equal(relay_extend(&c, &p, NULL, 60, 1010, &capped, &e), RELAY_REFUSED);
	assert_int_equal(relay_extend(&c, &x, NULL, 60, 1010, &capped, &e), RELAY_GONE);
	/* What the admin saw has changed: nothing is done. */
	seen = g;
	seen.expires = 1610;
	assert_int_equal(relay_extend(&c, &a, &seen, 60, 1010, &capped, &e), RELAY_CHANGED);
}

static void
revoke_of_what_was_seen_is_gone_once_it_expired(void **s)
{
	struct addr a = A("192.0.2.20"), b = A("192.0.2.21");
	struct grant seen, g;
	struct err e;

	(void)s;
	allow("192.0.2.20", "a", 5, 1000);
	allow("192.0.2.21", "b", 500, 1000);
	assert_int_equal(relay_get(&c, &a, &seen, &e), 1);
	assert_int_equal(relay_revoke_seen(&c, &a, &seen, 1005, &e), RELAY_GONE);
	assert_int_equal(relay_get(&c, &b, &g, &e), 1);
	assert_int_equal(relay_revoke_seen(&c, &b, &g, 1005, &e), RELAY_DONE);
	assert_int_equal(relay_get(&c, &b, &g, &e), 0);
	pin("192.0.2.21");
	assert_int_equal(relay_get(&c, &b, &g, &e), 1);
	assert_int_equal(relay_revoke_seen(&c, &b, &g, 1005, &e), RELAY_REFUSED);
	assert_int_equal(relay_unpin_seen(&c, &b, &g, 1005, &e), RELAY_DONE);
}

static void
a_process_with_a_view_open_expires_in_process(void **s)
{
	struct view_filter all = { .all = 1 };
	long removed;
	struct err e;

	(void)s;
	c.lock_timeout_ms = 200;
	allow("192.0.2.30", "a", 5, 1000);
	allow("192.0.2.31", "a", 500, 1000);
	assert_string_equal(window(VIEW_BY_ADDR, &all, VIEW_FIRST, NULL, 50, 1010),
	    "192.0.2.30 192.0.2.31");
	assert_int_equal(relay_expire(&c, 1010, &removed, &e), 0);
	assert_int_equal(removed, 1);
	assert_string_equal(window(VIEW_BY_ADDR, &all, VIEW_FIRST, NULL, 50, 1010), "192.0.2.31");
}

/* The second of the store file's last status change. */
static int64_t
ctime_of(const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (stat(path, &st) < 0)
		fail_msg("stat %s", path);
	return (int64_t)st.st_ctim.tv_sec;
}

static void
change_token_moves_only_when_the_store_changes(void **s)
{
	struct view_token t;
	int64_t later = (int64_t)time(NULL) + 10, changed_at;

	(void)s;
	memset(&t, 0, sizeof t);
	assert_int_equal(view_changed(&c, &t, later), 1);	/* a new token: read */
	assert_int_equal(view_changed(&c, &t, later), 0);	/* no store, no change */
	allow("192.0.2.40", "a", 500, 1000);
	assert_int_equal(view_changed(&c, &t, later), 1);
	assert_int_equal(view_changed(&c, &t, later), 0);
	/* Looked at within the same second as a change: another change may
	 * hide in the same timestamp, so look again until a second has passed.
	 * (That second is the change's own, from the file: the clock would
	 * move on if the test lost the CPU between the change and the look.) */
	allow("192.0.2.41", "a", 500, 1000);
	changed_at = ctime_of(GRANTDB_FILE);
	assert_int_equal(view_changed(&c, &t, changed_at), 1);
	assert_int_equal(view_changed(&c, &t, changed_at), 1);
	assert_int_equal(view_changed(&c, &t, later), 1);
	assert_int_equal(view_changed(&c, &t, later), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(address_order_is_numeric_ipv4_before_ipv6_mapped_as_ipv4, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(paging_forward_then_backward_returns_every_grant_once_in_order, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(expiry_order_puts_least_time_first_and_pins_last, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(user_order_and_user_filter, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(address_prefixes_are_ranges_of_the_order, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(a_user_filter_walk_can_stop_and_go_on, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(counts_agree_with_a_walk_after_random_changes, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(extend_is_capped_at_the_longest_lifetime, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(revoke_of_what_was_seen_is_gone_once_it_expired, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(a_process_with_a_view_open_expires_in_process, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(change_token_moves_only_when_the_store_changes, setup, scratch_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
