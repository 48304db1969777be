/* shield: out of the reach of the user who started this process; see shield.h. */
#define _GNU_SOURCE		/* sched_setscheduler's SCHED_OTHER with sched_param */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/shield.h"

/* Does the comma-separated list hold word? */
static int
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/*
 * This process's cgroup in the hierarchy whose /proc/self/cgroup line is
 * "0::" (v2: controller NULL) or names controller (v1), into path.  0, or
 * -1 when there is no such line.
 */
static int
my_cgroup(const char *controller, char *path, size_t size)
{
	char line[PATH_MAX + 128], *ctl, *cg;
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = -1;

	if (f == NULL)
		return -1;
	while (found < 0 && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((ctl = strchr(line, ':')) == NULL || (cg = strchr(ctl + 1, ':')) == NULL)
			continue;
		*cg++ = '\0';
		*ctl++ = '\0';
		if (controller == NULL ? (strcmp(line, "0") == 0 && *ctl == '\0') :
		    has_word(ctl, controller)) {
			snprintf(path, size, "%s", cg);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/*
 * Could user freeze or slow the cgroup cg of the hierarchy mounted at mnt:
 * is it, or a cgroup between it and the root, theirs, or open to all?
 * 1 yes, 0 no.
 */
static int
users_cgroup(const char *mnt, const char *cg, uid_t user)
{
	char dir[PATH_MAX * 2], *slash;
	struct stat st;

	if (snprintf(dir, sizeof dir, "%s%s", mnt, cg) >= (int)sizeof dir)
		return 1;	/* too long to look at: assume the worst */
	while (strlen(dir) > strlen(mnt) && strcmp(dir + strlen(mnt), "/") != 0) {
		if (stat(dir, &st) < 0)
			return 1;
		if (st.st_uid == user || (st.st_mode & S_IWOTH))
			return 1;
		if ((slash = strrchr(dir, '/')) == NULL)
			break;
		*slash = '\0';
	}
	return 0;
}

/* Leave user's cgroup of the hierarchy at mnt (controller: see my_cgroup). 0, or -1 and e. */
static int
leave(const char *mnt, const char *controller, uid_t user, struct err *e)
{
	char cg[PATH_MAX], procs[PATH_MAX + 32], pid[32];
	int fd, n;

	if (my_cgroup(controller, cg, sizeof cg) < 0 || strcmp(cg, "/") == 0 ||
	    !users_cgroup(mnt, cg, user))
		return 0;
	snprintf(procs, sizeof procs, "%s/cgroup.procs", mnt);
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if ((fd = open(procs, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    write(fd, pid, (size_t)n) != n) {
		err_set(e, ERR_TEMP, errno, "leave the user's cgroup %s%s for %s", mnt, cg, procs);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
shield_process(uid_t user, struct err *e)
{
	struct sched_param sp = { 0 };
	char line[PATH_MAX * 2], dev[256], mnt[PATH_MAX], type[64], opts[1024];
	FILE *f;
	int rc = 0;

	/* SCHED_IDLE or nice 19 set before the exec: back to the default. */
	if (sched_setscheduler(0, SCHED_OTHER, &sp) < 0 || setpriority(PRIO_PROCESS, 0, 0) < 0) {
		err_set(e, ERR_TEMP, errno, "reset the scheduling policy");
		return -1;
	}
	if ((f = fopen("/proc/self/mounts", "re")) == NULL) {
		err_set(e, ERR_TEMP, errno, "read /proc/self/mounts");
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%255s %4095s %63s %1023s", dev, mnt, type, opts) != 4)
			continue;
		if (strcmp(type, "cgroup2") == 0)
			rc = leave(mnt, NULL, user, e);
		else if (strcmp(type, "cgroup") == 0 && has_word(opts, "freezer"))
			rc = leave(mnt, "freezer", user, e);
		else if (strcmp(type, "cgroup") == 0 && has_word(opts, "cpu"))
			rc = leave(mnt, "cpu", user, e);
	}
	fclose(f);
	return rc;
}
