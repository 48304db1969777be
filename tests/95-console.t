#!/bin/bash
# The console, driven in tmux as an admin would: what it shows, and what
# each action leaves in the store, the rules cdb and the password store.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui.sh"
plan 34

RELAYGATE_RULES=$T_TMP/tcp.smtp RELAYGATE_RULES_CDB=$T_TMP/tcp.smtp.cdb
RELAYGATE_PASSWORDS=$T_TMP/pw/passwords.db
export RELAYGATE_RULES RELAYGATE_RULES_CDB RELAYGATE_PASSWORDS
printf '# tcp.smtp of the test\n127.0.0.1:allow,RELAYCLIENT=""\n\n:allow\n' >"$T_TMP/tcp.smtp"
relaygate rules compile
mkdir -p "$T_TMP/pw"
relaygate passwd --init

login() { TCPREMOTEIP=$1 USER=$2 relaygate-allow -p pop3 true 2>/dev/null; }
login 192.0.2.10 alice
login 192.0.2.20 bob
login 192.0.2.30 carol
login 2001:db8::7 dave
relaygate pin 198.51.100.1 --note "office router"
addrs() { relaygate list | cut -f1 | tr '\n' ' '; }
# The remaining time the console shows for an address, in seconds.
left_of() { tui_screen c | awk -v a="$1" '$1 == a { split($2, t, ":"); print t[1] * 60 + t[2] }'; }
# A filter that leaves the one address on the screen.
only() { tui_keys c /; tui_keys c C-u; tui_type c "$1"; tui_keys c Enter; }

tui_start c 100 30 'relaygate console; echo "console exited $?"; sleep 60'
tui_wait c "192.0.2.10"
ok "the console opens on the grants screen, listing the grants" [ $? -eq 0 ]
screen=$(tui_screen c)
like "$screen" "4 timed +1 pinned +0 expired" "the header counts timed, pinned and expired grants"
like "$screen" "store $RELAYGATE_DIR" "the header names the store"
like "$screen" "\* 198\.51\.100\.1 +pinned +root +manual .*office router" "a pin is marked, with its note"

# --- live: another process's login, and the countdown ---
login 203.0.113.5 erin
tui_wait c "203.0.113.5"
ok "a grant recorded by relaygate-allow from another process appears, no key pressed" [ $? -eq 0 ]
l1=$(left_of 192.0.2.10)
left_moved() { l2=$(left_of 192.0.2.10); [ -n "$l2" ] && [ "$l2" != "$l1" ]; }
tui_until 30 left_moved
ok "the remaining time counts down by itself ($l1 s, then ${l2:-?} s)" eval '[ -n "$l1" ] && [ -n "${l2:-}" ] && [ "$l2" -lt "$l1" ]'

# --- revoke: the dialog names the address, defaults to no, acts on that address only ---
tui_keys c j d
tui_wait c "Revoke the grant of 192.0.2.20 (user bob)?"
ok "d on the second row asks to revoke that address, by name" [ $? -eq 0 ]
tui_keys c Enter
tui_gone c "Revoke the grant of"
is "$(addrs)" "192.0.2.10 192.0.2.20 192.0.2.30 198.51.100.1 203.0.113.5 2001:db8::7 " "Enter answers no: nothing revoked"
tui_keys c d
tui_wait c "Revoke the grant of 192.0.2.20" >/dev/null
tui_keys c y
tui_wait c "revoked 192.0.2.20" && tui_gone c "  192.0.2.20  "
ok "y revokes it: the row goes" [ $? -eq 0 ]
is "$(addrs)" "192.0.2.10 192.0.2.30 198.51.100.1 203.0.113.5 2001:db8::7 " "exactly that address left the store; the others remain"

# --- a grant that expires while its revoke dialog is open ---
# (Made for ten minutes, so the dialog opens on it however slow the
# machine; cut to a second once the dialog is open.)
relaygate allow 192.0.2.99 --ttl 600
only 192.0.2.99
tui_wait c "192.0.2.99 " && tui_keys c d
tui_wait c "Revoke the grant of 192.0.2.99"
ok "the revoke dialog opens on a live grant" [ $? -eq 0 ]
others="192.0.2.10 192.0.2.30 198.51.100.1 203.0.113.5 2001:db8::7 "
relaygate extend 192.0.2.99 --ttl 1 >/dev/null
expired99() { ! relaygate list | grep -q '^192\.0\.2\.99	'; }
tui_until 30 expired99
tui_keys c y
tui_wait c "192.0.2.99 is gone (expired or removed); nothing changed"
ok "yes after it expired: reported gone, nothing changed" [ $? -eq 0 ]
is "$(addrs)" "$others" "and every other grant is as it was"
tui_keys c Enter

# --- pin: survives a sweep ---
relaygate allow 192.0.2.77 --ttl 120	# (the logins' 900 s outlive the sweep below)
only 192.0.2.77
tui_wait c "192.0.2.77 " && tui_keys c P
tui_wait c "RELAYCLIENT for it (empty: the configured one"
ok "P asks for the pin's RELAYCLIENT" [ $? -eq 0 ]
tui_keys c Enter
tui_wait c "A note on the pin of 192.0.2.77" >/dev/null
tui_type c "front desk"
tui_keys c Enter
tui_wait c "front desk"
ok "the pin shows with its note" [ $? -eq 0 ]
faketime -f '+300s' relaygate expire >/dev/null
like "$(relaygate list | grep '^192\.0\.2\.77	')" "^192\.0\.2\.77	pinned	root	manual	.*	front desk$" "the pin survives a sweep past its old expiry"

# --- extend ---
only 192.0.2.30
tui_wait c "192.0.2.30 " && tui_keys c e
tui_wait c "Let 192.0.2.30 relay for how many seconds from now?"
ok "e asks for how long" [ $? -eq 0 ]
tui_keys c C-u
tui_type c 7200
tui_keys c Enter
extended() { [ "$(relaygate list | awk -F'\t' '$1 == "192.0.2.30" { print $2 }')" -gt 3600 ]; }
ok "extend moves the expiry (relaygate list: $(relaygate list | awk -F'\t' '$1 == "192.0.2.30" { print $2 }') s left)" tui_until 30 extended

# --- allow an address by hand; a bad address is refused in the open dialog ---
tui_keys c / C-u Enter a
tui_wait c "Address to let relay" >/dev/null
tui_type c "192.0.2.300"
tui_keys c Enter
tui_wait c 'bad address "192.0.2.300": not an IPv4 or IPv6 address' &&
    tui_screen c | grep -q "Address to let relay"
ok "a bad address is refused with the reason, in the dialog still open" [ $? -eq 0 ]
tui_keys c C-u
tui_type c "192.0.2.123"
tui_keys c Enter
tui_wait c "Let 192.0.2.123 relay for how many seconds?" >/dev/null
tui_keys c C-u
tui_type c 600
tui_keys c Enter
tui_wait c "allowed 192.0.2.123"
like "$(relaygate list | grep '^192\.0\.2\.123	')" "^192\.0\.2\.123	(600|59[0-9])	root	manual	" "a allows an address by hand, for the time asked"

# --- rules ---
tui_keys c 2
tui_wait c '127.0.0.1:allow,RELAYCLIENT=""'
ok "2 shows the rules, numbered, with their comments" [ $? -eq 0 ]
tui_keys c a
tui_wait c "A rule, added after the selected line" >/dev/null
tui_type c "10.1.0.1 allow"
tui_keys c Enter
tui_wait c "line 2: no ':' in"
ok "an invalid rule is refused, its message at its line in the open dialog" [ $? -eq 0 ]
tui_keys c C-u
tui_type c '10.1.:allow,RELAYCLIENT=""'
tui_keys c Enter w
tui_wait c "saved $T_TMP/tcp.smtp and compiled"
ok "w saves and compiles" [ $? -eq 0 ]
run relaygate rules check 10.1.2.3
is "$RC:$OUT" "0:rule 10.1.:
set environment variable RELAYCLIENT=
allow connection" "the added rule is in the compiled cdb"
is "$(head -2 "$T_TMP/tcp.smtp")" "# tcp.smtp of the test
10.1.:allow,RELAYCLIENT=\"\"" "the file keeps its comment"
tui_keys c t
tui_wait c "What would tcpserver do" >/dev/null
tui_type c 10.1.9.9
tui_keys c Enter
tui_wait c 'rule "10.1.":'
ok "t shows what tcpserver would do for an address" [ $? -eq 0 ]
tui_keys c Escape a
tui_wait c "A rule, added" >/dev/null
tui_type c "10.9.:deny"
tui_keys c Enter 1
tui_wait c "The rules have changes that are not saved."
ok "leaving with unsaved changes asks first" [ $? -eq 0 ]
tui_keys c y
tui_wait c "192.0.2.10"
ok "and dropping them leaves the file alone" eval 'grep -q 10.9 "$T_TMP/tcp.smtp"; [ $? -eq 1 ]'

# --- passwords ---
tui_keys c 3
tui_wait c "no POP passwords yet"
ok "3 shows the password store (empty)" [ $? -eq 0 ]
tui_keys c a
tui_wait c "Set the POP password of which user?" >/dev/null
tui_type c frank
tui_keys c Enter
tui_wait c "New POP password for frank" >/dev/null
tui_type c "Kor4l-Reef"
tui_keys c Enter
tui_wait c "Again, the POP password for frank" >/dev/null
tui_type c "Kor4l-Reef"
tui_keys c Enter
tui_wait c "POP password of frank set"
ok "a password set twice over hidden input is stored" [ $? -eq 0 ]
ok "the secret never showed on the screen" eval 'tui_screen c | grep -q Kor4l; [ $? -eq 1 ]'
NSSW=$(ls /usr/lib/*/libnss_wrapper.so 2>/dev/null | head -1)
mkdir -p "$T_TMP/home/frank"
chown 5001:5001 "$T_TMP/home/frank"
echo "frank:x:5001:5001:Frank:$T_TMP/home/frank:/bin/sh" >"$T_TMP/passwd"
echo "frank:x:5001:" >"$T_TMP/group"
TS='<4711.1234@mail.example.org>'
digest=$(printf '%s%s' "$TS" "Kor4l-Reef" | md5sum | cut -d' ' -f1)
run env LD_PRELOAD="$NSSW" NSS_WRAPPER_PASSWD="$T_TMP/passwd" NSS_WRAPPER_GROUP="$T_TMP/group" \
    RELAYGATE_FAIL_DELAY_MS=0 bash -c 'printf "frank\0%s\0%s\0" "$1" "$2" | relaygate-checkpw sh -c "echo \$USER" 3<&0' sh "$digest" "$TS"
is "$RC:$OUT" "0:frank" "relaygate-checkpw accepts frank's APOP login with that password"
tui_keys c d
tui_wait c "Delete the POP password of frank?" >/dev/null
tui_keys c y
tui_wait c "POP password of frank deleted"
is "$(relaygate passwd --list)" "" "d deletes it, after a confirmation"

tui_keys c q
tui_wait c "console exited 0"
ok "q quits, status 0" [ $? -eq 0 ]
done_testing
