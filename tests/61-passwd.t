#!/bin/bash
# relaygate passwd: the password store made 0600, set, listed (names only),
# deleted; a store others can read is refused; no secret in any output.
. "$(dirname "$0")/lib.sh"
plan 22

RELAYGATE_PASSWORDS=$T_TMP/pw/passwords.db
export RELAYGATE_PASSWORDS
mkdir -p "$T_TMP/pw"

run relaygate passwd --list
is "$RC:$ERR" "111:relaygate passwd: open $RELAYGATE_PASSWORDS: No such file or directory" "list before --init: 111, naming the file"
run relaygate passwd --init
is "$RC:$OUT:$ERR" "0::" "--init: 0, silent"
is "$(stat -c %a "$RELAYGATE_PASSWORDS")" 600 "the store is made mode 0600"
run relaygate passwd --init
is "$RC:$ERR" "1:relaygate passwd: $RELAYGATE_PASSWORDS exists already; nothing done" "--init again refuses to wipe it (1)"

run bash -c 'echo "Tr0ub4dor&3" | relaygate passwd --stdin alice'
is "$RC:$OUT:$ERR" "0::" "--stdin USER: one line from standard input"
printf 'second\r\n' | relaygate passwd --stdin bob
run relaygate passwd --list
is "$RC:$OUT" "0:alice
bob" "--list: names only, in order"
run bash -c ': | relaygate passwd --stdin carol'
is "$RC" 2 "--stdin with nothing: 2"
run bash -c 'head -c 300 /dev/zero | tr "\0" x | relaygate passwd --stdin carol'
is "$RC:$ERR" "2:relaygate passwd: a password is 1 to 255 bytes" "a password longer than 255 bytes: 2"
run bash -c 'printf "a\tb\n" | relaygate passwd --stdin carol'
is "$RC:$ERR" "2:relaygate passwd: a password may not hold control characters" "control characters: 2"
run bash -c 'echo x | relaygate passwd --stdin "bad user"'
like "$RC:$ERR" "^2:relaygate passwd: user name bad user: no spaces" "a bad user name: 2"
run relaygate passwd --stdin
is "$RC" 2 "no user: usage (2)"
run relaygate passwd alice Tr0ub4dor
is "$RC" 2 "a password on the command line is not taken (2)"

# The terminal: asked twice, without echo; a mismatch changes nothing.
pty=$(dirname "$0")/pty-answer
run "$pty" "New POP password: " first1 "Again: " first1 -- relaygate passwd carol
is "$RC" 0 "on a terminal: asked twice"
unlike "$OUT" first1 "without echo (the terminal showed: $(printf '%s' "$OUT" | tr -d '\r\n'))"
run "$pty" "New POP password: " one "Again: " two -- relaygate passwd dave
like "$RC:$(printf '%s' "$OUT" | tr -d '\r\n')" "^2:.*the two did not match; nothing changed" "a mismatch: 2, nothing changed"
is "$(relaygate passwd --list | tr '\n' ' ')" "alice bob carol " "dave was not added"

run relaygate passwd --delete bob
is "$RC:$OUT:$ERR" "0::" "--delete: 0"
run relaygate passwd --delete bob
is "$RC:$ERR" "1:relaygate passwd: bob has no POP password" "--delete again: 1"

# A store others may read is refused, by passwd and by the checker.
chmod 644 "$RELAYGATE_PASSWORDS"
run relaygate passwd --list
is "$RC:$ERR" "111:relaygate passwd: $RELAYGATE_PASSWORDS is open to other users (mode 0644); refusing to use it: chmod g-w,o-rwx $RELAYGATE_PASSWORDS" "a world-readable store: refused (111) with the fix in the message"
run bash -c 'printf "nobody\0Tr0ub4dor&3\0\0" | RELAYGATE_MIN_UID=0 relaygate-checkpw true 3<&0'
like "$RC:$ERR" "^111:relaygate-checkpw: .* is open to other users \(mode 0644\)" "relaygate-checkpw refuses it too (111)"
chmod 600 "$RELAYGATE_PASSWORDS"

# No secret in anything printed, on any path.
out=$( {
	relaygate passwd --list
	echo 'Tr0ub4dor&3' | relaygate passwd --stdin 'x y'
	printf 'Tr0ub4dor&3\tz\n' | relaygate passwd --stdin alice
	chmod 604 "$RELAYGATE_PASSWORDS"; echo 'Tr0ub4dor&3' | relaygate passwd --stdin alice; chmod 600 "$RELAYGATE_PASSWORDS"
	RELAYGATE_PASSWORDS=/nonexistent/x.db relaygate passwd --stdin alice <<<'Tr0ub4dor&3'
} 2>&1)
unlike "$out" 'Tr0ub4dor' "no output or error message holds a secret"
ok "and no journal is left behind holding one" not grep -qsF 'Tr0ub4dor' "$RELAYGATE_PASSWORDS.journal"
done_testing
