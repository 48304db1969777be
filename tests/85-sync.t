#!/bin/bash
# relaygate sync: several hosts share one set of grants through a real
# PostgreSQL 15 on loopback.  Two hosts (A, B: admins), a third whose
# clock runs 30 s ahead (C: login hosts' rights), a fourth that may only
# read (D: an SMTP host).  Each host is a store directory, a config file
# and (A, B, C) a sync daemon.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
plan 40

if ! pg_have; then
	ok "PostgreSQL 15 is installed (sh tools/deps test)" false
	done_testing
fi

now() { date +%s.%N; }
pids=
cleanup() {
	for p in $pids; do stop_pid "$p"; done
	pg_stop
	rm -rf "$T_TMP"
}
trap cleanup EXIT
pg_setup
ok "a throwaway PostgreSQL on 127.0.0.1:$PG_PORT, schema made by relaygate sync --init-schema" [ $? -eq 0 ]
pg_role hosta 'A-s3cret-pw' relaygate_admin
pg_role hostb 'B-s3cret-pw' relaygate_admin
pg_role hostc 'C-s3cret-pw' relaygate_login
pg_role hostd 'D-s3cret-pw' relaygate_read

for h in a b c d; do
	mkdir -p "$T_TMP/$h/store"
	cat >"$T_TMP/$h/conf" <<CF
dir = $T_TMP/$h/store
pgsql = host=127.0.0.1 port=$PG_PORT dbname=relaygate user=host$h password=$(echo "$h" | tr a-d A-D)-s3cret-pw connect_timeout=2
host_name = host$h
CF
done
# host h runs a command: its own store and configuration.
on() { local h=$1; shift; RELAYGATE_DIR=$T_TMP/$h/store RELAYGATE_CONF=$T_TMP/$h/conf "$@"; }
# Each host's store made as the docs say (by whoever runs the tests).
for h in a b c d; do
	on $h relaygate init >/dev/null || echo "Bail out! relaygate init on host $h"
done
# C's clock is 30 s ahead, for the daemon and every command.
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
skewed() { FAKETIME='+30s' FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD=$FAKETIME_LIB "$@"; }
# A's daemon runs the command of contrib/daemontools/relaygate-sync/run, B's
# that of contrib/systemd/relaygate-sync.service: the installed program the
# build's, as the test's own user (the stores are the test's: no setuidgid,
# no User=).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
run_cmd=$(sed -n 's/^exec setuidgid [a-z]* //p' "$ROOT/contrib/daemontools/relaygate-sync/run")
unit_cmd=$(sed -n 's/^ExecStart=//p' "$ROOT/contrib/systemd/relaygate-sync.service")
is "$run_cmd" "/usr/local/sbin/relaygate sync" "contrib/daemontools/relaygate-sync/run runs relaygate sync from SBINDIR, as make install puts it"
is "$unit_cmd" "/usr/local/sbin/relaygate sync" "and so does contrib/systemd/relaygate-sync.service"
start_sync() {	# start_sync HOST: its daemon, pid in SYNC_<HOST>
	local h=$1 cmd
	case $h in
	a) cmd=$run_cmd ;;
	b) cmd=$unit_cmd ;;
	*) cmd="relaygate sync" ;;
	esac
	cmd=${cmd/#\/usr\/local\/sbin\/relaygate/$RELAYGATE_BUILD/relaygate}
	# env execs the daemon: $! is its own PID, not a subshell's.
	if [ "$h" = c ]; then
		env RELAYGATE_DIR="$T_TMP/c/store" RELAYGATE_CONF="$T_TMP/c/conf" FAKETIME='+30s' \
		    FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD="$FAKETIME_LIB" \
		    relaygate sync --reconcile 600 2>>"$T_TMP/c.log" &
	else
		# shellcheck disable=SC2086 # the command's words
		env RELAYGATE_DIR="$T_TMP/$h/store" RELAYGATE_CONF="$T_TMP/$h/conf" \
		    $cmd --reconcile 600 2>>"$T_TMP/$h.log" &
	fi
	eval "SYNC_$h=$!"
	pids="$pids $!"
}
# Nothing here is timed.  The daemons reconcile every 600 s (and on
# connecting), so a change that reaches another host before the 60 s
# limits below came by NOTIFY; the limits only catch a hang.
says_connected() { on "$1" relaygate sync --status 2>/dev/null | grep -qx 'state	connected'; }
connected() {	# wait (at most $2 s) until host $1's daemon says connected
	wait_until "$2" says_connected "$1"
}
until_ok() {	# until_ok SECONDS CMD...: print the seconds it took CMD to succeed; 1 if not within SECONDS
	local t0 end=$(($(date +%s) + $1))
	shift
	t0=$(now)
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || { echo "$(now) - $t0" | bc; return 1; }
		sleep 0.01
	done
	echo "$(now) - $t0" | bc
}
fails() { ! "$@"; }
relays() { TCPREMOTEIP=$2 on "$1" relaygate-check sh -c 'test "${RELAYCLIENT+set}" = set'; }
login() { TCPREMOTEIP=$2 USER=${3:-alice} on "$1" relaygate-allow -p pop3 true 2>/dev/null; }
field() {	# field HOST ADDR JSONFIELD: from relaygate list --json
	on "$1" relaygate list --json | jq -r "select(.address == \"$2\") | .$3"
}

# A grant made before A ever synced goes up when it joins.
on a relaygate allow 198.51.100.7 --ttl 600
for h in a b c; do start_sync $h; done
connected a 60 && connected b 60 && connected c 60
ok "three sync daemons connected" [ $? -eq 0 ]
is "$(field b 198.51.100.7 host)" hosta "a grant A held before it joined reached B, recorded by hosta"

# A login on A relays on B, by NOTIFY.
t0=$(date +%s)
login a 192.0.2.10 alice
d=$(until_ok 60 relays b 192.0.2.10)
is "$?" 0 "a login on A relays on B (after ${d} s)"
is "$(field b 192.0.2.10 host)" hosta "relaygate list --json on B says hosta recorded it"
is "$(field b 192.0.2.10 user)" alice "with its user"
left=$(field b 192.0.2.10 remaining)
# At least 900 s less the time since the login and 5 s for whole seconds
# (a slow machine lowers the bound; it does not time the machine).
took=$(($(date +%s) - t0 + 1))
ok "and its lifetime ($left s of 900, $took s after the login)" eval '[ "$left" -le 900 ] && [ "$left" -ge $((900 - took - 5)) ]'
is "$(on b relaygate list | grep -c '^192.0.2.10	')" 1 "the tab-separated list keeps its columns (no host column)"
is "$(on b relaygate list | grep '^192.0.2.10	' | awk -F'\t' '{print NF}')" 7 "seven of them"

# A revoke on B stops A relaying; a pin on A reaches B.
on b relaygate revoke 192.0.2.10
d=$(until_ok 60 fails relays a 192.0.2.10)
is "$?" 0 "a revoke on B stops A relaying (after ${d} s)"
on a relaygate pin 203.0.113.5 --note office --relayclient X
d=$(until_ok 60 relays b 203.0.113.5)
is "$?" 0 "a pin on A relays on B (after ${d} s)"
is "$(field b 203.0.113.5 pinned):$(field b 203.0.113.5 note):$(field b 203.0.113.5 relayclient)" \
    "true:office:X" "with its note and its own RELAYCLIENT"
is "$(pg_sql "SELECT pinned, host FROM grants WHERE addr = '203.0.113.5'")" "t|hosta" "upstream holds the pin"

# A login that races a pin never turns it into a timed grant.
stop_pid "$SYNC_b"
on a relaygate pin 203.0.113.6 --note partner
until_ok 60 eval 'test "$(pg_sql "SELECT pinned FROM grants WHERE addr = '\''203.0.113.6'\''")" = t' >/dev/null
login b 203.0.113.6 bob		# B has not heard of the pin: a timed grant locally
start_sync b
connected b 60
until_ok 60 eval 'test "$(field b 203.0.113.6 pinned)" = true' >/dev/null
is "$(pg_sql "SELECT pinned FROM grants WHERE addr = '203.0.113.6'"):$(field b 203.0.113.6 pinned):$(field a 203.0.113.6 pinned)" \
    "t:true:true" "a login racing a pin leaves it a pin upstream, on B and on A"

# An unpin propagates.
on b relaygate unpin 203.0.113.6
d=$(until_ok 60 fails relays a 203.0.113.6)
is "$?" 0 "an unpin on B stops A relaying (after ${d} s)"

# Least rights: C (login hosts' role) may grant, not pin; D (read) may not write.
login c 192.0.2.30 carol
d=$(until_ok 60 relays a 192.0.2.30)
is "$?" 0 "a login on C (role relaygate_login) relays on A (after ${d} s)"
on c skewed relaygate pin 192.0.2.31 2>/dev/null
until_ok 60 grep -q 'pin of 192.0.2.31 not pushed, this role may not' "$T_TMP/c.log" >/dev/null
ok "C may not pin upstream: its daemon says so" [ $? -eq 0 ]
until_ok 60 fails relays c 192.0.2.31 >/dev/null
ok "and C's local pin is taken back (upstream is the truth)" [ $? -eq 0 ]
on d relaygate allow 192.0.2.40 --ttl 600
on d relaygate sync --once 2>"$T_TMP/d.log"
like "$(cat "$T_TMP/d.log")" "192.0.2.40 not pushed, this role may not" "D (role relaygate_read) may not grant upstream"
is "$(pg_sql "SELECT count(*) FROM grants WHERE addr = '192.0.2.40'")" 0 "nothing of D's reached the table"
ok "D's store got the shared grants all the same" \
    eval 'on d relaygate check 192.0.2.10 >/dev/null; [ $? -eq 1 ] && on d relaygate check 203.0.113.5 >/dev/null' 2>/dev/null

# Clocks 30 s apart: lifetimes travel as time left.
left=$(on c skewed relaygate list --json | jq -r 'select(.address == "192.0.2.10") | .remaining')
# (At least 60 s less the time since it was made and 5 s for whole
# seconds: a slow machine lowers the bound, and a lifetime sent as a time
# would be 30 s short.)
t0=$(date +%s)
on a relaygate allow 192.0.2.50 --ttl 60
until_ok 60 relays c 192.0.2.50 >/dev/null
left=$(on c skewed relaygate list --json | jq -r 'select(.address == "192.0.2.50") | .remaining')
took=$(($(date +%s) - t0 + 1))
ok "a 60 s grant from A has $left s left on C, whose clock is 30 s ahead ($took s after it was made)" \
    eval '[ "$left" -le 60 ] && [ "$left" -ge $((60 - took - 5)) ]'
t0=$(date +%s)
on c skewed relaygate allow 192.0.2.51 --ttl 60
until_ok 60 relays a 192.0.2.51 >/dev/null
left=$(field a 192.0.2.51 remaining)
took=$(($(date +%s) - t0 + 1))
ok "and one from C has $left s left on A ($took s after it was made)" eval '[ "$left" -le 60 ] && [ "$left" -ge $((60 - took - 5)) ]'

# The database stopped: logins and checks keep working; all converges after.
pg_stop
until_ok 60 fails says_connected a >/dev/null
is "$(on a relaygate sync --status | sed -n 's/^state\t//p')" connecting "with PostgreSQL stopped A's daemon says it is reconnecting"
# (They never wait for the database: they do not link libpq, below.)
login a 192.0.2.60 && login b 192.0.2.61 && relays a 192.0.2.60 && relays b 192.0.2.61
is "$?" 0 "logins and checks on A and B keep working meanwhile"
on b relaygate revoke 198.51.100.7
is "$(on a relaygate sync --status | sed -n 's/^pending\t//p')" 1 "A's status counts its change not yet pushed"
pg_start
d=$(until_ok 60 eval 'relays b 192.0.2.60 && relays a 192.0.2.61 && fails relays a 198.51.100.7')
is "$?" 0 "after PostgreSQL is back, everything converges (after ${d} s)"
is "$(on a relaygate sync --status | sed -n 's/^pending\t//p')" 0 "and A has nothing pending"

# A sync daemon killed with SIGKILL loses nothing.
kill -9 "$SYNC_a"; wait "$SYNC_a" 2>/dev/null
ok "A's daemon is killed with SIGKILL" eval 'kill -0 "$SYNC_a" 2>/dev/null; [ $? -ne 0 ]'
login a 192.0.2.70 dave
start_sync a
d=$(until_ok 60 relays b 192.0.2.70)
is "$?" 0 "a login on A while its daemon was dead (SIGKILL) reaches B once it is back (after ${d} s)"
connected a 60
until_ok 60 eval 'test "$(on a relaygate sync --status | sed -n "s/^pending\t//p")" = 0' >/dev/null
a_pushed=$(pg_sql "SELECT pushed FROM sync_hosts WHERE name = 'hosta'")
ok "sync_hosts says how far A's log went up ($a_pushed)" eval '[ -n "$a_pushed" ] && [ "$a_pushed" -gt 0 ]'

# The same set everywhere, and upstream (once B has pulled A's last push).
list_of() { on "$1" relaygate list | cut -f1,2 | sed 's/\t[0-9]*$/\ttimed/' | sort; }
until_ok 60 eval '[ "$(list_of a)" = "$(list_of b)" ]' >/dev/null
is "$(list_of a)" "$(list_of b)" "A and B hold the same grants and pins"
is "$(list_of a | cut -f1)" "$(pg_sql "SELECT addr FROM grants WHERE expires IS NULL OR expires > now()" | sort)" "and so does the database"

# Status, logs, and what links libpq.
like "$(on b relaygate sync --status --json)" '"state":"connected".*"pending":0' "relaygate sync --status --json says connected, nothing pending"
ok "no password in any log" eval 'cat "$T_TMP"/?.log | grep -c -- '\''-s3cret-pw'\'' | grep -qx 0'
ok "relaygate-allow and relaygate-check do not link libpq" \
    eval '{ ldd "$RELAYGATE_BUILD/relaygate-allow"; ldd "$RELAYGATE_BUILD/relaygate-check"; } | grep -c libpq | grep -qx 0'

kill -TERM "$SYNC_b"
wait_for "$SYNC_b" 30
is "$?" 0 "SIGTERM ends a daemon with status 0"
is "$(on b relaygate sync --status | sed -n 's/^state\t//p')" stopped "and its status says stopped"
done_testing
