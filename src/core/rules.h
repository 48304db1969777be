/*
 * rules: ucspi-tcp's rules file (tcp.smtp), as tcprules reads it and as
 * tcpserver looks it up.
 *
 * A rules text is kept line by line as the admin wrote it, so comments and
 * order survive an edit.  Parsing follows tcprules 0.88 wherever tcprules
 * accepts a line (with the IPv6 variant's reading of "ADDRESS:allow" for
 * addresses holding colons), and refuses with a line-numbered message what
 * tcprules would refuse or silently ignore.  Compiling yields the (key,
 * data) records tcprules writes, in its order; looking up follows
 * tcpserver's search order over a store the caller supplies.
 */
#ifndef RG_RULES_H
#define RG_RULES_H

#include <stddef.h>

#include "core/err.h"

enum rules_kind { RULES_BLANK, RULES_COMMENT, RULES_RULE };

struct rules_env {
	char *name;
	char *value;
};

struct rules_line {
	char *text;		/* as written, without its newline */
	enum rules_kind kind;
	/* RULES_RULE only: */
	char *address;		/* what comes before ":allow" or ":deny" */
	int deny;
	size_t nenv;
	struct rules_env *env;
};

struct rules {
	struct rules_line *lines;
	size_t n;
};

#define RULES_ERRORS_MAX 50

struct rules_errors {
	size_t n;		/* errors found (only the first RULES_ERRORS_MAX kept) */
	struct {
		size_t line;	/* 1-based line number */
		char msg[200];
	} e[RULES_ERRORS_MAX];
};

/* Parse text into *r; 0, or the number of errors (in *errs) with *r empty. -1: out of memory. */
int rules_parse(const char *text, size_t len, struct rules *r, struct rules_errors *errs);

/* Parse one rule line (for rules_add); 0, or -1 and e. */
int rules_parse_rule(const char *text, struct rules_line *l, struct err *e);

void rules_free(struct rules *r);
void rules_line_free(struct rules_line *l);

/* The text again, one line each with its newline; malloc'd.  NULL: out of memory. */
char *rules_text(const struct rules *r, size_t *len);

/* How many rules (not comments or blank lines). */
size_t rules_count(const struct rules *r);

/* The rule numbered n (1-based), or NULL. */
const struct rules_line *rules_nth(const struct rules *r, size_t n);

/* Insert l (taken over) before rule number before (0: at the end). 0, or -1 and e. */
int rules_insert(struct rules *r, struct rules_line *l, size_t before, struct err *e);

/* Remove rule n, or move it so it becomes rule number to.  0, or -1 and e. */
int rules_delete(struct rules *r, size_t n, struct err *e);
int rules_move(struct rules *r, size_t n, size_t to, struct err *e);

/*
 * The records tcprules writes for r, in its order: emit(key, klen, data,
 * dlen, arg) for each; a non-zero return stops and is returned.
 */
int rules_compile(const struct rules *r,
    int (*emit)(const char *, size_t, const char *, size_t, void *), void *arg);

/* What tcpserver would do for a client. */
struct rules_answer {
	int found;		/* a rule matched (else: no rule, allowed) */
	char key[512];		/* the rule's key */
	int deny;
	size_t nenv;
	struct rules_env env[32];	/* pointing into data */
	char data[2048];	/* the matched record's data */
	size_t dlen;
};

/*
 * find(key, klen, buf, cap, &dlen, arg): 1 and the data in buf, 0 none,
 * -1 failure.  ip is tcpserver's TCPREMOTEIP, host and info may be NULL.
 * 0 and *a, or -1 (find failed, or a record too big).
 */
int rules_lookup(int (*find)(const char *, size_t, char *, size_t, size_t *, void *),
    void *arg, const char *ip, const char *host, const char *info,
    struct rules_answer *a);

/*
 * A client address as tcpserver writes TCPREMOTEIP: IPv4 (and IPv4-mapped
 * IPv6) in dotted quad; IPv6 as the IPv6 variant of ucspi-tcp formats it
 * (lower-case hex, the first longest run of zero groups compressed, even a
 * single one).  0, or -1 and e.
 */
int rules_client_ip(const char *addr, char *out, size_t outsz, struct err *e);

#endif
