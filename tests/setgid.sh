# setgid.sh: what the tests of the set-group-id relaygate-allow share.
# Source it first, then lib.sh, then call sg_inside.
#
# Installed setgid, relaygate-allow reads only /etc/relaygate.conf and
# /var/lib/relaygate, so these tests run in a mount namespace of their
# own, where /var/lib is an overlay whose changes land in the test's
# temporary directory: the machine's /var/lib is never written.  The
# accounts are real ones, made by useradd before and removed after (in a
# trap) by the outer shell, which then re-runs the test inside the
# namespace:
#   SG_GROUP  the store's group        SG_STORE  the store's user, in it
#   SG_MAIL   a mail user, not in it   SG_LOCAL  another local user
# Inside, sg_inside makes SG_BIN (relaygate-allow installed as make
# install does: mode 2755, group SG_GROUP; onsocket and popup) and the
# store, /var/lib/relaygate, with relaygate init as the docs say.
if [ -z "${SG_INSIDE:-}" ]; then
	set -u
	if [ "$(id -u)" != 0 ]; then
		echo "1..1"; echo "not ok 1 - must run as root: it makes accounts and a mount namespace"; exit 1
	fi
	SG_TAG=rg$$
	SG_GROUP=${SG_TAG}grp SG_STORE=${SG_TAG}st SG_MAIL=${SG_TAG}ml SG_LOCAL=${SG_TAG}lo
	sg_cleanup() {
		for u in "$SG_MAIL" "$SG_LOCAL" "$SG_STORE"; do
			if id "$u" >/dev/null 2>&1; then
				userdel "$u" 2>/dev/null
			fi
		done
		getent group "$SG_GROUP" >/dev/null && groupdel "$SG_GROUP"
		return 0
	}
	trap sg_cleanup EXIT
	for u in "$SG_MAIL" "$SG_LOCAL" "$SG_STORE"; do
		if id "$u" >/dev/null 2>&1; then echo "1..1"; echo "not ok 1 - account $u exists already"; trap - EXIT; exit 1; fi
	done
	if ! { groupadd -r "$SG_GROUP" &&
	    useradd -r -M -N -g "$SG_GROUP" -d /nonexistent -s /usr/sbin/nologin "$SG_STORE" &&
	    useradd -M -d /nonexistent -s /usr/sbin/nologin "$SG_MAIL" &&
	    useradd -M -d /nonexistent -s /usr/sbin/nologin "$SG_LOCAL"; }; then
		echo "1..1"; echo "not ok 1 - could not make the test accounts"; exit 1
	fi
	export SG_GROUP SG_STORE SG_MAIL SG_LOCAL
	SG_INSIDE=1 unshare -m --propagation private /bin/bash "$0" "$@"
	exit $?
fi

# "${AS_LOCAL[@]}" COMMAND ...: run COMMAND as that user, with its groups only
# (arrays, not functions: run and deadline need a program).
AS_LOCAL=(setpriv --reuid="$SG_LOCAL" --regid="$(id -g "$SG_LOCAL")" --init-groups)
AS_MAIL=(setpriv --reuid="$SG_MAIL" --regid="$(id -g "$SG_MAIL")" --init-groups)
AS_STORE=(setpriv --reuid="$SG_STORE" --regid="$SG_GROUP" --init-groups)

sg_inside() {
	mkdir -p "$T_TMP/ns/upper" "$T_TMP/ns/work"
	mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$T_TMP/ns/upper,workdir=$T_TMP/ns/work" /var/lib ||
	    { echo "Bail out! cannot put an overlay on /var/lib"; exit 1; }
	if [ -e /etc/relaygate.conf ]; then	# the machine's own: not for a test
		: >"$T_TMP/ns/empty.conf"
		mount --bind "$T_TMP/ns/empty.conf" /etc/relaygate.conf
	fi
	trap 'umount /etc/relaygate.conf 2>/dev/null; umount /var/lib; rm -rf "$T_TMP"' EXIT
	SG_BIN=$T_TMP/bin
	install -d -m 755 "$SG_BIN"
	install -m 2755 -g "$SG_GROUP" "$RELAYGATE_BUILD/relaygate-allow" "$SG_BIN/relaygate-allow"
	install -m 755 "$(dirname "$0")/onsocket" "$(dirname "$0")/popup" "$SG_BIN/"
	STORE=/var/lib/relaygate
	RELAYGATE_DIR=$STORE RELAYGATE_USER=$SG_STORE RELAYGATE_GROUP=$SG_GROUP
	export RELAYGATE_DIR RELAYGATE_USER RELAYGATE_GROUP
	relaygate init >/dev/null || { echo "Bail out! relaygate init $STORE"; exit 1; }
}

# The store's files and their owners, groups and modes, one per line.
store_files() { (cd "$STORE" && stat -c '%n %U %G %a' -- * | sort); }
