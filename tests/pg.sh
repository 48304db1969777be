# pg.sh: a throwaway PostgreSQL 15 for the tests of relaygate sync, on a
# loopback port above 1024, in a directory of T_TMP owned by postgres,
# stopped by pg_ctl (its PID is in postmaster.pid).  Source after lib.sh.
#   pg_setup      initdb, start, create database relaygate and the schema
#   pg_start / pg_stop
#   pg_sql SQL    psql as the superuser rgtest, on the socket; prints rows
# Sets PG_PORT, PG_DIR; PG_SUPER is a conninfo for rgtest over TCP.
PGB=/usr/lib/postgresql/15/bin
PG_DIR=$T_TMP/pg
PG_PORT=
PG_PASS=rg-super-pass

pg_have() { [ -x "$PGB/initdb" ] && [ -x "$PGB/pg_ctl" ] && id postgres >/dev/null 2>&1; }

pg_start() {
	runuser -u postgres -- "$PGB/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/pg.log" -w -t 20 \
	    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off" start >/dev/null
}

pg_stop() {
	[ -f "$PG_DIR/data/postmaster.pid" ] || return 0
	runuser -u postgres -- "$PGB/pg_ctl" -D "$PG_DIR/data" -w -t 20 -m fast stop >/dev/null 2>&1
}

pg_sql() {
	timeout 20 "$PGB/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U rgtest -d "${PG_DB:-relaygate}" -c "$1"
}

pg_setup() {
	mkdir -p "$PG_DIR" && chown postgres: "$PG_DIR" && chmod 755 "$PG_DIR" || return 1
	printf '%s\n' "$PG_PASS" >"$PG_DIR/pw" && chown postgres: "$PG_DIR/pw" || return 1
	runuser -u postgres -- "$PGB/initdb" -D "$PG_DIR/data" -U rgtest --pwfile="$PG_DIR/pw" \
	    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync \
	    >"$PG_DIR/initdb.log" 2>&1 || return 1
	PG_PORT=$(free_port)
	pg_start || return 1
	PG_DB=postgres pg_sql 'CREATE DATABASE relaygate' >/dev/null || return 1
	PG_SUPER="host=127.0.0.1 port=$PG_PORT dbname=relaygate user=rgtest password=$PG_PASS"
	printf 'pgsql = %s\n' "$PG_SUPER" >"$PG_DIR/admin.conf"
	RELAYGATE_CONF=$PG_DIR/admin.conf relaygate sync --init-schema
}

# A login role for a host: pg_role NAME PASSWORD relaygate_read|relaygate_login|relaygate_admin
pg_role() {
	pg_sql "CREATE ROLE $1 LOGIN PASSWORD '$2' IN ROLE $3" >/dev/null
}
