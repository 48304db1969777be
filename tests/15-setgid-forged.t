#!/bin/bash
# The attacks of relaygate-security(7) on the set-group-id relaygate-allow,
# as a plain local user with what that user controls: a socket whose peer
# is the address of their choice, handed over as "the client's
# connection".  None records anything, whichever variable names the
# address (TCPREMOTEIP, Dovecot's IP, or none as under inetd), and the log
# says which check refused and why.
. "$(dirname "$0")/setgid.sh"
. "$(dirname "$0")/lib.sh"
sg_inside
plan 25

granted() { relaygate list --all | awk -F'\t' -v a="$1" '$1 == a { print $3 }'; }
forge="$(dirname "$0")/forgesock"
before=$(store_files)

# attack KIND ADDR VARIABLE: run it; RC and ERR as run leaves them.
attack() {
	local kind=$1 addr=$2 var=$3
	case $var in
	TCPREMOTEIP) set -- env -u IP TCPREMOTEIP="$addr" ;;
	IP) set -- env -u TCPREMOTEIP IP="$addr" ;;
	none) set -- env -u TCPREMOTEIP -u IP ;;
	esac
	run "${AS_LOCAL[@]}" "$@" "$forge" "$kind" "$addr" -- "$SG_BIN/relaygate-allow" -p pop3 true
}
# refused KIND ADDR VARIABLE REASON-REGEX: nothing recorded, and the log says why.
refused() {
	attack "$1" "$2" "$3"
	local from=$3
	[ "$from" = none ] && from="the connection"
	is "$RC:$(granted "$2")" "0:" "$1 socket, $3 $2: the login goes on, nothing recorded"
	like "$ERR" "^relaygate-allow: nothing recorded for $from $2: $4 \(setgid, peer_check\)\$" \
	    "and the log says which check refused ($ERR)"
}

# 1. A connected UDP socket: no packet is even sent.
refused udp 127.0.0.77 TCPREMOTEIP "standard input is a datagram socket, not a TCP connection"
refused udp ::1 IP "standard input is a datagram socket, not a TCP connection"
refused udp 127.0.0.77 none "standard input is a datagram socket, not a TCP connection"
# 2. An outbound TCP connection, to a listener of one's own on the address.
refused out 127.0.0.78 TCPREMOTEIP "no socket of root's listens on 127\.0\.0\.1 port [0-9]+: not a connection a server here accepted"
refused out ::1 IP "no socket of root's listens on ::1 port [0-9]+: not a connection a server here accepted"
refused out 127.0.0.78 none "no socket of root's listens on 127\.0\.0\.1 port [0-9]+: not a connection a server here accepted"
# ... and the accepted end of one's own listener.
refused in 127.0.0.79 TCPREMOTEIP "no socket of root's listens on 127\.0\.0\.1 port [0-9]+: not a connection a server here accepted"
refused in 127.0.0.79 none "no socket of root's listens on 127\.0\.0\.1 port [0-9]+: not a connection a server here accepted"
# 3. A user and network namespace of one's own: any address, no network at all.
refused netns 198.51.100.7 TCPREMOTEIP "standard input's connection belongs to another network namespace"
refused netns 2001:db8::7 IP "standard input's connection belongs to another network namespace"
refused netns 198.51.100.7 none "standard input's connection belongs to another network namespace"

is "$(relaygate list --all | wc -l)" 0 "the store holds no grant at all"
is "$(store_files)" "$before" "the store's files, owners and modes are as relaygate init made them"
is "$(find "$STORE" -user "$SG_LOCAL" | wc -l)" 0 "no file in the store belongs to the local user"
done_testing
