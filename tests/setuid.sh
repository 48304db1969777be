# setuid.sh: what the tests of the set-user-id relaygate-passwd share.
# Source it first, then lib.sh, then call su_inside.
#
# Installed set-user-id root, relaygate-passwd reads only root's
# /etc/relaygate.conf and the store it names (/etc/relaygate/passwords.db
# by default), so these tests run in a mount namespace of their own whose
# /etc is an overlay kept in the test's temporary directory: the machine's
# /etc is never written.  The account is a real one, made by useradd
# before and removed after (in a trap) by the outer shell, which then
# re-runs the test inside the namespace:
#   SU_USER   a mail user with a POP password, and a home of their own
# Inside, su_inside makes SU_BIN/relaygate-passwd (installed as make
# install does: mode 4755, owner root), an empty /etc/relaygate.conf and
# the password store, and gives SU_USER the secret SU_SECRET.
if [ -z "${SU_INSIDE:-}" ]; then
	set -u
	if [ "$(id -u)" != 0 ]; then
		echo "1..1"; echo "not ok 1 - must run as root: it makes an account and a mount namespace"; exit 1
	fi
	SU_USER=rgsu$$
	SU_HOME=$(mktemp -d /tmp/rgsu.XXXXXX)
	su_cleanup() {
		id "$SU_USER" >/dev/null 2>&1 && userdel "$SU_USER"
		getent group "$SU_USER" >/dev/null && groupdel "$SU_USER"
		rm -rf "$SU_HOME"
		return 0
	}
	trap su_cleanup EXIT
	chmod 755 "$SU_HOME"
	if id "$SU_USER" >/dev/null 2>&1; then echo "1..1"; echo "not ok 1 - account $SU_USER exists already"; trap - EXIT; exit 1; fi
	useradd -M -U -d "$SU_HOME/$SU_USER" -s /usr/sbin/nologin "$SU_USER" &&
	    install -d -o "$SU_USER" -g "$SU_USER" -m 700 "$SU_HOME/$SU_USER" ||
	    { echo "1..1"; echo "not ok 1 - could not make account $SU_USER"; exit 1; }
	export SU_USER
	SU_INSIDE=1 unshare -m --propagation private /bin/bash "$0" "$@"
	exit $?
fi

# "${AS_SU[@]}" COMMAND ...: run COMMAND as SU_USER, with its groups only.
AS_SU=(setpriv --reuid="$SU_USER" --regid="$(id -g "$SU_USER")" --init-groups)
# Under make check-asan, LeakSanitizer cannot check a process that is not
# dumpable, as set-user-id relaygate-passwd started by a user is (see
# tests/64-passwd-self.t): off for it alone.
if [ -n "${ASAN_OPTIONS:-}" ]; then
	AS_SU=(env "ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0" "${AS_SU[@]}")
fi
SU_SECRET=Old-pw.1
SU_STORE=/etc/relaygate/passwords.db

# su_conf LINE ...: root's /etc/relaygate.conf, those lines alone.
su_conf() { printf '%s\n' "$@" >/etc/relaygate.conf; chmod 644 /etc/relaygate.conf; }

su_inside() {
	mkdir -p "$T_TMP/ns/upper" "$T_TMP/ns/work"
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T_TMP/ns/upper,workdir=$T_TMP/ns/work" /etc ||
	    { echo "Bail out! cannot put an overlay on /etc"; exit 1; }
	trap 'umount /etc; rm -rf "$T_TMP"' EXIT
	SU_BIN=$T_TMP/bin
	install -d -m 755 "$SU_BIN"
	install -m 4755 -o root -g root "$RELAYGATE_BUILD/relaygate-passwd" "$SU_BIN/relaygate-passwd"
	su_conf "# the test's"
	rm -rf /etc/relaygate	# the machine's own, in this namespace only: not for a test
	relaygate passwd --init && echo "$SU_SECRET" | relaygate passwd --stdin "$SU_USER" ||
	    { echo "Bail out! relaygate passwd --init"; exit 1; }
}
