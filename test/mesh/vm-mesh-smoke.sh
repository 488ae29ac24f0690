#!/bin/bash
# A small mesh in namespaces (needs WireGuard: run it in the test VM):
# registry + N nodes (default 3) on the testbed's IPv4 underlay. Asserts
# that every node reaches every other node's re6st address, that `wg show`
# lists only peers with a recent handshake, that one babeld runs per node,
# and (with ROTATE=1) that tunnels rotate while a ping flow loses nothing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
N=${N:-3}
TB_REFRESH=${TB_REFRESH:-20}
TB_CLIENTS=${TB_CLIENTS:-2}
. "$here/../node/testbed.sh"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
ko() { failed=$((failed + 1)); echo "FAILED: $*"; }

TB_DIR=$(mktemp -d /tmp/re6st-mesh.XXXXXX)
TB_BUILD=${RE6ST_BUILD_ROOT:-$(pwd)/build}
REGISTRY=$TB_BUILD/registry-server/re6st-registry
CONF=$TB_BUILD/registry-client/re6st-conf
NODE=$TB_BUILD/daemon/re6stnet
CTL=$TB_BUILD/ctl/re6stctl
for b in "$REGISTRY" "$CONF" "$NODE"; do
	[ -x "$b" ] || { echo "SKIP: $b not built"; exit 77; }
done
trap tb_cleanup EXIT
ip link add r6-probe type wireguard 2>/dev/null && ip link del r6-probe ||
	{ echo "SKIP: no WireGuard in this kernel"; exit 77; }

tb_underlay "$N"
tb_registry_start || exit 1
for i in $(seq "$N"); do
	tb_node_add "$i" || { ko "node $i registration"; exit 1; }
	sleep 1
done

t0=$(date +%s)
if tb_wait_mesh "${CONVERGE_WAIT:-120}"; then
	ok "all $N nodes reach each other after $(($(date +%s) - t0)) s"
else
	ko "mesh did not converge within 120 s"
fi
tb_ping_matrix

for i in $(seq "$N"); do
	nb=$(ip netns pids "r6-n$i" | xargs -r ps -o comm= -p | grep -c '^babeld$')
	[ "$nb" = 1 ] && ok "node $i: one babeld" || ko "node $i: $nb babeld"
	now=$(date +%s)
	bad=0 peers=0
	tb_ns "r6-n$i" wg show all latest-handshakes >"$TB_DIR/hs"
	while read -r _ _ hs; do
		peers=$((peers + 1))
		[ "$hs" -gt 0 ] && [ $((now - hs)) -lt 180 ] || bad=$((bad + 1))
	done <"$TB_DIR/hs"
	[ "$peers" -gt 0 ] && [ "$bad" = 0 ] && ok "node $i: $peers WireGuard peers, all with recent handshakes" ||
		ko "node $i: $peers peers, $bad without a recent handshake"
done

if [ "${ROTATE:-0}" = 1 ]; then
	before=$(for i in $(seq "$N"); do tb_ns "r6-n$i" wg show all peers; done | sort | md5sum)
	dst=$(tb_node_addr 2)
	count=$((${ROTATE_SECONDS:-90} * 10))
	# -D -O: timestamps of unanswered requests, to match them with the logs.
	tb_ns r6-n1 ping -6 -D -O -i 0.1 -c "$count" "$dst" >"$TB_DIR/ping.out" 2>&1
	out=$(cat "$TB_DIR/ping.out")
	echo "$out" | tail -n 2
	grep 'no answer' "$TB_DIR/ping.out" | head -n 40 | sed 's/^/  lost: /'
	loss=$(echo "$out" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
	after=$(for i in $(seq "$N"); do tb_ns "r6-n$i" wg show all peers; done | sort | md5sum)
	[ "$before" != "$after" ] && ok "tunnels changed during the flow" || ko "no tunnel rotated"
	awk "BEGIN { exit !($loss <= 0.5) }" && ok "ping loss $loss% during rotation" ||
		ko "ping loss $loss% during rotation"
fi

if [ "${REVOKE:-0}" = 1 ]; then
	# Revoke the last node: every other node must drop its tunnels.
	victim_pk=$(tb_ns "r6-n$N" wg show all public-key | awk 'NR==1 {print $2}')
	victim=$(tb_node_addr "$N" | sed 's/::1$/::\/64/')
	tb_rpc "revoke?cn_or_serial=$victim" >/dev/null
	t0=$(date +%s) gone=0
	while [ $(($(date +%s) - t0)) -lt "${REVOKE_WAIT:-120}" ]; do
		left=0
		for i in $(seq $((N - 1))); do
			tb_ns "r6-n$i" wg show all peers | grep -qF "$victim_pk" && left=$((left + 1))
		done
		[ "$left" = 0 ] && { gone=1; break; }
		sleep 2
	done
	[ "$gone" = 1 ] && ok "revoked node $victim dropped by every peer after $(($(date +%s) - t0)) s" ||
		ko "revoked node $victim still has tunnels ($left nodes)"
	N=$((N - 1))
	tb_wait_mesh 60 $(seq "$N") && ok "the other nodes still reach each other" || ko "mesh broken after revocation"
fi

for i in $(seq "$N"); do
	echo "----- node $i: tunnels and routes"
	[ -x "$CTL" ] && tb_ctl "$i" tunnels 2>&1 | sed 's/^/  /'
	tb_ns "r6-n$i" ip -6 route show proto babel 2>&1 | sed 's/^/  route: /'
done
[ "$failed" = 0 ] || tb_dump
for i in $(seq "$N"); do
	echo "----- node $i log (tunnel lines)"
	grep -E "tunnel|peer:" "$TB_DIR/n$i/log/re6stnet.log" 2>/dev/null | tail -n 25 | sed 's/^/  /'
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
