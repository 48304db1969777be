#!/bin/sh
# relaygate rules: a drop-in for tcprules, byte for byte, and safer.
. "$(dirname "$0")/lib.sh"
corpus=$(cd "$(dirname "$0")/rules-corpus" && pwd)
nfiles=$(ls "$corpus"/*.rules | wc -l)
plan 35

RELAYGATE_RULES=$T_TMP/tcp.smtp
RELAYGATE_RULES_CDB=$T_TMP/tcp.smtp.cdb
export RELAYGATE_RULES RELAYGATE_RULES_CDB

# --- the corpus: relaygate and the real tcprules write the same bytes ---
same=0; differ=
for f in "$corpus"/*.rules; do
	tcprules "$T_TMP/ref.cdb" "$T_TMP/ref.tmp" <"$f"
	RELAYGATE_RULES=$f relaygate rules compile && cmp -s "$T_TMP/ref.cdb" "$RELAYGATE_RULES_CDB" &&
	    same=$((same + 1)) || differ="$differ $(basename "$f")"
done
ok "a corpus of at least 40 rules files ($nfiles)" [ "$nfiles" -ge 40 ]
is "$same${differ:+ (differ:$differ)}" "$nfiles" "every corpus file compiles to the cdb tcprules writes, byte for byte"

# --- the IPv6 variant's files too, against its own tcprules ---
v6=$RELAYGATE_PEERS/ucspi-tcp-ipv6/usr/bin
if [ -x "$v6/tcprules" ]; then
	printf '2001:db8::1:allow,RELAYCLIENT=""\n2001:db8:0:1::5:deny\n2001:db8:1::allow,P="prefix"\n::ffff:127.0.0.2:allow\n127.:allow\n:allow\n' >"$T_TMP/v6.rules"
	"$v6/tcprules" "$T_TMP/ref6.cdb" "$T_TMP/ref6.tmp" <"$T_TMP/v6.rules"
	RELAYGATE_RULES=$T_TMP/v6.rules relaygate rules compile
	ok "IPv6 rules compile as the IPv6 variant's tcprules writes them" cmp -s "$T_TMP/ref6.cdb" "$RELAYGATE_RULES_CDB"
else
	skip "the IPv6 variant of ucspi-tcp is not unpacked (tools/deps test)"
fi

# --- a rules file of our own to edit ---
cat >"$RELAYGATE_RULES" <<'R'
# tcp.smtp for mail.example.org
127.0.0.1:allow,RELAYCLIENT=""

# the office
192.168.1.:allow,RELAYCLIENT=""
:allow
R
run relaygate rules compile
is "$RC:$OUT:$ERR" "0::" "compile: silent, 0"
run relaygate rules list
is "$OUT" "1	127.0.0.1:allow,RELAYCLIENT=\"\"
2	192.168.1.:allow,RELAYCLIENT=\"\"
3	:allow" "list: the rules, numbered, comments left out"
run relaygate rules add '10.0.0.1-3:deny' --before 3
is "$RC" 0 "add --before"
run relaygate rules check 10.0.0.2
is "$RC:$OUT" "1:rule 10.0.0.2:
deny connection" "the added rule is compiled at once (check: 1 for deny)"
relaygate rules move 3 1
relaygate rules delete 2
is "$(cat "$RELAYGATE_RULES")" "# tcp.smtp for mail.example.org
10.0.0.1-3:deny

# the office
192.168.1.:allow,RELAYCLIENT=\"\"
:allow" "move and delete keep the comments and blank lines where they were"
tcprules "$T_TMP/ref.cdb" "$T_TMP/ref.tmp" <"$RELAYGATE_RULES"
ok "after the edits, the cdb is still what tcprules writes for the text" cmp -s "$T_TMP/ref.cdb" "$RELAYGATE_RULES_CDB"
run relaygate rules add 'garbage'
like "$RC:$ERR" "^2:relaygate rules: no ':' in \"garbage\"" "add refuses a bad rule (2)"
run relaygate rules add '1.2.3.4:allow' --before 9
is "$RC:$ERR" "2:relaygate rules: no rule 9: there are 3" "add --before a rule that does not exist (2)"
run relaygate rules delete 0
is "$RC" 2 "delete 0: usage (2)"
run relaygate rules move 1 7
is "$RC:$ERR" "2:relaygate rules: no rule 7: there are 3" "move past the end (2)"

# --- broken files: line-numbered errors, the old cdb untouched ---
cp "$RELAYGATE_RULES_CDB" "$T_TMP/good.cdb"
cp "$RELAYGATE_RULES" "$T_TMP/good.rules"
broken() {	# broken NAME TEXT EXPECTED-ERROR
	printf '%s' "$2" >"$RELAYGATE_RULES"
	run relaygate rules compile
	like "$RC:$ERR" "$3" "$1: line-numbered error, status 2"
	ok "$1: the old cdb is untouched" cmp -s "$T_TMP/good.cdb" "$RELAYGATE_RULES_CDB"
}
broken "bad range" '127.0.0.1:allow
10.0.0.a-5:deny
' '^2:relaygate: .*tcp.smtp line 2: bad range "a-5"'
broken "empty range" '10.0.0.9-5:deny
' '^2:relaygate: .*tcp.smtp line 1: empty range "9-5"'
broken "unterminated quote" '# ok

1.2.3.4:allow,RELAYCLIENT="
' '^2:relaygate: .*tcp.smtp line 3: unterminated quote: RELAYCLIENT="\.\.\. has no closing "'
broken "bad instruction" '1.2.3.4:permit
' '^2:relaygate: .*tcp.smtp line 1: bad instruction in "1.2.3.4:permit": expected :allow or :deny'
broken "line without a colon (tcprules would skip it silently)" '1.2.3.4 allow
' '^2:relaygate: .*tcp.smtp line 1: no '"':'"
broken "unquoted value" '1.2.3.4:allow,RELAYCLIENT=abc
' "^2:relaygate: .*tcp.smtp line 1: unterminated quote: RELAYCLIENT=a\.\.\. has no closing a"
printf '1.2.3.4:allo\n:allow\n5.6.7.8:deny,X\n' >"$RELAYGATE_RULES"
run relaygate rules compile
is "$(printf '%s\n' "$ERR" | grep -c 'line [13]:')" 2 "every bad line is reported, each with its number"
cp "$T_TMP/good.rules" "$RELAYGATE_RULES"

# --- edit: $EDITOR on a copy, validated, compiled ---
cat >"$T_TMP/ed-ok" <<'S'
#!/bin/sh
sed -i 's/^:allow$/:deny/' "$1"
S
cat >"$T_TMP/ed-bad" <<'S'
#!/bin/sh
echo '1.2.3.4:alow' >>"$1"
S
cat >"$T_TMP/ed-race" <<'S'
#!/bin/sh
relaygate rules add '203.0.113.1:deny' >/dev/null 2>&1   # another admin, meanwhile
echo '198.51.100.1:allow' >>"$1"
S
chmod +x "$T_TMP"/ed-*
run env EDITOR="$T_TMP/ed-ok" relaygate rules edit
is "$RC" 0 "edit: a valid change is saved"
is "$(tail -1 "$RELAYGATE_RULES")" ":deny" "and is in the file"
run relaygate rules check 8.8.8.8
is "$RC:$OUT" "1:rule :
deny connection" "and compiled"
cp "$RELAYGATE_RULES" "$T_TMP/before-edit"
run env TMPDIR="$T_TMP" EDITOR="$T_TMP/ed-bad" relaygate rules edit
like "$RC:$ERR" "^2:relaygate: $T_TMP/relaygate-rules\.[A-Za-z0-9]+ line 7: bad instruction" "edit: an invalid change is refused, with the line"
ok "and the file is unchanged" cmp -s "$T_TMP/before-edit" "$RELAYGATE_RULES"
run env TMPDIR="$T_TMP" VISUAL="$T_TMP/ed-race" EDITOR=false relaygate rules edit
like "$RC:$ERR" "^1:relaygate rules edit: .*tcp.smtp was changed by someone else meanwhile; nothing saved" "two admins: an edit made on a stale copy is refused (1)"
ok "and the other admin's change stands" eval 'grep -q "^203.0.113.1:deny$" "$RELAYGATE_RULES" && ! grep -q 198.51.100.1 "$RELAYGATE_RULES"'

# --- two admins adding at once: both changes are kept ---
adders=
for i in 1 2 3 4 5 6 7 8; do relaygate rules add "10.9.9.$i:deny" & adders="$adders $!"; done
for p in $adders; do wait_for $p 30; done
is "$(grep -c '^10\.9\.9\.[1-8]:deny$' "$RELAYGATE_RULES")" 8 "eight admins adding at once: every rule is kept"
tcprules "$T_TMP/ref.cdb" "$T_TMP/ref.tmp" <"$RELAYGATE_RULES"
ok "and the cdb matches the final text" cmp -s "$T_TMP/ref.cdb" "$RELAYGATE_RULES_CDB"
done_testing
