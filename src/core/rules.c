/* rules: reading, editing, compiling and looking up tcp.smtp; see rules.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules.h"

static int
starts(const char *s, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && memcmp(s, word, n) == 0;
}

static void
say(char *why, size_t wsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, wsz, fmt, ap);
	va_end(ap);
}

/* A part of a line, quoted for a message (at most 40 bytes of it). */
static const char *
excerpt(const char *s, size_t n, char buf[64])
{
	size_t i, o = 0;

	for (i = 0; i < n && o < 44; i++)
		buf[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (i < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

/* A range's end as tcprules' scan_ulong reads it: digits only (none: 0), wrapping. */
static int
range_num(const char *s, size_t n, unsigned long *u)
{
	size_t i;

	*u = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*u = *u * 10 + (unsigned long)(s[i] - '0');
	}
	return 0;
}

/* Where a range sits in an address: [left, dash) low, (dash, right) high.  0: no range. */
struct range {
	size_t left, dash, right;
	unsigned long bot, top;
};

static int
find_range(const char *a, struct range *rg, char *why, size_t wsz)
{
	size_t n = strlen(a), i;
	char buf[64];

	if (strchr(a, '=') != NULL || strchr(a, '@') != NULL || strchr(a, '-') == NULL)
		return 0;
	rg->dash = (size_t)(strchr(a, '-') - a);
	rg->left = 0;
	for (i = rg->dash; i > 0; i--)
		if (a[i - 1] == '.') {
			rg->left = i;
			break;
		}
	for (rg->right = rg->dash + 1; rg->right < n && a[rg->right] != '.'; rg->right++)
		;
	if (range_num(a + rg->left, rg->dash - rg->left, &rg->bot) < 0 ||
	    range_num(a + rg->dash + 1, rg->right - rg->dash - 1, &rg->top) < 0) {
		say(why, wsz, "bad range \"%s\": the ends must be numbers, as in 10.0.0.1-20",
		    excerpt(a + rg->left, rg->right - rg->left, buf));
		return -1;
	}
	if (rg->top > 255)
		rg->top = 255;	/* as tcprules */
	if (rg->bot > rg->top) {
		say(why, wsz, "empty range \"%s\": the low end is above the high end",
		    excerpt(a + rg->left, rg->right - rg->left, buf));
		return -1;
	}
	return 1;
}

static char *
dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

void
rules_line_free(struct rules_line *l)
{
	size_t i;

	free(l->text);
	free(l->address);
	for (i = 0; i < l->nenv; i++) {
		free(l->env[i].name);
		free(l->env[i].value);
	}
	free(l->env);
	memset(l, 0, sizeof *l);
}

static int
add_env(struct rules_line *l, const char *name, size_t nn, const char *value, size_t vn)
{
	struct rules_env *v = realloc(l->env, (l->nenv + 1) * sizeof *v);

	if (v == NULL)
		return -1;
	l->env = v;
	v[l->nenv].name = dup_n(name, nn);
	v[l->nenv].value = dup_n(value, vn);
	l->nenv++;
	return v[l->nenv - 1].name && v[l->nenv - 1].value ? 0 : -1;
}

/*
 * One line, without its newline.  0, or -1 with why filled; -2 out of memory.
 * The order of the checks follows tcprules', so the first problem a line
 * has is the one reported.
 */
static int
parse_line(const char *s, size_t len, struct rules_line *l, char *why, size_t wsz)
{
	struct range rg;
	size_t end = len, colon, p, i, j;
	char buf[64], q;

	memset(l, 0, sizeof *l);
	if ((l->text = dup_n(s, len)) == NULL)
		return -2;
	if (len > 0 && s[0] == '#') {
		l->kind = RULES_COMMENT;
		return 0;
	}
	while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	if (end == 0) {
		l->kind = RULES_BLANK;
		return 0;
	}
	l->kind = RULES_RULE;
	if (memchr(s, '\r', end) != NULL || memchr(s, '\0', end) != NULL) {
		say(why, wsz, "%s in the line (a file from another system?)",
		    memchr(s, '\r', end) ? "carriage return" : "NUL byte");
		return -1;
	}
	for (colon = 0; colon < end; colon++)
		if (s[colon] == ':' && (starts(s + colon + 1, end - colon - 1, "allow") ||
		    starts(s + colon + 1, end - colon - 1, "deny")))
			break;
	if (colon == end) {
		if (memchr(s, ':', end) == NULL)
			say(why, wsz, "no ':' in \"%s\": a rule is ADDRESS:allow or "
			    "ADDRESS:deny, a comment starts with '#'", excerpt(s, end, buf));
		else
			say(why, wsz, "bad instruction in \"%s\": expected :allow or :deny",
			    excerpt(s, end, buf));
		return -1;
	}
	if ((l->address = dup_n(s, colon)) == NULL)
		return -2;
	if (strpbrk(l->address, " \t") != NULL) {
		say(why, wsz, "white space in the address \"%s\"", excerpt(s, colon, buf));
		return -1;
	}
	if (find_range(l->address, &rg, why, wsz) < 0)
		return -1;
	p = colon + 1;
	if (starts(s + p, end - p, "deny")) {
		l->deny = 1;
		p += 4;
	} else
		p += 5;
	while (p < end) {
		if (s[p] != ',') {
			say(why, wsz, "unexpected \"%s\" after the instruction: settings "
			    "are ,NAME=\"VALUE\"", excerpt(s + p, end - p, buf));
			return -1;
		}
		for (i = p + 1; i < end && s[i] != '='; i++)
			;
		if (i == end) {
			say(why, wsz, "setting \"%s\" has no '='", excerpt(s + p + 1, end - p - 1, buf));
			return -1;
		}
		if (!name_ok(s + p + 1, i - p - 1)) {
			say(why, wsz, "bad variable name \"%s\"", excerpt(s + p + 1, i - p - 1, buf));
			return -1;
		}
		if (i + 1 == end) {
			say(why, wsz, "%s has no value: write %s=\"\" for an empty one",
			    excerpt(s + p + 1, i - p - 1, buf), excerpt(s + p + 1, i - p - 1, buf));
			return -1;
		}
		/* As tcprules: the character after '=' is the quote, whatever it is. */
		q = s[i + 1];
		for (j = i + 2; j < end && s[j] != q; j++)
			;
		if (j == end) {
			say(why, wsz, "unterminated quote: %s=%c... has no closing %c",
			    excerpt(s + p + 1, i - p - 1, buf), q, q);
			return -1;
		}
		if (add_env(l, s + p + 1, i - p - 1, s + i + 2, j - i - 2) < 0)
			return -2;
		p = j + 1;
	}
	return 0;
}

void
rules_free(struct rules *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		rules_line_free(&r->lines[i]);
	free(r->lines);
	r->lines = NULL;
	r->n = 0;
}

int
rules_parse(const char *text, size_t len, struct rules *r, struct rules_errors *errs)
{
	size_t pos = 0, lineno = 0, cap = 0, n;
	const char *nl;
	struct rules_line l, *nv;
	char why[200];
	int rc;

	memset(r, 0, sizeof *r);
	memset(errs, 0, sizeof *errs);
	while (pos < len) {
		nl = memchr(text + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		rc = parse_line(text + pos, n, &l, why, sizeof why);
		if (rc == -2) {
			rules_line_free(&l);
			rules_free(r);
			return -1;
		}
		if (rc < 0) {
			if (errs->n < RULES_ERRORS_MAX) {
				errs->e[errs->n].line = lineno;
				snprintf(errs->e[errs->n].msg, sizeof errs->e[0].msg, "%s", why);
			}
			errs->n++;
			rules_line_free(&l);
		} else {
			if (r->n == cap) {
				cap = cap ? cap * 2 : 64;
				if ((nv = realloc(r->lines, cap * sizeof *nv)) == NULL) {
					rules_line_free(&l);
					rules_free(r);
					return -1;
				}
				r->lines = nv;
			}
			r->lines[r->n++] = l;
		}
		pos += n + 1;
	}
	if (errs->n > 0) {
		rules_free(r);
		return (int)errs->n;
	}
	return 0;
}

int
rules_parse_rule(const char *text, struct rules_line *l, struct err *e)
{
	char why[200];
	int rc;

	if (strchr(text, '\n') != NULL) {
		err_set(e, ERR_PERM, 0, "a rule is one line");
		return -1;
	}
	rc = parse_line(text, strlen(text), l, why, sizeof why);
	if (rc == 0 && l->kind != RULES_RULE) {
		snprintf(why, sizeof why, "not a rule: ADDRESS:allow or ADDRESS:deny");
		rc = -1;
	}
	if (rc < 0) {
		if (rc == -2)
			err_set(e, ERR_TEMP, ENOMEM, "parse rule");
		else
			err_set(e, ERR_PERM, 0, "%s", why);
		rules_line_free(l);
		return -1;
	}
	return 0;
}

char *
rules_text(const struct rules *r, size_t *len)
{
	size_t i, n = 0, k;
	char *out;

	for (i = 0; i < r->n; i++)
		n += strlen(r->lines[i].text) + 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (n = 0, i = 0; i < r->n; i++) {
		k = strlen(r->lines[i].text);
		memcpy(out + n, r->lines[i].text, k);
		n += k;
		out[n++] = '\n';
	}
	out[n] = '\0';
	*len = n;
	return out;
}

size_t
rules_count(const struct rules *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += r->lines[i].kind == RULES_RULE;
	return n;
}

/* Index in r->lines of rule number n (1-based), or r->n. */
static size_t
index_of(const struct rules *r, size_t n)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->lines[i].kind == RULES_RULE && --n == 0)
			return i;
	return r->n;
}

const struct rules_line *
rules_nth(const struct rules *r, size_t n)
{
	size_t i = n ? index_of(r, n) : r->n;

	return i < r->n ? &r->lines[i] : NULL;
}

static int
no_such(const struct rules *r, size_t n, struct err *e)
{
	err_set(e, ERR_PERM, 0, "no rule %zu: there are %zu", n, rules_count(r));
	return -1;
}

int
rules_insert(struct rules *r, struct rules_line *l, size_t before, struct err *e)
{
	struct rules_line *nv;
	size_t at = r->n;

	if (before != 0 && (at = index_of(r, before)) == r->n)
		return no_such(r, before, e);
	if ((nv = realloc(r->lines, (r->n + 1) * sizeof *nv)) == NULL) {
		err_set(e, ERR_TEMP, ENOMEM, "add rule");
		return -1;
	}
	r->lines = nv;
	memmove(&r->lines[at + 1], &r->lines[at], (r->n - at) * sizeof *nv);
	r->lines[at] = *l;
	r->n++;
	memset(l, 0, sizeof *l);
	return 0;
}

int
rules_delete(struct rules *r, size_t n, struct err *e)
{
	size_t at = n ? index_of(r, n) : r->n;

	if (at == r->n)
		return no_such(r, n, e);
	rules_line_free(&r->lines[at]);
	memmove(&r->lines[at], &r->lines[at + 1], (r->n - at - 1) * sizeof r->lines[0]);
	r->n--;
	return 0;
}

int
rules_move(struct rules *r, size_t n, size_t to, struct err *e)
{
	struct rules_line l;
	size_t at = n ? index_of(r, n) : r->n, count = rules_count(r);

	if (at == r->n)
		return no_such(r, n, e);
	if (to == 0 || to > count)
		return no_such(r, to, e);
	if (to == n)
		return 0;
	l = r->lines[at];
	memmove(&r->lines[at], &r->lines[at + 1], (r->n - at - 1) * sizeof l);
	r->n--;
	/* Now rule "to" is the one it should stand before, or the end. */
	if (to == count) {
		r->lines[r->n++] = l;	/* room: the slot just freed */
		return 0;
	}
	at = index_of(r, to);
	memmove(&r->lines[at + 1], &r->lines[at], (r->n - at) * sizeof l);
	r->lines[at] = l;
	r->n++;
	return 0;
}

/* The data tcprules writes for a rule: "D\0" for deny, "+NAME=value\0" each. */
static size_t
rule_data(const struct rules_line *l, char *out, size_t cap)
{
	size_t n = 0, i, a, b;

	if (l->deny && cap >= 2) {
		out[n++] = 'D';
		out[n++] = '\0';
	}
	for (i = 0; i < l->nenv; i++) {
		a = strlen(l->env[i].name);
		b = strlen(l->env[i].value);
		if (n + a + b + 3 > cap)
			return (size_t)-1;
		out[n++] = '+';
		memcpy(out + n, l->env[i].name, a);
		n += a;
		out[n++] = '=';
		memcpy(out + n, l->env[i].value, b);
		n += b;
		out[n++] = '\0';
	}
	return n;
}

int
rules_compile(const struct rules *r,
    int (*emit)(const char *, size_t, const char *, size_t, void *), void *arg)
{
	char data[8192], key[600], why[200];
	struct range rg;
	unsigned long v;
	size_t i, dn, kn;
	int rc;

	for (i = 0; i < r->n; i++) {
		const struct rules_line *l = &r->lines[i];

		if (l->kind != RULES_RULE)
			continue;
		if ((dn = rule_data(l, data, sizeof data)) == (size_t)-1)
			return -1;
		if (find_range(l->address, &rg, why, sizeof why) != 1) {
			if ((rc = emit(l->address, strlen(l->address), data, dn, arg)) != 0)
				return rc;
			continue;
		}
		for (v = rg.bot; v <= rg.top; v++) {
			kn = (size_t)snprintf(key, sizeof key, "%.*s%lu%s", (int)rg.left,
			    l->address, v, l->address + rg.right);
			if (kn >= sizeof key)
				return -1;
			if ((rc = emit(key, kn, data, dn, arg)) != 0)
				return rc;
		}
	}
	return 0;
}

/* tcpserver's reading of a record: "D" denies, "+NAME=value" sets. */
static void
decode(struct rules_answer *a)
{
	char *d = a->data, *end = a->data + a->dlen, *nul, *eq;

	while (d < end && (nul = memchr(d, '\0', (size_t)(end - d))) != NULL) {
		if (d[0] == 'D')
			a->deny = 1;
		else if (d[0] == '+' && (eq = strchr(d + 1, '=')) != NULL &&
		    a->nenv < sizeof a->env / sizeof a->env[0]) {
			a->env[a->nenv].name = d + 1;
			a->env[a->nenv].value = eq + 1;
			*eq = '\0';
			a->nenv++;
		}
		d = nul + 1;
	}
}

struct probe {
	int (*find)(const char *, size_t, char *, size_t, size_t *, void *);
	void *arg;
	struct rules_answer *a;
};

/* Try one key: 1 found (the answer filled), 0 not, -1 failure. */
static int
try_key(struct probe *p, const char *fmt, ...)
{
	struct rules_answer *a = p->a;
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(a->key, sizeof a->key, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof a->key)
		return 0;	/* longer than any key we could hold: no match */
	r = p->find(a->key, (size_t)n, a->data, sizeof a->data - 1, &a->dlen, p->arg);
	if (r == 1) {
		a->found = 1;
		decode(a);
	}
	return r;
}

int
rules_lookup(int (*find)(const char *, size_t, char *, size_t, size_t *, void *),
    void *arg, const char *ip, const char *host, const char *info,
    struct rules_answer *a)
{
	struct probe p = { find, arg, a };
	const char *h;
	size_t len;
	int r;

	memset(a, 0, sizeof *a);
#define TRY(...) do { if ((r = try_key(&p, __VA_ARGS__)) != 0) return r < 0 ? -1 : 0; } while (0)
	if (info != NULL) {
		TRY("%s@%s", info, ip);
		if (host != NULL)
			TRY("%s@=%s", info, host);
	}
	TRY("%s", ip);
	if (host != NULL)
		TRY("=%s", host);
	/* Prefixes, longest first: "1.2.3.", "1.2.", "1."; the IPv6 variant cuts at ':' too. */
	for (len = strlen(ip); len > 0; len--)
		if (ip[len - 1] == '.' || ip[len - 1] == ':')
			TRY("%.*s", (int)len, ip);
	if (host != NULL) {
		for (h = host; *h != '\0'; h++)
			if (*h == '.')
				TRY("=%s", h);
		TRY("=");
	}
	TRY("%s", "");
#undef TRY
	a->key[0] = '\0';
	return 0;
}

int
rules_client_ip(const char *addr, char *out, size_t outsz, struct err *e)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char b[16];
	unsigned g[8];
	int i, k, best = -1, bestlen = 0, n = 0;

	if (inet_pton(AF_INET, addr, b) == 1)
		return inet_ntop(AF_INET, b, out, (socklen_t)outsz) ? 0 : -1;
	if (inet_pton(AF_INET6, addr, b) != 1) {
		err_set(e, ERR_PERM, 0, "bad address \"%.60s\": not an IPv4 or IPv6 address", addr);
		return -1;
	}
	if (memcmp(b, mapped, 12) == 0)	/* tcpserver shows these as IPv4 */
		return inet_ntop(AF_INET, b + 12, out, (socklen_t)outsz) ? 0 : -1;
	for (i = 0; i < 8; i++)
		g[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
	for (i = 0; i < 8; ) {
		if (g[i] != 0) {
			i++;
			continue;
		}
		for (k = i; k < 8 && g[k] == 0; k++)
			;
		if (k - i > bestlen) {
			bestlen = k - i;
			best = i;
		}
		i = k;
	}
	out[0] = '\0';
	for (i = 0; i < 8; ) {
		if (i == best) {
			n += snprintf(out + n, outsz - (size_t)n, i == 0 ? "::" : ":");
			i += bestlen;
			continue;
		}
		n += snprintf(out + n, outsz - (size_t)n, i < 7 ? "%x:" : "%x", g[i]);
		if ((size_t)n >= outsz)
			return -1;
		i++;
	}
	return 0;
}
