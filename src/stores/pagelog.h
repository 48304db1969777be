/*
 * pagelog: all-or-nothing page writes for Berkeley DB files.
 *
 * libdb without an environment writes a changed btree back page by page
 * with pwrite(2), and may ftruncate(2) freed pages away before that; a
 * process killed between two of those calls leaves a torn tree.  While a
 * pagelog session is open, libdb's pwrite and ftruncate on the watched files
 * are held in memory (libdb's own reads see them).  pagelog_commit writes
 * them all to a journal and renames it into place, which is the moment the
 * change happens; then it applies them to the files and removes the journal.
 * Whoever next holds the store's exclusive lock finishes a journal that a
 * dead process left (pagelog_recover).  Applying a journal twice is harmless.
 *
 * libdb's I/O hooks are process-wide, and so is this module's state: one
 * session at a time in a process.  The caller holds the store's lock.
 */
#ifndef RG_PAGELOG_H
#define RG_PAGELOG_H

#include "core/err.h"

#define PAGELOG_FILES 4		/* files one journal may cover */

/* Route libdb's I/O through this module; call before the first db_create. 0 or -1. */
int pagelog_install(void);

/* Start holding writes for the files watched from now on. */
void pagelog_begin(void);

/*
 * Hold libdb's writes to fd, which is file number file_no of the journal;
 * name (kept by the caller until pagelog_end) is for error messages.
 * 0 or -1 (EINVAL).
 */
int pagelog_watch(int fd, unsigned file_no, unsigned pagesize, const char *name);

/*
 * Make the held writes happen: reserve the space they need, journal,
 * rename, apply, fsync (when sync), remove the journal; the session goes on
 * with nothing held.  0 done; -1 and e: nothing has changed (a full disk is
 * found here, before the rename); 1 and e: done (the journal is in place)
 * but applying it failed, so the next pagelog_recover finishes the work.
 */
int pagelog_commit(const char *journal, int sync, struct err *e);

/* Drop what is held and stop watching: the end of every session, committed or not. */
void pagelog_end(void);

/*
 * Finish or discard what a dead process left: a complete journal is applied
 * to paths[file_no] and removed, an unfinished one is removed.
 * 1 when a journal was applied, 0 when there was none, -1 and e on failure.
 */
int pagelog_recover(const char *journal, const char *const *paths,
    unsigned nfiles, int sync, struct err *e);

/*
 * Is there a journal, and is it whole?  1 whole, 0 none, -1 and e (damaged:
 * ERR_PERM, or it could not be read).  Nothing is changed.
 */
int pagelog_check(const char *journal, unsigned nfiles, struct err *e);

/*
 * Make dst[i] hold exactly what src[i] holds, for every i at once, through
 * a journal as a commit does (a repair's new files put in place under the
 * old names, so locks on them stay good).  The caller holds the store's
 * exclusive lock.  0, -1 and e (nothing changed), or 1 and e (done, but
 * the apply is left to the next pagelog_recover).
 */
int pagelog_replace(const char *journal, const char *const *dst, const char *const *src,
    unsigned nfiles, int sync, struct err *e);

/* For crash tests only: SIGKILL this process before its n-th next commit or recovery step (-1: never). */
void pagelog_crash_after(long n);

#endif
