#!/bin/bash
# Under a real inetd (Debian's openbsd-inetd, in the foreground with a
# configuration of its own on loopback ports above 1024, no tcpserver and
# no TCPREMOTEIP): the POP3 chain (popup standing in for qmail-popup,
# relaygate-checkpw, relaygate-allow, then id -u as the POP server) records
# a login from 127.0.0.2 with the address taken from the connection, and
# relaygate-check in front of the SMTP "server" (env, which shows what it
# was given) sets RELAYCLIENT for that address and for no other.  inetd
# gives the programs the connection as standard error too: no log line of
# theirs may land in the client's session; they go to syslog, caught here
# on a /dev/log of the test's own (a mount namespace whose /dev is an
# overlay kept in the test's directory: the machine's /dev is not touched).
if [ -z "${INETD_INSIDE:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "1..1"; echo "not ok 1 - must run as root: it makes an account, a mount namespace and runs inetd"; exit 1
	fi
	INETD_INSIDE=1 exec unshare -m --propagation private /bin/bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
plan 17
INETD=$(command -v inetd || echo /usr/sbin/inetd)
if ! "$INETD" -h 2>&1 | grep -q 'usage: inetd \[-dEil\]'; then
	echo "not ok 1 - openbsd-inetd is not installed (sh tools/deps test)"; exit 1
fi
U=rgin$$
inetd_pid= log_pid=
cleanup() {
	stop_pid "$inetd_pid"
	[ -z "$inetd_pid" ] || wait "$inetd_pid" 2>/dev/null
	stop_pid "$log_pid"
	[ -z "$log_pid" ] || wait "$log_pid" 2>/dev/null
	mountpoint -q /dev && grep -q " /dev overlay " /proc/self/mounts && umount /dev
	id "$U" >/dev/null 2>&1 && userdel "$U"
	getent group "$U" >/dev/null && groupdel "$U"
	rm -rf "$T_TMP"
	return 0
}
trap cleanup EXIT
if id "$U" >/dev/null 2>&1; then echo "not ok 1 - account $U exists already"; exit 1; fi
useradd -M -U -d "$T_TMP/home" -s /usr/sbin/nologin "$U" || { echo "not ok 1 - useradd $U"; exit 1; }
install -d -o "$U" -g "$U" -m 700 "$T_TMP/home"

# syslog: a /dev/log of our own, each line it gets into syslog.txt.
mkdir -p "$T_TMP/dev/upper" "$T_TMP/dev/work"
mount -t overlay overlay -o "lowerdir=/dev,upperdir=$T_TMP/dev/upper,workdir=$T_TMP/dev/work" /dev ||
    { echo "Bail out! cannot put an overlay on /dev"; exit 1; }
rm -f /dev/log
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
out = open(sys.argv[1], "a")
while True:
    out.write(s.recv(8192).decode(errors="replace").rstrip("\n") + "\n")
    out.flush()
' "$T_TMP/syslog.txt" &
log_pid=$!
i=0; while [ ! -S /dev/log ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
chmod 666 /dev/log	# as a syslog daemon's: every user logs

# Everything inetd runs, where the mail user and nobody may run it.
B=$T_TMP/bin
install -d -m 755 "$B"
install -m 755 "$RELAYGATE_BUILD/relaygate-allow" "$RELAYGATE_BUILD/relaygate-check" \
    "$RELAYGATE_BUILD/relaygate-checkpw" "$(dirname "$0")/popup" "$B/"
# The grants store, writable by the mail user's group (as a setgid
# relaygate-allow's group would make it), readable by nobody.
S=$T_TMP/inetd-store
RELAYGATE_DIR=$S RELAYGATE_GROUP=$U relaygate init >/dev/null || echo "Bail out! relaygate init $S"
PW=$T_TMP/pw/passwords.db
mkdir -p "$T_TMP/pw"
RELAYGATE_PASSWORDS=$PW relaygate passwd --init
echo 'in-secret' | RELAYGATE_PASSWORDS=$PW relaygate passwd --stdin "$U"

# inetd clears most of the environment itself; the settings go in by env,
# and env -u makes sure no TCPREMOTEIP or IP comes from anywhere.
P1=$(free_port) P2=$(free_port)
settings="RELAYGATE_CONF=/dev/null RELAYGATE_DIR=$S RELAYGATE_SYNC=no"
# The lines of contrib/inetd/inetd.conf, as the README shows them, with
# what Debian lacks stood in for: ports for service names, tests/popup for
# qmail-popup, id -u for qmail-pop3d, env (showing the environment) for
# qmail-smtpd, no tcp-env (relaygate-check then reads the connection, as
# the file says), nobody for qmaild; env -u keeps TCPREMOTEIP and IP out.
pre="/usr/bin/env env -u TCPREMOTEIP -u IP $settings"
sed -e '/^#/d' \
    -e "s|^pop3 |127.0.0.1:$P1 |" -e "s|^smtp |127.0.0.1:$P2 |" \
    -e "s| root /var/qmail/bin/qmail-popup qmail-popup mail.example.org | root $pre RELAYGATE_PASSWORDS=$PW RELAYGATE_APOP_ONLY=no RELAYGATE_FAIL_DELAY_MS=0 $B/popup mail.test |" \
    -e "s| qmaild /var/qmail/bin/tcp-env tcp-env /usr/local/bin/relaygate-check | nobody $pre $B/relaygate-check |" \
    -e "s|/usr/local/bin/|$B/|g" \
    -e "s|/var/qmail/bin/qmail-pop3d Maildir|/usr/bin/id -u|" \
    -e "s|/var/qmail/bin/qmail-smtpd|/usr/bin/env|" \
    "$(dirname "$0")/../contrib/inetd/inetd.conf" >"$T_TMP/inetd.conf"
"$INETD" -d -i "$T_TMP/inetd.conf" 2>"$T_TMP/inetd.log" &
inetd_pid=$!
i=0
while [ $i -lt 100 ] && ! { ss -Hltn "sport = :$P1" | grep -q . && ss -Hltn "sport = :$P2" | grep -q .; }; do
	sleep 0.1; i=$((i + 1))
done
like "$(ss -Hltnp "sport = :$P1")" "127\.0\.0\.1:$P1 .*inetd" "inetd (pid $inetd_pid) listens on 127.0.0.1:$P1 for POP3 and :$P2 for SMTP"

# session FROM PORT [USER PASS]: what the client of that service saw, all of it.
session() {
	deadline 15 /usr/bin/python3 - "$@" <<'PY'
import socket, sys
src, port = sys.argv[1], int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(src, 0))
f = s.makefile("rb")
if len(sys.argv) > 3:
    f.readline()
    s.sendall(b"USER " + sys.argv[3].encode() + b"\r\n"); f.readline()
    s.sendall(b"PASS " + sys.argv[4].encode() + b"\r\n")
sys.stdout.write(f.read().decode(errors="replace"))
PY
}
granted() { RELAYGATE_DIR=$S relaygate list --all | awk -F'\t' -v a="$1" '$1 == a { print $3, $4 }'; }

# --- POP3: the login is recorded, the address taken from the connection ---
got=$(session 127.0.0.2 "$P1" "$U" in-secret)
is "$(printf '%s' "$got" | tr -d '\r' | tail -1)" "$(id -u "$U")" "a POP3 login from 127.0.0.2 through inetd reaches the POP server, as the mail user"
is "$(granted 127.0.0.2)" "$U pop3" "relaygate-allow recorded 127.0.0.2 (no TCPREMOTEIP: from the connection), for the mail user"
is "$(printf '%s' "$got" | grep -c 'relaygate-[a-z]*:')" 0 "no log line of relaygate's in the client's session (standard error is the connection)"
got=$(session 127.0.0.5 "$P1" "$U" wrong-secret)
is "$(granted 127.0.0.5)" "" "a failed login from 127.0.0.5 records nothing"
is "$(printf '%s' "$got" | grep -c 'relaygate-[a-z]*:')" 0 "and relaygate-checkpw's 'bad login' line is not in that session either"
like "$(cat "$T_TMP/syslog.txt")" "^<21>.*relaygate-allow\[[0-9]+\]: 127\.0\.0\.2 may relay for 900s \(user $U, pop3\)$" "relaygate-allow's line went to syslog instead (mail.notice)"
like "$(cat "$T_TMP/syslog.txt")" "relaygate-checkpw\[[0-9]+\]: bad login from 127\.0\.0\.5: wrong password for $U$" "and so did relaygate-checkpw's, naming the address from the connection"
is "$(RELAYGATE_DIR=$S relaygate list --all | wc -l)" 1 "the store holds the one grant"

# --- SMTP: relaygate-check under inetd ---
got=$(session 127.0.0.2 "$P2")
like "$got" "^RELAYCLIENT=$" "relaygate-check under inetd sets RELAYCLIENT for 127.0.0.2, the login's address"
is "$(printf '%s' "$got" | grep -c -e '^TCPREMOTEIP=' -e '^IP=')" 0 "with no TCPREMOTEIP or IP anywhere (the address came from the connection)"
is "$(printf '%s' "$got" | grep -c 'relaygate-check:')" 0 "and without a word in the SMTP session"
got=$(session 127.0.0.2 "$P2" 2>&1 | grep -c 'relaygate-[a-z]*:'; grep -c 'relaygate-check\[' "$T_TMP/syslog.txt")
is "$got" "0
0" "(a grant is quiet: relaygate-check logs nothing for it)"
got=$(session 127.0.0.3 "$P2")
like "$got" "^RELAYGATE_DIR=$S$" "from 127.0.0.3 the SMTP server runs too"
is "$(printf '%s' "$got" | grep -c '^RELAYCLIENT')" 0 "but without RELAYCLIENT"

# --- with no address at all: one clear line, and the program still runs ---
run env -u TCPREMOTEIP -u IP RELAYGATE_DIR="$S" "$B/relaygate-check" sh -c 'echo ran ${RELAYCLIENT-unset}' </dev/null
is "$OUT:$ERR" "ran unset:relaygate-check: no client address (TCPREMOTEIP or IP) in the environment, and standard input is not a socket; no RELAYCLIENT" "relaygate-check with no address and no socket: one line saying so, then the server"

stop_pid "$inetd_pid"; wait "$inetd_pid" 2>/dev/null; inetd_pid=
like "$(cat "$T_TMP/inetd.log")" "execv $B/popup|execv /usr/bin/env" "inetd itself ran the chains (its debug log)"
done_testing
