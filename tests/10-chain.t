#!/bin/sh
# allow -> check -> expire, end to end through the real programs, and under
# the real tcpserver on loopback.
. "$(dirname "$0")/lib.sh"
plan 21

# A login from 192.0.2.1 records it; the program after it runs with stdin/stdout intact.
run sh -c 'echo hello | TCPREMOTEIP=192.0.2.1 USER=alice relaygate-allow -p pop3 cat'
is "$OUT" "hello" "relaygate-allow execs the rest of the chain with stdin and stdout untouched"
is "$ERR" "relaygate-allow: 192.0.2.1 may relay for 900s (user alice, pop3)" "one log line on stderr"

run env TCPREMOTEIP=192.0.2.1 relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT" "" "check sets RELAYCLIENT (empty by default) for a fresh grant"
is "$RC" 0 "check execs the program and passes on its status"

run env TCPREMOTEIP=::ffff:192.0.2.1 relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT" "" "the IPv4-mapped form of the same client relays too"

run env TCPREMOTEIP=192.0.2.2 relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT" "unset" "check sets nothing for another address"

# relaygate-check is a static program, which faketime cannot move: the
# login is recorded with the writer's clock set back instead.
TCPREMOTEIP=192.0.2.1 USER=alice faketime -f '-901s' relaygate-allow -p pop3 true 2>/dev/null
run env TCPREMOTEIP=192.0.2.1 relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT" "unset" "check sets nothing after the grant's expiry, before any sweep"

run relaygate list --all
like "$OUT" '^192\.0\.2\.1	expired	alice	pop3	' "the grant is still stored until a sweep"
run relaygate expire
is "$OUT" "removed	1" "a sweep after the expiry removes it"
run relaygate list --all
is "$OUT" "" "and nothing is left"

# A pin's own RELAYCLIENT wins over the configured one.
faketime -f '-400d' relaygate pin 198.51.100.7 --relayclient @partner.example --note "partner MX"
run env TCPREMOTEIP=198.51.100.7 RELAY_CTRL_RELAYCLIENT=@default relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT" "@partner.example" "check sets a pin's own RELAYCLIENT, and a pin never expires"
TCPREMOTEIP=203.0.113.5 relaygate-allow true 2>/dev/null
run env TCPREMOTEIP=203.0.113.5 RELAY_CTRL_RELAYCLIENT=@default relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT" "@default" "a grant gets the configured RELAYCLIENT (relay-ctrl's variable honoured)"

run env TCPREMOTEIP=192.0.2.99 RELAYCLIENT=@rules relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT" "@rules" "a RELAYCLIENT set by tcpserver's rules is left alone"

# IPv6 everywhere an IPv4 client works.
TCPREMOTEIP=2001:DB8::25 relaygate-allow true 2>/dev/null
run env TCPREMOTEIP=2001:db8:0:0::25 relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT" "" "an IPv6 grant is found under any spelling of the address"

# Dovecot's post-login script gives the client as $IP.
run env IP=192.0.2.44 USER=bob SERVICE=imap relaygate-allow true
is "$ERR" "relaygate-allow: 192.0.2.44 may relay for 900s (user bob, imap)" "Dovecot post-login: \$IP and \$SERVICE are used"

# -q (a Dovecot post-login script, whose stderr Dovecot logs as errors):
# silent when the grant is recorded, one line when it is not.
run env IP=192.0.2.45 relaygate-allow -q -p imap true
is "$RC:$ERR:$(relaygate list 192.0.2.45 | cut -f1,4)" "0::192.0.2.45	imap" "-q: the grant recorded, nothing said"
run env IP=not-an-address relaygate-allow -q -p imap true
like "$RC:$ERR" "^0:relaygate-allow: .*not-an-address.*nothing recorded" "-q: a failure is still one line, and the login goes on"

# RELAY_CTRL_EXPIRY sets the lifetime.
run env TCPREMOTEIP=192.0.2.60 RELAY_CTRL_EXPIRY=60 faketime -f '-61s' relaygate-allow true
run env TCPREMOTEIP=192.0.2.60 relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT" "unset" "RELAY_CTRL_EXPIRY=60: gone after 61 s"

# The real tcpserver: relaygate-check in front of a program that shows its environment.
if command -v tcpserver >/dev/null && command -v tcpclient >/dev/null; then
	port=$(free_port)
	cat >"$T_TMP/show" <<'SH'
#!/bin/sh
echo "from=$TCPREMOTEIP relayclient=${RELAYCLIENT-unset}"
SH
	chmod +x "$T_TMP/show"
	tcpserver -H -R 127.0.0.1 "$port" relaygate-check "$T_TMP/show" 2>"$T_TMP/tcpserver.log" &
	srv=$!
	i=0; while ! deadline 5 tcpclient -H -R 127.0.0.1 "$port" true 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
	TCPREMOTEIP=127.0.0.2 relaygate-allow true 2>/dev/null
	got2=$(deadline 10 tcpclient -H -R -i 127.0.0.2 127.0.0.1 "$port" sh -c 'cat <&6' 2>/dev/null)
	got3=$(deadline 10 tcpclient -H -R -i 127.0.0.3 127.0.0.1 "$port" sh -c 'cat <&6' 2>/dev/null)
	stop_pid "$srv"
	is "$got2" "from=127.0.0.2 relayclient=" "under tcpserver: a granted client gets RELAYCLIENT"
	is "$got3" "from=127.0.0.3 relayclient=unset" "under tcpserver: another client does not"
	TCPREMOTEIP=127.0.0.2 faketime -f '-901s' relaygate-allow true 2>/dev/null
	run env TCPREMOTEIP=127.0.0.2 relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
	is "$OUT" "unset" "and the granted client loses it after the expiry"
else
	skip "ucspi-tcp not installed"; skip "ucspi-tcp not installed"; skip "ucspi-tcp not installed"
fi
done_testing
