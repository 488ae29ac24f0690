#!/bin/bash
# re6stnet's start-up, clean stop, kill -9 recovery and restart without the
# registry, for real: a registry and one node in network namespaces (the
# testbed of test/node), asserting on `ip`, babeld processes and re6stctl.
# Needs root (exit 77 otherwise). No WireGuard needed: a lone node makes no
# tunnel. Usage: test-node-lifecycle.sh BUILD_ROOT SOURCE_ROOT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
export RE6ST_BUILD_ROOT=$1
cd "$2" || exit 1
. test/node/testbed.sh
# The node runs with only the capabilities its unit leaves it
# (packaging/systemd/re6stnet.service, CapabilityBoundingSet): start-up,
# babeld and its restarts must work with them.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' packaging/systemd/re6stnet.service |
	tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_\(.*\)/+\1/p' | paste -sd, -)
[ -n "$caps" ] || { echo "no CapabilityBoundingSet in re6stnet.service"; exit 1; }
export TB_NODE_WRAP="setpriv --bounding-set=-all,$caps --inh-caps=-all"
pass=0 fail=0
check() { # DESCRIPTION CMD...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $d"
		tail -n 20 "$TB_DIR/n1/log/re6stnet.log" 2>/dev/null | sed 's/^/  log: /'
	fi
}
node_pid() { pgrep -f "daemon/re6stnet @$TB_DIR/n1/" | head -n1; }
babelds() { pgrep -f "babeld -I $TB_DIR/n1/run/babeld.pid" | wc -l; }
wait_up() { for _ in $(seq 50); do tb_ctl 1 help >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }
wait_gone() { for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done; return 1; }
has_addr() { tb_ns r6-n1 ip -6 addr show dev lo | grep -q "$ADDR/"; }
has_unreach() { tb_ns r6-n1 ip -6 route show | grep -q "^unreachable 2001:db8:42::/48"; }

tb_init "$(mktemp -d /tmp/re6st-lifecycle.XXXXXX)" || exit 1
tb_underlay 1 || exit 1
tb_registry_start || exit 1
TB_LOCATION=FR,EU tb_node_add 1
check "node answers re6stctl" wait_up
# No --country: the node takes the one the registry recorded (getCountry).
check "country from the registry" sh -c "$CTL -s $TB_DIR/n1/run/re6stnet.sock status | grep -q 'policy.country *FR'"
ADDR=$(tb_ctl 1 --json status | sed -n 's/.*"address": "\([^"]*\)".*/\1/p')
check "node address known ($ADDR)" test -n "$ADDR"
check "address on lo" has_addr
check "unreachable route for the network" has_unreach
check "one babeld" test "$(babelds)" = 1
check "babeld ready" sh -c "$CTL -s $TB_DIR/n1/run/re6stnet.sock status | grep -q 'babeld.ready *yes'"
check "control socket mode 0660" test "$(stat -c %a "$TB_DIR/n1/run/re6stnet.sock")" = 660
check "routes command" sh -c "$CTL -s $TB_DIR/n1/run/re6stnet.sock --json routes | grep -q '\"routes\"'"
# The tables' age is shown; a look has babeld's tables read every second
# for a while (a quiet node's are read every 10 s otherwise).
check "routes: tables under 1.5 s old 2 s after a first look" sh -c \
	"$CTL -s $TB_DIR/n1/run/re6stnet.sock routes | grep -q '^tables_age_ms: ' && sleep 2 &&
	 $CTL -s $TB_DIR/n1/run/re6stnet.sock --json routes | grep -qE '\"tables_age_ms\": ([0-9]{1,3}|1[0-4][0-9]{2})}'"

# One re6stnet per state directory: a second one on the same configuration
# exits 2 with a message, and the first keeps everything.
bpid() { pgrep -f "babeld -I $TB_DIR/n1/run/babeld.pid" | head -n1; }
b0=$(bpid) n0=$(node_pid)
ip netns exec r6-n1 "$NODE" @"$TB_DIR/n1/re6stnet.conf" -s "$TB_DIR/n1/state" -r "$TB_DIR/n1/run" \
	-l "$TB_DIR/n1/log" -v 3 --ip 198.18.0.11 >"$TB_DIR/second.out" 2>&1
rc=$?
check "second re6stnet exits 2 ($rc)" test "$rc" = 2
check "second re6stnet says why: $(cat "$TB_DIR/second.out")" \
	grep -q "another re6stnet (pid $n0) uses the state directory $TB_DIR/n1/state" "$TB_DIR/second.out"
check "first node still running" kill -0 "$n0"
check "first node keeps its address" has_addr
check "first node keeps its unreachable route" has_unreach
check "first node keeps its control socket" test -S "$TB_DIR/n1/run/re6stnet.sock"
check "first node still answers re6stctl" tb_ctl 1 help
check "same babeld ($b0 -> $(bpid))" test "$(bpid)" = "$b0"
check "no stale babeld stopped" sh -c "! grep -q 'stopping a stale babeld' '$TB_DIR/n1/log/re6stnet.log'"

# 16 clients holding the control socket open without a word do not lock
# re6stctl out (the oldest idle one makes room; idle ones go after 3 s).
/usr/bin/python3 -c '
import socket, sys, time
s = [socket.socket(socket.AF_UNIX) for _ in range(16)]
for c in s: c.connect(sys.argv[1])
time.sleep(8)' "$TB_DIR/n1/run/re6stnet.sock" &
idlers=$!
sleep 1
t0=$(date +%s%N)
check "re6stctl status with 16 idle clients" sh -c "$CTL -s $TB_DIR/n1/run/re6stnet.sock --json status | grep -q '\"version\"'"
ms=$((($(date +%s%N) - t0) / 1000000))
check "answered within 2 s ($ms ms)" test "$ms" -lt 2000
kill "$idlers" 2>/dev/null; wait "$idlers" 2>/dev/null

# Secrets: state directory 0700 although created 0755 (as systemd does),
# every secret file 0600, no key on babeld's command line.
mode() { stat -c %a "$1"; }
check "state directory 0700 ($(mode "$TB_DIR/n1/state"))" test "$(mode "$TB_DIR/n1/state")" = 700
for f in cache.db cache.db-wal cache.db-shm re6stnet.lock; do
	[ -e "$TB_DIR/n1/state/$f" ] || continue
	check "$f 0600 ($(mode "$TB_DIR/n1/state/$f"))" test "$(mode "$TB_DIR/n1/state/$f")" = 600
done
check "key file ($(ls "$TB_DIR/n1/state"))" test -f "$TB_DIR/n1/state/babeld.keys"
check "babeld.keys 0600" test "$(mode "$TB_DIR/n1/state/babeld.keys" 2>/dev/null)" = 600
no_key_in_argv() { # babeld's /proc/PID/cmdline holds no key statement nor key value
	cmd=$(tr '\0' ' ' </proc/"$(bpid)"/cmdline)
	case $cmd in *"key id"*) return 1 ;; esac
	for v in $(awk '/^key /{print $NF}' "$TB_DIR/n1/state/babeld.keys"); do
		case $cmd in *"$v"*) return 1 ;; esac
	done
	case $cmd in *"-c $TB_DIR/n1/state/babeld.keys"*) return 0 ;; esac
	return 1
}
check "no key material on babeld's command line" no_key_in_argv

# updateHMAC: the node fetches the new keys after the configuration change
# and gives them to the running babeld (over its socket, no restart).
b0=$(bpid)
state=$(tb_ns r6-reg curl -sS "http://127.0.0.1:$TB_REG_PORT/updateHMAC")
check "updateHMAC answered introduce ($state)" test "$state" = introduce
kill -HUP "$(node_pid)"
hmac_changed() { grep -q "babel HMAC keys changed" "$TB_DIR/n1/log/re6stnet.log"; }
check "node took the new HMAC keys" tb_wait_for 100 hmac_changed
check "the same babeld, given the keys live ($b0 -> $(bpid))" \
	sh -c "[ '$b0' = '$(bpid)' ] && grep -q 'given to the running babeld' '$TB_DIR/n1/log/re6stnet.log'"
check "key file (for babeld's next start) has the introduced key" grep -q "^key id accept type" "$TB_DIR/n1/state/babeld.keys"
check "babeld.keys still 0600" test "$(mode "$TB_DIR/n1/state/babeld.keys")" = 600
check "still no key material on babeld's command line" no_key_in_argv
check "one babeld after the HMAC change" test "$(babelds)" = 1
ids=$(grep -o "babeld ready (pid [0-9]*, router-id [0-9a-f:]*" "$TB_DIR/n1/log/re6stnet.log" |
	awk '{print $NF}' | tail -n 2 | sort -u | wc -l)
check "one router-id" test "$ids" = 1
check "babeld ready again" tb_wait_for 100 sh -c "$CTL -s $TB_DIR/n1/run/re6stnet.sock status | grep -q 'babeld.ready *yes'"

# Clean stop removes everything.
pid=$(node_pid)
kill -TERM "$pid"
check "stops on SIGTERM" wait_gone "$pid"
check "address removed" sh -c "! ip netns exec r6-n1 ip -6 addr show dev lo | grep -q '$ADDR/'"
check "unreachable route removed" sh -c "! ip netns exec r6-n1 ip -6 route | grep -q unreachable"
check "babeld stopped" test "$(babelds)" = 0
check "control socket removed" test ! -e "$TB_DIR/n1/run/re6stnet.sock"

# kill -9 leaves things behind; the next start removes them.
tb_node_add 1
check "restarted" wait_up
pid=$(node_pid)
kill -9 "$pid"
wait_gone "$pid"
check "leftover address after kill -9" has_addr
check "leftover babeld after kill -9" test "$(babelds)" = 1
# (the testbed's pid file holds its subshell's pid: find the registry's own)
reg=$(pgrep -f "re6st-registry --port $TB_REG_PORT .*--db $TB_DIR/registry/" | head -n1)
kill "$reg"; wait_gone "$reg"
chmod 0644 "$TB_DIR/n1/cert.key" # a careless copy: re6stnet makes it private again
tb_node_add 1
check "restarted without registry (cached config)" wait_up
check "one babeld after restart" test "$(babelds)" = 1
check "stale babeld stopped" grep -q "stopping a stale babeld" "$TB_DIR/n1/log/re6stnet.log"
check "leftovers removed" grep -q "left by a previous run" "$TB_DIR/n1/log/re6stnet.log"
check "cached network configuration used" grep -q "using the cached network configuration" "$TB_DIR/n1/log/re6stnet.log"
check "country from the cache without the registry" sh -c "$CTL -s $TB_DIR/n1/run/re6stnet.sock status | grep -q 'policy.country *FR'"
check "address back" has_addr
check "secret key made 0600 again ($(mode "$TB_DIR/n1/cert.key"))" test "$(mode "$TB_DIR/n1/cert.key")" = 600
# Started without the registry: the cached HMAC keys may be stale, so the
# registry link keeps asking getHMAC (with back-off) until it answers.
hmac_retry() {
	tb_ctl 1 --json registry | jq -e '.requests[] | select(.rpc == "getHMAC")
		| .failed >= 1 and (.state == "pending" or .next_in_ms != null)' >/dev/null
}
check "HMAC keys not confirmed: logged" grep -q "babel HMAC keys not received from the registry .*asking again later" "$TB_DIR/n1/log/re6stnet.log"
check "HMAC keys not confirmed: getHMAC retried" tb_wait_for 100 hmac_retry
# Its next try waits out a back-off of 15 s or more; with the registry
# back, the operator's SIGHUP asks at once.
hmac_backoff() {
	tb_ctl 1 --json registry | jq -e '.requests[] | select(.rpc == "getHMAC")
		| .state == "idle" and .next_in_ms > 8000' >/dev/null
}
hmac_ok() {
	tb_ctl 1 --json registry | jq -e '.requests[] | select(.rpc == "getHMAC") | .ok >= 1' >/dev/null
}
check "HMAC keys not confirmed: getHMAC waits out its back-off" tb_wait_for 100 hmac_backoff
tb_registry_start >/dev/null
kill -HUP "$(node_pid)"
check "registry back, SIGHUP: getHMAC answered at once" tb_wait_for 50 hmac_ok
pid=$(node_pid)
kill -TERM "$pid"
check "stops again" wait_gone "$pid"
check "nothing left" sh -c "! ip netns exec r6-n1 ip -6 route | grep -q 2001:db8:42"

# Bad configuration: exit 2 with a message naming the file and line.
printf 'registry http://x/\nclient-count lots\n' >"$TB_DIR/bad.conf"
"$NODE" @"$TB_DIR/bad.conf" >"$TB_DIR/bad.out" 2>&1
check "bad config exits 2" test $? = 2
check "error names file:line" grep -q "bad.conf:2: option --client-count" "$TB_DIR/bad.out"
"$NODE" @"$TB_DIR/n1/re6stnet.conf" --check >/dev/null 2>&1
check "--check accepts the real configuration" test $? = 0

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
