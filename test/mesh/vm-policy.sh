#!/bin/bash
# vm-policy.sh - the tunnel policy in a live network (needs WireGuard: run
# it in the test VM). SCENARIO selects:
#   small: 3 nodes, client-count 2, refresh 20 s, --drain-limit 30: a small
#          network rotates (before, a node below its full target never
#          did): tunnels are picked, destroyed and replaced, and the nodes
#          keep reaching each other. In a full mesh of 3 a drain often
#          cannot finish (the other path's link is being drained too, or
#          is the one being replaced), so the drain limit is what lets such
#          a network rotate: with the default (3600 s) its drains would
#          last an hour;
#   force: 2 nodes: their one tunnel is the only path between them. With
#          --rotate-share 1 and --drain-limit 8 its drain cannot finish:
#          it is destroyed at the limit ("destroyed anyway", policy.forced
#          in re6stctl status), and a replacement tunnel comes up.
#          re6stctl ping gets replies over the tunnel and names it, and
#          re6stctl monitor --json on both nodes shows the tunnel up and
#          down on each, and on the client's node chosen for rotation and
#          destroyed at the limit.
set -u
here=$(cd "$(dirname "$0")" && pwd)
TB_REFRESH=20
TB_CLIENTS=2
. "$here/../node/testbed.sh"
. "$here/../node/checks.sh"
{ # parsed whole before it runs: safe against edits of this file mid-run
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
tb_init
ip link add r6-probe$$ type wireguard 2>/dev/null && ip link del r6-probe$$ ||
	{ echo "SKIP: no WireGuard in this kernel"; exit 77; }
elapsed() { echo $(($(date +%s) - $1)); }
policy_sum() { # FIELD NODES... -> sum of status.policy.FIELD
	local f=$1 i
	shift
	for i in "$@"; do ctl "$i" --json status 2>/dev/null | jq ".policy.$f // 0"; done |
		awk '{ s += $1 } END { print s + 0 }'
}

case ${SCENARIO:-small} in
small)
	N=3
	tb_log "===== small: $N nodes, client-count $TB_CLIENTS, refresh $TB_REFRESH s"
	tb_underlay "$N"
	tb_registry_start || exit 1
	for i in $(seq "$N"); do
		tb_node_add "$i" --drain-limit 30 || { ko "node $i registration"; exit 1; }
	done
	nodes_index
	ts=$(date +%s)
	wait_mesh 150 $(seq "$N") && ok "mesh: $N nodes reach each other after $(elapsed "$ts") s" ||
		ko "mesh: not converged within 150 s" $(seq "$N")
	st=$(ctl 1 --json status)
	echo "$st" | jq -c .policy | sed 's/^/  node 1 policy: /'
	check "re6stctl status shows the policy (network: share 0.3, weight 0.25; option: limit 30)" 1 -- \
		[ "$(echo "$st" | jq -c '[.policy.rotate_share, .policy.busy_weight, .policy.drain_limit]')" = "[0.3,0.25,30]" ]
	d0=$(policy_sum destroyed $(seq "$N"))
	t0=$(date +%s)
	rot0=$(cat "$TB_DIR"/n*/log/re6stnet.log | grep -c 'closed: rotated')
	sleep 150
	d1=$(policy_sum destroyed $(seq "$N"))
	per=$(awk -v d=$((d1 - d0)) -v n="$N" -v t="$(elapsed "$t0")" -v r="$TB_REFRESH" \
		'BEGIN { printf "%.2f", d / n / (t / r) }')
	echo "  $((d1 - d0)) tunnels picked by $N nodes in $(elapsed "$t0") s: $per per node and period"
	for i in $(seq "$N"); do
		echo "  node $i: $(ctl "$i" --json status | jq -c '{destroyed: .policy.destroyed, forced: .policy.forced}')," \
			"$(grep -c 'closed: rotated' "$TB_DIR/n$i/log/re6stnet.log") rotated away"
	done
	forced=$(policy_sum forced $(seq "$N"))
	rot=$(($(cat "$TB_DIR"/n*/log/re6stnet.log | grep -c 'closed: rotated') - rot0))
	drained=$(cat "$TB_DIR"/n*/log/re6stnet.log | grep -c 'drained in')
	echo "  drains finished before the limit: $drained; destroyed at the limit: $forced"
	check "a small network rotates: $((d1 - d0)) tunnels picked in 150 s" "$(seq "$N")" -- \
		[ $((d1 - d0)) -ge 3 ]
	check "rotated tunnels were destroyed ($rot closed: rotated in 150 s)" "$(seq "$N")" -- \
		[ "$rot" -ge 2 ]
	wait_mesh 60 $(seq "$N") && ok "mesh: still connected after the rotations" ||
		ko "mesh: not connected after the rotations" $(seq "$N")
	;;
force)
	N=2
	tb_log "===== force: $N nodes, one tunnel, --rotate-share 1 --drain-limit 8"
	tb_underlay "$N"
	tb_registry_start || exit 1
	for i in 1 2; do
		tb_node_add "$i" --rotate-share 1 --drain-limit 8 || { ko "node $i registration"; exit 1; }
	done
	# re6stctl monitor on both nodes from their start: the tunnel's whole
	# life (either may be the client, which rotates and destroys).
	mons=
	for i in 1 2; do
		for _ in $(seq 100); do ctl "$i" help >/dev/null 2>&1 && break; sleep 0.1; done
		ctl "$i" --json monitor tunnel >"$TB_DIR/monitor$i.json" 2>"$TB_DIR/monitor$i.err" &
		mons="$mons $!"
	done
	nodes_index
	ts=$(date +%s)
	wait_mesh 150 1 2 && ok "mesh: 2 nodes reach each other after $(elapsed "$ts") s" ||
		ko "mesh: not converged within 150 s" 1 2
	# re6stctl ping over the tunnel: replies, the tunnel interface, a metric.
	nsx r6-n1 "$CTL" -s "$TB_DIR/n1/run/re6stnet.sock" --json ping -c 3 -i 0.3 "$(node_prefix 2)" \
		>"$TB_DIR/ping.json" 2>&1
	cat "$TB_DIR/ping.json" | sed 's/^/  ping: /'
	check "re6stctl ping: replies over a tunnel (re6stc/re6sts), babel metric" 1 -- \
		jq -e '.received >= 1 and (.route.interface | test("^re6st[cs][0-9]+$")) and .route.metric > 0 and .route.installed' "$TB_DIR/ping.json"
	tuns() { # I -> client/server tunnels not free, "ifname role state age"
		ctl "$1" --json tunnels 2>/dev/null |
			jq -r '.tunnels[] | select(.state != "free") | "\(.ifname) \(.role) \(.state) \(.age_s)"'
	}
	first=$( (tuns 1; tuns 2) | sort)
	echo "$first" | sed 's/^/  before: /'
	# The first rotation comes within one period, the forced destruction
	# 8 s into its drain; then a new tunnel (after the one-period back-off).
	t0=$(date +%s) forced=0
	while [ "$(elapsed "$t0")" -lt 90 ]; do
		forced=$(policy_sum forced 1 2)
		[ "$forced" -gt 0 ] && break
		sleep 2
	done
	echo "  $(grep -h 'destroyed anyway' "$TB_DIR"/n*/log/re6stnet.log | head -n 2)"
	check "the only tunnel was destroyed at the drain limit (policy.forced $forced) after $(elapsed "$t0") s" "1 2" -- \
		[ "$forced" -gt 0 ]
	drained=$(grep -h 'drained in' "$TB_DIR"/n*/log/re6stnet.log | wc -l)
	echo "  drains that finished before the limit: $drained"
	# The old tunnel goes once the peer acks (its own side drains up to
	# 30 s), then the pair waits one period (20 s) before choosing each
	# other again: a new tunnel, younger than the forced destruction.
	tf=$(date +%s) back=0
	while [ "$(elapsed "$tf")" -lt 120 ]; do
		now=$( (tuns 1; tuns 2) | sort)
		young=$(printf '%s\n' "$now" | awk -v t="$(elapsed "$tf")" '$3 == "up" && $4 < t' | wc -l)
		[ "$young" -gt 0 ] && tb_reach 1 2 && tb_reach 2 1 && { back=1; break; }
		sleep 2
	done
	echo "$now" | sed 's/^/  after: /'
	check "a replacement tunnel is up and the nodes reach each other over it $(elapsed "$tf") s later" "1 2" -- \
		[ "$back" = 1 ]
	# shellcheck disable=SC2086 # the monitors' pids
	kill $mons 2>/dev/null
	wait $mons 2>/dev/null
	for i in 1 2; do
		jq -c '[.change, .interface, .peer, .why // .routes // .drain_s // ""]' "$TB_DIR/monitor$i.json" 2>&1 |
			sed "s/^/  monitor $i: /"
		for ch in up down; do
			check "re6stctl monitor --json: tunnel $ch event on node $i" "$i" -- \
				jq -se "map(select(.event == \"tunnel\" and .change == \"$ch\")) | length > 0" "$TB_DIR/monitor$i.json"
		done
	done
	for ch in rotate forced; do
		check "re6stctl monitor --json: tunnel $ch event on the client's node" "1 2" -- \
			jq -se "map(select(.event == \"tunnel\" and .change == \"$ch\" and .role == \"client\")) | length > 0" \
			"$TB_DIR/monitor1.json" "$TB_DIR/monitor2.json"
	done
	;;
*)
	echo "unknown SCENARIO ${SCENARIO}"; exit 2 ;;
esac
tc_summary
}
