#!/bin/bash
# vm-failover.sh - failover at the network's default parameters (issue 12,
# item 4; needs WireGuard: run it in the test VM). A registry started
# without --hello, --link-cost, --smoothing, --dead-after (client-count 2,
# to leave each node some peers it has no tunnel to) and N (6) nodes:
#   cost:  the traffic on node 1's tunnels while no test traffic flows
#          (babel, and the peer protocol's few messages), per tunnel and
#          direction: packets/s and bytes/s inside the tunnel, and on the
#          wire: + 68 bytes a packet (WireGuard's 16-byte header, 16-byte
#          tag, 8 bytes of padding on average, UDP 8, IPv4 20);
#   cut:   a ping flow of 10 packets/s from node 1 to a node B it has a
#          tunnel to, routed through that tunnel; the underlay between 1
#          and B is cut (nftables): the longest gap between two replies
#          must be at most 5 s;
#   reach: every node (all public: --ip) reports `reachable: true` in
#          `re6stctl status` within 60 s of the mesh, by a client or by a
#          peer's probe (issue 12, item 2), the nodes no client chose too;
#   alone: node X, the node with the fewest tunnel peers, is cut from
#          every one of them at once: it must have a new tunnel up, to a
#          node it could still reach over the underlay, and reach that node
#          over it within 30 s of the cut.
set -u
here=$(cd "$(dirname "$0")" && pwd)
N=${N:-6}
TB_HELLO=        # the network's default
TB_CLIENTS=${TB_CLIENTS:-2}
. "$here/../node/testbed.sh"
. "$here/../node/checks.sh"
{ # parsed whole before it runs: safe against edits of this file mid-run
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
tb_init
ip link add r6-probe$$ type wireguard 2>/dev/null && ip link del r6-probe$$ ||
	{ echo "SKIP: no WireGuard in this kernel"; exit 77; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
node_of() { awk -v p="$1" '$2 == p { print $1 }' "$TB_DIR/nodes"; }
peers_of() { # I -> node numbers of its tunnels' peers (not free)
	local p
	for p in $(ctl "$1" --json tunnels 2>/dev/null |
		jq -r '.tunnels[] | select(.state != "free" and .peer != null) | .peer' | sort -u); do
		node_of "$p"
	done | sort -n | tr '\n' ' '
}

tb_log "===== failover: $N nodes, the network's default hello, link cost, smoothing, dead-after"
tb_underlay "$N"
tb_registry_start || exit 1
tb_register $(seq "$N") || { ko "registration"; exit 1; }
for i in $(seq "$N"); do
	tb_node_add "$i" || { ko "node $i registration"; exit 1; }
	sleep 1
done
# Under a loaded TCG a node may give up on a slow registry at start: once more.
sleep 5
for i in $(seq "$N"); do
	kill -0 "$(cat "$TB_DIR/n$i/pid")" 2>/dev/null && continue
	echo "  node $i stopped at start ($(grep -h error "$TB_DIR/n$i/log/re6stnet.log" | tail -n 1)): again"
	tb_node_add "$i"
done
nodes_index
ts=$(now)
wait_mesh 150 $(seq "$N") && ok "mesh: $N nodes reach each other after $(since "$ts") s" ||
	{ ko "mesh: not converged within 150 s" $(seq "$N"); show_fails $(seq "$N"); }
# ---- reach: tested by peers' probes, not guessed from clients
ts=$(now) pending="$(seq "$N")"
while :; do
	left=""
	for i in $pending; do
		[ "$(ctl "$i" --json status 2>/dev/null | jq -r .policy.reachable)" = true ] || left="$left $i"
	done
	pending=$left
	[ -z "$pending" ] || [ "$(since "$ts" | cut -d. -f1)" -ge 60 ] && break
	sleep 1
done
nobody="" by=""
for i in $(seq "$N"); do
	s=$(ctl "$i" --json tunnels | jq '[.tunnels[] | select(.role == "server" and .state != "free")] | length')
	[ "$s" = 0 ] && nobody="$nobody $i"
	by="$by $i:$(ctl "$i" --json status | jq -r .policy.reachable_by)"
done
echo "  reachable after $(since "$ts") s more; by:$by; nodes no client chose:${nobody:- none}"
check "every node reachable within 60 s (not yet:${pending:- none})" "$(seq -s " " "$N")" -- [ -z "$pending" ]

pol=$(ctl 1 --json status | jq -c '{dead_after: .policy.dead_after}')
echo "  node 1: $pol"
check "the network's default dead-after is 3 s" 1 -- [ "$pol" = '{"dead_after":3}' ]

# ---- cost: 20 s of babel traffic on node 1's tunnels
wg_ifs=$(ctl 1 --json tunnels | jq -r '.tunnels[] | select(.state == "up" and .type == "wg") | .ifname')
counters() { # -> "ifname rxp txp rxb txb" per tunnel of node 1
	local i
	for i in $wg_ifs; do
		echo "$i $(nsx r6-n1 ip -j -s link show dev "$i" |
			jq -r '.[0].stats64 | "\(.rx.packets) \(.tx.packets) \(.rx.bytes) \(.tx.bytes)"')"
	done
}
c0=$(counters) t0=$(now)
sleep 15
c1=$(counters) dt=$(since "$t0")
cost=$(printf '%s\n%s\n' "$c0" "$c1" | awk -v dt="$dt" '
	NF == 5 && !($1 in a) { for (k = 2; k <= 5; k++) a[$1, k] = $k; a[$1] = 1; next }
	NF == 5 { n++; for (k = 2; k <= 5; k++) d[k] += $k - a[$1, k] }
	END {
		if (!n) { print "none"; exit }
		pk = (d[2] + d[3]) / 2 / n / dt
		by = (d[4] + d[5]) / 2 / n / dt
		printf "%d tunnels over %.0f s, per tunnel and direction: %.2f packets/s, %.0f B/s inside, %.0f B/s on the wire\n",
			n, dt, pk, by, by + 68 * pk
	}')
echo "  cost: $cost"
check "babel traffic measured on node 1's tunnels" 1 -- [ "$cost" != none ]

# ---- cut: a flow through a used tunnel, its underlay cut
b="" via=""
for i in $wg_ifs; do
	p=$(ctl 1 --json tunnels | jq -r --arg i "$i" '.tunnels[] | select(.ifname == $i) | .peer')
	cand=$(node_of "$p")
	[ -n "$cand" ] || continue
	dev=$(nsx r6-n1 ip -6 route get "$(node_addr "$cand")" 2>/dev/null | grep -o 'dev [^ ]*' | cut -d' ' -f2)
	if [ "$dev" = "$i" ]; then b=$cand via=$i; break; fi
done
if [ -z "$b" ]; then
	ko "cut: no node that node 1 reaches through a direct tunnel" 1
else
	echo "  flow: node 1 -> node $b through $via; cutting their underlay 5 s into it"
	nsx r6-n1 ping -6 -n -D -i 0.1 -w 25 "$(node_addr "$b")" >"$TB_DIR/flow" 2>&1 &
	pp=$!
	sleep 5
	tc=$(now)
	drop_paths "1-$b"
	wait "$pp"
	gap=$(tb_flow_gap "$TB_DIR/flow" "$tc")
	set -- $gap
	echo "  longest gap between replies: $1 s (it began $3 s from the cut); $2 of 250 answered"
	# Where the gap went: each end's dead verdict, counted from the last
	# reply before the gap (the rest is babel moving the routes).
	d1=$(log_delay 1 "underlay dead" "$4") db=$(log_delay "$b" "underlay dead" "$4")
	echo "  dead verdicts after the gap began: node 1 ${d1:-never} s, node $b ${db:-never} s; replies back after $1 s"
	after=$(nsx r6-n1 ip -6 route get "$(node_addr "$b")" 2>/dev/null | grep -o 'dev [^ ]*')
	echo "  node 1 -> node $b now: $after; $(grep -c 'underlay dead' "$TB_DIR/n1/log/re6stnet.log") tunnel(s) of node 1 found dead"
	check "traffic flows again within 5 s of the cut (longest gap $1 s)" "1 $b" -- \
		awk -v g="$1" -v n="$2" 'BEGIN { exit !(g > 0 && g <= 5.0 && n >= 150) }'
fi

# ---- alone: a node cut from every peer it has a tunnel to
x="" px="" best=99
for i in $(seq 2 "$N"); do
	[ "$i" = "$b" ] && continue
	p=$(peers_of "$i")
	k=$(echo $p | wc -w)
	[ "$k" -gt 0 ] && [ "$k" -lt "$best" ] && { x=$i px=$p best=$k; }
done
if [ -z "$x" ] || [ "$best" -ge $((N - 1)) ]; then
	ko "alone: no node with a tunnel peer and a node it has no tunnel to (fewest peers: $best)" $(seq "$N")
else
	pairs="" others=""
	for p in $px; do pairs="$pairs $x-$p"; done
	for i in $(seq "$N"); do
		case " $px $x " in *" $i "*) ;; *) others="$others $i" ;; esac
	done
	echo "  node $x: tunnels to nodes $px; cutting them all (left: nodes$others)"
	tc=$(now)
	drop_paths "$pairs"
	t_new="" to=""
	while [ "$(since "$tc" | cut -d. -f1)" -lt 40 ]; do
		for p in $(peers_of "$x"); do
			case " $others " in *" $p "*) ;; *) continue ;; esac
			up=$(ctl "$x" --json tunnels | jq -r --arg p "$(node_prefix "$p")" \
				'[.tunnels[] | select(.peer == $p and .state == "up")] | length')
			if [ "$up" -gt 0 ] && nsx "r6-n$x" ping -6 -n -c 1 -W 1 "$(node_addr "$p")" >/dev/null 2>&1; then
				t_new=$(since "$tc") to=$p
				break 2
			fi
		done
		sleep 0.5
	done
	dead=$(log_delay "$x" "underlay dead" "${tc%.*}")
	echo "  node $x: first tunnel found dead ${dead:-never} s after the cut; new tunnel to node ${to:-none} up and used after ${t_new:-more than 40} s"
	check "a node whose every tunnel died has a new one up within 30 s (${t_new:-none} s)" "$x" -- \
		awk -v t="${t_new:-99}" 'BEGIN { exit !(t <= 30) }'
fi
tc_summary
}
