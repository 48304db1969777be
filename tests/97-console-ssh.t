#!/bin/bash
# The console over a real OpenSSH connection, as admins use it: sshd on a
# loopback port, a key login as an unprivileged admin in the store's group
# (an account given to sshd by nss_wrapper), the grants screen checked,
# then the connection dropped: the console must go, the store stay intact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui.sh"
plan 6

SSHD=$(command -v sshd || echo /usr/sbin/sshd)
NSSW=$(ls /usr/lib/*/libnss_wrapper.so 2>/dev/null | head -1)
if [ ! -x "$SSHD" ] || [ -z "$NSSW" ] || [ "$(id -u)" -ne 0 ]; then
	echo "# needs root, sshd (openssh-server) and libnss-wrapper (sh tools/deps test)"
	for i in 1 2 3 4 5 6; do ok 1 "sshd, nss_wrapper and root are there"; done
	exit 1
fi

# The admin: uid and group 5100, the store's group; the store group-writable.
home=$T_TMP/home/admin
mkdir -p "$home/.ssh" "$T_TMP/run"
cp /etc/passwd "$T_TMP/passwd"
cp /etc/group "$T_TMP/group"
echo "rgadmin:x:5100:5100:relaygate admin:$home:/bin/sh" >>"$T_TMP/passwd"
echo "rgstore:x:5100:" >>"$T_TMP/group"
chown -R 5100:5100 "$home" "$T_TMP/run"
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$T_TMP/adminkey"
cp "$T_TMP/adminkey.pub" "$T_TMP/authorized_keys"

TCPREMOTEIP=192.0.2.10 USER=alice relaygate-allow -p pop3 true 2>/dev/null
TCPREMOTEIP=2001:db8::7 USER=dave relaygate-allow -p imap true 2>/dev/null
relaygate pin 198.51.100.1 --note "office router"
chgrp -R 5100 "$RELAYGATE_DIR"
chmod -R g+w "$RELAYGATE_DIR"
before=$(relaygate list | cut -f1,3-7)

port=$(free_port)
cat >"$T_TMP/sshd_config" <<C
ListenAddress 127.0.0.1:$port
HostKey $T_TMP/hostkey
PidFile $T_TMP/sshd.pid
AuthorizedKeysFile $T_TMP/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowUsers rgadmin
PermitUserEnvironment no
C
LD_PRELOAD=$NSSW NSS_WRAPPER_PASSWD=$T_TMP/passwd NSS_WRAPPER_GROUP=$T_TMP/group \
    "$SSHD" -D -e -f "$T_TMP/sshd_config" 2>"$T_TMP/sshd.log" &
sshd_pid=$!
trap 'stop_pid "$sshd_pid"; tmux -S "$TUI_SOCK" kill-server 2>/dev/null; rm -rf "$T_TMP"' EXIT
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
tui_until 5 listening
ok $? "sshd listens on 127.0.0.1:$port"

remote="echo \$\$ >$T_TMP/run/pid; RELAYGATE_DIR=$RELAYGATE_DIR RELAYGATE_CONF=/dev/null LC_ALL=C.UTF-8 TZ=UTC exec $RELAYGATE_BUILD/relaygate console"
tui_start s 100 30 "ssh -tt -p $port -i $T_TMP/adminkey -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR rgadmin@127.0.0.1 '$remote'; sleep 60"
tui_wait s "2001:db8::7" 10
ok $? "over ssh, the admin's console shows the grants"
ok "$(tui_screen s | head -1 | grep -q READ-ONLY; [ $? -eq 1 ]; echo $?)" "and may act: the store's group can write it"
cpid=$(cat "$T_TMP/run/pid" 2>/dev/null)

# Drop the connection: the ssh client dies without a word.
client=$(tui list-panes -t =s -F '#{pane_pid}')
ssh_pid=$(pgrep -P "$client" -x ssh)
kill -KILL "$ssh_pid"
gone() { ! kill -0 "$cpid" 2>/dev/null; }
tui_until 5 gone
ok $? "the connection dropped: the console (pid ${cpid:-?}) is gone"
is "$(relaygate list | cut -f1,3-7)" "$before" "and the store is intact"
run relaygate expire
is "$RC" 0 "and no lock is left behind (a sweep takes the write lock)"
done_testing
