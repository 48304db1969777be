#!/bin/bash
# The setgid writer SIGKILLed at every point of its write (each lock, each
# journal write, each page applied, each sync, the emptying, the mtime, the
# group drop): afterwards no file in the store belongs to the login user,
# the store holds, expiry and pins keep working; and a journal a local user
# rewrote is never applied by root.
. "$(dirname "$0")/setgid.sh"
. "$(dirname "$0")/lib.sh"
sg_inside
plan 14

relaygate pin 198.51.100.9 >/dev/null && relaygate allow 192.0.2.90 --ttl 1 >/dev/null ||
    echo "Bail out! could not fill the store"
POINTS="flock writev pwritev ftruncate fsync fdatasync utimensat setresgid"
writer() {	# writer FROM [strace options]: the setgid writer as the mail user, traced by root
	local from=$1
	shift
	# onsocket --user: a connection root's listener accepted, as under tcpserver -u.
	deadline 20 strace -f -qq -o "$T_TMP/trace" "$@" \
	    "$SG_BIN/onsocket" "$from" --user "$SG_MAIL" -- "$SG_BIN/relaygate-allow" -p pop3 true >/dev/null 2>&1
}

# One clean run, to count where the writer can be stopped.
writer 127.0.1.1 -e trace="$(echo $POINTS | tr ' ' ,)"
counts=$(grep -oE "^[0-9]+ +($(echo $POINTS | tr ' ' '|'))\(" "$T_TMP/trace" | awk '{ sub(/\(/, "", $2); n[$2]++ } END { for (s in n) print s, n[s] }')
total=$(printf '%s\n' "$counts" | awk '{ t += $2 } END { print t + 0 }')
ok "a write makes $total stops to kill at: $(printf '%s' "$counts" | tr '\n' ' ')" [ "$total" -ge 8 ]

kills=0 owned="" strays="" pins="" i=2
while read -r sc n; do
	[ -n "$sc" ] || continue
	for k in $(seq 1 "$n"); do
		from=127.0.1.$i
		i=$((i + 1))
		writer "$from" -e inject="$sc:signal=KILL:when=$k"
		grep -q "+++ killed by SIGKILL" "$T_TMP/trace" && kills=$((kills + 1))
		o=$(find "$STORE" -user "$SG_MAIL")
		[ -z "$o" ] || owned="$owned [$sc#$k: $o]"
		s=$(ls "$STORE" | tr '\n' ' ')
		[ "$s" = "grants-meta.db grants.db grants.journal grants.lock " ] || strays="$strays [$sc#$k: $s]"
		relaygate check 198.51.100.9 >/dev/null || pins="$pins [$sc#$k]"
	done
done <<C
$counts
C
ok "the writer was SIGKILLed at $kills points" [ "$kills" -ge "$total" ]
is "$owned" "" "after every kill, no file in the store belongs to the login user"
is "$strays" "" "and no file was left but the store's own four"
is "$pins" "" "and the pin relays after every kill (root finishes or drops what was left)"
run "${AS_STORE[@]}" relaygate expire
is "$RC:$ERR" "0:" "expiry works afterwards, as the store's user"
run env TCPREMOTEIP=198.51.100.9 setpriv --reuid=65534 --regid=65534 --clear-groups relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT" "" "and a pin relays for the SMTP user (no store group)"
run db5.3_verify "$STORE/grants.db" "$STORE/grants-meta.db"
is "$RC" 0 "db_verify passes on both files"
run relaygate init --check
is "$RC:$OUT" "0:" "and relaygate init --check finds nothing wrong"

# A local user cannot write the journal at all ...
run "${AS_LOCAL[@]}" sh -c ": >>'$STORE/grants.journal'"
like "$RC:$ERR" "^[^0].*Permission denied" "a local user cannot write grants.journal"
# ... and one they wrote (as the old setgid writer left them) is never applied.
# The forgery: a real, complete journal that pins 203.0.113.66, made on a
# copy of the store by a writer killed just after its journal was whole.
cp -a "$STORE" "$T_TMP/copy"
RELAYGATE_DIR=$T_TMP/copy deadline 20 strace -f -qq -o /dev/null -e inject=pwritev:signal=KILL:when=1 \
    relaygate pin 203.0.113.66 >/dev/null 2>&1
cp "$T_TMP/copy/grants.journal" "$T_TMP/forged"
ok "(a complete journal pinning 203.0.113.66: $(stat -c %s "$T_TMP/forged") bytes)" [ -s "$T_TMP/forged" ]
chown "$SG_LOCAL" "$T_TMP/forged"; chmod 600 "$T_TMP/forged"
mv "$T_TMP/forged" "$STORE/grants.journal"
run relaygate list
is "$RC:$ERR" "111:relaygate: $STORE/grants.journal belongs to uid $(id -u "$SG_LOCAL") ($SG_LOCAL), not to the store's owner uid $(id -u "$SG_STORE") ($SG_STORE); refusing it (relaygate init --check)" "root's read-only relaygate list refuses the local user's journal, naming it"
run relaygate init --fix
like "$OUT" "fixed: $STORE/grants.journal: a journal written by uid $(id -u "$SG_LOCAL"); emptied unread" "relaygate init --fix empties it unread"
run relaygate check 203.0.113.66
is "$RC:$OUT" "1:203.0.113.66 may not relay: no grant" "and the forged pin was never applied"
done_testing
