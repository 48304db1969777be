#!/bin/bash
# Faults: a full disk and a read-only store during allow, pin, expire and
# rules compile; the clock jumping; SIGKILL during every kind of write.
# In each, the chain programs still exec, no pin is lost, a change reported
# as failed is not there later, the message names the cause, and check
# keeps answering for pins.
. "$(dirname "$0")/lib.sh"
plan 91

show='echo "ran ${RELAYCLIENT-unset}"'
pins() { relaygate list --all | grep -c '	pinned	'; }

# --- a small file system of our own, full or read-only at will ---
mnt=$T_TMP/fs
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=1m,mode=755 tmpfs "$mnt" 2>/dev/null; then
	for i in $(seq 37); do skip "cannot mount a tmpfs here (needs root)"; done
	mnt=
fi
trap '[ -n "$mnt" ] && umount "$mnt" 2>/dev/null; rm -rf "$T_TMP"' EXIT
fill() {	# fill the file system up, leaving about $1 KiB
	local avail
	avail=$(df -k --output=avail "$mnt" | tail -1)
	[ "$avail" -gt "$1" ] && dd if=/dev/zero of="$mnt/fill" bs=1k count=$((avail - $1)) 2>/dev/null
	return 0
}

if [ -n "$mnt" ]; then
	RELAYGATE_DIR=$mnt/store
	RELAYGATE_RULES=$mnt/tcp.smtp
	RELAYGATE_RULES_CDB=$mnt/tcp.smtp.cdb
	export RELAYGATE_DIR RELAYGATE_RULES RELAYGATE_RULES_CDB
	relaygate init >/dev/null
	for i in 1 2 3 4 5; do relaygate pin "198.51.100.$i" --note "office $i"; done
	relaygate allow 192.0.2.200 --ttl 10
	printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' >"$RELAYGATE_RULES"
	relaygate rules compile
	cp "$RELAYGATE_RULES_CDB" "$T_TMP/good.cdb"

	# Logins until the disk is full: the one that fails says so and is not recorded.
	fill 24
	failed=
	for i in $(seq 1 250); do
		run env TCPREMOTEIP="10.0.$((i / 200)).$((i % 200))" USER="user-$i-with-a-longer-name" \
		    relaygate-allow sh -c "$show"
		case "$ERR" in *"nothing recorded"*) failed=10.0.$((i / 200)).$((i % 200)); break ;; esac
	done
	ok "a full disk stops a login's recording (at $failed)" [ -n "$failed" ]
	like "$ERR" "^relaygate-allow: .*: No space left on device; nothing recorded for $failed$" "relaygate-allow names the cause: No space left on device"
	is "$OUT $RC" "ran unset 0" "and execs the rest of the chain anyway"
	rm -f "$mnt/fill"; fill 0
	run relaygate allow 192.0.2.50
	like "$RC:$ERR" "^111:relaygate: .*No space left on device" "relaygate allow on a full disk: 111, No space left on device"
	run relaygate pin 192.0.2.60 --note new
	like "$RC:$ERR" "^111:relaygate: .*No space left on device" "relaygate pin on a full disk: 111, No space left on device"
	run faketime -f '+20s' relaygate expire
	like "$RC:$ERR" "^111:relaygate: .*No space left on device" "relaygate expire on a full disk: 111, No space left on device"
	run relaygate rules add '10.9.9.9:deny'
	like "$RC:$ERR" "No space left on device" "relaygate rules add on a full disk names the cause"
	printf '127.0.0.1:allow,RELAYCLIENT=""\n10.1.1.1:deny\n:allow\n' >"$T_TMP/new.rules"
	run env RELAYGATE_RULES="$T_TMP/new.rules" relaygate rules compile
	like "$RC:$ERR" "No space left on device" "relaygate rules compile on a full disk names the cause"
	ok "and the old cdb is untouched" cmp -s "$T_TMP/good.cdb" "$RELAYGATE_RULES_CDB"
	run env TCPREMOTEIP=198.51.100.3 relaygate-check sh -c "$show"
	is "$OUT:$ERR" "ran :" "relaygate-check on a full disk still sets RELAYCLIENT for a pin"
	run relaygate check 198.51.100.4
	is "$RC" 0 "relaygate check still answers for pins"
	is "$(pins)" 5 "no pin lost"
	rm -f "$mnt/fill"
	# Space is back: nothing reported as failed shows up later.
	run relaygate check "$failed"
	is "$RC:$OUT" "1:$failed may not relay: no grant" "the login reported as failed was not recorded later"
	run relaygate check 192.0.2.50
	is "$RC" 1 "nor the allow"
	run relaygate check 192.0.2.60
	is "$RC" 1 "nor the pin"
	run relaygate list --all
	like "$OUT" "192\.0\.2\.200	" "the expire that failed removed nothing (the grant waits for the next sweep)"
	ok "the rules text is as it was" not grep -q 10.9.9.9 "$RELAYGATE_RULES"
	run relaygate verify
	is "$RC" 0 "and relaygate verify finds the store sound ($(printf '%s' "$OUT" | tr '\n\t' '; '))"
	run faketime -f '+20s' relaygate expire
	is "$RC:$OUT" "0:removed	1" "with space, the same sweep goes through"

	# Read-only: the same, with the cause named.
	mount -o remount,ro "$mnt"
	run env TCPREMOTEIP=192.0.2.70 relaygate-allow sh -c "$show"
	like "$ERR" "Read-only file system; nothing recorded for 192\.0\.2\.70$" "relaygate-allow on a read-only store names the cause"
	is "$OUT $RC" "ran unset 0" "and execs the rest of the chain"
	run relaygate allow 192.0.2.71
	like "$RC:$ERR" "^111:.*Read-only file system" "relaygate allow on a read-only store: 111, named"
	run relaygate pin 192.0.2.72
	like "$RC:$ERR" "^111:.*Read-only file system" "relaygate pin on a read-only store: 111, named"
	run relaygate unpin 198.51.100.1
	like "$RC:$ERR" "^111:.*Read-only file system" "relaygate unpin on a read-only store: 111, named"
	run relaygate expire
	like "$RC:$ERR" "^111:.*Read-only file system" "relaygate expire on a read-only store: 111, named"
	run env RELAYGATE_RULES="$T_TMP/new.rules" relaygate rules compile
	like "$ERR" "Read-only file system" "relaygate rules compile on a read-only file system names the cause"
	run env TCPREMOTEIP=198.51.100.2 relaygate-check sh -c "$show"
	is "$OUT:$ERR" "ran :" "relaygate-check on a read-only store still sets RELAYCLIENT for a pin"
	run relaygate verify
	is "$RC" 0 "relaygate verify works on a read-only store (it changes nothing)"
	mount -o remount,rw "$mnt"
	is "$(pins)" 5 "no pin lost, none unpinned"
	run relaygate check 192.0.2.71
	is "$RC" 1 "the allow reported as failed is not there afterwards"

	# SIGKILL in the middle of a login's write: the next check answers, pins kept.
	mkdir -p "$mnt/steps"
	run stress steps "$mnt/steps"
	is "$RC" 0 "every kind of write killed at each of its steps ($(printf '%s\n' "$ERR" | tail -1))"
	like "$OUT" "allow: killed at each of [0-9]+ steps: [0-9]+ times as before, [0-9]+ times whole" "allow: whole or not at all"
	like "$OUT" "pin: killed at each of [0-9]+ steps" "pin: whole or not at all"
	like "$OUT" "expire: killed at each of [0-9]+ steps" "expire: whole or not at all"
	like "$OUT" "password: killed at each of [0-9]+ steps" "a password change: whole or not at all"
	like "$OUT" "repair: killed at each of [0-9]+ steps" "repair itself: whole or not at all"
	like "$OUT" "^steps: every kind of write" "and every pin answered after every kill"
	umount "$mnt"
	mnt=
fi
RELAYGATE_DIR=$T_TMP/store
unset RELAYGATE_RULES RELAYGATE_RULES_CDB

# --- the clock jumping ---
faketime -f '+730d' relaygate allow 192.0.2.80 --ttl 900
run relaygate check 192.0.2.80
is "$RC:$OUT" '0:192.0.2.80 may relay: granted, 31536000s left, RELAYCLIENT=""' "a grant written two years ahead has at most the longest lifetime (a year) left"
run relaygate list
like "$OUT" "^192\.0\.2\.80	31536000	" "and lists so"
relaygate expire >/dev/null
run faketime -f '+366d' relaygate check 192.0.2.80
like "$RC:$OUT" "^1:192\.0\.2\.80 may not relay: grant expired [0-9]+s ago$" "after a sweep it lives no longer than a year from the clock being right"
relaygate pin 198.51.100.9 --note "office"
relaygate allow 192.0.2.81 --ttl 600
run faketime -f '-1d' relaygate expire
is "$RC:$OUT" "0:removed	0" "a sweep with the clock a day behind removes nothing"
run faketime -f '-3650d' relaygate check 198.51.100.9
is "$RC" 0 "a pin relays with the clock ten years behind"
run faketime -f '+3650d' relaygate expire
is "$RC:$OUT" "0:removed	2" "a sweep with the clock ten years ahead removes the grants"
run relaygate check 198.51.100.9
is "$RC" 0 "and keeps the pin"

# --- damaged store files: check goes on, verify names it, repair keeps every readable pin ---
store() {	# a fresh store in $1: 5 pins and 200 grants
	rm -rf "$1"; RELAYGATE_DIR=$1 relaygate init >/dev/null
	for i in 1 2 3 4 5; do RELAYGATE_DIR=$1 relaygate pin "198.51.100.$i" --note "office $i"; done
	for i in $(seq 1 200); do RELAYGATE_DIR=$1 relaygate allow "10.2.$((i / 100)).$((i % 100))" --user "u$i" --ttl 3600; done
}
damage() {	# damage NAME HOW FILE: check, verify, repair, verify
	local d=$T_TMP/dmg
	store "$d"
	case $2 in
	truncated) truncate -s 3072 "$d/$3" ;;
	garbage) head -c 16384 /dev/urandom >"$d/$3" ;;
	missing) rm -f "$d/$3" ;;
	journal) printf 'RGPAGES1 not a whole journal' >"$d/$3" ;;
	esac
	run env RELAYGATE_DIR="$d" TCPREMOTEIP=198.51.100.1 relaygate-check sh -c "$show"
	like "$OUT" "^ran " "$1: relaygate-check still execs"
	run env RELAYGATE_DIR="$d" relaygate verify
	like "$RC:$OUT" "^1:problem	.*$3" "$1: relaygate verify exits 1 naming $3"
	run env RELAYGATE_DIR="$d" relaygate repair
	is "$RC" 0 "$1: relaygate repair succeeds ($(printf '%s' "$OUT" | grep '^done' | cut -f2 | tr '\n' ';' | cut -c1-300))"
	run env RELAYGATE_DIR="$d" relaygate verify
	is "$RC" 0 "$1: afterwards the store is sound"
	is "$(RELAYGATE_DIR=$d relaygate list | grep -c '	pinned	')" 5 "$1: every pin kept"
	run env RELAYGATE_DIR="$d" TCPREMOTEIP=198.51.100.4 relaygate-check sh -c "$show"
	is "$OUT" "ran " "$1: and relaygate-check answers for pins again"
}
damage "grants.db truncated" truncated grants.db
is "$(RELAYGATE_DIR=$T_TMP/dmg relaygate list | wc -l)" 205 "grants.db truncated: every grant brought back from its details"
damage "grants.db garbage" garbage grants.db
damage "grants.db missing" missing grants.db
damage "grants-meta.db garbage" garbage grants-meta.db
is "$(RELAYGATE_DIR=$T_TMP/dmg relaygate list | wc -l)" 205 "grants-meta.db garbage: every grant kept from grants.db"
damage "grants-meta.db truncated" truncated grants-meta.db
damage "grants-meta.db missing" missing grants-meta.db
is "$(RELAYGATE_DIR=$T_TMP/dmg relaygate list | wc -l)" 205 "grants-meta.db missing: every grant kept from grants.db"
# A journal without a valid end record (its writer killed while writing
# it, or its bytes damaged) is a change that never happened: never applied.
# The journal is relaygate init's file, written in place, so it is emptied,
# not removed; repair keeps a copy of what it held.
d=$T_TMP/dmg
store "$d"
printf 'RGPAGES1 not a whole journal' >"$d/grants.journal"
run env RELAYGATE_DIR="$d" relaygate verify
like "$RC:$OUT" "^1:problem	.*grants\.journal: an unfinished or damaged journal" "a damaged journal: relaygate verify exits 1 naming grants.journal"
run env RELAYGATE_DIR="$d" relaygate repair
is "$RC" 0 "a damaged journal: relaygate repair succeeds ($(printf '%s' "$OUT" | grep '^done' | cut -f2 | tr '\n' ';' | cut -c1-300))"
like "$(ls "$d")" "grants\.journal\.damaged-[0-9]+" "a damaged journal: set aside for an expert, not applied"
is "$(stat -c %s "$d/grants.journal")" 0 "and emptied in place, the file relaygate init made kept"
run env RELAYGATE_DIR="$d" relaygate verify
is "$RC" 0 "a damaged journal: afterwards the store is sound"
is "$(RELAYGATE_DIR=$d relaygate list | grep -c '	pinned	')" 5 "a damaged journal: every pin kept"
printf 'RGPAGES1 not a whole journal' >"$d/grants.journal"
run env RELAYGATE_DIR="$d" TCPREMOTEIP=198.51.100.4 relaygate-check sh -c "$show"
is "$OUT" "ran " "a damaged journal met first by relaygate-check: it answers for pins"
is "$(stat -c %s "$d/grants.journal"):$(RELAYGATE_DIR=$d relaygate list | wc -l)" "0:205" "and empties the journal unread: nothing applied, nothing lost"
done_testing
