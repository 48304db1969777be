/*
 * safefile: opening and making the files of a store so that nobody can
 * redirect them.
 *
 * A store directory may hold a link or a FIFO that someone planted under a
 * store file's name; a program with more rights than the planter (root, or
 * a setgid writer) must neither follow the link nor block on the FIFO.  So
 * every open here adds O_NOFOLLOW and O_NONBLOCK, checks with fstat(2) that
 * it got a regular file with one link (a second name, made by whoever
 * could, would let them keep or reach the file outside the store), and,
 * when told who owns the store, that the file belongs to that user and is
 * not writable by others.  New files are made
 * with O_EXCL and given their owner, group and mode explicitly, whatever
 * the umask.  Every refusal names the file.
 */
#ifndef RG_SAFEFILE_H
#define RG_SAFEFILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include "core/err.h"

/* No owner to check against. */
#define SAFEFILE_ANY_OWNER ((uid_t)-1)

/*
 * Open the existing file path with flags (O_RDONLY or O_RDWR; O_CREAT is
 * not allowed), refusing a link, anything but a regular file with one
 * link, and (owner not SAFEFILE_ANY_OWNER) a file of another owner or
 * writable by others.
 * The fd (close-on-exec; O_NONBLOCK, which a regular file ignores, left
 * set), *st filled if st; or -1 and e,
 * e->errnum ENOENT for a missing file.
 */
int safefile_open(const char *path, int flags, uid_t owner, struct stat *st,
    struct err *e);

/* The checks of safefile_open on an open fd (st: its fstat, or NULL). 0, or -1 and e. */
int safefile_check(int fd, const char *path, uid_t owner, const struct stat *st,
    struct err *e);

/*
 * Make the new file path (O_EXCL: never an existing name, never through a
 * link), open with flags, with exactly mode, uid and gid ((uid_t)-1,
 * (gid_t)-1: as created).  The fd, or -1 and e (nothing left behind).
 */
int safefile_create(const char *path, int flags, mode_t mode, uid_t uid, gid_t gid,
    struct err *e);

/* Give the open file fd exactly mode, uid and gid (-1: leave). 0, or -1 and e. */
int safefile_own(int fd, const char *path, mode_t mode, uid_t uid, gid_t gid,
    struct err *e);

/* What the file at st is, for a message: "a FIFO", "a directory", ... */
const char *safefile_kind(const struct stat *st);

/* "uid 1001 (alice)" into buf. */
void safefile_user(uid_t uid, char *buf, size_t size);

#endif
