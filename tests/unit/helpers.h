/* helpers: what every unit test needs: a scratch store directory and a config for it. */
#ifndef RG_TEST_HELPERS_H
#define RG_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/config.h"
#include "stores/grantdb.h"

/* A fresh directory under $TMPDIR (or /tmp); removed by scratch_remove. */
static inline char *
scratch_dir(void)
{
	const char *base = getenv("TMPDIR");
	char *d = malloc(PATH_MAX);

	if (d == NULL)
		abort();
	snprintf(d, PATH_MAX, "%s/rgtest.XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(d) == NULL)
		abort();
	return d;
}

static inline void
scratch_remove(char *d)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	if (system(cmd) != 0)
		abort();
	free(d);
}

/* The running test's scratch directory, made by scratch_setup. */
static char *dir __attribute__((unused));

/* An empty grants store in d, as relaygate init makes it, owned by whoever runs the test. */
static inline void
store_make(const char *d)
{
	if (grantdb_init(d, getuid(), getgid(), GRANTDB_INIT_FIX, NULL, NULL, NULL) != 0)
		abort();
}

static inline int
scratch_setup(void **state)
{
	(void)state;
	dir = scratch_dir();
	store_make(dir);
	return 0;
}

static inline int
scratch_teardown(void **state)
{
	(void)state;
	scratch_remove(dir);
	return 0;
}

/* The address s, which a test knows to be one. */
static inline struct addr
A(const char *s)
{
	struct addr a;

	if (addr_parse(s, &a, NULL) < 0)
		fail_msg("bad test address %s", s);
	return a;
}

/* Defaults, with the store in dir and no fsync (tests are not about disks). */
static inline void
config_for(struct config *c, const char *dir)
{
	memset(c, 0, sizeof *c);
	snprintf(c->dir, sizeof c->dir, "%s", dir);
	c->expiry = 900;
	c->lock_timeout_ms = 5000;
	c->sync = 0;
}

static inline void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0)
		abort();
}

#endif
