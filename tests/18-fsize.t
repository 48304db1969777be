#!/bin/bash
# A write that fails part way never leaves grants.db half-applied to a
# reader that does not replay the journal (Postfix): a real login chain
# run under every file size limit (RLIMIT_FSIZE) from 512 bytes to past
# the size of grants.db and grants-meta.db, the setgid relaygate-allow on a connection
# root's listener accepted, and relaygate-login's waiter likewise.  After
# each, db_verify passes on grants.db, Postfix's postmap finds the admin's
# pin, and the login is recorded or said to be not recorded; the login
# itself always goes on.
. "$(dirname "$0")/setgid.sh"
. "$(dirname "$0")/lib.sh"
sg_inside
install -m 755 "$RELAYGATE_BUILD/relaygate-login" "$SG_BIN/relaygate-login"
plan 7

mkdir -p "$T_TMP/pfc"; : >"$T_TMP/pfc/main.cf"
relaygate pin 198.51.100.9 --note office >/dev/null || echo "Bail out! pin"
# Enough grants that a login's change splits pages and grows the file.
for i in $(seq 1 600); do echo "10.9.$((i / 250)).$((i % 250))	alice	pop3	$(( $(date +%s) + 3600 ))"; done >"$T_TMP/many"
i=0; while read -r a u p x; do relaygate allow "$a" --ttl 3600 >/dev/null; done <"$T_TMP/many"
size=$(stat -c %s "$STORE/grants.db")
# grants-meta.db, written in the same commit, is the larger: the limits run past it too.
top=$(stat -c %s "$STORE/grants-meta.db")
[ "$top" -gt "$size" ] || top=$size

pin_seen() { postmap -c "$T_TMP/pfc" -q 198.51.100.9 "btree:$STORE/grants" >/dev/null 2>&1; }
torn="" lost="" stopped="" recorded=0 refused=0 other="" n=0 k=0
# limit WAY FSIZE ADDR: one login under that limit; RC, OUT, ERR as run leaves them.
login() {
	local way=$1 lim=$2 addr=$3
	if [ "$way" = setgid ]; then
		run prlimit --fsize="$lim" "$SG_BIN/onsocket" "$addr" --user "$SG_MAIL" -- \
		    "$SG_BIN/relaygate-allow" -p pop3 echo served
	else
		run prlimit --fsize="$lim" "$SG_BIN/onsocket" "$addr" -- "$SG_BIN/relaygate-login" \
		    setpriv --reuid="$SG_MAIL" --regid="$(id -g "$SG_MAIL")" --init-groups \
		    "$SG_BIN/relaygate-allow" -p pop3 echo served
	fi
}
for way in setgid login; do
	lim=512	# (at 0 not even the test's own output could be written)
	while [ "$lim" -le $((top + 8192)) ]; do
		k=$((k + 1)); addr=127.1.$((k / 250)).$((k % 250 + 1))
		login "$way" "$lim" "$addr"
		n=$((n + 1))
		[ "$OUT" = served ] || stopped="$stopped [$way $lim: $RC $OUT $ERR]"
		db5.3_verify -q "$STORE/grants.db" 2>/dev/null || torn="$torn [$way $lim]"
		pin_seen || lost="$lost [$way $lim]"
		# (relaygate-login's waiter logs after it answers: wait for its line)
		if [ "$way" = login ]; then
			j=0; while ! printf '%s' "$ERR" | grep -q 'relaygate-login' && [ $j -lt 50 ]; do sleep 0.1; j=$((j + 1)); done
		fi
		if relaygate check "$addr" >/dev/null 2>&1; then recorded=$((recorded + 1))
		elif printf '%s' "$ERR" | grep -q 'file size limit'; then refused=$((refused + 1))
		else other="$other [$way $lim: $ERR]"; fi
		# every 512 bytes around grants.db's size, every 2 KB elsewhere
		lim=$((lim + (lim >= size - 8192 && lim < size + 4096 ? 512 : 2048)))
	done
done
is "$torn" "" "$n logins under file size limits from 512 to $((top + 8192)) bytes (grants.db: $size, grants-meta.db: $top): db_verify passes after every one"
is "$lost" "" "Postfix's postmap finds the admin's pin after every one"
is "$stopped" "" "every login went on to the mail server"
is "$other" "" "each login is either recorded or refused for the limit, and says so"
ok "some were refused for the limit ($refused), some recorded ($recorded)" eval '[ "$refused" -gt 0 ] && [ "$recorded" -gt 0 ]'
run relaygate init --check
is "$RC" 0 "relaygate init --check: the store as it should be"
is "$(find "$STORE" -user "$SG_MAIL" | wc -l)" 0 "no file in the store belongs to the login user"
done_testing
