#!/bin/bash
# A second name for a store file: the store's account, which may create
# names in the store directory, hard-links each store file in turn.  Every
# opener (a writer as root, as a member of the store's group and as a mail
# user through the setgid relaygate-allow; relaygate-check as the SMTP
# user; relaygate verify) refuses the file, saying what it was doing and
# naming it, so nothing is recorded; relaygate init --check names it; and
# relaygate init --fix gives the store its own file again without losing
# a byte: every grant, pin and detail is still there.
. "$(dirname "$0")/setgid.sh"
. "$(dirname "$0")/lib.sh"
sg_inside
NAMES="grants.db grants-meta.db grants.lock grants.journal"
plan 40

fresh() {
	rm -rf "$STORE"
	relaygate init >/dev/null && relaygate pin 198.51.100.1 --note 'the office' >/dev/null &&
	    relaygate allow 192.0.2.40 --ttl 3600 --user alice >/dev/null || echo "Bail out! fresh store"
}
# The store as a user sees it: grants and pins with their details, one per line, no times.
listing() { relaygate list --all | cut -f1,3-; }

# Every writer, each with a deadline: "who<TAB>address<TAB>command" lines.
writers() {
	cat <<W
root	192.0.2.30	relaygate allow 192.0.2.30
root	192.0.2.31	relaygate pin 192.0.2.31
group	192.0.2.32	relaygate allow 192.0.2.32
mail	127.0.0.6	$SG_BIN/onsocket 127.0.0.6 --user $SG_MAIL -- $SG_BIN/relaygate-allow -p pop3 true
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
	fresh
	before=$(listing)
	# The attack: the store's account gives the file a second name.
	run "${AS_STORE[@]}" ln "$STORE/$name" "$STORE/.$name.mine"
	is "$RC:$(stat -c %h "$STORE/$name")" "0:2" "$name: the store's account can give it a second name"
	refused="open $STORE/$name: it has 2 hard links"
	bad=""
	while IFS='	' read -r who addr cmd; do
		# shellcheck disable=SC2086
		run_writer "$who" $cmd
		case "$who:$RC:$ERR" in
		# A login is never stopped: the setgid writer logs and goes on.
		mail:0:*"$refused"*"nothing recorded"*) ;;
		mail:*) bad="$bad [$who: $cmd: $RC $ERR]" ;;
		*:0:*) bad="$bad [$who: $cmd: exit 0]" ;;
		*"$refused"*) ;;
		*) bad="$bad [$who: $cmd: $RC $ERR]" ;;
		esac
	done <<W
$(writers)
W
	is "$bad" "" "$name: every writer (root, group member, setgid mail user) refuses it, saying so"
	run "${AS_LOCAL[@]}" env TCPREMOTEIP=192.0.2.40 relaygate-check sh -c 'echo "${RELAYCLIENT-unset}"'
	if [ "$name" = grants-meta.db ]; then
		# Only a pin's own RELAYCLIENT is in grants-meta.db: without it the grant still relays.
		is "$OUT" "" "$name: relaygate-check, which needs only grants.db, still relays for the grant"
	else
		like "$OUT:$ERR" "^unset:.*$refused" "$name: relaygate-check refuses it (no RELAYCLIENT), saying so"
	fi
	run relaygate verify
	like "$RC:$OUT" "^1:.*$STORE/$name.* 2 hard links" "$name: relaygate verify names it (1)"
	run relaygate init --check
	like "$RC:$OUT" "^1:$STORE/$name: 2 hard links, not 1$" "$name: relaygate init --check names it (1)"
	run relaygate init --fix
	like "$RC:$OUT" "^0:fixed: $STORE/$name: 2 hard links, not 1; " "$name: relaygate init --fix puts it right"
	is "$(stat -c '%h %U %G %a' "$STORE/$name")" "1 $(stat -c '%U %G %a' "$STORE/.$name.mine")" \
	    "$name: now one link, with the owner, group and mode it had"
	is "$(listing)" "$before" "$name: no grant, pin or detail was lost, and nothing the writers tried was recorded"
	run relaygate init --check
	is "$RC:$OUT" "0:" "$name: afterwards relaygate init --check finds nothing wrong"
	# The other name keeps the old file, which is no longer the store's.
	run "${AS_STORE[@]}" truncate -s 0 "$STORE/.$name.mine"
	run relaygate check 198.51.100.1
	is "$RC" 0 "$name: what the store's account does to its other name changes nothing in the store"
done
done_testing
