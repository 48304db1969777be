# postfix.sh: a Postfix instance of a test's own, in a directory DIR with
# DIR/conf and DIR/queue made, answering on loopback only and discarding
# every mail, its log in DIR.  Source after lib.sh.
#   postfix_main DIR INTERFACES PROTOCOLS   the main.cf lines every test
#                                           shares, to standard output
#   postfix_master PORT ADDR...             master.cf: smtpd on ADDR:PORT for
#                                           each ADDR, and what it needs
#   postfix_start DIR TENTHS                start it and wait at most TENTHS
#                                           tenths of a second for its
#                                           master: its pid, or "" when it
#                                           did not come up
# A test writes DIR/conf/main.cf and master.cf from these and its own lines
# (its access map), and stops the master by its pid (stop_pid).

postfix_main() {
	cat <<CF
compatibility_level = 3.6
queue_directory = $1/queue
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
myhostname = relaygate.test
mydestination =
mynetworks =
inet_interfaces = $2
inet_protocols = $3
default_transport = discard:
relay_transport = discard:
maillog_file = $1/maillog
maillog_file_prefixes = $1
alias_maps =
alias_database =
local_recipient_maps =
CF
}

postfix_master() {
	local port=$1 a
	shift
	for a in "$@"; do
		echo "$a:$port inet n - n - - smtpd"
	done
	cat <<CF
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
}

postfix_start() {
	local i=0
	postfix -c "$1/conf" start >/dev/null 2>&1
	while [ ! -s "$1/queue/pid/master.pid" ] && [ $i -lt "$2" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	tr -d ' ' <"$1/queue/pid/master.pid" 2>/dev/null
}
