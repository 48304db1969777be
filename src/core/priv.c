/* priv: holding a setgid privilege only for the write; see priv.h. */
#define _GNU_SOURCE		/* getresuid, setresgid: Linux and the BSDs have them */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/priv.h"

static struct {
	int known;		/* priv_init ran */
	int setid;
	uid_t ruid, suid;	/* real, and the saved (privileged) effective */
	gid_t rgid, sgid;
} p;

int
priv_setid(void)
{
	if (p.known)
		return p.setid;
	return getuid() != geteuid() || getgid() != getegid();
}

int
priv_init(struct err *e)
{
	uid_t r, ef, s;
	gid_t gr, gef, gs;

	if (getresuid(&r, &ef, &s) < 0 || getresgid(&gr, &gef, &gs) < 0) {
		err_set(e, ERR_TEMP, errno, "read the process's ids");
		return -1;
	}
	p.known = 1;
	p.ruid = r;
	p.suid = ef;
	p.rgid = gr;
	p.sgid = gef;
	p.setid = r != ef || gr != gef;
	return priv_lower(e);
}

int
priv_lower(struct err *e)
{
	if (!p.known || !p.setid)
		return 0;
	/* The real ids too: priv_raise_shielded may have raised them. */
	if ((p.sgid != p.rgid && setresgid(p.rgid, p.rgid, (gid_t)-1) < 0) ||
	    (p.suid != p.ruid && setresuid(p.ruid, p.ruid, (uid_t)-1) < 0)) {
		err_set(e, ERR_TEMP, errno, "lower the set-id privilege");
		return -1;
	}
	return 0;
}

int
priv_raise(struct err *e)
{
	if (!p.known || !p.setid)
		return 0;
	if ((p.suid != p.ruid && setresuid((uid_t)-1, p.suid, (uid_t)-1) < 0) ||
	    (p.sgid != p.rgid && setresgid((gid_t)-1, p.sgid, (gid_t)-1) < 0)) {
		err_set(e, ERR_TEMP, errno, "take up the set-id privilege");
		return -1;
	}
	return 0;
}

int
priv_raise_shielded(struct err *e)
{
	if (!p.known || !p.setid)
		return 0;
	if ((p.suid != p.ruid && setresuid(p.suid, p.suid, (uid_t)-1) < 0) ||
	    (p.sgid != p.rgid && setresgid(p.sgid, p.sgid, (gid_t)-1) < 0)) {
		err_set(e, ERR_TEMP, errno, "take up the set-id privilege");
		priv_lower(NULL);
		return -1;
	}
	return 0;
}

int
priv_drop(struct err *e)
{
	uid_t r, ef, s, ruid = getuid();
	gid_t gr, gef, gs, rgid = getgid();

	/* From the real ids as they are, whether or not priv_init ran. */
	if (getresuid(&r, &ef, &s) < 0 || getresgid(&gr, &gef, &gs) < 0) {
		err_set(e, ERR_TEMP, errno, "read the process's ids");
		return -1;
	}
	if (r == ef && ef == s && gr == gef && gef == gs)
		return 0;
	/* The group first: dropping a set-user-id root first would take away
	 * the right to change the group. */
	if (setresgid(rgid, rgid, rgid) < 0 || setresuid(ruid, ruid, ruid) < 0) {
		err_set(e, ERR_TEMP, errno, "drop the set-id privilege");
		return -1;
	}
	if (getresuid(&r, &ef, &s) < 0 || getresgid(&gr, &gef, &gs) < 0 ||
	    r != ruid || ef != ruid || s != ruid || gr != rgid || gef != rgid || gs != rgid) {
		err_set(e, ERR_TEMP, 0, "drop the set-id privilege: the ids still differ");
		return -1;
	}
	return 0;
}

int
priv_act_end(struct priv_act *a, struct err *e)
{
	int rc = 0;

	if (a->on) {
		/* The user first: the groups are root's to change. */
		if (setresuid((uid_t)-1, 0, (uid_t)-1) < 0 ||
		    setgroups((size_t)a->ngroups, a->groups) < 0 ||
		    setresgid((gid_t)-1, a->egid, (gid_t)-1) < 0) {
			err_set(e, ERR_TEMP, errno, "take up root's own ids again");
			rc = -1;
		}
		a->on = 0;
	}
	free(a->groups);
	a->groups = NULL;
	return rc;
}

int
priv_act_as(uid_t uid, gid_t gid, struct priv_act *a, struct err *e)
{
	int n;

	a->on = 0;
	a->groups = NULL;
	a->ngroups = 0;
	if (geteuid() != 0 || uid == 0)
		return 0;
	if ((n = getgroups(0, NULL)) < 0 ||
	    (a->groups = malloc(sizeof(gid_t) * (size_t)(n > 0 ? n : 1))) == NULL ||
	    (n = getgroups(n, a->groups)) < 0) {
		err_set(e, ERR_TEMP, errno, "read root's groups");
		free(a->groups);
		a->groups = NULL;
		return -1;
	}
	a->ngroups = n;
	a->egid = getegid();
	a->on = 1;
	/* The groups and the group first, while root may still change them. */
	if (setgroups(1, &gid) < 0 || setresgid((gid_t)-1, gid, (gid_t)-1) < 0 ||
	    setresuid((uid_t)-1, uid, (uid_t)-1) < 0 || geteuid() != uid || getegid() != gid) {
		err_set(e, ERR_TEMP, errno, "act as uid %lu, gid %lu", (unsigned long)uid,
		    (unsigned long)gid);
		priv_act_end(a, NULL);
		return -1;
	}
	return 0;
}
