/*
 * test_pagelog: a writer killed at any step of a commit leaves the store
 * either as it was or as the commit made it, never torn; the next opener
 * finishes or discards the dead writer's journal; pagelog_check tells
 * what a journal holds without changing it; pagelog_replace puts whole
 * new contents in the same files through the journal.
 */
#include <db.h>
#include <fcntl.h>
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

/* The whole of path, malloc'd and NUL-terminated. */
static char *
read_text(const char *path)
{
	char *b = calloc(1, 4096);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_non_null(b);
	assert_true(fd >= 0);
	n = read(fd, b, 4095);
	assert_true(n >= 0);
	close(fd);
	return b;
}

/* What pagelog_check says of the journal in dir. */
static int
check_journal(void)
{
	char path[PATH_MAX];
	struct err e;
	int fd, r;

	snprintf(path, sizeof path, "%s/%s", dir, GRANTDB_JOURNAL);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -2;
	r = pagelog_check(fd, path, 2, &e);
	close(fd);
	return r;
}

static void
check_tells_a_whole_journal_from_an_unfinished_one_changing_nothing(void **s)
{
	char path[PATH_MAX];
	struct grantdb *db;
	struct stat st;
	struct err e;
	int status;
	pid_t pid;

	(void)s;
	assert_int_equal(check_journal(), 0);	/* as relaygate init made it */
	/* Killed after the end record (journal body, end record, then this
	 * step), before the apply: the change happened, the files lag. */
	if ((pid = fork()) == 0)
		write_batch(0, 10, 1, 2);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(check_journal(), 1);
	assert_int_equal(check_journal(), 1);	/* checking changed nothing */
	db = grantdb_open(dir, GRANTDB_READ, &opts, &e);	/* the next opener finishes it */
	assert_non_null(db);
	grantdb_close(db);
	assert_int_equal(check_journal(), 0);
	assert_int_equal(count_present(0, 10), 10);	/* the change a dead writer made */
	snprintf(path, sizeof path, "%s/%s", dir, GRANTDB_JOURNAL);
	write_text(path, "RGPAGES1 half a journal");
	assert_int_equal(check_journal(), 2);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 23);
}

static void
replace_puts_new_contents_in_the_same_files_through_the_journal(void **s)
{
	char d0[PATH_MAX], d1[PATH_MAX], s0[PATH_MAX], s1[PATH_MAX], j[PATH_MAX];
	const char *dn[2] = { d0, d1 }, *sn[2] = { s0, s1 };
	struct stat before, after;
	struct err e;
	char *got;
	int dst[2], src[2], jfd, i;

	(void)s;
	snprintf(d0, sizeof d0, "%s/a", dir);
	snprintf(d1, sizeof d1, "%s/b", dir);
	snprintf(s0, sizeof s0, "%s/new-a", dir);
	snprintf(s1, sizeof s1, "%s/new-b", dir);
	snprintf(j, sizeof j, "%s/j", dir);
	write_text(d0, "an old file, longer than what replaces it");
	write_text(d1, "short");
	write_text(s0, "new a");
	write_text(s1, "a new b, longer than the old one was");
	write_text(j, "");
	assert_int_equal(stat(d0, &before), 0);
	for (i = 0; i < 2; i++) {
		assert_true((dst[i] = open(dn[i], O_RDWR | O_CLOEXEC)) >= 0);
		assert_true((src[i] = open(sn[i], O_RDONLY | O_CLOEXEC)) >= 0);
	}
	assert_true((jfd = open(j, O_RDWR | O_CLOEXEC)) >= 0);
	assert_int_equal(pagelog_replace(jfd, j, dst, dn, src, sn, 2, 1, &e), 0);
	for (i = 0; i < 2; i++) {
		close(dst[i]);
		close(src[i]);
	}
	close(jfd);
	got = read_text(d0);
	assert_string_equal(got, "new a");
	free(got);
	got = read_text(d1);
	assert_string_equal(got, "a new b, longer than the old one was");
	free(got);
	assert_int_equal(stat(d0, &after), 0);
	assert_true(after.st_ino == before.st_ino);	/* the same file: owner, mode, locks kept */
	assert_int_equal(stat(j, &after), 0);
	assert_int_equal(after.st_size, 0);	/* the journal emptied after */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(killed_at_every_commit_step_the_store_is_before_or_after, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(a_journal_without_its_end_is_emptied_not_applied, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(check_tells_a_whole_journal_from_an_unfinished_one_changing_nothing, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(replace_puts_new_contents_in_the_same_files_through_the_journal, scratch_setup, scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
