/*
 * test_btread: btread answers as libdb does.  The files are made by libdb
 * itself (no environment, as relaygate makes its own), at several page
 * sizes and in both byte orders, then every key and many absent ones are
 * asked of both; damaged copies must give an error naming the file.
 */
#include <db.h>
#include <errno.h>
#include <fcntl.h>

#include "helpers.h"
#include "stores/btread.h"

#define VMAX 16384	/* the largest value the tests store */

/* A small, fixed random sequence: the same files every run. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 32) % n;
}

struct key {
	unsigned char b[512];
	size_t n;
};

/* n keys: 1..maxlen random bytes, a quarter of them prefixes or extensions of earlier ones. */
static struct key *
keys_make(size_t n, size_t minlen, size_t maxlen)
{
	struct key *k = calloc(n, sizeof *k);
	size_t i, j, from;

	assert_non_null(k);
	for (i = 0; i < n; i++) {
		k[i].n = minlen + rnd((uint32_t)(maxlen - minlen + 1));
		for (j = 0; j < k[i].n; j++)
			k[i].b[j] = (unsigned char)(rnd(4) == 0 ? rnd(256) : 'a' + rnd(4));
		if (i > 0 && rnd(4) == 0) {
			from = rnd((uint32_t)i);
			memcpy(k[i].b, k[from].b, k[from].n);
			if (k[from].n > minlen && rnd(2) == 0)
				k[i].n = minlen + rnd((uint32_t)(k[from].n - minlen));
			else if (k[i].n <= k[from].n)
				k[i].n = k[from].n < maxlen ? k[from].n + 1 : k[from].n;
		}
	}
	return k;
}

/* Put pad bytes of 'p' in front of every key: long common prefixes, long separators. */
static void
keys_pad(struct key *k, size_t n, size_t pad)
{
	size_t i;

	for (i = 0; i < n; i++) {
		assert_true(k[i].n + pad <= sizeof k[i].b);
		memmove(k[i].b + pad, k[i].b, k[i].n);
		memset(k[i].b, 'p', pad);
		k[i].n += pad;
	}
}

/* A value for key i: mostly short, a tenth several KB (overflow pages at every page size). */
static size_t
value_of(size_t i, unsigned char *v)
{
	size_t n, j;

	switch (rnd(10)) {
	case 0:
		n = 2500 + rnd(VMAX - 2500);
		break;
	case 1:
	case 2:
		n = 41 + rnd(400);
		break;
	default:
		n = rnd(41);
	}
	for (j = 0; j < n; j++)
		v[j] = (unsigned char)(i * 31 + j * 7 + (j % 13 == 0 ? rnd(256) : 0));
	return n;
}

static DB *
db_make(const char *path, unsigned pagesize, int lorder, u_int32_t flags)
{
	DB *db;

	unlink(path);
	assert_int_equal(db_create(&db, NULL, 0), 0);
	if (pagesize != 0)
		assert_int_equal(db->set_pagesize(db, pagesize), 0);
	if (lorder != 0)
		assert_int_equal(db->set_lorder(db, lorder), 0);
	if (flags != 0)
		assert_int_equal(db->set_flags(db, flags), 0);
	assert_int_equal(db->open(db, NULL, path, NULL, DB_BTREE, DB_CREATE, 0644), 0);
	return db;
}

static void
db_put(DB *db, const void *k, size_t kn, const void *v, size_t vn)
{
	DBT kd, vd;

	memset(&kd, 0, sizeof kd);
	memset(&vd, 0, sizeof vd);
	kd.data = (void *)(uintptr_t)k;
	kd.size = (u_int32_t)kn;
	vd.data = (void *)(uintptr_t)v;
	vd.size = (u_int32_t)vn;
	assert_int_equal(db->put(db, NULL, &kd, &vd, 0), 0);
}

/* Store every key with a value, then delete every fifth; the file is closed. */
static void
file_make(const char *path, unsigned pagesize, int lorder, const struct key *k, size_t n)
{
	unsigned char *v = malloc(VMAX);
	DB *db = db_make(path, pagesize, lorder, 0);
	DBT kd;
	size_t i;
	int r;

	assert_non_null(v);
	for (i = 0; i < n; i++)
		db_put(db, k[i].b, k[i].n, v, value_of(i, v));
	for (i = 0; i < n; i += 5) {
		memset(&kd, 0, sizeof kd);
		kd.data = (void *)(uintptr_t)k[i].b;
		kd.size = (u_int32_t)k[i].n;
		r = db->del(db, NULL, &kd, 0);
		assert_true(r == 0 || r == DB_NOTFOUND);	/* a key made twice */
	}
	assert_int_equal(db->close(db, 0), 0);
	free(v);
}

static DB *
db_read(const char *path)
{
	DB *db;

	assert_int_equal(db_create(&db, NULL, 0), 0);
	assert_int_equal(db->open(db, NULL, path, NULL, DB_BTREE, DB_RDONLY, 0), 0);
	return db;
}

struct reader {
	int fd;
	struct btread t;
	char path[PATH_MAX];
};

static void
reader_open(struct reader *r, const char *path)
{
	struct err e;

	snprintf(r->path, sizeof r->path, "%s", path);
	r->fd = open(path, O_RDONLY);
	assert_true(r->fd >= 0);
	if (btread_open(&r->t, r->fd, r->path, &e) != 0)
		fail_msg("btread_open %s: %s", path, e.msg);
}

static void
reader_close(struct reader *r)
{
	btread_close(&r->t);
	close(r->fd);
}

/*
 * key asked of libdb and of btread: the same answer, the same bytes, the
 * same length, and a short buffer holding the value's first bytes.
 * Returns 1 found, 0 absent.
 */
static int
same_answer(DB *db, struct btread *t, const void *key, size_t kn)
{
	static unsigned char want[VMAX], got[VMAX];
	struct err e;
	size_t n, cap, i;
	DBT kd, vd;
	int r, w;

	memset(&kd, 0, sizeof kd);
	memset(&vd, 0, sizeof vd);
	kd.data = (void *)(uintptr_t)key;
	kd.size = (u_int32_t)kn;
	vd.data = want;
	vd.ulen = sizeof want;
	vd.flags = DB_DBT_USERMEM;
	w = db->get(db, NULL, &kd, &vd, 0);
	assert_true(w == 0 || w == DB_NOTFOUND);
	n = (size_t)-1;
	r = btread_get(t, key, kn, got, sizeof got, &n, &e);
	if (r < 0)
		fail_msg("btread_get: %s", e.msg);
	assert_int_equal(r, w == 0);
	if (r == 0)
		return 0;
	assert_int_equal(n, vd.size);
	assert_memory_equal(got, want, n);
	cap = n / 2;
	memset(got, 0xa5, sizeof got);
	assert_int_equal(btread_get(t, key, kn, got, cap, &n, &e), 1);
	assert_int_equal(n, vd.size);
	if (cap > 0)
		assert_memory_equal(got, want, cap);
	for (i = cap; i < n; i++)
		if (got[i] != 0xa5)
			fail_msg("byte %zu written, past the %zu asked for", i, cap);
	assert_int_equal(btread_get(t, key, kn, NULL, 0, &n, &e), 1);
	assert_int_equal(n, vd.size);
	return 1;
}

/* Every key, and for each one a few that are likely absent: cut short, one longer, last byte off by one. */
static void
all_same(const char *path, const struct key *k, size_t n, size_t *found)
{
	struct reader rd;
	unsigned char b[sizeof k->b + 1];
	DB *db = db_read(path);
	size_t i;

	reader_open(&rd, path);
	*found = 0;
	for (i = 0; i < n; i++) {
		*found += (size_t)same_answer(db, &rd.t, k[i].b, k[i].n);
		memcpy(b, k[i].b, k[i].n);
		same_answer(db, &rd.t, b, k[i].n - 1);
		b[k[i].n] = (unsigned char)rnd(256);
		same_answer(db, &rd.t, b, k[i].n + 1);
		b[k[i].n - 1]++;
		same_answer(db, &rd.t, b, k[i].n);
		b[k[i].n - 1] -= 2;
		same_answer(db, &rd.t, b, k[i].n);
	}
	same_answer(db, &rd.t, "", 0);
	same_answer(db, &rd.t, "\377\377\377\377", 4);
	reader_close(&rd);
	db->close(db, 0);
}

static char *
path_in(const char *name)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

/* The level of the root page: how deep the tree is. */
static unsigned
root_level(const char *path)
{
	unsigned char m[512], pg[32];
	uint32_t root, ps;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, m, sizeof m, 0), (ssize_t)sizeof m);
	memcpy(&ps, m + 20, 4);
	memcpy(&root, m + 88, 4);
	assert_int_equal(pread(fd, pg, sizeof pg, (off_t)root * ps), (ssize_t)sizeof pg);
	close(fd);
	return pg[24];
}

static void
every_key_reads_as_libdb_reads_it_at_each_page_size(void **s)
{
	static const unsigned sizes[] = { 512, 1024, 4096, 8192 };
	struct key *k;
	size_t i, found, n = 20000;

	(void)s;
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		k = keys_make(n, 1, 60);
		file_make(path_in("t.db"), sizes[i], 0, k, n);
		all_same(path_in("t.db"), k, n, &found);
		assert_true(found > n / 2);	/* most are there: a fifth deleted */
		assert_true(root_level(path_in("t.db")) >= 2);
		free(k);
	}
}

static void
a_file_of_the_other_byte_order_reads_the_same(void **s)
{
	unsigned char m[16];
	struct key *k;
	size_t found, n = 5000;
	int fd;

	(void)s;
	k = keys_make(n, 1, 60);
	file_make(path_in("t.db"), 512, 4321, k, n);
	fd = open(path_in("t.db"), O_RDONLY);
	assert_int_equal(pread(fd, m, sizeof m, 0), (ssize_t)sizeof m);
	close(fd);
	assert_memory_equal(m + 12, "\0\x05\x31\x62", 4);	/* big-endian: the other order, here */
	all_same(path_in("t.db"), k, n, &found);
	assert_true(found > 0);
	free(k);
}

/*
 * Items of type itype on the pages of type ptype in the file at path (ps
 * bytes a page, native byte order); on leaves the keys only (items 0, 2,
 * 4...), or with data set the data items only.
 */
static size_t
count_items(const char *path, unsigned ps, unsigned ptype, unsigned itype, int data)
{
	unsigned char *b = malloc(ps);
	size_t count = 0;
	uint16_t ents, o, i;
	uint32_t pg;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0 && b != NULL);
	for (pg = 1; pread(fd, b, ps, (off_t)pg * ps) == (ssize_t)ps; pg++) {
		if (b[25] != ptype)
			continue;
		memcpy(&ents, b + 20, 2);
		for (i = ptype == 5 && data; i < ents; i += ptype == 5 ? 2 : 1) {
			memcpy(&o, b + 26 + 2 * i, 2);
			count += (b[o + 2] & 0x7f) == itype;
		}
	}
	close(fd);
	free(b);
	return count;
}

static void
long_keys_on_overflow_pages_are_compared_as_libdb_does(void **s)
{
	struct key *k;
	size_t found, n = 3000;

	(void)s;
	/*
	 * Past 111 bytes a key goes to overflow pages at 512, in leaves and,
	 * with a long common prefix, in internal pages too.
	 */
	k = keys_make(n, 1, 300);
	keys_pad(k, n, 150);
	file_make(path_in("t.db"), 512, 0, k, n);
	assert_true(count_items(path_in("t.db"), 512, 5, 3, 0) > n / 2);
	assert_true(count_items(path_in("t.db"), 512, 3, 3, 0) > 10);
	all_same(path_in("t.db"), k, n, &found);
	assert_true(found > n / 2);
	free(k);
	k = keys_make(n, 1, 300);
	keys_pad(k, n, 150);
	file_make(path_in("t.db"), 512, 4321, k, n);
	all_same(path_in("t.db"), k, n, &found);
	assert_true(found > n / 2);
	free(k);
}

static void
a_deep_tree_is_walked_level_by_level(void **s)
{
	struct key *k;
	size_t found, n = 20000;

	(void)s;
	/* Separators just under the overflow size: three or so an internal page. */
	k = keys_make(n, 10, 20);
	keys_pad(k, n, 88);
	file_make(path_in("t.db"), 512, 0, k, n);
	assert_true(root_level(path_in("t.db")) >= 7);
	all_same(path_in("t.db"), k, n, &found);
	assert_true(found > 0);
	free(k);
}

static void
an_empty_tree_has_no_keys(void **s)
{
	struct reader rd;
	struct err e;
	size_t n;
	DB *db = db_make(path_in("t.db"), 0, 0, 0);

	(void)s;
	db->close(db, 0);
	reader_open(&rd, path_in("t.db"));
	assert_int_equal(btread_get(&rd.t, "x", 1, NULL, 0, &n, &e), 0);
	assert_int_equal(btread_get(&rd.t, "", 0, NULL, 0, &n, &e), 0);
	reader_close(&rd);
}

static void
a_one_page_tree_answers_from_its_root(void **s)
{
	struct reader rd;
	struct err e;
	char v[16];
	size_t n;
	DB *db = db_make(path_in("t.db"), 4096, 0, 0);

	(void)s;
	db_put(db, "192.0.2.1", 10, "1999999999", 11);
	db_put(db, "192.0.2.10", 11, "0", 2);
	db_put(db, "", 0, "empty", 5);
	db->close(db, 0);
	assert_int_equal(root_level(path_in("t.db")), 1);
	reader_open(&rd, path_in("t.db"));
	assert_int_equal(btread_get(&rd.t, "192.0.2.1", 10, v, sizeof v, &n, &e), 1);
	assert_int_equal(n, 11);
	assert_memory_equal(v, "1999999999", 11);
	assert_int_equal(btread_get(&rd.t, "192.0.2.10", 11, v, sizeof v, &n, &e), 1);
	assert_memory_equal(v, "0", 2);
	assert_int_equal(btread_get(&rd.t, "", 0, v, sizeof v, &n, &e), 1);
	assert_int_equal(n, 5);
	assert_int_equal(btread_get(&rd.t, "192.0.2.1", 9, v, sizeof v, &n, &e), 0);
	assert_int_equal(btread_get(&rd.t, "192.0.2.2", 10, v, sizeof v, &n, &e), 0);
	reader_close(&rd);
}

/* Data items marked deleted in the leaves of the file at path (512-byte pages, native order). */
static size_t
deleted_marks(const char *path)
{
	unsigned char b[512];
	size_t count = 0;
	uint16_t ents, o, i;
	uint32_t pg;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	for (pg = 1; pread(fd, b, sizeof b, (off_t)pg * sizeof b) == (ssize_t)sizeof b; pg++) {
		if (b[25] != 5)
			continue;
		memcpy(&ents, b + 20, 2);
		for (i = 1; i < ents; i += 2) {
			memcpy(&o, b + 26 + 2 * i, 2);
			count += (b[o + 2] & 0x80) != 0;
		}
	}
	close(fd);
	return count;
}

static void
a_pair_a_cursor_deleted_but_left_on_the_page_is_absent(void **s)
{
	char cmd[2 * PATH_MAX + 16], copy[PATH_MAX];
	struct reader rd;
	DB *db = db_make(path_in("t.db"), 512, 0, 0), *ro;
	struct key *k;
	DBT kd, vd;
	DBC *c;
	size_t i, found, n = 300;

	(void)s;
	k = keys_make(n, 1, 20);
	for (i = 0; i < n; i++)
		db_put(db, k[i].b, k[i].n, "kept", 4);
	db_put(db, "deleted-by-a-cursor", 19, "still-on-the-page", 17);
	assert_int_equal(db->cursor(db, NULL, &c, 0), 0);
	memset(&kd, 0, sizeof kd);
	memset(&vd, 0, sizeof vd);
	kd.data = "deleted-by-a-cursor";
	kd.size = 19;
	assert_int_equal(c->get(c, &kd, &vd, DB_SET), 0);
	assert_int_equal(c->del(c, 0), 0);
	/* While the cursor is open the pair is only marked; the copy keeps the mark. */
	assert_int_equal(db->sync(db, 0), 0);
	snprintf(copy, sizeof copy, "%s", path_in("copy.db"));
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path_in("t.db"), copy);
	assert_int_equal(system(cmd), 0);
	c->close(c);
	db->close(db, 0);
	/* The mark is on the data item; closing the cursor removed the pair. */
	assert_int_equal(deleted_marks(copy), 1);
	assert_int_equal(deleted_marks(path_in("t.db")), 0);
	ro = db_read(copy);
	reader_open(&rd, copy);
	assert_int_equal(same_answer(ro, &rd.t, "deleted-by-a-cursor", 19), 0);
	reader_close(&rd);
	ro->close(ro, 0);
	all_same(copy, k, n, &found);
	assert_true(found > n / 2);
	free(k);
}

static void
kinds_it_does_not_read_are_refused_naming_the_file(void **s)
{
	static const struct {
		const char *name;
		DBTYPE type;
		u_int32_t flags;
		int encrypt;
		const char *why;
	} kinds[] = {
		{ "dup.db", DB_BTREE, DB_DUP, 0, "duplicates" },
		{ "dupsort.db", DB_BTREE, DB_DUPSORT, 0, "duplicates" },
		{ "chksum.db", DB_BTREE, DB_CHKSUM, 0, "checksums" },
		{ "crypt.db", DB_BTREE, 0, 1, "encrypted" },
		{ "recno.db", DB_RECNO, 0, 0, "recno" },
		{ "hash.db", DB_HASH, 0, 0, "not a Berkeley DB btree" },
	};
	char want[PATH_MAX + 8];
	struct btread t;
	struct err e;
	size_t i;
	DB *db;
	int fd;

	(void)s;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		assert_int_equal(db_create(&db, NULL, 0), 0);
		if (kinds[i].flags != 0)
			assert_int_equal(db->set_flags(db, kinds[i].flags), 0);
		if (kinds[i].encrypt)
			assert_int_equal(db->set_encrypt(db, "secret", DB_ENCRYPT_AES), 0);
		assert_int_equal(db->open(db, NULL, path_in(kinds[i].name), NULL, kinds[i].type,
		    DB_CREATE, 0644), 0);
		db->close(db, 0);
		fd = open(path_in(kinds[i].name), O_RDONLY);
		assert_int_equal(btread_open(&t, fd, path_in(kinds[i].name), &e), -1);
		close(fd);
		assert_int_equal(e.kind, ERR_PERM);
		snprintf(want, sizeof want, "open %s: ", path_in(kinds[i].name));
		assert_memory_equal(e.msg, want, strlen(want));
		if (strstr(e.msg, kinds[i].why) == NULL)
			fail_msg("%s: %s", kinds[i].name, e.msg);
	}
	/* Several databases in one file. */
	assert_int_equal(db_create(&db, NULL, 0), 0);
	assert_int_equal(db->open(db, NULL, path_in("sub.db"), "one", DB_BTREE, DB_CREATE, 0644), 0);
	db->close(db, 0);
	fd = open(path_in("sub.db"), O_RDONLY);
	assert_int_equal(btread_open(&t, fd, path_in("sub.db"), &e), -1);
	close(fd);
	assert_non_null(strstr(e.msg, "several databases"));
	/* Not a database at all, and nothing. */
	write_text(path_in("text"), "a text file, long enough to hold a meta page? no.\n");
	fd = open(path_in("text"), O_RDONLY);
	assert_int_equal(btread_open(&t, fd, path_in("text"), &e), -1);
	close(fd);
	assert_int_equal(e.kind, ERR_PERM);
	assert_non_null(strstr(e.msg, path_in("text")));
}

static void
record_numbers_change_nothing_btread_reads(void **s)
{
	DB *db = db_make(path_in("t.db"), 512, 0, DB_RECNUM);
	unsigned char v[VMAX];
	struct key *k;
	size_t i, found, n = 2000;

	(void)s;
	k = keys_make(n, 1, 60);
	for (i = 0; i < n; i++)
		db_put(db, k[i].b, k[i].n, v, value_of(i, v));
	db->close(db, 0);
	all_same(path_in("t.db"), k, n, &found);
	assert_true(found > 0);
	free(k);
}

/* --- damaged files --- */

static uint16_t
u16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t
u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void
page_get(const char *path, uint32_t pg, unsigned char *b, unsigned ps)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, ps, (off_t)pg * ps), (ssize_t)ps);
	close(fd);
}

static void
patch(const char *path, off_t at, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, p, n, at), (ssize_t)n);
	close(fd);
}

/* Three levels of 512-byte pages, 2000 keys: the file and its keys. */
static struct key *
three_levels(size_t n)
{
	struct key *k = keys_make(n, 8, 30);

	file_make(path_in("t.db"), 512, 0, k, n);
	assert_int_equal(root_level(path_in("t.db")), 3);
	return k;
}

/* Ask every key: how many gave -1 (each with an ERR_PERM naming the file). */
static size_t
errors_asking_all(const struct key *k, size_t n)
{
	unsigned char v[VMAX];
	struct reader rd;
	struct err e;
	size_t i, vn, bad = 0;
	int r;

	reader_open(&rd, path_in("t.db"));
	for (i = 0; i < n; i++) {
		r = btread_get(&rd.t, k[i].b, k[i].n, v, sizeof v, &vn, &e);
		assert_true(r >= -1 && r <= 1);
		if (r == -1) {
			bad++;
			assert_int_equal(e.kind, ERR_PERM);
			if (strstr(e.msg, rd.path) == NULL)
				fail_msg("no file name in: %s", e.msg);
		}
	}
	reader_close(&rd);
	return bad;
}

static void
a_truncated_file_is_damaged(void **s)
{
	struct key *k = three_levels(2000);
	struct btread t;
	struct err e;
	struct stat st;
	int fd;

	(void)s;
	assert_int_equal(stat(path_in("t.db"), &st), 0);
	assert_int_equal(truncate(path_in("t.db"), st.st_size / 2 + 100), 0);
	assert_true(errors_asking_all(k, 2000) > 0);
	assert_int_equal(truncate(path_in("t.db"), 300), 0);
	fd = open(path_in("t.db"), O_RDONLY);
	assert_int_equal(btread_open(&t, fd, path_in("t.db"), &e), -1);
	close(fd);
	assert_int_equal(e.kind, ERR_PERM);
	assert_non_null(strstr(e.msg, path_in("t.db")));
	free(k);
}

static void
an_item_offset_outside_the_page_is_damaged(void **s)
{
	struct key *k = three_levels(2000);
	unsigned char b[512];
	uint16_t o;

	(void)s;
	/* The root's second item offset pointing into the offsets themselves. */
	o = 27;
	patch(path_in("t.db"), 512 + 26 + 2, &o, 2);
	assert_true(errors_asking_all(k, 2000) > 0);
	free(k);
	k = three_levels(2000);
	/* A leaf's item running past the end of the page. */
	page_get(path_in("t.db"), 1, b, 512);
	page_get(path_in("t.db"), u32(b + u16(b + 26) + 4), b, 512);
	page_get(path_in("t.db"), u32(b + u16(b + 26) + 4), b, 512);
	assert_int_equal(b[25], 5);
	o = 510;
	patch(path_in("t.db"), (off_t)u32(b + 8) * 512 + 26, &o, 2);
	assert_true(errors_asking_all(k, 2000) > 0);
	free(k);
}

static void
a_page_that_is_not_what_the_tree_says_is_damaged(void **s)
{
	struct key *k = three_levels(2000);
	unsigned char b[512];
	uint32_t pg = 99, child;

	(void)s;
	/* The root says it is another page. */
	patch(path_in("t.db"), 512 + 8, &pg, 4);
	assert_int_equal(errors_asking_all(k, 2000), 2000);
	free(k);
	/* A leaf where an internal page should be. */
	k = three_levels(2000);
	page_get(path_in("t.db"), 1, b, 512);
	child = u32(b + u16(b + 26) + 4);
	patch(path_in("t.db"), (off_t)child * 512 + 25, "\5", 1);
	assert_true(errors_asking_all(k, 2000) > 0);
	free(k);
	/* A child pointing past the last page. */
	k = three_levels(2000);
	page_get(path_in("t.db"), 1, b, 512);
	pg = 1000000;
	patch(path_in("t.db"), 512 + u16(b + 26) + 4, &pg, 4);
	assert_true(errors_asking_all(k, 2000) > 0);
	free(k);
}

static void
a_cycle_in_the_tree_or_an_overflow_chain_is_damaged(void **s)
{
	struct key *k = three_levels(2000);
	unsigned char b[512], v[VMAX];
	struct reader rd;
	struct err e;
	uint32_t pg = 1, first;
	size_t n;
	DB *db;

	(void)s;
	/* The root's first child is the root. */
	page_get(path_in("t.db"), 1, b, 512);
	patch(path_in("t.db"), 512 + u16(b + 26) + 4, &pg, 4);
	assert_true(errors_asking_all(k, 2000) > 0);
	free(k);
	/* An overflow page that leads back to itself. */
	db = db_make(path_in("t.db"), 512, 0, 0);
	memset(v, 'x', 3000);
	db_put(db, "big", 3, v, 3000);
	db->close(db, 0);
	page_get(path_in("t.db"), 1, b, 512);
	assert_int_equal(b[u16(b + 28) + 2], 3);	/* the data item is on overflow pages */
	first = u32(b + u16(b + 28) + 4);
	patch(path_in("t.db"), (off_t)first * 512 + 16, &first, 4);
	reader_open(&rd, path_in("t.db"));
	assert_int_equal(btread_get(&rd.t, "big", 3, v, sizeof v, &n, &e), -1);
	assert_non_null(strstr(e.msg, rd.path));
	assert_int_equal(btread_get(&rd.t, "big", 3, v, 100, &n, &e), 1);	/* the first page is sound */
	reader_close(&rd);
	/* One that leads back to itself a byte at a time: no more pages than the file has. */
	patch(path_in("t.db"), (off_t)first * 512 + 22, "\1\0", 2);
	reader_open(&rd, path_in("t.db"));
	assert_int_equal(btread_get(&rd.t, "big", 3, v, sizeof v, &n, &e), -1);
	assert_non_null(strstr(e.msg, "more pages than the file"));
	reader_close(&rd);
	/* One that ends too soon. */
	pg = 0;
	patch(path_in("t.db"), (off_t)first * 512 + 16, &pg, 4);
	reader_open(&rd, path_in("t.db"));
	assert_int_equal(btread_get(&rd.t, "big", 3, v, sizeof v, &n, &e), -1);
	assert_non_null(strstr(e.msg, "short"));
	reader_close(&rd);
}

/* --- prefetch --- */

static void
prefetch_changes_no_answer(void **s)
{
	static const uint32_t bad_pgno = 99;
	struct btread_key *bk;
	struct key *k;
	struct reader rd;
	struct err e;
	size_t i, found, n = 5000;

	(void)s;
	k = keys_make(n, 1, 60);
	file_make(path_in("t.db"), 512, 0, k, n);
	assert_non_null(bk = calloc(n + 1, sizeof *bk));
	for (i = 0; i < n; i++) {
		bk[i].p = k[i].b;
		bk[i].n = k[i].n;
	}
	bk[n].p = "not there";
	bk[n].n = 9;
	reader_open(&rd, path_in("t.db"));
	assert_int_equal(btread_prefetch(&rd.t, bk, n + 1, &e), 0);
	assert_int_equal(btread_prefetch(&rd.t, bk, 1, &e), 0);
	assert_int_equal(btread_prefetch(&rd.t, bk, 0, &e), 0);
	reader_close(&rd);
	all_same(path_in("t.db"), k, n, &found);
	/* A one-page tree, and a damaged one. */
	file_make(path_in("t.db"), 8192, 0, k, 10);
	reader_open(&rd, path_in("t.db"));
	assert_int_equal(btread_prefetch(&rd.t, bk, n, &e), 0);
	reader_close(&rd);
	free(k);
	k = three_levels(2000);
	for (i = 0; i < 2000; i++) {
		bk[i].p = k[i].b;
		bk[i].n = k[i].n;
	}
	patch(path_in("t.db"), 512 + 8, &bad_pgno, 4);
	reader_open(&rd, path_in("t.db"));
	assert_int_equal(btread_prefetch(&rd.t, bk, 2000, &e), -1);
	assert_non_null(strstr(e.msg, rd.path));
	reader_close(&rd);
	free(bk);
	free(k);
}

/* --- the project's own files --- */

static struct grant
grant_n(unsigned i)
{
	struct grant g;

	memset(&g, 0, sizeof g);
	if (i % 3 == 0)
		snprintf(g.addr, sizeof g.addr, "2001:db8::%x:%x", i / 65536, i % 65536);
	else
		snprintf(g.addr, sizeof g.addr, "10.%u.%u.%u", i / 65536 % 256, i / 256 % 256, i % 256);
	g.pinned = i % 7 == 0;
	g.expires = g.pinned ? 0 : 1700000000 + i;
	g.granted = 1000;
	snprintf(g.user, sizeof g.user, "user%u", i);
	snprintf(g.proto, sizeof g.proto, "pop3");
	if (g.pinned) {
		g.has_relayclient = 1;
		memset(g.relayclient, 'r', GRANT_TEXT_MAX - 1);
		memset(g.note, 'n', GRANT_TEXT_MAX - 1);	/* a long note: overflow pages */
	}
	return g;
}

static void
a_grants_store_reads_as_grantdb_reads_it(void **s)
{
	static const struct grantdb_opts o = { .lock_timeout_ms = 2000 };
	struct grantdb *gdb;
	struct grant g;
	struct reader rd, meta;
	struct err e;
	char v[64], addr[ADDR_TEXT_MAX + 1];
	unsigned char key[512];
	unsigned i, n = 3000;
	int64_t expires;
	size_t vn, found = 0;
	int pinned, r;
	DB *mdb;
	DBC *c;
	DBT kd, vd;

	(void)s;
	assert_non_null(gdb = grantdb_open(dir, GRANTDB_WRITE, &o, &e));
	for (i = 0; i < n; i++) {
		g = grant_n(i);
		assert_int_equal(grantdb_put(gdb, &g, &e), 0);
	}
	for (i = 0; i < n; i += 10)
		assert_int_equal(grantdb_del(gdb, grant_n(i).addr, &e), 1);
	assert_int_equal(grantdb_commit(gdb, &e), 0);
	grantdb_close(gdb);

	assert_non_null(gdb = grantdb_open(dir, GRANTDB_READ, &o, &e));
	reader_open(&rd, path_in(GRANTDB_FILE));
	for (i = 0; i < n + 100; i++) {
		snprintf(addr, sizeof addr, "%s", grant_n(i).addr);
		r = grantdb_lookup(gdb, addr, &expires, &pinned, &e);
		assert_int_equal(btread_get(&rd.t, addr, strlen(addr) + 1, v, sizeof v, &vn, &e), r);
		if (r == 1) {
			found++;
			assert_true(vn > 0 && vn < sizeof v && v[vn - 1] == '\0');
			assert_int_equal(strtoll(v, NULL, 10), expires);
			assert_int_equal(strcmp(v, "0") == 0, pinned);
		}
	}
	assert_int_equal(found, n - n / 10);
	reader_close(&rd);
	grantdb_close(gdb);

	/* grants-meta.db: every key of it, libdb's cursor against btread; pins' details overflow. */
	assert_true(count_items(path_in(GRANTDB_META), 1024, 5, 3, 1) > 0);
	mdb = db_read(path_in(GRANTDB_META));
	reader_open(&meta, path_in(GRANTDB_META));
	assert_int_equal(mdb->cursor(mdb, NULL, &c, 0), 0);
	memset(&kd, 0, sizeof kd);
	memset(&vd, 0, sizeof vd);
	found = 0;
	while (c->get(c, &kd, &vd, DB_NEXT) == 0) {
		assert_true(kd.size <= sizeof key);
		memcpy(key, kd.data, kd.size);
		assert_int_equal(same_answer(mdb, &meta.t, key, kd.size), 1);
		found++;
	}
	assert_true(found > n);
	c->close(c);
	reader_close(&meta);
	mdb->close(mdb, 0);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, scratch_setup, scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(every_key_reads_as_libdb_reads_it_at_each_page_size),
		T(a_file_of_the_other_byte_order_reads_the_same),
		T(long_keys_on_overflow_pages_are_compared_as_libdb_does),
		T(a_deep_tree_is_walked_level_by_level),
		T(an_empty_tree_has_no_keys),
		T(a_one_page_tree_answers_from_its_root),
		T(a_pair_a_cursor_deleted_but_left_on_the_page_is_absent),
		T(kinds_it_does_not_read_are_refused_naming_the_file),
		T(record_numbers_change_nothing_btread_reads),
		T(a_truncated_file_is_damaged),
		T(an_item_offset_outside_the_page_is_damaged),
		T(a_page_that_is_not_what_the_tree_says_is_damaged),
		T(a_cycle_in_the_tree_or_an_overflow_chain_is_damaged),
		T(prefetch_changes_no_answer),
		T(a_grants_store_reads_as_grantdb_reads_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
