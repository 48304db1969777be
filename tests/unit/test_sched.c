/* test_sched: the expiry schedule that the loop and the console drive, with the clock in the test's hand. */
#include "helpers.h"
#include "core/relay.h"
#include "core/sched.h"

static struct config c;

static int
setup(void **s)
{
	scratch_setup(s);
	config_for(&c, dir);
	return 0;
}

static void
allow(const char *ip, long ttl, int64_t now)
{
	struct addr a;
	struct err e;

	if (addr_parse(ip, &a, NULL) < 0 || relay_allow(&c, &a, "u", "pop3", ttl, now, &e) != RELAY_DONE)
		fail_msg("allow %s", ip);
}

static void
sweeps_when_due_and_wakes_for_the_next_expiry(void **s)
{
	struct sched sc;
	int changed;

	(void)s;
	allow("192.0.2.1", 5, 1000);
	allow("192.0.2.2", 30, 1000);
	sched_init(&sc, 10000, 1000000);
	assert_int_equal(sched_wait_ms(&sc, 1000000), 0);	/* the first sweep at once */
	assert_int_equal(sched_step(&sc, &c, 1000000, &changed), 1);
	assert_int_equal(sc.last_removed, 0);
	/* 192.0.2.1 expires at 1005 s, before the interval is up at 1010 s. */
	assert_int_equal(sched_wait_ms(&sc, 1000000), 5000);
	assert_int_equal(sched_step(&sc, &c, 1004999, &changed), 0);
	assert_int_equal(sched_step(&sc, &c, 1005000, &changed), 1);
	assert_int_equal(sc.last_removed, 1);
	assert_int_equal(sched_wait_ms(&sc, 1005000), 10000);
	assert_int_equal(sched_step(&sc, &c, 1015000, &changed), 1);
	assert_int_equal(sc.last_removed, 0);
	assert_int_equal(sc.total_removed, 1);
	assert_int_equal(sc.last_ms, 1015000);
}

static void
a_sweep_names_what_it_removed_ten_at_most(void **s)
{
	struct sched sc;
	char buf[1024], ip[32];
	int changed, i;

	(void)s;
	allow("192.0.2.1", 5, 1000);
	allow("2001:db8::7", 5, 1000);
	sched_init(&sc, 10000, 1006000);
	assert_int_equal(sched_step(&sc, &c, 1006000, &changed), 1);
	sched_removed_text(&sc, buf, sizeof buf);
	/* Swept in expiry order, then address order. */
	assert_string_equal(buf, "192.0.2.1, 2001:db8::7 (2 grants)");
	for (i = 1; i <= 12; i++) {
		snprintf(ip, sizeof ip, "198.51.100.%d", i);
		allow(ip, 5, 2000 + i);
	}
	assert_int_equal(sched_step(&sc, &c, 2100000, &changed), 1);
	sched_removed_text(&sc, buf, sizeof buf);
	assert_string_equal(buf, "198.51.100.1, 198.51.100.2, 198.51.100.3, 198.51.100.4, "
	    "198.51.100.5, 198.51.100.6, 198.51.100.7, 198.51.100.8, 198.51.100.9, "
	    "198.51.100.10 and 2 more (12 grants)");
	sched_init(&sc, 10000, 2100000);
	assert_int_equal(sched_step(&sc, &c, 2100000, &changed), 1);
	sched_removed_text(&sc, buf, sizeof buf);
	assert_string_equal(buf, " (0 grants)");
}

static void
a_failing_sweep_is_reported_once_and_retried(void **s)
{
	struct sched sc;
	int changed;
	char missing[PATH_MAX];

	(void)s;
	snprintf(missing, sizeof missing, "%s/nope", dir);
	snprintf(c.dir, sizeof c.dir, "%s", missing);
	sched_init(&sc, 1000, 5000);
	assert_int_equal(sched_step(&sc, &c, 5000, &changed), -1);
	assert_int_equal(changed, 1);
	assert_non_null(strstr(sc.err.msg, "nope"));
	assert_int_equal(sched_step(&sc, &c, 6000, &changed), -1);
	assert_int_equal(changed, 0);	/* the same trouble: said already */
	assert_int_equal(mkdir(missing, 0755), 0);
	store_make(missing);
	allow("192.0.2.3", 60, 1);
	assert_int_equal(sched_step(&sc, &c, 7000, &changed), 1);
	assert_int_equal(changed, 1);	/* usable again */
	assert_int_equal(sc.failing, 0);
}

static void
an_expiry_loop_is_missing_after_two_intervals(void **s)
{
	struct view_counts n;

	(void)s;
	memset(&n, 0, sizeof n);
	assert_int_equal(sched_overdue(&n, 10000, 5000), 0);
	n.expired = 3;
	n.oldest_expired = 1000;
	assert_int_equal(sched_overdue(&n, 10000, 1020), 0);
	assert_int_equal(sched_overdue(&n, 10000, 1021), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(sweeps_when_due_and_wakes_for_the_next_expiry, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(a_sweep_names_what_it_removed_ten_at_most, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(a_failing_sweep_is_reported_once_and_retried, setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(an_expiry_loop_is_missing_after_two_intervals, setup, scratch_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
