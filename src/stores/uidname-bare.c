/*
 * uidname-bare: safefile_user (safefile.h) for the static relaygate-check:
 * the uid alone, with no user look-up (see uidname.c).  Linked before the
 * library, so the library's uidname.o is never pulled in.
 */
#include <stdio.h>

#include "stores/safefile.h"

void
safefile_user(uid_t uid, char *buf, size_t size)
{
	snprintf(buf, size, "uid %ld", (long)uid);
}
