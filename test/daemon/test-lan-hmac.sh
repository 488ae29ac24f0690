#!/bin/bash
# Two re6stnet nodes on one LAN segment (-i lan0) of a network without babel
# HMAC key, in network namespaces (the testbed of test/node; no WireGuard
# needed: they route over the LAN alone), through the registry's updateHMAC
# "init" step then its "drop" step, each under a ping flow (every 0.2 s)
# from node 2 to node 1:
#   - before: no key: each babeld signs with its node's own random
#     placeholder key and accepts unsigned packets (babeld.keys:
#     "interface lan0 key sign accept-bad-signatures true"); the two are
#     babel neighbours on lan0
#   - init: the network's key replaces the placeholder in the running
#     babeld (same pid, one "key" statement): both sign with the same key
#     and still accept unsigned packets; still neighbours, node 1's prefix
#     still routed over lan0; the ping flow lost nothing
#   - drop: unsigned packets refused ("interface lan0 key sign"), lan0
#     flushed and added again in the same babeld, its routes held in the
#     kernel until babeld has them back: still neighbours and routed over
#     lan0 afterwards; the ping flow lost nothing
#   - a rotation after it: introduce changes nothing in babeld; use (the
#     next key signs) under a ping flow: the same babelds, still
#     neighbours, the ping flow lost nothing
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
		nsx "r6-n$i" ip -6 route show proto babel 2>&1 | sed 's/^/  kernel: /'
		grep -v value "$TB_DIR/n$i/state/babeld.keys" 2>&1 | sed 's/^/  keys: /'
		grep -E 'HMAC|babeld' "$TB_DIR/n$i/log/re6stnet.log" | tail -n 6 | sed 's/^/  log: /'
		sort "$TB_DIR/n$i/log/babeld.log" 2>/dev/null | uniq -c | sort -rn | head -n 4 | sed 's/^/  babeld.log: /'
	done
}
lan_neighbour() { # I: does node I have a two-way babel neighbour (finite cost) on lan0?
	# (babeld 1.12 keeps a flushed interface's neighbour until it times out: not counted)
	ctl "$1" --json routes 2>/dev/null |
		jq -e '[.neighbours[] | select(.interface == "lan0" and .cost < 65535)] | length == 1' >/dev/null
}
tcheck() { # MSG CMD...
	local msg=$1
	shift
	if "$@"; then ok "$msg"; else
		TC_FAILED=$((TC_FAILED + 1)); echo "FAILED: $msg"; dump
	fi
}
keyed() { grep -qx 'interface lan0 key sign accept-bad-signatures true' "$TB_DIR/n$1/state/babeld.keys" 2>/dev/null; }
signing() { grep -qx 'interface lan0 key sign' "$TB_DIR/n$1/state/babeld.keys" 2>/dev/null; }
key_of() { sed -n 's/^key id sign .* value //p' "$TB_DIR/n$1/state/babeld.keys"; }
babeld_pid() { cat "$TB_DIR/n$1/run/babeld.pid"; }
ping_start() { # the flow 2 -> 1 into FILE
	nsx r6-n2 ping -6 -n -O -i 0.2 -W 2 "$(node_addr 1)" >"$1" 2>&1 &
	pingpid=$!
}
ping_stats() { # FILE: "SENT ANSWERED [UNANSWERED...]"
	awk '{ for (k = 1; k <= NF; k++) if ($k ~ /^icmp_seq=/) { q = substr($k, 10) + 0; if (q > max) max = q
		if (/bytes from/) { if (!(q in got)) { got[q] = 1; n++ } } else miss[q] = 1 } }
		END { l = ""; for (q in miss) if (!(q in got)) l = l " " q; print max + 0, n + 0 l }' "$1"
}

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
tcheck "no key: each signs with a placeholder and accepts unsigned packets" eval 'keyed 1 && keyed 2'
tcheck "no key: the placeholders differ (random, per node)" [ "$(key_of 1)" != "$(key_of 2)" ]
tcheck "no key: getHMAC's answer taken (no 'malformed answer')" \
	eval '! grep -q "getHMAC: malformed answer" "$TB_DIR"/n[12]/log/re6stnet.log'
tcheck "before: each is the other's neighbour on lan0" eval 'lan_neighbour 1 && lan_neighbour 2'
pid1=$(babeld_pid 1) pid2=$(babeld_pid 2) old1=$(key_of 1) old2=$(key_of 2)

# The ping flow across STEP ends: stopped, its figures printed, nothing lost.
flow_check() { # STEP
	kill "$pingpid"
	wait "$pingpid" 2>/dev/null
	set -- "$1" $(ping_stats "$TB_DIR/ping-$1.out")
	local step=$1 sent=$2 recv=$3
	shift 3
	echo "ping flow 2 -> 1 across $step: $sent sent, $recv answered, unanswered: ${*:-none}"
	tcheck "the ping flow across $step lost nothing ($recv of $sent answered)" \
		eval "[ $sent -gt 50 ] && [ $sent = $recv ]"
}
# After STEP, the two are still neighbours and route over lan0.
lan_check() { # STEP
	tcheck "after $1: each is still the other's neighbour on lan0" eval 'lan_neighbour 1 && lan_neighbour 2'
	tcheck "after $1: node 1's prefix routed over lan0 at node 2" \
		eval 'nsx r6-n2 ip -6 route get "$(node_addr 1)" | grep -q " dev lan0 "'
}

# The registry's next updateHMAC step, which must be STEP; both told (SIGHUP).
next_step() { # STEP
	local step
	step=$(tb_rpc updateHMAC)
	tcheck "updateHMAC answered '$1' ($step)" [ "$step" = "$1" ]
	kill -HUP "$(cat "$TB_DIR/n1/pid")" "$(cat "$TB_DIR/n2/pid")"
}

ping_start "$TB_DIR/ping-init.out"
sleep 3
next_step init
for _ in $(seq 50); do [ "$(key_of 1)" != "$old1" ] && [ "$(key_of 2)" != "$old2" ] && break; sleep 0.2; done
tcheck "init: both sign with the network's key" eval '[ "$(key_of 1)" != "$old1" ] && [ "$(key_of 1)" = "$(key_of 2)" ]'
tcheck "init: both still accept unsigned packets on lan0" eval 'keyed 1 && keyed 2'
tcheck "init: the same babelds (no restart: $pid1 $pid2)" \
	eval '[ "$(babeld_pid 1)" = "$pid1" ] && [ "$(babeld_pid 2)" = "$pid2" ]'
tcheck "init: the key given live" \
	eval 'grep -q "given to the running babeld (unsigned packets accepted)$" "$TB_DIR"/n[12]/log/re6stnet.log'
sleep 12 # 3 hellos: a broken adjacency would show (its cost infinite, its route gone)
flow_check init
lan_check init

ping_start "$TB_DIR/ping-drop.out"
sleep 3
next_step drop
for _ in $(seq 50); do signing 1 && signing 2 && break; sleep 0.2; done
tcheck "drop: both refuse unsigned packets on lan0" eval 'signing 1 && signing 2'
tcheck "drop: the same babelds (no restart)" \
	eval '[ "$(babeld_pid 1)" = "$pid1" ] && [ "$(babeld_pid 2)" = "$pid2" ]'
released() { grep -q "routes through lan0 released" "$TB_DIR/n$1/log/re6stnet.log"; }
for _ in $(seq 225); do released 1 && released 2 && break; sleep 0.2; done
sleep 2
flow_check drop
lan_check drop
tcheck "drop: lan0's routes held while babeld learnt them again, then released" \
	eval '! grep -q "routes or neighbours not back" "$TB_DIR"/n[12]/log/re6stnet.log &&
		[ -z "$(nsx r6-n2 ip -6 route show proto babel metric 4242)" ]'

# A rotation after it: introduce (N signs, M also accepted: nothing changes
# for babeld), then use (M signs) under a ping flow: the two switch keys
# within a moment of each other; until both have, each drops the other's
# babel packets (babeld has one key per interface), the kernel's routes stay.
k1=$(key_of 1)
next_step introduce
accepting() { grep -q '^key id accept ' "$TB_DIR/n$1/state/babeld.keys"; }
for _ in $(seq 50); do accepting 1 && accepting 2 && break; sleep 0.2; done
tcheck "introduce: both know the next key, still sign with the current one" \
	eval 'accepting 1 && accepting 2 && [ "$(key_of 1)" = "$k1" ] && [ "$(key_of 2)" = "$k1" ]'
ping_start "$TB_DIR/ping-use.out"
sleep 2
next_step use
for _ in $(seq 50); do [ "$(key_of 1)" != "$k1" ] && [ "$(key_of 2)" != "$k1" ] && break; sleep 0.2; done
tcheck "use: both sign with the next key" eval '[ "$(key_of 1)" != "$k1" ] && [ "$(key_of 1)" = "$(key_of 2)" ]'
sleep 12
flow_check use
tcheck "use: the same babelds, still neighbours on lan0" \
	eval '[ "$(babeld_pid 1)" = "$pid1" ] && [ "$(babeld_pid 2)" = "$pid2" ] && lan_neighbour 1 && lan_neighbour 2'
tc_summary
}
