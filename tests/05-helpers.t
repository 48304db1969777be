#!/bin/bash
# The test helpers themselves: a program that never answers, never ends, or
# leaves something behind makes each helper fail within its deadline, kill
# what it started, and say what it saw; and a test that hangs is named by
# the per-test guard while the rest of the suite goes on.
. "$(dirname "$0")/lib.sh"
plan 24

tests=$(cd "$(dirname "$0")" && pwd)
pty=$tests/pty-answer
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
# gone PID: 0 once PID no longer runs (given a moment to be reaped).
gone() {
	local i=0
	while [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; do
		[ $i -lt 40 ] || return 1
		sleep 0.05; i=$((i + 1))
	done
}

# --- pty-answer ---
start=$(date +%s%N)
run "$pty" -t 2 "Password: " secret -- sh -c 'echo $$ >"$1"; sleep 600 & echo $! >"$1.child"; echo "Login:"; wait' sh "$T_TMP/p1"
ms=$(ms_since "$start")
is "$RC" 124 "pty-answer: a program that never shows the prompt makes it fail (124)"
ok "by itself, at its 2 s deadline, not killed by run's ($T_KILLED, $ms ms)" eval '[ "$T_KILLED" -eq 0 ] && [ "$ms" -ge 2000 ]'
like "$ERR" "sh still running, waiting for 'Password: ' after 2 s; killed sh's process group\. The terminal showed: 'Login:" "it says what it waited for, and what the terminal showed"
like "$OUT" "^Login:" "and prints the transcript"
ok "the program and what it started are gone" eval 'gone "$(cat "$T_TMP/p1")" && gone "$(cat "$T_TMP/p1.child")"'

start=$(date +%s%N)
run "$pty" -t 1 "Password: " secret -- sh -c 'trap "" INT TERM HUP QUIT; printf "Password: "; echo $$ >"$1"; while :; do sleep 1; done' sh "$T_TMP/p2"
ms=$(ms_since "$start")
ok "a program that ignores the answer and every polite signal: 124 at its deadline, from pty-answer itself ($RC, $T_KILLED, $ms ms)" eval '[ "$RC" -eq 124 ] && [ "$T_KILLED" -eq 0 ] && [ "$ms" -ge 1000 ]'
ok "and it is killed all the same" gone "$(cat "$T_TMP/p2")"

start=$(date +%s%N)
run "$pty" -t 10 -- sh -c '(trap "" HUP; exec sleep 600) & echo $! >"$1"; exit 3' sh "$T_TMP/p3"
ms=$(ms_since "$start")
is "$RC" 3 "a program that ends but leaves a child holding the terminal: its own status, not the 124 of its deadline ($ms ms)"
ok "and the child is killed" gone "$(cat "$T_TMP/p3")"

# --- deadline, run, wait_for ---
start=$(date +%s%N)
run -t 1 sh -c 'echo "half done"; echo $$ >"$1"; exec sleep 600' sh "$T_TMP/p4" 2>"$T_TMP/run.err"
ms=$(ms_since "$start")
ok "run -t 1: a program that never ends is killed at its deadline, RC 124 ($RC, $T_KILLED, $ms ms)" eval '[ "$RC" -eq 124 ] && [ "$T_KILLED" -eq 1 ] && [ "$ms" -ge 1000 ]'
is "$OUT" "half done" "and OUT holds what it said"
ok "and it is gone" gone "$(cat "$T_TMP/p4")"
like "$(cat "$T_TMP/run.err")" "^# run: sh -c .* killed at its deadline; it had said: half done" "and run says so on stderr"
run -t 5 sh -c 'exit 124'
is "$RC:$T_KILLED" "124:0" "a program that exits 124 by itself is not taken for one killed"
got=$(deadline 1 sh -c 'echo said; exec sleep 600' 2>"$T_TMP/dl.err")
rc=$?
is "$rc:$got" "124:said" "deadline in a command substitution: 124, and what it said"
like "$(cat "$T_TMP/dl.err")" "^# deadline: sh -c .* still running after 1 s; killed its process group" "and a line on stderr naming it"
sleep 600 &
bg=$!
start=$(date +%s%N)
wait_for "$bg" 1 2>"$T_TMP/wf.err"
rc=$?
ms=$(ms_since "$start")
ok "wait_for PID 1: a job that never ends: 124 after 1 s ($rc, $ms ms)" eval '[ "$rc" -eq 124 ] && [ "$ms" -ge 1000 ]'
like "$(cat "$T_TMP/wf.err")" "^# wait_for: process $bg still running after 1 s; killed it" "and it says so on stderr"
ok "and it is killed" gone "$bg"

# --- the per-test guard, under prove ---
mkdir "$T_TMP/suite"
printf '#!/bin/sh\necho 1..2\necho "ok 1 - started"\nexec sleep 600\n' >"$T_TMP/suite/01-hangs.t"
printf '#!/bin/sh\necho 1..1\necho "ok 1 - fine"\n(exec sleep 600) &\n' >"$T_TMP/suite/02-leaves-one-behind.t"
printf '#!/bin/sh\necho 1..1\necho "ok 1 - fine"\n' >"$T_TMP/suite/03-passes.t"
chmod +x "$T_TMP"/suite/*.t
start=$(date +%s%N)
run -t 60 env -C "$T_TMP/suite" RELAYGATE_TEST_LIMIT=2 prove --exec "$tests/guard" 01-hangs.t 02-leaves-one-behind.t 03-passes.t
ms=$(ms_since "$start")
ok "a suite with a hanging test fails, and finishes by itself, not killed by run's 60 s ($RC, $T_KILLED, $ms ms)" eval '[ "$RC" -ne 0 ] && [ "$T_KILLED" -eq 0 ]'
like "$ERR" "guard: 01-hangs.t timed out after 2s; killed its process group" "the guard names the test that hung"
like "$(printf '%s\n' "$OUT" | tr '\n' ' ')" "01-hangs\.t +\(Wstat: [0-9]+ \(exited 124\) Tests: 2 Failed: 1\)" "prove counts the guard's 'not ok' against it"
like "$(printf '%s\n' "$OUT" | tr '\n' ' ')" "02-leaves-one-behind\.t \.+ ok .*03-passes\.t \.+ ok" "and the suite goes on: the tests after it run and pass"
like "$ERR" "guard: 02-leaves-one-behind\.t left processes running in its process group; killed them" "a test that leaves a process holding its output does not keep prove waiting"
done_testing
