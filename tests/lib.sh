# lib.sh: what every shell test of the real programs shares: TAP output for
# prove, a scratch store, and the built programs on PATH.
# Each test sources it, then calls plan, and ok/is/like for its assertions.

set -u
: "${RELAYGATE_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build}"
# Reference programs unpacked by tools/deps (never installed), whichever build is tested.
: "${RELAYGATE_PEERS:=$(cd "$(dirname "$0")/.." && pwd)/build/peers}"
PATH=$RELAYGATE_BUILD:$PATH
export PATH

T_NUM=0
T_FAILED=0
T_SKIPPED=0
T_SKIPS=
plan() { echo "1..$1"; }
pass() { echo "ok $T_NUM - $1"; }
fail() {
	echo "not ok $T_NUM - $1"
	T_FAILED=$((T_FAILED + 1))
	t_last_run
}
# After a failure, what the last program run through run said, on its
# standard output and on its standard error (its first 20 lines each).
t_last_run() {
	[ -n "${T_RUN:-}" ] || return 0
	printf '#   last run: %s (status %s)\n' "$T_RUN" "$RC"
	[ -z "$OUT" ] || printf '%s\n' "$OUT" | head -20 | sed 's/^/#   stdout: /'
	[ -z "$ERR" ] || printf '%s\n' "$ERR" | head -20 | sed 's/^/#   stderr: /'
}
# said: what the last run said, its output then its standard error, on one
# line (for a test's name).
said() { printf '%s' "$OUT${OUT:+${ERR:+ }}$ERR" | tr '\n' ' '; }
ok() {	# ok NAME COMMAND [ARG...]: passes when the command succeeds
	T_NUM=$((T_NUM + 1))
	if [ $# -lt 2 ]; then
		fail "${1:-}"
		echo "# ok: no command to run (ok NAME COMMAND [ARG...])"
		return
	fi
	_t_name=$1
	shift
	if "$@"; then pass "$_t_name"
	else fail "$_t_name"; printf '#   failed: %s\n' "$*"; fi
}
is() {	# is GOT WANT NAME
	T_NUM=$((T_NUM + 1))
	if [ "$1" = "$2" ]; then pass "$3"
	else
		fail "$3"
		printf '#   got: %s\n# want: %s\n' "$1" "$2" | sed '2,$s/^/# /'
	fi
}
like() {	# like GOT REGEX NAME
	T_NUM=$((T_NUM + 1))
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then pass "$3"
	else
		fail "$3"
		printf '#   got: %s\n# want match: %s\n' "$1" "$2"
	fi
}
unlike() {	# unlike GOT REGEX NAME: no line of GOT matches
	T_NUM=$((T_NUM + 1))
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3"
		printf '#   got: %s\n# want no match: %s\n' "$1" "$2"
	else pass "$3"; fi
}
# not COMMAND [ARG...]: the command fails.
not() { ! "$@"; }
# calc EXPR: bc says the comparison EXPR holds ("$took < 1").
calc() { [ "$(echo "$1" | bc)" = 1 ]; }
# skip REASON: a check that cannot run here (a peer is missing).  In CI
# (CI=true) that is a failure: CI must run everything.
skip() {
	T_NUM=$((T_NUM + 1))
	if [ "${CI:-}" = true ]; then
		fail "$1 (CI=true: a missing peer fails)"
		return
	fi
	echo "ok $T_NUM # skip $1"
	T_SKIPPED=$((T_SKIPPED + 1))
	T_SKIPS="$T_SKIPS$1
"
}
# The end: how many checks were skipped and why (on stderr, which prove
# shows; also appended to $RELAYGATE_SKIPLOG when set), and the status.
done_testing() {
	if [ "$T_SKIPPED" -gt 0 ]; then
		printf '%s' "$T_SKIPS" | sort | uniq -c | while read -r n why; do
			printf '# %s: %s checks skipped: %s\n' "$(basename "$0")" "$n" "$why" >&2
			[ -n "${RELAYGATE_SKIPLOG:-}" ] &&
			    printf '%s\t%s\t%s\n' "$(basename "$0")" "$n" "$why" >>"$RELAYGATE_SKIPLOG"
		done
	fi
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

# A fresh store directory, used by every program through the environment.
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rgt.XXXXXX")
chmod 755 "$T_TMP"
trap 'rm -rf "$T_TMP"' EXIT
RELAYGATE_DIR=$T_TMP/store
RELAYGATE_CONF=/dev/null
RELAYGATE_SYNC=no
# The store belongs to whoever runs the tests, made as the docs say: relaygate init.
RELAYGATE_USER=$(id -un)
RELAYGATE_GROUP=$(id -gn)
export RELAYGATE_DIR RELAYGATE_CONF RELAYGATE_SYNC RELAYGATE_USER RELAYGATE_GROUP
"$RELAYGATE_BUILD/relaygate" init >/dev/null || echo "Bail out! relaygate init failed"
unset TCPREMOTEIP IP RELAYCLIENT RELAY_CTRL_EXPIRY RELAY_CTRL_RELAYCLIENT \
    RELAY_CTRL_DIR RELAYGATE_EXPIRY RELAYGATE_RELAYCLIENT SERVICE TCPLOCALPORT || true

# Nothing a test starts may wait without a limit.  T_DEADLINE (seconds,
# default 60) bounds each program run through these helpers; past it the
# program's whole process group is killed (TERM, then KILL 2 s later), the
# helper says so on stderr, and its status is 124 (137 after the KILL).

# deadline SECONDS COMMAND [ARG ...]: run COMMAND (a program, not a shell
# function) in a process group of its own, killed whole past SECONDS (a
# whole number).  T_KILLED says whether it was (a command may exit 124 of
# its own accord, as pty-answer does when it gives up).
deadline() {
	local limit=$1 rc start
	shift
	start=$(date +%s)
	timeout -k 2 "$limit" "$@"
	rc=$?
	T_KILLED=0
	if { [ $rc -eq 124 ] || [ $rc -eq 137 ]; } && [ $(($(date +%s) - start)) -ge "$limit" ]; then
		T_KILLED=1
		echo "# deadline: $* still running after ${limit} s; killed its process group" >&2
	fi
	return $rc
}

# Run "$@" and capture stdout, stderr and status in OUT, ERR, RC, within
# T_DEADLINE seconds, or SECONDS with run -t SECONDS.  A run killed at its
# deadline has RC 124 (or 137) and OUT and ERR hold what it had said.  A
# failed check after it shows both (t_last_run).
run() {
	local limit=${T_DEADLINE:-60}
	if [ "${1:-}" = -t ]; then limit=$2; shift 2; fi
	deadline "$limit" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	T_RUN=$*
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
	[ "$T_KILLED" -eq 0 ] || echo "# run: $* killed at its deadline; it had said: $OUT $ERR" >&2
}

# wait_for PID [SECONDS]: wait for a background job of this shell to end,
# at most SECONDS (default 10); return its status, or kill it (KILL) and
# return 124.  (The shell reaps its jobs, so kill -0 fails once one ended.)
wait_for() {
	local pid=$1 limit=${2:-10} i=0
	while kill -0 "$pid" 2>/dev/null; do
		if [ $i -ge $((limit * 20)) ]; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			echo "# wait_for: process $pid still running after ${limit} s; killed it" >&2
			return 124
		fi
		sleep 0.05
		i=$((i + 1))
	done
	wait "$pid"
}

# wait_until SECONDS COMMAND [ARG...]: run COMMAND (quietly) every 0.1 s
# until it succeeds; 1 if it has not after SECONDS.  How a test waits for
# an event: never a fixed sleep, and the limit only catches a hang, so
# make it generous.
wait_until() {
	local end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# hold_lock FILE: take FILE's exclusive flock(2), as an admin's postmap
# would, in a background job that keeps it until release_lock (or 300 s);
# returns once the lock is held, 1 if it is not within 60 s.
hold_lock() {
	rm -f "$T_TMP/lock.held" "$T_TMP/lock.release"
	flock -x "$1" sh -c ': >"$1.held"; i=0
	    while [ ! -e "$1.release" ] && [ $i -lt 3000 ]; do sleep 0.1; i=$((i + 1)); done' sh "$T_TMP/lock" &
	T_LOCKER=$!
	wait_until 60 test -e "$T_TMP/lock.held"
}
release_lock() { : >"$T_TMP/lock.release"; wait_for "$T_LOCKER" 30; }

# A free TCP port on loopback above 1024.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Stop a daemon we started, by its PID: TERM, up to 10 s to go, then KILL.
stop_pid() {
	[ -n "${1:-}" ] || return 0
	kill "$1" 2>/dev/null
	i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -9 "$1" 2>/dev/null
	return 0
}
