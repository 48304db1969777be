/*
 * test_group: group commits (pagelog.h), the way a login is recorded: its
 * commit flushes only the journal and leaves its block there, settled,
 * until a checkpoint flushes the files and empties it.  Killed at any step
 * the store is as it was or as the commit made it, and the settled commits
 * before it stay; after another boot every block is applied again, so
 * pages the files lost to the crash come back; the journal never grows
 * past its cap; a checkpoint, or a commit that is not a group one, empties
 * it.
 */
#include <db.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "helpers.h"
#include "stores/grantdb.h"
#include "stores/pagelog.h"

static const struct grantdb_opts group = { .lock_timeout_ms = 2000, .sync = 1, .group = 1 };
static const struct grantdb_opts plain = { .lock_timeout_ms = 2000, .sync = 1 };

/* Grant numbers spread over the address space, so that each commit touches many pages. */
static int spread;

static void
grant_n(struct grant *g, int i)
{
	if (spread)
		i = (int)(((unsigned)i * 2654435761u) >> 8 & 0xffffff);
	memset(g, 0, sizeof *g);
	snprintf(g->addr, sizeof g->addr, "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
	g->expires = 2000000000 + i;
	g->granted = 1;
	snprintf(g->user, sizeof g->user, "user%d", i);
	snprintf(g->proto, sizeof g->proto, "pop3");
}

/* Grants [from, to) in one commit with o; crash_at >= 0: SIGKILLed on that step (in a child). */
static void
write_batch(const struct grantdb_opts *o, int from, int to, long crash_at)
{
	struct grantdb *db;
	struct grant g;
	struct err e;
	int i;

	if ((db = grantdb_open(dir, GRANTDB_WRITE, o, &e)) == NULL)
		fail_msg("open: %s", e.msg);
	for (i = from; i < to; i++) {
		grant_n(&g, i);
		if (grantdb_put(db, &g, &e) < 0)
			fail_msg("put: %s", e.msg);
	}
	pagelog_crash_after(crash_at);
	if (grantdb_commit(db, &e) < 0)
		fail_msg("commit: %s", e.msg);
	pagelog_crash_after(-1);
	grantdb_close(db);
}

/* write_batch in a child: 1 it was killed, 0 it committed. */
static int
write_batch_killed(const struct grantdb_opts *o, int from, int to, long crash_at)
{
	int status;
	pid_t pid;

	if ((pid = fork()) == 0) {
		write_batch(o, from, to, crash_at);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status)) {
		assert_int_equal(WEXITSTATUS(status), 0);
		return 0;
	}
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	return 1;
}

static int
count_present(int from, int to)
{
	struct grantdb *db;
	struct grant g, got;
	struct err e;
	int i, n = 0;

	if ((db = grantdb_open(dir, GRANTDB_READ, &plain, &e)) == NULL)
		fail_msg("reopen: %s", e.msg);
	for (i = from; i < to; i++) {
		grant_n(&g, i);
		if (grantdb_get(db, g.addr, &got, &e) == 1)
			n++;
	}
	grantdb_close(db);
	return n;
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

static off_t
journal_size(void)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", dir, GRANTDB_JOURNAL);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static int
check_journal(void)
{
	char path[PATH_MAX];
	struct err e;
	int fd, r;

	snprintf(path, sizeof path, "%s/%s", dir, GRANTDB_JOURNAL);
	assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0);
	r = pagelog_check(fd, path, 2, &e);
	close(fd);
	return r;
}

static void
checkpoint(void)
{
	struct grantdb *db;
	struct err e;

	if ((db = grantdb_open(dir, GRANTDB_WRITE, &plain, &e)) == NULL ||
	    grantdb_flush(db, &e) < 0)
		fail_msg("checkpoint: %s", e.msg);
	grantdb_close(db);
}

static void
group_commits_stay_in_the_journal_until_a_checkpoint(void **s)
{
	struct grantdb *db;
	struct err e;
	off_t size;

	(void)s;
	write_batch(&group, 0, 10, -1);
	size = journal_size();
	assert_true(size > 0 && size % 512 == 0);
	write_batch(&group, 10, 20, -1);
	assert_true(journal_size() > size);	/* appended, not rewritten */
	assert_int_equal(check_journal(), 0);	/* settled: nothing to finish */
	assert_int_equal(count_present(0, 20), 20);	/* readers see both */
	assert_true(journal_size() > size);	/* and leave it alone */
	checkpoint();
	assert_int_equal(journal_size(), 0);
	assert_int_equal(count_present(0, 20), 20);
	/* A commit that is not a group one is its own checkpoint. */
	write_batch(&group, 20, 30, -1);
	assert_true(journal_size() > 0);
	write_batch(&plain, 30, 40, -1);
	assert_int_equal(journal_size(), 0);
	assert_int_equal(count_present(0, 40), 40);
	/* So is a sweep's flush with nothing to sweep (grantdb_flush alone). */
	write_batch(&group, 40, 41, -1);
	db = grantdb_open(dir, GRANTDB_WRITE, &plain, &e);
	assert_non_null(db);
	assert_int_equal(grantdb_flush(db, &e), 0);
	grantdb_close(db);
	assert_int_equal(journal_size(), 0);
	assert_int_equal(verify(GRANTDB_FILE), 0);
	assert_int_equal(verify(GRANTDB_META), 0);
}

static void
killed_at_every_step_of_a_group_commit_the_settled_ones_stay(void **s)
{
	enum { SETTLED = 200, BATCH = 300 };
	int killed = 0, before = 0, after = 0, present;
	long step;

	(void)s;
	/* Settled group commits first: they must survive every crash. */
	write_batch(&group, 0, SETTLED / 2, -1);
	write_batch(&group, SETTLED / 2, SETTLED, -1);
	for (step = 0;; step++) {
		if (!write_batch_killed(&group, SETTLED, SETTLED + BATCH, step))
			break;		/* ran out of steps: it committed */
		killed++;
		present = count_present(SETTLED, SETTLED + BATCH);	/* finishes it */
		assert_true(present == 0 || present == BATCH);
		before += present == 0;
		after += present == BATCH;
		assert_int_equal(count_present(0, SETTLED), SETTLED);
		assert_int_equal(check_journal(), 0);
		assert_int_equal(journal_size() % 512, 0);
		assert_int_equal(verify(GRANTDB_FILE), 0);
		assert_int_equal(verify(GRANTDB_META), 0);
		if (present == BATCH) {
			/* Committed before the kill: undo it for the next round. */
			struct grantdb *db = grantdb_open(dir, GRANTDB_WRITE, &group, NULL);
			struct grant g;
			int i;

			assert_non_null(db);
			for (i = SETTLED; i < SETTLED + BATCH; i++) {
				grant_n(&g, i);
				assert_int_equal(grantdb_del(db, g.addr, NULL), 1);
			}
			assert_int_equal(grantdb_commit(db, NULL), 0);
			grantdb_close(db);
		}
	}
	/* Killed while writing the block, after its end record, while
	 * applying pages and while settling: both sides of the commit point. */
	assert_true(killed >= 4);
	assert_true(before >= 1);
	assert_true(after >= 2);
	assert_int_equal(count_present(0, SETTLED + BATCH), SETTLED + BATCH);
}

/* FNV-1a 64, as the journal's header checksum is made. */
static uint64_t
fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * Say the journal's settled commits were settled in another boot: in its
 * header (what a writer reads) and, when old_mtime, by its mtime (what a
 * reader that cannot read it goes by), as a reboot leaves them.
 */
static void
another_boot(int old_mtime)
{
	static const struct timespec long_ago[2] = { { 1, 0 }, { 1, 0 } };
	char path[PATH_MAX];
	unsigned char h[40];
	uint64_t sum;
	int fd, i;

	snprintf(path, sizeof path, "%s/%s", dir, GRANTDB_JOURNAL);
	assert_true((fd = open(path, O_RDWR | O_CLOEXEC)) >= 0);
	assert_int_equal(pread(fd, h, sizeof h, 0), (ssize_t)sizeof h);
	assert_memory_equal(h, "RGJOURN2", 8);
	h[8] ^= 0xff;	/* the boot id */
	sum = fnv(h, 32);
	for (i = 0; i < 8; i++)
		h[32 + i] = (unsigned char)(sum >> (8 * i));
	assert_int_equal(pwrite(fd, h, sizeof h, 0), (ssize_t)sizeof h);
	if (old_mtime)
		assert_int_equal(futimens(fd, long_ago), 0);
	close(fd);
}

/* Copy file name of dir into (or back from) keep, in place: the same inode, as a crash leaves it. */
static void
copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	assert_true((in = open(from, O_RDONLY | O_CLOEXEC)) >= 0);
	assert_true((out = open(to, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0);
	assert_int_equal(ftruncate(out, 0), 0);
	while ((n = read(in, buf, sizeof buf)) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

/* The power fails after group commits [from, to): none of the pages written since the last checkpoint reached the disk; the journal (synced at each commit) did; the machine boots. */
static void
lose_power(int from, int to, int old_mtime)
{
	static const char *const files[] = { GRANTDB_FILE, GRANTDB_META };
	char path[PATH_MAX], kept[PATH_MAX];
	size_t f;

	checkpoint();
	for (f = 0; f < 2; f++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[f]);
		snprintf(kept, sizeof kept, "%s/%s.kept", dir, files[f]);
		copy_file(path, kept);
	}
	write_batch(&group, from, from + (to - from) / 3, -1);
	write_batch(&group, from + (to - from) / 3, to - 1, -1);
	write_batch(&group, to - 1, to, -1);
	assert_int_equal(count_present(from, to), to - from);
	for (f = 0; f < 2; f++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[f]);
		snprintf(kept, sizeof kept, "%s/%s.kept", dir, files[f]);
		copy_file(kept, path);
		unlink(kept);
	}
	another_boot(old_mtime);
	assert_int_equal(check_journal(), 1);	/* every block is due */
}

static void
after_another_boot_every_block_is_applied_again(void **s)
{
	struct grantdb *db;
	struct err e;

	(void)s;
	write_batch(&plain, 0, 50, -1);
	/* Met first by a reader, which goes by the journal's mtime. */
	lose_power(50, 401, 1);
	assert_int_equal(count_present(0, 401), 401);	/* it applies them all */
	assert_int_equal(journal_size(), 0);	/* and checkpoints */
	assert_int_equal(verify(GRANTDB_FILE), 0);
	assert_int_equal(verify(GRANTDB_META), 0);
	/* Met first by a writer, which goes by the header's boot id. */
	lose_power(401, 700, 0);
	db = grantdb_open(dir, GRANTDB_WRITE, &group, &e);
	assert_non_null(db);
	grantdb_close(db);
	assert_int_equal(journal_size(), 0);
	assert_int_equal(count_present(0, 700), 700);
	assert_int_equal(verify(GRANTDB_FILE), 0);
	assert_int_equal(verify(GRANTDB_META), 0);
}

static void
the_journal_is_checkpointed_before_it_passes_its_cap(void **s)
{
	enum { BATCH = 2000 };
	off_t size, most = 0;
	int i, emptied = 0;

	(void)s;
	spread = 1;
	for (i = 0; i < 40 && !(emptied && most > (off_t)PAGELOG_GROUP_MAX / 2); i++) {
		write_batch(&group, i * BATCH, i * BATCH + BATCH, -1);
		size = journal_size();
		assert_true(size % 512 == 0);
		assert_true(size <= (off_t)PAGELOG_GROUP_MAX);
		if (size > most)
			most = size;
		emptied += size == 0;
	}
	assert_true(emptied >= 1);
	assert_true(most > (off_t)PAGELOG_GROUP_MAX / 2);
	assert_int_equal(count_present(0, i * BATCH), i * BATCH);
	spread = 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(group_commits_stay_in_the_journal_until_a_checkpoint,
		    scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(killed_at_every_step_of_a_group_commit_the_settled_ones_stay,
		    scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(after_another_boot_every_block_is_applied_again,
		    scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(the_journal_is_checkpointed_before_it_passes_its_cap,
		    scratch_setup, scratch_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
