/* pgstore: the shared grants in PostgreSQL through libpq; see pgstore.h. */
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stores/pgstore.h"

#define CHANNEL "relaygate_grants"
#define PUSH_RESULTS_MAX 1024	/* changes in one push, and so results */

struct pgstore {
	PGconn *conn;
	long timeout_ms;
};

static int64_t
mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* libpq's message, on one line. */
static void
pg_err(struct err *e, PGconn *conn, const char *op)
{
	char msg[400];
	size_t n;

	snprintf(msg, sizeof msg, "%s", conn ? PQerrorMessage(conn) : "out of memory");
	while ((n = strlen(msg)) > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[n - 1] = '\0';
	for (n = 0; msg[n] != '\0'; n++)
		if (msg[n] == '\n' || msg[n] == '\t')
			msg[n] = ' ';
	err_set(e, ERR_TEMP, 0, "%s: %s", op, msg[0] ? msg : "connection lost");
}

/* Wait for fd to be ready for ev until deadline (monotonic ms).  0, or -1 and e. */
static int
wait_fd(int fd, short ev, int64_t deadline, const char *op, struct err *e)
{
	struct pollfd p;
	int64_t left;
	int r;

	for (;;) {
		if ((left = deadline - mono_ms()) <= 0) {
			err_set(e, ERR_TEMP, ETIMEDOUT, "%s", op);
			return -1;
		}
		p.fd = fd;
		p.events = ev;
		p.revents = 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR) {
			err_set(e, ERR_TEMP, errno, "%s: poll", op);
			return -1;
		}
	}
}

/* The server's notices (and its last words on a shutdown): the caller reports failures itself. */
static void
no_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

struct pgstore *
pgstore_connect(const char *conninfo, long timeout_ms, struct err *e)
{
	static const char *const keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo, "relaygate sync", NULL };
	int64_t deadline = mono_ms() + timeout_ms;
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	struct pgstore *pg;

	if ((pg = calloc(1, sizeof *pg)) == NULL) {
		err_set(e, ERR_TEMP, errno, "connect to PostgreSQL");
		return NULL;
	}
	pg->timeout_ms = timeout_ms;
	pg->conn = PQconnectStartParams(keys, vals, 1);
	if (pg->conn == NULL || PQstatus(pg->conn) == CONNECTION_BAD) {
		pg_err(e, pg->conn, "connect to PostgreSQL");
		goto fail;
	}
	PQsetNoticeProcessor(pg->conn, no_notice, NULL);
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			pg_err(e, pg->conn, "connect to PostgreSQL");
			goto fail;
		}
		if (wait_fd(PQsocket(pg->conn), st == PGRES_POLLING_READING ? POLLIN : POLLOUT,
		    deadline, "connect to PostgreSQL", e) < 0)
			goto fail;
		st = PQconnectPoll(pg->conn);
	}
	if (PQsetnonblocking(pg->conn, 1) != 0) {
		pg_err(e, pg->conn, "connect to PostgreSQL");
		goto fail;
	}
	return pg;
fail:
	pgstore_close(pg);
	return NULL;
}

void
pgstore_close(struct pgstore *pg)
{
	if (pg == NULL)
		return;
	if (pg->conn != NULL)
		PQfinish(pg->conn);
	free(pg);
}

int
pgstore_fd(const struct pgstore *pg)
{
	return PQsocket(pg->conn);
}

/*
 * Send what PQsend* queued and collect every result into res[0..max) (the
 * rest are read and dropped), by the deadline.  0 and *n, or -1 and e.
 */
static int
collect(struct pgstore *pg, const char *op, PGresult **res, size_t max, size_t *n,
    struct err *e)
{
	int64_t deadline = mono_ms() + pg->timeout_ms;
	PGresult *r;
	int f;

	*n = 0;
	while ((f = PQflush(pg->conn)) == 1)
		if (wait_fd(PQsocket(pg->conn), POLLIN | POLLOUT, deadline, op, e) < 0 ||
		    PQconsumeInput(pg->conn) == 0)
			goto lost;
	if (f < 0)
		goto bad;
	for (;;) {
		while (PQisBusy(pg->conn)) {
			if (wait_fd(PQsocket(pg->conn), POLLIN, deadline, op, e) < 0)
				goto lost;
			if (PQconsumeInput(pg->conn) == 0)
				goto bad;
		}
		if ((r = PQgetResult(pg->conn)) == NULL)
			return 0;
		if (*n < max)
			res[(*n)++] = r;
		else
			PQclear(r);
	}
bad:
	pg_err(e, pg->conn, op);
lost:
	while (*n > 0)
		PQclear(res[--(*n)]);
	return -1;
}

static void
clear_all(PGresult **res, size_t n)
{
	while (n > 0)
		PQclear(res[--n]);
}

/* The error of a failed result, as e; ERR_PERM for "not permitted" (SQLSTATE 42501). */
static void
result_err(struct err *e, const PGresult *r, const char *op)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);

	err_set(e, state && strcmp(state, "42501") == 0 ? ERR_PERM : ERR_TEMP, 0,
	    "%s: %s", op, msg ? msg : PQresStatus(PQresultStatus(r)));
}

static int
ok_status(const PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* Run one statement (params as text) and hand back its one result. */
static PGresult *
run(struct pgstore *pg, const char *op, const char *sql, int np,
    const char *const *params, struct err *e)
{
	PGresult *res[4];
	size_t n, i;

	if (!PQsendQueryParams(pg->conn, sql, np, NULL, params, NULL, NULL, 0)) {
		pg_err(e, pg->conn, op);
		return NULL;
	}
	if (collect(pg, op, res, 4, &n, e) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (!ok_status(res[i])) {
			result_err(e, res[i], op);
			clear_all(res, n);
			return NULL;
		}
	if (n != 1) {
		err_set(e, ERR_TEMP, 0, "%s: %zu results for one statement", op, n);
		clear_all(res, n);
		return NULL;
	}
	return res[0];
}

/* Run a script of statements (simple protocol, one implicit transaction). */
static int
run_script(struct pgstore *pg, const char *op, const char *sql, struct err *e)
{
	PGresult *res[64];
	size_t n, i;
	int rc = 0;

	if (!PQsendQuery(pg->conn, sql)) {
		pg_err(e, pg->conn, op);
		return -1;
	}
	if (collect(pg, op, res, 64, &n, e) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++)
		if (!ok_status(res[i])) {
			result_err(e, res[i], op);
			rc = -1;
		}
	clear_all(res, n);
	return rc;
}

static const char schema[] =
    "SET client_min_messages = warning;\n"
    "CREATE TABLE IF NOT EXISTS grants (\n"
    "  addr text COLLATE \"C\" PRIMARY KEY,\n"
    "  expires timestamptz,\n"
    "  pinned boolean GENERATED ALWAYS AS (expires IS NULL) STORED,\n"
    "  username text NOT NULL DEFAULT '',\n"
    "  proto text NOT NULL DEFAULT '',\n"
    "  granted timestamptz NOT NULL DEFAULT now(),\n"
    "  relayclient text,\n"
    "  note text NOT NULL DEFAULT '',\n"
    "  host text NOT NULL DEFAULT '');\n"
    "CREATE INDEX IF NOT EXISTS grants_expires ON grants (expires) WHERE expires IS NOT NULL;\n"
    "CREATE TABLE IF NOT EXISTS sync_hosts (\n"
    "  name text PRIMARY KEY,\n"
    "  store_id bigint NOT NULL,\n"
    "  pushed bigint NOT NULL,\n"
    "  seen timestamptz NOT NULL DEFAULT now());\n"
    "CREATE OR REPLACE FUNCTION relaygate_notify() RETURNS trigger LANGUAGE plpgsql AS $$\n"
    "BEGIN PERFORM pg_notify('" CHANNEL "', COALESCE(NEW.addr, OLD.addr)); RETURN NULL; END $$;\n"
    "DROP TRIGGER IF EXISTS grants_notify ON grants;\n"
    "CREATE TRIGGER grants_notify AFTER INSERT OR UPDATE OR DELETE ON grants\n"
    "  FOR EACH ROW EXECUTE FUNCTION relaygate_notify();\n"
    "DO $$ BEGIN\n"
    "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'relaygate_read') THEN\n"
    "    CREATE ROLE relaygate_read NOLOGIN; END IF;\n"
    "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'relaygate_login') THEN\n"
    "    CREATE ROLE relaygate_login NOLOGIN IN ROLE relaygate_read; END IF;\n"
    "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'relaygate_admin') THEN\n"
    "    CREATE ROLE relaygate_admin NOLOGIN IN ROLE relaygate_login; END IF;\n"
    "END $$;\n"
    "REVOKE ALL ON grants, sync_hosts FROM PUBLIC;\n"
    "GRANT SELECT ON grants TO relaygate_read;\n"
    "GRANT SELECT, INSERT, UPDATE ON sync_hosts TO relaygate_read;\n"
    "GRANT INSERT, UPDATE, DELETE ON grants TO relaygate_login;\n"
    "ALTER TABLE grants ENABLE ROW LEVEL SECURITY;\n"
    "DROP POLICY IF EXISTS grants_read ON grants;\n"
    "DROP POLICY IF EXISTS grants_login ON grants;\n"
    "DROP POLICY IF EXISTS grants_admin ON grants;\n"
    "CREATE POLICY grants_read ON grants FOR SELECT TO relaygate_read USING (true);\n"
    "CREATE POLICY grants_login ON grants FOR ALL TO relaygate_login\n"
    "  USING (expires IS NOT NULL) WITH CHECK (expires IS NOT NULL);\n"
    "CREATE POLICY grants_admin ON grants FOR ALL TO relaygate_admin\n"
    "  USING (true) WITH CHECK (true);\n";

int
pgstore_init_schema(struct pgstore *pg, struct err *e)
{
	return run_script(pg, "create the relaygate schema", schema, e);
}

int
pgstore_listen(struct pgstore *pg, struct err *e)
{
	return run_script(pg, "LISTEN " CHANNEL, "LISTEN " CHANNEL, e);
}

int
pgstore_notified(struct pgstore *pg, void (*fn)(const char *, void *), void *arg,
    struct err *e)
{
	PGnotify *n;

	if (PQconsumeInput(pg->conn) == 0 || PQstatus(pg->conn) != CONNECTION_OK) {
		pg_err(e, pg->conn, "read notifications");
		return -1;
	}
	while ((n = PQnotifies(pg->conn)) != NULL) {
		if (strcmp(n->relname, CHANNEL) == 0)
			fn(n->extra, arg);
		PQfreemem(n);
	}
	return 0;
}

int
pgstore_now(struct pgstore *pg, int64_t *ms, struct err *e)
{
	PGresult *r;

	r = run(pg, "read the database's clock",
	    "SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint", 0, NULL, e);
	if (r == NULL)
		return -1;
	*ms = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return 0;
}

int
pgstore_pushed(struct pgstore *pg, const char *host, uint64_t id, uint64_t *seq,
    struct err *e)
{
	char ids[24];
	const char *p[2] = { host, ids };
	PGresult *r;

	snprintf(ids, sizeof ids, "%" PRId64, (int64_t)id);
	r = run(pg, "read sync_hosts",
	    "SELECT pushed FROM sync_hosts WHERE name = $1 AND store_id = $2::bigint", 2, p, e);
	if (r == NULL)
		return -1;
	*seq = PQntuples(r) == 1 ? (uint64_t)strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return 0;
}

/* A growing text buffer for one push script. */
struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void
add(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	char *np;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + n;

		if ((np = realloc(b->p, cap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

/* s as an SQL literal. */
static void
add_lit(struct buf *b, PGconn *conn, const char *s)
{
	char *l = PQescapeLiteral(conn, s, strlen(s));

	if (l == NULL) {
		b->failed = 1;
		return;
	}
	add(b, l);
	PQfreemem(l);
}

static void
add_change(struct buf *b, PGconn *conn, const struct pgstore_change *c)
{
	char num[64];

	if (c->del) {
		add(b, "DELETE FROM grants WHERE addr = ");
		add_lit(b, conn, c->g.addr);
		add(b, c->g.pinned ? " AND expires IS NULL;\n" : " AND expires IS NOT NULL;\n");
		return;
	}
	add(b, "INSERT INTO grants AS g (addr, expires, username, proto, granted, "
	    "relayclient, note, host) VALUES (");
	add_lit(b, conn, c->g.addr);
	if (c->g.pinned) {
		add(b, ", NULL, ");
	} else {
		snprintf(num, sizeof num, ", now() + make_interval(secs => %.3f), ", c->remaining);
		add(b, num);
	}
	add_lit(b, conn, c->g.user);
	add(b, ", ");
	add_lit(b, conn, c->g.proto);
	snprintf(num, sizeof num, ", to_timestamp(%" PRId64 "), ", c->g.granted);
	add(b, num);
	if (c->g.has_relayclient)
		add_lit(b, conn, c->g.relayclient);
	else
		add(b, "NULL");
	add(b, ", ");
	add_lit(b, conn, c->g.note);
	add(b, ", ");
	add_lit(b, conn, c->g.host);
	add(b, ") ON CONFLICT (addr) DO UPDATE SET expires = EXCLUDED.expires, "
	    "username = EXCLUDED.username, proto = EXCLUDED.proto, granted = EXCLUDED.granted, "
	    "relayclient = EXCLUDED.relayclient, note = EXCLUDED.note, host = EXCLUDED.host");
	/* A login never turns a pin into a timed grant. */
	add(b, c->g.pinned ? ";\n" : " WHERE g.expires IS NOT NULL;\n");
}

/* One try at pushing the changes not refused yet.  0; 1 one more refused; -1 and e. */
static int
push_once(struct pgstore *pg, const char *host, uint64_t id, uint64_t seq,
    const struct pgstore_change *c, size_t n, int *result, struct err *refusal,
    struct err *e)
{
	PGresult *res[PUSH_RESULTS_MAX + 4];
	size_t *which, nres, i, k, sent = 0;
	struct buf b = { NULL, 0, 0, 0 };
	char num[80];
	int rc = 0;

	if ((which = calloc(n + 1, sizeof *which)) == NULL) {
		err_set(e, ERR_TEMP, errno, "push to PostgreSQL");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (result[i] != PGSTORE_REFUSED) {
			which[sent++] = i;
			add_change(&b, pg->conn, &c[i]);
		}
	add(&b, "INSERT INTO sync_hosts (name, store_id, pushed) VALUES (");
	add_lit(&b, pg->conn, host);
	snprintf(num, sizeof num, ", %" PRId64 ", %" PRId64 ")", (int64_t)id, (int64_t)seq);
	add(&b, num);
	add(&b, " ON CONFLICT (name) DO UPDATE SET store_id = EXCLUDED.store_id, "
	    "pushed = EXCLUDED.pushed, seen = now();\n");
	if (b.failed) {
		err_set(e, ERR_TEMP, ENOMEM, "push to PostgreSQL");
		rc = -1;
	} else if (!PQsendQuery(pg->conn, b.p)) {
		pg_err(e, pg->conn, "push to PostgreSQL");
		rc = -1;
	} else if (collect(pg, "push to PostgreSQL", res, PUSH_RESULTS_MAX + 4, &nres, e) < 0) {
		rc = -1;
	} else {
		for (k = 0; k < nres && rc == 0; k++) {
			if (ok_status(res[k])) {
				if (k < sent)
					result[which[k]] = strcmp(PQcmdTuples(res[k]), "0") == 0 &&
					    !c[which[k]].del ? PGSTORE_KEPT : PGSTORE_DONE;
				continue;
			}
			result_err(e, res[k], "push to PostgreSQL");
			if (e->kind == ERR_PERM && k < sent) {
				/* This change is not ours to make: drop it, push the rest again. */
				result[which[k]] = PGSTORE_REFUSED;
				if (refusal != NULL && refusal->kind == ERR_NONE)
					*refusal = *e;
				err_set(e, ERR_TEMP, 0, "push to PostgreSQL: retry");
				rc = 1;
			} else {
				e->kind = ERR_TEMP;
				rc = -1;
			}
		}
		clear_all(res, nres);
	}
	free(b.p);
	free(which);
	return rc;
}

int
pgstore_push(struct pgstore *pg, const char *host, uint64_t id, uint64_t seq,
    const struct pgstore_change *c, size_t n, int *result, struct err *refusal,
    struct err *e)
{
	size_t i, tries;
	int r;

	if (n > PUSH_RESULTS_MAX) {
		err_set(e, ERR_PERM, 0, "push to PostgreSQL: %zu changes at once", n);
		return -1;
	}
	if (refusal != NULL)
		err_clear(refusal);
	for (i = 0; i < n; i++)
		result[i] = PGSTORE_DONE;
	for (tries = 0; tries <= n; tries++)
		if ((r = push_once(pg, host, id, seq, c, n, result, refusal, e)) <= 0)
			return r;
	err_set(e, ERR_TEMP, 0, "push to PostgreSQL: refused too often");
	return -1;
}

#define ROW_COLUMNS "addr, pinned, " \
    "GREATEST(0, floor(extract(epoch FROM expires - now())))::bigint, " \
    "username, proto, floor(extract(epoch FROM granted))::bigint, " \
    "relayclient IS NOT NULL, COALESCE(relayclient, ''), note, host"
#define ROW_LIVE "(expires IS NULL OR expires > now())"

static int
copy_text(char *dst, size_t cap, const PGresult *r, int row, int col)
{
	const char *v = PQgetvalue(r, row, col);

	if ((size_t)PQgetlength(r, row, col) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* The rows of r into rows[*n...]; rows that do not fit the limits are passed over. */
static int
take_rows(const PGresult *r, struct pgstore_row *rows, size_t max, size_t *n)
{
	struct pgstore_row *x;
	int i, bad = 0;

	if (PQnfields(r) != 10)
		return -1;
	for (i = 0; i < PQntuples(r) && *n < max; i++) {
		x = &rows[*n];
		memset(x, 0, sizeof *x);
		if (copy_text(x->g.addr, sizeof x->g.addr, r, i, 0) < 0 ||
		    copy_text(x->g.user, sizeof x->g.user, r, i, 3) < 0 ||
		    copy_text(x->g.proto, sizeof x->g.proto, r, i, 4) < 0 ||
		    copy_text(x->g.relayclient, sizeof x->g.relayclient, r, i, 7) < 0 ||
		    copy_text(x->g.note, sizeof x->g.note, r, i, 8) < 0 ||
		    copy_text(x->g.host, sizeof x->g.host, r, i, 9) < 0) {
			bad++;
			continue;
		}
		x->g.pinned = strcmp(PQgetvalue(r, i, 1), "t") == 0;
		x->remaining = strtoll(PQgetvalue(r, i, 2), NULL, 10);
		x->g.granted = strtoll(PQgetvalue(r, i, 5), NULL, 10);
		x->g.has_relayclient = strcmp(PQgetvalue(r, i, 6), "t") == 0;
		(*n)++;
	}
	return bad;
}

int
pgstore_page(struct pgstore *pg, const char *after, size_t max,
    struct pgstore_row *rows, size_t *n, char *last, size_t *nread, struct err *e)
{
	char lim[24], len[24];
	const char *p[3] = { after, lim, len };
	PGresult *r;
	int rc = 0;

	*n = *nread = 0;
	snprintf(lim, sizeof lim, "%zu", max);
	snprintf(len, sizeof len, "%d", ADDR_TEXT_MAX);
	/* An addr too long to be an address is never ours: left out here. */
	r = run(pg, "read grants", "SELECT " ROW_COLUMNS " FROM grants WHERE addr > $1 AND "
	    "length(addr) < $3::int AND " ROW_LIVE " ORDER BY addr LIMIT $2::bigint", 3, p, e);
	if (r == NULL)
		return -1;
	if (take_rows(r, rows, max, n) < 0) {
		err_set(e, ERR_TEMP, 0, "read grants: unexpected columns");
		rc = -1;
	} else if ((*nread = (size_t)PQntuples(r)) > 0) {
		snprintf(last, ADDR_TEXT_MAX, "%s", PQgetvalue(r, (int)*nread - 1, 0));
	}
	PQclear(r);
	return rc;
}

int
pgstore_fetch(struct pgstore *pg, char (*addrs)[ADDR_TEXT_MAX], size_t n,
    struct pgstore_row *rows, size_t *nrows, struct err *e)
{
	struct buf b = { NULL, 0, 0, 0 };
	const char *p[1];
	PGresult *r;
	size_t i;
	int rc = 0;

	*nrows = 0;
	if (n == 0)
		return 0;
	add(&b, "{");
	for (i = 0; i < n; i++) {
		if (strspn(addrs[i], "0123456789abcdef.:") != strlen(addrs[i]))
			continue;	/* not a normal-form address: never upstream */
		if (i > 0)
			add(&b, ",");
		add(&b, addrs[i]);
	}
	add(&b, "}");
	if (b.failed) {
		err_set(e, ERR_TEMP, ENOMEM, "read grants");
		free(b.p);
		return -1;
	}
	p[0] = b.p;
	r = run(pg, "read grants", "SELECT " ROW_COLUMNS " FROM grants WHERE addr = ANY($1::text[]) AND "
	    ROW_LIVE, 1, p, e);
	free(b.p);
	if (r == NULL)
		return -1;
	if (take_rows(r, rows, n, nrows) < 0) {
		err_set(e, ERR_TEMP, 0, "read grants: unexpected columns");
		rc = -1;
	}
	PQclear(r);
	return rc;
}

int
pgstore_purge(struct pgstore *pg, long *removed, struct err *e)
{
	PGresult *r;

	*removed = 0;
	r = run(pg, "remove old expired grants",
	    "DELETE FROM grants WHERE expires < now() - interval '1 hour'", 0, NULL, e);
	if (r == NULL)
		return e->kind == ERR_PERM ? 0 : -1;	/* not this role's job */
	*removed = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}
