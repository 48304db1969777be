/*
 * test_tidy: a sweep removes a grant from grants.db and the expiry order
 * at once and queues its details and user entry for relay_tidy; until the
 * tidy runs, every face passes over what is left (even with expired
 * grants shown), relaygate verify finds nothing wrong, and an address
 * granted again meanwhile keeps its new grant whole and leaves nothing
 * stale behind.
 */
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

static long
sweep(int64_t now)
{
	struct err e;
	long removed;

	if (relay_expire(&c, now, &removed, &e) < 0)
		fail_msg("expire: %s", e.msg);
	return removed;
}

static long
tidy(void)
{
	struct err e;
	long n;

	if (relay_tidy(&c, &n, &e) < 0)
		fail_msg("tidy: %s", e.msg);
	return n;
}

static void
quiet(const char *line, void *arg)
{
	(void)line;
	(void)arg;
}

/* The problems relaygate verify finds. */
static long
problems(void)
{
	struct relay_fsck r;
	struct err e;

	if (relay_verify(&c, quiet, NULL, &r, &e) < 0)
		fail_msg("verify: %s", e.msg);
	return r.problems;
}

/* "addr/user" of every row of order o at now, expired grants shown, space-separated. */
static char *
rows(enum view_order o, int64_t now)
{
	static char out[4096];
	static const struct view_filter all = { .all = 1 };
	struct view_row r[64];
	struct view_key k;
	struct err e;
	size_t n, i;
	int partial;

	memset(&k, 0, sizeof k);
	if (view_read(&c, o, &all, VIEW_FIRST, &k, 64, now, 0, r, &n, &partial, NULL, &e) < 0)
		fail_msg("view_read: %s", e.msg);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, r[i].g.addr);
		strcat(out, "/");
		strcat(out, r[i].g.pinned ? "pin" : r[i].g.user);
	}
	return out;
}

/* Whether grants-meta.db still holds details for ip (left over or not). */
static int
has_details(const char *ip)
{
	struct grantdb_opts o = { .lock_timeout_ms = 1000 };
	struct grantdb *db;
	struct grant g;
	struct err e;
	int r;

	if ((db = grantdb_open(dir, GRANTDB_READ, &o, &e)) == NULL)
		fail_msg("open: %s", e.msg);
	r = grantdb_details(db, ip, &g, &e);
	grantdb_close(db);
	return r;
}

static void
a_sweep_leaves_details_for_the_tidy_which_no_face_shows(void **s)
{
	struct addr p = A("10.0.0.9");
	struct err e;

	(void)s;
	allow("10.0.0.1", "alice", 10, 1000);
	allow("10.0.0.2", "bob", 1000, 1000);
	allow("10.0.0.3", "carol", 20, 1000);
	assert_int_equal(relay_pin(&c, &p, "admin", NULL, "", 1000, &e), RELAY_DONE);
	/* Before the sweep an expired grant is shown, as expired. */
	assert_string_equal(rows(VIEW_BY_ADDR, 1100),
	    "10.0.0.1/alice 10.0.0.2/bob 10.0.0.3/carol 10.0.0.9/pin");
	assert_int_equal(sweep(1100), 2);
	/* Swept: gone from every order, the details still there for the tidy. */
	assert_int_equal(has_details("10.0.0.1"), 1);
	assert_string_equal(rows(VIEW_BY_ADDR, 1100), "10.0.0.2/bob 10.0.0.9/pin");
	assert_string_equal(rows(VIEW_BY_USER, 1100), "10.0.0.9/pin 10.0.0.2/bob");
	assert_string_equal(rows(VIEW_BY_EXPIRY, 1100), "10.0.0.2/bob 10.0.0.9/pin");
	assert_int_equal(problems(), 0);
	/* A reader whose clock is behind the sweep's (relaygate expire under
	 * faketime, say) passes over them too: the sweep marked how far it went. */
	assert_string_equal(rows(VIEW_BY_ADDR, 1005), "10.0.0.2/bob 10.0.0.9/pin");
	assert_string_equal(rows(VIEW_BY_USER, 1005), "10.0.0.9/pin 10.0.0.2/bob");
	assert_int_equal(tidy(), 2);
	assert_int_equal(has_details("10.0.0.1"), 0);
	assert_int_equal(has_details("10.0.0.3"), 0);
	assert_int_equal(has_details("10.0.0.2"), 1);
	assert_string_equal(rows(VIEW_BY_ADDR, 1100), "10.0.0.2/bob 10.0.0.9/pin");
	assert_int_equal(problems(), 0);
	assert_int_equal(tidy(), 0);	/* nothing queued any more */
}

static void
granted_again_before_the_tidy_the_new_grant_stays_whole(void **s)
{
	struct addr a = A("10.0.0.1");
	struct grant g;
	struct err e;

	(void)s;
	/* By another user: the old user entry must not linger. */
	allow("10.0.0.1", "alice", 10, 1000);
	assert_int_equal(sweep(1100), 1);
	allow("10.0.0.1", "dave", 100, 1100);
	assert_string_equal(rows(VIEW_BY_USER, 1100), "10.0.0.1/dave");
	assert_int_equal(problems(), 0);	/* no stale user entry for alice */
	assert_int_equal(tidy(), 1);
	assert_int_equal(relay_get(&c, &a, &g, &e), 1);
	assert_string_equal(g.user, "dave");
	assert_string_equal(rows(VIEW_BY_USER, 1100), "10.0.0.1/dave");
	assert_int_equal(problems(), 0);
	/* With the very expiry the swept grant had: the tidy leaves it be. */
	assert_int_equal(sweep(1300), 1);
	allow("10.0.0.1", "erin", 100, 1100);	/* expires at 1200 again */
	assert_int_equal(tidy(), 1);
	assert_int_equal(relay_get(&c, &a, &g, &e), 1);
	assert_string_equal(g.user, "erin");
	assert_string_equal(rows(VIEW_BY_ADDR, 1150), "10.0.0.1/erin");
	assert_int_equal(problems(), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_sweep_leaves_details_for_the_tidy_which_no_face_shows,
		    setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(granted_again_before_the_tidy_the_new_grant_stays_whole,
		    setup, scratch_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
