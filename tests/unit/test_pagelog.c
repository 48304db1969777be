/*
 * test_pagelog: a writer killed at any step of a commit leaves the store
 * either as it was or as the commit made it, never torn; the next opener
 * finishes or discards the dead writer's journal.
 */
#include <db.h>
#include <signal.h>
#include <sys/wait.h>

#include "helpers.h"
#include "stores/grantdb.h"
#include "stores/pagelog.h"

static const struct grantdb_opts opts = { .lock_timeout_ms = 2000, .sync = 1 };

static void
grant_n(struct grant *g, int i, int pinned)
{
	memset(g, 0, sizeof *g);
	snprintf(g->addr, sizeof g->addr, "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
	g->pinned = pinned;
	g->expires = pinned ? 0 : 2000000000 + i;
	g->granted = 1;
	snprintf(g->user, sizeof g->user, "user%d", i);
	snprintf(g->proto, sizeof g->proto, "pop3");
}

/* Grants [from, to) in one commit; crash_at >= 0 kills us on that step. */
static void
write_batch(int from, int to, int pinned, long crash_at)
{
	struct grantdb *db;
	struct grant g;
	struct err e;
	int i;

	if ((db = grantdb_open(dir, GRANTDB_WRITE, &opts, &e)) == NULL)
		_exit(10);
	for (i = from; i < to; i++) {
		grant_n(&g, i, pinned);
		if (grantdb_put(db, &g, &e) < 0)
			_exit(11);
	}
	pagelog_crash_after(crash_at);
	if (grantdb_commit(db, &e) < 0)
		_exit(12);
	grantdb_close(db);
	_exit(0);
}

static int
verify(const char *name)
{
	char path[PATH_MAX];
	DB *db;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (db_create(&db, NULL, 0) != 0)
		return -1;
	db->set_errfile(db, NULL);
	return db->verify(db, path, NULL, NULL, 0) == 0 ? 0 : -1;	/* closes db */
}

static int
count_present(int from, int to)
{
	struct grantdb *db;
	struct grant g, got;
	struct err e;
	int i, n = 0;

	db = grantdb_open(dir, GRANTDB_READ, &opts, &e);
	if (db == NULL)
		fail_msg("reopen after crash: %s", e.msg);
	for (i = from; i < to; i++) {
		grant_n(&g, i, 0);
		if (grantdb_get(db, g.addr, &got, &e) == 1)
			n++;
	}
	grantdb_close(db);
	return n;
}

static void
killed_at_every_commit_step_the_store_is_before_or_after(void **s)
{
	enum { PINS = 300, BATCH = 400 };
	long step;
	int status, present, crashed = 0, before = 0, after = 0;
	pid_t pid;

	(void)s;
	/* Pins first, in their own commit: they must survive every crash. */
	if ((pid = fork()) == 0)
		write_batch(0, PINS, 1, -1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* A batch big enough to split pages in both files and grow them. */
	for (step = 0;; step++) {
		if ((pid = fork()) == 0)
			write_batch(PINS, PINS + BATCH, 0, step);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status)) {
			assert_int_equal(WEXITSTATUS(status), 0);
			break;		/* ran out of steps: it committed */
		}
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		crashed++;
		present = count_present(PINS, PINS + BATCH);	/* recovers */
		assert_true(present == 0 || present == BATCH);
		before += present == 0;
		after += present == BATCH;
		assert_int_equal(count_present(0, 0), 0);
		assert_int_equal(verify(GRANTDB_FILE), 0);
		assert_int_equal(verify(GRANTDB_META), 0);
		{
			/* every pin still there */
			struct grantdb *db = grantdb_open(dir, GRANTDB_READ, &opts, NULL);
			struct grant g, got;
			int i;

			assert_non_null(db);
			for (i = 0; i < PINS; i++) {
				grant_n(&g, i, 1);
				assert_int_equal(grantdb_get(db, g.addr, &got, NULL), 1);
				assert_true(got.pinned);
			}
			grantdb_close(db);
		}
		if (present == BATCH) {
			/* Committed before the kill: undo it for the next round. */
			struct grantdb *db = grantdb_open(dir, GRANTDB_WRITE, &opts, NULL);
			struct grant g;
			int i;

			assert_non_null(db);
			for (i = PINS; i < PINS + BATCH; i++) {
				grant_n(&g, i, 0);
				assert_int_equal(grantdb_del(db, g.addr, NULL), 1);
			}
			assert_int_equal(grantdb_commit(db, NULL), 0);
			grantdb_close(db);
		}
	}
	/* Killed while writing the journal, before its end record, while
	 * applying pages and at the emptying: both sides of the commit point. */
	assert_true(crashed >= 5);
	assert_true(before >= 2);
	assert_true(after >= 2);
	assert_int_equal(count_present(PINS, PINS + BATCH), BATCH);
	assert_int_equal(verify(GRANTDB_FILE), 0);
	assert_int_equal(verify(GRANTDB_META), 0);
}

static void
a_journal_without_its_end_is_emptied_not_applied(void **s)
{
	char path[PATH_MAX];
	struct grantdb *db;
	struct stat st;
	struct err e;
	int status;
	pid_t pid;

	(void)s;
	if ((pid = fork()) == 0)
		write_batch(0, 10, 1, -1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	snprintf(path, sizeof path, "%s/%s", dir, GRANTDB_JOURNAL);
	write_text(path, "RGPAGES1 this is not a journal at all, just garbage....");
	db = grantdb_open(dir, GRANTDB_READ, &opts, &e);
	assert_non_null(db);
	grantdb_close(db);
	assert_int_equal(count_present(0, 10), 10);	/* the store as it was */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);	/* a commit that never happened */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(killed_at_every_commit_step_the_store_is_before_or_after, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(a_journal_without_its_end_is_emptied_not_applied, scratch_setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
