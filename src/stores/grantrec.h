/*
 * grantrec: the record codecs of the grants store (grantdb.h): the one
 * place its bytes are read and written, shared by grantdb.c (through
 * libdb) and grantread.c (without it), and fed hostile bytes by the tests
 * (tests/fuzz).  Nothing outside src/stores includes this header.
 */
#ifndef RG_GRANTREC_H
#define RG_GRANTREC_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/grant.h"

/* The largest details record of grants-meta.db. */
#define GRANTREC_META_MAX (18 + 4 * (2 + GRANT_TEXT_MAX + GRANT_USER_MAX) + 2 + GRANT_HOST_MAX)

/* The longest grants.db value: 18 digits and the NUL, with slack. */
#define GRANTREC_VALUE_MAX 24

/* e: path holds a damaged record for addr (ERR_PERM); -1. */
int grantrec_damaged(struct err *e, const char *path, const char *addr);

/* A family byte (4 or 6) and the 4 or 16 address bytes: the keys' address form. */
#define GRANTREC_ABIN_MAX 17

/* Big-endian 64-bit numbers, as the keys and records hold them. */
void grantrec_be64_put(unsigned char *p, uint64_t v);
uint64_t grantrec_be64_get(const unsigned char *p);

/* The address text (addr.h normal form) into out (GRANTREC_ABIN_MAX bytes): its length, or 0. */
size_t grantrec_addr_bin(const char *text, unsigned char *out);

/* The normal text of the binary address b (n bytes) into out (ADDR_TEXT_MAX): 0, or -1. */
int grantrec_addr_unbin(const unsigned char *b, size_t n, char *out);

/* A details record (an 'a' value) into g, all but g->addr: 0, or -1 when damaged. */
int grantrec_meta_decode(const unsigned char *buf, size_t size, struct grant *g);

/* g's details record into buf (GRANTREC_META_MAX bytes), *len long: 0, or -1 out of bounds. */
int grantrec_meta_encode(const struct grant *g, unsigned char *buf, size_t *len);

/* A grants.db value (digits, NUL or not): 0 and *expires, *pinned, or -1 when damaged. */
int grantrec_value_decode(const char *v, size_t size, int64_t *expires, int *pinned);

#endif
