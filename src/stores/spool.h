/*
 * spool: reading relay-ctrl's spool directory, for migration.
 *
 * relay-ctrl-allow keeps one file per client in $RELAY_CTRL_DIR, named by
 * the client's address; its mtime is the time of the last login, and it may
 * hold USER=... and DOMAIN=... settings (one per line or NUL-separated).
 */
#ifndef RG_SPOOL_H
#define RG_SPOOL_H

#include <stdint.h>

#include "core/err.h"

struct spool_entry {
	const char *name;	/* the file's name: should be an address */
	int regular;		/* a regular file (not a directory, link, ...) */
	int64_t mtime;		/* last login */
	char user[256];		/* USER= from the file, or "" */
};

/* Call fn for every entry but . and .. in name order; 0, or -1 and e. */
int spool_each(const char *dir, int (*fn)(const struct spool_entry *, void *),
    void *arg, struct err *e);

#endif
