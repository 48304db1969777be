/*
 * uidname: safefile_user (safefile.h), a uid and its user's name, for
 * messages.  In a file of its own so that relaygate-check, linked
 * statically, can take uidname-bare.c instead: glibc's user look-up in a
 * static program would load the shared NSS modules of the glibc it was
 * built against.
 */
#include <pwd.h>
#include <stdio.h>

#include "stores/safefile.h"

void
safefile_user(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, size, "uid %ld (%s)", (long)uid, pw->pw_name);
	else
		snprintf(buf, size, "uid %ld", (long)uid);
}
