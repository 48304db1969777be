#!/bin/bash
# Hostile input from outside: user names, addresses, notes and file names
# escaped in logs and batch output; '/' and '..' refused in user names and
# EXT; a FIFO where a file should be; a checker that would wait for ever;
# a group-writable password store; a configuration wrong from the start.
. "$(dirname "$0")/lib.sh"
plan 24

# --- relaygate-allow: an odd USER gets its grant, logged on one line ---
run env TCPREMOTEIP=192.0.2.1 USER="$(printf 'eve\nrelaygate-allow: 10.6.6.6 may relay')" relaygate-allow true
is "$ERR" 'relaygate-allow: 192.0.2.1 may relay for 900s (user eve\x0arelaygate-allow: 10.6.6.6 may relay, unknown)' \
    "a user name with a newline is escaped: no forged log line"
run relaygate check 192.0.2.1
is "$RC" 0 "and the login still gets its grant"
run relaygate list
like "$OUT" '^192\.0\.2\.1	[0-9]+	eve\\x0arelaygate-allow: 10\.6\.6\.6 may relay	' "list shows the name escaped, one line"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "one grant, one line"
relaygate pin 192.0.2.2 --note 'back\slash'
run relaygate list
like "$OUT" '192\.0\.2\.2	pinned	.*	back\\slash$' "a note the engine took is listed as it is (only control characters are escaped)"

# --- import-spool: file names from the spool directory ---
mkdir -p "$T_TMP/spool"
: >"$T_TMP/spool/$(printf 'evil\nimported\t99')"
run relaygate import-spool "$T_TMP/spool"
is "$OUT" 'skipped	evil\x0aimported\x0999	not an IP address
imported	0' "import-spool escapes the file names it reports"

# --- the configuration: checked whole at load, with file and line ---
printf '# site\nexpiry = 600\nplain_networks = 127.0.0.0/8, 10.0.0.0/33\n' >"$T_TMP/bad.conf"
run relaygate -c "$T_TMP/bad.conf" list
is "$RC:$ERR" "2:relaygate: $T_TMP/bad.conf line 3: plain_networks: bad network \"10.0.0.0/33\": prefix length 0 to 32" \
    "10.0.0.0/33 in plain_networks is refused at load, with the file and line"
run env TCPREMOTEIP=192.0.2.3 RELAYGATE_CONF="$T_TMP/bad.conf" relaygate-allow true
like "$ERR" "^relaygate-allow: $T_TMP/bad.conf line 3: plain_networks: bad network .*; nothing recorded$" "relaygate-allow logs it and execs"
mkfifo "$T_TMP/fifo.conf"
run timeout 10 env RELAYGATE_CONF="$T_TMP/fifo.conf" relaygate list
is "$RC:$ERR" "111:relaygate: read $T_TMP/fifo.conf: not a regular file" "a FIFO as the configuration is refused at once, not waited on"

# --- relaygate-checkpw ---
NSSW=$(ls /usr/lib/*/libnss_wrapper.so 2>/dev/null | head -1)
if [ -z "$NSSW" ]; then
	for i in $(seq 16); do skip "libnss-wrapper not installed"; done
	done_testing
fi
home=$T_TMP/home
mkdir -p "$home/alice/Maildir" "$home/bob/Maildir"
chown -R 5001:5001 "$home/alice"; chown -R 5002:5002 "$home/bob"
printf 'alice:x:5001:5001::%s:/bin/sh\nbob:x:5002:5002::%s:/bin/sh\n' "$home/alice" "$home/bob" >"$T_TMP/passwd"
printf 'alice:x:5001:\nbob:x:5002:\n' >"$T_TMP/group"
LD_PRELOAD=$NSSW NSS_WRAPPER_PASSWD=$T_TMP/passwd NSS_WRAPPER_GROUP=$T_TMP/group
RELAYGATE_PASSWORDS=$T_TMP/pw/passwords.db RELAYGATE_FAIL_DELAY_MS=0 RELAYGATE_APOP_ONLY=no
export LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP RELAYGATE_PASSWORDS RELAYGATE_FAIL_DELAY_MS RELAYGATE_APOP_ONLY
mkdir -p "$T_TMP/pw"
relaygate passwd --init
echo alice-pw | relaygate passwd --stdin alice
login() {	# login USER PASS: checkpw with that input on fd 3
	run bash -c 'printf "%s\0%s\0\0" "$1" "$2" | relaygate-checkpw sh -c "echo USER=\$USER EXT=\${EXT-unset}" 3<&0' sh "$1" "$2"
}
login alice alice-pw
is "$RC:$OUT" "0:USER=alice EXT=unset" "a plain login works (the set-up is sound)"
login "$(printf 'alice\nrelaygate-checkpw: forged')" alice-pw
is "$RC" 1 "a user name with a newline is refused (1)"
is "$(printf '%s\n' "$ERR" | wc -l)" 1 "and logged on one line"
like "$ERR" 'alice\\x0arelaygate-checkpw: forged' "with the newline escaped"
run bash -c 'printf "nobody\0x\0\0" | TCPREMOTEIP="$(printf "10.0.0.1\nrelaygate-checkpw: forged")" relaygate-checkpw true 3<&0'
is "$(printf '%s\n' "$ERR" | wc -l):$RC" "1:1" "an odd TCPREMOTEIP is logged on one line"
like "$ERR" "bad login from 10\.0\.0\.1\\\\x0arelaygate-checkpw: forged:" "escaped"
login "../../etc/x" alice-pw
like "$RC:$ERR" '^1:relaygate-checkpw: bad login from -: user name \.\./\.\./etc/x: no spaces' "a user name with '/' is refused"
login "alice-.." alice-pw
like "$RC:$ERR" '^1:relaygate-checkpw: bad login from -: user name alice-\.\.: no "\.\."' "an EXT of '..' is refused"
login "alice-a..b" alice-pw
is "$RC" 1 "and any '..' in a user-ext name"
login "alice-lists" alice-pw
is "$RC:$OUT" "0:USER=alice EXT=lists" "while a plain user-ext login still works"

# A FIFO as ~/Maildir/.password: refused at once, never waited on (a
# checker that opened it would wait for a writer until timeout's 124).
mkfifo "$home/bob/Maildir/.password"; chown 5002:5002 "$home/bob/Maildir/.password"; chmod 600 "$home/bob/Maildir/.password"
run timeout 20 env RELAYGATE_DOTPASSWORD=yes bash -c 'printf "bob\0x\0\0" | relaygate-checkpw true 3<&0'
like "$RC:$ERR" "^1:relaygate-checkpw: bad login from -: .*/Maildir/\.password is not a regular file; refused" "a FIFO as .password is refused, without waiting on it (1, not 124)"

# The checker's overall time limit: fd 3 that never ends (its writer stays
# until the test stops it; an end of input would be a different answer).
mkfifo "$T_TMP/fd3"
sleep 600 >"$T_TMP/fd3" &
writer=$!
start=$(date +%s)
run env RELAYGATE_CHECKPW_TIMEOUT=1 relaygate-checkpw true 3<"$T_TMP/fd3"
took=$(( $(date +%s) - start ))
stop_pid "$writer"
is "$RC:$ERR" "111:relaygate-checkpw: time limit (checkpw_timeout) reached; temporary failure" "a checker that would wait for ever gives up: 111"
ok "after the limit, not before (${took} s)" [ "$took" -ge 1 ]

# A password store the group may write is refused, as relaygate.conf(5) says.
chmod 660 "$RELAYGATE_PASSWORDS"
login alice alice-pw
like "$RC:$ERR" "^111:relaygate-checkpw: .* is open to other users \(mode 0660\); refusing to use it" "a group-writable (0660) password store is refused"
chmod 640 "$RELAYGATE_PASSWORDS"
login alice alice-pw
is "$RC" 0 "0640 (a group that may read) is accepted"
done_testing
