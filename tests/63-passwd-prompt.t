#!/bin/bash
# relaygate passwd's prompts on a real terminal (a pty), answered as a fast
# typist or a paste answers them: the instant each prompt shows, 200 times
# on a busy machine; typed ahead, before a prompt shows; and interrupted by
# a signal.  Every answer lands (relaygate-checkpw takes the new secret),
# nothing typed while the prompt waits is shown, and the terminal is left
# as it was found.  Accounts come from nss_wrapper.
. "$(dirname "$0")/lib.sh"
plan 21

NSSW=$(ls /usr/lib/*/libnss_wrapper.so 2>/dev/null | head -1)
if [ -z "$NSSW" ]; then
	for i in $(seq 21); do skip "libnss-wrapper not installed"; done
	exit 0
fi
pty=$(dirname "$0")/pty-answer
RELAYGATE_PASSWORDS=$T_TMP/pw/passwords.db RELAYGATE_FAIL_DELAY_MS=0 RELAYGATE_APOP_ONLY=no
export RELAYGATE_PASSWORDS RELAYGATE_FAIL_DELAY_MS RELAYGATE_APOP_ONLY
mkdir -p "$T_TMP/pw" "$T_TMP/home"
relaygate passwd --init
for i in $(seq 200); do echo "u$i:x:$((6000 + i)):6000::$T_TMP/home:/bin/sh"; done >"$T_TMP/passwd"
for u in ahead half int term hup quit tstp; do echo "$u:x:$((7000 + ${#u})):6000::$T_TMP/home:/bin/sh"; done >>"$T_TMP/passwd"
echo "users:x:6000:" >"$T_TMP/group"

# accepts USER PASS: relaygate-checkpw's status for that USER/PASS login.
accepts() {
	printf '%s\0%s\0\0' "$1" "$2" | LD_PRELOAD=$NSSW NSS_WRAPPER_PASSWD=$T_TMP/passwd \
	    NSS_WRAPPER_GROUP=$T_TMP/group deadline 10 relaygate-checkpw true 3<&0 2>/dev/null
}
# The terminal's text with its line ends made visible.
shown() { printf '%s' "$1" | sed -n l | tr -d '\n'; }
prompts=$'New POP password: \r\nAgain: \r'	# (less the last newline, as $(...) takes it)

# --- each prompt answered the instant it shows, 200 times, on a busy machine ---
# The machine is kept busy (a busy loop per CPU) and passwd runs at the
# lowest priority, so it can lose the CPU between any two of its steps:
# the issue saw 1 to 2 of every 20 answers lost so.
hogs=
for i in $(seq "$(nproc)"); do (while :; do :; done) & hogs="$hogs $!"; done
trap 'kill $hogs 2>/dev/null; rm -rf "$T_TMP"' EXIT
failed=0 leaked=0 first=
start=$(date +%s%N)
for i in $(seq 200); do
	out=$("$pty" -t 60 "New POP password: " "Fast-$i.pw" "Again: " "Fast-$i.pw" -- \
	    nice -n 19 relaygate passwd "u$i" 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] || failed=$((failed + 1))
	case $out in *"Fast-$i"*) leaked=$((leaked + 1)) ;; esac
	if [ "$rc" -ne 0 ] || [ "$out" != "$prompts" ]; then
		[ -n "$first" ] || first="run $i, status $rc: $(shown "$out")"
	fi
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill $hogs 2>/dev/null; hogs=
is "$failed" 0 "200 runs, each prompt answered the instant it showed: every one exits 0 (${ms} ms)${first:+; first trouble: $first}"
is "$leaked" 0 "no answer was ever shown on the terminal"
ok "each terminal showed the two prompts and nothing else${first:+ ($first)}" [ -z "$first" ]
is "$(relaygate passwd --list | wc -l)" 200 "the store holds the 200 users"
bad=
for i in $(seq 200); do accepts "u$i" "Fast-$i.pw" || bad="$bad u$i"; done
is "$bad" "" "relaygate-checkpw takes every one of the 200 new secrets"
accepts u7 Fast-8.pw
is "$?" 1 "(and refuses another user's)"

# --- typed ahead: answers that come before their prompt are neither lost nor shown ---
run "$pty" -t 20 "" Ahead.pw "" Ahead.pw -- relaygate passwd ahead
is "$RC" 0 "both answers typed before passwd started: it exits 0"
accepts ahead Ahead.pw
is "$?" 0 "and the secret typed ahead is the one set"
run "$pty" -t 20 "New POP password: " $'Half.pw\nHalf.pw' -- relaygate passwd half
is "$RC:$(shown "$OUT")" "0:$(shown "$prompts")" "the second answer typed with the first, before 'Again: ': taken, and not shown"
accepts half Half.pw
is "$?" 0 "and that secret is the one set"

# --- a signal while asking: the terminal as it was, nothing changed ---
# A shell on the pty, as a person's: it remembers the terminal's settings,
# runs passwd, and compares after.  The signal goes to the terminal's
# foreground process group, as ^C does: the shell traps it and goes on.
asker='before=$(stty -g)
relaygate passwd "$1"
rc=$?
[ "$(stty -g)" = "$before" ] && echo "[$rc: terminal as before]" || echo "[$rc: terminal changed: $(stty)]"'
for s in INT:130 TERM:143 HUP:129 QUIT:131; do
	sig=${s%:*} want=${s#*:} u=$(echo "${s%:*}" | tr A-Z a-z)
	run "$pty" -t 20 "New POP password: " "kill:$sig" -- bash -c "trap : $sig; $asker" sh "$u"
	like "$(shown "$OUT")" "\[$want: terminal as before\]" "SIG$sig at the prompt: passwd ends by it ($want) and the terminal is as it was"
done
is "$(relaygate passwd --list | grep -cvE '^u[0-9]+$')" 2 "and none of them set a secret"

# SIGTSTP (^Z), under job control (pty-answer -j: it says how it finds the
# terminal while passwd is stopped, and restores nothing): the terminal as
# it was meanwhile; continued, passwd asks again.
run "$pty" -j -t 20 "New POP password: " kill:TSTP "[stopped, " kill:CONT \
    "New POP password: " Tstp.pw "Again: " Tstp.pw -- relaygate passwd tstp
like "$(shown "$OUT")" "^New POP password: .*\[stopped, terminal as before\]" "SIGTSTP at the prompt: passwd stops, the terminal as it was meanwhile"
like "$RC:$(shown "$OUT")" "^0:.*\[stopped, terminal as before\].*New POP password: .*Again: " "continued, it asks again and takes the answers (0)"
ok "and shows none of them" eval 'printf '\''%s'\'' "$OUT" | grep -q Tstp; [ $? -eq 1 ]'
accepts tstp Tstp.pw
is "$?" 0 "the secret given after the stop is the one set"

# --- passwd left alone at its prompt: the helper gives up within its deadline ---
start=$(date +%s%N)
run "$pty" -t 2 "Never shown: " x -- relaygate passwd nobody
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$RC" 124 "an unanswered prompt: pty-answer gives up (124), after ${ms} ms"
like "$ERR" "waiting for 'Never shown: ' after 2 s; killed .*relaygate's process group" "and says what it waited for"
done_testing
