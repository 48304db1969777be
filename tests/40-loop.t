#!/bin/bash
# relaygate expire --loop: the background expiry that replaces the cron job.
. "$(dirname "$0")/lib.sh"
plan 15

now() { date +%s.%N; }
gone_by() {	# seconds from $1 to when $2 left the list --all output (max 10 s)
	local t0=$1 addr=$2 i
	for i in $(seq 1 200); do
		if ! relaygate list --all | cut -f1 | grep -qx "$addr"; then
			echo "$(now) - $t0" | bc
			return
		fi
		sleep 0.05
	done
	echo 99
}

relaygate pin 198.51.100.1 --note office
relaygate pin 2001:db8::f00d
interval=0.5
relaygate expire --loop --interval $interval 2>"$T_TMP/loop.log" &
loop=$!

t1=$(now); relaygate allow 192.0.2.1 --ttl 1
t2=$(now); relaygate allow 192.0.2.2 --ttl 2
t3=$(now); relaygate allow 2001:db8::3 --ttl 3
g1=$(gone_by "$t1" 192.0.2.1)
g2=$(gone_by "$t2" 192.0.2.2)
g3=$(gone_by "$t3" 2001:db8::3)
# The grant lives until the second after its expiry begins: TTL + interval + 1 s at most.
ok "a 1 s grant is gone ${g1} s after it was made" calc "$g1 <= 1 + $interval + 1"
ok "a 2 s grant is gone ${g2} s after it was made" calc "$g2 <= 2 + $interval + 1"
ok "a 3 s grant is gone ${g3} s after it was made" calc "$g3 <= 3 + $interval + 1"
# Expiry is in whole seconds: a TTL of 3 lasts more than 2 s and at most 3.
ok "but not before its time: the 3 s grant lived ${g3} s" calc "$g3 > 1.95"
is "$(relaygate list --all | cut -f1,2 | tr '\t' ' ')" "198.51.100.1 pinned
2001:db8::f00d pinned" "pins stay"
like "$(cat "$T_TMP/loop.log")" "relaygate: expired 192\.0\.2\.1 \(1 grant\)" "each sweep that removed something is logged, naming the addresses"

# The store briefly missing: the loop says so once and carries on.
mv "$RELAYGATE_DIR" "$RELAYGATE_DIR.away"
sleep 1.2
mv "$RELAYGATE_DIR.away" "$RELAYGATE_DIR"
relaygate allow 192.0.2.4 --ttl 1; t4=$(now)
g4=$(gone_by "$t4" 192.0.2.4)
ok "the loop survives the store going missing" kill -0 $loop
is "$(grep -c 'will retry' "$T_TMP/loop.log")" 1 "it logs the trouble once"
like "$(cat "$T_TMP/loop.log")" "store usable again" "and when it is over"
ok "and expires again afterwards (${g4} s)" calc "$g4 <= 1 + $interval + 1"

# The store locked for a while (an admin's postmap, say): the loop waits it out.
relaygate allow 192.0.2.5 --ttl 1; t5=$(now)
flock "$RELAYGATE_DIR/grants.db" sleep 2 &
locker=$!
g5=$(gone_by "$t5" 192.0.2.5)
wait_for $locker 10
ok "the loop survives the store being locked" kill -0 $loop
ok "and sweeps as soon as the lock is gone (${g5} s)" calc "$g5 >= 1.9 && $g5 <= 2 + $interval + 1.5"
relaygate allow 192.0.2.6 --ttl 1; t6=$(now)
g6=$(gone_by "$t6" 192.0.2.6)
ok "then carries on as before (${g6} s)" calc "$g6 <= 1 + $interval + 1"

# SIGTERM ends it at once, with status 0.
t=$(now)
kill -TERM $loop
wait_for $loop 10
rc=$?
took=$(echo "$(now) - $t" | bc)
is "$rc" 0 "SIGTERM: exit status 0"
ok "within 1 s (${took} s)" calc "$took < 1"
done_testing
