#!/bin/bash
# bench-sync: what relaygate sync costs and gives (make bench runs it).
#  1. Propagation: 50 logins on host A (relaygate-allow), each timed until
#     relaygate check on host B says yes: median and p99.
#  2. relaygate-check per connection on B, against a bare exec (env true),
#     with no daemon, and with B's sync daemon running while A logs in
#     20 times a second.
# Goals (issue 15): under 1 s; the check's cost unchanged.  Figures, not
# assertions.  Needs root (PostgreSQL runs as postgres) and PostgreSQL 15.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"
exec 3>&1 >/dev/null
pg_have || { echo "bench-sync: PostgreSQL 15 is not installed (sh tools/deps test)" >&2; exit 1; }
pids=
trap 'for p in $pids; do stop_pid "$p"; done; pg_stop; rm -rf "$T_TMP"' EXIT
pg_setup || { echo "bench-sync: could not start PostgreSQL" >&2; exit 1; }
for h in a b; do
	pg_role "host$h" "pw-$h" relaygate_admin
	mkdir -p "$T_TMP/$h/store"
	printf 'dir = %s\nsync = no\npgsql = host=127.0.0.1 port=%s dbname=relaygate user=host%s password=pw-%s\nhost_name = host%s\n' \
	    "$T_TMP/$h/store" "$PG_PORT" "$h" "$h" "$h" >"$T_TMP/$h/conf"
done
unset RELAYGATE_DIR RELAYGATE_SYNC
for h in a b; do	# each store made as the docs say, owned by whoever runs this
	RELAYGATE_USER=$(id -un) RELAYGATE_GROUP=$(id -gn) RELAYGATE_CONF="$T_TMP/$h/conf" \
	    relaygate init >/dev/null || { echo "bench-sync: relaygate init failed" >&2; exit 1; }
done
env RELAYGATE_CONF="$T_TMP/a/conf" relaygate sync 2>"$T_TMP/a.log" & pids="$pids $!"

RELAYGATE_CONF_A=$T_TMP/a/conf RELAYGATE_CONF_B=$T_TMP/b/conf T="$T_TMP" python3 - >&3 <<'PY'
import os, subprocess, time, statistics
A, B, T = os.environ["RELAYGATE_CONF_A"], os.environ["RELAYGATE_CONF_B"], os.environ["T"]
env = dict(os.environ)
def on(conf, **kw):
    e = dict(env); e["RELAYGATE_CONF"] = conf; e.update(kw); return e
QUIET = [(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
         (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)]
def run(argv, e):
    pid = os.posix_spawnp(argv[0], argv, e, file_actions=QUIET)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
def wait_connected(conf, limit=10):
    t = time.time() + limit
    while time.time() < t:
        if run(["sh", "-c", "relaygate sync --status >/dev/null"], on(conf)) == 0: return True
        time.sleep(0.05)
    return False
def spawn_cost(argv, e, n):
    t0 = time.perf_counter()
    for _ in range(n): run(argv, e)
    return (time.perf_counter() - t0) / n
def costs(e):
    """Median per-exec seconds of env true and relaygate-check true, rounds interleaved."""
    b, c = [], []
    for _ in range(7):
        b.append(spawn_cost(["env", "true"], e, 100))
        c.append(spawn_cost(["relaygate-check", "true"], e, 100))
    return statistics.median(b), statistics.median(c)

# 2a. relaygate-check on B, no daemon (B's store holds A's first grants later; seed it now).
for i in range(200):
    run(["relaygate", "allow", "10.9.%d.%d" % (i // 250, i % 250), "--ttl", "3600"], on(B))
chk = on(B, TCPREMOTEIP="10.9.0.7")
base0, check0 = costs(chk)

bsync = subprocess.Popen(["relaygate", "sync"], env=on(B), stderr=open(T + "/b.log", "w"))
if not (wait_connected(A) and wait_connected(B)):
    print("bench-sync: the daemons did not connect"); bsync.terminate(); raise SystemExit(1)

# 1. Propagation A -> B.
delays = []
for i in range(50):
    addr = "192.0.2.%d" % (i + 1)
    t0 = time.perf_counter()
    run(["relaygate-allow", "-p", "pop3", "true"], on(A, TCPREMOTEIP=addr, USER="bench"))
    deadline = t0 + 5
    while run(["relaygate", "check", addr], on(B)) != 0 and time.perf_counter() < deadline:
        pass
    delays.append(time.perf_counter() - t0)
delays.sort()
med = statistics.median(delays); p99 = delays[min(len(delays) - 1, int(round(0.99 * len(delays))) - 1)]
print("sync: propagation A -> B, 50 logins: median %.1f ms, p99 %.1f ms, max %.1f ms (goal < 1000 ms)"
      % (med * 1e3, p99 * 1e3, delays[-1] * 1e3))

# 2b. relaygate-check on B with its daemon running, A logging in 20 times a second.
churn = subprocess.Popen(["sh", "-c", 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); '
    'TCPREMOTEIP=198.18.$((i / 250 % 250)).$((i % 250 + 1)) relaygate-allow -p pop3 true 2>/dev/null; sleep 0.05; done'],
    env=on(A))
time.sleep(0.5)
base1, check1 = costs(chk)
churn.terminate(); churn.wait()
bsync.terminate(); bsync.wait(timeout=10)
print("sync: relaygate-check per connection, median of 7x100: without sync %.3f ms (env %.3f ms, %.2fx);"
      % (check0 * 1e3, base0 * 1e3, check0 / base0))
print("sync:   with B's daemon running and 20 logins/s arriving from A %.3f ms (env %.3f ms, %.2fx)"
      % (check1 * 1e3, base1 * 1e3, check1 / base1))
PY
