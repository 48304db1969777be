/*
 * btread: a look-up in a Berkeley DB btree without libdb; see btread.h.
 *
 * The format, as libdb 5.3 writes it (btree version 9) and as checked
 * against such files (tests/unit/test_btread.c makes them with libdb).
 * Numbers are in the writer's byte order, which the magic tells; offsets
 * in bytes from the start of a page:
 *
 *   meta page 0  8 pgno (0), 12 magic, 16 version, 20 pagesize,
 *                24 encrypt_alg u8, 25 type u8 (9), 26 metaflags u8,
 *                32 last_pgno, 48 flags, 88 root
 *   any page     8 pgno (its own number), 16 next_pgno, 20 entries u16,
 *                22 hf_offset u16, 24 level u8 (leaves 1, each parent
 *                one more), 25 type u8; then, from 26, entries u16
 *                offsets of the page's items
 *   leaf (5)     pairs: item 2i a key, 2i + 1 its data; each a BKEYDATA
 *                (len u16, type u8 1, len bytes) or a BOVERFLOW (2
 *                unused, type u8 3, 1 unused, first page u32, length
 *                u32).  0x80 in the data item's type: deleted by a
 *                cursor, not yet removed.
 *   internal (3) BINTERNAL items: len u16, type u8, 1 unused, child u32,
 *                record count u32, then len key bytes (type 1), or a
 *                BOVERFLOW (type 3, len 12).  Item 0's key sorts before
 *                every key, whatever it holds.
 *   overflow (7) hf_offset bytes of the item from 26 on; the rest on
 *                next_pgno, 0 after the last.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "stores/btread.h"

#define MAGIC		0x053162
#define VERSION		9
#define META_BYTES	512	/* the smallest page: every meta field read is in it */

/* The meta page. */
#define M_PGNO		8
#define M_MAGIC		12
#define M_VERSION	16
#define M_PAGESIZE	20
#define M_ENCRYPT	24
#define M_TYPE		25
#define M_METAFLAGS	26
#define M_LAST		32
#define M_FLAGS		48
#define M_ROOT		88

#define MF_CHKSUM	0x01	/* metaflags */
#define MF_PARTS	0x06

#define F_DUP		0x001	/* flags */
#define F_RECNO		0x002
#define F_RECNUM	0x004	/* record counts kept: the same pages otherwise */
#define F_FIXEDLEN	0x008
#define F_RENUMBER	0x010
#define F_SUBDB		0x020
#define F_DUPSORT	0x040
#define F_COMPRESS	0x080

/* Every other page. */
#define P_PGNO		8
#define P_NEXT		16
#define P_ENTRIES	20
#define P_HFOFF		22
#define P_LEVEL		24
#define P_TYPE		25
#define HDR		26	/* the item offsets start here */

#define T_INTERNAL	3	/* page types */
#define T_LEAF		5
#define T_OVERFLOW	7
#define T_META		9

#define I_KEYDATA	1	/* item types */
#define I_OVERFLOW	3
#define I_DELETED	0x80

#define OVREF		12	/* a BOVERFLOW, and a BINTERNAL's header */

/* An item's bytes: n of them at p on the page, or (p NULL) an overflow item from pgno. */
struct item {
	const unsigned char *p;
	uint32_t pgno;
	size_t n;
};

/* Numbers are put together a byte at a time in the file's order: the host's never matters. */
static uint16_t
get16(const struct btread *t, const unsigned char *p)
{
	return t->bigendian ? (uint16_t)(p[0] << 8 | p[1]) :
	    (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t
get32(const struct btread *t, const unsigned char *p)
{
	if (t->bigendian)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

/* Page pg of t->path is damaged as fmt says: ERR_PERM, -1. */
static int __attribute__((format(printf, 4, 5)))
bad(const struct btread *t, struct err *e, uint32_t pg, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	err_set(e, ERR_PERM, 0, "read %s: page %lu: %s", t->path, (unsigned long)pg, why);
	return -1;
}

/* Whole page pg into buf, checked to be the page it says it is.  0, or -1 and e. */
static int
page_read(struct btread *t, unsigned char *buf, uint32_t pg, struct err *e)
{
	uint64_t at = (uint64_t)pg * t->pagesize;
	off_t off = (off_t)at;
	size_t got;
	ssize_t r;

	if (pg == 0 || pg > t->last_pgno)
		return bad(t, e, pg, "not a page of the tree (the last is %lu)",
		    (unsigned long)t->last_pgno);
	if (off < 0 || (uint64_t)off != at)
		return bad(t, e, pg, "beyond what this system can address");
	for (got = 0; got < t->pagesize; got += (size_t)r) {
		r = pread(t->fd, buf + got, t->pagesize - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			r = 0;
		else if (r < 0) {
			err_set(e, ERR_TEMP, errno, "read %s: page %lu", t->path,
			    (unsigned long)pg);
			return -1;
		} else if (r == 0)
			return bad(t, e, pg, "the file ends %zu bytes into it", got);
	}
	if (get32(t, buf + P_PGNO) != pg)
		return bad(t, e, pg, "it says it is page %lu",
		    (unsigned long)get32(t, buf + P_PGNO));
	return 0;
}

/*
 * Page pg into t->page, a btree page of the given level (0: the root,
 * whose level is what it says).  0 and *got its level, or -1 and e.
 */
static int
tree_page(struct btread *t, uint32_t pg, unsigned level, unsigned *got, struct err *e)
{
	unsigned type, lv, n;

	if (page_read(t, t->page, pg, e) < 0)
		return -1;
	type = t->page[P_TYPE];
	lv = t->page[P_LEVEL];
	n = get16(t, t->page + P_ENTRIES);
	if (level != 0 && lv != level)
		return bad(t, e, pg, "level %u where %u was expected", lv, level);
	if (lv == 0 || type != (lv == 1 ? T_LEAF : T_INTERNAL))
		return bad(t, e, pg, "a page of type %u at level %u is no btree page",
		    type, lv);
	if (HDR + 2 * (size_t)n > t->pagesize)
		return bad(t, e, pg, "%u entries do not fit", n);
	if (type == T_LEAF && n % 2 != 0)
		return bad(t, e, pg, "a leaf with an odd number of entries (%u)", n);
	if (type == T_INTERNAL && n == 0)
		return bad(t, e, pg, "an internal page with no entries");
	*got = lv;
	return 0;
}

/* Where item i of t->page (page pg) starts, with at least need bytes on the page: 0 and *o, or -1 and e. */
static int
item_at(const struct btread *t, uint32_t pg, unsigned i, size_t need, unsigned *o,
    struct err *e)
{
	unsigned n = get16(t, t->page + P_ENTRIES);

	*o = get16(t, t->page + HDR + 2 * (size_t)i);
	if (*o < HDR + 2 * (size_t)n || *o + need > t->pagesize)
		return bad(t, e, pg, "item %u at offset %u is outside the page's items", i, *o);
	return 0;
}

/* A BOVERFLOW at b on page pg into *it.  0, or -1 and e. */
static int
overflow_ref(const struct btread *t, uint32_t pg, const unsigned char *b, struct item *it,
    struct err *e)
{
	it->p = NULL;
	it->pgno = get32(t, b + 4);
	it->n = get32(t, b + 8);
	if (it->n == 0)
		return bad(t, e, pg, "an overflow item of no bytes");
	return 0;
}

/* Item i of the leaf in t->page (page pg): *it, and *deleted its mark. 0, or -1 and e. */
static int
leaf_item(const struct btread *t, uint32_t pg, unsigned i, struct item *it, int *deleted,
    struct err *e)
{
	const unsigned char *b;
	unsigned o, type;

	if (item_at(t, pg, i, 3, &o, e) < 0)
		return -1;
	b = t->page + o;
	type = b[2];
	*deleted = (type & I_DELETED) != 0;
	switch (type & ~I_DELETED) {
	case I_KEYDATA:
		it->p = b + 3;
		it->n = get16(t, b);
		if (o + 3 + it->n > t->pagesize)
			return bad(t, e, pg, "item %u (%zu bytes at %u) overruns the page",
			    i, it->n, o);
		return 0;
	case I_OVERFLOW:
		if (o + OVREF > t->pagesize)
			return bad(t, e, pg, "item %u at offset %u overruns the page", i, o);
		return overflow_ref(t, pg, b, it, e);
	default:
		return bad(t, e, pg, "item %u is of type %u", i, type);
	}
}

/* Item i of the internal page in t->page (page pg): its key (when key is not NULL) and *child. */
static int
internal_item(const struct btread *t, uint32_t pg, unsigned i, struct item *key,
    uint32_t *child, struct err *e)
{
	const unsigned char *b;
	unsigned o, type, len;

	if (item_at(t, pg, i, OVREF, &o, e) < 0)
		return -1;
	b = t->page + o;
	len = get16(t, b);
	type = b[2] & ~I_DELETED;
	*child = get32(t, b + 4);
	if (*child == 0 || *child > t->last_pgno)
		return bad(t, e, pg, "item %u points at page %lu, not in the tree", i,
		    (unsigned long)*child);
	if (type == I_KEYDATA) {
		if (o + OVREF + len > t->pagesize)
			return bad(t, e, pg, "item %u (%u bytes at %u) overruns the page",
			    i, len, o);
		if (key != NULL) {
			key->p = b + OVREF;
			key->n = len;
		}
		return 0;
	}
	if (type != I_OVERFLOW)
		return bad(t, e, pg, "item %u is of type %u", i, b[2]);
	if (len != OVREF || o + 2 * OVREF > t->pagesize)
		return bad(t, e, pg, "item %u: an overflow key of %u bytes at %u", i, len, o);
	return key != NULL ? overflow_ref(t, pg, b + OVREF, key, e) : 0;
}

/* Reading an overflow item a page at a time, into t->ovf. */
struct ovwalk {
	uint32_t pg;		/* the next page */
	size_t left;		/* bytes not yet read */
	uint32_t pages;		/* pages read */
};

/*
 * The next piece of the item: 0 and *p, *n (at least one byte), or -1 and e.
 * The chain must hold exactly the item's length: no page after its end, no
 * end before it, never more pages than the file has.
 */
static int
ov_next(struct btread *t, struct ovwalk *w, const unsigned char **p, size_t *n,
    struct err *e)
{
	uint32_t next;
	unsigned len;

	if (w->pages++ >= t->last_pgno)
		return bad(t, e, w->pg, "an overflow chain of more pages than the file");
	if (page_read(t, t->ovf, w->pg, e) < 0)
		return -1;
	if (t->ovf[P_TYPE] != T_OVERFLOW)
		return bad(t, e, w->pg, "a page of type %u in an overflow chain",
		    t->ovf[P_TYPE]);
	len = get16(t, t->ovf + P_HFOFF);
	next = get32(t, t->ovf + P_NEXT);
	if (len == 0 || len > t->pagesize - HDR || len > w->left)
		return bad(t, e, w->pg, "%u bytes of an overflow item with %zu left",
		    len, w->left);
	w->left -= len;
	if (w->left == 0 && next != 0)
		return bad(t, e, w->pg, "an overflow item goes on past its length");
	if (w->left > 0 && next == 0)
		return bad(t, e, w->pg, "an overflow item ends %zu bytes short", w->left);
	*p = t->ovf + HDR;
	*n = len;
	w->pg = next;
	return 0;
}

/*
 * key (klen bytes) against item it, as libdb's default comparison: bytes
 * first, then a prefix before the longer.  0 and *cmp (<0, 0, >0), or -1 and e.
 */
static int
compare(struct btread *t, const unsigned char *key, size_t klen, const struct item *it,
    int *cmp, struct err *e)
{
	struct ovwalk w = { it->pgno, it->n, 0 };
	const unsigned char *p;
	size_t n, m, off = 0;
	int c;

	if (it->p != NULL) {
		m = klen < it->n ? klen : it->n;
		c = m > 0 ? memcmp(key, it->p, m) : 0;
		*cmp = c != 0 ? c : klen < it->n ? -1 : klen > it->n;
		return 0;
	}
	while (w.left > 0) {
		if (off == klen) {
			*cmp = -1;
			return 0;
		}
		if (ov_next(t, &w, &p, &n, e) < 0)
			return -1;
		m = klen - off < n ? klen - off : n;
		if ((c = memcmp(key + off, p, m)) != 0) {
			*cmp = c;
			return 0;
		}
		off += m;
		if (m < n) {
			*cmp = -1;
			return 0;
		}
	}
	*cmp = off < klen;
	return 0;
}

/* The first cap bytes of item it into val; *vlen its length.  0, or -1 and e. */
static int
copy_item(struct btread *t, const struct item *it, unsigned char *val, size_t cap,
    size_t *vlen, struct err *e)
{
	struct ovwalk w = { it->pgno, it->n, 0 };
	const unsigned char *p;
	size_t n, m, done = 0;

	*vlen = it->n;
	if (it->p != NULL) {
		if ((m = it->n < cap ? it->n : cap) > 0)
			memcpy(val, it->p, m);
		return 0;
	}
	/* All of it when it fits, so that its chain is checked to the end. */
	while (w.left > 0 && done < cap) {
		if (ov_next(t, &w, &p, &n, e) < 0)
			return -1;
		m = cap - done < n ? cap - done : n;
		memcpy(val + done, p, m);
		done += m;
	}
	return 0;
}

/* In the internal page t->page (page pg), the child whose subtree holds key. 0, or -1 and e. */
static int
descend(struct btread *t, uint32_t pg, const unsigned char *key, size_t klen,
    uint32_t *child, struct err *e)
{
	unsigned lo = 1, hi = get16(t, t->page + P_ENTRIES), mid;
	struct item it;
	uint32_t c;
	int cmp;

	/* The last item whose key is <= key; item 0 stands for every smaller key. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (internal_item(t, pg, mid, &it, &c, e) < 0 ||
		    compare(t, key, klen, &it, &cmp, e) < 0)
			return -1;
		if (cmp >= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return internal_item(t, pg, lo - 1, NULL, child, e);
}

int
btread_open(struct btread *t, int fd, const char *path, struct err *e)
{
	unsigned char m[META_BYTES];
	uint32_t magic, version, flags;
	size_t got;
	ssize_t r;
	unsigned mf;

	memset(t, 0, sizeof *t);
	t->fd = fd;
	t->path = path;
	for (got = 0; got < sizeof m; got += (size_t)r) {
		r = pread(fd, m + got, sizeof m - got, (off_t)got);
		if (r < 0 && errno == EINTR)
			r = 0;
		else if (r < 0) {
			err_set(e, ERR_TEMP, errno, "open %s", path);
			return -1;
		} else if (r == 0) {
			err_set(e, ERR_PERM, 0, "open %s: not a Berkeley DB btree "
			    "(%zu bytes)", path, got);
			return -1;
		}
	}
	/* libdb writes in its host's order; the magic tells which. */
	magic = get32(t, m + M_MAGIC);
	if (magic != MAGIC) {
		t->bigendian = 1;
		if (get32(t, m + M_MAGIC) != MAGIC) {
			err_set(e, ERR_PERM, 0, "open %s: not a Berkeley DB btree "
			    "(magic 0x%lx)", path, (unsigned long)magic);
			return -1;
		}
	}
	version = get32(t, m + M_VERSION);
	t->pagesize = get32(t, m + M_PAGESIZE);
	t->last_pgno = get32(t, m + M_LAST);
	t->root = get32(t, m + M_ROOT);
	flags = get32(t, m + M_FLAGS);
	mf = m[M_METAFLAGS];
	if (version != VERSION) {
		err_set(e, ERR_PERM, 0, "open %s: btree version %lu; only %d is read",
		    path, (unsigned long)version, VERSION);
		return -1;
	}
	if (m[M_ENCRYPT] != 0 || mf != 0 || (flags & ~F_RECNUM) != 0) {
		err_set(e, ERR_PERM, 0, "open %s: %s is not supported", path,
		    m[M_ENCRYPT] != 0 ? "an encrypted btree" :
		    (mf & MF_CHKSUM) ? "a btree with checksums" :
		    (mf & MF_PARTS) ? "a partitioned btree" :
		    (flags & (F_DUP | F_DUPSORT)) ? "a btree with duplicates" :
		    (flags & (F_RECNO | F_FIXEDLEN | F_RENUMBER)) ? "a recno database" :
		    (flags & F_SUBDB) ? "a file of several databases" :
		    (flags & F_COMPRESS) ? "a compressed btree" : "a btree with unknown flags");
		return -1;
	}
	if (m[M_TYPE] != T_META || get32(t, m + M_PGNO) != 0 ||
	    t->pagesize < META_BYTES || t->pagesize > 65536 ||
	    (t->pagesize & (t->pagesize - 1)) != 0 ||
	    t->root == 0 || t->root > t->last_pgno) {
		err_set(e, ERR_PERM, 0, "open %s: a damaged btree meta page", path);
		return -1;
	}
	if ((t->page = malloc(2 * (size_t)t->pagesize)) == NULL) {
		err_set(e, ERR_TEMP, errno, "open %s", path);
		return -1;
	}
	t->ovf = t->page + t->pagesize;
	return 0;
}

int
btread_get(struct btread *t, const void *key, size_t klen, void *val, size_t cap,
    size_t *vlen, struct err *e)
{
	uint32_t pg = t->root;
	unsigned level = 0, lv, lo, hi, mid;
	struct item it;
	int cmp, deleted;

	/* Down one level a page: 255 pages at most, never a loop. */
	for (;;) {
		if (tree_page(t, pg, level, &lv, e) < 0)
			return -1;
		if (lv == 1)
			break;
		if (descend(t, pg, key, klen, &pg, e) < 0)
			return -1;
		level = lv - 1;
	}
	lo = 0;
	hi = get16(t, t->page + P_ENTRIES) / 2;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (leaf_item(t, pg, 2 * mid, &it, &deleted, e) < 0 ||
		    compare(t, key, klen, &it, &cmp, e) < 0)
			return -1;
		if (cmp == 0) {
			if (leaf_item(t, pg, 2 * mid + 1, &it, &deleted, e) < 0)
				return -1;
			if (deleted)
				return 0;
			return copy_item(t, &it, val, cap, vlen, e) < 0 ? -1 : 1;
		}
		if (cmp > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* A key's page on the level being read. */
struct pf {
	uint32_t pg;
	size_t k;
};

static int
by_page(const void *a, const void *b)
{
	uint32_t x = ((const struct pf *)a)->pg, y = ((const struct pf *)b)->pg;

	return x < y ? -1 : x > y;
}

/* WILLNEED for the pages of v[0..n) (sorted), a run of consecutive pages a call. */
static void
advise(const struct btread *t, const struct pf *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].pg - v[j - 1].pg <= 1; j++)
			;
		(void)posix_fadvise(t->fd, (off_t)v[i].pg * t->pagesize,
		    (off_t)(v[j - 1].pg - v[i].pg + 1) * t->pagesize, POSIX_FADV_WILLNEED);
	}
}

int
btread_prefetch(struct btread *t, const struct btread_key *keys, size_t n, struct err *e)
{
	unsigned level = 0, lv = 0;
	struct pf *v;
	size_t i, j;
	uint32_t pg;

	if (n == 0)
		return 0;
	if (n > SIZE_MAX / sizeof *v || (v = malloc(n * sizeof *v)) == NULL) {
		err_set(e, ERR_TEMP, ENOMEM, "read %s", t->path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		v[i].pg = t->root;
		v[i].k = i;
	}
	for (;;) {
		qsort(v, n, sizeof *v, by_page);
		advise(t, v, n);
		if (level == 1)
			break;	/* leaves: asked for, not read */
		for (i = 0; i < n; i = j) {
			pg = v[i].pg;
			if (tree_page(t, pg, level, &lv, e) < 0)
				goto fail;
			for (j = i; j < n && v[j].pg == pg; j++)
				if (lv > 1 && descend(t, pg, keys[v[j].k].p, keys[v[j].k].n,
				    &v[j].pg, e) < 0)
					goto fail;
		}
		if (lv == 1)
			break;	/* the root is the only leaf */
		level = lv - 1;
	}
	free(v);
	return 0;
fail:
	free(v);
	return -1;
}

void
btread_close(struct btread *t)
{
	free(t->page);
	t->page = t->ovf = NULL;
}
