/* view: windows, counts and the change token over the grants; see view.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/view.h"
#include "stores/grantdb.h"

static enum grantdb_index
index_of(enum view_order o)
{
	return o == VIEW_BY_EXPIRY ? GRANTDB_BY_EXPIRY :
	    o == VIEW_BY_USER ? GRANTDB_BY_USER : GRANTDB_BY_ADDR;
}

void
view_key_of(enum view_order o, const struct grant *g, struct view_key *k)
{
	k->len = grantdb_key(index_of(o), g, k->b);
}

void
view_key_addr(const struct addr *a, struct view_key *k)
{
	struct grant g;

	memset(&g, 0, sizeof g);
	memcpy(g.addr, a->text, sizeof g.addr);
	view_key_of(VIEW_BY_ADDR, &g, k);
}

/* --- address prefixes --- */

static int
bad_prefix(struct err *e, const char *s)
{
	err_set(e, ERR_PERM, 0, "\"%.60s\" is not an address prefix "
	    "(like 192.0.2.0/24, 192.0.2., 10.1 or 2001:db8:)", s);
	return -1;
}

/* Add the range [lo, hi] of family fam (4 or 6; n address bytes) to f. */
static int
add_range(struct view_filter *f, int fam, const unsigned char *lo,
    const unsigned char *hi, size_t n, struct err *e)
{
	if (f->nranges == VIEW_RANGES_MAX) {
		err_set(e, ERR_PERM, 0, "too many address ranges in one filter");
		return -1;
	}
	memset(&f->range[f->nranges], 0, sizeof f->range[0]);
	f->range[f->nranges].lo[0] = f->range[f->nranges].hi[0] = (unsigned char)fam;
	memcpy(f->range[f->nranges].lo + 1, lo, n);
	memcpy(f->range[f->nranges].hi + 1, hi, n);
	f->nranges++;
	return 0;
}

/* net/bits as one range. */
static int
add_cidr(struct view_filter *f, const struct addr *net, long bits, struct err *e)
{
	unsigned char lo[16], hi[16];
	size_t n = net->family == AF_INET ? 4 : 16, i;
	long b;

	for (i = 0; i < n; i++) {
		b = bits - (long)i * 8;
		unsigned char mask = b >= 8 ? 0xff : b <= 0 ? 0 : (unsigned char)(0xff << (8 - b));
		lo[i] = net->bytes[i] & mask;
		hi[i] = (unsigned char)(net->bytes[i] | (unsigned char)~mask);
	}
	return add_range(f, net->family == AF_INET ? 4 : 6, lo, hi, n, e);
}

static int
parse_cidr(struct view_filter *f, const char *s, struct err *e)
{
	char buf[64], *slash, *end;
	struct addr net;
	long bits, max;

	if (strlen(s) >= sizeof buf)
		return bad_prefix(e, s);
	memcpy(buf, s, strlen(s) + 1);
	slash = strchr(buf, '/');
	*slash = '\0';
	if (addr_parse(buf, &net, NULL) < 0 || slash[1] < '0' || slash[1] > '9')
		return bad_prefix(e, s);
	bits = strtol(slash + 1, &end, 10);
	max = net.family == AF_INET ? 32 : 128;
	if (*end != '\0' || bits > 128)
		return bad_prefix(e, s);
	/* An IPv4-mapped network, ::ffff:192.0.2.0/120, is an IPv4 one. */
	if (net.family == AF_INET && strchr(buf, ':') != NULL)
		bits -= 96;
	if (bits < 0 || bits > max)
		return bad_prefix(e, s);
	return add_cidr(f, &net, bits, e);
}

/*
 * Values of a field (an IPv4 octet: base 10, at most 255; an IPv6 group:
 * base 16, at most 0xffff) whose normal text starts with digits: up to
 * four ranges [lo[i], hi[i]].  Normal text has no leading zeros.
 */
static size_t
field_ranges(const char *digits, int base, long max, long lo[4], long hi[4])
{
	size_t len = strlen(digits), width = base == 10 ? 3 : 4, k = 0;
	long v, span;

	if (len == 0) {
		lo[0] = 0;
		hi[0] = max;
		return 1;
	}
	if (digits[0] == '0') {		/* "0" is 0 alone; "01" is nothing */
		lo[0] = hi[0] = 0;
		return len == 1;
	}
	v = strtol(digits, NULL, base);
	for (span = 1; len <= width && v <= max; len++, v *= base, span *= base) {
		lo[k] = v;
		hi[k] = v + span - 1 > max ? max : v + span - 1;
		k++;
	}
	return k;
}

static int
all_of(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

/* The leading text of IPv4 addresses: "10.", "192.0.2", "10.1". */
static int
parse_v4_text(struct view_filter *f, const char *s, struct err *e)
{
	unsigned char lo[4] = { 0 }, hi[4] = { 255, 255, 255, 255 };
	long flo[4], fhi[4], v;
	const char *p = s, *dot;
	size_t k = 0, i, nr;
	char part[8];

	while ((dot = strchr(p, '.')) != NULL) {
		if (k == 3 || dot == p || dot - p > 3 || (dot - p > 1 && *p == '0'))
			return bad_prefix(e, s);
		memcpy(part, p, (size_t)(dot - p));
		part[dot - p] = '\0';
		if ((v = strtol(part, NULL, 10)) > 255)
			return bad_prefix(e, s);
		lo[k] = hi[k] = (unsigned char)v;
		k++;
		p = dot + 1;
	}
	if (strlen(p) > 3)
		return bad_prefix(e, s);
	if ((nr = field_ranges(p, 10, 255, flo, fhi)) == 0)
		return bad_prefix(e, s);
	for (i = 0; i < nr; i++) {
		lo[k] = (unsigned char)flo[i];
		hi[k] = (unsigned char)fhi[i];
		if (add_range(f, 4, lo, hi, 4, e) < 0)
			return -1;
	}
	return 0;
}

/* The leading groups of IPv6 addresses: "2001:db8:", "2001:db8:1", "fe80::". */
static int
parse_v6_text(struct view_filter *f, const char *s, struct err *e)
{
	unsigned char lo[16], hi[16];
	long flo[4], fhi[4], v;
	const char *p = s, *colon;
	size_t k = 0, i, nr, len = strlen(s);
	char part[8];

	memset(lo, 0, sizeof lo);
	memset(hi, 0xff, sizeof hi);
	if (len >= 2 && strcmp(s + len - 2, "::") == 0 && strstr(s, "::") == s + len - 2)
		len -= 2;	/* "fe80::": the groups before it, the rest any */
	else if (strstr(s, "::") != NULL)
		return bad_prefix(e, s);
	while ((colon = memchr(p, ':', (size_t)(s + len - p))) != NULL) {
		if (k == 7 || colon == p || colon - p > 4)
			return bad_prefix(e, s);
		memcpy(part, p, (size_t)(colon - p));
		part[colon - p] = '\0';
		v = strtol(part, NULL, 16);
		lo[2 * k] = hi[2 * k] = (unsigned char)(v >> 8);
		lo[2 * k + 1] = hi[2 * k + 1] = (unsigned char)v;
		k++;
		p = colon + 1;
	}
	if (s + len - p > 4)
		return bad_prefix(e, s);
	memcpy(part, p, (size_t)(s + len - p));
	part[s + len - p] = '\0';
	if (len < strlen(s))
		part[0] = '\0';	/* after "::" nothing is fixed */
	if ((nr = field_ranges(part, 16, 0xffff, flo, fhi)) == 0)
		return bad_prefix(e, s);
	for (i = 0; i < nr; i++) {
		lo[2 * k] = (unsigned char)(flo[i] >> 8);
		lo[2 * k + 1] = (unsigned char)flo[i];
		hi[2 * k] = (unsigned char)(fhi[i] >> 8);
		hi[2 * k + 1] = (unsigned char)fhi[i];
		if (add_range(f, 6, lo, hi, 16, e) < 0)
			return -1;
	}
	return 0;
}

int
view_filter_prefix(struct view_filter *f, const char *s, struct err *e)
{
	size_t before = f->nranges;
	int r;

	if (*s == '\0')
		return bad_prefix(e, s);
	if (strchr(s, '/') != NULL)
		r = parse_cidr(f, s, e);
	else if (all_of(s, "0123456789."))
		r = parse_v4_text(f, s, e);
	else if (all_of(s, "0123456789abcdefABCDEF:") && strchr(s, ':') != NULL) {
		char low[64];
		size_t i;

		if (strlen(s) >= sizeof low)
			return bad_prefix(e, s);
		for (i = 0; s[i] != '\0'; i++)
			low[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
		low[i] = '\0';
		r = parse_v6_text(f, low, e);
	} else
		return bad_prefix(e, s);
	if (r < 0)
		f->nranges = before;
	return r;
}

int
view_filter_parse(struct view_filter *f, const char *text, struct err *e)
{
	if (strchr(text, '.') != NULL || strchr(text, ':') != NULL ||
	    strchr(text, '/') != NULL || (*text != '\0' && all_of(text, "0123456789")))
		return view_filter_prefix(f, text, e);
	if (strlen(text) >= sizeof f->user) {
		err_set(e, ERR_PERM, 0, "user name filter too long");
		return -1;
	}
	memcpy(f->user, text, strlen(text) + 1);
	return 0;
}

/* --- windows --- */

static int
keycmp(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	return r != 0 ? r : an < bn ? -1 : an > bn;
}

/* Is g's address in one of f's ranges? */
static int
in_ranges(const struct view_filter *f, const struct grant *g)
{
	struct view_key k;
	size_t i, n;

	view_key_of(VIEW_BY_ADDR, g, &k);
	if (k.len < 2)
		return 0;
	n = k.len - 1;
	for (i = 0; i < f->nranges; i++)
		if (keycmp(k.b + 1, n, f->range[i].lo, n) >= 0 &&
		    keycmp(k.b + 1, n, f->range[i].hi, n) <= 0 &&
		    f->range[i].lo[0] == k.b[1])
			return 1;
	return 0;
}

/* One stretch of an order to read: keys in [lo, hi] (either may be open). */
struct seg {
	struct view_key lo, hi;		/* len 0: open */
};

struct reader {
	const struct view_filter *f;
	enum view_order o;
	int64_t now;
	int backward;
	const struct seg *seg;
	struct view_key skip;		/* a key not to show: where reading goes on after */
	struct view_row *rows;
	size_t max, n;
	long examined, chunk;
	int ended;			/* past the segment's bound */
	struct view_key last;		/* the last key examined */
};

static int
passes(const struct reader *r, const struct grant *g)
{
	if (!r->f->all && !grant_live(g, r->now))
		return 0;
	if (r->f->user[0] != '\0' && strstr(g->user, r->f->user) == NULL)
		return 0;
	if (r->f->nranges > 0 && r->o != VIEW_BY_ADDR && !in_ranges(r->f, g))
		return 0;
	return 1;
}

static int
take_row(const unsigned char *k, size_t kn, const struct grant *g, void *arg)
{
	struct reader *r = arg;

	if (r->skip.len && keycmp(k, kn, r->skip.b, r->skip.len) == 0)
		return 0;
	if ((!r->backward && r->seg->hi.len && keycmp(k, kn, r->seg->hi.b, r->seg->hi.len) > 0) ||
	    (r->backward && r->seg->lo.len && keycmp(k, kn, r->seg->lo.b, r->seg->lo.len) < 0)) {
		r->ended = 1;
		return 1;
	}
	memcpy(r->last.b, k, kn);
	r->last.len = kn;
	r->examined++;
	if (passes(r, g)) {
		r->rows[r->n].g = *g;
		grant_cap(&r->rows[r->n].g, r->now);
		memcpy(r->rows[r->n].key.b, k, kn);
		r->rows[r->n].key.len = kn;
		if (++r->n == r->max)
			return 1;
	}
	return r->examined >= r->chunk;
}

/* The stretches of order o that f allows, in reading order. */
static size_t
segments(enum view_order o, const struct view_filter *f, int64_t now, int backward,
    struct seg *s)
{
	struct grant g;
	size_t i, n = 0, j;

	memset(s, 0, sizeof *s * VIEW_RANGES_MAX);
	if (o == VIEW_BY_ADDR && f->nranges > 0) {
		for (i = 0; i < f->nranges; i++) {
			size_t len = f->range[i].lo[0] == 4 ? 5 : 17;

			s[n].lo.b[0] = s[n].hi.b[0] = 'a';
			memcpy(s[n].lo.b + 1, f->range[i].lo, len);
			memcpy(s[n].hi.b + 1, f->range[i].hi, len);
			s[n].lo.len = s[n].hi.len = len + 1;
			n++;
		}
		/* Ascending by start; a prefix's ranges never overlap. */
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && keycmp(s[j].lo.b, s[j].lo.len,
			    s[j - 1].lo.b, s[j - 1].lo.len) < 0; j--) {
				struct seg t = s[j];
				s[j] = s[j - 1];
				s[j - 1] = t;
			}
	} else {
		n = 1;
		if (o == VIEW_BY_EXPIRY && !f->all) {
			/* Expired grants lead this order: start past them. */
			memset(&g, 0, sizeof g);
			g.expires = now + 1;
			view_key_of(o, &g, &s[0].lo);
		}
	}
	if (backward)
		for (i = 0; i < n / 2; i++) {
			struct seg t = s[i];
			s[i] = s[n - 1 - i];
			s[n - 1 - i] = t;
		}
	return n;
}

static int64_t
mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct grantdb *
open_read(const struct config *c, struct err *e)
{
	struct grantdb_opts o;

	memset(&o, 0, sizeof o);
	o.lock_timeout_ms = c->lock_timeout_ms;
	o.sync = c->sync;
	return grantdb_open(c->dir, GRANTDB_READ, &o, e);
}

/* Read stretch r->seg from position pos (len 0: its start) into r, chunk by chunk. */
static int
read_seg(const struct config *c, struct reader *r, const struct view_key *pos,
    int64_t deadline, int *partial, struct err *e)
{
	struct view_key start = *pos, skip = r->skip;
	struct grantdb *db;
	int rc = 0;

	if (!r->backward && (start.len == 0 ||
	    (r->seg->lo.len && keycmp(start.b, start.len, r->seg->lo.b, r->seg->lo.len) < 0)))
		start = r->seg->lo;
	if (r->backward && r->seg->hi.len && (start.len == 0 ||
	    keycmp(start.b, start.len, r->seg->hi.b, r->seg->hi.len) > 0)) {
		start = r->seg->hi;
		start.b[start.len++] = 0;	/* just past hi: hi itself is in */
	}
	for (;;) {
		r->examined = 0;
		r->ended = 0;
		if ((db = open_read(c, e)) == NULL) {
			rc = -1;
			break;
		}
		rc = grantdb_scan(db, index_of(r->o), start.b, start.len, r->backward, 1, r->now,
		    take_row, r, e);
		grantdb_close(db);
		if (rc < 0 || r->n == r->max || r->ended || r->examined < r->chunk)
			break;	/* failed, full, or this stretch is done */
		/* Go on after the last key seen; the lock was let go meanwhile,
		 * so writers got their turn. */
		start = r->last;
		r->skip = r->last;
		if (deadline > 0 && mono_ms() >= deadline) {
			*partial = 1;
			break;
		}
	}
	r->skip = skip;
	return rc < 0 ? -1 : 0;
}

int
view_read(const struct config *c, enum view_order o, const struct view_filter *f,
    enum view_from from, const struct view_key *k, size_t max, int64_t now,
    long budget_ms, struct view_row *rows, size_t *n, int *partial,
    struct view_key *resume, struct err *e)
{
	struct seg segs[VIEW_RANGES_MAX];
	struct reader r;
	struct view_key pos;
	int64_t deadline = budget_ms > 0 ? mono_ms() + budget_ms : 0;
	size_t ns, i;

	*n = 0;
	*partial = 0;
	if (resume != NULL)
		resume->len = 0;
	if (max == 0)
		return 0;
	memset(&r, 0, sizeof r);
	memset(&pos, 0, sizeof pos);
	r.f = f;
	r.o = o;
	r.now = now;
	r.backward = from == VIEW_LAST || from == VIEW_BEFORE;
	r.rows = rows;
	r.max = max;
	r.chunk = 1024;
	if (from == VIEW_AT || from == VIEW_AFTER || from == VIEW_BEFORE)
		pos = *k;
	if (from == VIEW_AFTER)
		r.skip = *k;
	ns = segments(o, f, now, r.backward, segs);
	for (i = 0; i < ns && r.n < max && !*partial; i++) {
		r.seg = &segs[i];
		/* Stretches wholly behind the position are passed by. */
		if (pos.len && !r.backward && segs[i].hi.len &&
		    keycmp(segs[i].hi.b, segs[i].hi.len, pos.b, pos.len) < 0)
			continue;
		if (pos.len && r.backward && segs[i].lo.len &&
		    keycmp(segs[i].lo.b, segs[i].lo.len, pos.b, pos.len) >= 0)
			continue;
		if (read_seg(c, &r, &pos, deadline, partial, e) < 0)
			return -1;
	}
	if (*partial && resume != NULL)
		*resume = r.last;
	if (r.backward)
		for (i = 0; i < r.n / 2; i++) {
			struct view_row t = rows[i];
			rows[i] = rows[r.n - 1 - i];
			rows[r.n - 1 - i] = t;
		}
	*n = r.n;
	return 0;
}

/* --- counts and change --- */

struct expired_ctx {
	int64_t now;
	long n;
	int64_t oldest;
};

static int
count_expired(const unsigned char *k, size_t kn, const struct grant *g, void *arg)
{
	struct expired_ctx *x = arg;
	struct grant kg;

	(void)g;
	/* The key says it all; the expired lead the order. */
	if (grantdb_key_parse(GRANTDB_BY_EXPIRY, k, kn, &kg) < 0 || kg.pinned ||
	    kg.expires > x->now)
		return 1;
	if (x->n++ == 0)
		x->oldest = kg.expires;
	return 0;
}

int
view_counts(const struct config *c, int64_t now, struct view_counts *n, struct err *e)
{
	struct grantdb_counts gc;
	struct expired_ctx x = { now, 0, 0 };
	struct grantdb *db;
	int rc;

	memset(n, 0, sizeof *n);
	if ((db = open_read(c, e)) == NULL)
		return -1;
	rc = grantdb_counts(db, &gc, e);
	if (rc == 0)
		rc = grantdb_scan(db, GRANTDB_BY_EXPIRY, NULL, 0, 0, 0, now, count_expired, &x, e);
	if (rc >= 0)
		rc = grantdb_size(db, &n->bytes, e);
	grantdb_close(db);
	if (rc < 0)
		return -1;
	n->total = gc.total;
	n->pinned = gc.pinned;
	n->timed = gc.total - gc.pinned;
	n->expired = x.n;
	n->oldest_expired = x.oldest;
	return 0;
}

int
view_changed(const struct config *c, struct view_token *t, int64_t now)
{
	char path[PATH_MAX];
	struct view_token was = *t;
	struct stat st;

	memset(&st, 0, sizeof st);
	if (snprintf(path, sizeof path, "%s/%s", c->dir, GRANTDB_FILE) >= (int)sizeof path ||
	    stat(path, &st) < 0)
		memset(&st, 0, sizeof st);	/* not there (yet): a state too */
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->size = st.st_size;
	t->ctime_s = st.st_ctim.tv_sec;
	t->ctime_ns = st.st_ctim.tv_nsec;
	t->seen_s = now;
	if (was.seen_s == 0 || was.dev != t->dev || was.ino != t->ino ||
	    was.size != t->size || was.ctime_s != t->ctime_s || was.ctime_ns != t->ctime_ns)
		return 1;
	/* Changed in the second the last look was in: another change may
	 * have come in the same timestamp tick.  Look again. */
	return t->ctime_s >= was.seen_s - 1 && t->ino != 0;
}

int
view_writable(const struct config *c, struct err *e)
{
	/* What a change writes: the directory and grants.lock need no write
	 * access (relaygate-security(7)). */
	static const char *const files[] = { GRANTDB_FILE, GRANTDB_META, GRANTDB_JOURNAL };
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	if (stat(c->dir, &st) < 0) {
		err_set(e, ERR_PERM, errno, "%s", c->dir);
		return 0;
	}
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (snprintf(path, sizeof path, "%s/%s", c->dir, files[i]) >= (int)sizeof path) {
			err_set(e, ERR_PERM, ENAMETOOLONG, "%s", c->dir);
			return 0;
		}
		if (access(path, W_OK) < 0) {
			if (errno == ENOENT)
				err_set(e, ERR_PERM, 0, "%s does not exist: make the store with "
				    "relaygate init", path);
			else
				err_set(e, ERR_PERM, errno, "%s", path);
			return 0;
		}
	}
	return 1;
}
