# tui.sh: drive the real console in a private tmux server (see
# /work/shared/CONSOLE.md, "Testing").  Source it after lib.sh and before
# plan: without tmux the test fails (it is a dependency, never a skip).
#   tui_start NAME COLS ROWS CMD   a session running CMD in sh, pinned locale and TZ
#   tui_keys NAME KEY...           send-keys (tmux key names: Enter Escape Down F1 C-u)
#   tui_type NAME TEXT             type TEXT literally
#   tui_screen NAME [-e]           the pane's text now
#   tui_wait NAME TEXT [SECS]      poll every 0.1 s until TEXT is on screen (default 5 s);
#                                  on timeout print the screen as TAP comments, return 1
#   tui_gone NAME TEXT [SECS]      the same, until TEXT is no longer on screen

if ! command -v tmux >/dev/null 2>&1; then
	echo "1..1"
	echo "not ok 1 - tmux is installed (sh tools/deps test installs it)"
	exit 1
fi

TUI_SOCK=$T_TMP/tmux.sock
trap 'tmux -S "$TUI_SOCK" kill-server 2>/dev/null; rm -rf "$T_TMP"' EXIT

tui() { tmux -f /dev/null -S "$TUI_SOCK" "$@"; }

tui_start() {	# NAME COLS ROWS CMD
	tui new-session -d -s "$1" -x "$2" -y "$3" -e LC_ALL=C.UTF-8 -e TZ=UTC "$4"
}

tui_keys() { n=$1; shift; tui send-keys -t "=$n:0.0" "$@"; }
tui_type() { tui send-keys -t "=$1:0.0" -l -- "$2"; }
tui_screen() { tui capture-pane -t "=$1:0.0" -p ${2:-}; }

# Poll the screen until "grep -F TEXT" says $want (0 there, 1 gone), by a deadline.
tui_poll() {	# WANT NAME TEXT SECS
	end=$(( $(date +%s%N) / 1000000 + ${4:-5} * 1000 ))
	while [ $(( $(date +%s%N) / 1000000 )) -le "$end" ]; do
		tui_screen "$2" | grep -qF -- "$3"
		[ $? -eq "$1" ] && return 0
		sleep 0.1
	done
	echo "# waited ${4:-5} s for \"$3\" to $([ "$1" -eq 0 ] && echo appear || echo go); the screen:"
	tui_screen "$2" | sed 's/^/# |/'
	return 1
}
tui_wait() { tui_poll 0 "$1" "$2" "${3:-5}"; }
tui_gone() { tui_poll 1 "$1" "$2" "${3:-5}"; }

# Poll a shell condition by a deadline: tui_until SECS COMMAND...
tui_until() {
	end=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	while [ $(( $(date +%s%N) / 1000000 )) -le "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
