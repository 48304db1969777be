/*
 * fuzz: what the fuzz targets share.  Each target defines
 * LLVMFuzzerTestOneInput; built with clang -fsanitize=fuzzer it is a
 * libFuzzer program (make fuzz), built with replay.c it runs every file of
 * its corpus once (make check).  A broken invariant aborts, so a fuzzer
 * reports it as a crash.
 */
#ifndef RG_FUZZ_H
#define RG_FUZZ_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a NUL-terminated string (malloc'd; an inner NUL ends it early). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char fuzz_dir_path[PATH_MAX];

static void
fuzz_dir_remove(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir_path);
	if (system(cmd) != 0)
		fuzz_dir_path[0] = '\0';
}

/* A scratch directory of this process, made once, removed at exit. */
static inline const char *
fuzz_dir(void)
{
	const char *base = getenv("TMPDIR");

	if (fuzz_dir_path[0] != '\0')
		return fuzz_dir_path;
	snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/rgfuzz.XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	if (mkdtemp(fuzz_dir_path) == NULL)
		abort();
	atexit(fuzz_dir_remove);
	return fuzz_dir_path;
}

/* Write size bytes of data to path, replacing it. */
static inline void
fuzz_write(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
}

#define FUZZ_ASSERT(c) do { if (!(c)) { fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); abort(); } } while (0)

#endif
