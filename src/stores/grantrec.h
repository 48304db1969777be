/*
 * grantrec: the record codecs of the grants store (grantdb.h), seen from
 * outside only by grantdb.c, which defines them, and by the tests that feed
 * them hostile bytes (tests/fuzz).  Nothing else includes this header.
 */
#ifndef RG_GRANTREC_H
#define RG_GRANTREC_H

#include <stddef.h>
#include <stdint.h>

#include "core/grant.h"

/* The largest details record of grants-meta.db. */
#define GRANTREC_META_MAX (18 + 4 * (2 + GRANT_TEXT_MAX + GRANT_USER_MAX) + 2 + GRANT_HOST_MAX)

/* A details record (an 'a' value) into g, all but g->addr: 0, or -1 when damaged. */
int grantrec_meta_decode(const unsigned char *buf, size_t size, struct grant *g);

/* g's details record into buf (GRANTREC_META_MAX bytes), *len long: 0, or -1 out of bounds. */
int grantrec_meta_encode(const struct grant *g, unsigned char *buf, size_t *len);

/* A grants.db value (digits, NUL or not): 0 and *expires, *pinned, or -1 when damaged. */
int grantrec_value_decode(const char *v, size_t size, int64_t *expires, int *pinned);

#endif
