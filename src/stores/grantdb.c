/* grantdb: the Berkeley DB grants store; see grantdb.h for the format. */
#include <arpa/inet.h>
#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/addr.h"
#include "stores/bdbfile.h"
#include "stores/btread.h"
#include "stores/dirsync.h"
#include "stores/grantdb.h"
#include "stores/grantlock.h"
#include "stores/grantrec.h"
#include "stores/lock.h"
#include "stores/pagelog.h"
#include "stores/safefile.h"

#define META_MAX GRANTREC_META_MAX
#define FORMAT 2
/* The largest expiry grants.db holds: 18 digits. */
#define GRANTDB_EXPIRES_MAX 999999999999999999LL
/* Small pages: a sweep deletes grants scattered over the whole tree, and
 * each page it touches is journalled and written back whole. */
#define GRANTDB_PAGESIZE 1024

struct grantdb {
	enum grantdb_mode mode;
	struct grantdb_opts o;
	struct grantlock l;	/* grants.db, the turnstile, the paths, the owner */
	int jfd;		/* the journal, writers only, or -1 */
	DB *grants;
	DB *meta;		/* NULL until needed (reads) or absent */
	int meta_tried;
	int dirty;
	int format_read;	/* load_format done */
	int indexed;		/* grants-meta.db is of format 2 */
	struct err *upgrade_err;
	struct grantdb_counts n;	/* as stored, changed by this session */
	int n_dirty;
	time_t mtime;		/* grants.db's mtime when last seen */
	int log_loaded;		/* the change log's state ('S') read */
	int log_dirty;		/* ... and changed by this session */
	int unlogged;		/* changes of this session are not logged */
	struct grantdb_log log;
};

/* A writer finds a file of the store missing: the store was never made whole. */
static void
missing(const char *path, struct err *e)
{
	err_set(e, ERR_TEMP, 0, "%s does not exist: make the store with relaygate init",
	    path);
	e->errnum = ENOENT;
}

static int
open_meta(struct grantdb *db, struct err *e)
{
	struct stat st;
	int fd, rc;

	if (db->meta != NULL || db->meta_tried)
		return 0;
	db->meta_tried = 1;
	fd = safefile_open(db->l.mpath, db->mode == GRANTDB_READ ? O_RDONLY : O_RDWR,
	    db->l.owner, &st, e);
	if (fd < 0 && e->errnum == ENOENT && db->mode == GRANTDB_READ)
		return 0;	/* nothing but grants.db: no details to show */
	if (fd < 0) {
		if (e->errnum == ENOENT)
			missing(db->l.mpath, e);
		return -1;
	}
	rc = bdbfile_open(&db->meta, db->l.mpath, db->mode == GRANTDB_READ,
	    db->o.cache_bytes, &st, e);
	close(fd);
	return rc;
}

static int load_format(struct grantdb *, struct err *);
static int upgrade(struct grantdb *, struct err *);

struct grantdb *
grantdb_open(const char *dir, enum grantdb_mode mode,
    const struct grantdb_opts *o, struct err *e)
{
	struct grantdb *db;
	struct stat st;
	const char *paths[2];
	u_int32_t gps, mps;
	int fd, ret;

	if ((db = calloc(1, sizeof *db)) == NULL) {
		err_set(e, ERR_TEMP, errno, "open store in %s", dir);
		return NULL;
	}
	db->mode = mode;
	db->o = *o;
	db->l.lockfd = db->l.gatefd = -1;
	db->jfd = -1;
	if (bdbfile_pagelog() < 0) {
		err_set(e, ERR_TEMP, errno, "set up Berkeley DB I/O for %s", dir);
		goto fail;
	}
	if (grantlock_open(&db->l, dir, mode == GRANTDB_WRITE, db->o.lock_timeout_ms, e) < 0) {
		if (mode == GRANTDB_WRITE && e->errnum == ENOENT && db->l.owner != (uid_t)-1)
			missing(db->l.gpath, e);
		goto fail;
	}
	if (mode == GRANTDB_WRITE &&
	    (db->jfd = safefile_open(db->l.jpath, O_RDWR, db->l.owner, NULL, e)) < 0) {
		if (e->errnum == ENOENT)
			missing(db->l.jpath, e);
		goto fail;
	}
	paths[0] = db->l.gpath;
	paths[1] = db->l.mpath;
	if (pagelog_finish(db->l.lockfd, db->l.gpath, db->jfd, db->l.jpath, db->l.owner,
	    db->o.lock_timeout_ms, paths, 2, db->o.sync, e) < 0)
		goto fail;
	if (bdbfile_open(&db->grants, db->l.gpath, mode == GRANTDB_READ,
	    db->o.cache_bytes, &db->l.gst, e) < 0)
		goto fail;
	if (mode == GRANTDB_READ)
		return db;

	if (open_meta(db, e) < 0)
		goto fail;
	if (fstat(db->l.lockfd, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", db->l.gpath);
		goto fail;
	}
	db->mtime = st.st_mtime;
	pagelog_begin();
	db->grants->get_pagesize(db->grants, &gps);
	db->meta->get_pagesize(db->meta, &mps);
	if ((ret = db->grants->fd(db->grants, &fd)) != 0 ||
	    pagelog_watch(fd, 0, gps, db->l.gpath) < 0) {
		bdbfile_err(e, ret ? ret : errno, "watch", db->l.gpath);
		goto fail;
	}
	if ((ret = db->meta->fd(db->meta, &fd)) != 0 ||
	    pagelog_watch(fd, 1, mps, db->l.mpath) < 0) {
		bdbfile_err(e, ret ? ret : errno, "watch", db->l.mpath);
		goto fail;
	}
	if (load_format(db, e) < 0 || (!db->indexed && upgrade(db, e) < 0))
		goto fail;
	return db;
fail:
	grantdb_close(db);
	return NULL;
}

void
grantdb_close(struct grantdb *db)
{
	if (db == NULL)
		return;
	/* DB_NOSYNC: committed pages are on disk already, and uncommitted
	 * ones must never get there. */
	if (db->grants != NULL)
		db->grants->close(db->grants, DB_NOSYNC);
	if (db->meta != NULL)
		db->meta->close(db->meta, DB_NOSYNC);
	if (db->mode == GRANTDB_WRITE)
		pagelog_end();
	grantlock_close(&db->l);
	if (db->jfd >= 0)
		close(db->jfd);
	free(db);
}

static unsigned char
ix_prefix(enum grantdb_index ix)
{
	return ix == GRANTDB_BY_ADDR ? 'a' : ix == GRANTDB_BY_EXPIRY ? 'e' : 'u';
}

size_t
grantdb_key(enum grantdb_index ix, const struct grant *g, unsigned char *k)
{
	unsigned char a[GRANTREC_ABIN_MAX];
	size_t an = 0, n = 0, un;

	if (g->addr[0] != '\0' && (an = grantrec_addr_bin(g->addr, a)) == 0)
		return 0;
	k[n++] = ix_prefix(ix);
	if (ix == GRANTDB_BY_EXPIRY) {
		k[n++] = g->pinned ? 1 : 0;
		if (!g->pinned) {
			grantrec_be64_put(k + n, (uint64_t)g->expires);
			n += 8;
		}
	} else if (ix == GRANTDB_BY_USER) {
		un = strnlen(g->user, GRANT_USER_MAX - 1);
		memcpy(k + n, g->user, un);
		n += un;
		k[n++] = '\0';
	}
	memcpy(k + n, a, an);
	return n + an;
}

int
grantdb_key_parse(enum grantdb_index ix, const unsigned char *k, size_t n,
    struct grant *g)
{
	const unsigned char *nul;
	size_t off;

	memset(g, 0, sizeof *g);
	if (n < 1 || k[0] != ix_prefix(ix))
		return -1;
	off = 1;
	if (ix == GRANTDB_BY_EXPIRY) {
		if (n < 2 || k[1] > 1 || (k[1] == 0 && n < 10))
			return -1;
		g->pinned = k[1];
		if (!g->pinned)
			g->expires = (int64_t)grantrec_be64_get(k + 2);
		off = g->pinned ? 2 : 10;
	} else if (ix == GRANTDB_BY_USER) {
		if ((nul = memchr(k + 1, '\0', n - 1)) == NULL ||
		    (size_t)(nul - k - 1) >= GRANT_USER_MAX)
			return -1;
		memcpy(g->user, k + 1, (size_t)(nul - k - 1));
		off = (size_t)(nul - k) + 1;
	}
	return grantrec_addr_unbin(k + off, n - off, g->addr);
}


/*
 * The value under key, copied into buf (cap bytes): 1 and *n, 0 absent,
 * -1 and e; a value too big for buf is a damaged record of addr.
 */
static int
get_into(DB *d, const void *key, size_t klen, void *buf, size_t cap, size_t *n,
    const char *path, const char *addr, struct err *e)
{
	DBT k, v;
	int ret;

	bdbfile_dbt_in(&k, key, klen);
	bdbfile_dbt_out(&v, buf, cap);
	ret = d->get(d, NULL, &k, &v, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret == DB_BUFFER_SMALL)
		return grantrec_damaged(e, path, addr);
	if (ret != 0) {
		bdbfile_err(e, ret, "read", path);
		return -1;
	}
	*n = v.size;
	return 1;
}

static int
del_key(DB *d, const void *key, size_t n, const char *path, struct err *e)
{
	DBT k;
	int ret;

	bdbfile_dbt_in(&k, key, n);
	ret = d->del(d, NULL, &k, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0) {
		bdbfile_err(e, ret, "delete from", path);
		return -1;
	}
	return 1;
}

static int
put_key(DB *d, const void *key, size_t kn, const void *val, size_t vn,
    const char *path, struct err *e)
{
	DBT k, v;
	int ret;

	bdbfile_dbt_in(&k, key, kn);
	bdbfile_dbt_in(&v, val, vn);
	if ((ret = d->put(d, NULL, &k, &v, 0)) != 0) {
		bdbfile_err(e, ret, "write", path);
		return -1;
	}
	return 0;
}

/* --- format and counts --- */

static void
counts_encode(const struct grantdb_counts *n, unsigned char b[16])
{
	grantrec_be64_put(b, (uint64_t)n->total);
	grantrec_be64_put(b + 8, (uint64_t)n->pinned);
}

/* Is grants.db empty?  1, 0, or -1 and e. */
static int
grants_empty(struct grantdb *db, struct err *e)
{
	DBC *c;
	DBT k, d;
	int ret;

	if ((ret = db->grants->cursor(db->grants, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->l.gpath);
		return -1;
	}
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.flags = d.flags = DB_DBT_PARTIAL;	/* only whether there is one */
	ret = c->get(c, &k, &d, DB_FIRST);
	c->close(c);
	if (ret == DB_NOTFOUND)
		return 1;
	if (ret != 0) {
		bdbfile_err(e, ret, "read", db->l.gpath);
		return -1;
	}
	return 0;
}

/*
 * Read the format and the counts of grants-meta.db once.  A store without
 * details yet is of format 2 when grants.db is empty too; otherwise it is
 * of format 1 (db->indexed stays 0).  0, or -1 and e.
 */
static int
load_format(struct grantdb *db, struct err *e)
{
	unsigned char v[16];
	size_t n;
	int r;

	if (db->format_read)
		return 0;
	if (open_meta(db, e) < 0)
		return -1;
	db->format_read = 1;
	memset(&db->n, 0, sizeof db->n);
	r = db->meta == NULL ? 0 :
	    get_into(db->meta, "V", 1, v, sizeof v, &n, db->l.mpath, "the format", e);
	if (r < 0)
		return -1;
	if (r == 0) {
		if ((r = grants_empty(db, e)) < 0)
			return -1;
		db->indexed = r == 1 && db->mode == GRANTDB_READ;
		return 0;
	}
	if (n != 1 || v[0] != FORMAT) {
		err_set(e, ERR_PERM, 0, "%s: unknown format %u", db->l.mpath, n ? v[0] : 0);
		return -1;
	}
	r = get_into(db->meta, "C", 1, v, sizeof v, &n, db->l.mpath, "the counts", e);
	if (r < 0)
		return -1;
	if (r == 0 || n != 16)
		return grantrec_damaged(e, db->l.mpath, "the counts");
	db->n.total = (long)grantrec_be64_get(v);
	db->n.pinned = (long)grantrec_be64_get(v + 8);
	db->indexed = 1;
	return 0;
}

/* For reads: the store must be of format 2 (or empty). */
static int
must_index(struct grantdb *db, struct err *e)
{
	if (load_format(db, e) < 0)
		return -1;
	if (db->indexed)
		return 0;
	err_set(e, ERR_TEMP, 0, "%s: format 1, without the orders to page through; "
	    "the next change (relaygate expire) upgrades it", db->l.mpath);
	return -1;
}

int
grantdb_counts(struct grantdb *db, struct grantdb_counts *n, struct err *e)
{
	if (must_index(db, e) < 0)
		return -1;
	*n = db->n;
	return 0;
}

/* --- reading --- */

int
grantdb_lookup(struct grantdb *db, const char *addr, int64_t *expires,
    int *pinned, struct err *e)
{
	char v[GRANTREC_VALUE_MAX];
	size_t n;
	int r;

	if (strlen(addr) >= ADDR_TEXT_MAX)
		return 0;
	r = get_into(db->grants, addr, strlen(addr) + 1, v, sizeof v, &n,
	    db->l.gpath, addr, e);
	if (r == 1 && grantrec_value_decode(v, n, expires, pinned) < 0)
		return grantrec_damaged(e, db->l.gpath, addr);
	return r;
}

/* The details record of addr: 1 and *g, 0 none, -1 and e. */
static int
rec_get(struct grantdb *db, const char *addr, struct grant *g, struct err *e)
{
	unsigned char kb[1 + GRANTREC_ABIN_MAX], v[META_MAX];
	size_t n, an;
	int r;

	if (open_meta(db, e) < 0)
		return -1;
	if (db->meta == NULL || (an = grantrec_addr_bin(addr, kb + 1)) == 0)
		return 0;
	kb[0] = 'a';
	r = get_into(db->meta, kb, an + 1, v, sizeof v, &n, db->l.mpath, addr, e);
	if (r == 1 && grantrec_meta_decode(v, n, g) < 0)
		return grantrec_damaged(e, db->l.mpath, addr);
	if (r == 1)
		snprintf(g->addr, sizeof g->addr, "%s", addr);
	return r;
}

/* A grant from grants.db's word on relaying and the details record. */
static int
assemble(struct grantdb *db, const char *addr, int64_t expires, int pinned,
    struct grant *g, struct err *e)
{
	struct grant m;
	int r;

	memset(g, 0, sizeof *g);
	snprintf(g->addr, sizeof g->addr, "%s", addr);
	g->pinned = pinned;
	g->expires = pinned ? 0 : expires;
	if ((r = rec_get(db, addr, &m, e)) < 0)
		return -1;
	if (r == 1 && m.pinned == pinned && (pinned || m.expires == expires)) {
		g->granted = m.granted;
		memcpy(g->user, m.user, sizeof g->user);
		memcpy(g->proto, m.proto, sizeof g->proto);
		g->has_relayclient = m.has_relayclient;
		memcpy(g->relayclient, m.relayclient, sizeof g->relayclient);
		memcpy(g->note, m.note, sizeof g->note);
		memcpy(g->host, m.host, sizeof g->host);
	}
	return 0;
}

int
grantdb_get(struct grantdb *db, const char *addr, struct grant *g, struct err *e)
{
	int64_t expires;
	int pinned, r;

	if ((r = grantdb_lookup(db, addr, &expires, &pinned, e)) <= 0)
		return r;
	return assemble(db, addr, expires, pinned, g, e) < 0 ? -1 : 1;
}

int
grantdb_each(struct grantdb *db, int (*fn)(const struct grant *, void *),
    void *arg, struct err *e)
{
	char kb[ADDR_TEXT_MAX + 1], v[GRANTREC_VALUE_MAX];
	struct grant g;
	int ret, rc = 0;
	DBC *c;
	DBT k, d;

	if ((ret = db->grants->cursor(db->grants, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->l.gpath);
		return -1;
	}
	for (;;) {
		bdbfile_dbt_out(&k, kb, sizeof kb - 1);
		bdbfile_dbt_out(&d, v, sizeof v);
		ret = c->get(c, &k, &d, DB_NEXT);
		if (ret == DB_NOTFOUND)
			break;
		if (ret == DB_BUFFER_SMALL) {
			rc = grantrec_damaged(e, db->l.gpath, "a key or value");
			break;
		}
		if (ret != 0) {
			bdbfile_err(e, ret, "read", db->l.gpath);
			rc = -1;
			break;
		}
		kb[k.size] = '\0';	/* with or without its own NUL */
		memset(&g, 0, sizeof g);
		if (strlen(kb) == 0 || strlen(kb) >= sizeof g.addr ||
		    grantrec_value_decode(v, d.size, &g.expires, &g.pinned) < 0) {
			rc = grantrec_damaged(e, db->l.gpath, "a key or value");
			break;
		}
		memcpy(g.addr, kb, strlen(kb) + 1);
		if (g.pinned)
			g.expires = 0;
		if ((rc = fn(&g, arg)) != 0)
			break;
	}
	c->close(c);
	return rc;
}

/* Do the details g say what index key k (parsed into kg) says? */
static int
entry_current(enum grantdb_index ix, const struct grant *kg, const struct grant *g)
{
	if (ix == GRANTDB_BY_EXPIRY)
		return g->pinned == kg->pinned && (g->pinned || g->expires == kg->expires);
	if (ix == GRANTDB_BY_USER)
		return strcmp(g->user, kg->user) == 0;
	return 1;
}

/*
 * "W": the latest moment a sweep swept up to (its now), 0 when none did:
 * 0 and *w, or -1 and e.  A sweep may run with a clock ahead of a reader's
 * (relaygate expire under faketime, say), so what it left over may not yet
 * look expired to the reader: "W" says how far to look.
 */
static int
swept_to(struct grantdb *db, int64_t *w, struct err *e)
{
	unsigned char b[8];
	size_t n;
	int r;

	*w = 0;
	if (db->meta == NULL)
		return 0;
	if ((r = get_into(db->meta, "W", 1, b, sizeof b, &n, db->l.mpath, "the sweep mark", e)) < 0)
		return -1;
	if (r == 1 && n != 8)
		return grantrec_damaged(e, db->l.mpath, "the sweep mark");
	if (r == 1)
		*w = (int64_t)grantrec_be64_get(b);
	return 0;
}

/*
 * Is g (from its details) a grant a sweep has removed, whose details and
 * user entry wait for grantdb_tidy?  Only a timed grant that expired by
 * upto (the later of now and "W") can be: grants.db says.  1 yes, 0 no,
 * -1 and e.
 */
static int
swept(struct grantdb *db, const struct grant *g, int64_t upto, struct err *e)
{
	int64_t expires;
	int pinned, r;

	if (g->pinned || g->expires > upto)
		return 0;
	if ((r = grantdb_lookup(db, g->addr, &expires, &pinned, e)) < 0)
		return -1;
	return !(r == 1 && !pinned && expires == g->expires);
}

int
grantdb_scan(struct grantdb *db, enum grantdb_index ix, const unsigned char *start,
    size_t slen, int backward, int details, int64_t now,
    int (*fn)(const unsigned char *, size_t, const struct grant *, void *),
    void *arg, struct err *e)
{
	unsigned char kb[GRANTDB_KEY_MAX + 1], v[META_MAX];
	struct grant kg, g;
	int64_t w;
	u_int32_t flag;
	int ret, r, rc = 0, with_value = details && ix == GRANTDB_BY_ADDR;
	DBC *c;
	DBT k, d;

	if (must_index(db, e) < 0)
		return -1;
	if (db->meta == NULL)
		return 0;
	if (slen > GRANTDB_KEY_MAX) {
		err_set(e, ERR_PERM, 0, "read %s: position too long", db->l.mpath);
		return -1;
	}
	if (details && ix != GRANTDB_BY_EXPIRY) {
		if (swept_to(db, &w, e) < 0)
			return -1;
		if (w > now)
			now = w;
	}
	if (slen == 0) {
		kb[0] = (unsigned char)(ix_prefix(ix) + (backward ? 1 : 0));
		slen = 1;
	} else {
		memcpy(kb, start, slen);
	}
	if ((ret = db->meta->cursor(db->meta, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->l.mpath);
		return -1;
	}
	flag = DB_SET_RANGE;
	for (;;) {
		bdbfile_dbt_out(&k, kb, sizeof kb - 1);
		if (flag == DB_SET_RANGE)
			k.size = (u_int32_t)slen;
		if (with_value) {
			bdbfile_dbt_out(&d, v, sizeof v);
		} else {
			memset(&d, 0, sizeof d);
			d.flags = DB_DBT_PARTIAL;	/* keys only */
		}
		ret = c->get(c, &k, &d, flag);
		if (flag == DB_SET_RANGE && backward) {
			/* The last key before start: one back, or the very last. */
			flag = ret == DB_NOTFOUND ? DB_LAST : DB_PREV;
			if (ret == 0 || ret == DB_NOTFOUND)
				continue;
		}
		flag = backward ? DB_PREV : DB_NEXT;
		if (ret == DB_NOTFOUND)
			break;
		if (ret != 0) {
			if (ret == DB_BUFFER_SMALL)
				rc = grantrec_damaged(e, db->l.mpath, "an index entry");
			else
				bdbfile_err(e, ret, "read", db->l.mpath);
			rc = -1;
			break;
		}
		if (kb[0] != ix_prefix(ix))
			break;
		if (grantdb_key_parse(ix, kb, k.size, &kg) < 0) {
			rc = grantrec_damaged(e, db->l.mpath, "an index entry");
			break;
		}
		if (details) {
			if (with_value) {
				if (grantrec_meta_decode(v, d.size, &g) < 0) {
					rc = grantrec_damaged(e, db->l.mpath, kg.addr);
					break;
				}
				memcpy(g.addr, kg.addr, sizeof g.addr);
			} else if ((r = rec_get(db, kg.addr, &g, e)) < 0) {
				rc = -1;
				break;
			} else if (r == 0 || !entry_current(ix, &kg, &g)) {
				continue;	/* a stale entry: not this grant any more */
			}
			if (ix != GRANTDB_BY_EXPIRY && (r = swept(db, &g, now, e)) != 0) {
				if (r < 0) {
					rc = -1;
					break;
				}
				continue;	/* left over by a sweep, for grantdb_tidy */
			}
		}
		if ((rc = fn(kb, k.size, details ? &g : NULL, arg)) != 0)
			break;
	}
	c->close(c);
	return rc;
}

/* --- writing --- */

static int log_write(struct grantdb *, int, const struct grant *, struct err *);

static int
must_write(struct grantdb *db, struct err *e)
{
	if (db->mode == GRANTDB_WRITE)
		return 0;
	err_set(e, ERR_PERM, EBADF, "write %s", db->l.gpath);
	return -1;
}

/* Write (del 0) or delete (del 1) g's entries in the expiry and user orders. */
static int
index_entries(struct grantdb *db, const struct grant *g, int del, struct err *e)
{
	static const enum grantdb_index ix[2] = { GRANTDB_BY_EXPIRY, GRANTDB_BY_USER };
	unsigned char k[GRANTDB_KEY_MAX];
	size_t n;
	int i;

	for (i = 0; i < 2; i++) {
		if ((n = grantdb_key(ix[i], g, k)) == 0)
			return grantrec_damaged(e, db->l.mpath, g->addr);
		if (del ? del_key(db->meta, k, n, db->l.mpath, e) < 0 :
		    put_key(db->meta, k, n, "", 0, db->l.mpath, e) < 0)
			return -1;
	}
	return 0;
}

/* Write g's details record and order entries (not grants.db). */
static int
details_put(struct grantdb *db, const struct grant *g, struct err *e)
{
	unsigned char kb[1 + GRANTREC_ABIN_MAX], mv[META_MAX];
	size_t an, mlen;

	if ((an = grantrec_addr_bin(g->addr, kb + 1)) == 0 || grantrec_meta_encode(g, mv, &mlen) < 0) {
		err_set(e, ERR_PERM, 0, "write %s: grant for %s out of bounds",
		    db->l.gpath, g->addr);
		return -1;
	}
	kb[0] = 'a';
	if (put_key(db->meta, kb, an + 1, mv, mlen, db->l.mpath, e) < 0)
		return -1;
	return index_entries(db, g, 0, e);
}

/* Remove old's details record and order entries (not grants.db). */
static int
details_del(struct grantdb *db, const struct grant *old, struct err *e)
{
	unsigned char kb[1 + GRANTREC_ABIN_MAX];
	size_t an;

	if ((an = grantrec_addr_bin(old->addr, kb + 1)) == 0)
		return 0;
	kb[0] = 'a';
	if (del_key(db->meta, kb, an + 1, db->l.mpath, e) < 0)
		return -1;
	return index_entries(db, old, 1, e);
}

/*
 * Before addr is granted anew: the user entry a sweep left over for its
 * old grant (grantdb_tidy), which the new details would hide from the
 * tidy.  0, or -1 and e.
 */
static int
leftover_del(struct grantdb *db, const char *addr, struct err *e)
{
	unsigned char k[GRANTDB_KEY_MAX];
	struct grant m;
	size_t n;
	int r;

	if ((r = rec_get(db, addr, &m, e)) <= 0 || m.pinned)
		return r;
	if ((n = grantdb_key(GRANTDB_BY_USER, &m, k)) == 0)
		return grantrec_damaged(e, db->l.mpath, addr);
	return del_key(db->meta, k, n, db->l.mpath, e) < 0 ? -1 : 0;
}

static void
count(struct grantdb *db, long total, long pinned)
{
	db->n.total += total;
	db->n.pinned += pinned;
	db->n_dirty = 1;
}

int
grantdb_put(struct grantdb *db, const struct grant *g, struct err *e)
{
	unsigned char mv[META_MAX];
	struct grant old;
	char v[GRANTREC_VALUE_MAX];
	size_t mlen;
	int vn, r;

	if (must_write(db, e) < 0)
		return -1;
	if (strlen(g->addr) == 0 || strlen(g->addr) >= ADDR_TEXT_MAX ||
	    (!g->pinned && (g->expires <= 0 || g->expires > GRANTDB_EXPIRES_MAX)) ||
	    grantrec_meta_encode(g, mv, &mlen) < 0) {
		err_set(e, ERR_PERM, 0, "write %s: grant for %s out of bounds",
		    db->l.gpath, g->addr);
		return -1;
	}
	vn = snprintf(v, sizeof v, "%" PRId64, g->pinned ? (int64_t)0 : g->expires);
	if ((r = grantdb_get(db, g->addr, &old, e)) < 0 ||
	    (r == 1 && details_del(db, &old, e) < 0) ||
	    (r == 0 && leftover_del(db, g->addr, e) < 0) ||
	    put_key(db->grants, g->addr, strlen(g->addr) + 1, v, (size_t)vn + 1,
		db->l.gpath, e) < 0 ||
	    details_put(db, g, e) < 0 || log_write(db, 0, g, e) < 0)
		return -1;
	if (r == 0)
		count(db, 1, g->pinned ? 1 : 0);
	else if (old.pinned != g->pinned)
		count(db, 0, g->pinned ? 1 : -1);
	db->dirty = 1;
	return 0;
}

/* Remove addr, logging the removal when logged (not for a sweep). */
static int
del_grant(struct grantdb *db, const char *addr, int logged, struct err *e)
{
	struct grant old;
	int r;

	if (must_write(db, e) < 0)
		return -1;
	if (strlen(addr) >= ADDR_TEXT_MAX)
		return 0;
	if ((r = grantdb_get(db, addr, &old, e)) <= 0)
		return r;
	if (details_del(db, &old, e) < 0 ||
	    del_key(db->grants, addr, strlen(addr) + 1, db->l.gpath, e) < 0 ||
	    (logged && log_write(db, 1, &old, e) < 0))
		return -1;
	count(db, -1, old.pinned ? -1 : 0);
	db->dirty = 1;
	return 1;
}

int
grantdb_del(struct grantdb *db, const char *addr, struct err *e)
{
	return del_grant(db, addr, 1, e);
}

/* Up to max entries of the expiry order due at now. */
struct due {
	int64_t expires;
	char addr[ADDR_TEXT_MAX];
	unsigned char key[GRANTDB_KEY_MAX];
	size_t klen;
};

struct due_ctx {
	int64_t now;
	struct due *out;
	size_t max, n;
};

static int
collect_one(const unsigned char *k, size_t n, const struct grant *g, void *arg)
{
	struct due_ctx *x = arg;
	struct grant kg;

	(void)g;
	if (grantdb_key_parse(GRANTDB_BY_EXPIRY, k, n, &kg) < 0 || kg.pinned || kg.expires > x->now)
		return 1;
	x->out[x->n].expires = kg.expires;
	memcpy(x->out[x->n].addr, kg.addr, sizeof kg.addr);
	memcpy(x->out[x->n].key, k, n);
	x->out[x->n].klen = n;
	return ++x->n == x->max;
}

static int
collect_due(struct grantdb *db, int64_t now, struct due *out, size_t max,
    size_t *n, struct err *e)
{
	struct due_ctx x = { now, out, max, 0 };

	*n = 0;
	if (grantdb_scan(db, GRANTDB_BY_EXPIRY, NULL, 0, 0, 0, 0, collect_one, &x, e) < 0)
		return -1;
	*n = x.n;
	return 0;
}

int
grantdb_next_expiry(struct grantdb *db, int64_t *when, struct err *e)
{
	struct due *first;
	size_t n;
	int rc;

	if ((first = malloc(sizeof *first)) == NULL) {
		err_set(e, ERR_TEMP, errno, "read %s", db->l.mpath);
		return -1;
	}
	rc = collect_due(db, INT64_MAX, first, 1, &n, e);
	if (rc == 0 && n == 1) {
		*when = first->expires;
		rc = 1;
	}
	free(first);
	return rc;
}

int
grantdb_expire(struct grantdb *db, int64_t now, long *removed, struct err *e)
{
	return grantdb_expire_each(db, now, removed, NULL, NULL, e);
}

/* --- the tidy queue: what a sweep leaves to grantdb_tidy --- */

#define TIDY_KEY_MAX (1 + 8 + GRANTREC_ABIN_MAX)

/* A swept grant's queue entry, 'x' EXPIRY A, into k: its length, or 0. */
static size_t
tidy_key(int64_t expires, const char *addr, unsigned char *k)
{
	size_t an;

	k[0] = 'x';
	grantrec_be64_put(k + 1, (uint64_t)expires);
	if ((an = grantrec_addr_bin(addr, k + 9)) == 0)
		return 0;
	return 9 + an;
}

static int
tidy_key_parse(const unsigned char *k, size_t n, int64_t *expires, char *addr)
{
	if (n < 9 || k[0] != 'x')
		return -1;
	*expires = (int64_t)grantrec_be64_get(k + 1);
	return grantrec_addr_unbin(k + 9, n - 9, addr);
}

static int
tidy_queue(struct grantdb *db, const struct due *d, struct err *e)
{
	unsigned char k[TIDY_KEY_MAX];
	size_t n;

	if ((n = tidy_key(d->expires, d->addr, k)) == 0)
		return grantrec_damaged(e, db->l.mpath, d->addr);
	return put_key(db->meta, k, n, "", 0, db->l.mpath, e);
}

/*
 * Bring the pages that looking keys[0, n) up in fd (path) reads into the
 * page cache, many reads at once (btread_prefetch), so that libdb then finds
 * them there: cold, a sweep would otherwise wait for each page in turn.
 * Only a hint: failures are ignored.
 */
static void
prefetch(int fd, const char *path, const struct btread_key *keys, size_t n)
{
	struct btread t;
	struct err e;

	if (n < 64 || btread_open(&t, fd, path, &e) < 0)
		return;
	(void)btread_prefetch(&t, keys, n, &e);
	btread_close(&t);
}

/* Move "W" (swept_to) on to now, never back. 0, or -1 and e. */
static int
mark_swept(struct grantdb *db, int64_t now, struct err *e)
{
	unsigned char b[8];
	int64_t w;

	if (swept_to(db, &w, e) < 0)
		return -1;
	if (w >= now)
		return 0;
	grantrec_be64_put(b, (uint64_t)now);
	return put_key(db->meta, "W", 1, b, sizeof b, db->l.mpath, e);
}

/* prefetch for grants.db's records of due[0, n). */
static void
prefetch_grants(struct grantdb *db, const struct due *due, size_t n)
{
	struct btread_key *k;
	size_t i;

	if ((k = malloc((n ? n : 1) * sizeof *k)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		k[i].p = due[i].addr;
		k[i].n = strlen(due[i].addr) + 1;
	}
	prefetch(db->l.lockfd, db->l.gpath, k, n);
	free(k);
}

/*
 * grants.db's record for d, through the cursor c: removed when it is d's
 * grant, one descent for the look-up and the removal.  1 removed, 0 left
 * (no record, a pin, another grant since), -1 and e.
 */
static int
sweep_grant(struct grantdb *db, DBC *c, const struct due *d, struct err *e)
{
	char v[GRANTREC_VALUE_MAX];
	int64_t expires;
	int pinned, ret;
	DBT k, dv;

	bdbfile_dbt_in(&k, d->addr, strlen(d->addr) + 1);
	bdbfile_dbt_out(&dv, v, sizeof v);
	if ((ret = c->get(c, &k, &dv, DB_SET)) == DB_NOTFOUND)
		return 0;
	if (ret == DB_BUFFER_SMALL)
		return grantrec_damaged(e, db->l.gpath, d->addr);
	if (ret != 0) {
		bdbfile_err(e, ret, "read", db->l.gpath);
		return -1;
	}
	if (grantrec_value_decode(v, dv.size, &expires, &pinned) < 0)
		return grantrec_damaged(e, db->l.gpath, d->addr);
	if (pinned || expires != d->expires)
		return 0;
	if ((ret = c->del(c, 0)) != 0) {
		bdbfile_err(e, ret, "delete from", db->l.gpath);
		return -1;
	}
	return 1;
}

/*
 * The expiry order's entries due[0, n), which are adjacent and in order:
 * removed walking a cursor along them, not looking each up.  0, or -1 and e.
 */
static int
sweep_order(struct grantdb *db, const struct due *due, size_t n, struct err *e)
{
	unsigned char kb[GRANTDB_KEY_MAX + 1];
	int at = 0, ret = 0;
	size_t i;
	DBC *c;
	DBT k, d;

	if (n == 0)
		return 0;
	if ((ret = db->meta->cursor(db->meta, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->l.mpath);
		return -1;
	}
	for (i = 0; i < n && ret == 0; i++) {
		memset(&d, 0, sizeof d);
		d.flags = DB_DBT_PARTIAL;	/* keys only */
		if (!at) {
			bdbfile_dbt_in(&k, due[i].key, due[i].klen);
			if ((ret = c->get(c, &k, &d, DB_SET)) == DB_NOTFOUND) {
				ret = 0;
				continue;
			}
		}
		if (ret == 0)
			ret = c->del(c, 0);
		if (ret == 0 && i + 1 < n) {
			/* The next entry is the next due one, unless the order changed. */
			bdbfile_dbt_out(&k, kb, sizeof kb);
			ret = c->get(c, &k, &d, DB_NEXT);
			at = ret == 0 && k.size == due[i + 1].klen &&
			    memcmp(kb, due[i + 1].key, k.size) == 0;
			if (ret == DB_NOTFOUND || ret == DB_BUFFER_SMALL)
				ret = 0;
		}
	}
	c->close(c);
	if (ret != 0) {
		bdbfile_err(e, ret, "delete from", db->l.mpath);
		return -1;
	}
	return 0;
}

int
grantdb_expire_each(struct grantdb *db, int64_t now, long *removed,
    void (*fn)(const char *, void *), void *arg, struct err *e)
{
	enum { BATCH = 4096 };
	unsigned char *gone = NULL;
	struct due *due;
	size_t n, i;
	int r, ret, rc = 0;
	DBC *c;

	*removed = 0;
	if (must_write(db, e) < 0)
		return -1;
	if ((due = malloc(BATCH * sizeof *due)) == NULL || (gone = malloc(BATCH)) == NULL) {
		err_set(e, ERR_TEMP, errno, "expire %s", db->l.gpath);
		free(due);
		return -1;
	}
	do {
		if ((rc = collect_due(db, now, due, BATCH, &n, e)) < 0)
			break;
		prefetch_grants(db, due, n);
		/* grants.db decides: only the grant an entry is for goes. */
		if ((ret = db->grants->cursor(db->grants, NULL, &c, 0)) != 0) {
			bdbfile_err(e, ret, "read", db->l.gpath);
			rc = -1;
			break;
		}
		for (i = 0; i < n && rc == 0; i++)
			if ((r = sweep_grant(db, c, &due[i], e)) < 0)
				rc = -1;
			else
				gone[i] = (unsigned char)r;
		c->close(c);
		if (rc < 0 || (rc = sweep_order(db, due, n, e)) < 0)
			break;
		/* Its details and user entry stay for grantdb_tidy, queued.
		 * Not logged: every host honours expiry by itself. */
		for (i = 0; i < n && rc == 0; i++) {
			if (!gone[i])
				continue;
			if ((rc = tidy_queue(db, &due[i], e)) < 0)
				break;
			count(db, -1, 0);
			(*removed)++;
			if (fn != NULL)
				fn(due[i].addr, arg);
		}
		db->dirty = 1;
	} while (rc == 0 && n == BATCH);
	free(gone);
	free(due);
	if (rc == 0 && *removed > 0)
		rc = mark_swept(db, now, e);
	return rc;
}

/* One queue entry of grantdb_tidy, and what it found. */
struct tidy {
	unsigned char key[TIDY_KEY_MAX];
	size_t klen;
	int64_t expires;
	char addr[ADDR_TEXT_MAX];
	unsigned char a[1 + GRANTREC_ABIN_MAX];	/* its details' key */
	size_t alen;
	unsigned char u[GRANTDB_KEY_MAX];	/* its user entry, when left over */
	size_t ulen;
};

/* The first queue entries, up to max of them, into q: 0 and *n, or -1 and e. */
static int
tidy_collect(struct grantdb *db, struct tidy *q, size_t max, size_t *n, struct err *e)
{
	unsigned char kb[TIDY_KEY_MAX + 1];
	u_int32_t flag = DB_SET_RANGE;
	DBC *c;
	DBT k, d;
	int ret;

	*n = 0;
	if ((ret = db->meta->cursor(db->meta, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->l.mpath);
		return -1;
	}
	kb[0] = 'x';
	while (*n < max) {
		bdbfile_dbt_out(&k, kb, sizeof kb);
		if (flag == DB_SET_RANGE)
			k.size = 1;
		memset(&d, 0, sizeof d);
		d.flags = DB_DBT_PARTIAL;	/* keys only */
		ret = c->get(c, &k, &d, flag);
		flag = DB_NEXT;
		if (ret == DB_NOTFOUND || (ret == 0 && kb[0] != 'x'))
			break;
		if (ret != 0 || k.size > TIDY_KEY_MAX ||
		    tidy_key_parse(kb, k.size, &q[*n].expires, q[*n].addr) < 0) {
			c->close(c);
			if (ret != 0 && ret != DB_BUFFER_SMALL) {
				bdbfile_err(e, ret, "read", db->l.mpath);
				return -1;
			}
			return grantrec_damaged(e, db->l.mpath, "a tidy queue entry");
		}
		memcpy(q[*n].key, kb, k.size);
		q[*n].klen = k.size;
		q[*n].a[0] = 'a';
		q[*n].alen = 1 + grantrec_addr_bin(q[*n].addr, q[*n].a + 1);
		q[*n].ulen = 0;
		(*n)++;
	}
	c->close(c);
	return 0;
}

int
grantdb_tidy(struct grantdb *db, long max, long *tidied, int *more, struct err *e)
{
	struct btread_key *k = NULL;
	struct tidy *q = NULL;
	struct grant m;
	int64_t expires;
	size_t n, i, nu;
	int fd, r, pinned, rc = -1, ret;

	*tidied = 0;
	*more = 0;
	if (must_write(db, e) < 0 || must_index(db, e) < 0)
		return -1;
	if (max < 1)
		max = 1;
	if ((q = malloc(((size_t)max + 1) * sizeof *q)) == NULL ||
	    (k = malloc(((size_t)max + 1) * sizeof *k)) == NULL) {
		err_set(e, ERR_TEMP, ENOMEM, "tidy %s", db->l.mpath);
		goto out;
	}
	if (tidy_collect(db, q, (size_t)max + 1, &n, e) < 0)
		goto out;
	if (n > (size_t)max) {
		*more = 1;
		n = (size_t)max;
	}
	/* The details first, many reads at once; then the user entries they name. */
	if ((ret = db->meta->fd(db->meta, &fd)) != 0) {
		bdbfile_err(e, ret, "read", db->l.mpath);
		goto out;
	}
	for (i = 0; i < n; i++) {
		k[i].p = q[i].a;
		k[i].n = q[i].alen;
	}
	prefetch(fd, db->l.mpath, k, n);
	for (i = 0; i < n; i++) {
		/* Left over: details of this very grant, which grants.db no
		 * longer has.  Else the address was granted again since (its
		 * new grant replaced the details, or is the same as the old). */
		if ((r = rec_get(db, q[i].addr, &m, e)) < 0)
			goto out;
		if (r == 0 || m.pinned || m.expires != q[i].expires)
			continue;
		if ((r = grantdb_lookup(db, q[i].addr, &expires, &pinned, e)) < 0)
			goto out;
		if (r == 1 && !pinned && expires == q[i].expires)
			continue;
		if ((q[i].ulen = grantdb_key(GRANTDB_BY_USER, &m, q[i].u)) == 0) {
			grantrec_damaged(e, db->l.mpath, q[i].addr);
			goto out;
		}
	}
	for (i = nu = 0; i < n; i++)
		if (q[i].ulen > 0) {
			k[nu].p = q[i].u;
			k[nu++].n = q[i].ulen;
		}
	prefetch(fd, db->l.mpath, k, nu);
	for (i = 0; i < n; i++) {
		if (q[i].ulen > 0 &&
		    (del_key(db->meta, q[i].a, q[i].alen, db->l.mpath, e) < 0 ||
		     del_key(db->meta, q[i].u, q[i].ulen, db->l.mpath, e) < 0))
			goto out;
		if (del_key(db->meta, q[i].key, q[i].klen, db->l.mpath, e) < 0)
			goto out;
		db->dirty = 1;
		(*tidied)++;
	}
	rc = 0;
out:
	free(k);
	free(q);
	return rc;
}

/* The latest timed entries of the expiry order, while they expire after x->now. */
static int
collect_late(const unsigned char *k, size_t n, const struct grant *g, void *arg)
{
	struct due_ctx *x = arg;
	struct grant kg;

	(void)g;
	if (grantdb_key_parse(GRANTDB_BY_EXPIRY, k, n, &kg) < 0 || kg.pinned)
		return 0;	/* the pins, after every timed grant: passed over */
	if (kg.expires <= x->now)
		return 1;
	x->out[x->n].expires = kg.expires;
	memcpy(x->out[x->n].addr, kg.addr, sizeof kg.addr);
	memcpy(x->out[x->n].key, k, n);
	x->out[x->n].klen = n;
	return ++x->n == x->max;
}

int
grantdb_cap_expiry(struct grantdb *db, int64_t latest, long *capped, struct err *e)
{
	enum { BATCH = 1024 };
	struct due_ctx x;
	struct grant g;
	size_t i;
	int r, rc = 0;

	*capped = 0;
	if (must_write(db, e) < 0)
		return -1;
	if ((x.out = malloc(BATCH * sizeof *x.out)) == NULL) {
		err_set(e, ERR_TEMP, errno, "cap expiries in %s", db->l.gpath);
		return -1;
	}
	x.now = latest;
	x.max = BATCH;
	do {
		x.n = 0;
		if (grantdb_scan(db, GRANTDB_BY_EXPIRY, NULL, 0, 1, 0, 0, collect_late, &x, e) < 0) {
			rc = -1;
			break;
		}
		for (i = 0; i < x.n && rc == 0; i++) {
			if ((r = grantdb_get(db, x.out[i].addr, &g, e)) < 0) {
				rc = -1;
			} else if (r == 1 && !g.pinned && g.expires > latest) {
				g.expires = latest;
				if (grantdb_put(db, &g, e) < 0)
					rc = -1;
				else
					(*capped)++;
			} else if (del_key(db->meta, x.out[i].key, x.out[i].klen, db->l.mpath, e) < 0) {
				rc = -1;	/* (an entry that is not its grant's goes, as in a sweep) */
			} else {
				db->dirty = 1;
			}
		}
	} while (rc == 0 && x.n == BATCH);
	free(x.out);
	return rc;
}

int
grantdb_size(struct grantdb *db, int64_t *bytes, struct err *e)
{
	struct stat st;

	*bytes = 0;
	if (stat(db->l.gpath, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", db->l.gpath);
		return -1;
	}
	*bytes += st.st_size;
	if (stat(db->l.mpath, &st) == 0)
		*bytes += st.st_size;
	return 0;
}

/* --- format 1 to 2 --- */

/*
 * Format 1 kept details under 'p' ADDRESS (pins) and 'x' EXPIRY ADDRESS;
 * a store being repaired has them under 'a' A already (format 2, without
 * the orders and counts, which are made here).
 */
static int
upgrade_one(const struct grant *g0, void *arg)
{
	unsigned char k[1 + 8 + ADDR_TEXT_MAX], v[META_MAX];
	struct grantdb *db = arg;
	struct err *e = db->upgrade_err;
	struct grant g = *g0, m;
	size_t kn, an = strlen(g.addr), n;
	int r, found = 0;

	if ((kn = grantrec_addr_bin(g.addr, k + 1)) > 0) {
		k[0] = 'a';
		r = get_into(db->meta, k, kn + 1, v, sizeof v, &n, db->l.mpath, g.addr, e);
		found = r == 1 && grantrec_meta_decode(v, n, &m) == 0 && m.pinned == g.pinned &&
		    (g.pinned || m.expires == g.expires);
	}
	if (!found) {
		k[0] = g.pinned ? 'p' : 'x';
		kn = 1;
		if (!g.pinned) {
			grantrec_be64_put(k + 1, (uint64_t)g.expires);
			kn += 8;
		}
		memcpy(k + kn, g.addr, an);
		kn += an;
		if ((r = get_into(db->meta, k, kn, v, sizeof v, &n, db->l.mpath, g.addr, e)) < 0)
			return -1;
		found = r == 1 && grantrec_meta_decode(v, n, &m) == 0 && m.pinned == g.pinned;
	}
	if (found) {
		g.granted = m.granted;
		memcpy(g.user, m.user, sizeof g.user);
		memcpy(g.proto, m.proto, sizeof g.proto);
		g.has_relayclient = m.has_relayclient;
		memcpy(g.relayclient, m.relayclient, sizeof g.relayclient);
		memcpy(g.note, m.note, sizeof g.note);
		memcpy(g.host, m.host, sizeof g.host);
	}
	if (details_put(db, &g, e) < 0)
		return -1;
	count(db, 1, g.pinned ? 1 : 0);
	return 0;
}

/* Delete every key of meta that starts with byte p. */
static int
drop_prefix(struct grantdb *db, unsigned char p, struct err *e)
{
	unsigned char kb[GRANTDB_KEY_MAX + ADDR_TEXT_MAX];
	DBC *c;
	DBT k, d;
	u_int32_t flag = DB_SET_RANGE;
	int ret, rc = 0;

	if ((ret = db->meta->cursor(db->meta, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->l.mpath);
		return -1;
	}
	kb[0] = p;
	for (;;) {
		bdbfile_dbt_out(&k, kb, sizeof kb);
		if (flag == DB_SET_RANGE)
			k.size = 1;
		memset(&d, 0, sizeof d);
		d.flags = DB_DBT_PARTIAL;
		ret = c->get(c, &k, &d, flag);
		flag = DB_NEXT;
		if (ret == DB_NOTFOUND || (ret == 0 && kb[0] != p))
			break;
		if (ret != 0 || (ret = c->del(c, 0)) != 0) {
			bdbfile_err(e, ret, "upgrade", db->l.mpath);
			rc = -1;
			break;
		}
	}
	c->close(c);
	return rc;
}

/*
 * Bring a store of format 1 (or a new one) to format 2: details by
 * address, the orders, the counts, in this session's commit.
 */
static int
upgrade(struct grantdb *db, struct err *e)
{
	unsigned char one = FORMAT;

	memset(&db->n, 0, sizeof db->n);
	db->upgrade_err = e;
	if (grantdb_each(db, upgrade_one, db, e) != 0 ||
	    drop_prefix(db, 'p', e) < 0 || drop_prefix(db, 'x', e) < 0 ||
	    put_key(db->meta, "V", 1, &one, 1, db->l.mpath, e) < 0)
		return -1;
	db->n_dirty = 1;
	db->dirty = 1;
	db->indexed = 1;
	return 0;
}

/* --- the change log (relaygate sync) --- */

#define LOG_VERSION 1
#define LOG_HEAD (1 + 1 + 8 + 1)	/* version, op, when, address length */
#define LOG_REC_MAX (LOG_HEAD + ADDR_TEXT_MAX + META_MAX)
#define STATE_SIZE 25

static int
log_load(struct grantdb *db, struct err *e)
{
	unsigned char v[STATE_SIZE + 1];
	size_t n;
	int r;

	if (db->log_loaded)
		return 0;
	if (open_meta(db, e) < 0)
		return -1;
	memset(&db->log, 0, sizeof db->log);
	r = db->meta == NULL ? 0 :
	    get_into(db->meta, "S", 1, v, sizeof v, &n, db->l.mpath, "the change log", e);
	if (r < 0)
		return -1;
	if (r == 1) {
		if (n != STATE_SIZE || (v[24] & ~1) != 0)
			return grantrec_damaged(e, db->l.mpath, "the change log");
		db->log.on = 1;
		db->log.next = grantrec_be64_get(v);
		db->log.trimmed = grantrec_be64_get(v + 8);
		db->log.id = grantrec_be64_get(v + 16);
		db->log.overflow = v[24] & 1;
		if (db->log.next < 1 || db->log.trimmed >= db->log.next)
			return grantrec_damaged(e, db->l.mpath, "the change log");
	}
	db->log_loaded = 1;
	return 0;
}

static int
log_save(struct grantdb *db, struct err *e)
{
	unsigned char v[STATE_SIZE];

	grantrec_be64_put(v, db->log.next);
	grantrec_be64_put(v + 8, db->log.trimmed);
	grantrec_be64_put(v + 16, db->log.id);
	v[24] = db->log.overflow ? 1 : 0;
	return put_key(db->meta, "S", 1, v, sizeof v, db->l.mpath, e);
}

static void
log_key(uint64_t seq, unsigned char k[9])
{
	k[0] = 'l';
	grantrec_be64_put(k + 1, seq);
}

/* Log a put of g (del 0) or the removal of g (del 1), unless not logging. */
static int
log_write(struct grantdb *db, int del, const struct grant *g, struct err *e)
{
	unsigned char k[9], v[LOG_REC_MAX];
	size_t an = strlen(g->addr), pos, mlen;

	if (db->unlogged)
		return 0;
	if (log_load(db, e) < 0)
		return -1;
	if (!db->log.on || db->log.overflow)
		return 0;
	db->log_dirty = 1;
	db->dirty = 1;
	if (db->log.next - db->log.trimmed - 1 >= GRANTDB_LOG_MAX) {
		db->log.overflow = 1;	/* relaygate sync logs everything afresh */
		return 0;
	}
	v[0] = LOG_VERSION;
	v[1] = del ? 'D' : 'P';
	grantrec_be64_put(v + 2, (uint64_t)time(NULL));
	v[10] = (unsigned char)an;
	memcpy(v + LOG_HEAD, g->addr, an);
	pos = LOG_HEAD + an;
	if (del) {
		v[pos++] = g->pinned ? 1 : 0;
	} else {
		if (grantrec_meta_encode(g, v + pos, &mlen) < 0)
			return grantrec_damaged(e, db->l.mpath, g->addr);
		pos += mlen;
	}
	log_key(db->log.next, k);
	if (put_key(db->meta, k, sizeof k, v, pos, db->l.mpath, e) < 0)
		return -1;
	db->log.next++;
	return 0;
}

/* The one checked copy-in of a log record (STYLE 12). */
static int
log_decode(const unsigned char *k, size_t kn, const unsigned char *v, size_t n,
    struct grantdb_change *c)
{
	unsigned char ab[GRANTREC_ABIN_MAX];
	size_t an;

	memset(c, 0, sizeof *c);
	if (kn != 9 || k[0] != 'l' || n < LOG_HEAD || v[0] != LOG_VERSION ||
	    (v[1] != 'P' && v[1] != 'D'))
		return -1;
	an = v[10];
	if (an == 0 || an >= ADDR_TEXT_MAX || LOG_HEAD + an > n ||
	    memchr(v + LOG_HEAD, '\0', an) != NULL)
		return -1;
	c->seq = grantrec_be64_get(k + 1);
	c->del = v[1] == 'D';
	c->when = (int64_t)grantrec_be64_get(v + 2);
	if (c->del) {
		if (n != LOG_HEAD + an + 1 || v[LOG_HEAD + an] > 1)
			return -1;
		c->g.pinned = v[LOG_HEAD + an];
	} else if (grantrec_meta_decode(v + LOG_HEAD + an, n - LOG_HEAD - an, &c->g) < 0) {
		return -1;
	}
	memcpy(c->g.addr, v + LOG_HEAD, an);
	c->g.addr[an] = '\0';
	return grantrec_addr_bin(c->g.addr, ab) == 0 ? -1 : 0;
}

void
grantdb_unlogged(struct grantdb *db)
{
	db->unlogged = 1;
}

int
grantdb_log_read(struct grantdb *db, uint64_t after, size_t max,
    struct grantdb_change *out, size_t *n, struct err *e)
{
	unsigned char kb[GRANTDB_KEY_MAX + ADDR_TEXT_MAX], v[LOG_REC_MAX];
	u_int32_t flag = DB_SET_RANGE;
	int ret, rc = 0;
	DBC *c;
	DBT k, d;

	*n = 0;
	if (open_meta(db, e) < 0)
		return -1;
	if (db->meta == NULL || max == 0)
		return 0;
	if ((ret = db->meta->cursor(db->meta, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->l.mpath);
		return -1;
	}
	log_key(after + 1, kb);
	while (*n < max) {
		bdbfile_dbt_out(&k, kb, sizeof kb);
		if (flag == DB_SET_RANGE)
			k.size = 9;
		bdbfile_dbt_out(&d, v, sizeof v);
		ret = c->get(c, &k, &d, flag);
		flag = DB_NEXT;
		if (ret == DB_NOTFOUND)
			break;
		if (ret != 0) {
			if (ret == DB_BUFFER_SMALL)
				rc = grantrec_damaged(e, db->l.mpath, "a change log record");
			else
				bdbfile_err(e, ret, "read", db->l.mpath);
			rc = -1;
			break;
		}
		if (kb[0] != 'l')
			break;
		if (log_decode(kb, k.size, v, d.size, &out[*n]) < 0) {
			rc = grantrec_damaged(e, db->l.mpath, "a change log record");
			break;
		}
		(*n)++;
	}
	c->close(c);
	return rc;
}

int
grantdb_log_state(struct grantdb *db, struct grantdb_log *st, struct err *e)
{
	struct grantdb_change *first;
	size_t n;

	memset(st, 0, sizeof *st);
	if (log_load(db, e) < 0)
		return -1;
	*st = db->log;
	if (!st->on)
		return 0;
	st->pending = (long)(st->next - st->trimmed - 1);
	if (st->pending == 0)
		return 0;
	if ((first = malloc(sizeof *first)) == NULL) {
		err_set(e, ERR_TEMP, errno, "read %s", db->l.mpath);
		return -1;
	}
	if (grantdb_log_read(db, st->trimmed, 1, first, &n, e) < 0) {
		free(first);
		return -1;
	}
	if (n == 1)
		st->oldest = first->when;
	free(first);
	return 0;
}

int
grantdb_log_trim(struct grantdb *db, uint64_t through, struct err *e)
{
	unsigned char kb[GRANTDB_KEY_MAX + ADDR_TEXT_MAX];
	u_int32_t flag = DB_SET_RANGE;
	int ret, rc = 0;
	DBC *c;
	DBT k, d;

	if (must_write(db, e) < 0 || log_load(db, e) < 0)
		return -1;
	if (!db->log.on || through <= db->log.trimmed)
		return 0;
	if (through >= db->log.next)
		through = db->log.next - 1;
	if ((ret = db->meta->cursor(db->meta, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->l.mpath);
		return -1;
	}
	log_key(0, kb);
	for (;;) {
		bdbfile_dbt_out(&k, kb, sizeof kb);
		if (flag == DB_SET_RANGE)
			k.size = 9;
		memset(&d, 0, sizeof d);
		d.flags = DB_DBT_PARTIAL;
		ret = c->get(c, &k, &d, flag);
		flag = DB_NEXT;
		if (ret == DB_NOTFOUND || (ret == 0 && (kb[0] != 'l' || k.size != 9 ||
		    grantrec_be64_get(kb + 1) > through)))
			break;
		if (ret != 0 || (ret = c->del(c, 0)) != 0) {
			bdbfile_err(e, ret, "trim the change log of", db->l.mpath);
			rc = -1;
			break;
		}
	}
	c->close(c);
	if (rc < 0)
		return -1;
	db->log.trimmed = through;
	db->log_dirty = 1;
	db->dirty = 1;
	return 0;
}

static int
log_all_one(const struct grant *g0, void *arg)
{
	struct grantdb *db = arg;
	struct grant g;
	int r;

	if ((r = grantdb_get(db, g0->addr, &g, db->upgrade_err)) < 0)
		return -1;
	return r == 1 ? log_write(db, 0, &g, db->upgrade_err) : 0;
}

static uint64_t
random_id(void)
{
	unsigned char b[8];
	uint64_t id = 0;
	int fd, ok = 0;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) >= 0) {
		ok = read(fd, b, sizeof b) == (ssize_t)sizeof b;
		close(fd);
	}
	if (ok)
		id = grantrec_be64_get(b);
	else
		id = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
	return id != 0 ? id : 1;
}

int
grantdb_log_enable(struct grantdb *db, struct err *e)
{
	if (must_write(db, e) < 0 || log_load(db, e) < 0)
		return -1;
	if (db->log.on && !db->log.overflow)
		return 0;
	if (!db->log.on) {
		db->log.id = random_id();
		db->log.next = 1;
	}
	if (drop_prefix(db, 'l', e) < 0)
		return -1;
	db->log.on = 1;
	db->log.overflow = 0;
	db->log.trimmed = db->log.next - 1;
	db->log_dirty = 1;
	db->dirty = 1;
	db->upgrade_err = e;
	return grantdb_each(db, log_all_one, db, e) != 0 ? -1 : 0;
}

int
grantdb_log_disable(struct grantdb *db, struct err *e)
{
	if (must_write(db, e) < 0 || log_load(db, e) < 0)
		return -1;
	if (!db->log.on)
		return 0;
	if (drop_prefix(db, 'l', e) < 0 || del_key(db->meta, "S", 1, db->l.mpath, e) < 0)
		return -1;
	memset(&db->log, 0, sizeof db->log);
	db->log_dirty = 0;
	db->dirty = 1;
	return 0;
}

/* Move grants.db's mtime on by a second at least, so Postfix notices. */
static void
bump_mtime(struct grantdb *db)
{
	struct timespec t[2];
	time_t now = time(NULL);

	t[0].tv_sec = 0;
	t[0].tv_nsec = UTIME_OMIT;
	t[1].tv_sec = now > db->mtime ? now : db->mtime + 1;
	t[1].tv_nsec = 0;
	if (futimens(db->l.lockfd, t) == 0)
		db->mtime = t[1].tv_sec;
	else
		/* Not the owner (a setgid writer): "now" is all we may set. */
		futimens(db->l.lockfd, NULL);
}

int
grantdb_commit(struct grantdb *db, struct err *e)
{
	unsigned char cb[16];
	int ret;

	if (must_write(db, e) < 0)
		return -1;
	if (!db->dirty)
		return 0;
	if (db->log_dirty && db->log.on && log_save(db, e) < 0)
		return -1;
	if (db->n_dirty) {
		if (db->n.total < 0 || db->n.pinned < 0 || db->n.pinned > db->n.total)
			return grantrec_damaged(e, db->l.mpath, "the counts");
		counts_encode(&db->n, cb);
		if (put_key(db->meta, "C", 1, cb, sizeof cb, db->l.mpath, e) < 0)
			return -1;
	}
	if ((ret = db->grants->sync(db->grants, 0)) != 0) {
		bdbfile_err(e, ret, "write", db->l.gpath);
		return -1;
	}
	if ((ret = db->meta->sync(db->meta, 0)) != 0) {
		bdbfile_err(e, ret, "write", db->l.mpath);
		return -1;
	}
	if (pagelog_commit(db->jfd, db->l.jpath, db->o.sync, db->o.group, e) < 0)
		return -1;
	bump_mtime(db);
	db->dirty = 0;
	db->n_dirty = 0;
	db->log_dirty = 0;
	return 0;
}

int
grantdb_preflush(const char *dir, int sync, struct err *e)
{
	static const char *const names[] = { GRANTDB_FILE, GRANTDB_META };
	char path[PATH_MAX];
	struct stat st, js;
	size_t i;
	int fd;

	if (grantlock_dir(dir, &st, e) < 0)
		return -1;
	/* An empty journal: every change is on disk in the files already. */
	snprintf(path, sizeof path, "%s/%s", dir, GRANTDB_JOURNAL);
	if (lstat(path, &js) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", path);
		return -1;
	}
	if (js.st_size == 0)
		return 0;
	for (i = 0; sync && i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if ((fd = safefile_open(path, O_RDONLY, st.st_uid, NULL, e)) < 0)
			return -1;
		if (fdatasync(fd) < 0) {
			err_set(e, ERR_TEMP, errno, "fsync %s", path);
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 1;
}

int
grantdb_flush(struct grantdb *db, struct err *e)
{
	if (must_write(db, e) < 0)
		return -1;
	return pagelog_flush(db->jfd, db->l.jpath, db->o.sync, e);
}

int
grantdb_details(struct grantdb *db, const char *addr, struct grant *g, struct err *e)
{
	int r;

	if (open_meta(db, e) < 0)
		return -1;
	if (db->meta == NULL) {
		err_set(e, ERR_TEMP, ENOENT, "open %s", db->l.mpath);
		return 0;
	}
	if ((r = rec_get(db, addr, g, e)) == 0)
		err_set(e, ERR_PERM, 0, "%s holds no details for %s", db->l.mpath, addr);
	return r;
}

/* --- the store as relaygate init makes it --- */

#define DIR_MODE 0755

static const struct layout {
	const char *name;
	mode_t mode;
	int btree;		/* an empty btree; else an empty file */
	int journal;		/* a journal: never trusted from another owner */
} layout[] = {
	/* Read by the SMTP user and by Postfix, written by the group. */
	{ GRANTDB_FILE, 0664, 1, 0 },
	/* User names: the group only. */
	{ GRANTDB_META, 0660, 1, 0 },
	/* Only ever flock(2)ed, which needs no write access. */
	{ GRANTDB_GATE, 0644, 0, 0 },
	{ GRANTDB_JOURNAL, 0660, 0, 1 },
};

/* Names older versions made that have no place in a store any more. */
static const char *const stray[] = { GRANTDB_JOURNAL ".new" };

struct init_ctx {
	enum grantdb_init_mode how;
	uid_t uid;
	gid_t gid;
	void (*report)(const char *, int, void *);
	void *arg;
	int left;		/* problems not put right */
};

static void
problem(struct init_ctx *x, int fixed, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct init_ctx *x, int fixed, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!fixed)
		x->left++;
	if (x->report != NULL)
		x->report(msg, fixed, x->arg);
}

/* Owner, group and mode of what st describes against the layout; each difference is a problem. */
static int
drift(struct init_ctx *x, const char *path, const struct stat *st, mode_t mode,
    int fixing)
{
	char have[96], want[96];
	int n = 0;

	if (st->st_uid != x->uid) {
		safefile_user(st->st_uid, have, sizeof have);
		safefile_user(x->uid, want, sizeof want);
		problem(x, fixing, "%s: owner %s, not %s", path, have, want);
		n++;
	}
	if (st->st_gid != x->gid) {
		problem(x, fixing, "%s: group %ld, not %ld", path, (long)st->st_gid, (long)x->gid);
		n++;
	}
	if ((st->st_mode & 07777) != mode) {
		problem(x, fixing, "%s: mode %04o, not %04o", path,
		    (unsigned)(st->st_mode & 07777), (unsigned)mode);
		n++;
	}
	return n;
}

static int
init_dir(struct init_ctx *x, const char *dir, struct err *e)
{
	struct stat st;
	int fd, fixing = x->how == GRANTDB_INIT_FIX;

	if (stat(dir, &st) < 0) {
		if (errno != ENOENT) {
			err_set(e, ERR_TEMP, errno, "stat %s", dir);
			return -1;
		}
		if (x->how == GRANTDB_INIT_CHECK) {
			problem(x, 0, "%s: does not exist", dir);
			return 0;
		}
		if (mkdir(dir, 0700) < 0) {
			err_set(e, ERR_TEMP, errno, "create directory %s", dir);
			return -1;
		}
		fixing = 1;
	} else if (!S_ISDIR(st.st_mode)) {
		err_set(e, ERR_PERM, ENOTDIR, "%s", dir);
		return -1;
	} else if (drift(x, dir, &st, DIR_MODE, fixing) == 0 || !fixing) {
		return 0;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		err_set(e, ERR_TEMP, errno, "open directory %s", dir);
		return -1;
	}
	if (safefile_own(fd, dir, DIR_MODE, x->uid, x->gid, e) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
make_file(struct init_ctx *x, const char *path, const struct layout *l, struct err *e)
{
	int fd;

	if (l->btree)
		return bdbfile_ensure(path, l->mode, x->uid, x->gid, GRANTDB_PAGESIZE, e);
	if ((fd = safefile_create(path, O_RDONLY, l->mode, x->uid, x->gid, e)) < 0)
		return -1;
	close(fd);
	return 0;
}

/* How long relaygate init waits for the store's lock to give a file its own name. */
#define INIT_LOCK_MS 30000

/* Open path as it is (links and all, never through a symbolic one) to read: the fd, or -1 and e. */
static int
open_as_is(const char *path, struct stat *st, struct err *e)
{
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
		err_set(e, ERR_TEMP, errno, "open %s", path);
		return -1;
	}
	if (fstat(fd, st) < 0)
		err_set(e, ERR_TEMP, errno, "stat %s", path);
	else if (!S_ISREG(st->st_mode))
		err_set(e, ERR_TEMP, 0, "open %s: %s, not a regular file", path, safefile_kind(st));
	else
		return fd;
	close(fd);
	return -1;
}

/*
 * path is a regular file with another name somewhere (was: as st says):
 * give the store a file of its own with the same bytes, owner, group and
 * mode, so that nothing is lost and nothing is vouched for that was not
 * before (a journal of another owner stays another owner's).  The copy is
 * made beside it as relaygate init makes a file (O_EXCL, never through a
 * link) and renamed over it under the store's exclusive lock; a writer
 * that opened the old file before sees it replaced and stops.  The other
 * names keep the old file, which is the store's no more.  0, or -1 and e.
 */
static int
relink(const char *dir, const char *path, const struct stat *was, struct err *e)
{
	char gpath[PATH_MAX], tmp[PATH_MAX + 32], buf[65536];
	struct stat gst, st, now;
	ssize_t n;
	off_t off = 0;
	int lockfd = -1, in = -1, out = -1, rc = -1;

	snprintf(gpath, sizeof gpath, "%s/%s", dir, GRANTDB_FILE);
	if ((lockfd = open_as_is(gpath, &gst, e)) < 0 ||
	    lock_path(lockfd, gpath, LOCK_EX, INIT_LOCK_MS, e) < 0)
		goto out;
	if ((in = open_as_is(path, &st, e)) < 0)
		goto out;
	if (st.st_dev != was->st_dev || st.st_ino != was->st_ino) {
		err_set(e, ERR_TEMP, 0, "copy %s: it was replaced meanwhile; run relaygate init "
		    "--fix again", path);
		goto out;
	}
	if (snprintf(tmp, sizeof tmp, "%s.%ld.new", path, (long)getpid()) >= (int)sizeof tmp) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "copy %s", path);
		goto out;
	}
	/* A leftover (or a planted name) under the private name goes; the create is O_EXCL. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		err_set(e, ERR_TEMP, errno, "remove %s", tmp);
		goto out;
	}
	if ((out = safefile_create(tmp, O_WRONLY, st.st_mode & 0777, st.st_uid, st.st_gid, e)) < 0)
		goto out;
	while ((n = pread(in, buf, sizeof buf, off)) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			err_set(e, ERR_TEMP, errno, "copy %s to %s", path, tmp);
			goto out;
		}
		off += n;
	}
	if (n < 0 || fsync(out) < 0) {
		err_set(e, ERR_TEMP, errno, "copy %s to %s", path, tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		err_set(e, ERR_TEMP, errno, "rename %s to %s", tmp, path);
		goto out;
	}
	/* The name holds what was made, and nothing another hand put there. */
	if (fstat(out, &st) < 0 || lstat(path, &now) < 0 ||
	    now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		err_set(e, ERR_TEMP, 0, "rename %s to %s: replaced meanwhile; run relaygate init "
		    "--fix again", tmp, path);
		goto out;
	}
	if (dirsync(path) < 0) {
		err_set(e, ERR_TEMP, errno, "fsync the directory of %s", path);
		goto out;
	}
	rc = 0;
out:
	if (out >= 0) {
		close(out);
		if (rc < 0)
			unlink(tmp);
	}
	if (in >= 0)
		close(in);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

static int
init_file(struct init_ctx *x, const char *dir, const struct layout *l, struct err *e)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, fixing = x->how == GRANTDB_INIT_FIX, rc;

	if (snprintf(path, sizeof path, "%s/%s", dir, l->name) >= (int)sizeof path) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "%s", dir);
		return -1;
	}
	if (lstat(path, &st) < 0) {
		if (errno != ENOENT) {
			err_set(e, ERR_TEMP, errno, "stat %s", path);
			return -1;
		}
		if (x->how == GRANTDB_INIT_CHECK) {
			problem(x, 0, "%s: does not exist", path);
			return 0;
		}
		return make_file(x, path, l, e);
	}
	if (S_ISREG(st.st_mode) && st.st_nlink != 1) {
		/* Its bytes are the store's: never removed, copied to a name of its own. */
		problem(x, fixing, "%s: %ld hard links, not 1%s", path, (long)st.st_nlink,
		    fixing ? "; copied to a file of its own (the other names keep the old one)" : "");
		if (!fixing)
			return 0;
		if (relink(dir, path, &st, e) < 0)
			return -1;
		if (lstat(path, &st) < 0) {
			err_set(e, ERR_TEMP, errno, "stat %s", path);
			return -1;
		}
	}
	if (!S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			fixing = 0;	/* someone's directory: not ours to remove */
		problem(x, fixing, "%s: %s, not a regular file%s", path,
		    safefile_kind(&st), S_ISDIR(st.st_mode) ? " (remove it by hand)" : "");
		if (!fixing)
			return 0;
		/* unlink(2) removes a link itself, never what it points to. */
		if (unlink(path) < 0) {
			err_set(e, ERR_TEMP, errno, "remove %s", path);
			return -1;
		}
		return make_file(x, path, l, e);
	}
	if (l->journal && st.st_size > 0 && st.st_uid != x->uid) {
		/* Written by someone who is not the store: never applied. */
		problem(x, fixing, "%s: a journal written by uid %ld%s", path,
		    (long)st.st_uid, fixing ? "; emptied unread" : "");
	}
	if (drift(x, path, &st, l->mode, fixing) == 0 && !(l->journal &&
	    st.st_size > 0 && st.st_uid != x->uid))
		return 0;
	if (!fixing)
		return 0;
	if ((fd = safefile_open(path, l->journal ? O_RDWR : O_RDONLY, SAFEFILE_ANY_OWNER,
	    NULL, e)) < 0)
		return -1;
	rc = 0;
	if (l->journal && st.st_size > 0 && st.st_uid != x->uid && ftruncate(fd, 0) < 0) {
		err_set(e, ERR_TEMP, errno, "empty %s", path);
		rc = -1;
	}
	if (rc == 0)
		rc = safefile_own(fd, path, l->mode, x->uid, x->gid, e);
	close(fd);
	return rc;
}

int
grantdb_init(const char *dir, uid_t uid, gid_t gid, enum grantdb_init_mode how,
    void (*report)(const char *what, int fixed, void *arg), void *arg, struct err *e)
{
	struct init_ctx x = { how, uid, gid, report, arg, 0 };
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	if (bdbfile_pagelog() < 0) {
		err_set(e, ERR_TEMP, errno, "set up Berkeley DB I/O for %s", dir);
		return -1;
	}
	if (init_dir(&x, dir, e) < 0)
		return -1;
	if (how == GRANTDB_INIT_CHECK && stat(dir, &st) < 0)
		return x.left;
	for (i = 0; i < sizeof layout / sizeof layout[0]; i++)
		if (init_file(&x, dir, &layout[i], e) < 0)
			return -1;
	for (i = 0; i < sizeof stray / sizeof stray[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, stray[i]);
		if (lstat(path, &st) < 0)
			continue;
		problem(&x, how == GRANTDB_INIT_FIX, "%s: left by an older relaygate%s",
		    path, how == GRANTDB_INIT_FIX ? "; removed" : "");
		if (how == GRANTDB_INIT_FIX && unlink(path) < 0) {
			err_set(e, ERR_TEMP, errno, "remove %s", path);
			return -1;
		}
	}
	return x.left;
}

/* --- verify and repair --- */

struct fsck {
	grantdb_note note;
	void *arg;
	struct grantdb_tally *t;
	char gpath[PATH_MAX], mpath[PATH_MAX], jpath[PATH_MAX];
	uid_t owner;		/* the store directory's: every file's (safefile.h) */
	gid_t group;
};

static void say(struct fsck *x, int problem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct fsck *x, int problem, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (problem)
		x->t->problems++;
	x->note(line, x->arg);
}

/* Bytes from a file, shown safely: printable as they are, the rest as \xNN. */
static const char *
shown(const void *p, size_t n, char *buf, size_t cap)
{
	const unsigned char *c = p;
	size_t i, o = 0;

	for (i = 0; i < n && o + 8 < cap; i++) {
		if (c[i] > 0x20 && c[i] < 0x7f && c[i] != '\\')
			buf[o++] = (char)c[i];
		else
			o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c[i]);
	}
	if (i < n)
		o += (size_t)snprintf(buf + o, cap - o, "...");
	buf[o] = '\0';
	return buf;
}

static int
fsck_paths(struct fsck *x, const char *dir, struct err *e)
{
	if (snprintf(x->gpath, sizeof x->gpath, "%s/%s", dir, GRANTDB_FILE) >= PATH_MAX ||
	    snprintf(x->mpath, sizeof x->mpath, "%s/%s", dir, GRANTDB_META) >= PATH_MAX ||
	    snprintf(x->jpath, sizeof x->jpath, "%s/%s", dir, GRANTDB_JOURNAL) >= PATH_MAX) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "open store in %s", dir);
		return -1;
	}
	return 0;
}

/* A grants.db record as a grant: 0, or -1 (not an address in normal form, or not an expiry). */
static int
grant_record(const DBT *k, const DBT *v, struct grant *g)
{
	struct addr a;
	size_t n = k->size;

	memset(g, 0, sizeof *g);
	if (n > 0 && ((const char *)k->data)[n - 1] == '\0')
		n--;
	if (n == 0 || n >= sizeof g->addr || memchr(k->data, '\0', n) != NULL)
		return -1;
	memcpy(g->addr, k->data, n);
	g->addr[n] = '\0';
	if (addr_parse(g->addr, &a, NULL) < 0 || strcmp(a.text, g->addr) != 0 ||
	    grantrec_value_decode(v->data, v->size, &g->expires, &g->pinned) < 0)
		return -1;
	if (g->pinned)
		g->expires = 0;
	return 0;
}

/* Does key k (kn bytes) exist in d?  1, 0, or -1. */
static int
has_key(DB *d, const void *k, size_t kn)
{
	DBT kk, vv;
	int ret;

	bdbfile_dbt_in(&kk, k, kn);
	memset(&vv, 0, sizeof vv);
	vv.flags = DB_DBT_PARTIAL;
	ret = d->get(d, NULL, &kk, &vv, 0);
	return ret == 0 ? 1 : ret == DB_NOTFOUND ? 0 : -1;
}

/* The details record of addr in meta, decoded: 1, 0 none, -1 damaged or unreadable. */
static int
details_of(DB *meta, const char *addr, struct grant *m)
{
	unsigned char kb[1 + GRANTREC_ABIN_MAX], v[META_MAX];
	size_t an;
	DBT k, d;
	int ret;

	if ((an = grantrec_addr_bin(addr, kb + 1)) == 0)
		return -1;
	kb[0] = 'a';
	bdbfile_dbt_in(&k, kb, an + 1);
	bdbfile_dbt_out(&d, v, sizeof v);
	ret = meta->get(meta, NULL, &k, &d, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0 || grantrec_meta_decode(v, d.size, m) < 0)
		return -1;
	return 1;
}

/* grants.db's word on addr: 1 and *g, 0 none, -1 unreadable. */
static int
grant_of(DB *grants, const char *addr, struct grant *g)
{
	char v[GRANTREC_VALUE_MAX];
	DBT k, d;
	int ret;

	memset(g, 0, sizeof *g);
	bdbfile_dbt_in(&k, addr, strlen(addr) + 1);
	bdbfile_dbt_out(&d, v, sizeof v);
	ret = grants->get(grants, NULL, &k, &d, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0 || grantrec_value_decode(v, d.size, &g->expires, &g->pinned) < 0)
		return -1;
	snprintf(g->addr, sizeof g->addr, "%s", addr);
	if (g->pinned)
		g->expires = 0;
	return 1;
}

/* Check grant g of grants.db against grants-meta.db: its details and its two order entries. */
static void
verify_grant(struct fsck *x, DB *meta, const struct grant *g)
{
	unsigned char k[GRANTDB_KEY_MAX];
	struct grant m;
	size_t n;
	int r;

	if ((r = details_of(meta, g->addr, &m)) <= 0) {
		say(x, 1, "%s: %s details for %s", x->mpath, r == 0 ? "no" : "damaged", g->addr);
		return;
	}
	if (m.pinned != g->pinned || (!g->pinned && m.expires != g->expires))
		say(x, 1, "%s: the details for %s disagree with %s", x->mpath, g->addr, x->gpath);
	m.pinned = g->pinned;
	m.expires = g->expires;
	snprintf(m.addr, sizeof m.addr, "%s", g->addr);
	if ((n = grantdb_key(GRANTDB_BY_EXPIRY, &m, k)) == 0 || has_key(meta, k, n) != 1)
		say(x, 1, "%s: %s is missing from the expiry order", x->mpath, g->addr);
	if ((n = grantdb_key(GRANTDB_BY_USER, &m, k)) == 0 || has_key(meta, k, n) != 1)
		say(x, 1, "%s: %s is missing from the user order", x->mpath, g->addr);
}

/* Walk grants.db: every record readable, each checked against meta (may be NULL). */
static void
verify_grants(struct fsck *x, DB *grants, DB *meta)
{
	char kb[512], vb[512], q[600];
	struct grant g;
	struct err e;
	DBC *c;
	DBT k, v;
	long n = 0;
	int ret;

	if ((ret = grants->cursor(grants, NULL, &c, 0)) != 0) {
		bdbfile_err(&e, ret, "read", x->gpath);
		say(x, 1, "%s", e.msg);
		return;
	}
	for (;;) {
		bdbfile_dbt_out(&k, kb, sizeof kb);
		bdbfile_dbt_out(&v, vb, sizeof vb);
		if ((ret = c->get(c, &k, &v, DB_NEXT)) == DB_NOTFOUND)
			break;
		if (ret != 0) {
			bdbfile_err(&e, ret, "read", x->gpath);
			say(x, 1, "%s (after %ld records): the rest cannot be read", e.msg, n);
			break;
		}
		n++;
		if (grant_record(&k, &v, &g) < 0) {
			say(x, 1, "%s: a damaged record: key %s", x->gpath,
			    shown(k.data, k.size, q, sizeof q));
			continue;
		}
		x->t->grants++;
		x->t->pinned += g.pinned;
		if (meta != NULL)
			verify_grant(x, meta, &g);
	}
	c->close(c);
}

/* Details of a grant a sweep removed, queued for grantdb_tidy? */
static int
queued(DB *meta, const struct grant *m, const char *addr)
{
	unsigned char k[TIDY_KEY_MAX];
	size_t n;

	return !m->pinned && (n = tidy_key(m->expires, addr, k)) > 0 && has_key(meta, k, n) == 1;
}

/* Walk grants-meta.db: the format, the counts, and that every entry is a grant's. */
static void
verify_meta(struct fsck *x, DB *grants, DB *meta)
{
	unsigned char kb[GRANTDB_KEY_MAX + 64], vb[LOG_REC_MAX];
	struct grantdb_change ch;
	struct grant kg, g, m;
	char q[600];
	struct err e;
	int have_v = 0, have_c = 0, ret, r;
	DBC *c;
	DBT k, v;

	if ((ret = meta->cursor(meta, NULL, &c, 0)) != 0) {
		bdbfile_err(&e, ret, "read", x->mpath);
		say(x, 1, "%s", e.msg);
		return;
	}
	for (;;) {
		bdbfile_dbt_out(&k, kb, sizeof kb);
		bdbfile_dbt_out(&v, vb, sizeof vb);
		if ((ret = c->get(c, &k, &v, DB_NEXT)) == DB_NOTFOUND)
			break;
		if (ret != 0) {
			bdbfile_err(&e, ret, "read", x->mpath);
			say(x, 1, "%s: the rest cannot be read", e.msg);
			break;
		}
		if (k.size == 1 && kb[0] == 'V') {
			have_v = 1;
			if (v.size != 1 || vb[0] != FORMAT)
				say(x, 1, "%s: not of format %d", x->mpath, FORMAT);
		} else if (k.size == 1 && kb[0] == 'C') {
			have_c = 1;
			if (v.size != 16)
				say(x, 1, "%s: damaged counts", x->mpath);
			else if ((long)grantrec_be64_get(vb) != x->t->grants ||
			    (long)grantrec_be64_get(vb + 8) != x->t->pinned)
				say(x, 1, "%s: the counts say %ld grants (%ld pinned), a walk of %s finds %ld (%ld)",
				    x->mpath, (long)grantrec_be64_get(vb), (long)grantrec_be64_get(vb + 8), x->gpath,
				    x->t->grants, x->t->pinned);
		} else if (k.size == 1 && kb[0] == 'W') {
			/* How far sweeps have swept (swept_to). */
			if (v.size != 8)
				say(x, 1, "%s: a damaged sweep mark", x->mpath);
		} else if (k.size == 1 && kb[0] == 'S') {
			/* relaygate sync's change log: its state ... */
			if (v.size != STATE_SIZE || (vb[24] & ~1) != 0 || grantrec_be64_get(vb) < 1 ||
			    grantrec_be64_get(vb + 8) >= grantrec_be64_get(vb))
				say(x, 1, "%s: a damaged change log state", x->mpath);
		} else if (k.size == 9 && kb[0] == 'l') {
			/* ... and its records */
			if (log_decode(kb, k.size, vb, v.size, &ch) < 0)
				say(x, 1, "%s: a damaged change log record %" PRIu64, x->mpath,
				    grantrec_be64_get(kb + 1));
		} else if (kb[0] == 'a' && grantdb_key_parse(GRANTDB_BY_ADDR, kb, k.size, &kg) == 0) {
			if (grantrec_meta_decode(vb, v.size, &m) < 0)
				say(x, 1, "%s: damaged details for %s", x->mpath, kg.addr);
			else if (grants != NULL && (r = grant_of(grants, kg.addr, &g)) == 0 &&
			    !queued(meta, &m, kg.addr))
				say(x, 1, "%s: details for %s, which has no grant", x->mpath, kg.addr);
		} else if (kb[0] == 'x' && tidy_key_parse(kb, k.size, &m.expires, kg.addr) == 0) {
			/* What a sweep left to grantdb_tidy: whatever it finds. */
		} else if (kb[0] == 'e' && grantdb_key_parse(GRANTDB_BY_EXPIRY, kb, k.size, &kg) == 0) {
			if (grants != NULL && ((r = grant_of(grants, kg.addr, &g)) == 0 ||
			    (r == 1 && (g.pinned != kg.pinned || (!g.pinned && g.expires != kg.expires)))))
				say(x, 1, "%s: a stale expiry entry for %s", x->mpath, kg.addr);
		} else if (kb[0] == 'u' && grantdb_key_parse(GRANTDB_BY_USER, kb, k.size, &kg) == 0) {
			if ((r = details_of(meta, kg.addr, &m)) == 0 ||
			    (r == 1 && strcmp(m.user, kg.user) != 0))
				say(x, 1, "%s: a stale user entry for %s", x->mpath, kg.addr);
		} else {
			say(x, 1, "%s: a damaged or unknown key %s", x->mpath,
			    shown(kb, k.size, q, sizeof q));
		}
	}
	c->close(c);
	if (!have_v)
		say(x, 1, "%s: no format record (format 1, or damaged)", x->mpath);
	if (!have_c)
		say(x, 1, "%s: no counts", x->mpath);
}

/* Open path of the store for reading as safefile.h says, changing nothing: the fd and *st, or -1 after saying why. */
static int
fsck_fd(struct fsck *x, const char *path, struct stat *st)
{
	struct err e;
	int fd;

	if ((fd = safefile_open(path, O_RDONLY, x->owner, st, &e)) >= 0)
		return fd;
	if (e.errnum == ENOENT)
		say(x, 1, "%s is missing (relaygate repair makes it anew)", path);
	else
		say(x, 1, "%s", e.msg);
	return -1;
}

/* libdb's verify, then an open for reading: the handle, or NULL after saying why. */
static DB *
fsck_open(struct fsck *x, const char *path)
{
	struct stat st;
	struct err e;
	DB *d;
	int fd;

	if ((fd = fsck_fd(x, path, &st)) < 0)
		return NULL;
	close(fd);
	/* libdb opens it itself, through bdbfile's hook: no link, a regular file. */
	if (bdbfile_verify(path, &e) < 0)
		say(x, 1, "%s", e.msg);
	if (bdbfile_open(&d, path, 1, 0, &st, &e) < 0) {
		say(x, 1, "%s", e.msg);
		return NULL;
	}
	return d;
}

/* The store directory: its owner and group are every file's.  0, or -1 and e. */
static int
fsck_dir(struct fsck *x, const char *dir, struct err *e)
{
	struct stat st;

	if (grantlock_dir(dir, &st, e) < 0)
		return -1;
	x->owner = st.st_uid;
	x->group = st.st_gid;
	return 0;
}

/* What the journal holds, said; jfd open on it. */
static void
fsck_journal(struct fsck *x, int jfd)
{
	struct err je;
	int r;

	if ((r = pagelog_check(jfd, x->jpath, 2, &je)) == 1)
		say(x, 1, "%s: a change a dead writer left, not yet finished (the next change, or repair, finishes it)", x->jpath);
	else if (r == 2)
		say(x, 1, "%s: an unfinished or damaged journal a dead writer left, never applied (the next change, or repair, empties it)", x->jpath);
	else if (r < 0)
		say(x, 1, "%s", je.msg);
}

int
grantdb_verify(const char *dir, const struct grantdb_opts *o, grantdb_note note,
    void *arg, struct grantdb_tally *t, struct err *e)
{
	struct fsck x = { note, arg, t, "", "", "", 0, 0 };
	char stray[PATH_MAX + 8];
	struct stat st;
	DB *grants, *meta;
	int lockfd, jfd;

	memset(t, 0, sizeof *t);
	if (fsck_paths(&x, dir, e) < 0)
		return -1;
	if (bdbfile_pagelog() < 0) {
		err_set(e, ERR_TEMP, errno, "set up Berkeley DB I/O for %s", dir);
		return -1;
	}
	if (fsck_dir(&x, dir, e) < 0)
		return -1;
	/* The shared lock, as a reader's: no writer changes it under the walk. */
	if ((lockfd = safefile_open(x.gpath, O_RDONLY, x.owner, NULL, e)) >= 0 &&
	    lock_path(lockfd, x.gpath, LOCK_SH, o->lock_timeout_ms, e) < 0) {
		close(lockfd);
		return -1;
	}
	/* Read only: a journal of anyone but the store's owner is named, never read. */
	if ((jfd = fsck_fd(&x, x.jpath, &st)) >= 0) {
		fsck_journal(&x, jfd);
		close(jfd);
	}
	snprintf(stray, sizeof stray, "%s.new", x.jpath);
	if (lstat(stray, &st) == 0)
		say(&x, 1, "%s: left by an older relaygate (relaygate init --fix removes it)", stray);
	grants = fsck_open(&x, x.gpath);
	meta = fsck_open(&x, x.mpath);
	if (grants != NULL)
		verify_grants(&x, grants, meta);
	if (meta != NULL)
		verify_meta(&x, grants, meta);
	if (grants != NULL)
		grants->close(grants, DB_NOSYNC);
	if (meta != NULL)
		meta->close(meta, DB_NOSYNC);
	if (lockfd >= 0)
		close(lockfd);
	return 0;
}

/*
 * Copy the file fd (path) aside as path.damaged-NOW: the bytes as they
 * were, for an expert.  A new file, made as relaygate init makes one
 * (safefile_create: O_EXCL, never through a link), the store's owner's and
 * group's, mode 0600: it may hold user names.
 */
static void
set_aside_fd(struct fsck *x, int in, const char *path)
{
	char to[PATH_MAX + 40], buf[65536];
	struct err e;
	ssize_t n;
	off_t off = 0;
	int out, ok = 1;

	snprintf(to, sizeof to, "%s.damaged-%lld", path, (long long)time(NULL));
	if ((out = safefile_create(to, O_WRONLY, 0600, x->owner, x->group, &e)) < 0) {
		say(x, 0, "could not set aside %s: %s", path, e.msg);
		return;
	}
	while ((n = pread(in, buf, sizeof buf, off)) > 0) {
		if (write(out, buf, (size_t)n) != n) {
			ok = 0;
			break;
		}
		off += n;
	}
	if (n < 0 || fsync(out) < 0)
		ok = 0;
	if (close(out) < 0)
		ok = 0;
	if (ok)
		say(x, 0, "set aside the damaged %s as %s", path, to);
	else
		say(x, 0, "could not set aside %s as %s: %s", path, to, strerror(errno));
}

static void
set_aside(struct fsck *x, const char *path)
{
	struct err e;
	int in;

	if ((in = safefile_open(path, O_RDONLY, x->owner, NULL, &e)) < 0) {
		say(x, 0, "could not set aside %s: %s", path, e.msg);
		return;
	}
	set_aside_fd(x, in, path);
	close(in);
}

struct salvage {
	struct fsck *x;
	DB *ng, *nm;			/* the new files being filled */
	const char *ngpath, *nmpath;
	int gdamaged, mdamaged;
	long read, from_meta, pins_from_meta, stale, logged;
	uint64_t log_next, log_trimmed;	/* the change log kept: 'S' read whole */
};

/* Every readable record of the old grants.db into the new one. */
static int
salvage_grants(struct salvage *s, DB *old, struct err *e)
{
	char kb[512], vb[512], v[GRANTREC_VALUE_MAX], q[600];
	struct grant g;
	struct err re;
	long n = 0;
	DBC *c;
	DBT k, d;
	int ret, vn;

	if ((ret = old->cursor(old, NULL, &c, 0)) != 0) {
		bdbfile_err(&re, ret, "read", s->x->gpath);
		say(s->x, 1, "%s", re.msg);
		s->gdamaged = 1;
		return 0;
	}
	for (;;) {
		bdbfile_dbt_out(&k, kb, sizeof kb);
		bdbfile_dbt_out(&d, vb, sizeof vb);
		if ((ret = c->get(c, &k, &d, DB_NEXT)) == DB_NOTFOUND)
			break;
		if (ret != 0) {
			bdbfile_err(&re, ret, "read", s->x->gpath);
			say(s->x, 1, "%s: unreadable after %ld records", re.msg, n);
			s->gdamaged = 1;
			break;
		}
		n++;
		if (grant_record(&k, &d, &g) < 0) {
			say(s->x, 1, "%s: left out a damaged record: key %s", s->x->gpath,
			    shown(k.data, k.size, q, sizeof q));
			s->gdamaged = 1;
			continue;
		}
		vn = snprintf(v, sizeof v, "%" PRId64, g.pinned ? (int64_t)0 : g.expires);
		if (put_key(s->ng, g.addr, strlen(g.addr) + 1, v, (size_t)vn + 1, s->ngpath, e) < 0) {
			c->close(c);
			return -1;
		}
		s->read++;
	}
	c->close(c);
	return 0;
}

/* The change log's state ('S') of relaygate sync, if whole: 0 and s->log_*, or -1. */
static int
salvage_log_state(struct salvage *s, const unsigned char *v, size_t n)
{
	if (n != STATE_SIZE || (v[24] & ~1) != 0 || grantrec_be64_get(v) < 1 ||
	    grantrec_be64_get(v + 8) >= grantrec_be64_get(v))
		return -1;
	s->log_next = grantrec_be64_get(v);
	s->log_trimmed = grantrec_be64_get(v + 8);
	return 0;
}

/*
 * The details of the old grants-meta.db: kept for the grants kept; for a
 * grant grants.db lost (when it could not be read whole), the grant itself
 * comes back from its details.  relaygate sync's change log (its state and
 * every whole record of it) is kept as it was, so no change waiting to be
 * pushed is lost.  Orders and counts are derived: left behind.
 */
static int
salvage_meta(struct salvage *s, DB *old, struct err *e)
{
	unsigned char kb[GRANTDB_KEY_MAX + 64], vb[LOG_REC_MAX];
	char v[GRANTREC_VALUE_MAX], q[600];
	struct grantdb_change ch;
	struct grant kg, m, g;
	struct err re;
	DBC *c;
	DBT k, d;
	int ret, r, vn;

	if ((ret = old->cursor(old, NULL, &c, 0)) != 0) {
		bdbfile_err(&re, ret, "read", s->x->mpath);
		say(s->x, 1, "%s", re.msg);
		s->mdamaged = 1;
		return 0;
	}
	for (;;) {
		bdbfile_dbt_out(&k, kb, sizeof kb);
		bdbfile_dbt_out(&d, vb, sizeof vb);
		if ((ret = c->get(c, &k, &d, DB_NEXT)) == DB_NOTFOUND)
			break;
		if (ret != 0) {
			bdbfile_err(&re, ret, "read", s->x->mpath);
			say(s->x, 1, "%s: the rest cannot be read", re.msg);
			s->mdamaged = 1;
			break;
		}
		/* "C" comes before every 'a': counts above what grants.db gave say it lost some. */
		if (k.size == 1 && kb[0] == 'C' && d.size == 16 && !s->gdamaged &&
		    (long)grantrec_be64_get(vb) > s->read) {
			say(s->x, 1, "%s holds %ld grants and pins where its counts say %ld: the rest "
			    "come back from their details", s->x->gpath, s->read, (long)grantrec_be64_get(vb));
			s->gdamaged = 1;
		}
		/* "S" comes before every 'l'. */
		if (k.size == 1 && kb[0] == 'S') {
			if (salvage_log_state(s, vb, d.size) < 0) {
				say(s->x, 1, "%s: left out a damaged change log state (relaygate sync "
				    "sends every grant again)", s->x->mpath);
				s->mdamaged = 1;
			} else if (put_key(s->nm, kb, k.size, vb, d.size, s->nmpath, e) < 0) {
				c->close(c);
				return -1;
			}
			continue;
		}
		if (k.size > 0 && kb[0] == 'l') {
			if (s->log_next == 0)
				continue;	/* no log kept: nothing to keep it for */
			if (log_decode(kb, k.size, vb, d.size, &ch) < 0 ||
			    ch.seq <= s->log_trimmed || ch.seq >= s->log_next) {
				say(s->x, 1, "%s: left out a damaged change log record: key %s",
				    s->x->mpath, shown(kb, k.size, q, sizeof q));
				s->mdamaged = 1;
				continue;
			}
			if (put_key(s->nm, kb, k.size, vb, d.size, s->nmpath, e) < 0) {
				c->close(c);
				return -1;
			}
			s->logged++;
			continue;
		}
		if (k.size == 0 || kb[0] != 'a')
			continue;
		if (grantdb_key_parse(GRANTDB_BY_ADDR, kb, k.size, &kg) < 0 ||
		    grantrec_meta_decode(vb, d.size, &m) < 0) {
			say(s->x, 1, "%s: left out damaged details: key %s", s->x->mpath,
			    shown(kb, k.size, q, sizeof q));
			s->mdamaged = 1;
			continue;
		}
		if ((r = grant_of(s->ng, kg.addr, &g)) < 0) {
			err_set(e, ERR_TEMP, 0, "read %s", s->ngpath);
			c->close(c);
			return -1;
		}
		if (r == 0 && !s->gdamaged) {
			s->stale++;	/* details of a grant that is no more */
			continue;
		}
		if (r == 0) {
			if (!m.pinned && (m.expires <= 0 || m.expires > GRANTDB_EXPIRES_MAX))
				continue;	/* not a grant that could have been */
			vn = snprintf(v, sizeof v, "%" PRId64, m.pinned ? (int64_t)0 : m.expires);
			if (put_key(s->ng, kg.addr, strlen(kg.addr) + 1, v, (size_t)vn + 1,
			    s->ngpath, e) < 0) {
				c->close(c);
				return -1;
			}
			s->from_meta++;
			s->pins_from_meta += m.pinned;
		}
		if (put_key(s->nm, kb, k.size, vb, d.size, s->nmpath, e) < 0) {
			c->close(c);
			return -1;
		}
	}
	c->close(c);
	return 0;
}

/* Remove the scratch store made for a repair (its files are relaygate init's four). */
static void
scratch_remove(const char *dir)
{
	static const char *const names[] = { GRANTDB_FILE, GRANTDB_META, GRANTDB_JOURNAL,
	    GRANTDB_GATE };
	char p[PATH_MAX + 400];
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* Remove what a repair killed before its end left: its scratch stores. Under the exclusive lock. */
static void
scratch_sweep(struct fsck *x, const char *dir)
{
	char p[PATH_MAX + 300];
	struct dirent *d;
	struct stat st;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		if (strncmp(d->d_name, ".repair.", 8) != 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, d->d_name);
		if (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		scratch_remove(p);
		say(x, 0, "removed %s, the scratch store of a repair that was killed", p);
	}
	closedir(dp);
}

/* relaygate init's word on the store as repair finds it: each line a note. */
static void
init_note(const char *what, int fixed, void *arg)
{
	say(arg, 0, "%s%s", what, fixed ? "" : " (relaygate init --fix puts it right)");
}

/* Is the store file path there? 1, 0 (missing), -1 and e. */
static int
present(const char *path, struct err *e)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	err_set(e, ERR_TEMP, errno, "stat %s", path);
	return -1;
}

/*
 * Open the old file path of the store (read only, as safefile.h says) for
 * libdb: the handle, or NULL after saying why (*damaged set).
 */
static DB *
salvage_open(struct fsck *x, const char *path, int *damaged)
{
	struct stat st;
	struct err je;
	DB *d;
	int fd;

	if ((fd = safefile_open(path, O_RDONLY, x->owner, &st, &je)) < 0) {
		say(x, 1, "%s", je.msg);
		*damaged = 1;
		return NULL;
	}
	close(fd);
	if (bdbfile_open(&d, path, 1, 0, &st, &je) < 0) {
		say(x, 1, "%s", je.msg);
		*damaged = 1;
		return NULL;
	}
	return d;
}

int
grantdb_repair(const char *dir, const struct grantdb_opts *o, grantdb_note note,
    void *arg, struct grantdb_tally *t, struct err *e)
{
	struct fsck x = { note, arg, t, "", "", "", 0, 0 };
	char scratch[PATH_MAX], ng[PATH_MAX + 32], nm[PATH_MAX + 32];
	const char *paths[2], *src_names[2];
	int dst[2] = { -1, -1 }, src[2] = { -1, -1 };
	struct salvage s;
	struct grantdb *nd = NULL;
	struct grantdb_opts no = *o;
	DB *old;
	int lockfd = -1, jfd = -1, r, rc = -1, gmissing, mmissing;
	unsigned f;

	memset(t, 0, sizeof *t);
	memset(&s, 0, sizeof s);
	s.x = &x;
	scratch[0] = '\0';
	if (fsck_paths(&x, dir, e) < 0)
		return -1;
	if (bdbfile_pagelog() < 0) {
		err_set(e, ERR_TEMP, errno, "set up Berkeley DB I/O for %s", dir);
		return -1;
	}
	if (fsck_dir(&x, dir, e) < 0)
		return -1;
	paths[0] = x.gpath;
	paths[1] = x.mpath;
	if ((gmissing = present(x.gpath, e)) < 0 || (mmissing = present(x.mpath, e)) < 0)
		return -1;
	gmissing = !gmissing;
	mmissing = !mmissing;
	if (gmissing) {
		say(&x, 1, "%s was missing: made anew as relaygate init makes it, from the "
		    "details in %s", x.gpath, x.mpath);
		s.gdamaged = 1;
	}
	if (mmissing)
		say(&x, 0, "%s was missing: made anew as relaygate init makes it, from %s",
		    x.mpath, x.gpath);
	/*
	 * Only relaygate init makes a store file: what is missing is made as
	 * it makes it (O_EXCL, the directory's owner and group, its modes);
	 * what else it would put right is named, left for relaygate init --fix.
	 */
	if (grantdb_init(dir, x.owner, x.group, GRANTDB_INIT_CREATE, init_note, &x, e) < 0)
		return -1;
	if ((lockfd = safefile_open(x.gpath, O_RDWR, x.owner, NULL, e)) < 0)
		return -1;
	if (lock_path(lockfd, x.gpath, LOCK_EX, o->lock_timeout_ms, e) < 0)
		goto out;
	/* Never a journal of anyone but the store's owner (relaygate init --fix empties it). */
	if ((jfd = safefile_open(x.jpath, O_RDWR, x.owner, NULL, e)) < 0)
		goto out;
	/* A dead writer's change first: it is part of the store.  A journal
	 * without a valid end is never applied; a copy goes aside first. */
	if ((r = pagelog_check(jfd, x.jpath, 2, e)) < 0)
		goto out;
	if (r == 2) {
		set_aside_fd(&x, jfd, x.jpath);
		say(&x, 1, "emptied %s: an unfinished or damaged change, never applied", x.jpath);
	}
	if (pagelog_finish(lockfd, x.gpath, jfd, x.jpath, x.owner, o->lock_timeout_ms,
	    paths, 2, o->sync, e) < 0)
		goto out;
	if (r == 1)
		say(&x, 0, "finished the change a dead writer left in %s", x.jpath);

	/* The new store, built beside the old one: a scratch store of this
	 * process's own, made as relaygate init makes one, removed after. */
	scratch_sweep(&x, dir);
	if (snprintf(scratch, sizeof scratch, "%s/.repair.XXXXXX", dir) >= (int)sizeof scratch ||
	    mkdtemp(scratch) == NULL) {
		err_set(e, ERR_TEMP, errno, "make a directory in %s", dir);
		scratch[0] = '\0';
		goto out;
	}
	if (grantdb_init(scratch, geteuid(), getegid(), GRANTDB_INIT_CREATE, NULL, NULL, e) < 0)
		goto out;
	snprintf(ng, sizeof ng, "%s/%s", scratch, GRANTDB_FILE);
	snprintf(nm, sizeof nm, "%s/%s", scratch, GRANTDB_META);
	s.ngpath = ng;
	s.nmpath = nm;
	if (bdbfile_open(&s.ng, ng, 0, 0, NULL, e) < 0 || bdbfile_open(&s.nm, nm, 0, 0, NULL, e) < 0)
		goto out;
	if (!gmissing && (old = salvage_open(&x, x.gpath, &s.gdamaged)) != NULL) {
		r = salvage_grants(&s, old, e);
		old->close(old, DB_NOSYNC);
		if (r < 0)
			goto out;
	}
	if (!mmissing && (old = salvage_open(&x, x.mpath, &s.mdamaged)) != NULL) {
		r = salvage_meta(&s, old, e);
		old->close(old, DB_NOSYNC);
		if (r < 0)
			goto out;
	}
	if (s.from_meta > 0)
		say(&x, 0, "brought back %ld grants and pins (%ld pinned) that %s had lost, from their details in %s",
		    s.from_meta, s.pins_from_meta, x.gpath, x.mpath);
	if (s.stale > 0)
		say(&x, 0, "dropped the details of %ld grants that are no more", s.stale);
	if (s.log_next > 0)
		say(&x, 0, "kept the change log of relaygate sync (%ld records)", s.logged);
	r = s.ng->close(s.ng, 0) | s.nm->close(s.nm, 0);
	s.ng = s.nm = NULL;
	if (r != 0) {
		bdbfile_err(e, r, "write", scratch);
		goto out;
	}
	/* Orders, counts and format from what was kept: the upgrade's own rebuild. */
	if ((nd = grantdb_open(scratch, GRANTDB_WRITE, &no, e)) == NULL ||
	    grantdb_commit(nd, e) < 0)
		goto out;
	t->grants = nd->n.total;
	t->pinned = nd->n.pinned;
	grantdb_close(nd);
	nd = NULL;
	if (s.gdamaged && !gmissing)
		set_aside(&x, x.gpath);
	if (s.mdamaged && !mmissing)
		set_aside(&x, x.mpath);
	/* Into the old files, through their journal: owners, modes and locks stay. */
	src_names[0] = ng;
	src_names[1] = nm;
	for (f = 0; f < 2; f++)
		if ((dst[f] = safefile_open(paths[f], O_RDWR, x.owner, NULL, e)) < 0 ||
		    (src[f] = safefile_open(src_names[f], O_RDONLY, SAFEFILE_ANY_OWNER, NULL, e)) < 0)
			goto out;
	if ((r = pagelog_replace(jfd, x.jpath, dst, paths, src, src_names, 2, o->sync, e)) < 0)
		goto out;
	if (r == 1)
		say(&x, 0, "%s; the next opener of the store finishes it", e->msg);
	futimens(lockfd, NULL);	/* Postfix: the table changed */
	say(&x, 0, "kept %ld grants and pins (%ld pinned); rebuilt the details, orders and counts of %s",
	    t->grants, t->pinned, x.mpath);
	rc = 0;
out:
	for (f = 0; f < 2; f++) {
		if (dst[f] >= 0)
			close(dst[f]);
		if (src[f] >= 0)
			close(src[f]);
	}
	if (s.ng != NULL)
		s.ng->close(s.ng, DB_NOSYNC);
	if (s.nm != NULL)
		s.nm->close(s.nm, DB_NOSYNC);
	grantdb_close(nd);
	if (scratch[0] != '\0')
		scratch_remove(scratch);
	if (jfd >= 0)
		close(jfd);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}
