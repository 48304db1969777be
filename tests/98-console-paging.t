#!/bin/bash
# The grants screen pages through more grants than fit, by key: first and
# last, page down and up, a scroll at the page's edge, sort by user, a user
# filter; and a missing store, and how the console is opened.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui.sh"
plan 15

for i in $(seq 1 120); do
	relaygate allow 10.0.0.$i --ttl $((600 + i)) --user "u$(printf %03d $((121 - i)))"
done
esc=$(printf '\033')
# The address on the cursor's row (reverse video, NO_COLOR).
selected() { tui_screen c -e | grep -E "$esc\\[([0-9]*;)*7m($esc\\[[0-9;]*m)*  " | sed -n 1p | awk '{ print $2 }'; }
sel_is() { [ "$(selected)" = "$1" ]; }

tui_start c 100 30 'NO_COLOR=1 relaygate; echo "console exited $?"; sleep 60'
tui_wait c "10.0.0.1 "
ok "relaygate with no command, on a terminal, opens the console" [ $? -eq 0 ]
is "$(selected)" "10.0.0.1" "the cursor starts on the first grant"
ok "only a page is shown (10.0.0.30 is below it)" eval 'tui_screen c | grep -q '\''10\.0\.0\.30 '\''; [ $? -eq 1 ]'
tui_keys c G
tui_until 30 sel_is 10.0.0.120
is "$(selected)" "10.0.0.120" "G: the last grant, in numeric order"
tui_keys c g
tui_until 30 sel_is 10.0.0.1
is "$(selected)" "10.0.0.1" "g: the first again"
tui_keys c PageDown
tui_wait c "10.0.0.30 " >/dev/null
is "$(selected)" "10.0.0.25" "PgDn: the next page, the cursor on the same screen row"
tui_keys c PageUp
tui_until 30 sel_is 10.0.0.1
is "$(selected)" "10.0.0.1" "PgUp: back"
tui_keys c G k k
tui_until 30 sel_is 10.0.0.118
tui_keys c j j j
tui_until 30 sel_is 10.0.0.120
is "$(selected)" "10.0.0.120" "j at the last row stays there"
tui_keys c g
tui_until 30 sel_is 10.0.0.1
for i in $(seq 24); do tui_keys c j; done
tui_until 30 sel_is 10.0.0.25
is "$(selected)" "10.0.0.25" "j past the page's bottom scrolls by one"
like "$(tui_screen c | sed -n 5p)" "^  10\.0\.0\.2 " "and the top row moved down by one"
tui_keys c s s
tui_wait c "sort: user" >/dev/null
is "$(selected)" "10.0.0.25" "sort by user: the cursor stays on 10.0.0.25"
tui_keys c /
tui_type c "u11"
tui_keys c Enter
tui_wait c "filter: u11" >/dev/null
is "$(tui_screen c | awk '$1 ~ /^10\./ { print $3 }' | tr '\n' ' ')" "u110 u111 u112 u113 u114 u115 u116 u117 u118 u119 " "a user filter shows the users holding it, in user order"
tui_keys c q
tui_wait c "console exited 0" >/dev/null

run relaygate console --bogus
is "$RC" 2 "an unknown option to console: usage, 2"
mkdir "$T_TMP/empty"
tui_start e 100 30 "RELAYGATE_DIR=$T_TMP/empty relaygate console"
tui_wait e "no grants yet"
ok "a store directory with no grants yet says so" [ $? -eq 0 ]
tui_start m 100 30 "RELAYGATE_DIR=$T_TMP/nowhere relaygate console"
tui_wait m "read-only: $T_TMP/nowhere: No such file or directory" && tui_wait m "no grants yet"
ok "a missing store directory: read-only, saying why, no crash" [ $? -eq 0 ]
done_testing
