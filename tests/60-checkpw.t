#!/bin/bash
# relaygate-checkpw fed on fd 3 directly: USER/PASS, APOP (RFC 1939's own
# example), bad input, and each policy on and off; exit codes and the
# environment the next program gets.  Accounts come from nss_wrapper.
. "$(dirname "$0")/lib.sh"
plan 41

NSSW=$(ls /usr/lib/*/libnss_wrapper.so 2>/dev/null | head -1)
if [ -z "$NSSW" ]; then
	for i in $(seq 41); do skip "libnss-wrapper not installed"; done
	done_testing
fi
home=$T_TMP/home
mkdir -p "$home/alice/Maildir" "$home/bob/Maildir" "$home/carol"
chown -R 5001:5001 "$home/alice"; chown -R 5002:5002 "$home/bob"
cat >"$T_TMP/passwd" <<P
alice:x:5001:5001:Alice:$home/alice:/bin/sh
bob:x:5002:5002:Bob:$home/bob:/bin/bash
carol:x:5003:5003:Carol:$home/carol:/bin/sh
daemon2:x:120:120::$home:/usr/sbin/nologin
P
printf 'alice:x:5001:\nbob:x:5002:\ncarol:x:5003:\n' >"$T_TMP/group"
LD_PRELOAD=$NSSW NSS_WRAPPER_PASSWD=$T_TMP/passwd NSS_WRAPPER_GROUP=$T_TMP/group
RELAYGATE_PASSWORDS=$T_TMP/pw/passwords.db RELAYGATE_FAIL_DELAY_MS=0
export LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP RELAYGATE_PASSWORDS RELAYGATE_FAIL_DELAY_MS
mkdir -p "$T_TMP/pw"
relaygate passwd --init
echo tanstaaf | relaygate passwd --stdin alice
echo 'carol secret' | relaygate passwd --stdin carol
echo 'daemon-pw' | relaygate passwd --stdin daemon2

TS='<1896.697170952@dbc.mtview.ca.us>'
RFC=c4c9334bac560ecc979e58001b3e22fb
show='echo "USER=$USER HOME=$HOME SHELL=$SHELL EXT=${EXT-unset} uid=$(id -u) gid=$(id -g) cwd=$(pwd)"'
login() {	# login USER PASS [TIMESTAMP] -- run checkpw with that input on fd 3
	local u=$1 p=$2 t=${3-}
	shift 3 2>/dev/null || shift $#
	run bash -c 'printf "%s\0%s\0%s\0" "$1" "$2" "$3" | relaygate-checkpw sh -c "$4" 3<&0' sh "$u" "$p" "$t" "$show"
}

# --- APOP, with RFC 1939's example timestamp and secret ---
login alice $RFC "$TS"
is "$RC" 0 "APOP with RFC 1939's digest: 0"
is "$OUT" "USER=alice HOME=$home/alice SHELL=/bin/sh EXT=unset uid=5001 gid=5001 cwd=$home/alice" "USER, HOME, SHELL set; uid, gid and directory the user's"
login alice c4c9334bac560ecc979e58001b3e22fc "$TS"
is "$RC" 1 "APOP with a wrong digest: 1"
is "$ERR" "relaygate-checkpw: bad login from -: wrong APOP digest for alice" "and one log line naming the wrong digest (not \"APOP only\")"
login alice $RFC '<1896.697170953@dbc.mtview.ca.us>'
is "$RC" 1 "the right digest for another timestamp: 1"

# --- USER/PASS, and apop_only (qpopper's rule) ---
login alice tanstaaf "$TS"
is "$RC:$ERR" "1:relaygate-checkpw: bad login from -: alice has an APOP secret: APOP only" "apop_only (default): a user with a secret cannot USER/PASS"
# Under Dovecot, IMAP has no APOP: apop_only is POP3's policy alone.
AUTH_USER=alice SERVICE=imap login alice tanstaaf ""
is "$RC" 0 "apop_only under Dovecot: an IMAP login (SERVICE=imap) with the secret logs in"
AUTH_USER=alice SERVICE=pop3 login alice tanstaaf ""
is "$RC:$ERR" "1:relaygate-checkpw: bad login from -: alice has an APOP secret: APOP only" "and a POP3 one (SERVICE=pop3) is still APOP only"
RELAYGATE_APOP_ONLY=no login alice tanstaaf "$TS"
is "$RC" 0 "apop_only=no: the right USER/PASS logs in"
RELAYGATE_APOP_ONLY=no login alice tanstaafl "$TS"
is "$RC" 1 "apop_only=no: a wrong password does not"
RELAYGATE_APOP_ONLY=no login alice tanstaa "$TS"
is "$RC" 1 "nor a prefix of the right one"
RELAYGATE_APOP_ONLY=no login alice "" ""
is "$RC" 1 "nor an empty one"
RELAYGATE_APOP_ONLY=no login carol 'carol secret'
is "$RC:$(printf '%s' "$OUT" | cut -d' ' -f1)" "0:USER=carol" "USER/PASS without a timestamp field (two fields only)"

# --- plain_networks: USER/PASS only from listed networks, APOP from anywhere ---
export RELAYGATE_APOP_ONLY=no RELAYGATE_PLAIN_NETWORKS="127.0.0.0/8, 2001:db8::/32"
TCPREMOTEIP=192.0.2.9 login alice tanstaaf "$TS"
is "$RC:$ERR" "1:relaygate-checkpw: bad login from 192.0.2.9: USER/PASS not allowed from 192.0.2.9 (plain_networks)" "plain_networks: USER/PASS from outside is refused"
TCPREMOTEIP=127.0.0.5 login alice tanstaaf "$TS"
is "$RC" 0 "plain_networks: USER/PASS from inside logs in"
TCPREMOTEIP=2001:db8::77 login alice tanstaaf "$TS"
is "$RC" 0 "plain_networks: an IPv6 network"
TCPREMOTEIP=192.0.2.9 login alice $RFC "$TS"
is "$RC" 0 "plain_networks: APOP from outside logs in"
unset RELAYGATE_PLAIN_NETWORKS
RELAYGATE_PLAIN_NETWORKS="10.0.0.0/33" TCPREMOTEIP=10.0.0.1 login alice tanstaaf "$TS"
is "$RC:$ERR" "111:relaygate-checkpw: RELAYGATE_PLAIN_NETWORKS: bad network \"10.0.0.0/33\": prefix length 0 to 32" "a bad plain_networks is a temporary failure (111), named with where it came from"

# --- accounts ---
login nobody-here x "$TS"
is "$RC" 1 "unknown user: 1"
login daemon2 daemon-pw ""
like "$RC:$ERR" "^1:.*daemon2 is a system account \(uid 120 < 1000\)" "uid below min_uid: refused"
RELAYGATE_MIN_UID=100 login daemon2 daemon-pw ""
is "$RC" 0 "min_uid=100: the same account logs in"

# --- user-ext ---
login alice-lists tanstaaf ""
is "$RC" 0 "user-ext: authenticates user"
like "$OUT" "^USER=alice .*EXT=lists " "and exports USER=user, EXT=ext"
RELAYGATE_EXT_SEPARATOR= login alice-lists tanstaaf ""
is "$RC" 1 "ext_separator empty: no user-ext logins"

# --- checkpw's ~/Maildir/.password ---
printf 'bob-pw\n' >"$home/bob/Maildir/.password"; chown 5002 "$home/bob/Maildir/.password"; chmod 600 "$home/bob/Maildir/.password"
login bob bob-pw ""
is "$RC" 1 "dotpassword=no (default): ~/Maildir/.password is not read"
RELAYGATE_DOTPASSWORD=yes login bob bob-pw ""
is "$RC" 0 "dotpassword=yes: ~/Maildir/.password logs bob in"
RELAYGATE_DOTPASSWORD=yes login bob "$(printf 'bob-pw' | md5sum | cut -c1-32)" "" 
is "$RC" 1 "(a 32-hex password without a timestamp is just a wrong password)"
chmod 640 "$home/bob/Maildir/.password"
RELAYGATE_DOTPASSWORD=yes login bob bob-pw ""
like "$RC:$ERR" "^1:.*\.password is readable by others or not the user's; refused" "a group-readable .password is refused"
chmod 600 "$home/bob/Maildir/.password"

# --- misuse: 2 ---
run bash -c 'printf "alice\0tanstaaf" | relaygate-checkpw true 3<&0'
is "$RC:$ERR" "2:relaygate-checkpw: bad input on fd 3: missing NUL after a field" "missing NUL after the password: 2"
run bash -c 'printf "alice" | relaygate-checkpw true 3<&0'
is "$RC" 2 "truncated input (no NUL at all): 2"
run bash -c ': | relaygate-checkpw true 3<&0'
is "$RC:$ERR" "2:relaygate-checkpw: bad input on fd 3: no input" "empty input: 2"
run bash -c 'head -c 513 /dev/zero | tr "\0" a | relaygate-checkpw true 3<&0'
is "$RC:$ERR" "2:relaygate-checkpw: bad input on fd 3: input longer than 512 bytes" "oversized input: 2"
run bash -c '{ printf "alice\0"; head -c 600 /dev/zero | tr "\0" x; printf "\0\0"; } | relaygate-checkpw true 3<&0'
is "$RC" 2 "oversized password: 2"
run relaygate-checkpw true
like "$RC:$ERR" "^2:relaygate-checkpw: read fd 3: Bad file descriptor" "no fd 3: 2"
run relaygate-checkpw
is "$RC" 2 "no program: 2"

# --- temporary failures: 111 ---
RELAYGATE_PASSWORDS=$T_TMP/none.db login alice $RFC "$TS"
is "$RC:$ERR" "111:relaygate-checkpw: open $T_TMP/none.db: No such file or directory" "no password store: 111, naming it"
run bash -c 'printf "alice\0%s\0%s\0" '$RFC' "'"$TS"'" | relaygate-checkpw /nonexistent/pop3d 3<&0'
is "$RC" 111 "a program that cannot be executed: 111"

# --- a failed login waits ---
start=$(date +%s%N)
RELAYGATE_FAIL_DELAY_MS=400 login alice wrong "$TS"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
ok "a failed login pauses fail_delay_ms before answering (${ms} ms)" eval '[ "$RC" = 1 ] && [ "$ms" -ge 400 ]'

# --- Dovecot's look-up mode: the secret for its own APOP check ---
run bash -c 'printf "alice\0\0" | AUTHORIZED=1 CREDENTIALS_LOOKUP=1 AUTH_MECH=APOP relaygate-checkpw sh -c "echo \$AUTHORIZED \$PASSWORD \$EXTRA \$userdb_uid" 3<&0'
is "$RC:$OUT" "0:2 tanstaaf userdb_uid userdb_gid PASSWORD 5001" "Dovecot look-up: PASSWORD, userdb ids named in EXTRA, AUTHORIZED=2"
run bash -c 'printf "nobody-here\0\0" | AUTHORIZED=1 CREDENTIALS_LOOKUP=1 relaygate-checkpw true 3<&0'
is "$RC" 3 "Dovecot look-up of an unknown user: 3"

# --- no secret in any message ---
leaked=0
for secret in tanstaaf 'carol secret' daemon-pw bob-pw; do
	for u in alice carol daemon2 bob; do
		RELAYGATE_DOTPASSWORD=yes login $u "not-$secret" "$TS"
		case "$ERR$OUT" in *"$secret"*) leaked=1 ;; esac
	done
done
is "$leaked" 0 "no error message holds a secret"
done_testing
