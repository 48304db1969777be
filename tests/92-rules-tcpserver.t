#!/bin/sh
# The real tcpserver -x with a cdb compiled by relaygate: RELAYCLIENT for
# an allowed address, nothing for another, and a refused one refused.
. "$(dirname "$0")/lib.sh"
plan 5

if ! command -v tcpserver >/dev/null || ! command -v tcpclient >/dev/null; then
	for i in 1 2 3 4 5; do skip "ucspi-tcp not installed"; done
	done_testing
fi
RELAYGATE_RULES=$T_TMP/tcp.smtp
RELAYGATE_RULES_CDB=$T_TMP/tcp.smtp.cdb
export RELAYGATE_RULES RELAYGATE_RULES_CDB
cat >"$RELAYGATE_RULES" <<'R'
127.0.0.1:allow,RELAYCLIENT=""
127.0.0.3:deny
:allow
R
relaygate rules compile

cat >"$T_TMP/show" <<'SH'
#!/bin/sh
echo "from=$TCPREMOTEIP relayclient=${RELAYCLIENT-unset}"
SH
chmod +x "$T_TMP/show"
port=$(free_port)
tcpserver -H -R -x "$RELAYGATE_RULES_CDB" 127.0.0.1 "$port" "$T_TMP/show" 2>/dev/null &
srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$T_TMP"' EXIT
i=0; while ! deadline 5 tcpclient -H -R 127.0.0.1 "$port" true 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
from() { deadline 10 tcpclient -H -R -i "$1" 127.0.0.1 "$port" sh -c 'cat <&6' 2>/dev/null; }

is "$(from 127.0.0.1)" "from=127.0.0.1 relayclient=" "tcpserver gives the allowed address RELAYCLIENT"
is "$(from 127.0.0.2)" "from=127.0.0.2 relayclient=unset" "and another address nothing"
is "$(from 127.0.0.3)" "" "and refuses the denied address"

# A change compiled by relaygate counts from the next connection.
relaygate rules add '127.0.0.2:allow,RELAYCLIENT="@hub"' --before 3
is "$(from 127.0.0.2)" "from=127.0.0.2 relayclient=@hub" "a rule added with relaygate rules add counts from the next connection"
relaygate rules delete 1
is "$(from 127.0.0.1)" "from=127.0.0.1 relayclient=unset" "and a deleted one stops counting"
kill $srv
done_testing
