/*
 * bench-store: the grants stores make bench measures, on the disk the build
 * is on: made as relaygate init makes them, filled fast through the store's
 * own interface (sync off: that is setup, not a measurement), their files
 * sized, flushed, dropped from the page cache or read into it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "bench.h"
#include "stores/grantdb.h"

const char *const store_files[STORE_FILES] = {
	GRANTDB_FILE, GRANTDB_META, GRANTDB_JOURNAL, GRANTDB_GATE,
};

void
addr_of(long i, char *out, size_t n)
{
	snprintf(out, n, "10.%ld.%ld.%ld", i >> 16 & 255, i >> 8 & 255, i & 255);
}

/* The store in dir, and a configuration file conf that names it and sets nothing else. */
void
store_make(const char *dir, const char *conf)
{
	struct err e;
	FILE *f;

	if (mkdir(dir, 0755) < 0)
		die(dir, NULL);
	if (grantdb_init(dir, getuid(), getgid(), GRANTDB_INIT_CREATE, NULL, NULL, &e) != 0)
		die("init", &e);
	if ((f = fopen(conf, "w")) == NULL || fprintf(f, "dir = %s\n", dir) < 0 ||
	    fclose(f) != 0)
		die(conf, NULL);
}

static void
grant_of(long i, int64_t now, struct grant *g)
{
	memset(g, 0, sizeof *g);
	addr_of(i, g->addr, sizeof g->addr);
	g->granted = now - 60;
	g->expires = i % 100 == 99 ? now - 1 : now + 3600 + i % 600;
	snprintf(g->user, sizeof g->user, "user%ld", i % 5000);
	snprintf(g->proto, sizeof g->proto, "pop3");
}

void
store_fill(const char *dir, long n, int64_t now, int only_expired)
{
	struct grantdb_opts o = { .lock_timeout_ms = 10000, .sync = 0, .cache_bytes = 256u << 20 };
	struct grantdb *db;
	struct grant g;
	struct err e;
	long i;

	if ((db = grantdb_open(dir, GRANTDB_WRITE, &o, &e)) == NULL)
		die("open", &e);
	for (i = only_expired ? 99 : 0; i < n; i += only_expired ? 100 : 1) {
		grant_of(i, now, &g);
		if (grantdb_put(db, &g, &e) < 0)
			die("put", &e);
		if (i % 50000 == 49999 && grantdb_commit(db, &e) < 0)
			die("commit", &e);
	}
	if (grantdb_commit(db, &e) < 0)
		die("commit", &e);
	grantdb_close(db);
}

/* Open dir's file i; -1 when it is not there. */
static int
open_file(const char *dir, int i)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", dir, store_files[i]);
	return open(path, O_RDONLY | O_CLOEXEC);
}

void
store_settle(const char *dir)
{
	int i, fd;

	for (i = 0; i < STORE_FILES; i++)
		if ((fd = open_file(dir, i)) >= 0) {
			if (fdatasync(fd) < 0)
				die("fdatasync", NULL);
			close(fd);
		}
}

void
store_drop_cache(const char *dir)
{
	int i, fd;

	store_settle(dir);	/* dirty pages would stay */
	for (i = 0; i < STORE_FILES; i++)
		if ((fd = open_file(dir, i)) >= 0) {
			if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
				die("posix_fadvise", NULL);
			close(fd);
		}
}

void
store_warm(const char *dir)
{
	static char buf[1 << 16];
	int i, fd;

	for (i = 0; i < STORE_FILES; i++)
		if ((fd = open_file(dir, i)) >= 0) {
			while (read(fd, buf, sizeof buf) > 0)
				;
			close(fd);
		}
}

/* Pages of fd in the page cache into *in, of *all; mincore(2) on a mapping. */
static void
resident_pages(int fd, long *in, long *all)
{
	long page = sysconf(_SC_PAGESIZE), n, k;
	unsigned char *vec;
	struct stat st;
	void *m;

	if (fstat(fd, &st) < 0 || st.st_size == 0)
		return;
	n = (long)((st.st_size + page - 1) / page);
	if ((vec = malloc((size_t)n)) == NULL)
		die("malloc", NULL);
	if ((m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED ||
	    mincore(m, (size_t)st.st_size, vec) < 0)
		die("mincore", NULL);
	for (k = 0; k < n; k++)
		*in += vec[k] & 1;
	*all += n;
	free(vec);
	munmap(m, (size_t)st.st_size);
}

double
store_resident(const char *dir)
{
	long in = 0, all = 0;
	int i, fd;

	for (i = 0; i < STORE_FILES; i++)
		if ((fd = open_file(dir, i)) >= 0) {
			resident_pages(fd, &in, &all);
			close(fd);
		}
	return all ? 100.0 * (double)in / (double)all : 0;
}

int64_t
store_print_sizes(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	int64_t total = 0, disk = 0;
	int i;

	for (i = 0; i < STORE_FILES; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, store_files[i]);
		if (stat(path, &st) < 0)
			die(path, NULL);
		printf("  %-16s %8.1f MB  (on disk %.1f MB)\n", store_files[i],
		    (double)st.st_size / 1e6, (double)st.st_blocks * 512 / 1e6);
		total += st.st_size;
		disk += (int64_t)st.st_blocks * 512;
	}
	printf("  %-16s %8.1f MB  (on disk %.1f MB)\n", "total", (double)total / 1e6,
	    (double)disk / 1e6);
	return total;
}

const char *
fs_name(const char *path)
{
	static const struct { long magic; const char *name; } known[] = {
		{ 0xEF53, "ext2/3/4" }, { 0x58465342, "xfs" }, { 0x9123683E, "btrfs" },
		{ 0x01021994, "tmpfs" }, { 0x858458f6, "ramfs" }, { 0x794c7630, "overlayfs" },
		{ 0x2FC12FC1, "zfs" }, { 0x6969, "nfs" },
	};
	struct statfs s;
	size_t i;

	if (statfs(path, &s) < 0)
		die(path, NULL);
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if ((long)s.f_type == known[i].magic)
			return known[i].name;
	return "unknown file system";
}
