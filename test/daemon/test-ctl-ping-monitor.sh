#!/bin/bash
# re6stctl ping and monitor against real nodes: a registry and two re6stnet
# in network namespaces (the testbed of test/node) on an IPv6 underlay,
# with babel on the shared LAN (-i eth0), so that the nodes route to each
# other without a tunnel (no WireGuard needed). Checks:
#   - re6stctl ping gets replies from the other node over the overlay and
#     names the route: interface eth0, next hop, babel metric (text and
#     --json, parsed with python3's json); exit 1 without a route, 2 on bad
#     arguments;
#   - re6stctl monitor --json prints parseable events as the other node's
#     route appears (add) and disappears (its babeld stops);
#   - malformed ping/monitor requests sent raw on the socket get a clear
#     {"error": ...}, and a monitor connection outlives the idle time-out.
# Needs root (exit 77 otherwise).
# Usage: test-ctl-ping-monitor.sh BUILD_ROOT SOURCE_ROOT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
export RE6ST_BUILD_ROOT=$1
cd "$2" || exit 1
export TB_UNDERLAY=6
. test/node/testbed.sh
PY=/usr/bin/python3
pass=0 fail=0
check() { # DESCRIPTION CMD...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $d"
	fi
}
ready() { tb_ctl "$1" --json status 2>/dev/null | grep -q '"ready": true'; }
subnet() { sed -n 's/^Your subnet: \([^ ]*\) .*/\1/p' "$TB_DIR/n$1/conf.out"; }
# raw I LINE: send LINE on node I's control socket, print the answer line
raw() {
	tb_ns "r6-n$1" $PY - "$TB_DIR/n$1/run/re6stnet.sock" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
s.settimeout(5)
print(s.makefile().readline().strip())
EOF
}

tb_init "$(mktemp -d /tmp/re6st-pingmon.XXXXXX)" || exit 1
tb_underlay 2 || exit 1
tb_registry_start || exit 1
tb_node_add 1 -i eth0
check "node 1 up, babeld ready" tb_wait_for 200 ready 1
# Node 2 registers first (its prefix is known before it runs babel).
mkdir -p "$TB_DIR/n2"
tb_ns r6-n2 "$CONF" --registry "$TB_REG_URL" --anonymous -d "$TB_DIR/n2" \
	${TB_FP:+--fingerprint "$TB_FP"} >"$TB_DIR/n2/conf.out" 2>&1 || { cat "$TB_DIR/n2/conf.out"; exit 1; }
P2=$(subnet 2)
A2=$(tb_node_addr 2)
echo "node 2: $P2 ($A2)"

# --- monitor: node 2's route appears ------------------------------------------
MON=$TB_DIR/monitor.json
tb_ctl 1 --json monitor route neighbour >"$MON" 2>"$TB_DIR/monitor.err" &
MON_PID=$!
sleep 4 # past the control socket's 3 s idle time-out: a monitor stays
check "monitor still connected after the idle time-out" kill -0 $MON_PID
tb_node_add 2 -i eth0
check "node 2 up, babeld ready" tb_wait_for 200 ready 2
route_event() { # CHANGE-PYTHON-CONDITION
	$PY - "$MON" "$P2" "$1" <<'EOF'
import json, sys
ok = False
for line in open(sys.argv[1]):
    e = json.loads(line)            # every line parses
    assert isinstance(e["time"], float) and e["event"] in ("route", "neighbour"), e
    if e["event"] == "route" and e["prefix"] == sys.argv[2] and eval(sys.argv[3]):
        ok = True
sys.exit(0 if ok else 1)
EOF
}
check "monitor --json: route add for $P2 on eth0" \
	tb_wait_for 300 route_event 'e["change"] == "add" and e["interface"] == "eth0"'
check "monitor --json: a neighbour on eth0" grep -q '"event": "neighbour".*"interface": "eth0"' "$MON"
check "node 1 reaches node 2 (ping(8))" tb_wait_for 300 tb_reach 1 2

# --- ping ----------------------------------------------------------------------
tb_ctl 1 ping -c 3 -i 0.2 "$P2" >"$TB_DIR/ping.txt" 2>&1
rc=$?
cat "$TB_DIR/ping.txt"
check "ping $P2 exits 0 ($rc)" test $rc = 0
check "ping: replies from $A2" grep -q "^reply from $A2: seq=" "$TB_DIR/ping.txt"
check "ping: the route (dev eth0, metric)" grep -Eq "^route: $P2 via fe80::[0-9a-f:]+ dev eth0 metric [0-9]+ " "$TB_DIR/ping.txt"
check "ping: the summary" grep -Eq "3 sent, [1-3] received" "$TB_DIR/ping.txt"
tb_ctl 1 --json ping -c 2 -i 0.2 "$A2" >"$TB_DIR/ping.json" 2>&1
rc=$?
cat "$TB_DIR/ping.json"
check "ping --json by address exits 0 ($rc)" test $rc = 0
check "ping --json: parsed, replies, eth0, metric" $PY -c "
import json
d = json.load(open('$TB_DIR/ping.json'))
assert d['address'] == '$A2' and d['received'] >= 1 and d['sent'] == 2, d
r = d['route']
assert r['interface'] == 'eth0' and r['prefix'] == '$P2' and r['installed'], r
assert isinstance(r['metric'], int) and 0 < r['metric'] < 65535, r
assert d['neighbour']['cost'] > 0 and d['rtt_ms']['min'] <= d['rtt_ms']['max'], d
"
# The same over an ICMP datagram socket (allowed to group 0 here; above,
# the default range allows none: a raw socket).
tb_ns r6-n1 sysctl -qw net.ipv4.ping_group_range="0 0"
tb_ctl 1 ping -c 2 -i 0.2 "$P2" >"$TB_DIR/ping-dgram.txt" 2>&1
rc=$?
check "ping over an ICMP datagram socket: exit 0 ($rc), replies" \
	grep -q "^reply from $A2: seq=1" "$TB_DIR/ping-dgram.txt"
tb_ns r6-n1 sysctl -qw net.ipv4.ping_group_range="1 0"
tb_ctl 1 ping -c 1 -W 0.5 2001:db8:42:ffff::/64 >"$TB_DIR/ping-none.txt" 2>&1
rc=$?
check "ping without route: exit 1 ($rc)" test $rc = 1
check "ping without route: says so" grep -q "babel has no route" "$TB_DIR/ping-none.txt"
for bad in "" "zz" "2001:db8::1/64" "2001:db8::/48 2001:db8::/48" "-c 0 $P2" "-i x $P2"; do
	# shellcheck disable=SC2086 # the words are the arguments
	tb_ctl 1 ping $bad >/dev/null 2>"$TB_DIR/bad.err"
	rc=$?
	check "ping '$bad': exit 2 ($rc)" test $rc = 2
	check "ping '$bad': a message" test -s "$TB_DIR/bad.err"
done
tb_ctl 1 monitor bogus >/dev/null 2>&1
rc=$?
check "monitor bogus: exit 2 ($rc)" test $rc = 2

# --- hostile requests on the socket --------------------------------------------
for req in "ping" "ping 10.0.0.1" "ping 2001:db8::1 x" "ping 2001:db8::1/64" \
	"ping $(printf 'a%.0s' $(seq 200))" "monitor bogus" "monitor route " "monitor route,tunnel"; do
	ans=$(raw 1 "$req")
	check "'${req:0:40}': {\"error\": \"ping|monitor: ...\"} ($ans)" \
		$PY -c "import json, sys; e = json.loads(sys.argv[1])['error']; assert e.startswith(('ping:', 'monitor:')), e" "$ans"
done
ans=$(raw 1 "monitor tunnel revocation")
check "monitor tunnel revocation: accepted ($ans)" test "$ans" = '{"monitor": ["tunnel", "revocation"]}'

# --- monitor: node 2's route disappears ----------------------------------------
tb_node_stop 2
check "monitor --json: $P2 retracted or flushed" \
	tb_wait_for 300 route_event 'e["change"] == "flush" or e["metric"] == 65535'
# A monitor of routes has babeld's tables read every second: 20 s after
# node 2 went, the tables quiet, the first look finds them at most about
# a second old (the dumps' period doubles to 10 s without a monitor).
sleep 20
age=$(tb_ctl 1 --json routes | $PY -c "import json, sys; print(json.load(sys.stdin)['tables_age_ms'])")
echo "monitor of routes: tables $age ms old at a look after 20 s quiet"
check "monitor of routes: tables ${age} ms old after 20 s quiet (at most 1500)" \
	test "${age:-99999}" -le 1500
kill $MON_PID 2>/dev/null
wait $MON_PID 2>/dev/null
echo "monitor: $(wc -l <"$MON") events; last: $(tail -n 2 "$MON")"
check "monitor: every line parses" $PY -c "
import json
for l in open('$MON'): json.loads(l)
"
# Text form, bounded by --count.
tb_node_add 2 -i eth0
timeout 60 ip netns exec r6-n1 "$CTL" -s "$TB_DIR/n1/run/re6stnet.sock" monitor --count 1 route \
	>"$TB_DIR/monitor.txt" 2>&1
rc=$?
cat "$TB_DIR/monitor.txt"
check "monitor --count 1: exit 0 ($rc)" test $rc = 0
check "monitor text: time stamp, event, change" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z route (add|change|flush) prefix=' "$TB_DIR/monitor.txt"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ] || { tb_dump 1 2; exit 1; }
