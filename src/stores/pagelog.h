/*
 * pagelog: all-or-nothing page writes for Berkeley DB files.
 *
 * libdb without an environment writes a changed btree back page by page
 * with pwrite(2), and may ftruncate(2) freed pages away before that; a
 * process killed between two of those calls leaves a torn tree.  While a
 * pagelog session is open, libdb's pwrite and ftruncate on the watched files
 * are held in memory (libdb's own reads see them).  pagelog_commit writes
 * them all to the journal, an existing file written in place; the journal's
 * end record is the moment the change happens; then it applies them to the
 * files and empties the journal.  Whoever next holds the store's exclusive
 * lock finishes a journal that a dead process left (pagelog_recover), or
 * empties it if its end record never got there.  Applying a journal twice
 * is harmless.  This module never creates, renames or removes a file.
 *
 * libdb's I/O hooks are process-wide, and so is this module's state: one
 * session at a time in a process.  The caller holds the store's lock.
 */
#ifndef RG_PAGELOG_H
#define RG_PAGELOG_H

#include <sys/types.h>

#include "core/err.h"

#define PAGELOG_FILES 4		/* files one journal may cover */

/*
 * The calls that stand in for libdb's pwrite, pread, ftruncate and fsync
 * (bdbfile_pagelog installs them: this module itself never calls libdb, so
 * that relaygate-check can finish a journal without linking it).
 */
struct pagelog_io {
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
	int (*ftruncate)(int, off_t);
	int (*fsync)(int);
};
void pagelog_io(struct pagelog_io *io);

/* Start holding writes for the files watched from now on. */
void pagelog_begin(void);

/*
 * Hold libdb's writes to fd, which is file number file_no of the journal;
 * name (kept by the caller until pagelog_end) is for error messages.
 * 0 or -1 (EINVAL).
 */
int pagelog_watch(int fd, unsigned file_no, unsigned pagesize, const char *name);

/*
 * Make the held writes happen: reserve the space they need in each file,
 * append them to the journal (jfd, open for writing; journal is its name
 * for messages) as one block with its end record, sync the journal (with
 * sync: one flush, the moment of the change), and apply them to the
 * files.  Then, with group (and sync, and a journal under
 * PAGELOG_GROUP_MAX, 32 MB), the block stays in the journal, settled: the files
 * are flushed later, for many commits at once, by a checkpoint (a commit
 * without group, or pagelog_flush).  Without group, the checkpoint is
 * now: the files are flushed and the journal emptied.  The session goes on
 * with nothing held.  0 done; -1 and e: nothing has changed (a full disk
 * is found here, before the end record); 1 and e: done (the end record is
 * there) but what follows failed, so the next opener finishes the work;
 * what is held stays, so this session reads what it committed.
 */
#define PAGELOG_GROUP_MAX (32u << 20)
int pagelog_commit(int jfd, const char *journal, int sync, int group, struct err *e);

/*
 * A checkpoint in this session: flush the watched files (with sync) and
 * empty the journal jfd, making every settled commit durable in the files.
 * 0, or -1 and e.
 */
int pagelog_flush(int jfd, const char *journal, int sync, struct err *e);

/* Drop what is held and stop watching: the end of every session, committed or not. */
void pagelog_end(void);

/*
 * Finish what the journal jfd (open for writing) holds that the files may
 * lack: in the boot that wrote it, a whole commit after the settled ones
 * (its writer died before it was settled); in a later boot, every commit
 * in it (a crash may have lost any page written to the files since the
 * last checkpoint).  Those are applied to fds[file_no] (names[file_no] in
 * messages), flushed, and the journal emptied; a commit that never
 * happened (no valid end record) is cut off unread.  1 when something was
 * applied, 0 when nothing was, -1 and e on failure.
 */
int pagelog_recover(int jfd, const char *journal, const int *fds,
    const char *const *names, unsigned nfiles, int sync, struct err *e);

/*
 * What the journal jfd (open for reading) holds, changing nothing: 0
 * nothing to do (empty, or commits settled in this boot), 1 whole commits
 * the files may lack (the next opener applies them), 2 only something
 * without a valid end record (a commit that never happened: the next
 * opener cuts it off unread), -1 and e when it cannot be read.
 */
int pagelog_check(int jfd, const char *journal, unsigned nfiles, struct err *e);

/*
 * Make each dst[i] (open for writing; names[i] in messages) hold exactly
 * what src[i] (srcnames[i]) holds, for every i at once, through the
 * journal jfd as a commit does: the space reserved first, then one end
 * record that is the moment the files change (a repair's new contents put
 * in place in the old files, so their owners, modes and locks stay).  The
 * caller holds the store's exclusive lock and nothing else open on dst.
 * 0, -1 and e (nothing changed), or 1 and e (done, but the apply is left to
 * the next pagelog_recover).
 */
int pagelog_replace(int jfd, const char *journal, const int *dst, const char *const *names,
    const int *src, const char *const *srcnames, unsigned nfiles, int sync, struct err *e);

/*
 * A journal a dead writer left (see pagelog.h) is finished before anyone
 * reads.  A writer holds lockfd exclusively and passes the journal open for
 * writing as jfd; a reader holds it shared and passes -1: the journal's
 * size tells it whether there is anything to do, and if so the lock is
 * upgraded for the repair and put back.  The journal and paths[0..n) are
 * opened as safefile_open does, and must belong to owner: a journal of
 * anyone else is never applied.  0 (also when there was nothing to do), or
 * -1 and e.
 */
int pagelog_finish(int lockfd, const char *lockpath, int jfd, const char *journal,
    uid_t owner, long timeout_ms, const char *const *paths, unsigned n, int sync,
    struct err *e);

/* For crash tests only: SIGKILL this process before its n-th next commit or recovery step (-1: never). */
void pagelog_crash_after(long n);

#endif
