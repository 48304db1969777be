#!/bin/bash
# One user cannot stall every POP login: their set-user-id relaygate-passwd
# leaves a cgroup of theirs (the freezer) and their scheduling before it
# takes the password store's lock.  The attack of relaygate-security(7):
# the user's cgroup (made by root here, delegated as systemd delegates
# one to every user) holds their relaygate-passwd; the moment it holds the
# store's lock (held a while by strace, as root, so the test can see it),
# the user freezes the cgroup.  relaygate-checkpw logins go on, and the
# change goes through.  The accounts and a mount namespace with /etc an
# overlay are made as in 64-passwd-self.t.
if [ -z "${FREEZE_INSIDE:-}" ]; then
	set -u
	if [ "$(id -u)" != 0 ]; then
		echo "1..1"; echo "not ok 1 - must run as root: it makes accounts, a cgroup and a mount namespace"; exit 1
	fi
	SU=rgfu$$ SO=rgfo$$
	cleanup() {
		for u in "$SU" "$SO"; do
			id "$u" >/dev/null 2>&1 && userdel "$u"
			getent group "$u" >/dev/null && groupdel "$u"
		done
		return 0
	}
	trap cleanup EXIT
	for u in "$SU" "$SO"; do
		if id "$u" >/dev/null 2>&1; then echo "1..1"; echo "not ok 1 - account $u exists already"; exit 1; fi
		useradd -M -U -d / -s /usr/sbin/nologin "$u" ||
		    { echo "1..1"; echo "not ok 1 - could not make account $u"; exit 1; }
	done
	export SU SO
	FREEZE_INSIDE=1 unshare -m --propagation private /bin/bash "$0" "$@"
	exit $?
fi
. "$(dirname "$0")/lib.sh"
plan 7

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [ -z "$CG2" ] || ! command -v strace >/dev/null; then
	echo "Bail out! no cgroup2 mount or no strace: the freezer cannot be tried"; exit 1
fi
CG=$CG2/rgfreeze.$$
mkdir -p "$T_TMP/ns/upper" "$T_TMP/ns/work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T_TMP/ns/upper,workdir=$T_TMP/ns/work" /etc ||
    { echo "Bail out! cannot put an overlay on /etc"; exit 1; }
thaw_and_clean() {
	[ -d "$CG" ] || return 0
	echo 0 >"$CG/cgroup.freeze" 2>/dev/null
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	i=0; while [ -s "$CG/cgroup.procs" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	rmdir "$CG"
}
trap 'thaw_and_clean; umount /etc; rm -rf "$T_TMP"' EXIT

BIN=$T_TMP/bin
install -d -m 755 "$BIN"
install -m 4755 -o root -g root "$RELAYGATE_BUILD/relaygate-passwd" "$BIN/relaygate-passwd"
printf '# the test'"'"'s\nlock_timeout_ms = 20000\nfail_delay_ms = 0\napop_only = no\n' >/etc/relaygate.conf
chmod 644 /etc/relaygate.conf
STORE=/etc/relaygate/passwords.db
[ -e "$STORE" ] && rm -f "$STORE" "$STORE.journal"
relaygate passwd --init || echo "Bail out! relaygate passwd --init"
echo 'Old-pw.1' | relaygate passwd --stdin "$SU"
echo 'Other-pw.1' | relaygate passwd --stdin "$SO"
userpass() {	# USER PASS: relaygate-checkpw's exit status
	printf '%s\0%s\0\0' "$1" "$2" | RELAYGATE_CONF=/etc/relaygate.conf \
	    deadline 60 relaygate-checkpw true 3<&0 2>>"$T_TMP/checkpw.err"
	echo $?
}

# The user's cgroup, theirs as systemd's delegation makes it.
mkdir "$CG" && chown -R "$SU" "$CG" || echo "Bail out! cannot make a cgroup under $CG2"
# The user's relaygate-passwd, in that cgroup, waiting (on a FIFO) to start;
# root's strace holds each flock(2) it makes for 2 s after it returns.
mkfifo "$T_TMP/go"; chmod 666 "$T_TMP/go"
# (Under make check-asan, LeakSanitizer off for the set-user-id program
# alone, as in 64-passwd-self.t: it cannot ptrace a process not dumpable.)
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"
strace -f -qq -o "$T_TMP/trace" -e trace=flock -e inject=flock:delay_exit=2000000 -u "$SU" -- \
    /bin/sh -c 'read go <"$1"; shift; exec "$@"' sh "$T_TMP/go" \
    "$(dirname "$0")/pty-answer" -t 120 "Current POP password: " Old-pw.1 "New POP password: " New-pw.2 "Again: " New-pw.2 -- \
    "$BIN/relaygate-passwd" >"$T_TMP/passwd.out" 2>&1 &
asker=$!
sh_pid=
for i in $(seq 100); do sh_pid=$(pgrep -u "$SU" -x sh | head -1); [ -n "$sh_pid" ] && break; sleep 0.05; done
# (root moves it in: the user may not move a process out of root's cgroup)
echo "$sh_pid" >"$CG/cgroup.procs" || echo "Bail out! cannot move the user's shell into $CG"
echo go >"$T_TMP/go"

# The moment the store's lock is held: its inode in /proc/locks, as FLOCK WRITE.
ino=$(stat -c %i "$STORE")
held=0
for i in $(seq 600); do
	grep -q "FLOCK .* WRITE .*:$ino " /proc/locks && { held=1; break; }
	sleep 0.05
done
is "$held" 1 "relaygate-passwd holds the store's lock"
# The user freezes their cgroup (as the user: it is theirs).
setpriv --reuid="$SU" --regid="$(id -g "$SU")" --init-groups sh -c 'echo 1 >"$1/cgroup.freeze"' sh "$CG"
frozen() { [ "$(sed -n 's/^frozen //p' "$CG/cgroup.events")" = 1 ]; }
wait_until 60 frozen
ok "the user froze their cgroup" frozen
pid=$(pgrep -f "^$BIN/relaygate-passwd$" | head -1)
is "$(awk -F: '$1 == "0" { print $3 }' /proc/"$pid"/cgroup 2>/dev/null)" "/" "relaygate-passwd (pid ${pid:-none}) had left it for the root cgroup"
# Meanwhile another user's POP login.
is "$(userpass "$SO" Other-pw.1)" 0 "another user's login goes through, though the cgroup stays frozen ($(tr '\n' ' ' <"$T_TMP/checkpw.err"))"
wait_lock() { ! grep -q "FLOCK .* WRITE .*:$ino " /proc/locks; }
i=0; while ! wait_lock && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
ok "and relaygate-passwd let the lock go, frozen cgroup and all" wait_lock
echo 0 >"$CG/cgroup.freeze"
wait "$asker"
is "$?" 0 "thawed, the user's relaygate-passwd says it changed the secret ($(tr '\r\n' '  ' <"$T_TMP/passwd.out"))"
is "$(userpass "$SU" New-pw.2)$(userpass "$SU" Old-pw.1)" "01" "the new secret is the one in force"
done_testing
