#!/bin/bash
# Postfix's pgsql: table over the shared grants, the alternative that
# relaygate-sync(8) documents: a real smtpd asks PostgreSQL at RCPT, and
# expiry is honoured by the query itself, without any sweep.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
. "$(dirname "$0")/postfix.sh"
plan 9

if ! pg_have || ! command -v postfix >/dev/null || ! command -v swaks >/dev/null ||
    ! grep -q '^pgsql' /etc/postfix/dynamicmaps.cf /usr/lib/postfix/*.cf 2>/dev/null; then
	ok "PostgreSQL 15, postfix, postfix-pgsql and swaks are installed (sh tools/deps test)" false
	done_testing
fi

master= sync=
cleanup() {
	stop_pid "$sync"
	stop_pid "$master"
	pg_stop
	rm -rf "$T_TMP"
}
trap cleanup EXIT
pg_setup
ok "a throwaway PostgreSQL on 127.0.0.1:$PG_PORT with the relaygate schema" [ $? -eq 0 ]
pg_role hosta 'A-pw' relaygate_login
pg_role postfix_smtp 'P-pw' relaygate_read
printf 'pgsql = host=127.0.0.1 port=%s dbname=relaygate user=hosta password=A-pw\nhost_name = pop1\n' \
    "$PG_PORT" >"$T_TMP/a.conf"
RELAYGATE_CONF=$T_TMP/a.conf relaygate sync 2>"$T_TMP/sync.log" &
sync=$!

# The map, contrib/postfix/pgsql-relaygate.cf as relaygate-sync(8) shows
# it, with this test's database in its connection settings.
pf=$T_TMP/pf
mkdir -p "$pf/conf" "$pf/queue"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
sed -e "s/^hosts = .*/hosts = inet:127.0.0.1:$PG_PORT/" -e 's/^user = .*/user = postfix_smtp/' \
    -e 's/^password = .*/password = P-pw/' "$ROOT/contrib/postfix/pgsql-relaygate.cf" >"$pf/pgsql-grants.cf"
port=$(free_port)
{ postfix_main "$pf" 127.0.0.1 ipv4
  echo "smtpd_relay_restrictions = check_client_access pgsql:$pf/pgsql-grants.cf, reject_unauth_destination"
} >"$pf/conf/main.cf"
postfix_master "$port" 127.0.0.1 >"$pf/conf/master.cf"
master=$(postfix_start "$pf" 50)

rcpt() {	# the answer to RCPT TO an outside address, from source address $1
	timeout 20 swaks --server "127.0.0.1:$port" --local-interface "$1" --to x@outside.example \
	    --from a@example.org --quit-after RCPT 2>&1 |
	    sed -n '/RCPT TO/{n;s/^<[-*]* *//;s/ .*//;p;}'
}
ok "our own Postfix started on 127.0.0.1:$port with a pgsql: access map" eval '[ -n "$master" ] && kill -0 "$master"'

# A login on the POP host, pushed by its sync daemon.  (It lives ten
# minutes, so it is still live when smtpd is asked, however slow the
# machine; a second login below gives it a second to live.)
login() { TCPREMOTEIP=127.0.0.2 USER=alice RELAYGATE_EXPIRY=$1 RELAYGATE_CONF=$T_TMP/a.conf relaygate-allow -p pop3 true 2>/dev/null; }
login 600
pushed() { [ "$(pg_sql "SELECT count(*) FROM grants WHERE addr = '127.0.0.2'")" = 1 ]; }
wait_until 60 pushed
is "$(rcpt 127.0.0.2)" 250 "smtpd relays for the granted client (250 at RCPT)"
is "$(rcpt 127.0.0.3)" 554 "and refuses another (554)"
RELAYGATE_CONF=$T_TMP/a.conf relaygate pin 127.0.0.4 2>/dev/null	# not this role's: refused upstream
pg_sql "INSERT INTO grants (addr, expires, host) VALUES ('127.0.0.5', NULL, 'admin')" >/dev/null
is "$(rcpt 127.0.0.5)" 250 "a pin (expires NULL) relays"

# Past its expiry, with no sweep anywhere: the query refuses it.
login 1
expired() { [ "$(pg_sql "SELECT expires < now() FROM grants WHERE addr = '127.0.0.2'")" = t ]; }
wait_until 60 expired
ok "the second login's second to live reached the database and ran out" expired
got=$(rcpt 127.0.0.2)
is "$got" 554 "once expired, smtpd refuses it (554)"
[ "$got" = 554 ] || { echo "# smtpd's log, last lines:"; tail -15 "$pf/maillog" | sed 's/^/#   /'; }
is "$(pg_sql "SELECT count(*) FROM grants WHERE addr = '127.0.0.2'")" 1 "though the row is still there: no sweep needed"
like "$(cat "$pf/maillog")" "127.0.0.2.*Relay access denied" "smtpd logged the refusal"
done_testing
