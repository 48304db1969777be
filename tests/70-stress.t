#!/bin/sh
# Many processes at once, and writers killed at random: the store holds.
. "$(dirname "$0")/lib.sh"
plan 10

# On tmpfs when there is one: the test is about locks and journals, not disks.
base=${TMPDIR:-/tmp}
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
dir=$(mktemp -d "$base/rgstress.XXXXXX")
trap 'rm -rf "$T_TMP" "$dir"' EXIT

mkdir -p "$dir/c"
# The deadlines (run -t, and stress's own for a writer that stops) only
# catch a hang: how much is done never depends on how fast the machine is.
run -t 240 stress concurrency "$dir/c" 50 400 8
is "$RC" 0 "50 writers, 8 readers and a sweeper at once: no error, no hang ($(said))"
like "$OUT" "checks [0-9]+, sweeps [0-9]+, live 10000, pinned 50, expired 0" "every live grant and pin found, every expired one swept ($OUT)"
like "$OUT" "writes 20000," "all 50 x 400 writes done ($OUT)"

mkdir -p "$dir/k"
run -t 240 stress crash "$dir/k" 250 10000
is "$RC" 0 "250 writers SIGKILLed at random moments: the store holds ($(said))"
kills=$(printf '%s\n' "$OUT" | sed -n 's/^kills \([0-9]*\), .*/\1/p')
ops=$(printf '%s\n' "$OUT" | sed -n 's/^kills [0-9]*, operations \([0-9]*\),.*/\1/p')
ok "at least 250 kills among at least 10,000 random operations (kills $kills, operations $ops)" \
    eval '[ "${kills:-0}" -ge 250 ] && [ "${ops:-0}" -ge 10000 ]'
# "counts total T pinned P, walk T' pinned P', address order N"
set -- $(printf '%s\n' "$OUT" | grep '^counts total' | tr -c '0-9\n' ' ') x x x x x
is "total $1 pinned $2, address order $1" "total $3 pinned $4, address order $5" \
    "after the kills the counts kept with the data equal a walk of grants.db and of the address order"
run db5.3_verify "$dir/k/grants.db" "$dir/k/grants-meta.db"
is "$RC" 0 "db_verify passes on both files afterwards"
run env RELAYGATE_DIR="$dir/k" RELAYGATE_LOCK_TIMEOUT_MS=100 relaygate list
is "$(printf '%s\n' "$OUT" | grep -c '^172\.16\.[0-9.]*	pinned	stress	')" "50" "no lock left behind, and all 50 pins made before the kills there"
mkdir -p "$dir/p"
run timeout 300 stress paging "$dir/p" 3000
is "$RC" 0 "paging forward then backward while 4 processes add and remove grants in between ($(said))"
like "$OUT" "^untouched 3000, seen once each way" "every untouched grant seen exactly once, in order, both ways"
done_testing
