#!/bin/bash
# GRE and GRE-in-FOU meshes in namespaces (needs ip_gre, fou: run it in the
# test VM). The registry allows gre,fou only (no WireGuard); nodes 1-2 offer
# GRE only, nodes 3-4 GRE in FOU first, then GRE: so 3<->4 use FOU and the
# other pairs GRE. Asserts that every node reaches every other node's re6st
# address; that no WireGuard interface was made; that every GRE/FOU tunnel
# re6stctl reports is in `ip -d link` with the same local, remote and FOU
# port, and points at the peer's underlay address; that nodes offering FOU
# listen on their FOU port; that pings flow; that after a kill -9 a node
# restarted cleans its leftovers (links, FOU port) and rejoins; that a
# revoked node's tunnels go from every peer (no unkeyed GRE link to it left)
# while the others stay connected; that a GRE and a FOU tunnel whose
# underlay is cut are found dead within 10 s and their peers reached over
# another path, a ping flow across each cut flowing again within 10 s.
# TB_UNDERLAY=6: the same over an
# IPv6-only underlay (ip6gre, FOU over IPv6). TB_SAVE=DIR keeps the logs.
set -u
{ # parsed whole before it runs: safe against edits of this file mid-run
here=$(cd "$(dirname "$0")" && pwd)
N=4
TB_REFRESH=${TB_REFRESH:-300}
TB_CLIENTS=${TB_CLIENTS:-2}
. "$here/../node/testbed.sh"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
failures=""
ko() { failed=$((failed + 1)); failures="$failures  FAILED: $*
"; echo "FAILED: $*"; }

TB_DIR=$(mktemp -d /tmp/re6st-gre.XXXXXX)
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
ip link add r6-probe$$ type gre remote 192.0.2.1 local 192.0.2.2 2>/dev/null && ip link del r6-probe$$ ||
	{ echo "SKIP: no GRE in this kernel"; exit 77; }

node_args() { # I -> the tunnel types node I offers (node 4: node 3 as --neighbour)
	if [ "$1" -le 2 ]; then echo "--tunnel-type gre"; else echo "--tunnel-type fou --tunnel-type gre"; fi
	# The 3-4 tunnel is random otherwise (and the FOU port is opened with the
	# first FOU tunnel): a configured neighbour makes the FOU pair certain.
	[ "$1" = 4 ] && echo "--neighbour $(tb_node_addr 3 | sed 's/::1$/::\/64/')"
}
ip_of() { tb_uaddr $((10 + $1)); }
kind=gre; [ "${TB_UNDERLAY:-4}" = 6 ] && kind=ip6gre

tb_underlay "$N"
tb_registry_start --tunnel-types gre,fou || exit 1
tb_register $(seq "$N") || { ko "registration"; exit 1; }
for i in $(seq "$N"); do
	tb_node_add "$i" $(node_args "$i") || { ko "node $i registration"; exit 1; }
	sleep 1
done

t0=$(date +%s)
if tb_wait_mesh "${CONVERGE_WAIT:-120}"; then
	ok "all $N nodes reach each other over GRE/FOU after $(($(date +%s) - t0)) s"
else
	ko "mesh did not converge within ${CONVERGE_WAIT:-120} s"
fi
tb_ping_matrix

# Every up tunnel the daemon reports must be in the kernel as reported.
# Prints "ifname type peer local remote port" per up tunnel of node I.
up_tunnels() {
	tb_ctl "$1" --json tunnels | jq -r '.tunnels[] | select(.state != "free" and .state != "setup")
		| "\(.ifname) \(.type) \(.peer) \(.local) \(.remote) \(.port)"'
}
checked=0
# "PREFIX I" per node, for the peers' underlay addresses.
peer_index() { for k in $(seq "$N"); do echo "$(tb_node_addr "$k" | sed 's/::1$/::\/64/') $k"; done; }
check_kernel() { # I: failures reported, checked counted (no /dev/fd in the VM: files)
	up_tunnels "$1" >"$TB_DIR/up.$1"
	tb_ns "r6-n$1" ip -d link show >"$TB_DIR/links.$1" 2>&1
	# A rotation between the two reads frees or repoints a tunnel: compare
	# only a tunnel the daemon still reports the same after.
	tb_ctl "$1" --json tunnels | jq -r '.tunnels[] |
		"\(.ifname) \(.type) \(.peer) \(.local) \(.remote) \(.port) \(.state)"' >"$TB_DIR/now.$1"
	while read -r ifn type peer lo re port; do
		# its lines in `ip -d link show`: from "N: IFNAME..." to the next link
		link=$(awk -v i="$ifn" '/^[0-9]+: / { f = $2 == i ":" || index($2, i "@") == 1 } f' "$TB_DIR/links.$1")
		now=$(awk -v i="$ifn" '$1 == i { $1 = ""; print substr($0, 2) }' "$TB_DIR/now.$1")
		case $now in
		"$type $peer $lo $re $port "up | "$type $peer $lo $re $port "draining) ;;
		*) echo "  node $1: $ifn changed while checked (now: $now): skipped"; continue ;;
		esac
		checked=$((checked + 1))
		case $type in
		gre) echo "$link" | grep -q "gre remote $re local $lo " && ! echo "$link" | grep -q "encap fou" ||
			ko "node $1: $ifn ($type to $peer $lo -> $re) is not so in the kernel: $link" ;;
		fou) echo "$link" | grep -q "gre remote $re local $lo " && echo "$link" | grep -q "encap fou " &&
			echo "$link" | grep -q "encap-dport $port " ||
			ko "node $1: $ifn ($type to $peer $lo -> $re:$port) is not so in the kernel: $link" ;;
		*) ko "node $1: $ifn is a $type tunnel" ;;
		esac
		echo "$link" | grep -qE " [io]?key " && ko "node $1: $ifn is up but keyed (parked): $link"
		[ "$lo" = "$(ip_of "$1")" ] || ko "node $1: $ifn local $lo is not our underlay address"
		# The remote is the peer's underlay address.
		j=$(awk -v p="$peer" '$1 == p { print $2 }' "$TB_DIR/peers")
		[ -n "$j" ] && [ "$re" = "$(ip_of "$j")" ] || ko "node $1: $ifn remote $re is not $peer's address"
		if [ -n "$j" ]; then
			want=gre; [ "$1" -gt 2 ] && [ "$j" -gt 2 ] && want=fou
			[ "$type" = "$want" ] || ko "node $1: tunnel to node $j is $type, expected $want"
		fi
	done <"$TB_DIR/up.$1"
}
peer_index >"$TB_DIR/peers"

# The mesh can converge over GRE before node 4 reaches its neighbour (its
# endpoints come over the overlay): wait for the FOU pair before checking.
t0=$(date +%s)
until [ "$(for i in 3 4; do up_tunnels "$i"; done | awk '$2 == "fou"' | wc -l)" -ge 1 ] ||
	[ $(($(date +%s) - t0)) -ge 60 ]; do sleep 2; done
echo "FOU pair seen after $(($(date +%s) - t0)) s"
for i in $(seq "$N"); do
	nwg=$(tb_ns "r6-n$i" ip -o link show type wireguard | wc -l)
	[ "$nwg" = 0 ] && ok "node $i: no WireGuard interface" || ko "node $i: $nwg WireGuard interfaces"
	check_kernel "$i"
	tb_ctl "$i" tunnels 2>&1 | sed "s/^/  n$i: /"
	tb_ns "r6-n$i" ip -d link show 2>/dev/null | grep -A2 -E '^[0-9]+: re6s[gf]' | sed "s/^/  n$i link: /"
	if [ "$i" -gt 2 ]; then
		tb_ns "r6-n$i" ip fou show | grep -q "port 5555 ipproto 47" &&
			ok "node $i: FOU port 5555 listening" || ko "node $i: no FOU port: $(tb_ns "r6-n$i" ip fou show)"
	fi
done
[ "$checked" -ge "$N" ] && ok "$checked GRE/FOU tunnels as the daemons report them" ||
	ko "only $checked tunnels up"
fou_up=$(for i in 3 4; do up_tunnels "$i"; done | awk '$2 == "fou"' | wc -l)
[ "$fou_up" -ge 1 ] && ok "node 3-4 pair (node 3 is node 4's --neighbour) uses GRE in FOU" ||
	ko "nodes 3 and 4 have no FOU tunnel"

out=$(tb_ns r6-n1 ping -6 -c 20 -i 0.2 "$(tb_node_addr 4)" 2>&1 | tail -n 2)
loss=$(echo "$out" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
echo "$out"
awk "BEGIN { exit !(${loss:-100} <= 5) }" && ok "ping n1 -> n4: $loss% loss" || ko "ping n1 -> n4: ${loss:-?}% loss"

# A cut tunnel: the underlay between node I and the peer of one of its
# TYPE tunnels dropped both ways (nftables, in both namespaces: tb_drop).
# Node I must find the tunnel dead from its link counters within 10 s (3 s
# of dead-after at the network's default, and the reading;
# docs/tunnel-manager.md, "Failure detection"; before, a cut GRE or FOU
# tunnel went after 200 s), and reach the peer again over another path.
# The cut is lifted after. Node 1's GRE tunnels, node 3's FOU one (to
# node 4, its --neighbour).
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
cut_check() { # I TYPE
	local i=$1 type=$2 j="" ifc="" t0 dead="" back=""
	up_tunnels "$i" >"$TB_DIR/up.cut" # (no /dev/fd in the VM: a file)
	while read -r ifn ty peer lo re port; do
		k=$(awk -v p="$peer" '$1 == p { print $2 }' "$TB_DIR/peers")
		[ "$ty" = "$type" ] && [ -n "$k" ] && { j=$k ifc=$ifn; break; }
	done <"$TB_DIR/up.cut"
	[ -n "$j" ] || { ko "cut: node $i has no $type tunnel up"; return; }
	# A flow from node i to node j across the cut (a ping every 0.1 s, 2 s
	# before it to 18 s after): its longest gap between replies, as
	# vm-failover measures it over WireGuard.
	local dev fp gap
	dev=$(tb_ns "r6-n$i" ip -6 route get "$(tb_node_addr "$j")" 2>/dev/null | grep -o 'dev [^ ]*' | cut -d' ' -f2)
	tb_ns "r6-n$i" ping -6 -n -D -i 0.1 -w 20 "$(tb_node_addr "$j")" >"$TB_DIR/flow.$type" 2>&1 &
	fp=$!
	sleep 2
	t0=$(date +%s.%N)
	tb_drop "$i" "$j" || ko "cut: nft failed"
	while [ -z "$back" ] && [ "$(since "$t0" | cut -d. -f1)" -lt 40 ]; do
		[ -z "$dead" ] && grep -q "tunnel $ifc .*nothing received for .*: dead" "$TB_DIR/n$i/log/re6stnet.log" &&
			dead=$(since "$t0")
		[ -n "$dead" ] && tb_ns "r6-n$i" ping -6 -c 1 -W 1 "$(tb_node_addr "$j")" >/dev/null 2>&1 &&
			back=$(since "$t0")
		sleep 0.5
	done
	grep -h "tunnel $ifc .*: dead" "$TB_DIR/n$i/log/re6stnet.log" | tail -n 1 | sed "s/^/  n$i: /"
	echo "  cut node $i - node $j ($ifc, $type): found dead after ${dead:-more than 40} s (polled every 0.5 s), node $j reached again after ${back:-more than 40} s"
	wait "$fp"
	gap=$(tb_flow_gap "$TB_DIR/flow.$type" "$t0")
	set -- $gap
	echo "  flow node $i -> node $j (through ${dev:-?} before the cut): longest gap between replies $1 s, from $3 s after the cut; $2 of 200 answered"
	awk -v g="$1" -v n="$2" 'BEGIN { exit !(g > 0 && g <= 10 && n >= 80) }' &&
		ok "a flow across the cut $type tunnel flows again within 10 s (longest gap $1 s)" ||
		ko "a flow across the cut $type tunnel: longest gap $1 s, $2 of 200 answered"
	awk -v d="${dead:-99}" 'BEGIN { exit !(d <= 10) }' &&
		ok "cut $type tunnel node $i - node $j found dead within 10 s (${dead} s)" ||
		ko "cut $type tunnel node $i - node $j not found dead within 10 s (${dead:-never})"
	[ -n "$back" ] && ok "node $i reaches node $j over another path after the cut" ||
		{ ko "node $i does not reach node $j after the cut"; tb_ctl "$i" routes 2>&1 | sed "s/^/  n$i: /"; }
	tb_undrop "$i" "$j"
}
cut_check 1 gre
cut_check 3 fou

# kill -9: the links and the FOU port stay; the restarted node removes them
# (journal), makes its own and rejoins.
tb_node_stop 3 -9
# Its babeld too (vm-network's kill scenario leaves it to the restarted
# daemon): with no saved seqno, the new babeld must take a new router-id, or
# peers hold its routes unfeasible for minutes (docs/daemon.md).
bpid=$(cat "$TB_DIR/n3/run/babeld.pid" 2>/dev/null)
[ -n "$bpid" ] && kill -KILL "$bpid" 2>/dev/null
left=$(tb_ns r6-n3 ip -o link show | grep -c ': re6s')
echo "after kill -9, node 3 left $left tunnel links, FOU: $(tb_ns r6-n3 ip fou show | tr '\n' ' ')"
tb_node_add 3 $(node_args 3)
t0=$(date +%s)
if tb_wait_mesh 120; then
	ok "node 3 restarted after kill -9 rejoined in $(($(date +%s) - t0)) s"
	# (once at the first start, once now)
	[ "$(grep -c "no saved sequence number" "$TB_DIR/n3/log/re6stnet.log")" -ge 2 ] &&
		ok "node 3's new babeld took a new router-id" ||
		ko "node 3's new babeld kept its router-id without a saved seqno"
else
	ko "node 3 did not rejoin within 120 s"
	tb_ping_matrix
	for i in $(seq "$N"); do
		tb_ctl "$i" tunnels 2>&1 | sed "s/^/  n$i: /"
		tb_ctl "$i" routes 2>&1 | sed "s/^/  n$i: /"
	done
fi
reported=$(tb_ctl 3 --json tunnels | jq -r '.tunnels[] | .ifname' | sort)
links=$(tb_ns r6-n3 ip -o link show | awk -F': ' '$2 ~ /^re6s/ {sub(/@.*/, "", $2); print $2}' | sort)
echo "$reported" >"$TB_DIR/reported"
echo "$links" >"$TB_DIR/links"
stale=$(comm -13 "$TB_DIR/reported" "$TB_DIR/links" | tr '\n' ' ')
[ -z "$stale" ] && ok "node 3: no leftover links (links: $(echo "$links" | tr '\n' ' '))" ||
	ko "node 3: links not reported by the daemon: $stale"
# The FOU port is opened with the first FOU tunnel and kept: the killed
# run's one was removed at start-up; at most one, and one if FOU is in use.
nfou=$(tb_ns r6-n3 ip fou show | grep -c "port 5555")
wfou=$(tb_ctl 3 --json tunnels | jq '[.tunnels[] | select(.type == "fou" and .state != "free")] | length')
[ "$nfou" -le 1 ] && { [ "$wfou" = 0 ] || [ "$nfou" = 1 ]; } &&
	ok "node 3: $nfou FOU port after restart ($wfou FOU tunnels)" ||
	ko "node 3: $nfou FOU ports after restart with $wfou FOU tunnels"

# Revocation of node 4 (FOU/GRE): every peer drops its tunnels to it.
victim=$(tb_node_addr 4 | sed 's/::1$/::\/64/')
victim_ip=$(ip_of 4)
# (an IPv6-only registry does not listen on 127.0.0.1)
lo=127.0.0.1; [ "${TB_UNDERLAY:-4}" = 6 ] && lo='[::1]'
tb_ns r6-reg curl -sS "http://$lo:$TB_REG_PORT/revoke?cn_or_serial=$victim" >/dev/null ||
	ko "revoke RPC failed"
t0=$(date +%s) gone=0
while [ $(($(date +%s) - t0)) -lt "${REVOKE_WAIT:-60}" ]; do
	left=0
	for i in 1 2 3; do
		up_tunnels "$i" | awk -v p="$victim" '$3 == p' | grep -q . && left=$((left + 1))
		# A free GRE link keeps its last remote but is keyed: no packet matches it.
		tb_ns "r6-n$i" ip -d link show type "$kind" | grep "remote $victim_ip " | grep -vqE " [io]?key " &&
			left=$((left + 1))
	done
	[ "$left" = 0 ] && { gone=1; break; }
	sleep 2
done
[ "$gone" = 1 ] && ok "revoked node 4 dropped by every peer after $(($(date +%s) - t0)) s" ||
	ko "revoked node 4 still has tunnels ($left)"
tb_ns r6-n1 ip -d link show type "$kind" | grep -A1 -E '^[0-9]+: re6s' | sed 's/^/  n1 link: /'
tb_wait_mesh 60 1 2 3 && ok "nodes 1-3 still reach each other" ||
	{ ko "mesh broken after revocation"; tb_ping_matrix 1 2 3; }

for i in $(seq "$N"); do
	echo "----- node $i log (tunnel lines)"
	grep -E "tunnel|FOU" "$TB_DIR/n$i/log/re6stnet.log" 2>/dev/null | tail -n 20 | sed 's/^/  /'
done
printf '%s' "$failures" # again at the end: a CI log may keep only its last lines
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
}
