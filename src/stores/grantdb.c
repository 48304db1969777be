/* grantdb: the Berkeley DB grants store; see grantdb.h for the format. */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "stores/bdbfile.h"
#include "stores/grantdb.h"
#include "stores/pagelog.h"

#define META_VERSION 1
#define META_PINNED 1
#define META_RELAYCLIENT 2
#define META_MAX (18 + 4 * (2 + GRANT_TEXT_MAX + GRANT_USER_MAX))
#define VALUE_MAX 24		/* 20 digits, NUL, slack */
#define IDX_KEY_MAX (1 + 8 + ADDR_TEXT_MAX)
/* Small pages: a sweep deletes grants scattered over the whole tree, and
 * each page it touches is journalled and written back whole. */
#define GRANTDB_PAGESIZE 1024

struct grantdb {
	enum grantdb_mode mode;
	struct grantdb_opts o;
	int lockfd;
	int gatefd;		/* the turnstile, or -1 */
	DB *grants;
	DB *meta;		/* NULL until needed (reads) or absent */
	int meta_tried;
	int dirty;
	time_t mtime;		/* grants.db's mtime when last seen */
	char gpath[PATH_MAX], mpath[PATH_MAX], jpath[PATH_MAX], tpath[PATH_MAX];
};

static int
take(struct grantdb *db, int op, struct err *e)
{
	return bdbfile_lock(db->lockfd, db->gpath, op, db->o.lock_timeout_ms, e);
}

/*
 * Lock grants.db for mode, through the turnstile: a writer keeps the gate
 * while it waits, so readers that come after it wait too; a reader only
 * passes through.  Without a gate file (a store made by someone else) the
 * plain lock is taken.
 */
static int
take_turn(struct grantdb *db, struct err *e)
{
	int w = db->mode == GRANTDB_WRITE;

	db->gatefd = open(db->tpath, (w ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC, 0664);
	if (db->gatefd < 0 && errno != ENOENT && errno != EACCES) {
		err_set(e, ERR_TEMP, errno, "open %s", db->tpath);
		return -1;
	}
	if (db->gatefd >= 0 && bdbfile_lock(db->gatefd, db->tpath, w ? LOCK_EX : LOCK_SH, db->o.lock_timeout_ms, e) < 0)
		return -1;
	if (!w && db->gatefd >= 0)
		flock(db->gatefd, LOCK_UN);
	if (take(db, w ? LOCK_EX : LOCK_SH, e) < 0)
		return -1;
	if (w && db->gatefd >= 0)
		flock(db->gatefd, LOCK_UN);
	return 0;
}

static int
open_meta(struct grantdb *db, struct err *e)
{
	if (db->meta != NULL || db->meta_tried)
		return 0;
	db->meta_tried = 1;
	if (db->mode == GRANTDB_READ && access(db->mpath, F_OK) < 0 && errno == ENOENT)
		return 0;	/* nothing but grants.db: no details to show */
	return bdbfile_open(&db->meta, db->mpath, db->mode == GRANTDB_READ,
	    db->o.cache_bytes, e);
}

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
	db->lockfd = -1;
	db->gatefd = -1;
	if (snprintf(db->gpath, sizeof db->gpath, "%s/%s", dir, GRANTDB_FILE) >= PATH_MAX ||
	    snprintf(db->mpath, sizeof db->mpath, "%s/%s", dir, GRANTDB_META) >= PATH_MAX ||
	    snprintf(db->jpath, sizeof db->jpath, "%s/%s", dir, GRANTDB_JOURNAL) >= PATH_MAX ||
	    snprintf(db->tpath, sizeof db->tpath, "%s/%s", dir, GRANTDB_GATE) >= PATH_MAX) {
		err_set(e, ERR_PERM, ENAMETOOLONG, "open store in %s", dir);
		goto fail;
	}
	if (pagelog_install() < 0) {
		err_set(e, ERR_TEMP, errno, "set up Berkeley DB I/O for %s", dir);
		goto fail;
	}
	if (mode == GRANTDB_WRITE && stat(dir, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "open directory %s", dir);
		goto fail;
	}
	if (mode == GRANTDB_WRITE && !o->no_create &&
	    (bdbfile_ensure(db->mpath, 0660, GRANTDB_PAGESIZE, e) < 0 || bdbfile_ensure(db->gpath, 0664, GRANTDB_PAGESIZE, e) < 0))
		goto fail;

	db->lockfd = open(db->gpath, (mode == GRANTDB_WRITE ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (db->lockfd < 0) {
		err_set(e, ERR_TEMP, errno, "open %s", db->gpath);
		goto fail;
	}
	if (take_turn(db, e) < 0)
		goto fail;
	paths[0] = db->gpath;
	paths[1] = db->mpath;
	if (bdbfile_finish_journal(db->lockfd, db->gpath, mode == GRANTDB_WRITE,
	    db->o.lock_timeout_ms, db->jpath, paths, 2, db->o.sync, e) < 0)
		goto fail;
	if (bdbfile_open(&db->grants, db->gpath, mode == GRANTDB_READ,
	    db->o.cache_bytes, e) < 0)
		goto fail;
	if (mode == GRANTDB_READ)
		return db;

	if (open_meta(db, e) < 0)
		goto fail;
	if (fstat(db->lockfd, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", db->gpath);
		goto fail;
	}
	db->mtime = st.st_mtime;
	pagelog_begin();
	db->grants->get_pagesize(db->grants, &gps);
	db->meta->get_pagesize(db->meta, &mps);
	if ((ret = db->grants->fd(db->grants, &fd)) != 0 ||
	    pagelog_watch(fd, 0, gps, db->gpath) < 0) {
		bdbfile_err(e, ret ? ret : errno, "watch", db->gpath);
		goto fail;
	}
	if ((ret = db->meta->fd(db->meta, &fd)) != 0 ||
	    pagelog_watch(fd, 1, mps, db->mpath) < 0) {
		bdbfile_err(e, ret ? ret : errno, "watch", db->mpath);
		goto fail;
	}
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
	if (db->lockfd >= 0)
		close(db->lockfd);
	if (db->gatefd >= 0)
		close(db->gatefd);
	free(db);
}

/* --- records --- */

static void
be64_put(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t
be64_get(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int
put_str(unsigned char *buf, size_t *pos, size_t cap, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n >= max || *pos + 2 + n > cap)
		return -1;
	buf[(*pos)++] = (unsigned char)(n >> 8);
	buf[(*pos)++] = (unsigned char)n;
	memcpy(buf + *pos, s, n);
	*pos += n;
	return 0;
}

static int
get_str(const unsigned char *buf, size_t *pos, size_t size, char *out, size_t max)
{
	size_t n;

	if (*pos + 2 > size)
		return -1;
	n = (size_t)buf[*pos] << 8 | buf[*pos + 1];
	*pos += 2;
	if (n >= max || *pos + n > size || memchr(buf + *pos, '\0', n) != NULL)
		return -1;
	memcpy(out, buf + *pos, n);
	out[n] = '\0';
	*pos += n;
	return 0;
}

static int
meta_encode(const struct grant *g, unsigned char *buf, size_t *len)
{
	size_t pos = 18;

	buf[0] = META_VERSION;
	buf[1] = (unsigned char)((g->pinned ? META_PINNED : 0) |
	    (g->has_relayclient ? META_RELAYCLIENT : 0));
	be64_put(buf + 2, (uint64_t)g->expires);
	be64_put(buf + 10, (uint64_t)g->granted);
	if (put_str(buf, &pos, META_MAX, g->user, GRANT_USER_MAX) < 0 ||
	    put_str(buf, &pos, META_MAX, g->proto, GRANT_PROTO_MAX) < 0 ||
	    put_str(buf, &pos, META_MAX, g->relayclient, GRANT_TEXT_MAX) < 0 ||
	    put_str(buf, &pos, META_MAX, g->note, GRANT_TEXT_MAX) < 0)
		return -1;
	*len = pos;
	return 0;
}

/* The one checked copy-in of a meta record (STYLE 12). */
static int
meta_decode(const unsigned char *buf, size_t size, struct grant *g)
{
	size_t pos = 18;

	if (size < 18 || buf[0] != META_VERSION ||
	    (buf[1] & ~(META_PINNED | META_RELAYCLIENT)) != 0)
		return -1;
	g->pinned = (buf[1] & META_PINNED) != 0;
	g->has_relayclient = (buf[1] & META_RELAYCLIENT) != 0;
	g->expires = (int64_t)be64_get(buf + 2);
	g->granted = (int64_t)be64_get(buf + 10);
	if (get_str(buf, &pos, size, g->user, GRANT_USER_MAX) < 0 ||
	    get_str(buf, &pos, size, g->proto, GRANT_PROTO_MAX) < 0 ||
	    get_str(buf, &pos, size, g->relayclient, GRANT_TEXT_MAX) < 0 ||
	    get_str(buf, &pos, size, g->note, GRANT_TEXT_MAX) < 0 || pos != size)
		return -1;
	return 0;
}

/* grants.db value: digits, with or without the trailing NUL. */
static int
value_decode(const char *v, size_t size, int64_t *expires, int *pinned)
{
	int64_t x = 0;
	size_t i, n = size;

	if (n > 0 && v[n - 1] == '\0')
		n--;
	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	*pinned = (x == 0);
	*expires = x;
	return 0;
}

/*
 * Where a grant's details live in grants-meta.db: a pin under 'p' ADDRESS,
 * a grant under 'x' EXPIRY ADDRESS, which is also the expiry index, so a
 * sweep deletes one contiguous run of keys there.  grants.db's value gives
 * the expiry that finds the record.
 */
static size_t
rec_key(unsigned char *k, const char *addr, int pinned, int64_t expires)
{
	size_t n = strlen(addr);

	if (pinned) {
		k[0] = 'p';
		memcpy(k + 1, addr, n);
		return n + 1;
	}
	k[0] = 'x';
	be64_put(k + 1, (uint64_t)expires);
	memcpy(k + 9, addr, n);
	return n + 9;
}

static int
damaged(struct err *e, const char *path, const char *addr)
{
	err_set(e, ERR_PERM, 0, "%s: damaged record for %s", path, addr);
	return -1;
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
		return damaged(e, path, addr);
	if (ret != 0) {
		bdbfile_err(e, ret, "read", path);
		return -1;
	}
	*n = v.size;
	return 1;
}

int
grantdb_lookup(struct grantdb *db, const char *addr, int64_t *expires,
    int *pinned, struct err *e)
{
	char v[VALUE_MAX];
	size_t n;
	int r;

	if (strlen(addr) >= ADDR_TEXT_MAX)
		return 0;
	r = get_into(db->grants, addr, strlen(addr) + 1, v, sizeof v, &n,
	    db->gpath, addr, e);
	if (r == 1 && value_decode(v, n, expires, pinned) < 0)
		return damaged(e, db->gpath, addr);
	return r;
}

/* The meta record of addr's grant or pin: 1 and *g, 0 none, -1 and e. */
static int
meta_get(struct grantdb *db, const char *addr, int pinned, int64_t expires,
    struct grant *g, struct err *e)
{
	unsigned char kb[IDX_KEY_MAX], v[META_MAX];
	size_t n;
	int r;

	if (open_meta(db, e) < 0)
		return -1;
	if (db->meta == NULL)
		return 0;
	r = get_into(db->meta, kb, rec_key(kb, addr, pinned, expires), v, sizeof v,
	    &n, db->mpath, addr, e);
	if (r == 1 && meta_decode(v, n, g) < 0)
		return damaged(e, db->mpath, addr);
	return r;
}

/* A grant from grants.db's word on relaying and the meta record's details. */
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
	if ((r = meta_get(db, addr, pinned, expires, &m, e)) < 0)
		return -1;
	if (r == 1 && m.pinned == pinned && (pinned || m.expires == expires)) {
		g->granted = m.granted;
		memcpy(g->user, m.user, sizeof g->user);
		memcpy(g->proto, m.proto, sizeof g->proto);
		g->has_relayclient = m.has_relayclient;
		memcpy(g->relayclient, m.relayclient, sizeof g->relayclient);
		memcpy(g->note, m.note, sizeof g->note);
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

static int
must_write(struct grantdb *db, struct err *e)
{
	if (db->mode == GRANTDB_WRITE)
		return 0;
	err_set(e, ERR_PERM, EBADF, "write %s", db->gpath);
	return -1;
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

/* Remove the meta record of addr's current grant or pin: 1, 0 no grant, -1. */
static int
meta_del(struct grantdb *db, const char *addr, struct err *e)
{
	unsigned char kb[IDX_KEY_MAX];
	int64_t expires;
	int pinned, r;

	if ((r = grantdb_lookup(db, addr, &expires, &pinned, e)) <= 0)
		return r;
	if (del_key(db->meta, kb, rec_key(kb, addr, pinned, expires), db->mpath, e) < 0)
		return -1;
	return 1;
}

int
grantdb_put(struct grantdb *db, const struct grant *g, struct err *e)
{
	unsigned char kb[IDX_KEY_MAX], mv[META_MAX];
	char v[VALUE_MAX];
	size_t mlen;
	int vn;

	if (must_write(db, e) < 0)
		return -1;
	if (strlen(g->addr) == 0 || strlen(g->addr) >= ADDR_TEXT_MAX ||
	    (!g->pinned && g->expires <= 0) || meta_encode(g, mv, &mlen) < 0) {
		err_set(e, ERR_PERM, 0, "write %s: grant for %s out of bounds",
		    db->gpath, g->addr);
		return -1;
	}
	vn = snprintf(v, sizeof v, "%" PRId64, g->pinned ? (int64_t)0 : g->expires);
	if (meta_del(db, g->addr, e) < 0 ||
	    put_key(db->grants, g->addr, strlen(g->addr) + 1, v, (size_t)vn + 1,
		db->gpath, e) < 0 ||
	    put_key(db->meta, kb, rec_key(kb, g->addr, g->pinned, g->expires),
		mv, mlen, db->mpath, e) < 0)
		return -1;
	db->dirty = 1;
	return 0;
}

int
grantdb_del(struct grantdb *db, const char *addr, struct err *e)
{
	int g;

	if (must_write(db, e) < 0)
		return -1;
	if (strlen(addr) >= ADDR_TEXT_MAX)
		return 0;
	/* The details first: grants.db's value says where they are. */
	if (meta_del(db, addr, e) < 0 ||
	    (g = del_key(db->grants, addr, strlen(addr) + 1, db->gpath, e)) < 0)
		return -1;
	if (g)
		db->dirty = 1;
	return g;
}

int
grantdb_each(struct grantdb *db, int (*fn)(const struct grant *, void *),
    void *arg, struct err *e)
{
	char kb[ADDR_TEXT_MAX + 1], v[VALUE_MAX];
	struct grant g;
	int64_t expires;
	int pinned, ret, rc = 0;
	DBC *c;
	DBT k, d;

	if ((ret = db->grants->cursor(db->grants, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->gpath);
		return -1;
	}
	for (;;) {
		bdbfile_dbt_out(&k, kb, sizeof kb - 1);
		bdbfile_dbt_out(&d, v, sizeof v);
		ret = c->get(c, &k, &d, DB_NEXT);
		if (ret == DB_NOTFOUND)
			break;
		if (ret == DB_BUFFER_SMALL) {
			rc = damaged(e, db->gpath, "a key or value");
			break;
		}
		if (ret != 0) {
			bdbfile_err(e, ret, "read", db->gpath);
			rc = -1;
			break;
		}
		kb[k.size] = '\0';	/* with or without its own NUL */
		if (strlen(kb) == 0 || value_decode(v, d.size, &expires, &pinned) < 0) {
			rc = damaged(e, db->gpath, kb);
			break;
		}
		if (assemble(db, kb, expires, pinned, &g, e) < 0) {
			rc = -1;
			break;
		}
		if ((rc = fn(&g, arg)) != 0)
			break;
	}
	c->close(c);
	return rc;
}

/* Up to max index entries due at now, as "expiry address" pairs. */
struct due {
	int64_t expires;
	char addr[ADDR_TEXT_MAX];
};

static int
collect_due(struct grantdb *db, int64_t now, struct due *out, size_t max,
    size_t *n, struct err *e)
{
	unsigned char kb[IDX_KEY_MAX + 1];
	DBC *c;
	DBT k, d;
	int ret, rc = 0;
	u_int32_t flag = DB_SET_RANGE;

	*n = 0;
	if (open_meta(db, e) < 0)
		return -1;
	if (db->meta == NULL)
		return 0;
	if ((ret = db->meta->cursor(db->meta, NULL, &c, 0)) != 0) {
		bdbfile_err(e, ret, "read", db->mpath);
		return -1;
	}
	kb[0] = 'x';
	while (*n < max) {
		bdbfile_dbt_out(&k, kb, sizeof kb - 1);
		if (flag == DB_SET_RANGE)
			k.size = 1;
		memset(&d, 0, sizeof d);
		d.flags = DB_DBT_PARTIAL;	/* the value is empty anyway */
		ret = c->get(c, &k, &d, flag);
		flag = DB_NEXT;
		if (ret == DB_NOTFOUND)
			break;
		if (ret != 0) {
			if (ret == DB_BUFFER_SMALL)
				rc = damaged(e, db->mpath, "an index key");
			else
				bdbfile_err(e, ret, "read", db->mpath);
			rc = -1;
			break;
		}
		if (kb[0] != 'x')
			break;
		if (k.size < 10 || k.size - 9 >= ADDR_TEXT_MAX) {
			rc = damaged(e, db->mpath, "an index key");
			break;
		}
		out[*n].expires = (int64_t)be64_get(kb + 1);
		if (out[*n].expires > now)
			break;
		memcpy(out[*n].addr, kb + 9, k.size - 9);
		out[*n].addr[k.size - 9] = '\0';
		(*n)++;
	}
	c->close(c);
	return rc;
}

int
grantdb_next_expiry(struct grantdb *db, int64_t *when, struct err *e)
{
	struct due first;
	size_t n;

	if (collect_due(db, INT64_MAX, &first, 1, &n, e) < 0)
		return -1;
	if (n == 0)
		return 0;
	*when = first.expires;
	return 1;
}

int
grantdb_expire(struct grantdb *db, int64_t now, long *removed, struct err *e)
{
	enum { BATCH = 4096 };
	struct due *due;
	unsigned char kb[IDX_KEY_MAX];
	int64_t expires;
	size_t n, i;
	int pinned, r, match, rc = 0;

	*removed = 0;
	if (must_write(db, e) < 0)
		return -1;
	if ((due = malloc(BATCH * sizeof *due)) == NULL) {
		err_set(e, ERR_TEMP, errno, "expire %s", db->gpath);
		return -1;
	}
	do {
		if ((rc = collect_due(db, now, due, BATCH, &n, e)) < 0)
			break;
		for (i = 0; i < n && rc == 0; i++) {
			const char *a = due[i].addr;

			/* grants.db decides: only the grant this entry is for goes. */
			r = grantdb_lookup(db, a, &expires, &pinned, e);
			match = r == 1 && !pinned && expires == due[i].expires;
			if (r < 0 ||
			    (match && del_key(db->grants, a, strlen(a) + 1, db->gpath, e) < 0) ||
			    del_key(db->meta, kb, rec_key(kb, a, 0, due[i].expires),
			     db->mpath, e) < 0)
				rc = -1;
			else if (match)
				(*removed)++;
			db->dirty = 1;
		}
	} while (rc == 0 && n == BATCH);
	free(due);
	return rc;
}

int
grantdb_size(struct grantdb *db, int64_t *bytes, struct err *e)
{
	struct stat st;

	*bytes = 0;
	if (stat(db->gpath, &st) < 0) {
		err_set(e, ERR_TEMP, errno, "stat %s", db->gpath);
		return -1;
	}
	*bytes += st.st_size;
	if (stat(db->mpath, &st) == 0)
		*bytes += st.st_size;
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
	if (futimens(db->lockfd, t) == 0)
		db->mtime = t[1].tv_sec;
	else
		/* Not the owner (a setgid writer): "now" is all we may set. */
		futimens(db->lockfd, NULL);
}

int
grantdb_commit(struct grantdb *db, struct err *e)
{
	int ret;

	if (must_write(db, e) < 0)
		return -1;
	if (!db->dirty)
		return 0;
	if ((ret = db->grants->sync(db->grants, 0)) != 0) {
		bdbfile_err(e, ret, "write", db->gpath);
		return -1;
	}
	if ((ret = db->meta->sync(db->meta, 0)) != 0) {
		bdbfile_err(e, ret, "write", db->mpath);
		return -1;
	}
	if (pagelog_commit(db->jpath, db->o.sync, e) < 0)
		return -1;
	bump_mtime(db);
	db->dirty = 0;
	return 0;
}
