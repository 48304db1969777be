# tui.sh: drive the real console in a private tmux server (see
# /work/shared/CONSOLE.md, "Testing").  Source it after lib.sh and before
# plan: without tmux the test fails (it is a dependency, never a skip).
#   tui_start NAME COLS ROWS CMD   a session running CMD in sh, pinned locale and TZ
#   tui_keys NAME KEY...           send-keys (tmux key names: Enter Escape Down F1 C-u)
#   tui_type NAME TEXT             type TEXT literally
#   tui_screen NAME [-e]           the pane's text now
#   tui_wait NAME TEXT [SECS]      poll every 0.1 s until TEXT is on screen (default 30 s);
#                                  on timeout print the screen as TAP comments, return 1
#   tui_gone NAME TEXT [SECS]      the same, until TEXT is no longer on screen

if ! command -v tmux >/dev/null 2>&1; then
	echo "1..1"
	echo "not ok 1 - tmux is installed (sh tools/deps test installs it)"
	exit 1
fi

TUI_SOCK=$T_TMP/tmux.sock
# Never the real /etc files: the rules and passwords a console edits are the test's.
: "${RELAYGATE_RULES:=$T_TMP/tcp.smtp}" "${RELAYGATE_RULES_CDB:=$T_TMP/tcp.smtp.cdb}"
: "${RELAYGATE_PASSWORDS:=$T_TMP/pw/passwords.db}"
export RELAYGATE_RULES RELAYGATE_RULES_CDB RELAYGATE_PASSWORDS
trap 'tmux -S "$TUI_SOCK" kill-server 2>/dev/null; rm -rf "$T_TMP"' EXIT

tui() { tmux -f /dev/null -S "$TUI_SOCK" "$@"; }

# One server for the whole test, kept when its last session ends: else a
# session started right after another was killed races the exiting server.
tui start-server \; set-option -s exit-empty off

# A session gets the test's relaygate settings as they are now (the server
# keeps the environment it started with), so it never falls back to /etc.
tui_start() {	# NAME COLS ROWS CMD
	local name=$1 cols=$2 rows=$3 cmd=$4 var
	set --
	for var in $(env | sed -n 's/^\(RELAYGATE_[A-Z_]*\)=.*/\1/p'); do
		eval "set -- \"\$@\" -e \"$var=\${$var}\""
	done
	tui new-session -d -s "$name" -x "$cols" -y "$rows" -e LC_ALL=C.UTF-8 -e TZ=UTC \
	    -e PATH="$PATH" "$@" "$cmd"
}

tui_keys() { local name=$1; shift; tui send-keys -t "=$name:0.0" "$@"; }
tui_type() { tui send-keys -t "=$1:0.0" -l -- "$2"; }
tui_screen() { tui capture-pane -t "=$1:0.0" -p ${2:-}; }

# Poll the screen until "grep -F TEXT" says $want (0 there, 1 gone), by a
# deadline (default 30 s) that only catches a hang: what a test asserts is
# that the text came (or went), never how fast.
tui_poll() {	# WANT NAME TEXT SECS
	local end
	end=$(( $(date +%s%N) / 1000000 + ${4:-30} * 1000 ))
	while [ $(( $(date +%s%N) / 1000000 )) -le "$end" ]; do
		tui_screen "$2" | grep -qF -- "$3"
		[ $? -eq "$1" ] && return 0
		sleep 0.1
	done
	echo "# waited ${4:-30} s for \"$3\" to $([ "$1" -eq 0 ] && echo appear || echo go); the screen:"
	tui_screen "$2" | sed 's/^/# |/'
	return 1
}
tui_wait() { tui_poll 0 "$1" "$2" "${3:-30}"; }
tui_gone() { tui_poll 1 "$1" "$2" "${3:-30}"; }

# Poll a shell condition by a deadline (as generous): tui_until SECS COMMAND...
tui_until() {
	local end
	end=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	while [ $(( $(date +%s%N) / 1000000 )) -le "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
