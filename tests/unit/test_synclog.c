/* test_synclog: the grants store's change log for relaygate sync, and the host in details. */
#include "helpers.h"
#include "stores/grantdb.h"

static const struct grantdb_opts opts = { .lock_timeout_ms = 2000, .sync = 0 };

static struct grant
grant_of(const char *addr, int64_t expires, int pinned)
{
	struct grant g;

	memset(&g, 0, sizeof g);
	snprintf(g.addr, sizeof g.addr, "%s", addr);
	g.expires = pinned ? 0 : expires;
	g.pinned = pinned;
	g.granted = 1000;
	snprintf(g.user, sizeof g.user, "alice");
	snprintf(g.proto, sizeof g.proto, "pop3");
	return g;
}

static struct grantdb *
writer(void)
{
	struct grantdb *db;
	struct err e;

	db = grantdb_open(dir, GRANTDB_WRITE, &opts, &e);
	assert_non_null(db);
	return db;
}

static void
commit_close(struct grantdb *db)
{
	struct err e;

	assert_int_equal(grantdb_commit(db, &e), 0);
	grantdb_close(db);
}

/* Every record of the log, into out (at most 16). */
static size_t
log_all(struct grantdb_change *out, struct grantdb_log *st)
{
	struct grantdb *db;
	struct err e;
	size_t n;

	db = grantdb_open(dir, GRANTDB_READ, &opts, &e);
	assert_non_null(db);
	assert_int_equal(grantdb_log_state(db, st, &e), 0);
	assert_int_equal(grantdb_log_read(db, 0, 16, out, &n, &e), 0);
	grantdb_close(db);
	return n;
}

static void
nothing_is_logged_until_sync_turns_the_log_on(void **s)
{
	struct grantdb_change c[16];
	struct grantdb_log st;
	struct grant g = grant_of("10.0.0.1", 4000000000LL, 0);
	struct grantdb *db = writer();
	struct err e;

	(void)s;
	assert_int_equal(grantdb_put(db, &g, &e), 0);
	commit_close(db);
	assert_int_equal(log_all(c, &st), 0);
	assert_int_equal(st.on, 0);
}

static void
enabling_logs_what_the_store_holds_then_every_change(void **s)
{
	struct grantdb_change c[16];
	struct grantdb_log st;
	struct grant g = grant_of("10.0.0.1", 4000000000LL, 0);
	struct grant p = grant_of("2001:db8::1", 0, 1);
	struct grantdb *db = writer();
	struct err e;

	(void)s;
	assert_int_equal(grantdb_put(db, &g, &e), 0);
	commit_close(db);
	db = writer();
	assert_int_equal(grantdb_log_enable(db, &e), 0);
	commit_close(db);
	db = writer();
	assert_int_equal(grantdb_put(db, &p, &e), 0);
	assert_int_equal(grantdb_del(db, "10.0.0.1", &e), 1);
	commit_close(db);
	assert_int_equal(log_all(c, &st), 3);
	assert_int_equal(st.on, 1);
	assert_int_equal(st.pending, 3);
	assert_true(st.oldest > 0);
	assert_int_equal(c[0].del, 0);
	assert_string_equal(c[0].g.addr, "10.0.0.1");
	assert_string_equal(c[0].g.user, "alice");
	assert_int_equal(c[0].g.expires, 4000000000LL);
	assert_int_equal(c[1].del, 0);
	assert_string_equal(c[1].g.addr, "2001:db8::1");
	assert_int_equal(c[1].g.pinned, 1);
	assert_int_equal(c[2].del, 1);
	assert_string_equal(c[2].g.addr, "10.0.0.1");
	assert_int_equal(c[2].g.pinned, 0);
	assert_true(c[0].seq < c[1].seq && c[1].seq < c[2].seq);
}

static void
uncommitted_changes_leave_no_record(void **s)
{
	struct grantdb_change c[16];
	struct grantdb_log st;
	struct grant g = grant_of("10.0.0.2", 4000000000LL, 0);
	struct grantdb *db = writer();
	struct err e;

	(void)s;
	assert_int_equal(grantdb_log_enable(db, &e), 0);
	commit_close(db);
	db = writer();
	assert_int_equal(grantdb_put(db, &g, &e), 0);
	grantdb_close(db);	/* no commit: neither the change nor its record */
	assert_int_equal(log_all(c, &st), 0);
	assert_int_equal(st.pending, 0);
}

static void
unlogged_sessions_and_sweeps_are_not_logged(void **s)
{
	struct grantdb_change c[16];
	struct grantdb_log st;
	struct grant g = grant_of("10.0.0.3", 50, 0);
	struct grantdb *db = writer();
	struct err e;
	long removed;

	(void)s;
	assert_int_equal(grantdb_log_enable(db, &e), 0);
	commit_close(db);
	db = writer();
	grantdb_unlogged(db);
	assert_int_equal(grantdb_put(db, &g, &e), 0);
	commit_close(db);
	db = writer();
	assert_int_equal(grantdb_expire(db, 100, &removed, &e), 0);
	assert_int_equal(removed, 1);
	commit_close(db);
	assert_int_equal(log_all(c, &st), 0);
}

static void
trim_removes_what_was_pushed_and_keeps_the_rest(void **s)
{
	struct grantdb_change c[16];
	struct grantdb_log st;
	struct grant g;
	struct grantdb *db = writer();
	struct err e;
	size_t n;

	(void)s;
	assert_int_equal(grantdb_log_enable(db, &e), 0);
	commit_close(db);
	db = writer();
	g = grant_of("10.0.0.4", 4000000000LL, 0);
	assert_int_equal(grantdb_put(db, &g, &e), 0);
	g = grant_of("10.0.0.5", 4000000000LL, 0);
	assert_int_equal(grantdb_put(db, &g, &e), 0);
	commit_close(db);
	n = log_all(c, &st);
	assert_int_equal(n, 2);
	db = writer();
	assert_int_equal(grantdb_log_trim(db, c[0].seq, &e), 0);
	commit_close(db);
	assert_int_equal(log_all(c, &st), 1);
	assert_string_equal(c[0].g.addr, "10.0.0.5");
	assert_int_equal(st.pending, 1);
	db = writer();
	assert_int_equal(grantdb_log_disable(db, &e), 0);
	commit_close(db);
	assert_int_equal(log_all(c, &st), 0);
	assert_int_equal(st.on, 0);
}

static void
a_host_is_kept_with_the_details_and_read_back(void **s)
{
	struct grant g = grant_of("10.0.0.6", 4000000000LL, 0), got;
	struct grantdb *db = writer();
	struct err e;

	(void)s;
	snprintf(g.host, sizeof g.host, "pop1.example.org");
	assert_int_equal(grantdb_put(db, &g, &e), 0);
	g = grant_of("10.0.0.7", 4000000000LL, 0);	/* no host: version 1 */
	assert_int_equal(grantdb_put(db, &g, &e), 0);
	commit_close(db);
	db = grantdb_open(dir, GRANTDB_READ, &opts, &e);
	assert_int_equal(grantdb_get(db, "10.0.0.6", &got, &e), 1);
	assert_string_equal(got.host, "pop1.example.org");
	assert_string_equal(got.user, "alice");
	assert_int_equal(grantdb_get(db, "10.0.0.7", &got, &e), 1);
	assert_string_equal(got.host, "");
	grantdb_close(db);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(nothing_is_logged_until_sync_turns_the_log_on),
		T(enabling_logs_what_the_store_holds_then_every_change),
		T(uncommitted_changes_leave_no_record),
		T(unlogged_sessions_and_sweeps_are_not_logged),
		T(trim_removes_what_was_pushed_and_keeps_the_rest),
		T(a_host_is_kept_with_the_details_and_read_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
