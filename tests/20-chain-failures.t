#!/bin/bash
# The chain programs never stop a login or a mail because of their own
# trouble: one log line, then exec.  Only a failed exec ends them (111).
. "$(dirname "$0")/lib.sh"
plan 31

show='echo "ran ${RELAYCLIENT-unset}"; exit 7'

run relaygate-allow sh -c "$show" </dev/null
is "$ERR" "relaygate-allow: no client address (TCPREMOTEIP or IP) in the environment, and standard input is not a socket; nothing recorded" "allow without TCPREMOTEIP or a socket: one log line"
is "$OUT $RC" "ran unset 7" "allow without TCPREMOTEIP still execs, and its status is the program's"

run env TCPREMOTEIP='10.1.2.3.4' relaygate-allow sh -c "$show"
is "$ERR" 'relaygate-allow: bad address "10.1.2.3.4": not an IPv4 or IPv6 address; nothing recorded' "allow with a garbage address: one log line"
is "$OUT $RC" "ran unset 7" "allow with a garbage address still execs"
run relaygate list --all
is "$OUT" "" "and nothing was recorded"

run relaygate-check sh -c "$show" </dev/null
is "$ERR" "relaygate-check: no client address (TCPREMOTEIP or IP) in the environment, and standard input is not a socket; no RELAYCLIENT" "check without TCPREMOTEIP or a socket: one log line"
is "$OUT $RC" "ran unset 7" "check without TCPREMOTEIP execs without RELAYCLIENT"

run env TCPREMOTEIP='x' relaygate-check sh -c "$show"
is "$OUT $RC" "ran unset 7" "check with a garbage address execs without RELAYCLIENT"

mkdir "$T_TMP/none"	# a directory relaygate init has not made a store in
run env RELAYGATE_DIR="$T_TMP/none" TCPREMOTEIP=192.0.2.1 relaygate-check sh -c "$show"
is "$ERR" "relaygate-check: open $T_TMP/none/grants.db: No such file or directory; no RELAYCLIENT for 192.0.2.1" "check with no store: the operation and the path in the log"
is "$OUT $RC" "ran unset 7" "check with no store execs without RELAYCLIENT"
run env RELAYGATE_DIR="$T_TMP/none" TCPREMOTEIP=192.0.2.1 relaygate-allow sh -c "$show"
is "$ERR" "relaygate-allow: $T_TMP/none/grants.db does not exist: make the store with relaygate init; nothing recorded for 192.0.2.1" "allow with no store: creates nothing, says how to make it"
is "$(ls "$T_TMP/none")" "" "and nothing was created"

# The exec itself failing is the one error that ends the chain: 111.
run env TCPREMOTEIP=192.0.2.1 relaygate-allow /nonexistent/pop3d
is "$RC" 111 "allow: a program that cannot be executed gives 111"
like "$ERR" "relaygate-allow: exec /nonexistent/pop3d: No such file or directory" "with the program named"
run env TCPREMOTEIP=192.0.2.1 relaygate-check /nonexistent/smtpd
is "$RC" 111 "check: a program that cannot be executed gives 111"
like "$ERR" "relaygate-check: exec /nonexistent/smtpd: No such file or directory" "with the program named"
run relaygate-check
is "$RC" 2 "check with no program at all is a usage error (2)"
like "$ERR" "^usage: relaygate-check prog" "and says how to call it"

# Permissions: as an unprivileged user, a store it may not read or write.
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	TCPREMOTEIP=192.0.2.1 USER=alice relaygate-allow true 2>/dev/null	# made by root: 0644/0640
	chmod 755 "$RELAYGATE_DIR"
	run env TCPREMOTEIP=192.0.2.9 setpriv --reuid=65534 --regid=65534 --clear-groups relaygate-allow sh -c "$show"
	like "$ERR" "relaygate-allow: open $RELAYGATE_DIR/grants.db: Permission denied; nothing recorded for 192.0.2.9" "allow on an unwritable store: logs the file and the reason"
	is "$OUT $RC" "ran unset 7" "and execs anyway"
	chmod 700 "$RELAYGATE_DIR"
	run env TCPREMOTEIP=192.0.2.1 setpriv --reuid=65534 --regid=65534 --clear-groups relaygate-check sh -c "$show"
	is "$ERR" "relaygate-check: open $RELAYGATE_DIR/grants.db: Permission denied; no RELAYCLIENT for 192.0.2.1" "check on an unreadable store: logs the file and the reason"
	is "$OUT $RC" "ran unset 7" "and execs without RELAYCLIENT"
	chmod 755 "$RELAYGATE_DIR"
else
	for i in 1 2 3 4; do skip "setpriv cannot change user here"; done
fi

# Installed setgid, relaygate-allow takes no setting from the environment.
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	cp "$RELAYGATE_BUILD/relaygate-allow" "$T_TMP/allow-setgid"
	chown root:root "$T_TMP/allow-setgid"
	chmod 2755 "$T_TMP/allow-setgid"
	mkdir -p "$T_TMP/evil" && chmod 777 "$T_TMP/evil"
	run env RELAYGATE_DIR="$T_TMP/evil" RELAYGATE_CONF="$T_TMP/evil/conf" TCPREMOTEIP=192.0.2.66 \
	    setpriv --reuid=65534 --regid=65534 --clear-groups "$T_TMP/allow-setgid" sh -c "$show"
	unlike "$ERR" "$T_TMP/evil" "setgid: the store named in the environment is not used ($ERR)"
	is "$(ls "$T_TMP/evil")" "" "and nothing was written there"
else
	skip "setpriv cannot change user here"; skip "setpriv cannot change user here"
fi

# A damaged store: check logs and goes on.
mkdir -p "$T_TMP/bad"
head -c 8192 /dev/urandom >"$T_TMP/bad/grants.db"
run env RELAYGATE_DIR="$T_TMP/bad" TCPREMOTEIP=192.0.2.1 relaygate-check sh -c "$show"
like "$ERR" "^relaygate-check: open $T_TMP/bad/grants.db: .*; no RELAYCLIENT for 192.0.2.1$" "check on a damaged store: one log line"
is "$OUT $RC" "ran unset 7" "and execs without RELAYCLIENT"

# A store locked for long (an admin's postmap, say): check does not wait for ever.
# (Held until the test lets go, not for a time the check must fall inside.)
hold_lock "$RELAYGATE_DIR/grants.db" || echo "Bail out! cannot lock grants.db"
start=$(date +%s%N)
run env RELAYGATE_LOCK_TIMEOUT_MS=300 TCPREMOTEIP=192.0.2.1 relaygate-check sh -c "$show"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
like "$ERR" "still locked after 300 ms; no RELAYCLIENT for 192.0.2.1" "check on a locked store: gives up after the lock timeout, and says so"
is "$OUT $RC" "ran unset 7" "and execs without RELAYCLIENT (after ${ms} ms)"
release_lock

# A full disk (a file-size limit): nothing recorded, the store left whole.
# (Output goes through a pipe: the limit would stop writes to a file.)
before=$(relaygate list --all | cut -f1)
out=$( (trap '' XFSZ; ulimit -f 0; TCPREMOTEIP=192.0.2.77 exec relaygate-allow sh -c "$show") 2>&1 | cat)
like "$out" "^relaygate-allow: write .*: File too large; nothing recorded for 192.0.2.77" "allow on a full disk: one log line"
like "$out" "ran unset" "and execs anyway"
is "$(relaygate list --all | cut -f1)" "$before" "and the store is as it was"
done_testing
