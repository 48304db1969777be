#!/bin/bash
# relaygate-passwd: a user changes their own POP secret, over a real
# terminal (a pty, answered by pty-answer), run as an unprivileged test
# account and installed set-user-id root as make install does.  The right
# current secret changes it (relaygate-checkpw then takes the new one, by
# APOP and USER/PASS, and refuses the old); a wrong one changes nothing,
# after a pause, with one plain answer; another user cannot be named; the
# environment cannot point it elsewhere; self_service = no turns it off;
# a user without a secret may set a first one only with self_service = first.
#
# The helper reads only root's /etc/relaygate.conf and the default store
# /etc/relaygate/passwords.db, so the test runs in a mount namespace of its
# own whose /etc is an overlay kept in the test's directory: the machine's
# /etc is never written.  The accounts are real, made by useradd before
# and removed after (in a trap) by the outer shell.
if [ -z "${SELF_INSIDE:-}" ]; then
	set -u
	if [ "$(id -u)" != 0 ]; then
		echo "1..1"; echo "not ok 1 - must run as root: it makes accounts and a mount namespace"; exit 1
	fi
	SU=rgsu$$ SO=rgso$$ SN=rgsn$$	# the user, another with a secret, one without
	H=$(mktemp -d /tmp/rgself.XXXXXX)
	cleanup() {
		for u in "$SU" "$SO" "$SN"; do
			id "$u" >/dev/null 2>&1 && userdel "$u"
			getent group "$u" >/dev/null && groupdel "$u"
		done
		rm -rf "$H"
		return 0
	}
	trap cleanup EXIT
	chmod 755 "$H"
	for u in "$SU" "$SO" "$SN"; do
		if id "$u" >/dev/null 2>&1; then echo "1..1"; echo "not ok 1 - account $u exists already"; exit 1; fi
		useradd -M -U -d "$H/$u" -s /usr/sbin/nologin "$u" &&
		    install -d -o "$u" -g "$u" -m 700 "$H/$u" ||
		    { echo "1..1"; echo "not ok 1 - could not make account $u"; exit 1; }
	done
	export SU SO SN
	SELF_INSIDE=1 unshare -m --propagation private /bin/bash "$0" "$@"
	exit $?
fi
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$(dirname "$0")/lib.sh"
plan 43

mkdir -p "$T_TMP/ns/upper" "$T_TMP/ns/work"
mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T_TMP/ns/upper,workdir=$T_TMP/ns/work" /etc ||
    { echo "Bail out! cannot put an overlay on /etc"; exit 1; }
trap 'umount /etc; rm -rf "$T_TMP"' EXIT

# As make install does it: set-user-id root.
BIN=$T_TMP/bin
install -d -m 755 "$BIN"
install -m 4755 -o root -g root "$RELAYGATE_BUILD/relaygate-passwd" "$BIN/relaygate-passwd"
like "$(grep 'relaygate-passwd \$(DESTDIR)' "$ROOT/Makefile")" "install -m 4755 -o root -g root " "make install puts relaygate-passwd set-user-id root ..."
is "$(stat -c '%a %U %G' "$BIN/relaygate-passwd")" "4755 root root" "... and so does this test"

# Root's configuration and the default store, in this namespace only.
conf() { printf '%s\n' "$@" >/etc/relaygate.conf; chmod 644 /etc/relaygate.conf; }
conf "# the test's"
STORE=/etc/relaygate/passwords.db
[ -e "$STORE" ] && rm -f "$STORE" "$STORE.journal"	# the machine's own: not for a test
relaygate passwd --init || echo "Bail out! relaygate passwd --init"
echo 'Old-pw.1' | relaygate passwd --stdin "$SU"
echo 'Other-pw.1' | relaygate passwd --stdin "$SO"

pty=$(dirname "$0")/pty-answer
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups "$@"; }
AS_SU=(setpriv --reuid="$SU" --regid="$(id -g "$SU")" --init-groups)
AS_SN=(setpriv --reuid="$SN" --regid="$(id -g "$SN")" --init-groups)
# Under make check-asan (ASAN_OPTIONS set) relaygate-passwd runs with
# LeakSanitizer off, and it alone: started set-user-id by another user it
# is not dumpable, and LeakSanitizer's check at exit must ptrace the
# process, so it cannot run there.  AddressSanitizer and UBSan stay on.
if [ -n "${ASAN_OPTIONS:-}" ]; then
	AS_SU=(env "ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0" "${AS_SU[@]}")
	AS_SN=(env "ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0" "${AS_SN[@]}")
fi
# change CURRENT NEW [ENV ...]: the user runs it on a terminal and answers.
change() {
	local cur=$1 new=$2
	shift 2
	run "$pty" -t 20 "Current POP password: " "$cur" "New POP password: " "$new" "Again: " "$new" -- \
	    env "$@" "${AS_SU[@]}" "$BIN/relaygate-passwd"
}
# The checker's verdict (0 in, 1 not) for USER/PASS and for APOP.
userpass() {
	printf '%s\0%s\0\0' "$1" "$2" | RELAYGATE_APOP_ONLY=no RELAYGATE_FAIL_DELAY_MS=0 \
	    deadline 10 relaygate-checkpw true 3<&0 2>/dev/null
	echo $?
}
apop() {
	local ts="<$$.$RANDOM@self.test>"
	printf '%s\0%s\0%s\0' "$1" "$(printf '%s%s' "$ts" "$2" | md5sum | cut -c1-32)" "$ts" |
	    RELAYGATE_FAIL_DELAY_MS=0 deadline 10 relaygate-checkpw true 3<&0 2>/dev/null
	echo $?
}
# The terminal's text on one line, each line end a '|'.
shown() { printf '%s' "$1" | tr -d '\r' | tr '\n' '|'; }
is "$(userpass "$SU" Old-pw.1)$(apop "$SU" Old-pw.1)" "00" "(the admin's secret logs in, by USER/PASS and APOP)"

# --- the right current secret ---
change Old-pw.1 'New-pw.2'
is "$RC" 0 "the user changes their own secret with the right current one (0)"
is "$(shown "$OUT")" "Current POP password: |New POP password: |Again: |relaygate-passwd: POP password changed for $SU" "asked: current first, then the new one twice; then it says so"
ok "nothing typed was shown" not grep -qE 'Old-pw|New-pw' <<<"$OUT"
is "$(apop "$SU" New-pw.2)" 0 "relaygate-checkpw takes the new secret by APOP"
is "$(userpass "$SU" New-pw.2)" 0 "and by USER/PASS"
is "$(apop "$SU" Old-pw.1)" 1 "and refuses the old one by APOP"
is "$(userpass "$SU" Old-pw.1)" 1 "and by USER/PASS"

# --- a wrong current secret ---
sum=$(md5sum <"$STORE")
start=$(date +%s%N)
change Old-pw.1 'Third-pw.3'
ms=$(( ($(date +%s%N) - start) / 1000000 ))
is "$RC" 1 "a wrong current secret: refused (1)"
like "$(shown "$OUT")" "relaygate-passwd: the current POP password was not right; nothing changed$" "with one plain answer"
ok "after a pause of a second at least (${ms} ms)" [ "$ms" -ge 1000 ]
is "$(md5sum <"$STORE")" "$sum" "the store is not written"
is "$(userpass "$SU" New-pw.2)$(userpass "$SU" Third-pw.3)" "01" "the secret is still the one it was"
change "" 'Third-pw.3'
is "$RC:$(userpass "$SU" Third-pw.3)" "1:1" "an empty current secret is a wrong one: nothing changes"

# --- while it holds the store's lock, the user cannot stop it ---
# The admin holds the store's lock (until the test lets go; root's
# lock_timeout_ms long enough that relaygate-passwd waits that long):
# relaygate-passwd waits for it with root's ids, real ones too, and the
# user's SIGSTOP is refused.
conf "# the test's" "lock_timeout_ms = 120000"
hold_lock "$STORE" || echo "Bail out! cannot lock $STORE"
"$pty" -t 150 "Current POP password: " 'New-pw.2' "New POP password: " 'Locked-pw.9' "Again: " 'Locked-pw.9' -- \
    "${AS_SU[@]}" "$BIN/relaygate-passwd" >"$T_TMP/locked.out" 2>&1 &
asker=$!
pid=
waits_for_lock() {	# relaygate-passwd runs, and /proc/locks shows it waiting for a flock
	[ -n "$pid" ] || pid=$(pgrep -f "^$BIN/relaygate-passwd$" | head -1)
	[ -n "$pid" ] && grep -Eq -- "-> FLOCK +ADVISORY +[A-Z]+ +$pid " /proc/locks
}
wait_until 60 waits_for_lock
is "$?" 0 "the answers given, relaygate-passwd (pid ${pid:-none}) waits for the store's lock"
run "${AS_SU[@]}" kill -STOP "$pid"
like "$RC:$ERR" "^1:.*(Operation not permitted|not permitted)" "waiting on the store's lock, relaygate-passwd cannot be stopped by its user"
is "$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)" "S" "(it is still waiting, not stopped)"
release_lock
wait_for "$asker" 150
is "$?:$(userpass "$SU" Locked-pw.9)" "0:0" "once the lock is free it goes on, and the change is made"
conf "# the test's"
change 'Locked-pw.9' 'New-pw.2'

# --- only one's own ---
run "${AS_SU[@]}" "$BIN/relaygate-passwd" "$SO" </dev/null
is "$RC" 2 "naming another user is refused (2)"
like "$ERR" "^usage: relaygate-passwd$" "with the usage ..."
like "$ERR" "only yours: it takes no user name" "... which says why"
run "${AS_SU[@]}" "$BIN/relaygate-passwd" --user "$SO" </dev/null
is "$RC" 2 "and so is any option"
is "$(userpass "$SO" Other-pw.1)" 0 "the other user's secret is as it was"
run "${AS_SU[@]}" "$BIN/relaygate-passwd" </dev/null
is "$RC:$ERR" "2:relaygate-passwd: no terminal to ask on: run it from a terminal" "no terminal: refused (2), never read from a pipe"

# --- a hostile environment is ignored ---
mkdir -m 777 "$T_TMP/evil"
as "$SU" sh -c "printf 'self_service = first\npasswords = $T_TMP/evil/pw.db\nmin_uid = 0\n' >'$T_TMP/evil/conf'"
change 'New-pw.2' 'Fourth-pw.4' RELAYGATE_CONF="$T_TMP/evil/conf" RELAYGATE_PASSWORDS="$T_TMP/evil/pw.db" \
    RELAYGATE_SELF_SERVICE=first USER="$SO" LOGNAME="$SO"
like "$RC:$(shown "$OUT")" "^0:.*POP password changed for $SU$" "with RELAYGATE_CONF, RELAYGATE_PASSWORDS, USER and LOGNAME set elsewhere: the user's own secret changes"
is "$(userpass "$SU" Fourth-pw.4)" 0 "in the real store"
is "$(userpass "$SO" Other-pw.1)" 0 "not in the account USER and LOGNAME named"
is "$(ls "$T_TMP/evil")" "conf" "and nothing was made where the environment pointed"

# --- a user without a secret ---
run "$pty" -t 20 -- "${AS_SN[@]}" "$BIN/relaygate-passwd"
like "$RC:$(shown "$OUT")" "^1:relaygate-passwd: you have no POP password yet; your administrator sets the first one" "no secret yet (self_service = yes, the default): refused (1), the admin sets the first"
is "$(relaygate passwd --list | grep -c "^$SN$")" 0 "and none was set"
conf "self_service = first"
run "$pty" -t 20 "New POP password: " 'First-pw.5' "Again: " 'First-pw.5' -- "${AS_SN[@]}" "$BIN/relaygate-passwd"
like "$RC:$(shown "$OUT")" "^0:New POP password: " "self_service = first: a user without one sets a first secret, asked twice (no current one to ask)"
is "$(apop "$SN" First-pw.5)" 0 "which relaygate-checkpw takes"

# --- the same strength rules as the admin's path ---
change 'Fourth-pw.4' "$(printf 'tab\there')"
like "$RC:$(shown "$OUT")" "^2:.*a password may not hold control characters; nothing changed" "a new secret with a control character: refused (2), as relaygate passwd refuses it"
run "$pty" -t 20 "Current POP password: " 'Fourth-pw.4' "New POP password: " 'One-pw.6' "Again: " 'Two-pw.6' -- \
    "${AS_SU[@]}" "$BIN/relaygate-passwd"
like "$RC:$(shown "$OUT")" "^2:.*the two new ones did not match; nothing changed" "two new ones that differ: refused (2)"
is "$(userpass "$SU" Fourth-pw.4)" 0 "and the secret is still the one it was"

# --- turned off ---
conf "self_service = no"
change 'Fourth-pw.4' 'Fifth-pw.7'
like "$RC:$(shown "$OUT")" "^1:relaygate-passwd: changing your own POP password is turned off here \(self_service = no in /etc/relaygate.conf\); ask your administrator" "self_service = no: refused (1), saying so and where"
ok "before asking anything" not grep -q 'Current POP' <<<"$OUT"
is "$(userpass "$SU" Fourth-pw.4)$(userpass "$SU" Fifth-pw.7)" "01" "nothing changed"

# --- the admin's face is as it was ---
echo 'Admin-pw.8' | relaygate passwd --stdin "$SU"
is "$?:$(userpass "$SU" Admin-pw.8)" "0:0" "relaygate passwd USER still sets anyone's secret"
is "$(stat -c '%U %a' "$STORE")" "root 600" "the store is root's, 0600, as before"
is "$(find /etc/relaygate -user "$SU" -o -user "$SN" | wc -l)" 0 "no file there belongs to a user"
done_testing
