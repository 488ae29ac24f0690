#!/bin/bash
# TCP links through a UDP filter (issue 13, item 1), in the test VM: a
# registry and 4 nodes offering wireguard then tcp; node 4's namespace drops
# every UDP datagram on its underlay interface, the registry's included
# (the registry is HTTP: its path is TCP already). Asserts that node 4 still builds tunnels, all of type tcp
# (WireGuard peers at a loopback endpoint, the relay's), that at least one
# came from the fall-back after UDP got no answer, that the filter did drop
# UDP, that every node reaches every other (ping over the overlay), and that
# the other nodes' tunnels between themselves stay UDP WireGuard. Then
# measures, in the same run, ping RTT and iperf3 TCP throughput over the
# overlay from node 4 (TCP link) and from node 2 (UDP link) to node 1, and
# the CPU time re6stnet used on node 4 during its transfer (the relay's
# cost). TB_SAVE=DIR keeps the logs.
set -u
{ # parsed whole before it runs: safe against edits of this file mid-run
here=$(cd "$(dirname "$0")" && pwd)
N=4
TB_REFRESH=${TB_REFRESH:-300}
TB_CLIENTS=${TB_CLIENTS:-3}
. "$here/../node/testbed.sh"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
failures=""
ko() { failed=$((failed + 1)); failures="$failures  FAILED: $*
"; echo "FAILED: $*"; }

TB_DIR=$(mktemp -d /tmp/re6st-tcp.XXXXXX)
TB_BUILD=${RE6ST_BUILD_ROOT:-$(pwd)/build}
REGISTRY=$TB_BUILD/registry-server/re6st-registry
CONF=$TB_BUILD/registry-client/re6st-conf
NODE=$TB_BUILD/daemon/re6stnet
CTL=$TB_BUILD/ctl/re6stctl
for b in "$REGISTRY" "$CONF" "$NODE" "$CTL"; do
	[ -x "$b" ] || { echo "SKIP: $b not built"; exit 77; }
done
command -v jq >/dev/null || { echo "SKIP: jq missing"; exit 77; }
trap tb_cleanup EXIT

tb_underlay "$N"
# Node 4: no UDP at all on the underlay (counted); loopback (the relay's
# side of WireGuard) and the tunnels (babel) are other interfaces.
tb_ns r6-n4 nft -f - <<NFT
table inet udpfilter {
	chain input {
		type filter hook input priority 0;
		iifname "eth0" meta l4proto udp counter drop
	}
	chain output {
		type filter hook output priority 0;
		oifname "eth0" meta l4proto udp counter drop
	}
}
NFT
tb_registry_start || exit 1
tb_register $(seq "$N") || { ko "registration"; exit 1; }
for i in $(seq "$N"); do
	tb_node_add "$i" --tunnel-type wireguard --tunnel-type tcp || { ko "node $i registration"; exit 1; }
	sleep 1
done

t0=$(date +%s)
if tb_wait_mesh "${CONVERGE_WAIT:-180}"; then
	ok "all $N nodes reach each other after $(($(date +%s) - t0)) s (node 4 without UDP)"
else
	ko "mesh did not converge within ${CONVERGE_WAIT:-180} s"
	tb_dump
fi
tb_ping_matrix

up_tunnels() { # I -> "ifname type peer" per up tunnel
	tb_ctl "$1" --json tunnels | jq -r '.tunnels[] | select(.state == "up" or .state == "draining")
		| "\(.ifname) \(.type) \(.peer)"'
}
up_tunnels 4 >"$TB_DIR/up4"
n4=$(wc -l <"$TB_DIR/up4")
ntcp=$(awk '$2 == "tcp"' "$TB_DIR/up4" | wc -l)
[ "$n4" -ge 1 ] && [ "$ntcp" = "$n4" ] && ok "node 4: $n4 tunnels up, all tcp" ||
	ko "node 4: $n4 tunnels up, $ntcp of them tcp: $(cat "$TB_DIR/up4")"
sed 's/^/  n4: /' "$TB_DIR/up4"
# WireGuard on node 4 talks to the relay only.
# Only lines "IFNAME KEY ENDPOINT": runs had "re6stc2<TAB>re6sts1<TAB>" (wg
# printing the names of interfaces whose peer was being replaced).
wgeps=$(tb_ns r6-n4 wg show all endpoints)
eps=$(echo "$wgeps" | awk 'NF == 3 { print $3 }')
bad=$(echo "$eps" | grep -v '^127\.0\.0\.1:' | grep -v '^(none)$' || true)
[ -n "$eps" ] && [ -z "$bad" ] && ok "node 4: WireGuard endpoints on loopback ($(echo $eps))" ||
	ko "node 4: WireGuard endpoints not all the relay's: $(echo $eps) (wg show all endpoints: $(echo "$wgeps" | tr '\t\n' ' |'))"
drops=$(tb_ns r6-n4 nft list table inet udpfilter | grep -Eo 'packets [0-9]+' | awk '{s += $2} END {print s + 0}')
[ "$drops" -gt 0 ] && ok "node 4: the filter dropped $drops UDP packets" || ko "node 4: the filter dropped nothing"
grep -h "trying TCP" "$TB_DIR"/n*/log/re6stnet.log | head -n 3 | sed 's/^/  log: /'
nfb=$(cat "$TB_DIR"/n*/log/re6stnet.log | grep -c "trying TCP")
[ "$nfb" -ge 1 ] && ok "$nfb set-ups fell back from UDP to TCP" || ko "no set-up fell back to TCP"
for i in 1 2 3; do
	up_tunnels "$i" >"$TB_DIR/up$i"
done
# Between nodes 1-3 UDP passes: no tcp tunnel there.
a4=$(tb_node_addr 4 | sed 's/::1$/::\/64/')
other=$(cat "$TB_DIR/up1" "$TB_DIR/up2" "$TB_DIR/up3" | awk -v p="$a4" '$3 != p && $2 != "wg"')
[ -z "$other" ] && ok "tunnels among nodes 1-3 are UDP WireGuard" || ko "non-wg tunnels among 1-3: $other"

tb_ctl 4 status 2>/dev/null | grep '^tcp\.' | sed 's/^/  n4 status: /'

# ---- figures: node 4 (TCP link) and node 2 (UDP link) to node 1 ----
a1=$(tb_node_addr 1)
tb_ns r6-n1 iperf3 -s -D -1 -p 5201 >/dev/null 2>&1
tb_ns r6-n1 iperf3 -s -D -p 5202 >/dev/null 2>&1
sleep 1
rtt() { # I -> average RTT in ms of 50 pings to node 1
	tb_ns "r6-n$1" ping -6 -q -c 50 -i 0.05 "$a1" 2>/dev/null | awk -F/ '/^rtt/ {print $5}'
}
via() { # I -> the tunnel type of node I's route to node 1
	dev=$(tb_ns "r6-n$1" ip -6 route get "$a1" 2>/dev/null | grep -Eo 'dev [^ ]+' | awk '{print $2}')
	awk -v d="$dev" '$1 == d {print $2}' "$TB_DIR/up$1"
}
up_tunnels 2 >"$TB_DIR/up2"
echo "  route n4->n1 via $(via 4), n2->n1 via $(via 2)"
r4=$(rtt 4); r2=$(rtt 2)
bw() { # I PORT -> Mbit/s of a 10 s iperf3 TCP transfer to node 1
	tb_ns "r6-n$1" iperf3 -6 -c "$a1" -p "$2" -t 10 -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e6 | floor'
}
cpu() { awk '{print $14 + $15}' "/proc/$(cat "$TB_DIR/n4/pid")/stat"; } # utime+stime, ticks
c0=$(cpu); t0=$(date +%s%N)
b4=$(bw 4 5202)
c1=$(cpu); t1=$(date +%s%N)
b2=$(bw 2 5202)
hz=$(getconf CLK_TCK)
cpu4=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v ns=$((t1 - t0)) 'BEGIN {printf "%.1f", 100 * c / hz / (ns / 1e9)}')
echo "FIGURE rtt_ms tcp=$r4 udp=$r2"
echo "FIGURE throughput_mbps tcp=$b4 udp=$b2"
echo "FIGURE re6stnet_cpu_percent_during_tcp_transfer=$cpu4"
awk -v a="$b4" -v b="$b2" 'BEGIN { if (b > 0) printf "FIGURE throughput_ratio tcp/udp=%.2f\n", a / b }'
[ -n "$r4" ] && [ -n "$b4" ] && [ "${b4:-0}" -gt 0 ] && ok "figures measured over the TCP link" ||
	ko "no figures over the TCP link (rtt '$r4', throughput '$b4')"

[ "$failed" = 0 ] || { tb_dump; printf '%s' "$failures"; }
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
exit
}
