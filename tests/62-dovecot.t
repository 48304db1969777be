#!/bin/bash
# A real POP3 server: our own Dovecot on loopback, passdb checkpassword
# running relaygate-checkpw chained through relaygate-allow; a real client
# (curl).  A good login leaves a grant for the client's address, a bad one
# none; APOP works too, its grant recorded by a post-login script.
. "$(dirname "$0")/lib.sh"
plan 12

NSSW=$(ls /usr/lib/*/libnss_wrapper.so 2>/dev/null | head -1)
if ! command -v dovecot >/dev/null || ! command -v curl >/dev/null || [ -z "$NSSW" ]; then
	for i in $(seq 12); do skip "dovecot, curl or libnss-wrapper not installed"; done
	done_testing
fi
D=$T_TMP/dovecot
mkdir -p "$D/mail/alice" "$D/mail/bob"
chmod 755 "$T_TMP" "$D" "$D/mail"
chown 5001:5001 "$D/mail/alice"; chown 5002:5002 "$D/mail/bob"
# Accounts: the system's, plus two test users and a store group only these
# processes see.
cp /etc/passwd "$D/passwd"; cp /etc/group "$D/group"
printf 'alice:x:5001:5001::%s:/bin/sh\nbob:x:5002:5002::%s:/bin/sh\n' "$D/mail/alice" "$D/mail/bob" >>"$D/passwd"
printf 'alice:x:5001:\nbob:x:5002:\nrgstore:x:5100:\n' >>"$D/group"
# The grants store, made as the docs say (relaygate init), of the group
# rgstore; the post-login script runs as the user, whose mail processes
# Dovecot gives that group (mail_access_groups): relaygate-security(7)'s
# "run the chain as a user that may write the store".
rm -rf "$RELAYGATE_DIR"
LD_PRELOAD=$NSSW NSS_WRAPPER_PASSWD=$D/passwd NSS_WRAPPER_GROUP=$D/group \
    RELAYGATE_USER=root RELAYGATE_GROUP=rgstore relaygate init >/dev/null
cat >"$D/relaygate.conf" <<C
dir = $RELAYGATE_DIR
passwords = $D/passwords.db
fail_delay_ms = 0
apop_only = no
sync = no
C
export RELAYGATE_CONF=$D/relaygate.conf
relaygate passwd --init
echo 'alice-pw' | relaygate passwd --stdin alice
echo 'bob-apop' | relaygate passwd --stdin bob
chmod 600 "$D/passwords.db"

# (script-login passes no environment on: name the test's configuration.)
cat >"$D/postlogin" <<S
#!/bin/sh
ASAN_OPTIONS=${ASAN_OPTIONS-} RELAYGATE_CONF=$D/relaygate.conf exec $RELAYGATE_BUILD/relaygate-allow -p pop3-postlogin "\$@"
S
chmod 755 "$D/postlogin"
port=$(free_port)
cat >"$D/dovecot.conf" <<C
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login apop
auth_failure_delay = 0
mail_location = maildir:$D/mail/%u
mail_access_groups = rgstore
first_valid_uid = 1000
# No address-space limit: a checker built with ASan (make check-asan) maps
# terabytes of shadow memory it never touches.
default_vsz_limit = 0
import_environment = LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP RELAYGATE_CONF TZ ASAN_OPTIONS UBSAN_OPTIONS
passdb {
  driver = checkpassword
  args = $RELAYGATE_BUILD/relaygate-checkpw $RELAYGATE_BUILD/relaygate-allow
}
userdb {
  driver = prefetch
}
service auth {
  user = root
}
service pop3-login {
  inet_listener pop3 {
    port = $port
  }
}
service pop3 {
  executable = pop3 postlogin
}
service postlogin {
  executable = script-login $D/postlogin
  user = root
  unix_listener postlogin {
  }
}
C
export LD_PRELOAD=$NSSW NSS_WRAPPER_PASSWD=$D/passwd NSS_WRAPPER_GROUP=$D/group
dovecot -c "$D/dovecot.conf"
unset LD_PRELOAD
i=0; while [ ! -s "$D/run/master.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
master=$(cat "$D/run/master.pid" 2>/dev/null)
stop_dovecot() { stop_pid "$master"; master=; }
trap 'stop_dovecot; rm -rf "$T_TMP"' EXIT
ok "our own Dovecot runs on 127.0.0.1:$port (master $master)" eval '[ -n "$master" ] && kill -0 "$master"'

pop() {	# pop SOURCE USER PASS [curl options]: curl's exit status
	local src=$1 u=$2 p=$3
	shift 3
	curl -s --max-time 10 --interface "$src" -u "$u:$p" "$@" "pop3://127.0.0.1:$port/" >/dev/null 2>&1
	echo $?
}
granted() { relaygate list --all | awk -F'\t' -v a="$1" '$1 == a { print $3, $4 }'; }

is "$(pop 127.0.0.9 alice alice-pw)" 0 "USER/PASS with the right password: curl logs in"
# (The post-login script records the same address again afterwards; the
# chain's own record shows in the auth process's log.)
ok "relaygate-allow in the checkpassword chain recorded 127.0.0.9 for alice" grep -q 'auth: .*relaygate-allow: 127.0.0.9 may relay for 900s (user alice, pop3)' "$D/dovecot.log"
is "$(granted 127.0.0.9 | cut -d' ' -f1)" "alice" "and the store holds a grant for 127.0.0.9"
is "$(pop 127.0.0.10 alice wrong)" 67 "a wrong password: login denied (curl 67)"
is "$(granted 127.0.0.10)" "" "and no grant for 127.0.0.10"
is "$(pop 127.0.0.11 nosuchuser x)" 67 "an unknown user: login denied"
is "$(granted 127.0.0.11)" "" "and no grant"

is "$(pop 127.0.0.12 bob bob-apop --login-options 'AUTH=+APOP')" 0 "APOP with the right secret: curl logs in"
is "$(granted 127.0.0.12)" "bob pop3-postlogin" "and the post-login script recorded the grant (not the look-up)"
is "$(pop 127.0.0.13 bob wrong --login-options 'AUTH=+APOP')" 67 "APOP with a wrong secret: login denied"
is "$(granted 127.0.0.13)" "" "and no grant: the look-up before Dovecot's own check records nothing"
stop_dovecot
done_testing
