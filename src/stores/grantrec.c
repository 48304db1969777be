/* grantrec: the record codecs of the grants store; see grantrec.h and grantdb.h. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "stores/grantrec.h"

#define META_VERSION 1
#define META_VERSION_HOST 2	/* version 1, then the recording host */
#define META_PINNED 1
#define META_RELAYCLIENT 2

int
grantrec_damaged(struct err *e, const char *path, const char *addr)
{
	err_set(e, ERR_PERM, 0, "%s: damaged record for %s", path, addr);
	return -1;
}

void
grantrec_be64_put(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

uint64_t
grantrec_be64_get(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int
put_str(unsigned char *buf, size_t *pos, size_t cap, const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n >= max || *pos + 2 + n > cap)
		return -1;
	buf[(*pos)++] = (unsigned char)(n >> 8);
	buf[(*pos)++] = (unsigned char)n;
	memcpy(buf + *pos, s, n);
	*pos += n;
	return 0;
}

static int
get_str(const unsigned char *buf, size_t *pos, size_t size, char *out, size_t max)
{
	size_t n;

	if (*pos + 2 > size)
		return -1;
	n = (size_t)buf[*pos] << 8 | buf[*pos + 1];
	*pos += 2;
	if (n >= max || *pos + n > size || memchr(buf + *pos, '\0', n) != NULL)
		return -1;
	memcpy(out, buf + *pos, n);
	out[n] = '\0';
	*pos += n;
	return 0;
}

int
grantrec_meta_encode(const struct grant *g, unsigned char *buf, size_t *len)
{
	size_t pos = 18;

	buf[0] = g->host[0] != '\0' ? META_VERSION_HOST : META_VERSION;
	buf[1] = (unsigned char)((g->pinned ? META_PINNED : 0) |
	    (g->has_relayclient ? META_RELAYCLIENT : 0));
	grantrec_be64_put(buf + 2, (uint64_t)g->expires);
	grantrec_be64_put(buf + 10, (uint64_t)g->granted);
	if (put_str(buf, &pos, GRANTREC_META_MAX, g->user, GRANT_USER_MAX) < 0 ||
	    put_str(buf, &pos, GRANTREC_META_MAX, g->proto, GRANT_PROTO_MAX) < 0 ||
	    put_str(buf, &pos, GRANTREC_META_MAX, g->relayclient, GRANT_TEXT_MAX) < 0 ||
	    put_str(buf, &pos, GRANTREC_META_MAX, g->note, GRANT_TEXT_MAX) < 0 ||
	    (buf[0] == META_VERSION_HOST &&
	     put_str(buf, &pos, GRANTREC_META_MAX, g->host, GRANT_HOST_MAX) < 0))
		return -1;
	*len = pos;
	return 0;
}

/* The one checked copy-in of a details record (STYLE 12); g->addr is left alone. */
int
grantrec_meta_decode(const unsigned char *buf, size_t size, struct grant *g)
{
	size_t pos = 18;

	if (size < 18 || (buf[0] != META_VERSION && buf[0] != META_VERSION_HOST) ||
	    (buf[1] & ~(META_PINNED | META_RELAYCLIENT)) != 0)
		return -1;
	g->pinned = (buf[1] & META_PINNED) != 0;
	g->has_relayclient = (buf[1] & META_RELAYCLIENT) != 0;
	g->expires = (int64_t)grantrec_be64_get(buf + 2);
	g->granted = (int64_t)grantrec_be64_get(buf + 10);
	if (get_str(buf, &pos, size, g->user, GRANT_USER_MAX) < 0 ||
	    get_str(buf, &pos, size, g->proto, GRANT_PROTO_MAX) < 0 ||
	    get_str(buf, &pos, size, g->relayclient, GRANT_TEXT_MAX) < 0 ||
	    get_str(buf, &pos, size, g->note, GRANT_TEXT_MAX) < 0)
		return -1;
	g->host[0] = '\0';
	/* Version 2 is written only for a grant with a host: one without is damaged. */
	if (buf[0] == META_VERSION_HOST &&
	    (get_str(buf, &pos, size, g->host, GRANT_HOST_MAX) < 0 || g->host[0] == '\0'))
		return -1;
	return pos == size ? 0 : -1;
}

/* grants.db value: digits, with or without the trailing NUL. */
int
grantrec_value_decode(const char *v, size_t size, int64_t *expires, int *pinned)
{
	int64_t x = 0;
	size_t i, n = size;

	if (n > 0 && v[n - 1] == '\0')
		n--;
	if (n == 0 || n > 18)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	*pinned = (x == 0);
	*expires = x;
	return 0;
}



/* text as a family byte (4 or 6) and its address bytes: the length, or 0. */
size_t
grantrec_addr_bin(const char *text, unsigned char *out)
{
	struct addr a;
	size_t n;

	if (addr_parse(text, &a, NULL) < 0)
		return 0;
	n = a.family == AF_INET ? 4 : 16;
	out[0] = a.family == AF_INET ? 4 : 6;
	memcpy(out + 1, a.bytes, n);
	return n + 1;
}

/* The normal text of the binary address b (n bytes): 0, or -1 when malformed. */
int
grantrec_addr_unbin(const unsigned char *b, size_t n, char *out)
{
	int fam;

	if (n == 5 && b[0] == 4)
		fam = AF_INET;
	else if (n == 17 && b[0] == 6)
		fam = AF_INET6;
	else
		return -1;
	return inet_ntop(fam, b + 1, out, ADDR_TEXT_MAX) != NULL ? 0 : -1;
}
