#!/bin/sh
# The helpers every test uses cannot pass by accident: ok runs a command
# (a bare number is no command), and in CI a skipped check is a failure.
. "$(dirname "$0")/lib.sh"
plan 8

lib=$(cd "$(dirname "$0")" && pwd)/lib.sh
# Run a little test script with lib.sh; its TAP lines in TAP, its status in ST.
tap() {
	TAP=$(env RELAYGATE_SKIPLOG= "$@" sh -c '. "$1"; shift; eval "$1"; done_testing' sh "$lib" "$SCRIPT" 2>"$T_TMP/tap.err")
	ST=$?
}

SCRIPT='ok "a bare zero" 0'
tap CI=
like "$TAP" "^not ok 1 - a bare zero" "ok 0 is not a pass: 0 is no command"
is "$ST" 1 "and the script fails"
SCRIPT='ok "true passes" true; ok "false fails" false'
tap CI=
is "$TAP" "ok 1 - true passes
not ok 2 - false fails
#   failed: false" "ok passes on a command that succeeds and fails on one that fails"
SCRIPT='ok "no command"'
tap CI=
like "$TAP" "^not ok 1 - no command" "ok with a name and nothing to run fails"
SCRIPT='skip "peer X not installed"; skip "peer X not installed"'
tap CI=
is "$TAP:$ST" "ok 1 # skip peer X not installed
ok 2 # skip peer X not installed:0" "outside CI a skip is a skip"
is "$(cat "$T_TMP/tap.err")" "# sh: 2 checks skipped: peer X not installed" "and the summary says how many and why"
tap CI=true
like "$TAP" "^not ok 1 - peer X not installed \(CI=true" "with CI=true a missing peer is a failure"
is "$ST" 1 "and the script fails"
done_testing
