/* test_pop: checkpassword input, RFC 1939 digests, and network lists. */
#include "helpers.h"
#include <time.h>

#include "core/addr.h"
#include "core/pop.h"
#include "stores/tries.h"

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

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Each try books the next a pause on, before its check: the next waits for it. */
static void
a_try_waits_for_the_pause_the_last_one_booked(void **s)
{
	struct timespec t0, next, again;
	struct config c;
	struct tries t;
	struct stat st;
	struct err e;
	char path[PATH_MAX];

	(void)s;
	config_for(&c, dir);
	snprintf(c.passwords, sizeof c.passwords, "%s/passwords.db", dir);
	clock_gettime(CLOCK_REALTIME, &t0);
	assert_int_equal(pop_tries_open(&c, 4242, &t, &e), 0);
	assert_int_equal(tries_take(&t, 300, &next, &e), 0);	/* the first: nothing booked */
	tries_close(&t);
	assert_true(next.tv_sec > t0.tv_sec || (next.tv_sec == t0.tv_sec && next.tv_nsec > t0.tv_nsec));
	/* A try that never waits out its pause (killed) has paid all the same. */
	assert_int_equal(pop_tries_open(&c, 4242, &t, &e), 0);
	assert_int_equal(tries_take(&t, 300, &again, &e), 0);
	tries_close(&t);
	assert_true(ms_since(&t0) >= 300);
	/* Another user's turns are their own. */
	clock_gettime(CLOCK_REALTIME, &t0);
	assert_int_equal(pop_tries_open(&c, 4243, &t, &e), 0);
	assert_int_equal(tries_take(&t, 300, &next, &e), 0);
	tries_close(&t);
	snprintf(path, sizeof path, "%s/passwords.db.tries", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof path, "%s/passwords.db.tries/4242", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

/* What is not a time (only root writes the file, but still) costs a whole pause. */
static void
a_damaged_turn_costs_a_whole_pause(void **s)
{
	char d[PATH_MAX], path[PATH_MAX + 16];
	struct timespec t0, next;
	struct tries t;
	struct err e;

	(void)s;
	snprintf(d, sizeof d, "%s/tries", dir);
	assert_int_equal(mkdir(d, 0700), 0);
	snprintf(path, sizeof path, "%s/7", d);
	write_text(path, "soon\n");
	clock_gettime(CLOCK_REALTIME, &t0);
	assert_int_equal(tries_open(&t, d, 7, &e), 0);
	assert_int_equal(tries_take(&t, 200, &next, &e), 0);
	tries_close(&t);
	assert_true(ms_since(&t0) >= 200);
}

/* Turns nobody else may move: a directory others may write, or a link for the file, are refused. */
static void
turns_kept_where_others_could_move_them_are_refused(void **s)
{
	char d[PATH_MAX], path[PATH_MAX + 16];
	struct tries t;
	struct err e;

	(void)s;
	snprintf(d, sizeof d, "%s/open", dir);
	assert_int_equal(mkdir(d, 0700), 0);
	assert_int_equal(chmod(d, 0733), 0);
	assert_int_equal(tries_open(&t, d, 7, &e), -1);
	assert_non_null(strstr(e.msg, "writable by nobody else; refusing it"));
	assert_int_equal(t.fd, -1);
	assert_int_equal(chmod(d, 0700), 0);
	snprintf(path, sizeof path, "%s/7", d);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	assert_int_equal(tries_open(&t, d, 7, &e), -1);
	assert_non_null(strstr(e.msg, "a symbolic link; refusing to follow it"));
	snprintf(path, sizeof path, "%s/link", dir);
	assert_int_equal(symlink(d, path), 0);
	assert_int_equal(tries_open(&t, path, 8, &e), -1);
	assert_non_null(strstr(e.msg, "not a directory (a link?); refusing it"));
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
		cmocka_unit_test_setup_teardown(a_try_waits_for_the_pause_the_last_one_booked,
		    scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(a_damaged_turn_costs_a_whole_pause, scratch_setup,
		    scratch_teardown),
		cmocka_unit_test_setup_teardown(turns_kept_where_others_could_move_them_are_refused,
		    scratch_setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
