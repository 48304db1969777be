/*
 * btread: one key looked up in a Berkeley DB btree file, read only, without
 * libdb.  relaygate-check runs once per SMTP connection and asks grants.db
 * one question; libdb's start-up (a private environment, the file opened
 * three times, probes of /sys and /var/tmp) costs more than the rest of the
 * program.  This reads the pages the answer needs with pread(2), and
 * nothing else.
 *
 * The files are those libdb 5.3 writes (btree version 9), in either byte
 * order, without checksums, encryption, duplicates, subdatabases,
 * partitions or compression (those are refused as ERR_PERM).  Keys compare
 * as libdb's default comparison does: bytewise, a prefix before the longer
 * key.  A file may be damaged or hostile: every offset, length and page
 * number read from it is checked, the descent steps down one level per
 * page, and every overflow chain is bounded by its length and the caller's
 * buffer, so a bad file is an error, never a crash or a loop.
 *
 * The caller holds the file's lock (lock.h) for as long as it reads.
 */
#ifndef RG_BTREAD_H
#define RG_BTREAD_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct btread {
	/* private members: set by btread_open */
	int fd;			/* the caller's */
	const char *path;	/* the caller's, for messages */
	unsigned pagesize;
	uint32_t root, last_pgno;
	int bigendian;		/* else little-endian, whatever this host is */
	unsigned char *page;	/* the page being searched: pagesize bytes */
	unsigned char *ovf;	/* a page of an overflow item: pagesize bytes */
};

struct btread_key {
	const void *p;
	size_t n;
};

/*
 * Read fd's meta page and check it is a btree this module reads.  0, or -1
 * and e (ERR_PERM: not a btree, or one of a kind not supported; ERR_TEMP:
 * the read failed).  fd stays the caller's; path is kept, not copied.
 */
int btread_open(struct btread *t, int fd, const char *path, struct err *e);

/*
 * The data item of key (klen bytes): 1 with its first cap bytes in val and
 * its whole length in *vlen; 0 when absent (or marked deleted); -1 and e
 * when the file is damaged (ERR_PERM) or cannot be read (ERR_TEMP).
 */
int btread_get(struct btread *t, const void *key, size_t klen, void *val,
    size_t cap, size_t *vlen, struct err *e);

/*
 * Bring into the page cache the internal and leaf pages that looking up
 * keys[0..n) reads, a level at a time: posix_fadvise(POSIX_FADV_WILLNEED)
 * for every page of one level, then read the internal ones to find the
 * next level's.  Overflow pages are not asked for.  Only a hint: 0, or -1
 * and e when the file is damaged or cannot be read.
 */
int btread_prefetch(struct btread *t, const struct btread_key *keys, size_t n,
    struct err *e);

/* Free the buffers; the fd stays open. */
void btread_close(struct btread *t);

#endif
