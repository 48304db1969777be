/*
 * dirsync: fsync(2) the directory that holds a file, so that a rename or an
 * unlink done there survives a crash of the machine, not only of the process.
 */
#ifndef RG_DIRSYNC_H
#define RG_DIRSYNC_H

/* 0, or -1 and errno. */
int dirsync(const char *path);

#endif
