#!/bin/bash
# relaygate rules check answers as tcprulescheck does: the same rule, the
# same environment, allow or deny, for many addresses, hosts and users.
. "$(dirname "$0")/lib.sh"
corpus=$(cd "$(dirname "$0")/rules-corpus" && pwd)
plan 5

RELAYGATE_RULES_CDB=$T_TMP/tcp.smtp.cdb
export RELAYGATE_RULES_CDB

compare() {	# compare TCPRULESCHECK CDB IP HOST INFO: 0 when both answer alike
	local want got
	want=$(env -u TCPREMOTEHOST -u TCPREMOTEINFO TCPREMOTEIP="$3" \
	    ${4:+TCPREMOTEHOST="$4"} ${5:+TCPREMOTEINFO="$5"} "$1" "$2")
	got=$(relaygate rules check "$3" ${4:+--host "$4"} ${5:+--info "$5"})
	if [ "$want" != "$got" ]; then
		printf '# %s ip=%s host=%s info=%s\n#  tcprulescheck: %s\n#  relaygate:     %s\n' \
		    "$(basename "$RELAYGATE_RULES")" "$3" "$4" "$5" "$(echo $want)" "$(echo $got)"
		return 1
	fi
}

# Addresses to ask about: fixed ones, and ones each file's own rules name.
probes() {
	printf '%s\n' 127.0.0.1 127.0.0.2 192.168.1.5 10.0.0.5 10.0.0.21 10.0.2.9 1.2.3.4 1.2.3.0 9.9.9.9 192.0.2.200
	grep -oE '[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+' "$1" | head -8
	grep -oE '^[0-9]+\.[0-9]+\.[0-9]+\.' "$1" | head -4 | sed 's/$/77/'
	grep -oE '^10\.[0-9]+\.[0-9]+\.[0-9]+-' "$1" | head -3 | sed 's/-$//'
}

total=0; bad=0
for f in "$corpus"/h0[2-6]*.rules "$corpus"/h1[23]*.rules "$corpus"/r2[0-9].rules "$corpus"/r3[0-4].rules; do
	RELAYGATE_RULES=$f relaygate rules compile || bad=$((bad + 1))
	for ip in $(probes "$f" | sort -u); do
		for hi in "|" "mx.example.org|" "host.example.net|" "|alice" "mx.example.org|bob" "www.Example.COM|root"; do
			total=$((total + 1))
			RELAYGATE_RULES=$f compare tcprulescheck "$RELAYGATE_RULES_CDB" "$ip" "${hi%|*}" "${hi#*|}" || bad=$((bad + 1))
		done
	done
done
ok "at least 200 address/rules combinations asked ($total)" [ "$total" -ge 200 ]
is "$bad" 0 "relaygate rules check and tcprulescheck agree on every one (rule, environment, decision)"

# A cdb made by the real tcprules reads the same through relaygate.
tcprules "$RELAYGATE_RULES_CDB" "$T_TMP/x.tmp" <"$corpus/h06-host-info.rules"
bad=0
for q in "127.0.0.1||alice" "127.0.0.1||" "5.5.5.5|host.example.org|bob" "5.5.5.5|a.b.example.net|" "5.5.5.5||"; do
	IFS='|' read -r ip host info <<<"$q"
	compare tcprulescheck "$RELAYGATE_RULES_CDB" "$ip" "$host" "$info" || bad=$((bad + 1))
done
is "$bad" 0 "a cdb written by tcprules itself is read alike"

# IPv6 clients, against the IPv6 variant's tcprulescheck, with addresses as its tcpserver writes them.
v6=$RELAYGATE_PEERS/ucspi-tcp-ipv6/usr/bin
if [ -x "$v6/tcprulescheck" ]; then
	# (A rule spelt 2001:db8:0:1:... can never match: tcpserver writes 2001:db8::1:...)
	printf '2001:db8::1:allow,RELAYCLIENT=""\n2001:db8:0:1:1:1:1:5:deny\n2001:db8::1:1:1:1:6:allow,N="six"\n2001:db8:1::allow,P="64"\n2001:db8::allow,P="32"\n::1:deny\n127.:allow,V4="yes"\n:deny\n' >"$T_TMP/v6.rules"
	RELAYGATE_RULES=$T_TMP/v6.rules relaygate rules compile
	bad=0; n=0
	# Addresses as the IPv6 tcpserver writes TCPREMOTEIP (IPv4 clients as plain IPv4).
	for ip in 2001:db8::1 2001:db8::1:1:1:1:5 2001:db8::1:1:1:1:6 2001:db8:1::7 2001:db8:1:0:1:: 2001:db8:2::9 ::1 ::2 127.0.0.1 10.1.1.1; do
		n=$((n + 1))
		compare "$v6/tcprulescheck" "$RELAYGATE_RULES_CDB" "$ip" "" "" || bad=$((bad + 1))
	done
	is "$bad" 0 "IPv6: the same answers as the IPv6 variant's tcprulescheck ($n addresses)"
	# Any spelling of the client finds the rule: relaygate writes it as tcpserver does.
	run relaygate rules check 2001:0DB8:0000:0001:0001:0001:0001:0006
	is "$(printf '%s' "$OUT" | head -1)" "rule 2001:db8::1:1:1:1:6:" "IPv6: a single zero group is compressed, as the IPv6 tcpserver writes it"
else
	skip "the IPv6 variant of ucspi-tcp is not unpacked (tools/deps test)"
	skip "the IPv6 variant of ucspi-tcp is not unpacked (tools/deps test)"
fi
done_testing
