/* test_grantdb: the grants store's format, its promises to Postfix, and its index. */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>

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

static void
put_all(const struct grant *gs, size_t n)
{
	struct grantdb *db;
	struct err e;
	size_t i;

	db = grantdb_open(dir, GRANTDB_WRITE, &opts, &e);
	assert_non_null(db);
	for (i = 0; i < n; i++)
		assert_int_equal(grantdb_put(db, &gs[i], &e), 0);
	assert_int_equal(grantdb_commit(db, &e), 0);
	grantdb_close(db);
}

/* Read grants.db with libdb alone, as Postfix does. */
static int
raw_get(const char *key, size_t klen, char *val, size_t vcap, size_t *vlen)
{
	char path[PATH_MAX];
	DB *db;
	DBT k, v;
	int r;

	snprintf(path, sizeof path, "%s/grants.db", dir);
	assert_int_equal(db_create(&db, NULL, 0), 0);
	assert_int_equal(db->open(db, NULL, path, NULL, DB_BTREE, DB_RDONLY, 0), 0);
	memset(&k, 0, sizeof k);
	memset(&v, 0, sizeof v);
	k.data = (void *)(uintptr_t)key;
	k.size = (u_int32_t)klen;
	v.data = val;
	v.ulen = (u_int32_t)vcap;
	v.flags = DB_DBT_USERMEM;
	r = db->get(db, NULL, &k, &v, 0);
	*vlen = v.size;
	db->close(db, 0);
	return r;
}

static void
grants_file_holds_digits_only_as_postmap_writes_them(void **s)
{
	struct grant gs[2] = { grant_of("192.0.2.1", 1999999999, 0),
	    grant_of("2001:db8::1", 0, 1) };
	char v[64];
	size_t n;

	(void)s;
	put_all(gs, 2);
	assert_int_equal(raw_get("192.0.2.1", 10, v, sizeof v, &n), 0);
	assert_int_equal(n, 11);
	assert_memory_equal(v, "1999999999", 11);	/* with postmap's NUL */
	assert_int_equal(raw_get("2001:db8::1", 12, v, sizeof v, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(v, "0", 2);
	/* Nothing but the addresses: details live in the other file. */
	assert_int_equal(raw_get("g192.0.2.1", 10, v, sizeof v, &n), DB_NOTFOUND);
}

static void
get_returns_every_detail_put_stored(void **s)
{
	struct grant g = grant_of("192.0.2.9", 0, 1), out;
	struct grantdb *db;
	struct err e;

	(void)s;
	g.has_relayclient = 1;
	snprintf(g.relayclient, sizeof g.relayclient, "@partner");
	snprintf(g.note, sizeof g.note, "office network, ticket 42");
	put_all(&g, 1);
	db = grantdb_open(dir, GRANTDB_READ, &opts, &e);
	assert_non_null(db);
	assert_int_equal(grantdb_get(db, "192.0.2.9", &out, &e), 1);
	assert_int_equal(out.pinned, 1);
	assert_int_equal(out.has_relayclient, 1);
	assert_string_equal(out.relayclient, "@partner");
	assert_string_equal(out.note, "office network, ticket 42");
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.proto, "pop3");
	assert_int_equal(out.granted, 1000);
	assert_int_equal(grantdb_get(db, "192.0.2.10", &out, &e), 0);
	grantdb_close(db);
}

static void
replacing_a_grant_moves_its_index_entry(void **s)
{
	struct grant g1 = grant_of("192.0.2.1", 100, 0), g2 = grant_of("192.0.2.1", 500, 0);
	struct grantdb *db;
	struct err e;
	long removed;
	int64_t when;

	(void)s;
	put_all(&g1, 1);
	put_all(&g2, 1);
	db = grantdb_open(dir, GRANTDB_WRITE, &opts, &e);
	assert_int_equal(grantdb_next_expiry(db, &when, &e), 1);
	assert_int_equal(when, 500);
	assert_int_equal(grantdb_expire(db, 200, &removed, &e), 0);
	assert_int_equal(removed, 0);	/* the stale 100 entry is gone, not the grant */
	assert_int_equal(grantdb_expire(db, 500, &removed, &e), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(grantdb_next_expiry(db, &when, &e), 0);
	assert_int_equal(grantdb_commit(db, &e), 0);
	grantdb_close(db);
}

static int
collect(const struct grant *g, void *arg)
{
	char *out = arg;

	strcat(out, g->addr);
	strcat(out, g->pinned ? "=pin " : " ");
	return 0;
}

static void
expire_removes_due_grants_and_never_pins(void **s)
{
	struct grant gs[5] = { grant_of("10.0.0.1", 100, 0), grant_of("10.0.0.2", 200, 0),
	    grant_of("10.0.0.3", 300, 0), grant_of("10.0.0.4", 0, 1),
	    grant_of("10.0.0.5", 200, 0) };
	struct grantdb *db;
	struct err e;
	char seen[256] = "";
	long removed;

	(void)s;
	put_all(gs, 5);
	db = grantdb_open(dir, GRANTDB_WRITE, &opts, &e);
	assert_int_equal(grantdb_expire(db, 200, &removed, &e), 0);
	assert_int_equal(removed, 3);
	assert_int_equal(grantdb_commit(db, &e), 0);
	assert_int_equal(grantdb_each(db, collect, seen, &e), 0);
	assert_string_equal(seen, "10.0.0.3 10.0.0.4=pin ");
	grantdb_close(db);
}

static void
uncommitted_changes_are_dropped(void **s)
{
	struct grant g = grant_of("10.0.0.1", 100, 0);
	struct grantdb *db;
	struct err e;
	int64_t x;
	int p;

	(void)s;
	db = grantdb_open(dir, GRANTDB_WRITE, &opts, &e);
	assert_int_equal(grantdb_put(db, &g, &e), 0);
	grantdb_close(db);	/* no commit */
	db = grantdb_open(dir, GRANTDB_READ, &opts, &e);
	assert_int_equal(grantdb_lookup(db, "10.0.0.1", &x, &p, &e), 0);
	grantdb_close(db);
}

static void
each_commit_moves_mtime_on_by_a_second_at_least(void **s)
{
	struct grant g = grant_of("10.0.0.1", 100, 0);
	char path[PATH_MAX];
	struct stat st1, st2;

	(void)s;
	put_all(&g, 1);
	snprintf(path, sizeof path, "%s/grants.db", dir);
	assert_int_equal(stat(path, &st1), 0);
	g.expires = 200;
	put_all(&g, 1);
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st2.st_mtime >= st1.st_mtime + 1);
}

static void
reading_a_missing_store_fails_naming_the_file(void **s)
{
	struct grantdb *db;
	struct err e;
	char want[PATH_MAX + 64];

	char none[PATH_MAX];

	(void)s;
	snprintf(none, sizeof none, "%s/none", dir);
	assert_int_equal(mkdir(none, 0755), 0);	/* no relaygate init here */
	db = grantdb_open(none, GRANTDB_READ, &opts, &e);
	assert_null(db);
	snprintf(want, sizeof want, "open %s/grants.db: No such file or directory", none);
	assert_string_equal(e.msg, want);
	assert_int_equal(e.kind, ERR_TEMP);
}

static void
a_held_lock_times_out_with_a_clear_message(void **s)
{
	struct grant g = grant_of("10.0.0.1", 100, 0);
	struct grantdb_opts quick = { .lock_timeout_ms = 200 };
	char path[PATH_MAX];
	struct grantdb *db;
	struct err e;
	int fd;

	(void)s;
	put_all(&g, 1);
	snprintf(path, sizeof path, "%s/grants.db", dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);	/* as postmap would */
	db = grantdb_open(dir, GRANTDB_READ, &quick, &e);
	assert_null(db);
	assert_non_null(strstr(e.msg, "still locked after 200 ms"));
	close(fd);
	db = grantdb_open(dir, GRANTDB_READ, &quick, &e);
	assert_non_null(db);
	grantdb_close(db);
}

static void
a_damaged_value_is_an_error_not_a_crash(void **s)
{
	struct grant g = grant_of("10.0.0.1", 100, 0);
	char path[PATH_MAX];
	struct grantdb *db;
	struct err e;
	DB *raw;
	DBT k, v;
	int64_t x;
	int p;

	(void)s;
	put_all(&g, 1);
	snprintf(path, sizeof path, "%s/grants.db", dir);
	assert_int_equal(db_create(&raw, NULL, 0), 0);
	assert_int_equal(raw->open(raw, NULL, path, NULL, DB_BTREE, 0, 0), 0);
	memset(&k, 0, sizeof k);
	memset(&v, 0, sizeof v);
	k.data = "10.0.0.1";
	k.size = 9;
	v.data = "OK";
	v.size = 3;
	assert_int_equal(raw->put(raw, NULL, &k, &v, 0), 0);
	raw->close(raw, 0);
	db = grantdb_open(dir, GRANTDB_READ, &opts, &e);
	assert_int_equal(grantdb_lookup(db, "10.0.0.1", &x, &p, &e), -1);
	assert_non_null(strstr(e.msg, "damaged record for 10.0.0.1"));
	grantdb_close(db);
}

static void
writing_through_a_read_handle_is_refused(void **s)
{
	struct grant g = grant_of("10.0.0.1", 100, 0);
	struct grantdb *db;
	struct err e;

	(void)s;
	put_all(&g, 1);
	db = grantdb_open(dir, GRANTDB_READ, &opts, &e);
	assert_int_equal(grantdb_put(db, &g, &e), -1);
	assert_int_equal(grantdb_del(db, "10.0.0.1", &e), -1);
	grantdb_close(db);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(grants_file_holds_digits_only_as_postmap_writes_them),
		T(get_returns_every_detail_put_stored),
		T(replacing_a_grant_moves_its_index_entry),
		T(expire_removes_due_grants_and_never_pins),
		T(uncommitted_changes_are_dropped),
		T(each_commit_moves_mtime_on_by_a_second_at_least),
		T(reading_a_missing_store_fails_naming_the_file),
		T(a_held_lock_times_out_with_a_clear_message),
		T(a_damaged_value_is_an_error_not_a_crash),
		T(writing_through_a_read_handle_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
