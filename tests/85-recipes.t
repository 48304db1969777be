#!/bin/bash
# Every recipe in contrib/, used verbatim with the real mail servers, as
# an administrator would: the README's install (adduser relaygate, make
# install, relaygate init: the setgid relaygate-allow, no 1777), then
#   Dovecot POP3 (APOP) and IMAP logins   contrib/dovecot/conf.d/*.conf
#   Courier-IMAP's imaplogin              contrib/courier/imapd/run, imapd-relaygate
#   Courier-IMAP's imapd-ssl              contrib/courier/imapd-ssl/run
#   the qmail POP3 chain                  contrib/qmail/pop3d/run
#   the same behind stunnel (POP3S)       contrib/qmail/pop3s/run, contrib/stunnel/pop3s.conf
# each record the client, in the clear and over TLS (STLS and STARTTLS,
# POP3S and IMAPS, from python's poplib and imaplib: tests/tlslogin),
# while a local user's forgeries on the same host record nothing; then
# swaks is answered at RCPT by Postfix
#   contrib/postfix/main.cf (btree map of the grants)
# and by the qmail SMTP chain, tcpserver -x ... relaygate-check,
#   contrib/qmail/smtpd/run (ucspi-tcp for IPv4, ucspi-tcp-ipv6 for IPv6)
# 250 for a granted or pinned client, a refusal for another; after expiry
# and a sweep by the loop under daemontools' supervise
#   contrib/daemontools/relaygate-expire/run, log/run
# the granted clients are refused again and the pins still relay.  Then
# Postfix's overshoot: it relays for an expired grant until the loop
# sweeps it (how long is measured and reported, not judged: that the loop
# wakes at each expiry is tests/unit/test_sched.c's to check).
#
# Everything runs in a mount and network namespace of this test: /etc,
# /var and /usr/local are overlays whose changes land in the test's
# directory (so the recipes' own paths, /usr/local/bin, /etc/tcp.smtp.cdb,
# /var/lib/relaygate and /var/qmail/bin, hold and the machine's are never
# written), /run/courier is a tmpfs, and the only network is this
# namespace's loopback, with two more IPv6 addresses on it.  The one
# substitution in the recipes: port names (smtp, pop3, and Courier's PORT
# in /etc/courier/imapd and SSLPORT in imapd-ssl, stunnel's accept) become
# ports above 1024; the certificates are the test's own.  Debian 12 has no qmail:
# tests/qmail-smtpd, tests/popup and tests/qmail-pop3d stand in at
# /var/qmail/bin.  dovecot-imapd conflicts with courier-imap: tools/deps
# unpacks it under build/peers and it is laid over /usr/lib/dovecot here.
if [ -z "${RECIPES_INSIDE:-}" ]; then
	if [ "$(id -u)" != 0 ]; then echo "1..1"; echo "not ok 1 - must run as root: it makes namespaces"; exit 1; fi
	RECIPES_INSIDE=1 exec unshare -mn --propagation private /bin/bash "$0" "$@"
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/postfix.sh"
start_s=$(date +%s)
unset RELAYGATE_DIR RELAYGATE_CONF RELAYGATE_USER RELAYGATE_GROUP RELAYGATE_SYNC
T=$T_TMP
PEERS=$RELAYGATE_PEERS
bail() { echo "Bail out! $*"; exit 1; }

# Missing peers are failures.
for p in dovecot postfix swaks curl tcpserver svscan supervise multilog setuidgid envuidgid stunnel \
    /usr/sbin/couriertcpd /usr/bin/couriertls /usr/lib/courier/courier-authlib/authdaemond authtest maildirmake.courier \
    "$PEERS/ucspi-tcp-ipv6/usr/bin/tcpserver" "$PEERS/dovecot-imapd/usr/lib/dovecot/imap-login"; do
	command -v "$p" >/dev/null || bail "$p is missing: sh tools/deps test"
done

# --- the namespace: overlays, loopback ---
for d in etc var usrlocal dovecot; do mkdir -p "$T/ns/$d.up" "$T/ns/$d.work"; done
mount -t overlay o -o "lowerdir=/etc,upperdir=$T/ns/etc.up,workdir=$T/ns/etc.work" /etc &&
mount -t overlay o -o "lowerdir=/var,upperdir=$T/ns/var.up,workdir=$T/ns/var.work" /var &&
mount -t overlay o -o "lowerdir=/usr/local,upperdir=$T/ns/usrlocal.up,workdir=$T/ns/usrlocal.work" /usr/local &&
mount -t overlay o -o "lowerdir=$PEERS/dovecot-imapd/usr/lib/dovecot:/usr/lib/dovecot" /usr/lib/dovecot &&
mkdir -p /run/courier && mount -t tmpfs -o mode=775 tmpfs /run/courier ||
    bail "cannot make the overlays"
ip link set lo up && ip addr add fd00:5eed::2/128 dev lo nodad && ip addr add fd00:5eed::3/128 dev lo nodad &&
ip addr add fd00:5eed::4/128 dev lo nodad ||
    bail "cannot set up loopback"
chmod 755 "$T"

PIDS=
cleanup() {
	local p
	if [ -n "${SVSCAN:-}" ]; then
		kill "$SVSCAN" 2>/dev/null; wait "$SVSCAN" 2>/dev/null
		for s in "$T"/service/*; do svc -dx "$s" "$s/log" 2>/dev/null; svc -dx "$s" 2>/dev/null; done
		i=0; while pgrep -f "supervise" -s 0 >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	for p in $PIDS; do stop_pid "$p"; wait "$p" 2>/dev/null; done
	# Courier's gam_server lingers ~30 s after the session: its user's processes, by PID.
	if [ -n "${CUID:-}" ]; then
		for p in $(pgrep -u "$CUID"); do kill "$p" 2>/dev/null; done
		i=0; while pgrep -u "$CUID" >/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	umount /run/courier /usr/lib/dovecot /usr/local /var /etc 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
listening() { ss -ltnH "sport = :$1" | grep -q LISTEN; }

# --- the README's install, as written ---
sed -n '/<!-- install:begin -->/,/<!-- install:end -->/p' "$ROOT/README.md" | grep -v -e '^<!--' -e '^```' |
    grep -v -e '^sh tools/deps' -e '^make$' >"$T/install.sh"	# built already
(cd "$ROOT" && B=$RELAYGATE_BUILD sh -e "$T/install.sh") >"$T/install.log" 2>&1
is "$?:$(stat -c '%a %G' /usr/local/bin/relaygate-allow)" "0:2755 relaygate" \
    "the README's install: relaygate-allow setgid to the store's group$(tail -3 "$T/install.log" | tr '\n' ' ')"
is "$(stat -c '%a %U %G' /var/lib/relaygate)" "755 relaygate relaygate" "relaygate init: the store 0755, the store's own (never 1777)"
cat >/etc/relaygate.conf <<C
# grants short enough to see them go
expiry = 20
C
chmod 644 /etc/relaygate.conf
EXPIRY=20

# Accounts: qmaild for the SMTP chain; a Dovecot user with a POP-only
# secret; a Courier user with a Unix password (authpam).
base=$((42000 + ($$ % 500) * 4)) DUID=$((base + 1)) CUID=$((base + 2)) QUID=$((base + 3))
DU=rgdove CU=rgcour
useradd -u "$QUID" -M -d /nonexistent -s /usr/sbin/nologin qmaild &&
useradd -u "$DUID" -M -d "$T/home/$DU" -s /usr/sbin/nologin "$DU" &&
useradd -u "$CUID" -M -d "$T/home/$CU" -s /usr/sbin/nologin "$CU" || bail "useradd"
install -d -m 755 "$T/home"
install -d -o "$DU" -g "$DU" -m 700 "$T/home/$DU" "$T/home/$DU/Maildir"
install -d -o "$CU" -g "$CU" -m 700 "$T/home/$CU"
echo "$CU:c-secret" | chpasswd
setpriv --reuid="$CU" --regid="$CU" --init-groups maildirmake.courier "$T/home/$CU/Maildir" || bail maildirmake
relaygate passwd --init >/dev/null && echo 'd-secret' | relaygate passwd --stdin "$DU" || bail "relaygate passwd"
echo 'q-secret' | relaygate passwd --stdin "$CU" || bail "relaygate passwd"

# Stand-ins for qmail, where the recipes look for it.
install -d /var/qmail/bin
install -m 755 "$ROOT/tests/qmail-smtpd" "$ROOT/tests/qmail-pop3d" /var/qmail/bin/
install -m 755 "$ROOT/tests/popup" /var/qmail/bin/qmail-popup
# Permanent rules: none but the default, compiled as the README says.
printf '# no permanent relay here\n:allow\n' >/etc/tcp.smtp
relaygate rules compile >/dev/null || bail "relaygate rules compile"

# --- the services, under daemontools ---
SMTP4=2525 SMTP6=2526 QPOP=2110 CPORT=2143 DPOP=2111 DIMAP=2144 PFPORT=2527
QPOPS=2995 CPORTS=2993 DPOPS=2996 DIMAPS=2994
# The certificate the recipes name (stunnel's; Courier's own is Debian's imapd.pem).
install -d -m 700 /etc/ssl/private
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=mail.example.org -days 2 \
    -keyout /etc/ssl/private/mail.example.org.key -out /etc/ssl/certs/mail.example.org.pem 2>/dev/null ||
    bail "openssl req"
install -d "$T/service"
cp -a "$ROOT/contrib/daemontools/relaygate-expire" "$T/service/"
install -d -o relaygate -g relaygate "$T/service/relaygate-expire/log/main"	# as its run says
for s in smtpd pop3d; do cp -a "$ROOT/contrib/qmail/$s" "$T/service/qmail-$s"; done
cp -a "$ROOT/contrib/qmail/smtpd" "$T/service/qmail-smtpd6"
cp -a "$ROOT/contrib/courier/imapd" "$T/service/courier-imapd"
cp -a "$ROOT/contrib/courier/imapd-ssl" "$T/service/courier-imapd-ssl"
cp -a "$ROOT/contrib/qmail/pop3s" "$T/service/qmail-pop3s"
install -d /etc/stunnel
sed "s/^accept = 995\$/accept = $QPOPS/" "$ROOT/contrib/stunnel/pop3s.conf" >/etc/stunnel/pop3s.conf
sed -i "s/ 0 smtp / 0 $SMTP4 /" "$T/service/qmail-smtpd/run"
sed -i "s/ 0 smtp / 0 $SMTP6 /" "$T/service/qmail-smtpd6/run"
sed -i "s/ 0 pop3 / 0 $QPOP /" "$T/service/qmail-pop3d/run"
# qmail-smtpd6: the same recipe with ucspi-tcp-ipv6's tcpserver first on PATH.
sed -i "2i PATH=$PEERS/ucspi-tcp-ipv6/usr/bin:\$PATH" "$T/service/qmail-smtpd6/run"
for s in qmail-smtpd qmail-pop3d; do
	is "$(diff "$ROOT/contrib/qmail/${s#*-}/run" "$T/service/$s/run" | grep -c '^>')" 1 "contrib qmail/${s#*-}/run used verbatim but for its port"
done
is "$(diff "$ROOT/contrib/courier/imapd/run" "$T/service/courier-imapd/run" && echo same)" same "contrib courier/imapd/run used verbatim (its port is Debian's PORT)"
is "$(diff "$ROOT/contrib/courier/imapd-ssl/run" "$T/service/courier-imapd-ssl/run" && diff "$ROOT/contrib/qmail/pop3s/run" "$T/service/qmail-pop3s/run" && echo same)" same \
    "contrib courier/imapd-ssl/run and qmail/pop3s/run used verbatim"
is "$(diff "$ROOT/contrib/stunnel/pop3s.conf" /etc/stunnel/pop3s.conf | grep -c '^>')" 1 "contrib stunnel/pop3s.conf used verbatim but for its port"
is "$(diff -r "$ROOT/contrib/daemontools/relaygate-expire" "$T/service/relaygate-expire" | grep -c '^[<>]')" 0 \
    "contrib daemontools relaygate-expire used verbatim"
# Courier: its imapd recipe, the port set in Debian's own settings file.
install -m 755 "$ROOT/contrib/courier/imapd-relaygate" /usr/local/bin/imapd-relaygate
sed -i -e "s/^PORT=143\$/PORT=$CPORT/" -e 's/^IMAPDSTART=YES$/IMAPDSTART=NO/' /etc/courier/imapd
sed -i -e "s/^SSLPORT=993\$/SSLPORT=$CPORTS/" -e 's/^IMAPDSSLSTART=YES$/IMAPDSSLSTART=NO/' /etc/courier/imapd-ssl
# As Debian's imapd-ssl start script does: couriertls's session cache, the courier user's.
TLSCACHE=$(sed -n 's/^TLS_CACHEFILE=//p' /etc/courier/imapd-ssl)
install -d "$(dirname "$TLSCACHE")" && install -o courier -g courier -m 600 /dev/null "$TLSCACHE"
install -d -o courier -g courier -m 750 /run/courier/authdaemon
chgrp courier /run/courier
/usr/lib/courier/courier-authlib/authdaemond 2>"$T/authd.log" &
PIDS="$PIDS $!"

env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin svscan "$T/service" >"$T/svscan.log" 2>&1 &
SVSCAN=$!
for p in $SMTP4 $SMTP6 $QPOP $CPORT $QPOPS $CPORTS; do wait_until 60 listening "$p" || echo "# port $p not listening" >&2; done
wait_until 60 authtest "$CU" c-secret || echo "# authdaemond not ready" >&2
is "$(svstat "$T/service/relaygate-expire" "$T/service/relaygate-expire/log" | grep -c ': up ')" 2 \
    "the expiry loop and its multilog run under supervise (log/run's account exists)"

# --- Dovecot, with the two conf.d recipes verbatim ---
D=$T/dovecot
install -d "$D/conf.d" "$D/mail"
cp "$ROOT"/contrib/dovecot/conf.d/*.conf "$D/conf.d/"
cat >"$D/dovecot.conf" <<C
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
info_log_path = $D/info.log
protocols = pop3 imap
listen = 127.0.0.1, ::1
ssl = yes
ssl_cert = </etc/ssl/certs/mail.example.org.pem
ssl_key = </etc/ssl/private/mail.example.org.key
disable_plaintext_auth = no
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = 1000
# No address-space limit: a checker built with ASan (make check-asan) maps
# terabytes of shadow memory it never touches.
default_vsz_limit = 0
service pop3-login {
  inet_listener pop3 {
    port = $DPOP
  }
  inet_listener pop3s {
    port = $DPOPS
    ssl = yes
  }
}
service imap-login {
  inet_listener imap {
    port = $DIMAP
  }
  inet_listener imaps {
    port = $DIMAPS
    ssl = yes
  }
}
!include $D/conf.d/*.conf
C
dovecot -c "$D/dovecot.conf" || bail "dovecot would not start: $(cat "$D/dovecot.log" 2>/dev/null)"
wait_until 60 test -s "$D/run/master.pid"
DMASTER=$(cat "$D/run/master.pid" 2>/dev/null)
PIDS="$DMASTER $PIDS"	# (stopped by stop_pid; not this shell's child)
wait_until 60 listening "$DIMAP"

# --- Postfix, with the main.cf recipe verbatim ---
pf=$T/pf
mkdir -p "$pf/conf" "$pf/queue"
{ postfix_main "$pf" loopback-only all
  echo "smtpd_client_restrictions ="
  cat "$ROOT/contrib/postfix/main.cf"
} >"$pf/conf/main.cf"
postfix_master "$PFPORT" 127.0.0.1 '[::1]' >"$pf/conf/master.cf"
PFMASTER=$(postfix_start "$pf" 100)
PIDS="$PFMASTER $PIDS"
wait_until 60 listening "$PFPORT"
is "$(for p in $SMTP4 $SMTP6 $QPOP $CPORT $DPOP $DIMAP $PFPORT $QPOPS $CPORTS $DPOPS $DIMAPS; do listening $p && echo up; done | wc -l)" 11 \
    "every server listens: qmail SMTP (v4, v6), qmail POP3 (and POP3S), Courier IMAP (and IMAPS), Dovecot POP3 and IMAP (and POP3S, IMAPS), Postfix"

# --- logins from real clients ---
curl_rc() { deadline 20 curl -s --max-time 15 "$@" >/dev/null 2>&1; echo $?; }
grant() { relaygate list --all | awk -F'\t' -v a="$1" '$1 == a { print $3 " " $4 }'; }
is "$(curl_rc --interface 127.0.0.2 -u "$DU:d-secret" --login-options 'AUTH=+APOP' "pop3://127.0.0.1:$DPOP/")" 0 \
    "Dovecot POP3: APOP login from 127.0.0.2 (relaygate-checkpw passdb)"
is "$(curl_rc --interface 127.0.0.3 -u "$DU:d-secret" "pop3://127.0.0.1:$DPOP/")" 67 \
    "Dovecot POP3: USER/PASS with the POP-only secret is refused (apop_only)"
is "$(curl_rc --interface 127.0.0.4 -u "$DU:d-secret" "imap://127.0.0.1:$DIMAP/")" 0 \
    "Dovecot IMAP: login from 127.0.0.4 with the same secret (apop_only does not lock IMAP out)"
is "$(curl_rc --interface fd00:5eed::2 -u "$DU:d-secret" "imap://[::1]:$DIMAP/")" 0 \
    "Dovecot IMAP over IPv6: login from fd00:5eed::2"
is "$(curl_rc --interface 127.0.0.5 -u "$CU:c-secret" "imap://127.0.0.1:$CPORT/")" 0 \
    "Courier-IMAP: login from 127.0.0.5 (imaplogin, imapd-relaygate, the setgid relaygate-allow, imapd)"
got=$(deadline 15 /usr/bin/python3 - "$QPOP" "$CU" <<'PY'
import hashlib, re, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10, source_address=("127.0.0.6", 0))
f = s.makefile("rb")
ts = re.search(rb"<[^>]*>", f.readline()).group(0)
s.sendall(b"APOP " + sys.argv[2].encode() + b" " + hashlib.md5(ts + b"q-secret").hexdigest().encode() + b"\r\n")
print(f.read().decode().strip().splitlines()[-1])
PY
)
is "$got" "+OK uid=$CUID groups=$CUID" "qmail POP3 chain: APOP login from 127.0.0.6; qmail-pop3d runs as the user, without the store's group"

# Over TLS: STARTTLS (STLS) and implicit TLS, through every server.
tls() { deadline 20 /usr/bin/python3 "$ROOT/tests/tlslogin" "$@" 2>&1; }
like "$(tls stls 127.0.0.1 "$DPOP" 127.0.0.10 "$DU" d-secret)" "^\+OK" "Dovecot POP3, STLS then APOP, from 127.0.0.10"
like "$(tls pop3s 127.0.0.1 "$DPOPS" 127.0.0.11 "$DU" d-secret)" "^\+OK" "Dovecot POP3S, APOP, from 127.0.0.11"
like "$(tls starttls 127.0.0.1 "$DIMAP" 127.0.0.12 "$DU" d-secret)" "^OK" "Dovecot IMAP, STARTTLS then LOGIN, from 127.0.0.12"
like "$(tls imaps ::1 "$DIMAPS" fd00:5eed::4 "$DU" d-secret)" "^OK" "Dovecot IMAPS over IPv6, from fd00:5eed::4"
like "$(tls starttls 127.0.0.1 "$CPORT" 127.0.0.13 "$CU" c-secret)" "^OK" "Courier-IMAP, STARTTLS then LOGIN, from 127.0.0.13"
like "$(tls imaps 127.0.0.1 "$CPORTS" 127.0.0.14 "$CU" c-secret)" "^OK" "Courier-IMAP imapd-ssl (IMAPS), from 127.0.0.14"
is "$(tls pop3s 127.0.0.1 "$QPOPS" 127.0.0.15 "$CU" q-secret | tail -1)" "+OK uid=$CUID groups=$CUID" \
    "qmail POP3 chain behind stunnel (POP3S), APOP from 127.0.0.15; qmail-pop3d runs as the user, without the store's group"

# A local user's forgeries on this host, with the installed programs.
AS_CU=(setpriv --reuid="$CU" --regid="$CU" --init-groups)
run "${AS_CU[@]}" env TCPREMOTEIP=127.0.0.16 /usr/bin/python3 "$ROOT/tests/forgesock" udp 127.0.0.16 -- /usr/local/bin/relaygate-allow -p pop3 true
like "$ERR" "nothing recorded for TCPREMOTEIP 127\.0\.0\.16: standard input is a datagram socket" "a local user's setgid relaygate-allow on a UDP socket: refused"
run "${AS_CU[@]}" env IP=127.0.0.16 /usr/bin/python3 "$ROOT/tests/forgesock" netns 127.0.0.16 -- /usr/local/bin/relaygate-allow -p pop3 true
like "$ERR" "nothing recorded for IP 127\.0\.0\.16: standard input's connection belongs to another network namespace" "on a connection from a namespace of the user's own: refused"
run "${AS_CU[@]}" env TCPREMOTEIP=127.0.0.16 /usr/local/bin/relaygate-login /usr/local/bin/relaygate-allow -p pop3 true </dev/null
like "$ERR" "relaygate-login: .*Permission denied; nothing recorded for 127\.0\.0\.16" "the user's own relaygate-login cannot write the store"
run "${AS_CU[@]}" /usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print(e.strerror)' "$D/run/postlogin-imap"
is "$OUT" "Permission denied" "Dovecot's post-login socket, which runs relaygate-allow as the store's account, is not the user's to reach"
relaygate pin 127.0.0.9 --note "office" >/dev/null
relaygate pin ::1 --note "v6 office" >/dev/null

is "$(grant 127.0.0.2)" "$DU pop3" "one grant for the Dovecot POP3 login, protocol pop3"
is "$(grant 127.0.0.4)" "$DU imap" "one grant for the Dovecot IMAP login, protocol imap"
is "$(grant fd00:5eed::2)" "$DU imap" "one grant for the Dovecot IPv6 login"
is "$(grant 127.0.0.5)" "$CU imap" "one grant for the Courier-IMAP login, the user's own account"
is "$(grant 127.0.0.6)" "$CU pop3" "one grant for the qmail POP3 login, protocol pop3"
is "$(for a in 127.0.0.10 127.0.0.11 127.0.0.12 fd00:5eed::4 127.0.0.13 127.0.0.14 127.0.0.15; do printf '%s %s; ' "$a" "$(grant "$a")"; done)" \
    "127.0.0.10 $DU pop3; 127.0.0.11 $DU pop3; 127.0.0.12 $DU imap; fd00:5eed::4 $DU imap; 127.0.0.13 $CU imap; 127.0.0.14 $CU imap; 127.0.0.15 $CU pop3; " \
    "one grant for each TLS login, under the account that logged in"
is "$(grep -c 'relaygate-login: 127.0.0.1[345] may relay' "$T/svscan.log")" 3 "Courier and stunnel: relaygate-login logs each TLS login it recorded"
is "$(grep -c 'relaygate-login: 127.0.0.5 may relay' "$T/svscan.log")" 1 "Courier: one log line from relaygate-login for its login"
is "$(grant 127.0.0.3)$(grant 127.0.0.16)" "" "none for the refused login, nor for the forgeries"
is "$(relaygate list --all | cut -f1 | sort | tr '\n' ' ')" "127.0.0.10 127.0.0.11 127.0.0.12 127.0.0.13 127.0.0.14 127.0.0.15 127.0.0.2 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.9 ::1 fd00:5eed::2 fd00:5eed::4 " \
    "the store holds exactly these grants and pins"
is "$(grep 'relaygate-allow' "$D/dovecot.log")" "" "relaygate-allow -q wrote no Error to Dovecot's log"
is "$(find /var/lib/relaygate ! -user relaygate | wc -l):$(stat -c %a /var/lib/relaygate)" "0:755" \
    "no file in the store belongs to a mail user; the directory still 0755"

# --- SMTP at RCPT, from each client, by Postfix and by the qmail chain ---
rcpt() {	# rcpt SERVER PORT SOURCE: the reply code to RCPT TO an outside address
	deadline 30 swaks --server "$1" --port "$2" --local-interface "$3" --to x@outside.example \
	    --from a@example.org --quit-after RCPT --timeout 10 2>&1 |
	    sed -n '/RCPT TO/{n;s/^<[-*]* *//;s/ .*//;p;}'
}
answers() {	# answers SOURCE...: "SRC postfix/qmail" codes, one line
	local s srv
	for s in "$@"; do
		case $s in *:*) srv=::1; q=$SMTP6 ;; *) srv=127.0.0.1; q=$SMTP4 ;; esac
		printf '%s %s/%s; ' "$s" "$(rcpt "$srv" "$PFPORT" "$s")" "$(rcpt "$srv" "$q" "$s")"
	done
}
CLIENTS="127.0.0.2 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.9 127.0.0.3 fd00:5eed::2 ::1 fd00:5eed::3"
TLSCLIENTS="127.0.0.10 127.0.0.11 127.0.0.12 fd00:5eed::4 127.0.0.13 127.0.0.14 127.0.0.15 127.0.0.16"
is "$(answers $TLSCLIENTS)" "127.0.0.10 250/250; 127.0.0.11 250/250; 127.0.0.12 250/250; fd00:5eed::4 250/250; 127.0.0.13 250/250; 127.0.0.14 250/250; 127.0.0.15 250/250; 127.0.0.16 554/553; " \
    "RCPT for an outside domain from each TLS login's client: 250 at Postfix and qmail; the forger's address refused"
is "$(answers $CLIENTS)" "127.0.0.2 250/250; 127.0.0.4 250/250; 127.0.0.5 250/250; 127.0.0.6 250/250; 127.0.0.9 250/250; 127.0.0.3 554/553; fd00:5eed::2 250/250; ::1 250/250; fd00:5eed::3 554/553; " \
    "RCPT for an outside domain: granted and pinned clients 250 at Postfix and qmail (v4 and v6), the others refused"
granted_at=$(date +%s)

# --- expiry, and the sweep by the loop under supervise ---
gone() { [ -z "$(relaygate list --all | cut -f1 | grep -v -x -e 127.0.0.9 -e ::1)" ]; }
wait_until $((EXPIRY + 60)) gone
is "$(relaygate list --all | cut -f1 | sort | tr '\n' ' ')" "127.0.0.9 ::1 " "the loop under supervise swept every grant ($(($(date +%s) - granted_at)) s after the RCPTs); the pins stay"
like "$(cat "$T/service/relaygate-expire/log/main/current" 2>/dev/null)" \
    "relaygate: expired .*127\.0\.0\.2.* \([0-9]+ grants?\)" "the loop's log (multilog, as the store's user) names the addresses it removed"
is "$(answers $CLIENTS)" "127.0.0.2 554/553; 127.0.0.4 554/553; 127.0.0.5 554/553; 127.0.0.6 554/553; 127.0.0.9 250/250; 127.0.0.3 554/553; fd00:5eed::2 554/553; ::1 250/250; fd00:5eed::3 554/553; " \
    "after the sweep: the formerly granted clients are refused again, the pins still relay"
is "$(answers $TLSCLIENTS)" "127.0.0.10 554/553; 127.0.0.11 554/553; 127.0.0.12 554/553; fd00:5eed::4 554/553; 127.0.0.13 554/553; 127.0.0.14 554/553; 127.0.0.15 554/553; 127.0.0.16 554/553; " \
    "and so are the TLS logins' clients"

# --- Postfix's overshoot: it relays for an expired grant until a sweep ---
svc -d "$T/service/relaygate-expire"
wait_until 60 sh -c "svstat '$T/service/relaygate-expire' | grep -q ': down '"
relaygate allow 127.0.0.7 --ttl 2 >/dev/null
expired() { relaygate list --all --json 127.0.0.7 | grep -q '"expired":true'; }
wait_until 30 expired || echo "# 127.0.0.7 not expired after 30 s" >&2
is "$(answers 127.0.0.7)" "127.0.0.7 250/553; " "no loop: past its expiry, Postfix still relays for the grant; relaygate-check does not"
svc -u "$T/service/relaygate-expire"
wait_until 60 sh -c '[ -z "$(relaygate list --all 127.0.0.7)" ]'	# (--all: list alone hides it once expired)
is "$(answers 127.0.0.7)" "127.0.0.7 554/553; " "the loop back up sweeps it at once: Postfix refuses"
# With the loop as the systemd unit runs it (its ExecStart, as its User and
# Group; no systemd here), Postfix refuses a grant once it has expired: the
# test reports how long after the expiry (about a second, the README says).
svc -d "$T/service/relaygate-expire"
wait_until 60 sh -c "svstat '$T/service/relaygate-expire' | grep -q ': down '"
U=$ROOT/contrib/systemd/relaygate-expire.service
is "$(sed -n 's/^ReadWritePaths=//p' "$U")" /var/lib/relaygate "the systemd unit may write the store"
setpriv --reuid="$(sed -n 's/^User=//p' "$U")" --regid="$(sed -n 's/^Group=//p' "$U")" --clear-groups \
    $(sed -n 's/^ExecStart=//p' "$U") 2>"$T/unit.log" &
UNIT=$!
PIDS="$PIDS $UNIT"
# Running: setpriv has become relaygate, which catches SIGTERM.
catches_term() { [ $((0x$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$UNIT/status") & 0x4000)) -ne 0 ]; }
wait_until 30 catches_term || echo "# the unit's loop did not start in 30 s" >&2
relaygate allow 127.0.0.8 --ttl 12 >/dev/null
exp=$(date -d "$(relaygate list --json 127.0.0.8 | jq -r .expires)" +%s)
# Asked from a second before the expiry on; a minute after it (six of the
# unit's intervals) only catches a loop that never sweeps.
due() { [ "$(date +%s)" -ge $((exp - 1)) ]; }
wait_until 30 due
refused() { [ "$(rcpt 127.0.0.1 "$PFPORT" 127.0.0.8)" = 554 ]; }
wait_until $((exp + 60 - $(date +%s))) refused
rc=$?
over=$(echo "$(date +%s.%N) - $exp" | bc)
is "$rc" 0 "with the unit's loop running, Postfix refuses the grant once it has expired ($over s after the expiry)"
stop_pid "$UNIT"; wait "$UNIT"
is "$?:$(cat "$T/unit.log")" "0:relaygate: expired 127.0.0.8 (1 grant)" "the unit's loop, stopped by SIGTERM, exits 0; it logged the sweep"
echo "# Postfix overshoot: $over s; the real-server test took $(($(date +%s) - start_s)) s" >&2

plan "$T_NUM"
done_testing
