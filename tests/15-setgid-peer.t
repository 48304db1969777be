#!/bin/bash
# The set-group-id relaygate-allow records only the client of the
# connection it serves: on a real connection accepted by tcpserver, a
# forged TCPREMOTEIP or IP records nothing, nor does a forged address on
# no socket at all, and the log says why; a real login through tcpserver
# is recorded, with the settings of /etc/relaygate.conf alone, and the
# program after it runs without the store's group.  (The sockets a local
# user can make: 15-setgid-forged.t.)
. "$(dirname "$0")/setgid.sh"
. "$(dirname "$0")/lib.sh"
sg_inside
plan 15

granted() { relaygate list --all | awk -F'\t' -v a="$1" '$1 == a { print $3, $4 }'; }
store_gid=$(getent group "$SG_GROUP" | cut -d: -f3)
before=$(store_files)

# A login chain under a real tcpserver (root's, running the chain as the
# mail user), whose environment points elsewhere; $T_TMP/claim, when there,
# holds what the chain claims in place of tcpserver's TCPREMOTEIP.
mkdir -p "$T_TMP/evil"; chmod 777 "$T_TMP/evil"
cat >"$T_TMP/chain" <<S
#!/bin/sh
if [ -s "$T_TMP/claim" ]; then read -r var addr <"$T_TMP/claim"; unset TCPREMOTEIP; export "\$var=\$addr"; fi
exec "$SG_BIN/relaygate-allow" -p pop3 id -G
S
chmod 755 "$T_TMP/chain"
port=$(free_port)
env RELAYGATE_DIR="$T_TMP/evil" RELAYGATE_CONF="$T_TMP/evil/conf" RELAY_CTRL_EXPIRY=5 \
    tcpserver -u "$(id -u "$SG_MAIL")" -g "$(id -g "$SG_MAIL")" -H -R 0 "$port" "$T_TMP/chain" 2>>"$T_TMP/tcpserver.log" &
srv=$!
# (Waiting for it to listen without connecting: a connection is a login.)
i=0; while ! ss -ltnH "sport = :$port" | grep -q LISTEN && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
# login FROM: connect from FROM; what the chain's last program printed.
login() { deadline 10 tcpclient -H -R -i "$1" 127.0.0.1 "$port" sh -c 'cat <&6' 2>/dev/null; }

echo "TCPREMOTEIP 192.0.2.77" >"$T_TMP/claim"
got=$(login 127.0.0.3)
is "$(granted 192.0.2.77)$(granted 127.0.0.3)" "" "a forged TCPREMOTEIP on a real connection from another address: nothing recorded"
is "$(cat "$T_TMP/tcpserver.log")" "relaygate-allow: nothing recorded for TCPREMOTEIP 192.0.2.77: this connection comes from 127.0.0.3 (setgid, peer_check)" "and the log says why"
like "$got" "^[0-9 ]+$" "the program after it still runs (id -G: $got)"

echo "IP ::ffff:192.0.2.78" >"$T_TMP/claim"
login 127.0.0.3 >/dev/null
is "$(granted 192.0.2.78)" "" "a forged IPv4-mapped IP (Dovecot's variable): nothing recorded"

# No socket at all: a pipe, as from a shell.
run "${AS_LOCAL[@]}" env TCPREMOTEIP=192.0.2.79 "$SG_BIN/relaygate-allow" true </dev/null
is "$(granted 192.0.2.79)" "" "a forged TCPREMOTEIP with standard input not a socket: nothing recorded"
is "$ERR" "relaygate-allow: nothing recorded for TCPREMOTEIP 192.0.2.79: standard input is not a socket (setgid, peer_check)" "and the log says why"

# A real login through tcpserver, run as the mail user.
rm -f "$T_TMP/claim"; : >"$T_TMP/tcpserver.log"
got=$(login 127.0.0.4)
stop_pid "$srv"; wait "$srv" 2>/dev/null
log=$(cat "$T_TMP/tcpserver.log")
is "$(granted 127.0.0.4)" "$SG_MAIL pop3" "a real login through tcpserver is recorded, under the account it runs as"
like "$log" "^relaygate-allow: 127\.0\.0\.4 may relay for 900s \(user $SG_MAIL, pop3\); setgid, so .* ignored: settings come from /etc/relaygate.conf alone$" \
    "for the configured 900 s (not RELAY_CTRL_EXPIRY's 5)"
ignored=$(printf '%s' "$log" | sed 's/.*setgid, so //; s/ ignored:.*//')
is "$(printf '%s\n' $ignored | tr -d , | grep -E '^(RELAY_CTRL_EXPIRY|RELAYGATE_DIR|RELAYGATE_CONF)$' | sort | tr '\n' ' ')" "RELAYGATE_CONF RELAYGATE_DIR RELAY_CTRL_EXPIRY " "and the log names the settings it ignored"
is "$(ls "$T_TMP/evil")" "" "RELAYGATE_DIR and RELAYGATE_CONF from the environment are not used"
is "$got" "$(id -g "$SG_MAIL")" "the program after it (id -G) has the mail user's group only, not the store's"
case " $got " in *" $store_gid "*) leak=1 ;; *) leak=0 ;; esac
is "$leak" 0 "without the store's group"

is "$(relaygate list --all | cut -f1 | tr '\n' ' ')" "127.0.0.4 " "(nothing else was recorded)"
is "$(store_files)" "$before" "the store's files, owners and modes are as relaygate init made them"
is "$(find "$STORE" -user "$SG_LOCAL" -o -user "$SG_MAIL" | wc -l)" 0 "no file in the store belongs to a login user"
done_testing
