#!/bin/bash
# vm-network.sh - one 8-node re6st network in namespaces (registry and nodes
# started by re6st-registry, re6st-conf and re6stnet), several scenarios in
# turn on the same network (needs WireGuard: run it in the test VM):
#
#   mesh      some node-to-node underlay paths dropped (nftables): every node
#             reaches every other within 120 s; `wg show` holds exactly the
#             peers `re6stctl tunnels` lists, with recent handshakes; no
#             tunnel across a dropped path; one babeld per node
#   kill      kill -9 of a node's re6stnet and its underlay cut: the others
#             route around it; its restart removes the leftovers (stale
#             babeld, interfaces) and it rejoins
#   revoke    `revoke` at the registry, which is stopped right after one node
#             fetched the new configuration: every peer drops the revoked
#             node's tunnels within 30 s (gossip), the revoked node stops
#   registry  (registry still down) the mesh stays connected; a node
#             restarts from its cache (configuration, HMAC key); stopped
#             before the revoke, its cache is older than the network's: it
#             catches up from its new tunnels' peers (no registry to poll)
#   rejoin    ... and that node rejoins within 120 s from its peer cache
#             alone (kept a broad sample of the network by address requests)
#
# SCENARIOS="mesh kill" runs a subset (mesh always runs first).
set -u
here=$(cd "$(dirname "$0")" && pwd)
N=8
TB_CLIENTS=${TB_CLIENTS:-3}
TB_REFRESH=${TB_REFRESH:-300}
SCENARIOS=${SCENARIOS:-mesh kill revoke registry rejoin}
. "$here/testbed.sh"
. "$here/checks.sh"
{ # parsed whole before it runs: safe against edits of this file mid-run
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
tb_init
ip link add r6-probe$$ type wireguard 2>/dev/null && ip link del r6-probe$$ ||
	{ echo "SKIP: no WireGuard in this kernel"; exit 77; }
wants() { case " $SCENARIOS " in *" $1 "*) return 0 ;; esac; return 1; }
all_but() { seq "$N" | grep -vx "$1" | tr '\n' ' '; }
T0=$(date +%s)
elapsed() { echo $(($(date +%s) - $1)); }

# Underlay paths dropped: a ring of 8 pairs, so no node reaches all others
# directly and every node has two it can only reach through the overlay.
DROPS="1-2 2-3 3-4 4-5 5-6 6-7 7-8 8-1"

# ---------------------------------------------------------------- mesh
tb_log "===== mesh: $N nodes, underlay paths dropped: $DROPS"
tb_underlay "$N"
tb_log "underlay up"
drop_paths "$DROPS" || { ko "nftables drops"; exit 1; }
tb_log "paths dropped"
tb_registry_start || exit 1
tb_log "registry up"
ts=$(date +%s)
tb_register $(seq "$N") || { ko "registration"; exit 1; }
for x in $(seq "$N"); do
	tb_node_add "$x" || { ko "node $x registration"; exit 1; }
done
nodes_index
tb_log "registry and $N nodes started (registrations took $(elapsed "$ts") s)"
ts=$(date +%s)
if wait_mesh 120 $(seq "$N"); then
	ok "mesh: all $N nodes reach each other $(elapsed "$ts") s after the last start"
else
	ko "mesh: not converged within 120 s"
	show_fails $(seq "$N")
fi
sleep 3 # let the last tunnels finish their first handshake
node_pubkeys
for x in $(seq "$N"); do
	nb=$(node_babelds "$x")
	check "mesh: node $x runs one babeld ($nb)" "$x" -- [ "$nb" = 1 ]
	check "mesh: node $x: wg show = re6stctl tunnels, recent handshakes" "$x" -- check_node "$x"
	echo "  node $x: $(ntunnels_up "$x") tunnels up"
done
cross=""
for p in $DROPS; do
	a=${p%-*} b=${p#*-}
	awk -v p="$(node_prefix "$b")" '$4 == p && $3 == "up"' "$TB_DIR/t$a" | grep -q . && cross="$cross $p"
done
check "mesh: no tunnel across a dropped underlay path${cross:+ (found:$cross)}" "" -- [ -z "$cross" ]

# ---------------------------------------------------------------- kill
if wants kill; then
	K=4
	echo "===== kill: node $K (re6stnet kill -9, underlay cut)"
	old_babeld=$(cat "$TB_DIR/n$K/run/babeld.pid" 2>/dev/null)
	old_links=$(nsx "r6-n$K" ip -o link show type wireguard | awk -F': ' '{ print $1 ":" $2 }')
	tb_node_stop "$K" -9
	nsx "r6-n$K" ip link set eth0 down
	ts=$(date +%s)
	if wait_mesh 90 $(all_but "$K"); then
		ok "kill: the other $((N - 1)) nodes reach each other $(elapsed "$ts") s after node $K vanished"
	else
		ko "kill: the others do not reach each other without node $K" $(all_but "$K")
		show_fails $(all_but "$K")
	fi
	left=$(echo "$old_links" | grep -c .)
	kill -0 "$old_babeld" 2>/dev/null && stale=yes || stale=no
	tb_log "left by the killed node: babeld $old_babeld running: $stale; $left WireGuard interfaces"
	nsx "r6-n$K" ip link set eth0 up
	ts=$(date +%s)
	tb_node_add "$K"
	for _ in $(seq 30); do ctl "$K" help >/dev/null 2>&1 && break; sleep 1; done
	kill -0 "$old_babeld" 2>/dev/null && stale=yes || stale=no
	check "kill: restart stopped the stale babeld $old_babeld" "$K" -- [ "$stale" = no ]
	# Stopped cleanly before its interfaces were removed, it saved its seqno:
	# the new babeld keeps the router-id (one "no saved" line: the first start).
	nosave=$(grep -c "no saved sequence number" "$TB_DIR/n$K/log/re6stnet.log")
	check "kill: the stale babeld saved its seqno (router-id kept)" "$K" -- [ "$nosave" = 1 ]
	nb=$(node_babelds "$K")
	check "kill: node $K runs one babeld after restart ($nb)" "$K" -- [ "$nb" = 1 ]
	now_links=$(nsx "r6-n$K" ip -o link show type wireguard | awk -F': ' '{ print $1 ":" $2 }')
	# (no process substitution: the VM has no /dev/fd)
	kept=$(printf '%s\n' "$old_links" | grep -vxF -e '' | grep -xF "$now_links" | tr '\n' ' ')
	check "kill: the $left interfaces of the killed daemon are gone${kept:+ (still there: $kept)}" "$K" -- [ -z "$kept" ]
	if wait_mesh 120 $(seq "$N"); then
		ok "kill: node $K rejoined, all $N reach each other $(elapsed "$ts") s after the restart"
	else
		ko "kill: node $K did not rejoin within 120 s"
		show_fails $(seq "$N")
	fi
	node_pubkeys
	check "kill: node $K: wg show = re6stctl tunnels" "$K" -- check_node "$K"
fi

# ---------------------------------------------------------------- revoke
R=6 S=1
live=$(seq "$N")
if wants revoke; then
	echo "===== revoke: node $R, registry stopped right after"
	rp=$(node_prefix "$R")
	rkey=$(awk -v i="$R" '$1 == i { print $2 }' "$TB_DIR/pubkeys")
	v0=$(netconf_version "$S")
	# Node 2 sleeps through it (scenario registry restarts it).
	if wants registry; then
		tb_node_stop 2
		stopped2=yes
		tb_log "node 2 stopped with configuration $v0 in its cache"
	fi
	live=$(all_but "$R" | tr ' ' '\n' | grep -vx "${stopped2:+2}" | tr '\n' ' ')
	had=""
	for x in $live; do [ -n "$(tunnels_to "$x" "$rp")" ] && had="$had $x"; done
	tb_log "nodes with a tunnel to node $R ($rp):$had; configuration version $v0"
	t_rev=$(date +%s.%N) ts=$(date +%s)
	code=$(nsx r6-reg curl -sS -o "$TB_DIR/revoke.out" -w '%{http_code}' \
		"http://127.0.0.1:$TB_REG_PORT/revoke?cn_or_serial=$rp" 2>&1)
	check "revoke: registry answered HTTP $code $(head -c 200 "$TB_DIR/revoke.out")" "" -- [ "$code" = 204 ]
	# The registry is not a node: some node must fetch the new configuration
	# before the registry goes (SIGHUP fetches at once); gossip does the rest.
	kill -HUP "$(cat "$TB_DIR/n$S/pid")"
	for _ in $(seq 120); do
		grep -q "network configuration version $((v0 + 1))" "$TB_DIR/n$S/log/re6stnet.log" && break
		sleep 0.25
	done
	tb_registry_stop
	v1=$(netconf_version "$S")
	tb_log "node $S has configuration $v1 (was $v0) $(log_delay "$S" "network configuration version $v1" "$t_rev") s after the revoke; registry stopped $(elapsed "$ts") s after it"
	check "revoke: node $S fetched the new configuration on SIGHUP" "$S" -- [ "$v1" != "$v0" ]
	while :; do
		left=""
		for x in $live; do
			[ -n "$(tunnels_to "$x" "$rp")" ] && left="$left $x"
			nsx "r6-n$x" wg show all peers | awk '{ print $2 }' | grep -qxF "$rkey" &&
				left="$left $x(wg)"
		done
		[ -z "$left" ] && break
		[ "$(elapsed "$ts")" -lt 40 ] || break
		sleep 1
	done
	# When each peer dropped them, from its log (ms), not from this loop.
	worst=0 delays=""
	for x in $had; do
		d=$(log_delay "$x" "closed: certificate revoked" "$t_rev")
		delays="$delays n$x:${d:-?}s"
		[ -n "$d" ] || d=999
		worst=$(awk -v a="$worst" -v b="$d" 'BEGIN { print (b > a) ? b : a }')
	done
	tb_log "tunnels to node $R closed after:$delays"
	check "revoke: no peer keeps a tunnel to node $R${left:+ (still:$left)}" "$live" -- [ -z "$left" ]
	check "revoke: every peer dropped them within 30 s of the revoke (worst $worst s)" "$live" -- \
		awk -v w="$worst" 'BEGIN { exit !(w <= 30) }'
	for _ in $(seq 15); do
		behind=""
		for x in $live; do [ "$(netconf_version "$x")" = "$v1" ] || behind="$behind $x"; done
		[ -z "$behind" ] && break
		sleep 2
	done
	check "revoke: configuration $v1 reached every node by gossip${behind:+ (not:$behind)}" "$behind" -- [ -z "$behind" ]
	# The revoked node only learns it from the registry (its peers no longer
	# talk to it): it stays up, cut off, and must not get back in (below).
	kill -0 "$(cat "$TB_DIR/n$R/pid")" 2>/dev/null && tb_log "node $R (revoked) still runs, cut off"
fi

# ---------------------------------------------------------------- registry
if wants registry; then
	echo "===== registry: stopped; mesh of $(echo $live | wc -w) nodes, node 2 restarted from its cache"
	tb_registry_stop
	ts=$(date +%s)
	if wait_mesh 90 $live; then
		ok "registry: mesh connected without the registry ($(elapsed "$ts") s)"
	else
		ko "registry: mesh not connected without the registry" $live
		show_fails $live
	fi
	[ -n "${stopped2:-}" ] || tb_node_stop 2
	ts=$(date +%s) t_start=$(date +%s.%N)
	tb_node_add 2
	for _ in $(seq 30); do ctl 2 help >/dev/null 2>&1 && break; sleep 1; done
	check "registry: node 2 restarted with the cached configuration" 2 -- \
		grep -q 'using the cached network configuration' "$TB_DIR/n2/log/re6stnet.log"
	if [ -n "${stopped2:-}" ]; then
		# Its cache holds v0; the others hold v1 and the registry is down:
		# only its tunnels' peers can tell it (peer_tunnel_up()).
		for _ in $(seq 90); do [ "$(netconf_version 2)" = "$v1" ] && break; sleep 1; done
		first=$(log_delay 2 " up (" "$t_start")
		got=$(log_delay 2 "network configuration version $v1" "$t_start")
		tb_log "node 2: first tunnel up ${first:-?} s, configuration $v1 ${got:-?} s after its restart"
		check "registry: node 2, restarted with configuration $v0, got $v1 from its tunnel peers (${got:-not within 90} s)" 2 -- \
			[ "$(netconf_version 2)" = "$v1" ]
		live="$live 2"
	fi
	check "registry: node 2's babeld signs with the cached HMAC key" 2 -- \
		eval 'grep -q "HMAC keys: using those of the state database" "$TB_DIR/n2/log/re6stnet.log" &&
			grep -q "^key id sign" "$TB_DIR/n2/state/babeld.keys" &&
			tr "\0" " " <"/proc/$(cat "$TB_DIR/n2/run/babeld.pid")/cmdline" |
				grep -q -- "-c $TB_DIR/n2/state/babeld.keys"'
	# "rejoin": a node restarted while the registry is down only has its
	# peer cache, which must hold reachable peers (not only dropped paths
	# and the revoked node).
	if wants rejoin; then
		if wait_mesh 120 $live; then
			ok "registry: node 2 rejoined, all reach each other $(elapsed "$ts") s after its restart"
		else
			ko "registry: node 2 did not rejoin within 120 s" $live
			show_fails $live
		fi
	fi
	node_pubkeys
	for x in $live; do
		check "registry: node $x: wg show = re6stctl tunnels, one babeld" "$x" -- \
			eval 'check_node '"$x"' && [ "$(node_babelds '"$x"')" = 1 ]'
	done
	if wants revoke; then
		back=""
		for x in $live; do
			awk -v p="$rp" '$4 == p && $3 != "free"' "$TB_DIR/t$x" | grep -q . && back="$back $x"
		done
		check "registry: the revoked node $R did not get back in${back:+ (tunnels on:$back)}" "$back" -- [ -z "$back" ]
	fi
fi

echo "===== total $(elapsed "$T0") s"
tc_summary
}
