#!/bin/bash
# Two re6stnet nodes on one LAN segment (-i lan0) of a network without babel
# HMAC key, in network namespaces (the testbed of test/node; no WireGuard
# needed: they route over the LAN alone), through the registry's updateHMAC
# "init" step under a ping flow (every 0.2 s) from node 2 to node 1:
#   - before: no key, the two are babel neighbours on lan0
#   - the step: both sign with the key and accept unsigned packets
#     (babeld.keys: "interface lan0 key sign accept-bad-signatures true")
#   - after: still neighbours, node 1's prefix still routed over lan0
#   - the ping flow lost nothing (each request numbered: answered or not)
# Needs root (exit 77 otherwise). Usage: test-lan-hmac.sh BUILD_ROOT SOURCE_ROOT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 not installed"; exit 77; }
export RE6ST_BUILD_ROOT=$1
cd "$2" || exit 1
N=2
. test/node/testbed.sh
. test/node/checks.sh
{ # parsed whole before it runs
dump() {
	local i
	for i in 1 2; do
		echo "----- node $i"
		ctl "$i" routes 2>&1 | sed 's/^/  /'
		grep -v value "$TB_DIR/n$i/state/babeld.keys" 2>&1 | sed 's/^/  keys: /'
		grep -E 'HMAC|babeld' "$TB_DIR/n$i/log/re6stnet.log" | tail -n 6 | sed 's/^/  log: /'
		sort "$TB_DIR/n$i/log/babeld.log" 2>/dev/null | uniq -c | sort -rn | head -n 4 | sed 's/^/  babeld.log: /'
	done
}
lan_neighbour() { # I: does node I have a babel neighbour on lan0?
	ctl "$1" --json routes 2>/dev/null | jq -e '[.neighbours[] | select(.interface == "lan0")] | length == 1' >/dev/null
}
tcheck() { # MSG CMD...
	local msg=$1
	shift
	if "$@"; then ok "$msg"; else
		TC_FAILED=$((TC_FAILED + 1)); echo "FAILED: $msg"; dump
	fi
}
keyed() { grep -qx 'interface lan0 key sign accept-bad-signatures true' "$TB_DIR/n$1/state/babeld.keys" 2>/dev/null; }

tb_init "$(mktemp -d /tmp/re6st-lanhmac.XXXXXX)" || exit 1
tb_underlay 2 || exit 1
ip -n r6-sw link add br1 type bridge
ip -n r6-sw link set br1 up
for i in 1 2; do
	ip link add "l-n$i" type veth peer name lan0 netns "r6-n$i"
	ip link set "l-n$i" netns r6-sw
	ip -n r6-sw link set "l-n$i" master br1 up
	nsx "r6-n$i" sysctl -qw net.ipv6.conf.lan0.disable_ipv6=0 net.ipv6.conf.lan0.accept_dad=0
	ip -n "r6-n$i" link set lan0 up
done
# A network from before babel HMAC: none of the registry's key slots.
tb_registry_start || exit 1
tb_registry_stop
sqlite3 "$TB_DIR/registry/registry.db" "DELETE FROM config WHERE name LIKE 'babel_hmac%'" || exit 1
tb_registry_start || exit 1
tb_node_add 1 -i lan0
tb_node_add 2 -i lan0
nodes_index
if wait_mesh 60 1 2; then ok "the two nodes reach each other over the LAN"
else TC_FAILED=$((TC_FAILED + 1)); echo "FAILED: no route over the LAN within 60 s"; dump; exit 1; fi
tcheck "no key: neither node signs" eval '! grep -q "key sign" "$TB_DIR"/n[12]/state/babeld.keys'
tcheck "no key: getHMAC's answer taken (no 'malformed answer')" \
	eval '! grep -q "getHMAC: malformed answer" "$TB_DIR"/n[12]/log/re6stnet.log'
tcheck "before: each is the other's neighbour on lan0" eval 'lan_neighbour 1 && lan_neighbour 2'

nsx r6-n2 ping -6 -n -O -i 0.2 -W 2 "$(node_addr 1)" >"$TB_DIR/ping.out" 2>&1 &
pingpid=$!
sleep 3
step=$(tb_rpc updateHMAC)
tcheck "updateHMAC answered 'init' ($step)" [ "$step" = init ]
kill -HUP "$(cat "$TB_DIR/n1/pid")" "$(cat "$TB_DIR/n2/pid")"
for _ in $(seq 50); do keyed 1 && keyed 2 && break; sleep 0.2; done
tcheck "init: both sign and accept unsigned packets on lan0" eval 'keyed 1 && keyed 2'
sleep 25
kill "$pingpid"
wait "$pingpid" 2>/dev/null
tcheck "after: each is still the other's neighbour on lan0" eval 'lan_neighbour 1 && lan_neighbour 2'
tcheck "after: node 1's prefix routed over lan0 at node 2" \
	eval 'nsx r6-n2 ip -6 route get "$(node_addr 1)" | grep -q " dev lan0 "'
stats=$(awk '{ for (k = 1; k <= NF; k++) if ($k ~ /^icmp_seq=/) { q = substr($k, 10) + 0; if (q > max) max = q
	if (/bytes from/) { if (!(q in got)) { got[q] = 1; n++ } } else miss[q] = 1 } }
	END { l = ""; for (q in miss) if (!(q in got)) l = l " " q; print max + 0, n + 0 l }' "$TB_DIR/ping.out")
set -- $stats
sent=$1 recv=$2
shift 2
echo "ping flow 2 -> 1 across the step: $sent sent, $recv answered, unanswered: ${*:-none}"
tcheck "the ping flow across the step lost nothing ($recv of $sent answered)" \
	eval '[ "$sent" -gt 100 ] && [ "$sent" = "$recv" ]'
tc_summary
}
