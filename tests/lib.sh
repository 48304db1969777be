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
fail() { echo "not ok $T_NUM - $1"; T_FAILED=$((T_FAILED + 1)); }
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
export RELAYGATE_DIR RELAYGATE_CONF RELAYGATE_SYNC
mkdir -p "$RELAYGATE_DIR"
unset TCPREMOTEIP IP RELAYCLIENT RELAY_CTRL_EXPIRY RELAY_CTRL_RELAYCLIENT \
    RELAY_CTRL_DIR RELAYGATE_EXPIRY RELAYGATE_RELAYCLIENT SERVICE TCPLOCALPORT || true

# Run "$@" and capture stdout, stderr and status in OUT, ERR, RC.
run() {
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}

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
