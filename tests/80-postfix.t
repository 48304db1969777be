#!/bin/sh
# Postfix reads the grants store directly as check_client_access btree:,
# with a real postmap and a real smtpd on loopback.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix.sh"
plan 9

if ! command -v postfix >/dev/null || ! command -v swaks >/dev/null; then
	for i in 1 2 3 4 5 6 7 8 9; do skip "postfix or swaks not installed"; done
	done_testing
fi

relaygate allow 127.0.0.2 --ttl 600
relaygate pin 2001:db8::5 --note "v6 office"
mkdir -p "$T_TMP/pfc"
: >"$T_TMP/pfc/main.cf"
run postmap -c "$T_TMP/pfc" -q 127.0.0.2 "btree:$RELAYGATE_DIR/grants"
like "$RC:$OUT" "^0:[0-9]{10}$" "postmap -q finds a grant; its value is digits only (access(5): OK)"
run postmap -c "$T_TMP/pfc" -q 2001:db8::5 "btree:$RELAYGATE_DIR/grants"
is "$RC:$OUT" "0:0" "postmap -q finds a pin under its IPv6 address"
run postmap -c "$T_TMP/pfc" -q 127.0.0.3 "btree:$RELAYGATE_DIR/grants"
is "$RC" 1 "postmap -q finds nothing for another client"

# A Postfix instance of our own: discard transport, relay decided by the grants file.
pf=$T_TMP/pf
port=$(free_port)
mkdir -p "$pf/conf" "$pf/queue"
{ postfix_main "$pf" 127.0.0.1 ipv4
  echo "smtpd_relay_restrictions = check_client_access btree:$RELAYGATE_DIR/grants, reject_unauth_destination"
} >"$pf/conf/main.cf"
postfix_master "$port" 127.0.0.1 >"$pf/conf/master.cf"
master=$(postfix_start "$pf" 50)
stop_postfix() { stop_pid "$master"; master=; }
trap 'stop_postfix; rm -rf "$T_TMP"' EXIT

rcpt() {	# the answer to RCPT TO an outside address, from source address $1
	deadline 60 swaks --server "127.0.0.1:$port" --local-interface "$1" --to x@outside.example \
	    --from a@example.org --quit-after RCPT 2>&1 |
	    sed -n '/RCPT TO/{n;s/^<[-*]* *//;s/ .*//;p;}'
}
ok "our own Postfix started on 127.0.0.1:$port (master $master)" eval '[ -n "$master" ] && kill -0 "$master"'
is "$(rcpt 127.0.0.2)" 250 "smtpd relays for a granted client (250 at RCPT)"
is "$(rcpt 127.0.0.3)" 554 "and refuses another (554 Relay access denied)"
relaygate allow 127.0.0.3 --ttl 600
is "$(rcpt 127.0.0.3)" 250 "a grant made meanwhile counts from the next connection"
relaygate revoke 127.0.0.2
is "$(rcpt 127.0.0.2)" 554 "a revoked grant stops relaying at once"
like "$(cat "$pf/maillog")" "table btree:.*grants.* has changed -- restarting" "smtpd noticed each change by the file's mtime"
stop_postfix
done_testing
