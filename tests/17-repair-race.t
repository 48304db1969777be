#!/bin/bash
# Root's relaygate repair builds a scratch store in the store directory,
# where the store's account may rename anything.  That account watches
# for it (swap-scratch) and, the instant it appears, puts a symbolic link
# to a directory of root's in its place: root must never follow it, so
# nothing there is made, changed or removed, however the race goes.  The
# store's own files come out of a later repair whole.
. "$(dirname "$0")/setgid.sh"
. "$(dirname "$0")/lib.sh"
sg_inside
plan 7

relaygate pin 198.51.100.1 --note 'the office' >/dev/null &&
    relaygate allow 192.0.2.40 --ttl 3600 --user alice >/dev/null || echo "Bail out! grants"
before=$(relaygate list --all | cut -f1,3-)

# A directory of root's, outside the store, with a file named as a store file.
victim=/var/lib/rgvictim
install -d -m 755 "$victim"
echo 'root keeps this' >"$victim/grants.lock"
chmod 644 "$victim/grants.lock"
ident() { stat -c '%i %U %a' "$victim/grants.lock" 2>&1; cat "$victim/grants.lock" 2>&1; }
was=$(ident)

# The store's account, watching.
install -m 755 "$(dirname "$0")/swap-scratch" "$SG_BIN/"
att=$T_TMP/att
install -d -o "$SG_STORE" -m 755 "$att"
"${AS_STORE[@]}" "$SG_BIN/swap-scratch" "$STORE" "$victim" "$att/swapped" "$att/stop" 2>"$att/err" &
watcher=$!
sleep 0.5
rcs=""
for i in $(seq 10); do
	run relaygate repair
	rcs="$rcs $RC"; echo "# repair: $RC $(echo $OUT $ERR | cut -c1-400)" >&2
	[ -s "$att/swapped" ] && break
done
touch "$att/stop"
wait_for "$watcher" 10

swaps=$(wc -l <"$att/swapped" 2>/dev/null || echo 0)
ok "the store's account put a link to $victim where root's scratch store was ($swaps times in $(echo "$rcs" | wc -w) repairs, exits:$rcs)" \
    [ "$swaps" -ge 1 ]
is "$(ident)" "$was" "the file of root's in that directory is still there, as it was"
is "$(ls -A "$victim")" "grants.lock" "and nothing else was made there"

# The store itself, repaired again with nobody in the way.
rm -f "$STORE"/.repair.*	# the store's account's links
run relaygate repair
is "$RC" 0 "a repair with nobody in the way succeeds"
like "$OUT" "kept 2 grants and pins \(1 pinned\)" "and keeps every grant and pin"
is "$(relaygate list --all | cut -f1,3-)" "$before" "with their details"
run relaygate init --check
is "$RC:$OUT" "0:" "and the store is as relaygate init makes it"
done_testing
