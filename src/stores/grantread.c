/* grantread: the grants store read for one address, without libdb; see grantread.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "stores/grantrec.h"
#include "stores/grantread.h"
#include "stores/pagelog.h"
#include "stores/safefile.h"


int
grantread_open(struct grantread *r, const char *dir, const struct grantdb_opts *o,
    struct err *e)
{
	const char *paths[2];

	memset(r, 0, sizeof *r);
	r->metafd = -1;
	if (grantlock_open(&r->l, dir, 0, o->lock_timeout_ms, e) < 0)
		return -1;
	paths[0] = r->l.gpath;
	paths[1] = r->l.mpath;
	if (pagelog_finish(r->l.lockfd, r->l.gpath, -1, r->l.jpath, r->l.owner,
	    o->lock_timeout_ms, paths, 2, o->sync, e) < 0 ||
	    btread_open(&r->grants, r->l.lockfd, r->l.gpath, e) < 0) {
		grantlock_close(&r->l);
		return -1;
	}
	return 0;
}

/* The value under key in t (path for messages), as grantdb's get_into: 1 and *n, 0, -1 and e. */
static int
get_into(struct btread *t, const void *key, size_t klen, void *buf, size_t cap, size_t *n,
    const char *path, const char *addr, struct err *e)
{
	int rc = btread_get(t, key, klen, buf, cap, n, e);

	if (rc == 1 && *n > cap)
		return grantrec_damaged(e, path, addr);
	return rc;
}

int
grantread_lookup(struct grantread *r, const char *addr, int64_t *expires, int *pinned,
    struct err *e)
{
	char v[GRANTREC_VALUE_MAX];
	size_t n;
	int rc;

	if (strlen(addr) >= ADDR_TEXT_MAX)
		return 0;
	rc = get_into(&r->grants, addr, strlen(addr) + 1, v, sizeof v, &n, r->l.gpath, addr, e);
	if (rc == 1 && grantrec_value_decode(v, n, expires, pinned) < 0)
		return grantrec_damaged(e, r->l.gpath, addr);
	return rc;
}

/* grants-meta.db, opened once: 1 open, 0 there is none, -1 and e. */
static int
open_meta(struct grantread *r, struct err *e)
{
	if (r->meta_state == 0) {
		r->meta_state = -1;
		r->metafd = safefile_open(r->l.mpath, O_RDONLY, r->l.owner, NULL, &r->meta_err);
		if (r->metafd >= 0 && btread_open(&r->meta, r->metafd, r->l.mpath, &r->meta_err) == 0)
			r->meta_state = 1;
	}
	if (r->meta_state == 1)
		return 1;
	*e = r->meta_err;
	/* Nothing but grants.db: no details to show, as grantdb says. */
	return r->metafd < 0 && r->meta_err.errnum == ENOENT ? 0 : -1;
}

int
grantread_details(struct grantread *r, const char *addr, struct grant *g, struct err *e)
{
	unsigned char kb[1 + GRANTREC_ABIN_MAX], v[GRANTREC_META_MAX];
	size_t n, an;
	int rc;

	if ((rc = open_meta(r, e)) <= 0) {
		if (rc == 0)
			err_set(e, ERR_TEMP, ENOENT, "open %s", r->l.mpath);
		return rc;
	}
	if ((an = grantrec_addr_bin(addr, kb + 1)) == 0)
		rc = 0;
	else {
		kb[0] = 'a';
		rc = get_into(&r->meta, kb, an + 1, v, sizeof v, &n, r->l.mpath, addr, e);
	}
	if (rc == 1 && grantrec_meta_decode(v, n, g) < 0)
		return grantrec_damaged(e, r->l.mpath, addr);
	if (rc == 1)
		snprintf(g->addr, sizeof g->addr, "%s", addr);
	if (rc == 0)
		err_set(e, ERR_PERM, 0, "%s holds no details for %s", r->l.mpath, addr);
	return rc;
}

void
grantread_close(struct grantread *r)
{
	btread_close(&r->grants);
	if (r->meta_state == 1)
		btread_close(&r->meta);
	if (r->metafd >= 0)
		close(r->metafd);
	grantlock_close(&r->l);
}
