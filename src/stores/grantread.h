/*
 * grantread: what the grants store says of one address, read without
 * libdb.  relaygate-check asks this once per SMTP connection; going
 * through libdb cost more than the rest of the program (issue 14).  The
 * store is found, checked and locked as every opener does (grantlock.h), a
 * journal a dead writer left is finished first (pagelog.h), and the two
 * btree files are read with btread.h.  Answers are grantdb.h's, word for
 * word: the two must never disagree.
 */
#ifndef RG_GRANTREAD_H
#define RG_GRANTREAD_H

#include <stdint.h>

#include "core/err.h"
#include "core/grant.h"
#include "stores/btread.h"
#include "stores/grantdb.h"
#include "stores/grantlock.h"

struct grantread {
	struct grantlock l;
	struct btread grants;
	struct btread meta;
	int metafd;		/* grants-meta.db, once a pin needs it, or -1 */
	int meta_state;		/* 0 not tried, 1 open, -1 failed (meta_err says why) */
	struct err meta_err;
};

/* Open the store in dir for reading, as grantdb_open(GRANTDB_READ) does (o->cache_bytes unused). 0, or -1 and e. */
int grantread_open(struct grantread *r, const char *dir, const struct grantdb_opts *o,
    struct err *e);

/* grantdb_lookup: what grants.db says of addr: 1 with *expires and *pinned, 0 absent, -1 and e. */
int grantread_lookup(struct grantread *r, const char *addr, int64_t *expires, int *pinned,
    struct err *e);

/* grantdb_details: addr's details record: 1 and *g; 0 none (e says why); -1 and e. */
int grantread_details(struct grantread *r, const char *addr, struct grant *g, struct err *e);

/* Close the files, dropping the lock. */
void grantread_close(struct grantread *r);

#endif
