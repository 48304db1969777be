/*
 * pwdb: the POP password store: per user the secret APOP needs (RFC 1939
 * digests are made from the plaintext), in one Berkeley DB btree file.
 *
 * Key: the user name; value: a version byte (1) and the secret.  The file
 * is created mode 0600 (0640 is fine for a dedicated group); a file that
 * others may read or write is refused.  Locking and crash safety are the
 * grants store's: flock, and page writes through pagelog.  No secret ever
 * goes into an error message.
 */
#ifndef RG_PWDB_H
#define RG_PWDB_H

#include <stddef.h>

#include "core/err.h"

#define PWDB_SECRET_MAX 255
#define PWDB_USER_MAX 255

struct pwdb;

/*
 * Open the store at path; write takes the exclusive lock, create (with
 * write) makes a missing file.  NULL and e on failure.
 */
struct pwdb *pwdb_open(const char *path, int write, int create, long timeout_ms,
    int sync, struct err *e);

/* user's secret into buf (cap >= PWDB_SECRET_MAX + 1, NUL-terminated): 1, 0 none, -1 and e. */
int pwdb_get(struct pwdb *db, const char *user, char *buf, size_t cap, struct err *e);

int pwdb_put(struct pwdb *db, const char *user, const char *secret, struct err *e);

/* 1 removed, 0 none, -1 and e. */
int pwdb_del(struct pwdb *db, const char *user, struct err *e);

/* fn(user) for every user in name order, never their secrets. 0, or -1 and e. */
int pwdb_each(struct pwdb *db, int (*fn)(const char *, void *), void *arg, struct err *e);

int pwdb_commit(struct pwdb *db, struct err *e);

void pwdb_close(struct pwdb *db);

#endif
