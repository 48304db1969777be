# lib.sh: what every shell test of the real programs shares: TAP output for
# prove, a scratch store, and the built programs on PATH.
# Each test sources it, then calls plan, and ok/is/like for its assertions.

set -u
: "${RELAYGATE_BUILD:=$(cd "$(dirname "$0")/.." && pwd)/build}"
PATH=$RELAYGATE_BUILD:$PATH
export PATH

T_NUM=0
T_FAILED=0
plan() { echo "1..$1"; }
ok() {	# ok CONDITION-STATUS NAME
	T_NUM=$((T_NUM + 1))
	if [ "$1" -eq 0 ]; then echo "ok $T_NUM - $2"
	else echo "not ok $T_NUM - $2"; T_FAILED=$((T_FAILED + 1)); fi
}
is() {	# is GOT WANT NAME
	T_NUM=$((T_NUM + 1))
	if [ "$1" = "$2" ]; then echo "ok $T_NUM - $3"
	else
		echo "not ok $T_NUM - $3"
		printf '#   got: %s\n# want: %s\n' "$1" "$2" | sed '2,$s/^/# /'
		T_FAILED=$((T_FAILED + 1))
	fi
}
like() {	# like GOT REGEX NAME
	T_NUM=$((T_NUM + 1))
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then echo "ok $T_NUM - $3"
	else
		echo "not ok $T_NUM - $3"
		printf '#   got: %s\n# want match: %s\n' "$1" "$2"
		T_FAILED=$((T_FAILED + 1))
	fi
}
skip() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM # skip $1"; }
done_testing() { [ "$T_FAILED" -eq 0 ]; exit $?; }

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
