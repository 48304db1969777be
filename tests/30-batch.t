#!/bin/sh
# relaygate's batch mode: every subcommand through the real binary, its
# output and its exit status, good input and bad.
. "$(dirname "$0")/lib.sh"
plan 66

# --- a missing store: a directory relaygate init has not made a store in ---
none=$T_TMP/none
mkdir "$none"
run env RELAYGATE_DIR="$none" relaygate list
is "$RC" 111 "list on a missing store: 111"
is "$ERR" "relaygate: open $none/grants.db: No such file or directory" "naming the file and the reason"
run env RELAYGATE_DIR="$none" relaygate revoke 192.0.2.1
is "$RC:$ERR" "111:relaygate: $none/grants.db does not exist: make the store with relaygate init" "revoke on a missing store: 111 (it does not create one), saying how to make it"
run env RELAYGATE_DIR="$none" relaygate expire
is "$RC" 111 "expire on a missing store: 111"
run env RELAYGATE_DIR=/nonexistent/dir relaygate allow 192.0.2.1
is "$RC" 111 "allow into a missing directory: 111"
is "$ERR" "relaygate: open directory /nonexistent/dir: No such file or directory" "naming the directory"

# --- allow, list, check ---
run relaygate allow 192.0.2.1 --ttl 600 --user alice
is "$RC:$OUT:$ERR" "0::" "allow: silent, 0"
run relaygate allow --user bob 2001:DB8::1
is "$RC" 0 "allow with options before the address, default TTL"
run relaygate allow ::ffff:198.51.100.3 --ttl 31536000
is "$RC" 0 "allow with the longest TTL (a year)"
run relaygate list
is "$RC" 0 "list: 0"
is "$(printf '%s\n' "$OUT" | cut -f1,3,4 | tr '\t' ' ')" "192.0.2.1 alice manual
198.51.100.3 root manual
2001:db8::1 bob manual" "list: address, user, protocol columns in address order, normal forms"
is "$(printf '%s\n' "$OUT" | awk -F'\t' '{print NF}' | sort -u)" "7" "list: seven tab-separated columns on every line"
like "$(printf '%s\n' "$OUT" | head -1)" '^192\.0\.2\.1	(600|59[0-9])	alice	manual	20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z		$' "list: remaining seconds and ISO 8601 UTC grant time"

run relaygate check 192.0.2.1
is "$RC" 0 "check of a live grant: 0"
like "$OUT" '^192\.0\.2\.1 may relay: granted, (600|59[0-9])s left, RELAYCLIENT=""$' "check says why"
run relaygate check 192.0.2.2
is "$RC:$OUT" "1:192.0.2.2 may not relay: no grant" "check of an unknown address: 1, and why"
run faketime -f '+601s' relaygate check 192.0.2.1
like "$RC:$OUT" '^1:192\.0\.2\.1 may not relay: grant expired [0-9]+s ago$' "check of an expired, unswept grant: 1, and why"

# --- pin, unpin, revoke ---
run relaygate pin 203.0.113.0 --relayclient @partner --note "partner's MX"
is "$RC:$OUT:$ERR" "0::" "pin: silent, 0"
run relaygate pin 203.0.113.1
is "$RC" 0 "pin without options"
run relaygate list
like "$OUT" "203\.0\.113\.0	pinned	root	manual	[^	]+	@partner	partner's MX" "a pin lists as pinned, with its RELAYCLIENT and note"
run faketime -f '+3650d' relaygate check 203.0.113.0
is "$RC:$OUT" "0:203.0.113.0 may relay: pinned - partner's MX, RELAYCLIENT=\"@partner\"" "a pin still relays ten years on"
run relaygate allow 203.0.113.0 --ttl 5
is "$RC:$OUT" "0:203.0.113.0 is pinned; left as it is" "allow on a pinned address leaves the pin"
run relaygate revoke 203.0.113.0
is "$RC:$ERR" "1:relaygate revoke: 203.0.113.0 is pinned; use unpin to remove a pin" "revoke refuses a pin: 1"
run relaygate unpin 203.0.113.0
is "$RC" 0 "unpin: 0"
run relaygate check 203.0.113.0
is "$RC:$OUT" "1:203.0.113.0 may not relay: no grant" "unpin leaves nothing behind, not a grant"
run relaygate unpin 203.0.113.0
is "$RC:$ERR" "1:relaygate unpin: 203.0.113.0 is not pinned" "unpin of an unpinned address: 1"
run relaygate unpin 192.0.2.1
is "$RC" 1 "unpin of a grant: 1, the grant stays"
run relaygate revoke 192.0.2.1
is "$RC:$OUT:$ERR" "0::" "revoke: silent, 0"
run relaygate revoke 192.0.2.1
is "$RC:$ERR" "1:relaygate revoke: 192.0.2.1 has no grant" "revoke of nothing: 1"

# --- expire and stats ---
# (Five minutes on, 192.0.2.50 has expired and the others not; lifetimes
# long enough that the real clock, however slow the machine, never decides.)
relaygate allow 192.0.2.50 --ttl 60
relaygate allow 192.0.2.51 --ttl 600
run relaygate stats
is "$OUT" "live	4
pinned	1
expired	0
bytes	$(($(stat -c %s "$RELAYGATE_DIR/grants.db") + $(stat -c %s "$RELAYGATE_DIR/grants-meta.db")))" "stats: counts and the store's size"
run faketime -f '+300s' relaygate stats --json
is "$(printf '%s' "$OUT" | jq -c '[.live,.pinned,.expired]')" "[3,1,1]" "stats --json five minutes on: one expired, unswept"
run faketime -f '+300s' relaygate list --all
like "$OUT" "192\.0\.2\.50	expired	" "list --all shows the expired, unswept grant"
run faketime -f '+300s' relaygate list
is "$(printf '%s\n' "$OUT" | grep -c 192.0.2.50)" "0" "list alone does not"
run faketime -f '+300s' relaygate expire
is "$RC:$OUT" "0:removed	1" "expire: one sweep, prints how many it removed"
run faketime -f '+300s' relaygate expire
is "$RC:$OUT" "0:removed	0" "a second sweep removes nothing"

# --- JSON, through a real parser ---
run relaygate list --json
is "$RC" 0 "list --json: 0"
is "$(printf '%s\n' "$OUT" | jq -r '.address' | tr '\n' ' ')" "192.0.2.51 198.51.100.3 203.0.113.1 2001:db8::1 " "list --json: one object per line, every grant, IPv4 before IPv6"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.address=="203.0.113.1") | [.pinned, .remaining, .expires, .protocol] | @tsv')" "true			manual" "a pin in JSON: pinned, no expiry"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.address=="2001:db8::1") | [.pinned, .user, (.remaining > 0 and .remaining <= 900), (.expires|test("Z$"))] | @tsv')" "false	bob	true	true" "a grant in JSON: user, remaining seconds, ISO expiry"
relaygate pin 192.0.2.200 --note 'quote " backslash \ tab-free é' >/dev/null
run relaygate list --json
is "$(printf '%s\n' "$OUT" | jq -r 'select(.address=="192.0.2.200") | .note')" 'quote " backslash \ tab-free é' "JSON strings escape quotes and backslashes, keep UTF-8"

# --- bad input: exit 2 and a message, nothing stored ---
before=$(relaygate list --all | cut -f1)
for bad in "allow 192.0.2.300" "allow example.org" "allow ''" "pin 1.2.3" "check ::1::2" "revoke 10.0.0.1/24" "unpin fe80::1%eth0"; do
	eval "run relaygate $bad"
	like "$RC:$ERR" "^2:relaygate [a-z]+: (bad|empty) address" "malformed address: relaygate $bad"
done
for ttl in -1 0 abc 1.5 31536001 99999999999999999999 ""; do
	run relaygate allow 192.0.2.9 --ttl "$ttl"
	like "$RC:$ERR" "^2:relaygate allow: --ttl: " "bad TTL \"$ttl\": 2"
done
run relaygate allow 192.0.2.9 --ttl
is "$RC:$ERR" "2:relaygate allow: --ttl needs a value
usage: relaygate allow ADDR [--ttl SECONDS] [--user NAME]" "--ttl without a value: 2 and usage"
run relaygate list --colour
is "$RC" 2 "unknown option: 2"
like "$ERR" "unknown option --colour" "and named"
run relaygate allow 192.0.2.9 192.0.2.10
is "$RC:$ERR" "2:relaygate allow: too many arguments
usage: relaygate allow ADDR [--ttl SECONDS] [--user NAME]" "two addresses: 2"
run relaygate pin 192.0.2.9 --note "$(printf 'two\nlines')"
is "$RC:$ERR" "2:relaygate pin: note contains a control character" "a note with a newline: 2"
run relaygate frobnicate
is "$RC" 2 "unknown command: 2"
run relaygate expire --interval 5
is "$RC" 2 "--interval without --loop: 2"
is "$(relaygate list --all | cut -f1)" "$before" "bad input changed nothing"

# --- help, version, no command ---
run relaygate
is "$RC" 2 "no command and no terminal: usage, 2"
like "$ERR" "^usage: relaygate" "the usage goes to stderr"
run relaygate --version
like "$RC:$OUT" "^0:relaygate [0-9]" "--version"
bad=
for c in list allow revoke pin unpin check expire stats import-spool; do
	run relaygate $c --help
	[ "$RC" = 0 ] && printf '%s' "$OUT" | grep -q "^usage: relaygate $c" || bad="$bad $c"
done
is "$bad" "" "--help on every subcommand: usage on stdout, 0"
done_testing
