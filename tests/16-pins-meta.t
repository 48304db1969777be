#!/bin/bash
# Pins answer from grants.db alone: with grants-meta.db unreadable (the SMTP
# user is in no store group), missing or garbage, a pin still relays, with
# the configured RELAYCLIENT, and the log says why; timed grants too.
. "$(dirname "$0")/lib.sh"
plan 16

relaygate pin 198.51.100.7 --relayclient @own --note "office" &&
    relaygate allow 192.0.2.20 --ttl 600 || echo "Bail out! could not fill the store"
meta=$RELAYGATE_DIR/grants-meta.db
show='echo "${RELAYCLIENT-unset}"'
check() {	# check ADDR [as nobody]: relaygate-check's RELAYCLIENT and log
	local a=$1
	shift
	run env RELAYGATE_RELAYCLIENT=@conf TCPREMOTEIP="$a" "$@" relaygate-check sh -c "$show"
}
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

check 198.51.100.7
is "$OUT:$ERR" "@own:" "with grants-meta.db readable, a pin relays with its own RELAYCLIENT, silently"

# Unreadable: the SMTP user, in no store group (grants-meta.db is 0660).
check 198.51.100.7 "${nobody[@]}"
is "$OUT" "@conf" "meta unreadable: the pin relays, with the configured RELAYCLIENT"
is "$ERR" "relaygate-check: 198.51.100.7 is pinned: relaying with the configured RELAYCLIENT, as its details cannot be read: open $meta: Permission denied" "and the log says why"
check 192.0.2.20 "${nobody[@]}"
is "$OUT:$ERR" "@conf:" "meta unreadable: a timed grant relays as before"
check 192.0.2.21 "${nobody[@]}"
is "$OUT:$ERR" "unset:" "and an address with no grant does not"

# Missing.
mv "$meta" "$T_TMP/meta.saved"
check 198.51.100.7
is "$OUT" "@conf" "meta missing: the pin relays, with the configured RELAYCLIENT"
is "$ERR" "relaygate-check: 198.51.100.7 is pinned: relaying with the configured RELAYCLIENT, as its details cannot be read: open $meta: No such file or directory" "and the log says why"
check 192.0.2.20
is "$OUT" "@conf" "meta missing: a timed grant relays"
run relaygate check 198.51.100.7
is "$RC" 0 "relaygate check says the pin may relay (0)"

# Garbage.
head -c 4096 /dev/urandom >"$meta"
check 198.51.100.7
is "$OUT" "@conf" "meta garbage: the pin relays, with the configured RELAYCLIENT"
like "$ERR" "^relaygate-check: 198\.51\.100\.7 is pinned: relaying with the configured RELAYCLIENT, as its details cannot be read: open $meta: " "and the log says why"
check 192.0.2.20
is "$OUT" "@conf" "meta garbage: a timed grant relays"
check 192.0.2.21
is "$OUT:$ERR" "unset:" "and an address with no grant does not"

# A details record that is not the pin's (an empty grants-meta.db).
rm -f "$meta"
relaygate init >/dev/null
check 198.51.100.7
is "$OUT" "@conf" "meta without the pin's record: the pin relays"
like "$ERR" "holds no details for 198\.51\.100\.7" "and the log says why"

# Put back, everything as before.
mv "$T_TMP/meta.saved" "$meta"
check 198.51.100.7
is "$OUT:$ERR" "@own:" "meta back: the pin's own RELAYCLIENT again"
done_testing
