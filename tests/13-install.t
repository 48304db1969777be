#!/bin/bash
# The README's install section, run as written (the commands between its
# install markers), into a temporary root: the programs with DESTDIR, the
# store in a mount namespace whose /var/lib is an overlay kept in the
# test's directory.  The accounts are real, made by the README's own
# adduser line under a test name (the one word "relaygate" at its end,
# and STORE_GROUP, RELAYGATE_USER and RELAYGATE_GROUP in the environment,
# name it), and removed afterwards.  Then the qmail POP chain under
# tcpserver (popup standing in for qmail-popup, relaygate-checkpw, the
# installed setgid relaygate-allow, and id -G as the POP server) as an
# unprivileged mail user: the grant is recorded and id -G shows no store
# group.  And an install with PREFIX=/usr names no /usr/local anywhere.
if [ -z "${INSTALL_INSIDE:-}" ]; then
	set -u
	if [ "$(id -u)" != 0 ]; then echo "1..1"; echo "not ok 1 - must run as root"; exit 1; fi
	N=rgi$$ M=rgim$$
	H=$(mktemp -d /tmp/rgihome.XXXXXX)
	cleanup() {
		id "$M" >/dev/null 2>&1 && userdel "$M"
		id "$N" >/dev/null 2>&1 && userdel "$N"
		getent group "$N" >/dev/null && groupdel "$N"
		getent group "$M" >/dev/null && groupdel "$M"
		rm -rf "$H"
		return 0
	}
	trap cleanup EXIT
	if id "$N" >/dev/null 2>&1 || id "$M" >/dev/null 2>&1; then echo "1..1"; echo "not ok 1 - test accounts exist already"; exit 1; fi
	chmod 755 "$H"
	useradd -M -d "$H/home" -s /usr/sbin/nologin "$M" || { echo "1..1"; echo "not ok 1 - useradd"; exit 1; }
	install -d -o "$M" -g "$(id -g "$M")" -m 700 "$H/home"
	export N M H
	INSTALL_INSIDE=1 unshare -m --propagation private /bin/bash "$0" "$@"
	exit $?
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"
plan 18
mkdir -p "$T_TMP/ns/upper" "$T_TMP/ns/work"
mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$T_TMP/ns/upper,workdir=$T_TMP/ns/work" /var/lib ||
    { echo "Bail out! cannot put an overlay on /var/lib"; exit 1; }
trap 'umount /var/lib; rm -rf "$T_TMP"' EXIT

# A fresh copy of the source, as unpacked, with nothing built.
mkdir "$T_TMP/src"
# (tar, not git: an unpacked release has no .git, and git need not be installed)
(cd "$ROOT" && tar --exclude=./build --exclude=./.git --exclude=./demo/store -cf - .) |
    tar -xf - -C "$T_TMP/src"
sed -n '/<!-- install:begin -->/,/<!-- install:end -->/p' "$ROOT/README.md" |
    grep -v -e '^<!--' -e '^```' >"$T_TMP/readme.sh"
ok "the README's install section: $(tr '\n' ';' <"$T_TMP/readme.sh")" eval '[ "$(wc -l <"$T_TMP/readme.sh")" -ge 4 ] && grep -q '\''^relaygate init$'\'' "$T_TMP/readme.sh"'
# The one change: the account's name at the end of the adduser line.
sed "s/^\(adduser .*\) relaygate\$/\1 $N/" "$T_TMP/readme.sh" >"$T_TMP/install.sh"
is "$(diff "$T_TMP/readme.sh" "$T_TMP/install.sh" | grep -c '^>')" 1 "run as written, but for the account's name"

D=$T_TMP/root
(cd "$T_TMP/src" && env -u RELAYGATE_DIR -u RELAYGATE_CONF -u RELAYGATE_SYNC -u RELAYGATE_USER -u RELAYGATE_GROUP \
    DESTDIR="$D" STORE_GROUP="$N" RELAYGATE_USER="$N" RELAYGATE_GROUP="$N" MAKEFLAGS=-j4 \
    PATH="$D/usr/local/sbin:$D/usr/local/bin:$PATH" sh -e "$T_TMP/install.sh") >"$T_TMP/install.log" 2>&1
rc=$?
is "$rc" 0 "the README's commands all succeed$( [ $rc -eq 0 ] || tail -5 "$T_TMP/install.log" | tr '\n' ' ')"
is "$(id -nG "$N" 2>/dev/null)" "$N" "adduser made the store's account and group"
is "$(stat -c '%a %G' "$D/usr/local/bin/relaygate-allow" 2>&1)" "2755 $N" "make install: relaygate-allow setgid to the store's group"
ok "relaygate in SBINDIR" [ -x "$D/usr/local/sbin/relaygate" ]
is "$(stat -c '%a %U' "$D/usr/local/bin/relaygate-login" 2>&1)" "755 root" "make install: relaygate-login, no set-id bit (root runs it, first in a chain)"
S=/var/lib/relaygate
is "$(cd "$S" 2>/dev/null && stat -c '%n %U %G %a' . * | sort | tr '\n' ';')" \
    ". $N $N 755;grants-meta.db $N $N 660;grants.db $N $N 664;grants.journal $N $N 660;grants.lock $N $N 644;" \
    "relaygate init: the store with its owners and modes"
run env -u RELAYGATE_DIR -u RELAYGATE_CONF RELAYGATE_USER="$N" RELAYGATE_GROUP="$N" "$D/usr/local/sbin/relaygate" init --check
is "$RC:$OUT" "0:" "relaygate init --check: nothing to say"
run mandoc -Tlint -W warning "$D"/usr/local/share/man/man*/*
is "$RC:$OUT" "0:" "the installed man pages are mandoc -Tlint clean ($(ls "$D"/usr/local/share/man/man*/ | grep -c relaygate) pages)"

# The qmail POP chain under tcpserver, the mail user's login recorded.
B=$D/usr/local/bin
export RELAYGATE_PASSWORDS=$T_TMP/pw/passwords.db RELAYGATE_APOP_ONLY=no RELAYGATE_FAIL_DELAY_MS=0
"$D/usr/local/sbin/relaygate" passwd --init && echo 'm-secret' | "$D/usr/local/sbin/relaygate" passwd --stdin "$M" ||
    echo "Bail out! password store"
port=$(free_port)
tcpserver -H -R 127.0.0.1 "$port" "$T_TMP/src/tests/popup" mail.test \
    "$B/relaygate-checkpw" "$B/relaygate-allow" -p pop3 id -G 2>"$T_TMP/pop.log" &
srv=$!
i=0; while ! tcpclient -H -R 127.0.0.1 "$port" true 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
got=$(deadline 15 /usr/bin/python3 - "$port" "$M" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10, source_address=("127.0.0.2", 0))
f = s.makefile("rb")
f.readline()
s.sendall(b"USER " + sys.argv[2].encode() + b"\r\n"); f.readline()
s.sendall(b"PASS m-secret\r\n")
print(f.read().decode().strip().splitlines()[-1])
PY
)
stop_pid "$srv"; wait "$srv" 2>/dev/null
is "$got" "$(id -g "$M")" "the program after relaygate-allow (id -G) runs with the mail user's group alone, no store group"
run env -u RELAYGATE_DIR -u RELAYGATE_CONF "$D/usr/local/sbin/relaygate" list
like "$OUT" "^127\.0\.0\.2	[0-9]+	$M	pop3	" "the login's grant is recorded, for the mail user"
like "$(cat "$T_TMP/pop.log")" "relaygate-allow: 127\.0\.0\.2 may relay for 900s \(user $M, pop3\)" "and logged by relaygate-allow"
is "$(find "$S" -user "$M" | wc -l)" 0 "no file in the store belongs to the mail user"
run env -u RELAYGATE_DIR -u RELAYGATE_CONF TCPREMOTEIP=127.0.0.2 setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$B/relaygate-check" sh -c 'echo "${RELAYCLIENT-unset}"'
is "$OUT:$ERR" ":" "relaygate-check, as a user in no store group, lets it relay"

# PREFIX=/usr: every installed file names the real paths.
D2=$T_TMP/root2
(cd "$T_TMP/src" && make install PREFIX=/usr DESTDIR="$D2" STORE_GROUP="$N") >"$T_TMP/install2.log" 2>&1
is "$?" 0 "make install PREFIX=/usr"
is "$(grep -rl /usr/local "$D2" | sed "s|^$D2||")" "" "no installed file names /usr/local"
is "$(grep -h -e '^ExecStart=' -e 'script-login' "$D2/usr/lib/systemd/system/relaygate-expire.service" "$D2/usr/share/man/man8/relaygate-allow.8" 2>&1 | tr -s ' ' | tr '\n' ';')" \
    "ExecStart=/usr/sbin/relaygate expire --loop --interval 10; executable = script-login /usr/bin/relaygate-allow -q -p pop3; executable = script-login /usr/bin/relaygate-allow -q -p imap;" "the systemd unit and the man pages name /usr/sbin and /usr/bin"
done_testing
