#!/bin/bash
# relaygate-passwd's pause after a wrong current secret binds the one who
# guesses, whether or not they wait for it: a try killed in its pause (as
# its own user may), or whose terminal is closed, still costs the next try
# the pause, and tries started together take their turns a pause apart.
# Each guess is made as an attacker would, by an unprivileged account on a
# real terminal (pty-answer), against the program installed set-user-id
# root as make install does.  Only lower bounds derived from the
# configured pause are asserted, never how fast anything is.
. "$(dirname "$0")/setuid.sh"
. "$(dirname "$0")/lib.sh"
su_inside
plan 17

PAUSE=2000	# fail_delay_ms, above the program's own floor of a second
su_conf "fail_delay_ms = $PAUSE"
pty=$(dirname "$0")/pty-answer
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# try CURRENT NEW: one try on a terminal of its own, in the background;
# its terminal's text goes to $T_TMP/try.N, TRY is pty-answer's pid.
N=0
try() {
	N=$((N + 1))
	"$pty" -t 30 "Current POP password: " "$1" "New POP password: " "$2" "Again: " "$2" -- \
	    "${AS_SU[@]}" "$SU_BIN/relaygate-passwd" >"$T_TMP/try.$N" 2>&1 &
	TRY=$!
}
# The pid of the relaygate-passwd the try TRY started (pty-answer's child), or "".
passwd_of() {
	local i
	for i in $(seq 200); do
		p=$(pgrep -P "$1" | head -1)
		[ -n "$p" ] && [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$SU_BIN/relaygate-passwd" ] &&
		    { echo "$p"; return; }
		sleep 0.05
	done
}
# in_pause PID: wait (at most 20 s) until relaygate-passwd PID sleeps, as
# it does only in the pause after a wrong secret: its check is behind it.
in_pause() {
	local i
	for i in $(seq 400); do
		case $(cat "/proc/$1/wchan" 2>/dev/null) in *nanosleep*) return 0 ;; esac
		sleep 0.05
	done
	return 1
}
# alive PID: the process runs (an orphan's zombie, not yet reaped, does not).
alive() { case $(ps -o stat= -p "$1") in ''|Z*) return 1 ;; esac; }
# Let every earlier try's pause end, so the next try starts with none due.
settle() { sleep $((PAUSE / 1000 + 1)); }
# The checker's verdict for USER/PASS: 0 in, 1 not.
userpass() {
	printf '%s\0%s\0\0' "$SU_USER" "$1" | RELAYGATE_APOP_ONLY=no RELAYGATE_FAIL_DELAY_MS=0 \
	    deadline 10 relaygate-checkpw true 3<&0 2>/dev/null
	echo $?
}

# --- the attack: kill the wrong try in its pause, and guess again at once ---
t0=$(now_ms)
try Wrong-1 Guess-pw.1
pid=$(passwd_of "$TRY")
ok "a wrong try reaches its pause (relaygate-passwd ${pid:-not found})" in_pause "${pid:-0}"
run "${AS_SU[@]}" kill -KILL "$pid"
is "$RC" 0 "its own user kills it there (SIGKILL)"
wait_for "$TRY" 30
is "$?" 137 "(it died of the SIGKILL, before any answer)"
change_rc=$(
	"$pty" -t 30 "Current POP password: " "$SU_SECRET" "New POP password: " 'New-pw.2' "Again: " 'New-pw.2' -- \
	    "${AS_SU[@]}" "$SU_BIN/relaygate-passwd" >"$T_TMP/right.1" 2>&1
	echo $?)
took=$(( $(now_ms) - t0 ))
is "$change_rc" 0 "the next try, with the right secret, is taken"
ok "but only once the killed try's pause is over: ${took} ms after it began, at least $PAUSE" \
    [ "$took" -ge "$PAUSE" ]
is "$(userpass New-pw.2)$(userpass "$SU_SECRET")" "01" "(the killed try changed nothing; the right one did)"

# --- the same with the terminal closed under it ---
settle
t0=$(now_ms)
try Wrong-2 Guess-pw.2
pid=$(passwd_of "$TRY")
ok "a wrong try reaches its pause (relaygate-passwd ${pid:-not found})" in_pause "${pid:-0}"
disown "$TRY"	# its end is no news to this shell
kill -KILL "$TRY"	# the terminal's other end goes: a hangup
for i in $(seq 200); do alive "$pid" || break; sleep 0.05; done
ok "closing its terminal ends it" not alive "$pid"
change_rc=$(
	"$pty" -t 30 "Current POP password: " 'New-pw.2' "New POP password: " 'New-pw.3' "Again: " 'New-pw.3' -- \
	    "${AS_SU[@]}" "$SU_BIN/relaygate-passwd" >"$T_TMP/right.2" 2>&1
	echo $?)
took=$(( $(now_ms) - t0 ))
is "$change_rc" 0 "the next try, with the right secret, is taken"
ok "once the pause of the try whose terminal closed is over: ${took} ms after it began, at least $PAUSE" \
    [ "$took" -ge "$PAUSE" ]

# --- three guesses at once: a pause apart ---
settle
t0=$(now_ms)
try Wrong-3a Guess-pw.3; a=$TRY
try Wrong-3b Guess-pw.3; b=$TRY
try Wrong-3c Guess-pw.3; c=$TRY
wait_for "$a" 60; ra=$?
wait_for "$b" 60; rb=$?
wait_for "$c" 60; rc=$?
took=$(( $(now_ms) - t0 ))
is "$ra$rb$rc" "111" "three wrong tries started together are each refused (1)"
is "$(cat "$T_TMP/try.$((N - 2))" "$T_TMP/try.$((N - 1))" "$T_TMP/try.$N" |
    grep -c 'the current POP password was not right; nothing changed')" 3 "each with the one plain answer"
ok "the last answer comes three pauses after they began at the earliest (${took} ms, at least $((3 * PAUSE)))" \
    [ "$took" -ge $((3 * PAUSE)) ]
is "$(userpass New-pw.3)" 0 "the secret is still the right one"

# --- where the turns are kept ---
settle
try New-pw.3 New-pw.4
wait_for "$TRY" 30
is "$?" 0 "a try after the pause is over waits for nothing more, and is taken"
is "$(stat -c '%U %a' "$SU_STORE.tries" 2>&1)" "root 700" "the turns are kept in $SU_STORE.tries, root's, 0700"
is "$(stat -c '%n %U %a %h' "$SU_STORE.tries/$(id -u "$SU_USER")" 2>&1)" \
    "$SU_STORE.tries/$(id -u "$SU_USER") root 600 1" "one file per user, named by uid, root's, 0600"
done_testing
