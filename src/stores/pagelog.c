/*
 * pagelog: all-or-nothing page writes for Berkeley DB files; see pagelog.h.
 * No libdb call here (bdbfile.c installs the hooks): relaygate-check links
 * this to finish a dead writer's journal without linking libdb.
 *
 * Journal layout (all numbers little-endian):
 *   header, JALIGN bytes: "RGJOURN2", the boot id of the boot that last
 *            settled a commit here (16 bytes, /proc/sys/kernel/random/
 *            boot_id), where the settled commits end u64, FNV-1a 64 of
 *            those 32 bytes u64, zeros
 *   block*, each at a multiple of JALIGN:
 *     "RGPAGES1"                                   magic, 8 bytes
 *     record*: type u8 ('W' write, 'T' truncate), file u8, 0 u16,
 *              length u32, offset u64, then length bytes for 'W'
 *     'E' u8, 0 u8, 0 u16, record count u32, the checksum of the block before
 *     it u64 (fnv_words; fnv for a block at offset 0, earlier versions' layout)
 *     zeros to the next multiple of JALIGN, then one byte: not yet settled
 * The journal is one file made once, with the store (relaygate init), and
 * written in place.  A commit appends its block, and only once the block's
 * end record, whose count and checksum cover the block, is there (and
 * synced) has the change happened; a block without a valid end is a commit
 * that never happened and is cut off unread.  Then the pages are written
 * to the files, and either
 *   - the files are flushed and the journal emptied (a checkpoint), or
 *   - (a group commit) the block's last byte is cut off and the header
 *     says the journal is settled up to here, in this boot: the files get
 *     the pages from the page cache, and to disk at the next checkpoint.
 * So the journal is empty, or a header and settled blocks (a multiple of
 * JALIGN long), or it ends in a block whose writer died before settling
 * it (one byte more), or in part of a block.  An opener finishes what is
 * not settled; if the boot is not the header's, a crash may have lost any
 * page written since the last checkpoint, so it applies every block
 * again, which, like applying a block twice, is harmless.  A reader that
 * cannot read the journal takes one written since the boot began (its
 * mtime), a multiple of JALIGN long, for settled.
 * No file is ever created or renamed here, so a writer
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "stores/lock.h"
#include "stores/pagelog.h"
#include "stores/safefile.h"

#define MAGIC "RGPAGES1"	/* a commit's block */
#define JHEAD "RGJOURN2"	/* the header block */
#define JALIGN 512		/* blocks start at multiples of this */
#define FNV0 0xcbf29ce484222325ULL
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

/*
 * The checksum of a block after a header: FNV-1a 64 taken a little-endian
 * 64-bit word at a time (the rest a byte at a time), eight times fewer
 * multiplications than fnv for the same torn-write check.  Every piece a
 * block is summed in is a multiple of 8 bytes long, so summing it piece by
 * piece is summing it whole.  A block at the start of a journal (the
 * layout of earlier versions) is summed with fnv.
 */
static uint64_t
fnv_words(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t w;
	int i;

	for (; n >= 8; n -= 8, c += 8) {
		for (w = 0, i = 7; i >= 0; i--)
			w = w << 8 | c[i];
		h ^= w;
		h *= 0x100000001b3ULL;
	}
	return fnv(h, c, n);
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

/* --- the journal's header and the boot it speaks of --- */

/* This boot's id (/proc/sys/kernel/random/boot_id) into id: 0, or -1 unknown. */
static int
boot_id(unsigned char id[16])
{
	static unsigned char known[16];
	static int state;	/* 0 unread, 1 known, -1 unknown */
	char text[64];
	ssize_t n;
	int fd, i, k, hi = -1;

	if (state == 0) {
		state = -1;
		if ((fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)) >= 0) {
			n = read(fd, text, sizeof text - 1);
			close(fd);
			for (i = k = 0; n > 0 && i < n && k < 16; i++) {
				int c = text[i], v;

				if (c == '-')
					continue;
				if (c >= '0' && c <= '9')
					v = c - '0';
				else if (c >= 'a' && c <= 'f')
					v = c - 'a' + 10;
				else
					break;
				if (hi < 0)
					hi = v;
				else {
					known[k++] = (unsigned char)(hi << 4 | v);
					hi = -1;
				}
			}
			if (k == 16)
				state = 1;
		}
	}
	if (state < 0)
		return -1;
	memcpy(id, known, 16);
	return 0;
}

/* When this boot began, on the wall clock (st_mtim's clock). */
static struct timespec
boot_began(void)
{
	struct timespec real, up, t;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &up);
	t.tv_sec = real.tv_sec - up.tv_sec;
	t.tv_nsec = real.tv_nsec - up.tv_nsec;
	if (t.tv_nsec < 0) {
		t.tv_nsec += 1000000000L;
		t.tv_sec--;
	}
	return t;
}

struct head {
	int valid;
	unsigned char boot[16];
	uint64_t end;		/* where the settled commits end */
};

static void
head_encode(unsigned char b[JALIGN], const unsigned char boot[16], uint64_t end)
{
	memset(b, 0, JALIGN);
	memcpy(b, JHEAD, 8);
	memcpy(b + 8, boot, 16);
	put_le(b + 24, end, 8);
	put_le(b + 32, fnv(FNV0, b, 32), 8);
}

static void
head_decode(const unsigned char *b, size_t size, struct head *h)
{
	memset(h, 0, sizeof *h);
	if (size < 40 || memcmp(b, JHEAD, 8) != 0 || get_le(b + 32, 8) != fnv(FNV0, b, 32))
		return;
	h->valid = 1;
	memcpy(h->boot, b + 8, 16);
	h->end = get_le(b + 24, 8);
}

/* Settled in this boot: every commit in the journal is in the files (as this boot's page cache holds them). */
static int
head_settled(const struct head *h, uint64_t size)
{
	unsigned char now[16];

	return h->valid && h->end == size && boot_id(now) == 0 &&
	    memcmp(now, h->boot, 16) == 0;
}

/*
 * Write recs[0, nrecs) to the journal jfd as one block at offset at (a
 * multiple of JALIGN; with head, the header block goes first, at 0): the
 * block, its end record, padding to the next JALIGN and one byte more, the
 * mark of a commit not yet settled.  0: the end record is there (and
 * synced, with sync): the change has happened.  -1 and e: nothing has
 * happened (the journal is cut back to where it was, or the block lacks
 * its end record, so it is never applied).  1 and e: the end record was
 * written but syncing it failed and the block could not be cut off again,
 * so the next opener would apply it: the change stands, and is reported as
 * made.  *end is where the block's padding ends.
 */
static int
write_block(int jfd, const char *journal, uint64_t at, const unsigned char *head,
    const struct rec *recs, size_t nrecs, int sync, uint64_t *end, struct err *e)
{
	static const unsigned char zeros[JALIGN], mark = 'U';
	unsigned char *hdrs, last[HDR];
	uint64_t sum = FNV0, len = 8;
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
	/* A new journal starts with its header; a block goes after the last. */
	if ((head != NULL && ftruncate(jfd, 0) < 0) ||
	    lseek(jfd, (off_t)(head ? 0 : at), SEEK_SET) < 0)
		goto fail;
	if (head != NULL && batch_add(b, head, JALIGN) < 0)
		goto fail;
	sum = fnv_words(sum, MAGIC, 8);
	if (batch_add(b, MAGIC, 8) < 0)
		goto fail;
	for (i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		unsigned char *h = hdrs + i * HDR;

		rec_header(h, r);
		sum = fnv_words(sum, h, HDR);
		len += HDR;
		if (batch_add(b, h, HDR) < 0)
			goto fail;
		if (r->type == 'W') {
			sum = fnv_words(sum, r->data, r->len);
			len += r->len;
			if (batch_add(b, r->data, r->len) < 0)
				goto fail;
		}
	}
	/* The body first, then the end record that makes it a commit. */
	if (batch_flush(b) < 0)
		goto fail;
	memset(last, 0, HDR);
	last[0] = 'E';
	put_le(last + 4, nrecs, 4);
	put_le(last + 8, sum, 8);
	len += HDR;
	*end = at + (len + JALIGN - 1) / JALIGN * JALIGN;
	if (batch_add(b, last, HDR) < 0 ||
	    batch_add(b, zeros, (size_t)(*end - at - len)) < 0 ||
	    batch_add(b, &mark, 1) < 0 || batch_flush(b) < 0)
		goto fail;
	ended = 1;
	/* With sync, the end record on disk is the moment the change happens. */
	if (sync && fdatasync(jfd) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	err_set(e, ERR_TEMP, errno, ended ? "fsync %s" : "write %s", journal);
	if (ftruncate(jfd, (off_t)(head ? 0 : at)) < 0 && ended) {
		/* A whole block stays, which the next opener applies: the
		 * change has happened after all, and must be said to have. */
		rc = 1;
	}
	/* Else part of a block may stay; without its end record it is never applied. */
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

/* Apply records in order to fds[file] (truncates split the order); nothing is synced. */
static int
apply(const struct rec *recs, size_t n, const int *fds, const char *const *names,
    unsigned nfiles, struct err *e)
{
	struct span *sp;
	size_t i, from = 0;
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
	rc = 0;
out:
	free(sp);
	return rc;
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
 * May this process write up to reach bytes into name?  The file size
 * limit (RLIMIT_FSIZE, ulimit -f) refuses a write that ends past it, even
 * inside the file: found in the middle of an apply, that would leave the
 * file torn for a reader that does not replay the journal (Postfix).
 * 0, or -1 and e (EFBIG).
 */
static int
within_limit(const char *name, uint64_t reach, struct err *e)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    reach <= (uint64_t)rl.rlim_cur)
		return 0;
	err_set(e, ERR_TEMP, EFBIG, "write %s up to byte %llu: past the file size limit "
	    "(RLIMIT_FSIZE, ulimit -f) of %llu bytes", name, (unsigned long long)reach,
	    (unsigned long long)rl.rlim_cur);
	return -1;
}

/*
 * Reserve, without changing their sizes, the blocks recs[0, n) will need
 * in each of fds[0, nfiles): the most each file reaches while they apply;
 * and check that the file size limit lets every write of theirs happen.
 * 0, or -1 and e (ENOSPC: the disk is full; EFBIG: the limit; nothing has
 * changed).
 */
static int
reserve(const struct rec *recs, size_t n, const int *fds, const char *const *names,
    unsigned nfiles, struct err *e)
{
	uint64_t size[PAGELOG_FILES], most[PAGELOG_FILES], reach[PAGELOG_FILES];
	struct stat st;
	size_t i;
	unsigned f;

	for (f = 0; f < nfiles; f++) {
		size[f] = most[f] = reach[f] = 0;
		if (fds[f] >= 0 && fstat(fds[f], &st) == 0)
			size[f] = most[f] = (uint64_t)st.st_size;
	}
	for (i = 0; i < n; i++) {
		f = recs[i].file;
		if (f >= nfiles)
			continue;	/* apply refuses it */
		if (recs[i].type == 'T')
			size[f] = recs[i].off;
		else {
			if (recs[i].off + recs[i].len > size[f])
				size[f] = recs[i].off + recs[i].len;
			if (recs[i].off + recs[i].len > reach[f])
				reach[f] = recs[i].off + recs[i].len;
		}
		if (size[f] > most[f])
			most[f] = size[f];
	}
	for (f = 0; f < nfiles; f++)
		if (fds[f] >= 0 && (within_limit(names[f], reach[f], e) < 0 ||
		    reserve_fd(fds[f], names[f], most[f], e) < 0))
			return -1;
	return 0;
}

/*
 * Make the files durable and empty the journal (a checkpoint): every
 * change the journal holds is then in the files on disk.  The emptying
 * itself is not synced.  Should it be lost to a crash, the journal comes
 * back and is applied again over files that already hold it: harmless, as
 * nothing but a commit writes these files, and a commit first writes its
 * block and syncs the journal, which makes the emptying durable before any
 * newer page reaches the files.
 */
static int
checkpoint(int jfd, const char *journal, const int *fds, const char *const *names,
    unsigned nfiles, int sync, struct err *e)
{
	unsigned f;

	/* Start every file's write-back before waiting for any: the disk
	 * works on all of them at once, and each fdatasync(2) then mostly
	 * waits for its flush.  Only a hint: fdatasync says what failed. */
	for (f = 0; sync && f < nfiles; f++)
		if (fds[f] >= 0)
			(void)sync_file_range(fds[f], 0, 0, SYNC_FILE_RANGE_WRITE);
	for (f = 0; sync && f < nfiles; f++)
		if (fds[f] >= 0 && fdatasync(fds[f]) < 0) {
			err_set(e, ERR_TEMP, errno, "fsync %s", names[f]);
			return -1;
		}
	step();
	if (ftruncate(jfd, 0) < 0) {
		err_set(e, ERR_TEMP, errno, "empty %s", journal);
		return -1;
	}
	return 0;
}

/*
 * A group commit applied: cut off the block's mark and say in the header
 * where the settled commits end.  Nothing is synced: the block is, and a
 * crash before the files are (at the next checkpoint) is what the boot id
 * in the header is for.
 */
static int
settle(int jfd, const char *journal, const unsigned char boot[16], uint64_t end,
    struct err *e)
{
	unsigned char h[JALIGN];

	step();
	head_encode(h, boot, end);
	if (ftruncate(jfd, (off_t)end) < 0 || pwrite(jfd, h, JALIGN, 0) != JALIGN) {
		err_set(e, ERR_TEMP, errno, "write %s", journal);
		return -1;
	}
	return 0;
}

/* Journal, apply and settle or checkpoint recs[0, n) on fds: pagelog_commit's steps. */
static int
commit_recs(int jfd, const char *journal, const struct rec *recs, size_t n,
    const int *fds, const char *const *names, unsigned nfiles, int sync, int group,
    struct err *e)
{
	unsigned char boot[16], head[JALIGN];
	struct stat st;
	uint64_t at, end;
	int r, known;

	/* The space first: a full disk stops the change here, before it happens. */
	if (reserve(recs, n, fds, names, nfiles, e) < 0)
		return -1;
	if (fstat(jfd, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", journal);
		return -1;
	}
	if ((known = boot_id(boot) == 0) == 0)
		memset(boot, 0, sizeof boot);
	/* After the settled commits, or a new journal.  (Its opener has
	 * finished whatever was not settled.) */
	at = (uint64_t)st.st_size;
	if (at % JALIGN != 0) {
		err_set(e, ERR_TEMP, 0, "%s holds a commit that was not finished; "
		    "nothing written (the next opener finishes it)", journal);
		return -1;
	}
	if (at == 0) {
		head_encode(head, boot, JALIGN);
		at = JALIGN;
	}
	if ((r = write_block(jfd, journal, at, st.st_size == 0 ? head : NULL, recs, n,
	    sync, &end, e)) < 0)
		return -1;
	step();
	/* The change has happened: the journal's end record is there.  Should
	 * applying it fail, it stays for the next opener to finish. */
	if (r > 0 || apply(recs, n, fds, names, nfiles, e) < 0)
		return 1;
	if (group && known && sync && end <= PAGELOG_GROUP_MAX)
		return settle(jfd, journal, boot, end, e) < 0 ? 1 : 0;
	return checkpoint(jfd, journal, fds, names, nfiles, sync, e) < 0 ? 1 : 0;
}

/* The watched files' fds and names (journal's for a file not watched). */
static void
watched(int *fds, const char **names, const char *journal)
{
	unsigned f;

	for (f = 0; f < PAGELOG_FILES; f++) {
		fds[f] = pl.w[f].fd;
		names[f] = pl.w[f].name != NULL ? pl.w[f].name : journal;
	}
}

int
pagelog_commit(int jfd, const char *journal, int sync, int group, struct err *e)
{
	int fds[PAGELOG_FILES];
	const char *names[PAGELOG_FILES];
	struct sigaction ign, old;
	int r, restore;

	if (pl.nrecs == 0)
		return 0;
	watched(fds, names, journal);
	/* A journal write past the file size limit fails with EFBIG, before
	 * the end record, instead of killing the process (SIGXFSZ): the change
	 * then never happened, and a chain program goes on. */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	restore = sigaction(SIGXFSZ, &ign, &old) == 0;
	r = commit_recs(jfd, journal, pl.recs, pl.nrecs, fds, names, PAGELOG_FILES,
	    sync, group, e);
	if (restore)
		(void)sigaction(SIGXFSZ, &old, NULL);
	if (r != 0)
		return r;	/* 1: what is held stays, so this session reads what it committed */
	drop_held();	/* the session goes on, watching the same files */
	return 0;
}

int
pagelog_flush(int jfd, const char *journal, int sync, struct err *e)
{
	int fds[PAGELOG_FILES];
	const char *names[PAGELOG_FILES];
	struct stat st;

	if (fstat(jfd, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", journal);
		return -1;
	}
	if (st.st_size == 0)
		return 0;
	watched(fds, names, journal);
	return checkpoint(jfd, journal, fds, names, PAGELOG_FILES, sync, e);
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

/*
 * The block at b[pos, size): its records appended to *recs (pointing into
 * b) and the offset after its end record in *next; 1 when it is whole, 0
 * when it is not (a commit that never happened), -1 out of memory.
 */
static int
parse_block(const unsigned char *b, size_t size, size_t pos, unsigned nfiles,
    struct rec **recs, size_t *n, size_t *cap, size_t *next)
{
	uint64_t (*sumf)(uint64_t, const void *, size_t) = pos == 0 ? fnv : fnv_words;
	uint64_t sum = FNV0;
	size_t count = 0, first = *n;

	if (pos > size || size - pos < 8 + HDR || memcmp(b + pos, MAGIC, 8) != 0)
		return 0;
	sum = sumf(sum, b + pos, 8);
	for (pos += 8; pos + HDR <= size; ) {
		const unsigned char *h = b + pos;
		uint32_t len = (uint32_t)get_le(h + 4, 4);

		if (h[0] == 'E') {
			if (get_le(h + 4, 4) != count || get_le(h + 8, 8) != sum)
				break;
			*next = pos + HDR;
			return 1;
		}
		if ((h[0] != 'W' && h[0] != 'T') || h[1] >= nfiles ||
		    (h[0] == 'W' && (len == 0 || len > size - pos - HDR)))
			break;
		if (*n == *cap) {
			struct rec *nr;
			size_t c = *cap ? *cap * 2 : 64;

			if ((nr = realloc(*recs, c * sizeof *nr)) == NULL)
				return -1;
			*recs = nr;
			*cap = c;
		}
		memset(&(*recs)[*n], 0, sizeof **recs);
		(*recs)[*n].type = h[0];
		(*recs)[*n].file = h[1];
		(*recs)[*n].off = get_le(h + 8, 8);
		if (h[0] == 'W') {
			(*recs)[*n].len = len;
			(*recs)[*n].data = (unsigned char *)(uintptr_t)(b + pos + HDR);
		}
		sum = sumf(sum, h, HDR);
		pos += HDR;
		if (h[0] == 'W') {
			sum = sumf(sum, b + pos, len);
			pos += len;
		}
		(*n)++;
		count++;
	}
	*n = first;	/* a block without its end: none of it */
	return 0;
}

/* What the journal calls for. */
struct plan {
	enum { P_NOTHING, P_APPLY, P_GARBAGE } what;
	struct rec *recs;	/* P_APPLY: the whole commits to apply, in order */
	size_t n, cap;
	uint64_t keep;		/* P_NOTHING: the settled length to cut it to */
};

/*
 * Read the journal b (size bytes) into p: the whole commits not known to be
 * in the files (after a boot that is not the header's, every one of them),
 * or nothing to do (p->keep: how much of it stays), or garbage: only a
 * commit that never happened.  0, or -1 and e.
 */
static int
plan(const unsigned char *b, size_t size, unsigned nfiles, struct plan *p,
    const char *journal, struct err *e)
{
	struct head h;
	size_t pos, next;
	int r, whole = 0;

	memset(p, 0, sizeof *p);
	p->what = P_NOTHING;
	if (size == 0)
		return 0;
	if (size >= 8 && memcmp(b, MAGIC, 8) == 0) {
		/* A journal of one commit at its start: earlier versions' layout. */
		pos = 0;
	} else {
		head_decode(b, size, &h);
		if (head_settled(&h, size)) {
			p->keep = size;
			return 0;
		}
		/* The same boot: only what comes after the settled commits.
		 * Another boot: every commit, as the files may have lost any
		 * page written since the last checkpoint. */
		pos = JALIGN;
		if (h.end >= JALIGN && h.end % JALIGN == 0 && h.end <= size &&
		    head_settled(&h, h.end))
			pos = (size_t)(p->keep = h.end);
	}
	while ((r = parse_block(b, size, pos, nfiles, &p->recs, &p->n, &p->cap, &next)) == 1) {
		whole++;
		pos = (next + JALIGN - 1) / JALIGN * JALIGN;
	}
	if (r < 0) {
		err_set(e, ERR_TEMP, ENOMEM, "read %s", journal);
		free(p->recs);
		p->recs = NULL;
		return -1;
	}
	if (whole > 0)
		p->what = P_APPLY;
	else if (p->keep == 0)
		p->what = P_GARBAGE;
	return 0;
}

int
pagelog_recover(int jfd, const char *journal, const int *fds, const char *const *names,
    unsigned nfiles, int sync, struct err *e)
{
	unsigned char *buf = NULL;
	struct plan p;
	size_t size;
	int rc = -1;

	if (nfiles > PAGELOG_FILES) {
		err_set(e, ERR_PERM, EINVAL, "recover %s", journal);
		return -1;
	}
	if (slurp(jfd, journal, &buf, &size, e) < 0)
		return -1;
	if (plan(buf, size, nfiles, &p, journal, e) < 0)
		goto out;
	if (p.what == P_APPLY) {
		/* Whatever limit this process runs under, it finds it before a write. */
		if (reserve(p.recs, p.n, fds, names, nfiles, e) == 0 &&
		    apply(p.recs, p.n, fds, names, nfiles, e) == 0 &&
		    checkpoint(jfd, journal, fds, names, nfiles, sync, e) == 0)
			rc = 1;
	} else if (p.keep == size) {
		rc = 0;		/* settled: nothing to do */
	} else {
		/* A commit that never happened is cut off unread. */
		step();
		if (ftruncate(jfd, (off_t)p.keep) < 0)
			err_set(e, ERR_TEMP, errno, "empty %s", journal);
		else
			rc = 0;
	}
	free(p.recs);
out:
	free(buf);
	return rc;
}

int
pagelog_check(int jfd, const char *journal, unsigned nfiles, struct err *e)
{
	unsigned char *buf = NULL;
	struct plan p;
	size_t size;
	int r;

	if (slurp(jfd, journal, &buf, &size, e) < 0)
		return -1;
	r = plan(buf, size, nfiles, &p, journal, e);
	free(p.recs);
	free(buf);
	if (r < 0)
		return -1;
	return p.what == P_APPLY ? 1 : p.what == P_GARBAGE ? 2 : 0;
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
	rc = commit_recs(jfd, journal, recs, nrecs, dst, names, nfiles, sync, 0, e);
out:
	for (f = 0; f < nfiles; f++)
		free(data[f]);
	free(recs);
	return rc;
}

/* The journal was last written in this boot (by its mtime). */
static int
written_this_boot(const struct stat *st)
{
	struct timespec b = boot_began();

	return st->st_mtim.tv_sec > b.tv_sec ||
	    (st->st_mtim.tv_sec == b.tv_sec && st->st_mtim.tv_nsec >= b.tv_nsec);
}

/* The journal jfd, size bytes, holds only commits settled in this boot (its header says so). */
static int
settled(int jfd, off_t size)
{
	unsigned char b[40];
	struct head h;

	if (pread(jfd, b, sizeof b, 0) != (ssize_t)sizeof b)
		return 0;
	head_decode(b, sizeof b, &h);
	return head_settled(&h, (uint64_t)size);
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
		/* A reader learns from its stat alone whether there is work to
		 * do: nothing when it is empty, or holds only commits settled in
		 * this boot (a multiple of JALIGN long, and written since the
		 * boot began; see the top of this file). */
		if (lstat(journal, &st) < 0)
			return errno == ENOENT ? 0 : (err_set(e, ERR_TEMP, errno, "stat %s", journal), -1);
		if (safefile_check(-1, journal, SAFEFILE_ANY_OWNER, &st, e) < 0)
			return -1;
		if (st.st_size == 0 || (st.st_size % JALIGN == 0 && written_this_boot(&st)))
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
		if (st.st_size == 0 || (st.st_size % JALIGN == 0 && settled(jfd, st.st_size)))
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
