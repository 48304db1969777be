#!/bin/bash
# relaygate expire --loop: the background expiry that replaces the cron job.
. "$(dirname "$0")/lib.sh"
plan 16

now() { date +%s.%N; }
# Nothing here times the loop: when it wakes for an expiry is the schedule's
# business, tested in tests/unit/test_sched.c without a clock.  Here each
# event is waited for, with a limit that only catches a hang.
listed() { relaygate list --all | cut -f1 | grep -qx "$1"; }
gone_by() {	# seconds from $1 to when $2 left the list --all output; 1 if not within 60 s
	wait_until 60 not listed "$2" || return 1
	echo "$(now) - $1" | bc
}
logged() { [ "$(grep -c -- "$1" "$T_TMP/loop.log")" -ge "$2" ]; }

relaygate pin 198.51.100.1 --note office
relaygate pin 2001:db8::f00d
interval=0.5
relaygate expire --loop --interval $interval 2>"$T_TMP/loop.log" &
loop=$!

t1=$(now); relaygate allow 192.0.2.1 --ttl 1
t2=$(now); relaygate allow 192.0.2.2 --ttl 2
t3=$(now); relaygate allow 2001:db8::3 --ttl 3
g1=$(gone_by "$t1" 192.0.2.1); r1=$?
g2=$(gone_by "$t2" 192.0.2.2); r2=$?
g3=$(gone_by "$t3" 2001:db8::3); r3=$?
ok "the loop removes a 1 s grant (${g1} s after it was made)" [ $r1 -eq 0 ]
ok "and a 2 s grant (${g2} s)" [ $r2 -eq 0 ]
ok "and a 3 s grant (${g3} s)" [ $r3 -eq 0 ]
# Expiry is in whole seconds: a TTL of 3 lasts more than 2 s and at most 3.
# (A lower bound: a slow machine only makes the grant live longer.)
ok "but not before its time: the 3 s grant lived ${g3} s" calc "$g3 > 1.95"
is "$(relaygate list --all | cut -f1,2 | tr '\t' ' ')" "198.51.100.1 pinned
2001:db8::f00d pinned" "pins stay"
like "$(cat "$T_TMP/loop.log")" "relaygate: expired 192\.0\.2\.1 \(1 grant\)" "each sweep that removed something is logged, naming the addresses"

# The store briefly missing: the loop says so once and carries on.
mv "$RELAYGATE_DIR" "$RELAYGATE_DIR.away"
wait_until 60 logged 'will retry' 1
mv "$RELAYGATE_DIR.away" "$RELAYGATE_DIR"
relaygate allow 192.0.2.4 --ttl 1; t4=$(now)
g4=$(gone_by "$t4" 192.0.2.4); r4=$?
ok "the loop survives the store going missing" kill -0 $loop
is "$(grep -c 'will retry' "$T_TMP/loop.log")" 1 "it logs the trouble once"
like "$(cat "$T_TMP/loop.log")" "store usable again" "and when it is over"
ok "and expires again afterwards (${g4} s)" [ $r4 -eq 0 ]

# The store locked for a while (an admin's postmap, say): the loop waits it
# out.  The loop is stopped (outside a sweep: the lock is ours then) while
# the grant is made and the lock taken again, so that the lock goes only
# once the grant is due and the loop is waiting for the lock.
hold_lock "$RELAYGATE_DIR/grants.db" || echo "Bail out! cannot lock grants.db"
kill -STOP $loop
release_lock
relaygate allow 192.0.2.5 --ttl 1
exp5=$(date -d "$(relaygate list --json 192.0.2.5 | jq -r .expires)" +%s)
hold_lock "$RELAYGATE_DIR/grants.db" || echo "Bail out! cannot lock grants.db"
t5=$(now)
kill -CONT $loop
waits() { grep -Eq -- "-> FLOCK +ADVISORY +[A-Z]+ +$loop " /proc/locks && [ "$(date +%s)" -gt "$exp5" ]; }
wait_until 60 waits
is "$?" 0 "the grant expired while the store was locked, and the loop waits for the lock"
release_lock
g5=$(gone_by "$t5" 192.0.2.5); r5=$?
ok "the loop survives the store being locked" kill -0 $loop
ok "and sweeps the grant once the lock is gone (${g5} s after the lock was taken)" [ $r5 -eq 0 ]
relaygate allow 192.0.2.6 --ttl 1; t6=$(now)
g6=$(gone_by "$t6" 192.0.2.6); r6=$?
ok "then carries on as before (${g6} s)" [ $r6 -eq 0 ]

# SIGTERM ends it, with status 0; at once: a loop that would sleep an hour
# ends well before wait_for's deadline.
kill -TERM $loop
wait_for $loop 30
is "$?" 0 "SIGTERM: exit status 0"
relaygate expire --loop --interval 3600 2>>"$T_TMP/loop.log" &
loop=$!
catches_term() { [ $((0x$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$loop/status") & 0x4000)) -ne 0 ]; }
wait_until 60 catches_term
kill -TERM $loop
wait_for $loop 30
is "$?" 0 "at once: a loop with an hour to sleep ends with status 0 (not killed by wait_for after 30 s)"
done_testing
