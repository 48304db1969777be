/* ruleset: the rules text and its cdb in step; see ruleset.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ruleset.h"
#include "stores/rulescdb.h"
#include "stores/textfile.h"

int
ruleset_load(const struct config *c, struct rules *r, struct rules_errors *errs,
    struct err *e)
{
	char *text;
	size_t len;
	int n;

	if (textfile_read(c->rules, &text, &len, e) < 0)
		return -1;
	n = rules_parse(text, len, r, errs);
	free(text);
	if (n < 0)
		err_set(e, ERR_TEMP, ENOMEM, "parse %s", c->rules);
	return n;
}

static int
add_record(const char *k, size_t kl, const char *d, size_t dl, void *arg)
{
	void **x = arg;

	return rulescdb_add(x[0], k, kl, d, dl, x[1]) < 0 ? -1 : 0;
}

/* A new cdb for r, not yet in place. */
static struct rulescdb_writer *
build(const struct config *c, const struct rules *r, struct err *e)
{
	struct rulescdb_writer *w;
	void *x[2];

	if ((w = rulescdb_create(c->rules_cdb, e)) == NULL)
		return NULL;
	x[0] = w;
	x[1] = e;
	e->kind = ERR_NONE;
	if (rules_compile(r, add_record, x) != 0) {
		if (e->kind == ERR_NONE)
			err_set(e, ERR_PERM, 0, "compile %s: a rule is too long", c->rules);
		rulescdb_abort(w);
		return NULL;
	}
	return w;
}

int
ruleset_compile(const struct config *c, struct rules_errors *errs, struct err *e)
{
	struct rulescdb_writer *w;
	struct rules r;
	int n;

	if ((n = ruleset_load(c, &r, errs, e)) != 0)
		return n;
	w = build(c, &r, e);
	rules_free(&r);
	if (w == NULL || rulescdb_commit(w, e) < 0)
		return -1;
	return 0;
}

/* Write text, then put its cdb in place: the text is the admin's truth. */
static int
save(const struct config *c, struct textfile *t, const struct rules *r, struct err *e)
{
	struct rulescdb_writer *w;
	char *text;
	size_t len;

	if ((w = build(c, r, e)) == NULL)
		return -1;
	if ((text = rules_text(r, &len)) == NULL) {
		err_set(e, ERR_TEMP, ENOMEM, "write %s", c->rules);
		rulescdb_abort(w);
		return -1;
	}
	if (textfile_replace(t, text, len, e) < 0) {
		free(text);
		rulescdb_abort(w);
		return -1;
	}
	free(text);
	if (rulescdb_commit(w, e) < 0) {
		/* The text changed; say how to finish the job. */
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof e->msg - n,
		    " (%s was saved: run relaygate rules compile)", c->rules);
		return -1;
	}
	return 0;
}

int
ruleset_change(const struct config *c, int create,
    int (*edit)(struct rules *, void *, struct err *), void *arg,
    struct rules_errors *errs, struct err *e)
{
	struct textfile t;
	struct rules r;
	int n;

	if (textfile_lock(&t, c->rules, create, c->lock_timeout_ms, e) < 0)
		return -1;
	n = rules_parse(t.data, t.len, &r, errs);
	if (n != 0) {
		if (n < 0)
			err_set(e, ERR_TEMP, ENOMEM, "parse %s", c->rules);
		textfile_unlock(&t);
		return n;
	}
	n = edit(&r, arg, e) < 0 || save(c, &t, &r, e) < 0 ? -1 : 0;
	rules_free(&r);
	textfile_unlock(&t);
	return n;
}

int
ruleset_replace(const struct config *c, const char *orig, size_t olen,
    const char *next, size_t nlen, struct rules_errors *errs, struct err *e)
{
	struct textfile t;
	struct rules r;
	int n;

	n = rules_parse(next, nlen, &r, errs);
	if (n != 0) {
		if (n < 0)
			err_set(e, ERR_TEMP, ENOMEM, "parse the new %s", c->rules);
		return n;
	}
	if (textfile_lock(&t, c->rules, 1, c->lock_timeout_ms, e) < 0) {
		rules_free(&r);
		return -1;
	}
	if (t.len != olen || memcmp(t.data, orig, olen) != 0) {
		err_set(e, ERR_PERM, 0, "%s was changed by someone else meanwhile; "
		    "nothing saved", c->rules);
		n = -1;
	} else
		n = save(c, &t, &r, e);
	rules_free(&r);
	textfile_unlock(&t);
	return n;
}

int
ruleset_snapshot(const struct config *c, char **text, size_t *len, struct err *e)
{
	if (textfile_read(c->rules, text, len, e) == 0)
		return 0;
	if (e->errnum != ENOENT)
		return -1;
	*len = 0;
	return (*text = calloc(1, 1)) != NULL ? 0 : -1;
}

struct finder {
	struct rulescdb *db;
	struct err *e;
};

static int
find(const char *key, size_t klen, char *buf, size_t cap, size_t *dlen, void *arg)
{
	struct finder *f = arg;

	return rulescdb_find(f->db, key, klen, buf, cap, dlen, f->e);
}

int
ruleset_check(const struct config *c, const char *addr, const char *host,
    const char *info, struct rules_answer *a, struct err *e)
{
	struct finder f = { NULL, e };
	char ip[64];
	int r;

	if (rules_client_ip(addr, ip, sizeof ip, e) < 0)
		return -1;
	if ((f.db = rulescdb_open(c->rules_cdb, e)) == NULL)
		return -1;
	r = rules_lookup(find, &f, ip, host, info, a);
	rulescdb_close(f.db);
	return r;
}
