#!/bin/bash
# relaygate-login, the privileged half of a login chain started as root:
# it records the address tcpserver gave it, for the account whose
# relaygate-allow reports a successful login, whatever that process's
# standard input is (a TLS proxy's Unix socket here); a failed login
# records nothing and leaves no process behind; and what a local user can
# do with the pieces (their own relaygate-login, a RELAYGATE_LOGIN of
# their own, a false USER) records nothing, or only their own login.
. "$(dirname "$0")/setgid.sh"
. "$(dirname "$0")/lib.sh"
sg_inside
plan 16

granted() { relaygate list --all | awk -F'\t' -v a="$1" '$1 == a { print $3, $4 }'; }
install -m 755 "$RELAYGATE_BUILD/relaygate-login" "$SG_BIN/relaygate-login"
before=$(store_files)

# The chain after relaygate-login, as a TLS proxy would run it: the login
# part on a Unix socket pair (not the client's connection), then, if
# $T_TMP/fail is absent, the drop to the mail user and the setgid
# relaygate-allow with a USER that lies.
cat >"$T_TMP/proxy" <<'P'
#!/usr/bin/python3
import os, socket, sys
a, b = socket.socketpair()
if os.fork() == 0:
    a.close(); os.dup2(b.fileno(), 0); os.dup2(b.fileno(), 1)
    os.execv(sys.argv[1], sys.argv[1:])
b.close()
while True:	# the client's side, in the clear: what the chain says
    d = a.recv(4096)
    if not d: break
    os.write(1, d)
os.wait()
P
cat >"$T_TMP/chain" <<S
#!/bin/sh
[ -e "$T_TMP/fail" ] && exit 1	# the password was wrong: nothing after it runs
exec setpriv --reuid=$SG_MAIL --regid=$(id -g "$SG_MAIL") --init-groups env USER=root "$SG_BIN/relaygate-allow" -p imap id -G
S
chmod 755 "$T_TMP/proxy" "$T_TMP/chain"
port=$(free_port)
tcpserver -H -R 0 "$port" "$SG_BIN/relaygate-login" "$T_TMP/proxy" "$T_TMP/chain" 2>>"$T_TMP/log" &
srv=$!
i=0; while ! ss -ltnH "sport = :$port" | grep -q LISTEN && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
login() { deadline 15 tcpclient -H -R -i "$1" 127.0.0.1 "$port" sh -c 'cat <&6' 2>/dev/null; }
# The waiters still there: relaygate-login processes that are nobody's child here.
waiters() { pgrep -f "^$SG_BIN/relaygate-login " | wc -l; }

got=$(login 127.0.0.21)
is "$(granted 127.0.0.21)" "$SG_MAIL imap" "a login behind a Unix socket is recorded: the address tcpserver gave, the account that logged in (not USER)"
like "$(cat "$T_TMP/log")" "^relaygate-login: 127\.0\.0\.21 may relay for 900s \(user $SG_MAIL, imap\)\$" "relaygate-login logs it; relaygate-allow says nothing"
is "$got" "$(id -g "$SG_MAIL")" "the program after relaygate-allow runs, without the store's group"
wait_until_none() { local i=0; while [ "$(waiters)" != 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; }
wait_until_none
is "$(waiters)" 0 "no relaygate-login is left behind"

touch "$T_TMP/fail"; : >"$T_TMP/log"
login 127.0.0.22 >/dev/null
wait_until_none
is "$(granted 127.0.0.22)" "" "a failed login records nothing"
is "$(waiters):$(cat "$T_TMP/log")" "0:" "and leaves no process and no log line behind"
rm -f "$T_TMP/fail"

# A local user runs relaygate-login themselves, with the address of their choice.
run "${AS_LOCAL[@]}" env TCPREMOTEIP=192.0.2.41 "$SG_BIN/relaygate-login" "$SG_BIN/relaygate-allow" -p pop3 true </dev/null
wait_until_none
is "$(granted 192.0.2.41)" "" "a local user's own relaygate-login records nothing"
like "$ERR" "relaygate-allow: relaygate-login recorded nothing" "the setgid relaygate-allow gave its word only, and used no privilege for it"
like "$ERR" "relaygate-login: .*Permission denied; nothing recorded for 192\.0\.2\.41" "the user's relaygate-login could not write the store"

# A RELAYGATE_LOGIN of one's own: a socket pair whose other end the user reads.
run "${AS_LOCAL[@]}" /usr/bin/python3 -c '
import os, socket, sys
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
os.set_inheritable(b.fileno(), True)
os.environ["RELAYGATE_LOGIN"] = str(b.fileno())
os.environ["TCPREMOTEIP"] = "192.0.2.42"
if os.fork() == 0:
    os.execv(sys.argv[1], [sys.argv[1], "-p", "pop3", "true"])
b.close(); print(a.recv(300)); a.send(b"y"); os.wait()' "$SG_BIN/relaygate-allow"
is "$(granted 192.0.2.42)" "" "a RELAYGATE_LOGIN of a local user's own: nothing recorded"
like "$OUT" "^b'pop3" "relaygate-allow only told that pair about a login ($ERR)"

# RELAYGATE_LOGIN naming no descriptor: said so, nothing recorded, the login goes on.
run "${AS_LOCAL[@]}" env RELAYGATE_LOGIN=7 TCPREMOTEIP=192.0.2.43 "$SG_BIN/relaygate-allow" -p pop3 echo went on </dev/null
is "$RC:$OUT:$(granted 192.0.2.43)" "0:went on:" "a RELAYGATE_LOGIN that names no descriptor: the login goes on, nothing recorded"
like "$ERR" "^relaygate-allow: send the login's ticket \(RELAYGATE_LOGIN\): Bad file descriptor; nothing recorded\$" "and the log says why"

stop_pid "$srv"; wait "$srv" 2>/dev/null
is "$(relaygate list --all | cut -f1 | tr '\n' ' ')" "127.0.0.21 " "nothing else was recorded"
is "$(store_files)" "$before" "the store's files, owners and modes are as relaygate init made them"
is "$(find "$STORE" -user "$SG_LOCAL" -o -user "$SG_MAIL" | wc -l)" 0 "no file in the store belongs to a login user"
done_testing
