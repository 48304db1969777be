/*
 * rulescdb: tcp.smtp.cdb, the compiled rules tcpserver -x reads.
 *
 * Written with tinycdb, which lays a cdb out byte for byte as djb's
 * cdb_make in tcprules does; built under a temporary name in the same
 * directory, synced and renamed into place, so tcpserver never opens a
 * half-written file and a failed compile leaves the old one untouched.
 */
#ifndef RG_RULESCDB_H
#define RG_RULESCDB_H

#include <stddef.h>

#include "core/err.h"

struct rulescdb_writer;

/* Start a new cdb that will replace path.  NULL and e on failure. */
struct rulescdb_writer *rulescdb_create(const char *path, struct err *e);

/* Add a record (duplicates kept, the first wins on look-up). 0, or -1 and e. */
int rulescdb_add(struct rulescdb_writer *w, const char *key, size_t klen,
    const char *data, size_t dlen, struct err *e);

/* Finish, sync and rename into place; the writer is freed either way. 0, or -1 and e. */
int rulescdb_commit(struct rulescdb_writer *w, struct err *e);

/* Drop the new cdb; the old one stays. */
void rulescdb_abort(struct rulescdb_writer *w);

struct rulescdb;

struct rulescdb *rulescdb_open(const char *path, struct err *e);

/* The first record under key: 1 and the data in buf (*dlen bytes), 0 none, -1 and e. */
int rulescdb_find(struct rulescdb *db, const char *key, size_t klen, char *buf,
    size_t cap, size_t *dlen, struct err *e);

void rulescdb_close(struct rulescdb *db);

#endif
