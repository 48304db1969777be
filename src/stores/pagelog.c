/*
 * pagelog: all-or-nothing page writes for Berkeley DB files; see pagelog.h.
 * No libdb call here (bdbfile.c installs the hooks): relaygate-check links
 * this to finish a dead writer's journal without linking libdb.
 *
 * Journal layout (all numbers little-endian):
 *   "RGPAGES1"                                   magic, 8 bytes
 *   record*: type u8 ('W' write, 'T' truncate), file u8, 0 u16,
 *            length u32, offset u64, then length bytes for 'W'
 *   'E' u8, 0 u8, 0 u16, record count u32, FNV-1a 64 of all before it u64
 * The journal is one file made once, with the store (relaygate init), and
 * written in place: emptied, filled, and complete only once its end record,
 * whose count and checksum cover everything before it, is there.  A
 * journal without a valid end is a commit that never happened and is
 * emptied unread.  No file is ever created or renamed here, so a writer
 * running with a borrowed group (relaygate-allow) leaves nothing it owns.
 * The checksum guards against torn writes, not against forgery: that the
 * journal belongs to the store's owner and only its group may write it is
 * what the callers check (see safefile.h).
 *
 * Before the journal is written, the space the apply will need is reserved
 * in each file (fallocate, the size kept), so a full disk fails a change
 * before its end record is written, never half way through its apply: a
 * change reported as failed never turns up later.  Once the end record is
 * there the change has happened, whatever fails after it.
 */
#define _GNU_SOURCE	/* fallocate(2), FALLOC_FL_KEEP_SIZE, sync_file_range(2): Linux's */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "stores/lock.h"
#include "stores/pagelog.h"
#include "stores/safefile.h"

#define MAGIC "RGPAGES1"
#define HDR 16
#define IOV_BATCH 512	/* iovecs per call; Linux takes 1024 */

struct rec {
	unsigned char type;	/* 'W' or 'T' */
	unsigned char file;
	int dead;		/* a later truncate cut this page off */
	uint32_t len;
	uint64_t off;
	unsigned char *data;	/* 'W' only */
};

struct watch {
	int fd;			/* -1: none */
	unsigned pagesize;
	const char *name;
};

/* Process-wide, as libdb's hooks are (see pagelog.h). */
static struct {
	int active;
	struct watch w[PAGELOG_FILES];
	struct rec *recs;
	size_t nrecs, caprecs;
	size_t *slot;		/* hash (file, page) -> rec index + 1, 0 = empty */
	size_t nslots, used;
	long crash_in;		/* steps before SIGKILL, -1 never */
} pl = { .crash_in = -1 };

void
pagelog_crash_after(long n)
{
	pl.crash_in = n;
}

static void
step(void)
{
	if (pl.crash_in < 0)
		return;
	if (pl.crash_in-- == 0)
		raise(SIGKILL);
}

static int
file_of(int fd)
{
	int i;

	if (!pl.active || fd < 0)
		return -1;
	for (i = 0; i < PAGELOG_FILES; i++)
		if (pl.w[i].fd == fd)
			return i;
	return -1;
}

static size_t
hash(unsigned file, uint64_t page)
{
	uint64_t h = (page + 1) * 0x9e3779b97f4a7c15ULL ^ file;

	return (size_t)(h ^ (h >> 29));
}

/* Index of the newest held write of (file, page), or (size_t)-1. */
static size_t
find(unsigned file, uint64_t page)
{
	size_t i, r;

	if (pl.nslots == 0)
		return (size_t)-1;
	for (i = hash(file, page) & (pl.nslots - 1);; i = (i + 1) & (pl.nslots - 1)) {
		if ((r = pl.slot[i]) == 0)
			return (size_t)-1;
		r--;
		if (pl.recs[r].file == file &&
		    pl.recs[r].off / pl.w[file].pagesize == page)
			return r;
	}
}

static int
index_put(size_t r)
{
	size_t i, j, *old, n;
	unsigned file = pl.recs[r].file;
	uint64_t page = pl.recs[r].off / pl.w[file].pagesize;

	if ((pl.used + 1) * 2 > pl.nslots) {
		n = pl.nslots ? pl.nslots * 2 : 1024;
		old = pl.slot;
		if ((pl.slot = calloc(n, sizeof *pl.slot)) == NULL) {
			pl.slot = old;
			return -1;
		}
		j = pl.nslots;
		pl.nslots = n;
		pl.used = 0;
		for (i = 0; i < j; i++)
			if (old[i] != 0)
				index_put(old[i] - 1);
		free(old);
	}
	for (i = hash(file, page) & (pl.nslots - 1);; i = (i + 1) & (pl.nslots - 1)) {
		if (pl.slot[i] == 0) {
			pl.slot[i] = r + 1;
			pl.used++;
			return 0;
		}
		if (pl.recs[pl.slot[i] - 1].file == file &&
		    pl.recs[pl.slot[i] - 1].off / pl.w[file].pagesize == page) {
			pl.slot[i] = r + 1;
			return 0;
		}
	}
}

static struct rec *
rec_new(void)
{
	struct rec *n;
	size_t cap;

	if (pl.nrecs == pl.caprecs) {
		cap = pl.caprecs ? pl.caprecs * 2 : 64;
		if ((n = realloc(pl.recs, cap * sizeof *n)) == NULL)
			return NULL;
		pl.recs = n;
		pl.caprecs = cap;
	}
	n = &pl.recs[pl.nrecs];
	memset(n, 0, sizeof *n);
	return n;
}

static ssize_t
hook_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	struct rec *r;
	int f = file_of(fd);

	if (f < 0)
		return pwrite(fd, buf, n, off);
	/* libdb's buffer pool writes whole pages; anything else we could not
	 * show back to its reads, so refuse it rather than guess. */
	if (off < 0 || n != pl.w[f].pagesize || (uint64_t)off % n != 0) {
		errno = EIO;
		return -1;
	}
	if ((r = rec_new()) == NULL || (r->data = malloc(n)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(r->data, buf, n);
	r->type = 'W';
	r->file = (unsigned char)f;
	r->len = (uint32_t)n;
	r->off = (uint64_t)off;
	if (index_put(pl.nrecs) < 0) {
		free(r->data);
		errno = ENOMEM;
		return -1;
	}
	pl.nrecs++;
	return (ssize_t)n;
}

static ssize_t
hook_pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t got;
	size_t r, ps, done;
	uint64_t page;
	int f = file_of(fd);

	got = pread(fd, buf, n, off);
	if (f < 0 || got < 0 || off < 0)
		return got;
	ps = pl.w[f].pagesize;
	/* Overlay every held page the read touches, newest version wins. */
	for (done = 0; done < n; ) {
		uint64_t at = (uint64_t)off + done;
		size_t in_page, take;

		page = at / ps;
		in_page = (size_t)(at % ps);
		take = ps - in_page;
		if (take > n - done)
			take = n - done;
		r = find((unsigned)f, page);
		if (r != (size_t)-1 && !pl.recs[r].dead) {
			memcpy((char *)buf + done, pl.recs[r].data + in_page, take);
			if ((ssize_t)(done + take) > got)
				got = (ssize_t)(done + take);
		}
		done += take;
	}
	return got;
}

static int
hook_ftruncate(int fd, off_t len)
{
	struct rec *r;
	size_t i;
	int f = file_of(fd);

	if (f < 0)
		return ftruncate(fd, len);
	if (len < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((r = rec_new()) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	r->type = 'T';
	r->file = (unsigned char)f;
	r->off = (uint64_t)len;
	r->dead = 1;		/* never a page for reads */
	for (i = 0; i < pl.nrecs; i++)
		if (pl.recs[i].file == f && pl.recs[i].type == 'W' &&
		    pl.recs[i].off >= (uint64_t)len)
			pl.recs[i].dead = 1;
	pl.nrecs++;
	return 0;
}

static int
hook_fsync(int fd)
{
	if (file_of(fd) >= 0)
		return 0;	/* held writes are synced by the commit */
	return fdatasync(fd);
}

void
pagelog_io(struct pagelog_io *io)
{
	io->pwrite = hook_pwrite;
	io->pread = hook_pread;
	io->ftruncate = hook_ftruncate;
	io->fsync = hook_fsync;
}

static void
drop_held(void)
{
	size_t i;

	for (i = 0; i < pl.nrecs; i++)
		free(pl.recs[i].data);
	free(pl.recs);
	free(pl.slot);
	pl.recs = NULL;
	pl.slot = NULL;
	pl.nrecs = pl.caprecs = pl.nslots = pl.used = 0;
}

void
pagelog_end(void)
{
	size_t i;

	drop_held();
	for (i = 0; i < PAGELOG_FILES; i++) {
		pl.w[i].fd = -1;
		pl.w[i].name = NULL;
	}
	pl.active = 0;
}

void
pagelog_begin(void)
{
	pagelog_end();
	pl.active = 1;
}

int
pagelog_watch(int fd, unsigned file_no, unsigned pagesize, const char *name)
{
	if (!pl.active || file_no >= PAGELOG_FILES || pagesize == 0 || fd < 0) {
		errno = EINVAL;
		return -1;
	}
	pl.w[file_no].fd = fd;
	pl.w[file_no].pagesize = pagesize;
	pl.w[file_no].name = name;
	return 0;
}

/* --- the journal on disk --- */

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n-- > 0) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
put_le(unsigned char *p, uint64_t v, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
rec_header(unsigned char h[HDR], const struct rec *r)
{
	memset(h, 0, HDR);
	h[0] = r->type;
	h[1] = r->file;
	put_le(h + 4, r->type == 'W' ? r->len : 0, 4);
	put_le(h + 8, r->off, 8);
}

/* Gathered writes: many records per writev(2), not two calls each. */
struct batch {
	int fd;
	int n;
	struct iovec iov[IOV_BATCH];
};

static int
batch_flush(struct batch *b)
{
	struct iovec *v = b->iov;
	int n = b->n;
	ssize_t w;

	step();
	while (n > 0) {
		if ((w = writev(b->fd, v, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (n > 0 && (size_t)w >= v->iov_len) {
			w -= (ssize_t)v->iov_len;
			v++;
			n--;
		}
		if (n > 0) {
			v->iov_base = (char *)v->iov_base + w;
			v->iov_len -= (size_t)w;
		}
	}
	b->n = 0;
	return 0;
}

static int
batch_add(struct batch *b, const void *p, size_t len)
{
	if (b->n == IOV_BATCH && batch_flush(b) < 0)
		return -1;
	b->iov[b->n].iov_base = (void *)(uintptr_t)p;
	b->iov[b->n].iov_len = len;
	b->n++;
	return 0;
}

/*
 * Write recs[0, nrecs) to the journal jfd in place.  0: the end record is
 * there (and synced, with sync): the change has happened.  -1 and e:
 * nothing has happened (the journal is empty again, or lacks its end
 * record, so it is never applied).  1 and e: the end record was written but
 * syncing it failed and the journal could not be emptied again, so the next
 * opener would apply it: the change stands, and is reported as made.
 */
static int
write_journal(int jfd, const char *journal, const struct rec *recs, size_t nrecs,
    int sync, struct err *e)
{
	unsigned char *hdrs, end[HDR];
	uint64_t sum = 0xcbf29ce484222325ULL;
	struct batch *b;
	size_t i;
	int rc = -1, ended = 0;

	hdrs = malloc((nrecs ? nrecs : 1) * HDR);
	b = malloc(sizeof *b);
	if (hdrs == NULL || b == NULL) {
		err_set(e, ERR_TEMP, ENOMEM, "write %s", journal);
		free(hdrs);
		free(b);
		return -1;
	}
	b->n = 0;
	b->fd = jfd;
	if (ftruncate(jfd, 0) < 0 || lseek(jfd, 0, SEEK_SET) < 0)
		goto fail;
	sum = fnv(sum, MAGIC, 8);
	if (batch_add(b, MAGIC, 8) < 0)
		goto fail;
	for (i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		unsigned char *h = hdrs + i * HDR;

		rec_header(h, r);
		sum = fnv(sum, h, HDR);
		if (batch_add(b, h, HDR) < 0)
			goto fail;
		if (r->type == 'W') {
			sum = fnv(sum, r->data, r->len);
			if (batch_add(b, r->data, r->len) < 0)
				goto fail;
		}
	}
	/* The body first, then the end record that makes it a commit. */
	if (batch_flush(b) < 0)
		goto fail;
	memset(end, 0, HDR);
	end[0] = 'E';
	put_le(end + 4, nrecs, 4);
	put_le(end + 8, sum, 8);
	if (batch_add(b, end, HDR) < 0 || batch_flush(b) < 0)
		goto fail;
	ended = 1;
	/* With sync, the end record on disk is the moment the change happens. */
	if (sync && fsync(jfd) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	err_set(e, ERR_TEMP, errno, ended ? "fsync %s" : "write %s", journal);
	if (ftruncate(jfd, 0) < 0 && ended) {
		/* A whole journal stays, which the next opener applies: the
		 * change has happened after all, and must be said to have. */
		rc = 1;
	}
	/* Else half a journal may stay; without its end record it is never applied. */
out:
	free(hdrs);
	free(b);
	return rc;
}

/* A page write's place in the apply order. */
struct span {
	unsigned file;
	uint64_t off;
	size_t i;		/* record index: the highest wins */
};

static int
by_place(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->i > y->i ? -1 : x->i < y->i;	/* newest first */
}

/* pwritev(2) all of iov[0, cnt) at off, going on after a short write. 0, or -1 and errno. */
static int
write_all(int fd, struct iovec *iov, int cnt, uint64_t off)
{
	ssize_t w;

	while (cnt > 0) {
		if ((w = pwritev(fd, iov, cnt, (off_t)off)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		off += (uint64_t)w;
		while (cnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Write the newest version of each page of recs[from, to) (all 'W'), in file order, adjacent pages in one pwritev(2). */
static int
apply_writes(const struct rec *recs, size_t from, size_t to, struct span *sp,
    const int *fds, const char *const *names, struct err *e)
{
	struct iovec iov[IOV_BATCH];
	size_t n = 0, i, k;

	for (i = from; i < to; i++) {
		sp[n].file = recs[i].file;
		sp[n].off = recs[i].off;
		sp[n].i = i;
		n++;
	}
	qsort(sp, n, sizeof *sp, by_place);
	for (i = 0; i < n; i = k) {
		uint64_t off = sp[i].off, next = off;
		unsigned f = sp[i].file;
		int cnt = 0;

		for (k = i; k < n && sp[k].file == f && cnt < IOV_BATCH; k++) {
			if (k > i && sp[k].off == sp[k - 1].off)
				continue;	/* an older version of the same page */
			if (sp[k].off != next)
				break;
			iov[cnt].iov_base = recs[sp[k].i].data;
			iov[cnt].iov_len = recs[sp[k].i].len;
			next += recs[sp[k].i].len;
			cnt++;
		}
		while (k < n && sp[k].file == f && sp[k].off == sp[k - 1].off)
			k++;		/* older versions of the last page taken */
		step();
		if (write_all(fds[f], iov, cnt, off) < 0) {
			err_set(e, ERR_TEMP, errno, "write %s", names[f]);
			return -1;
		}
	}
	return 0;
}

/* Apply records in order to fds[file] (truncates split the order); then sync each. */
static int
apply(const struct rec *recs, size_t n, const int *fds, const char *const *names,
    unsigned nfiles, int sync, struct err *e)
{
	struct span *sp;
	size_t i, from = 0;
	unsigned f;
	int rc = -1;

	for (i = 0; i < n; i++)
		if (recs[i].file >= nfiles || fds[recs[i].file] < 0) {
			err_set(e, ERR_PERM, 0, "journal names file %u, which is not open",
			    recs[i].file);
			return -1;
		}
	if ((sp = malloc((n ? n : 1) * sizeof *sp)) == NULL) {
		err_set(e, ERR_TEMP, ENOMEM, "apply journal");
		return -1;
	}
	for (i = 0; i <= n; i++) {
		if (i < n && recs[i].type == 'W')
			continue;
		if (apply_writes(recs, from, i, sp, fds, names, e) < 0)
			goto out;
		if (i < n) {
			step();
			if (ftruncate(fds[recs[i].file], (off_t)recs[i].off) < 0) {
				err_set(e, ERR_TEMP, errno, "truncate %s", names[recs[i].file]);
				goto out;
			}
		}
		from = i + 1;
	}
	/* Start every file's write-back before waiting for any: the disk
	 * works on all of them at once, and each fdatasync(2) then mostly
	 * waits for its flush.  Only a hint: fdatasync says what failed. */
	for (f = 0; sync && f < nfiles; f++)
		if (fds[f] >= 0)
			(void)sync_file_range(fds[f], 0, 0, SYNC_FILE_RANGE_WRITE);
	for (f = 0; sync && f < nfiles; f++)
		if (fds[f] >= 0 && fdatasync(fds[f]) < 0) {
			err_set(e, ERR_TEMP, errno, "fsync %s", names[f]);
			goto out;
		}
	rc = 0;
out:
	free(sp);
	return rc;
}

/*
 * Empty the journal: the change is in the files, synced (with sync) before
 * this is called.  The emptying itself is not synced.  Should it be lost to
 * a crash, the journal comes back whole and is applied again over files
 * that already hold it: harmless, as nothing but a commit writes these
 * files, and a commit's first step rewrites the journal and syncs it, which
 * makes this emptying durable before any newer page reaches the files.
 */
static int
finish(int jfd, const char *journal, struct err *e)
{
	step();
	if (ftruncate(jfd, 0) < 0) {
		err_set(e, ERR_TEMP, errno, "empty %s", journal);
		return -1;
	}
	return 0;
}

/* Reserve the first len bytes of fd (name) without changing its size. 0, or -1 and e. */
static int
reserve_fd(int fd, const char *name, uint64_t len, struct err *e)
{
	if (len == 0 || fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)len) == 0)
		return 0;
	if (errno == EOPNOTSUPP || errno == ENOSYS)
		return 0;	/* a file system without it: the apply may still find it full */
	err_set(e, ERR_TEMP, errno, "reserve space in %s", name);
	return -1;
}

/*
 * Reserve, without changing their sizes, the blocks recs[0, n) will need
 * in each of fds[0, nfiles): the most each file reaches while they apply.
 * 0, or -1 and e (ENOSPC: the disk is full; nothing has changed).
 */
static int
reserve(const struct rec *recs, size_t n, const int *fds, const char *const *names,
    unsigned nfiles, struct err *e)
{
	uint64_t size[PAGELOG_FILES], most[PAGELOG_FILES];
	struct stat st;
	size_t i;
	unsigned f;

	for (f = 0; f < nfiles; f++) {
		size[f] = most[f] = 0;
		if (fds[f] >= 0 && fstat(fds[f], &st) == 0)
			size[f] = most[f] = (uint64_t)st.st_size;
	}
	for (i = 0; i < n; i++) {
		f = recs[i].file;
		if (f >= nfiles)
			continue;	/* apply refuses it */
		if (recs[i].type == 'T')
			size[f] = recs[i].off;
		else if (recs[i].off + recs[i].len > size[f])
			size[f] = recs[i].off + recs[i].len;
		if (size[f] > most[f])
			most[f] = size[f];
	}
	for (f = 0; f < nfiles; f++)
		if (fds[f] >= 0 && reserve_fd(fds[f], names[f], most[f], e) < 0)
			return -1;
	return 0;
}

/* Journal, apply and empty recs[0, n) on fds: pagelog_commit's steps. */
static int
commit_recs(int jfd, const char *journal, const struct rec *recs, size_t n,
    const int *fds, const char *const *names, unsigned nfiles, int sync, struct err *e)
{
	int r;

	/* The space first: a full disk stops the change here, before it happens. */
	if (reserve(recs, n, fds, names, nfiles, e) < 0)
		return -1;
	if ((r = write_journal(jfd, journal, recs, n, sync, e)) < 0)
		return -1;
	step();
	/* The change has happened: the journal's end record is there.  Should
	 * applying it fail, it stays for the next opener to finish. */
	if (r > 0 || apply(recs, n, fds, names, nfiles, sync, e) < 0 ||
	    finish(jfd, journal, e) < 0)
		return 1;
	return 0;
}

int
pagelog_commit(int jfd, const char *journal, int sync, struct err *e)
{
	int fds[PAGELOG_FILES];
	const char *names[PAGELOG_FILES];
	unsigned f;
	int r;

	if (pl.nrecs == 0)
		return 0;
	for (f = 0; f < PAGELOG_FILES; f++) {
		fds[f] = pl.w[f].fd;
		names[f] = pl.w[f].name != NULL ? pl.w[f].name : journal;
	}
	if ((r = commit_recs(jfd, journal, pl.recs, pl.nrecs, fds, names, PAGELOG_FILES,
	    sync, e)) != 0)
		return r;	/* 1: what is held stays, so this session reads what it committed */
	drop_held();	/* the session goes on, watching the same files */
	return 0;
}

/*
 * Read the whole journal from jfd: 1 and *recs when it is complete, 0
 * when it is not (a commit that never happened), -1 and e.
 */
static int
load(int jfd, const char *journal, unsigned char **buf, struct rec **recs,
    size_t *nrecs, unsigned nfiles, struct err *e)
{
	struct stat st;
	unsigned char *b = NULL;
	struct rec *r = NULL;
	size_t pos, n = 0, cap = 0, size;
	uint64_t sum = 0xcbf29ce484222325ULL;
	ssize_t got;

	if (fstat(jfd, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", journal);
		return -1;
	}
	size = (size_t)st.st_size;
	if ((b = malloc(size ? size : 1)) == NULL) {
		err_set(e, ERR_TEMP, ENOMEM, "read %s", journal);
		return -1;
	}
	for (pos = 0; pos < size; pos += (size_t)got)
		if ((got = pread(jfd, b + pos, size - pos, (off_t)pos)) <= 0) {
			err_set(e, ERR_TEMP, got < 0 ? errno : EIO, "read %s", journal);
			goto fail_io;
		}

	if (size < 8 + HDR || memcmp(b, MAGIC, 8) != 0)
		goto incomplete;
	sum = fnv(sum, b, 8);
	for (pos = 8; pos + HDR <= size; ) {
		const unsigned char *h = b + pos;
		uint32_t len = (uint32_t)get_le(h + 4, 4);

		if (h[0] == 'E') {
			if (pos + HDR != size || get_le(h + 4, 4) != n ||
			    get_le(h + 8, 8) != sum)
				goto incomplete;
			*buf = b;
			*recs = r;
			*nrecs = n;
			return 1;
		}
		if ((h[0] != 'W' && h[0] != 'T') || h[1] >= nfiles ||
		    (h[0] == 'W' && (len == 0 || len > size - pos - HDR)))
			goto incomplete;
		if (n == cap) {
			struct rec *nr;
			cap = cap ? cap * 2 : 64;
			if ((nr = realloc(r, cap * sizeof *nr)) == NULL) {
				err_set(e, ERR_TEMP, ENOMEM, "read %s", journal);
				goto fail_io;
			}
			r = nr;
		}
		memset(&r[n], 0, sizeof r[n]);
		r[n].type = h[0];
		r[n].file = h[1];
		r[n].off = get_le(h + 8, 8);
		if (h[0] == 'W') {
			r[n].len = len;
			r[n].data = b + pos + HDR;
		}
		sum = fnv(sum, h, HDR);
		pos += HDR;
		if (h[0] == 'W') {
			sum = fnv(sum, b + pos, len);
			pos += len;
		}
		n++;
	}
incomplete:
	free(b);
	free(r);
	return 0;
fail_io:
	free(b);
	free(r);
	return -1;
}

int
pagelog_recover(int jfd, const char *journal, const int *fds, const char *const *names,
    unsigned nfiles, int sync, struct err *e)
{
	unsigned char *buf = NULL;
	struct rec *recs = NULL;
	size_t n = 0;
	int r, rc = -1;

	if (nfiles > PAGELOG_FILES) {
		err_set(e, ERR_PERM, EINVAL, "recover %s", journal);
		return -1;
	}
	if ((r = load(jfd, journal, &buf, &recs, &n, nfiles, e)) < 0)
		return -1;
	if (r == 0)	/* nothing there, or a commit that never happened */
		return finish(jfd, journal, e) < 0 ? -1 : 0;
	if (apply(recs, n, fds, names, nfiles, sync, e) == 0 &&
	    finish(jfd, journal, e) == 0)
		rc = 1;
	free(recs);
	free(buf);
	return rc;
}

int
pagelog_check(int jfd, const char *journal, unsigned nfiles, struct err *e)
{
	unsigned char *buf = NULL;
	struct rec *recs = NULL;
	struct stat st;
	size_t n = 0;
	int r;

	if (fstat(jfd, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", journal);
		return -1;
	}
	if (st.st_size == 0)
		return 0;
	if ((r = load(jfd, journal, &buf, &recs, &n, nfiles, e)) < 0)
		return -1;
	free(recs);
	free(buf);
	return r == 1 ? 1 : 2;
}

/* The whole of fd (name), malloc'd, into *buf and *n. 0, or -1 and e. */
static int
slurp(int fd, const char *name, unsigned char **buf, size_t *n, struct err *e)
{
	struct stat st;
	size_t pos;
	ssize_t got;

	*buf = NULL;
	if (fstat(fd, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", name);
		return -1;
	}
	*n = (size_t)st.st_size;
	if ((*buf = malloc(*n ? *n : 1)) == NULL) {
		err_set(e, ERR_TEMP, ENOMEM, "read %s", name);
		return -1;
	}
	for (pos = 0; pos < *n; pos += (size_t)got)
		if ((got = pread(fd, *buf + pos, *n - pos, (off_t)pos)) <= 0) {
			err_set(e, ERR_TEMP, got < 0 ? errno : EIO, "read %s", name);
			free(*buf);
			*buf = NULL;
			return -1;
		}
	return 0;
}

int
pagelog_replace(int jfd, const char *journal, const int *dst, const char *const *names,
    const int *src, const char *const *srcnames, unsigned nfiles, int sync, struct err *e)
{
	enum { CHUNK = 65536 };
	unsigned char *data[PAGELOG_FILES] = { NULL };
	size_t size[PAGELOG_FILES], nrecs = 0, off;
	struct rec *recs = NULL;
	unsigned f;
	int rc = -1;

	if (nfiles > PAGELOG_FILES) {
		err_set(e, ERR_PERM, EINVAL, "replace through %s", journal);
		return -1;
	}
	for (f = 0; f < nfiles; f++) {
		if (slurp(src[f], srcnames[f], &data[f], &size[f], e) < 0)
			goto out;
		nrecs += size[f] / CHUNK + 2;
	}
	if ((recs = calloc(nrecs ? nrecs : 1, sizeof *recs)) == NULL) {
		err_set(e, ERR_TEMP, ENOMEM, "replace through %s", journal);
		goto out;
	}
	nrecs = 0;
	for (f = 0; f < nfiles; f++) {
		for (off = 0; off < size[f]; off += CHUNK) {
			recs[nrecs].type = 'W';
			recs[nrecs].file = (unsigned char)f;
			recs[nrecs].off = off;
			recs[nrecs].len = (uint32_t)(size[f] - off < CHUNK ? size[f] - off : CHUNK);
			recs[nrecs].data = data[f] + off;
			nrecs++;
		}
		recs[nrecs].type = 'T';	/* the old file's tail, cut */
		recs[nrecs].file = (unsigned char)f;
		recs[nrecs].off = size[f];
		nrecs++;
	}
	rc = commit_recs(jfd, journal, recs, nrecs, dst, names, nfiles, sync, e);
out:
	for (f = 0; f < nfiles; f++)
		free(data[f]);
	free(recs);
	return rc;
}

int
pagelog_finish(int lockfd, const char *lockpath, int jfd, const char *journal,
    uid_t owner, long timeout_ms, const char *const *paths, unsigned n, int sync,
    struct err *e)
{
	int fds[PAGELOG_FILES], own = -1, rc = -1, shared = jfd < 0;
	struct stat st;
	unsigned f;

	if (n > PAGELOG_FILES) {
		err_set(e, ERR_PERM, EINVAL, "recover %s", journal);
		return -1;
	}
	if (shared) {
		/* A reader learns from the size alone whether there is work to do. */
		if (lstat(journal, &st) < 0)
			return errno == ENOENT ? 0 : (err_set(e, ERR_TEMP, errno, "stat %s", journal), -1);
		if (safefile_check(-1, journal, SAFEFILE_ANY_OWNER, &st, e) < 0)
			return -1;
		if (st.st_size == 0)
			return 0;
		if (lock_path(lockfd, lockpath, LOCK_EX, timeout_ms, e) < 0)
			return -1;
		if ((jfd = own = safefile_open(journal, O_RDWR, owner, NULL, e)) < 0) {
			if (e->errnum == EACCES)
				err_set(e, ERR_TEMP, EACCES, "finish %s, a change a killed writer "
				    "left (the next writer will)", journal);
			goto relock;
		}
	} else {
		if (fstat(jfd, &st) < 0) {
			err_set(e, ERR_TEMP, errno, "stat %s", journal);
			return -1;
		}
		if (st.st_size == 0)
			return 0;
	}
	for (f = 0; f < PAGELOG_FILES; f++)
		fds[f] = -1;
	for (f = 0; f < n; f++)
		if ((fds[f] = safefile_open(paths[f], O_RDWR, owner, NULL, e)) < 0)
			goto out;
	if (pagelog_recover(jfd, journal, fds, paths, n, sync, e) >= 0)
		rc = 0;
out:
	for (f = 0; f < n; f++)
		if (fds[f] >= 0)
			close(fds[f]);
	if (own >= 0)
		close(own);
relock:
	if (shared && lock_path(lockfd, lockpath, LOCK_SH, timeout_ms,
	    rc == 0 ? e : NULL) < 0)
		rc = -1;
	return rc;
}
