#!/bin/sh
# The console over a real OpenSSH server, as an admin uses it: our own sshd
# on 127.0.0.1, key login as an unprivileged account in the store's group,
# the console in a terminal (tmux) at the far end of `ssh -tt`.  Then the
# connection drops: the console must go with it (SIGHUP, or EIO on its
# terminal) and leave the store as it was.  Runs as root (it creates the
# account); a missing sshd or tmux is a failure, not a skip.
. "$(dirname "$0")/lib.sh"
PLAN=16
plan $PLAN

# Every remaining assertion fails, and the test ends: nothing to skip here.
bail() {
	while [ "$T_NUM" -lt "$PLAN" ]; do ok "$1" false; done
	exit 1
}
# Poll until "$@" succeeds, for at most $1 seconds.  0 when it did.
within() {
	w_end=$(( $(date +%s) + $1 + 1 )); shift
	while ! "$@"; do
		[ "$(date +%s)" -lt "$w_end" ] || return 1
		sleep 0.1
	done
	return 0
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Stop a daemon that is our own child: TERM, up to 10 s, KILL; then reap it
# (kill -0 alone would wait on the zombie).
stop_child() {
	[ -n "${1:-}" ] || return 0
	kill "$1" 2>/dev/null
	s_i=0
	while [ $s_i -lt 100 ]; do
		case $(ps -o stat= -p "$1" 2>/dev/null) in '' | Z*) break ;; esac
		sleep 0.1; s_i=$((s_i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

U=rgadm$$			# the admin account, and the store's group
G=rgstore$$
S=$T_TMP/ssh			# sshd's and the client's files (root, 0700)
STORE=$T_TMP/shared
SOCK=$T_TMP/tmux.sock
sshd_pid= tmux_pid= made_user= made_group=

no_procs_of_admin() { ! pgrep -u "$U" >/dev/null; }
# PIDs of the admin's processes matching pgrep's "$@" that still run: a dead
# process whose parent went too stays a zombie until PID 1 reaps it, which
# here can take a second or two, and is not running.
running() {
	for p in $(pgrep -u "$U" "$@"); do
		case $(ps -o stat= -p "$p" 2>/dev/null) in '' | Z*) ;; *) echo "$p" ;; esac
	done
}
kill_admin_procs() {	# by PID: TERM, then KILL what is left after 5 s
	for p in $(pgrep -u "$U"); do kill "$p" 2>/dev/null; done
	within 5 no_procs_of_admin && return 0
	for p in $(pgrep -u "$U"); do kill -9 "$p" 2>/dev/null; done
	within 5 no_procs_of_admin
}
cleanup() {
	if [ -n "$tmux_pid" ]; then
		# The pane's ssh first, by PID, so tmux reaps it; then the server.
		for p in $(tmux -S "$SOCK" list-panes -a -F '#{pane_pid}' 2>/dev/null); do kill "$p" 2>/dev/null; done
		tmux -S "$SOCK" kill-server 2>/dev/null
		stop_child "$tmux_pid"
	fi
	# The admin's session processes before sshd, so sshd reaps its children.
	[ -n "$made_user" ] && kill_admin_procs
	stop_child "$sshd_pid"
	[ -n "$made_user" ] && userdel -r "$U" >>"$T_TMP/userdel.log" 2>&1
	[ -n "$made_group" ] && getent group "$G" >/dev/null && groupdel "$G"
	rm -rf "$T_TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

[ "$(id -u)" = 0 ] || bail "must run as root: it creates the admin account and starts sshd"
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null ||
	bail "OpenSSH (openssh-server, openssh-client) is not installed: sh tools/deps test"
command -v tmux >/dev/null || bail "tmux is not installed: sh tools/deps test"
[ -x "$RELAYGATE_BUILD/relaygate" ] || bail "no $RELAYGATE_BUILD/relaygate: make"

# The store, made the way the docs say: relaygate init, owned by root and
# the store's group; grants written by root.
groupadd "$G" || bail "groupadd $G"
made_group=1
RELAYGATE_DIR=$STORE RELAYGATE_USER=root RELAYGATE_GROUP=$G
export RELAYGATE_DIR RELAYGATE_USER RELAYGATE_GROUP
relaygate init >/dev/null || bail "relaygate init"
relaygate pin 198.51.100.0 --note "office router" &&
relaygate pin 2001:db8:10::25 --relayclient @partner.example --note "partner MX" &&
relaygate allow 192.0.2.10 --ttl 3600 --user alice &&
relaygate allow 203.0.113.9 --ttl 7200 --user bob || bail "could not fill the store"
ADDRS="198.51.100.0 2001:db8:10::25 192.0.2.10 203.0.113.9"

# The store as seen from outside, to compare after the drop.  Remaining
# seconds go down while we look, so the text listing shows only "timed";
# the JSON one keeps the absolute expiry and drops the countdown.
listing() {
	relaygate list --all | awk -F'\t' -v OFS='\t' '$2 ~ /^[0-9]+$/ { $2 = "timed" } { print }'
}
listing_json() { relaygate list --all --json | jq -c 'del(.remaining)'; }
counts() { relaygate stats | grep -E '^(live|pinned|expired)[[:space:]]'; }
files() { (cd "$STORE" && stat -c '%n %U %G %a' -- * | sort); }
before_list=$(listing); before_json=$(listing_json); before_counts=$(counts); before_files=$(files)

# The admin: no password (key login only; '*' rather than a locked '!',
# which sshd refuses without PAM), in the store's group, a key of ours.
install -d -m 700 "$S"
ssh-keygen -q -t ed25519 -N '' -C "relaygate-test-admin" -f "$S/id"
ssh-keygen -q -t ed25519 -N '' -C "relaygate-test-host" -f "$S/hostkey"
i=0	# (another process may hold /etc/passwd's lock for a moment)
until useradd -p '*' -m -d "$T_TMP/home" -s /bin/sh -G "$G" "$U" 2>"$T_TMP/useradd.err"; do
	i=$((i + 1)); [ $i -lt 20 ] || { sed 's/^/# /' "$T_TMP/useradd.err"; bail "useradd $U"; }
	sleep 0.5
done
made_user=1
install -d -o "$U" -g "$(id -g "$U")" -m 700 "$T_TMP/home/.ssh"
install -o "$U" -g "$(id -g "$U")" -m 600 "$S/id.pub" "$T_TMP/home/.ssh/authorized_keys"

# The console binary, where the admin can run it (a checkout under a
# private directory would not be).
bin=$RELAYGATE_BUILD/relaygate
if ! runuser -u "$U" -- test -x "$bin"; then
	install -d -m 755 "$T_TMP/bin"
	install -m 755 "$bin" "$T_TMP/bin/relaygate"
	bin=$T_TMP/bin/relaygate
	echo "# $U cannot run $RELAYGATE_BUILD/relaygate: using a copy in $T_TMP/bin"
fi

# Our own sshd, on loopback only, keys only.  /run/sshd is its privilege-
# separation directory (the package makes it at boot, not at install).
install -d -m 755 /run/sshd
start_sshd() {
	port=$(free_port)
	cat >"$S/sshd_config" <<C
Port $port
ListenAddress 127.0.0.1
HostKey $S/hostkey
PidFile $S/sshd.pid
AuthenticationMethods publickey
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $U
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
PrintLastLog no
C
	"$SSHD" -t -f "$S/sshd_config" 2>"$S/sshd-t.log" || return 2
	"$SSHD" -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
	sshd_pid=$!
	listening() { grep -q "Server listening on 127.0.0.1 port $port" "$S/sshd.log" || ! kill -0 "$sshd_pid" 2>/dev/null; }
	within 60 listening
	grep -q "Server listening on 127.0.0.1 port $port" "$S/sshd.log" && kill -0 "$sshd_pid" 2>/dev/null &&
		return 0
	stop_child "$sshd_pid"; sshd_pid=
	return 1
}
tries=0	# the port may be taken between free_port and sshd's bind: try another
while :; do
	start_sshd; rc=$?
	[ $rc -eq 1 ] && [ $tries -lt 3 ] || break
	tries=$((tries + 1)); sed 's/^/# sshd: /' "$S/sshd.log"
done
ok "sshd -t accepts the test's sshd_config" [ $rc -ne 2 ]
[ $rc -eq 2 ] && sed 's/^/# /' "$S/sshd-t.log"
ok "our own sshd listens on 127.0.0.1:$port (pid ${sshd_pid:-none})" [ -n "$sshd_pid" ]
[ -n "$sshd_pid" ] || { sed 's/^/# sshd: /' "$S/sshd.log"; bail "no sshd"; }
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$S/hostkey.pub")" >"$S/known_hosts"

# The client checks the server's key against ours (no trust on first use).
SSHOPTS="-F /dev/null -i $S/id -p $port -o BatchMode=yes -o IdentitiesOnly=yes
 -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$S/known_hosts -o ConnectTimeout=10
 -o LogLevel=ERROR"
RENV="env LC_ALL=C.UTF-8 TZ=UTC RELAYGATE_DIR=$STORE RELAYGATE_CONF=/dev/null"
# shellcheck disable=SC2086
# run gives the command its own deadline; ssh itself is the command.
rssh="ssh $SSHOPTS $U@127.0.0.1"

run $rssh id -un
is "$OUT" "$U" "the admin logs in over ssh with its key (ssh: $RC)"
[ -n "$ERR" ] && printf '%s\n' "$ERR" | sed 's/^/# ssh: /'
run $rssh id -Gn
like " $OUT " " $G " "the admin is in the store's group $G"
run $rssh "$RENV $bin list --all"
is "$(printf '%s\n' "$OUT" | awk -F'\t' -v OFS='\t' '$2 ~ /^[0-9]+$/ { $2 = "timed" } { print }')" \
	"$before_list" "the admin reads the store through its group: same listing as root's"

# The console: ssh -tt inside our own tmux server (our child, -D), so the
# far end gets a pty and the pane's TERM, as from an admin's terminal.
tmux -S "$SOCK" -f /dev/null -D 2>"$T_TMP/tmux.log" &
tmux_pid=$!
sock_up() { [ -S "$SOCK" ]; }
within 60 sock_up || bail "tmux server did not start"
tmux -S "$SOCK" new-session -d -s c -x 100 -y 30 "exec ssh $(echo $SSHOPTS) -tt $U@127.0.0.1 $RENV $bin" ||
	bail "tmux new-session"
screen() { tmux -S "$SOCK" capture-pane -t =c:0.0 -p 2>/dev/null; }
shows_all() {
	scr=$(screen)
	for a in $ADDRS; do printf '%s\n' "$scr" | grep -qF -- "$a" || return 1; done
}
start=$(now_ms)
within 60 shows_all; rc=$?
ok "the grants screen over ssh shows every address in the store ($ADDRS)" [ "$rc" -eq 0 ]
[ $rc -eq 0 ] || { screen | sed 's/^/# | /'; sed 's/^/# sshd: /' "$S/sshd.log"; }
echo "# console up $(( $(now_ms) - start )) ms after tmux started ssh"

client=$(tmux -S "$SOCK" display -p -t =c:0.0 '#{pane_pid}' 2>/dev/null)
is "$(ps -o comm= -p "${client:-0}" 2>/dev/null)" "ssh" "the pane runs the local ssh client (pid ${client:-none})"
console=$(running -f relaygate | tr '\n' ' ')
ok "the console runs on the server side as $U (pid ${console:-none})" [ -n "$console" ]

# Drop the connection: the local client dies without a goodbye, the server
# sees the TCP connection close and hangs up the console's terminal.
[ -n "$client" ] && kill -KILL "$client"
dropped=$(now_ms)
console_gone() { [ -z "$(running -f relaygate)" ]; }
within 60 console_gone; rc=$?
ok "the console goes with the dropped connection" [ "$rc" -eq 0 ]
[ $rc -eq 0 ] || ps -o pid,stat,etime,args -u "$U" | sed 's/^/# /'
[ $rc -eq 0 ] && echo "# console gone $(( $(now_ms) - dropped )) ms after the drop"
session_gone() { [ -z "$(running)" ]; }
ok "and nothing of the admin's session is left running" within 60 session_gone

is "$(listing)" "$before_list" "relaygate list --all: the same grants and pins as before"
is "$(listing_json)" "$before_json" "relaygate list --all --json: the same expiries, users and notes as before"
is "$(counts)" "$before_counts" "relaygate stats: the same counts as before"
ok "no change left in grants.journal" [ ! -s "$STORE/grants.journal" ]
is "$(files)" "$before_files" "the store's files, owners and modes are unchanged"
for a in $ADDRS; do relaygate check "$a" >/dev/null || echo "# check $a: $?"; done >"$T_TMP/checks"
is "$(cat "$T_TMP/checks")" "" "every address in the store may still relay"
done_testing
