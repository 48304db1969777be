#!/bin/sh
# relaygate import-spool: a relay-ctrl spool directory becomes grants with
# the time they had left.
. "$(dirname "$0")/lib.sh"
plan 10

spool=$T_TMP/spool
mkdir -p "$spool"
now=$(date +%s)
printf 'USER=alice\n' >"$spool/192.0.2.1";	touch -d "@$((now - 100))" "$spool/192.0.2.1"
printf 'USER=bob\0DOMAIN=example.org\0' >"$spool/192.0.2.2"; touch -d "@$((now - 800))" "$spool/192.0.2.2"
: >"$spool/2001:db8::9";			touch -d "@$((now - 10))" "$spool/2001:db8::9"
: >"$spool/192.0.2.3";				touch -d "@$((now - 5000))" "$spool/192.0.2.3"
: >"$spool/not-an-address"
mkdir "$spool/192.0.2.4"
relaygate pin 192.0.2.5 --note office
: >"$spool/192.0.2.5";				touch -d "@$((now - 10))" "$spool/192.0.2.5"

run env RELAY_CTRL_EXPIRY=900 relaygate import-spool "$spool"
is "$RC" 0 "import-spool: 0"
is "$(printf '%s\n' "$OUT" | grep '^skipped' | cut -f2,3 | sed 's/expired [0-9]*s ago/expired/')" "192.0.2.3	expired
192.0.2.4	not a regular file
192.0.2.5	pinned already
not-an-address	not an IP address" "every skipped file is reported with its reason"
is "$(printf '%s\n' "$OUT" | tail -1)" "imported	3" "and the count of imported ones"

remaining() { relaygate list | awk -F'\t' -v a="$1" '$1 == a { print $2 }'; }
near() { [ "$1" -ge $(($2 - 3)) ] && [ "$1" -le "$2" ]; }
r1=$(remaining 192.0.2.1); r2=$(remaining 192.0.2.2); r9=$(remaining 2001:db8::9)
ok "a login 100 s ago keeps 800 s of 900 ($r1)" near "$r1" 800
ok "a login 800 s ago keeps 100 s ($r2)" near "$r2" 100
ok "an IPv6 login 10 s ago keeps 890 s ($r9)" near "$r9" 890
is "$(relaygate list | awk -F'\t' '$1 == "192.0.2.1" || $1 == "192.0.2.2" { print $3, $4 }')" "alice relay-ctrl
bob relay-ctrl" "USER from the file, protocol relay-ctrl"
is "$(remaining 192.0.2.5)" "pinned" "a pin is not turned into a grant"

run env RELAY_CTRL_DIR="$spool" relaygate import-spool
is "$(printf '%s\n' "$OUT" | tail -1)" "imported	0" "RELAY_CTRL_DIR names the spool; nothing newer to import the second time"
run relaygate import-spool "$T_TMP/nonexistent"
is "$RC:$ERR" "111:relaygate: open $T_TMP/nonexistent: No such file or directory" "a missing spool: 111 and the path"
done_testing
