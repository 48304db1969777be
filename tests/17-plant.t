#!/bin/bash
# A symbolic link or a FIFO planted at every store file name (the lock and
# an older version's temporary journal included): every writer, as root, as
# a member of the store's group and as a mail user through the setgid
# relaygate-allow, refuses it naming the file, follows nothing and hangs on
# nothing; no file outside the store changes; relaygate init --fix puts the
# store right.
. "$(dirname "$0")/setgid.sh"
. "$(dirname "$0")/lib.sh"
sg_inside
NAMES="grants.db grants-meta.db grants.lock grants.journal grants.journal.new"
plan 38

victim=$T_TMP/victim	# what a followed link would clobber: anyone may write it
mkdir -p "$T_TMP/spool"
fresh() {
	rm -rf "$STORE"
	relaygate init >/dev/null && relaygate pin 198.51.100.1 >/dev/null &&
	    relaygate allow 192.0.2.40 --ttl 5 >/dev/null || echo "Bail out! fresh store"
	printf 'victim\n' >"$victim"; chmod 666 "$victim"
}
plant() {	# plant NAME link|fifo
	rm -f "$STORE/$1"
	if [ "$2" = link ]; then ln -s "$victim" "$STORE/$1"; else mkfifo -m 666 "$STORE/$1"; fi
}

# Every writer, each with a deadline: "who<TAB>command" lines.
writers() {
	cat <<W
root	relaygate allow 192.0.2.30
root	relaygate pin 192.0.2.31
root	relaygate revoke 192.0.2.40
root	relaygate unpin 198.51.100.1
root	relaygate extend 192.0.2.40 --ttl 60
root	relaygate expire
root	relaygate import-spool $T_TMP/spool
root	relaygate init
group	relaygate allow 192.0.2.32
group	relaygate expire
mail	$SG_BIN/onsocket 127.0.0.6 --user $SG_MAIL -- $SG_BIN/relaygate-allow -p pop3 true
W
}
run_writer() {	# run_writer WHO COMMAND...
	local who=$1
	shift
	case $who in
	root) run -t 10 "$@" ;;
	group) run -t 10 "${AS_STORE[@]}" "$@" ;;
	mail) run -t 10 "$@" ;;	# onsocket --user: root's listener, as tcpserver -u
	esac
}

for name in $NAMES; do
	for kind in link fifo; do
		fresh
		plant "$name" "$kind"
		sum=$(sha256sum <"$victim")
		bad="" hung=""
		while IFS='	' read -r who cmd; do
			# shellcheck disable=SC2086
			run_writer "$who" $cmd
			[ "$T_KILLED" -eq 0 ] || hung="$hung [$who: $cmd]"
			if [ "$name" = grants.journal.new ]; then
				# No program uses the name any more: it must simply not matter.
				case "$cmd" in *" init") [ "$RC" = 1 ] && [ -z "${OUT##*grants.journal.new*}" ] || bad="$bad [$who: $cmd: $RC $OUT $ERR]" ;;
				*) [ "$RC" -ne 111 ] || bad="$bad [$who: $cmd: $RC $ERR]" ;; esac
			else
				# A login is never stopped: the setgid writer logs and goes on.
				case "$who:$ERR$OUT" in
				mail:*"$STORE/$name"*"nothing recorded"*) [ "$RC" -eq 0 ] || bad="$bad [$who: $cmd: exit $RC]" ;;
				mail:*) bad="$bad [$who: $cmd: $RC $ERR]" ;;
				*"$STORE/$name"*) [ "$RC" -ne 0 ] || bad="$bad [$who: $cmd: exit 0]" ;;
				*) bad="$bad [$who: $cmd: $RC $ERR]" ;;
				esac
			fi
		done <<W
$(writers)
W
		if [ "$name" = grants.journal.new ]; then
			is "$bad" "" "$kind at $name: no writer is bothered by it, relaygate init reports it"
		else
			is "$bad" "" "$kind at $name: every writer (root, group member, setgid mail user) refuses, naming it"
		fi
		is "$hung" "" "$kind at $name: and none hangs"
		is "$(sha256sum <"$victim") $(stat -c %F "$victim")" "$sum regular file" "$kind at $name: the file outside the store is untouched"
		[ "$kind" = fifo ] || continue
		run relaygate init --fix
		like "$OUT" "fixed: $STORE/$name: " "--fix replaces the $kind at $name"
	done
done
run relaygate init --check
is "$RC:$OUT" "0:" "afterwards relaygate init --check finds nothing wrong"
is "$(store_files)" "grants-meta.db $SG_STORE $SG_GROUP 660
grants.db $SG_STORE $SG_GROUP 664
grants.journal $SG_STORE $SG_GROUP 660
grants.lock $SG_STORE $SG_GROUP 644" "and the store is as relaygate init makes it"

# A file of the right name and kind, owned by someone else: root refuses it.
cp -p "$STORE/grants-meta.db" "$T_TMP/meta"; chown "$SG_LOCAL" "$T_TMP/meta"
mv "$T_TMP/meta" "$STORE/grants-meta.db"
run relaygate pin 192.0.2.33
is "$RC:$ERR" "111:relaygate: $STORE/grants-meta.db belongs to uid $(id -u "$SG_LOCAL") ($SG_LOCAL), not to the store's owner uid $(id -u "$SG_STORE") ($SG_STORE); refusing it (relaygate init --check)" "a store file owned by a local user: root refuses it, naming it and its owner"
done_testing
