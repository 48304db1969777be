/*
 * bdbfile: what every Berkeley DB file of relaygate needs, written once:
 * opening one without an environment, making a new one so that nobody ever
 * sees it half-made, locking it with a time limit, and turning libdb's
 * errors (and its own messages, never printed) into a struct err.
 */
#ifndef RG_BDBFILE_H
#define RG_BDBFILE_H

#include <db.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/err.h"

/*
 * Open the btree at path (rdonly or read-write), with cache bytes of cache
 * (0: libdb's).  Every file libdb opens is opened without following a link
 * and must be a regular file; same, when not NULL, is the fstat of the file
 * the caller checked, and libdb's must be that one.  0, or -1 and e.
 */
int bdbfile_open(DB **dbp, const char *path, int rdonly, size_t cache,
    const struct stat *same, struct err *e);

/*
 * Make an empty btree at path with exactly mode, uid and gid ((uid_t)-1,
 * (gid_t)-1: the creator's) and pagesize, unless something is there: built
 * under a private name (O_EXCL) and linked into place, so two processes
 * creating at once end up with the same one.  0, or -1 and e.
 */
int bdbfile_ensure(const char *path, mode_t mode, uid_t uid, gid_t gid, unsigned pagesize,
    struct err *e);

/* Route libdb's I/O through pagelog (pagelog.h); before the first db_create. 0, or -1. */
int bdbfile_pagelog(void);

/* libdb's own check of the btree at path (DB->verify), read only. 0, or -1 and e saying what it found. */
int bdbfile_verify(const char *path, struct err *e);

/* A DBT holding n bytes at p (a key or a value to store). */
void bdbfile_dbt_in(DBT *d, const void *p, size_t n);

/* A DBT for libdb to fill, into buf of cap bytes. */
void bdbfile_dbt_out(DBT *d, void *buf, size_t cap);

/* e from libdb's return code ret for operation op on path. */
void bdbfile_err(struct err *e, int ret, const char *op, const char *path);

#endif
