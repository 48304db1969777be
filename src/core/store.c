/* store: making and checking the grants store; see store.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>

#include "core/store.h"
#include "stores/grantdb.h"

int
store_init(const struct config *c, enum store_init how,
    void (*report)(const char *what, int fixed, void *arg), void *arg, struct err *e)
{
	static const enum grantdb_init_mode mode[] = {
		[STORE_CHECK] = GRANTDB_INIT_CHECK,
		[STORE_CREATE] = GRANTDB_INIT_CREATE,
		[STORE_FIX] = GRANTDB_INIT_FIX,
	};
	struct passwd *pw;
	struct group *gr;

	errno = 0;
	if ((pw = getpwnam(c->user)) == NULL) {
		err_set(e, ERR_PERM, errno, "no user \"%s\" to own the store: create it "
		    "(adduser --system --group %s) or name another (user in %s)",
		    c->user, c->user, c->file[0] ? c->file : CONFIG_FILE);
		return -1;
	}
	errno = 0;
	if ((gr = getgrnam(c->group)) == NULL) {
		err_set(e, ERR_PERM, errno, "no group \"%s\" for the store: create it "
		    "(addgroup --system %s) or name another (group in %s)",
		    c->group, c->group, c->file[0] ? c->file : CONFIG_FILE);
		return -1;
	}
	return grantdb_init(c->dir, pw->pw_uid, gr->gr_gid, mode[how], report, arg, e);
}
