#!/bin/bash
# The set-group-id relaygate-allow records only the client of the
# connection it serves: a local user with a forged TCPREMOTEIP, on a socket
# from another address or on no socket at all, records nothing, and the
# log says why; a real login through tcpserver still is recorded, and the
# program after it runs without the store's group.
. "$(dirname "$0")/setgid.sh"
. "$(dirname "$0")/lib.sh"
sg_inside
plan 17

granted() { relaygate list --all | awk -F'\t' -v a="$1" '$1 == a { print $3, $4 }'; }
store_gid=$(getent group "$SG_GROUP" | cut -d: -f3)
before=$(store_files)

# A local user, from a shell of their own, on a real TCP connection from
# 127.0.0.3 but claiming 192.0.2.77.
run "${AS_LOCAL[@]}" "$SG_BIN/onsocket" 127.0.0.3 --remote 192.0.2.77 -- "$SG_BIN/relaygate-allow" -p pop3 id -G
is "$(granted 192.0.2.77)" "" "a forged TCPREMOTEIP on a socket from another address: nothing recorded"
is "$ERR" "relaygate-allow: TCPREMOTEIP is 192.0.2.77, but this connection comes from 127.0.0.3; nothing recorded (peer_check)" "and the log says why"
like "$OUT" "^[0-9 ]+$" "the program after it still runs (id -G: $OUT)"
case " $OUT " in *" $store_gid "*) leak=1 ;; *) leak=0 ;; esac
is "$leak" 0 "without the store's group"

# The same with Dovecot's IP, and a mapped address that is not the peer either.
run "${AS_LOCAL[@]}" env -u TCPREMOTEIP IP=192.0.2.78 "$SG_BIN/onsocket" 127.0.0.3 --remote ::ffff:192.0.2.78 -- "$SG_BIN/relaygate-allow" true
is "$(granted 192.0.2.78)" "" "a forged IPv4-mapped address: nothing recorded"

# No socket at all: a pipe, as from a shell.
run "${AS_LOCAL[@]}" env TCPREMOTEIP=192.0.2.79 "$SG_BIN/relaygate-allow" true </dev/null
is "$(granted 192.0.2.79)" "" "a forged TCPREMOTEIP with standard input not a socket: nothing recorded"
is "$ERR" "relaygate-allow: standard input is not a socket, so TCPREMOTEIP 192.0.2.79 cannot be checked against the connection; nothing recorded (setgid, peer_check)" "and the log says why"

# The environment cannot point it elsewhere either.
mkdir -p "$T_TMP/evil"; chmod 777 "$T_TMP/evil"
run "${AS_LOCAL[@]}" env RELAYGATE_DIR="$T_TMP/evil" RELAYGATE_CONF="$T_TMP/evil/conf" RELAY_CTRL_EXPIRY=5 \
    "$SG_BIN/onsocket" 127.0.0.5 -- "$SG_BIN/relaygate-allow" -p pop3 true
is "$(ls "$T_TMP/evil")" "" "RELAYGATE_DIR and RELAYGATE_CONF from the environment are not used"
like "$ERR" "^relaygate-allow: 127\.0\.0\.5 may relay for 900s \(user $SG_LOCAL, pop3\); setgid, so .* ignored: settings come from /etc/relaygate.conf alone$" "the true peer is recorded, for the configured 900 s (not RELAY_CTRL_EXPIRY's 5)"
ignored=$(printf '%s' "$ERR" | sed 's/.*setgid, so //; s/ ignored:.*//')
is "$(printf '%s\n' $ignored | tr -d , | grep -E '^(RELAY_CTRL_EXPIRY|RELAYGATE_DIR|RELAYGATE_CONF)$' | sort | tr '\n' ' ')" "RELAYGATE_CONF RELAYGATE_DIR RELAY_CTRL_EXPIRY " "and the log names the settings it ignored"
is "$(granted 127.0.0.5)" "$SG_LOCAL pop3" "under the account it runs as"

# A real login through tcpserver, run as the mail user.
port=$(free_port)
tcpserver -u "$(id -u "$SG_MAIL")" -g "$(id -g "$SG_MAIL")" -H -R 127.0.0.1 "$port" \
    "$SG_BIN/relaygate-allow" -p pop3 id -G 2>"$T_TMP/tcpserver.log" &
srv=$!
i=0; while ! tcpclient -H -R 127.0.0.1 "$port" true 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
got=$(deadline 10 tcpclient -H -R -i 127.0.0.4 127.0.0.1 "$port" sh -c 'cat <&6' 2>/dev/null)
stop_pid "$srv"; wait "$srv" 2>/dev/null
is "$(granted 127.0.0.4)" "$SG_MAIL pop3" "a real login through tcpserver is recorded"
like "$(cat "$T_TMP/tcpserver.log")" "relaygate-allow: 127\.0\.0\.4 may relay for 900s \(user $SG_MAIL, pop3\)" "and logged"
is "$got" "$(id -g "$SG_MAIL")" "the program after it (id -G) has the mail user's group only, not the store's"

# A forged address through that same tcpserver: tcpserver sets the truth.
is "$(granted 192.0.2.80)" "" "(nothing else was recorded)"
is "$(store_files)" "$before" "the store's files, owners and modes are as relaygate init made them"
is "$(find "$STORE" -user "$SG_LOCAL" -o -user "$SG_MAIL" | wc -l)" 0 "no file in the store belongs to a login user"
done_testing
