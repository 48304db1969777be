#!/bin/bash
# The console and its terminal: no terminal, resize and too small, vt100
# and NO_COLOR, the terminal put back after q and SIGTERM, hangup, an
# unknown TERM, read-only (asked for, and when the store is not writable),
# pause, re-sorting by identity, and text that could drive the terminal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui.sh"
plan 33

login() { TCPREMOTEIP=$1 USER=$2 relaygate-allow -p pop3 true 2>/dev/null; }
login 192.0.2.10 alice
login 192.0.2.20 bob
login 2001:db8::7 dave
addrs() { relaygate list | cut -f1 | tr '\n' ' '; }
esc=$(printf '\033')
# A colour in an SGR sequence (39 and 49, the default colours, are not one).
COLOUR="$esc\\[([0-9]*;)*(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;|m)"

run relaygate console </dev/null
is "$RC:$ERR" "2:relaygate: the console needs a terminal on standard input and output" "no terminal: a clear error, 2"

# --- resize, and too small ---
tui_start r 100 30 'relaygate console'
tui_wait r "2001:db8::7" >/dev/null
ok "on a colour terminal the console uses colour" [ "$(tui_screen r -e | grep -cE "$COLOUR")" -gt 0 ]
tui resize-window -t =r -x 80 -y 24
# Redrawn for 80x24 once the footer is on line 24.
redrawn() { tui_screen r | sed -n 24p | grep -q "q quit"; }
tui_until 30 redrawn
screen=$(tui_screen r)
like "$(printf '%s\n' "$screen" | sed -n 4p)" "^  ADDRESS +LEFT +USER +PROTO +GRANTED +RELAYCLIENT +NOTE" "80x24: the grid, with every column"
like "$(printf '%s\n' "$screen" | sed -n 24p)" "q quit" "80x24: the footer on the last line"
tui resize-window -t =r -x 60 -y 20
tui_wait r "terminal too small: need 80x24, have 60x20"
ok "below 80x24: one line says so" [ $? -eq 0 ]
login 192.0.2.55 erin
tui resize-window -t =r -x 100 -y 30
tui_wait r "192.0.2.55"
ok "back to 100x30: the grid again, kept fresh while it was too small" [ $? -eq 0 ]
tui kill-session -t =r

# --- vt100 and NO_COLOR; sort keeps the cursor on its address ---
tui_start v 100 30 'TERM=vt100 NO_COLOR=1 relaygate console'
tui_wait v "2001:db8::7"
ok "TERM=vt100 NO_COLOR=1: the grants screen shows" [ $? -eq 0 ]
colour=$(tui_screen v -e | grep -cE "$COLOUR")
is "$colour" 0 "and no colour escapes reach the terminal"
like "$(tui_screen v -e | sed -n 1p)" "$esc\\[7m" "the header is in reverse video instead"
selected() { tui_screen v -e | grep -E "$esc\\[([0-9]*;)*7m($esc\\[[0-9;]*m)*  " | sed -n 1p | awk '{ print $2 }'; }
tui_keys v G
tui_until 30 sh -c "[ \"\$(tmux -f /dev/null -S '$TUI_SOCK' capture-pane -t =v:0.0 -p -e | grep -c '2001:db8::7')\" -gt 0 ]"
before=$(selected)
tui_keys v s
tui_wait v "sort: remaining" >/dev/null
is "$(selected)" "$before" "s re-sorts by remaining time; the cursor stays on $before"
tui_keys v F1
tui_wait v "relaygate console: keys"
ok "F1 opens Help under vt100" [ $? -eq 0 ]
like "$(tui_screen v)" "F10 q +quit" "Help lists each key with its F-key and letter"
tui_keys v C-f	# vt100 has no PgDn key: its alias
tui_wait v "F8 d" >/dev/null
like "$(tui_screen v)" "F8 d +revoke" "and scrolls to the grants screen's keys"
tui kill-session -t =v

tui_start n 100 30 'relaygate console --no-color'
tui_wait n "2001:db8::7" >/dev/null
is "$(tui_screen n -e | grep -cE "$COLOUR")" 0 "--no-color: no colour escapes either"
tui kill-session -t =n

# --- the terminal's settings come back: after q, after SIGTERM; hangup ends it ---
tui_start s 100 30 "stty -g >'$T_TMP/a'; relaygate console; echo \"status \$?\"; stty -g >'$T_TMP/b'; echo back-in-sh; sleep 60"
tui_wait s "2001:db8::7" >/dev/null
tui_keys s q
tui_wait s "back-in-sh" >/dev/null
is "$(cat "$T_TMP/b")" "$(cat "$T_TMP/a")" "after q: stty -g as before"
tui kill-session -t =s
tui_start t 100 30 "stty -g >'$T_TMP/a2'; sh -c 'echo \$\$ >\"$T_TMP/pid\"; exec relaygate console'; echo \"status \$?\"; stty -g >'$T_TMP/b2'; echo back-in-sh; sleep 60"
tui_wait t "2001:db8::7" >/dev/null
kill -TERM "$(cat "$T_TMP/pid")"
tui_wait t "back-in-sh"
ok "SIGTERM ends the console" [ $? -eq 0 ]
is "$(cat "$T_TMP/b2")" "$(cat "$T_TMP/a2")" "after SIGTERM: stty -g as before"
tui kill-session -t =t
tui_start h 100 30 "sh -c 'echo \$\$ >\"$T_TMP/pid\"; exec relaygate console'"
tui_wait h "2001:db8::7" >/dev/null
pid=$(cat "$T_TMP/pid")
tui kill-session -t =h
tui_until 30 sh -c "! kill -0 $pid 2>/dev/null"
ok "a hangup (the terminal closed) ends the console" [ $? -eq 0 ]
is "$(addrs)" "192.0.2.10 192.0.2.20 192.0.2.55 2001:db8::7 " "and the store is as it was"

tui_start u 100 30 'TERM=xyz-unknown relaygate console; echo "status $?"; sleep 60'
tui_wait u 'relaygate: unknown terminal type "xyz-unknown"' && tui_wait u "status 111"
ok "an unknown TERM: named in a message, status 111" [ $? -eq 0 ]
tui kill-session -t =u

# --- read-only ---
tui_start o 100 30 'relaygate console --readonly'
tui_wait o "READ-ONLY"
ok "--readonly: the header says READ-ONLY" [ $? -eq 0 ]
ok "and the footer offers no action" eval 'tui_screen o | tail -1 | grep -qE '\''revoke|allow|pin'\''; [ $? -eq 1 ]'
tui_keys o d
tui_wait o "read-only: revoke is not available" >/dev/null
is "$(addrs)" "192.0.2.10 192.0.2.20 192.0.2.55 2001:db8::7 " "d changes nothing"
tui kill-session -t =o
relaygate allow 192.0.2.5 --ttl 1
tui_start w 100 30 "setpriv --reuid=nobody --regid=nogroup --clear-groups relaygate console"
tui_wait w "READ-ONLY"
ok "a user who cannot write the store gets READ-ONLY by itself" [ $? -eq 0 ]
tui_wait w "read-only: $RELAYGATE_DIR/grants.db: Permission denied"
ok "and is told why" [ $? -eq 0 ]
tui kill-session -t =w
tui_start w 100 30 "relaygate console --readonly --interval 1"
tui_wait w "no expiry loop is running"
ok "and, with a grant expired for over two intervals, the header warns no expiry loop is running" [ $? -eq 0 ]
tui kill-session -t =w

# --- pause ---
tui_start p 100 30 'relaygate console'
tui_wait p "2001:db8::7" >/dev/null
tui_keys p p
tui_wait p "PAUSED"
ok "p pauses: the header says PAUSED" [ $? -eq 0 ]
login 192.0.2.66 frank
sleep 2	# proves that nothing shows while paused: a fixed wait is right here
ok "paused: a new grant is not shown" eval 'tui_screen p | grep -q 192.0.2.66; [ $? -eq 1 ]'
tui_keys p p
tui_wait p "192.0.2.66"
ok "p again: it shows" [ $? -eq 0 ]
tui kill-session -t =p

# --- text that could drive the terminal is shown escaped, and clipped ---
relaygate pin 192.0.2.200 --note "$(printf 'b\377\302\233x')"
relaygate pin 192.0.2.201 --relayclient "$(printf 'x%.0s' $(seq 200))" --note "ünïcødé 测试 $(printf 'y%.0s' $(seq 100))"
tui_start x 100 30 'relaygate console'
tui_wait x '192.0.2.201' >/dev/null
screen=$(tui_screen x)
like "$screen" ' b\\xff\\xc2\\x9bx$' "a stray byte and a C1 control in a note are shown escaped"
row=$(printf '%s\n' "$screen" | grep '192\.0\.2\.201')
ok "a long RELAYCLIENT is clipped to its column" eval 'printf '\''%s'\'' "$row" | grep -qE '\''x{30}'\''; [ $? -eq 1 ]'
like "$row" "ünïcødé 测试 y*…$" "a note with wide characters is clipped at the edge, with a mark that it goes on"
like "$(printf '%s\n' "$screen" | grep -A1 '192\.0\.2\.201' | tail -1)" "^  2001:db8::7 " "and the next row is where it belongs"
done_testing
