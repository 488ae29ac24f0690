#!/bin/bash
# A mesh in namespaces (needs WireGuard: run it in the test VM): registry +
# N nodes (default 3) on the testbed's IPv4 underlay. Asserts that every
# node reaches every other node's re6st address, that `wg show` lists only
# peers with a recent handshake, that one babeld runs per node; with
# ROTATE=1, that while every node rotates a tunnel every TB_REFRESH (20) s,
# a ping flow of 10 packets/s for ROTATE_SECONDS (90) s from node 1 to node
# 2 loses at most 0.5% and tunnels did change (drained rotations counted
# from the logs), that re6stctl monitor --json on nodes 1 and 2 carried
# rotate, drained and replacement up events, the drain histogram's count
# moving by the drained and forced events seen, and that the rotation and
# forced-destruction counters of nodes 1 and 2 (METRICS_NODES) equal their
# status's policy.destroyed and policy.forced; with REVOKE=1, that a revoked node is dropped by every
# peer; that the registry's map (re6stctl topology, the status page, drawn
# by the host's Chromium in vm-shot.sh) shows every node and tunnel (MAP=0
# skips). TB_SAVE=DIR keeps
# every log and state for a look afterwards.
set -u
{ # parsed whole before it runs: safe against edits of this file mid-run
here=$(cd "$(dirname "$0")" && pwd)
N=${N:-3}
TB_REFRESH=${TB_REFRESH:-20}
TB_CLIENTS=${TB_CLIENTS:-2}
. "$here/../node/testbed.sh"
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
failures=""
ko() { failed=$((failed + 1)); failures="$failures  FAILED: $*
"; echo "FAILED: $*"; }

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
ip link add r6-probe$$ type wireguard 2>/dev/null && ip link del r6-probe$$ ||
	{ echo "SKIP: no WireGuard in this kernel"; exit 77; }

tb_underlay "$N"
if [ "${IPV4:-0}" = 1 ]; then
	# IPv4 payload: every node gets the subject-serial-th /24 of 10.42/16.
	for i in $(seq "$N"); do tb_ns "r6-n$i" sysctl -qw net.ipv4.ip_forward=1; done
	tb_registry_start --ipv4 10.42.0.0/16 24 || exit 1
else
	tb_registry_start || exit 1
fi
tb_register $(seq "$N") || { ko "registration"; exit 1; }
for i in $(seq "$N"); do
	tb_node_add "$i" || { ko "node $i registration"; exit 1; }
	sleep 1
done

t0=$(date +%s)
if tb_wait_mesh "${CONVERGE_WAIT:-120}"; then
	ok "all $N nodes reach each other after $(($(date +%s) - t0)) s"
else
	ko "mesh did not converge within 120 s"
	tb_dump # now: a later wait may run into the scenario's timeout
fi
tb_ping_matrix

if [ "$TB_UNDERLAY" = 6 ]; then
	# IPv6-only underlay: every WireGuard endpoint is an IPv6 address.
	# (`wg show all endpoints`: "IFACE<tab>PEER<tab>ENDPOINT", or "(none)")
	eps=$(for i in $(seq "$N"); do tb_ns "r6-n$i" wg show all endpoints; done |
		awk -F'\t' '$3 ~ /:[0-9]+$/ {print $3}')
	n6=$(echo "$eps" | grep -c '^\[fd42:198:18::')
	n4=$(echo "$eps" | grep -c '^[0-9.]*:[0-9]*$')
	[ "$n6" -gt 0 ] && [ "$n4" = 0 ] &&
		ok "IPv6 underlay: all $n6 WireGuard endpoints are IPv6 underlay addresses" ||
		ko "IPv6 underlay: $n6 IPv6 and $n4 IPv4 endpoints: $(echo $eps)"
fi

if [ "${IPV4:-0}" = 1 ]; then
	# The IPv4 payload over the same tunnels (babel routes IPv4 via IPv6
	# next hops): every node reaches node 1's IPv4 address and back.
	a1=$(tb_ctl 1 --json status | sed -n 's/.*"ipv4": *"\([0-9.]*\)".*/\1/p')
	echo "node 1 IPv4 payload address: ${a1:-none}"
	t0=$(date +%s) ok4=0
	while [ -n "$a1" ] && [ $(($(date +%s) - t0)) -lt 60 ]; do
		ok4=1
		for i in $(seq 2 "$N"); do
			tb_ns "r6-n$i" ping -4 -c 1 -W 1 "$a1" >/dev/null 2>&1 || { ok4=0; break; }
		done
		[ "$ok4" = 1 ] && break
		sleep 2
	done
	[ "$ok4" = 1 ] && ok "IPv4 payload: every node reaches node 1's $a1" ||
		{ ko "IPv4 payload: not every node reaches node 1's ${a1:-(no address)}"
		  tb_ns r6-n2 ip -4 route 2>&1 | sed 's/^/  n2 route: /'; }
	tb_ns r6-n1 ip -4 route show proto babel | sed 's/^/  n1 IPv4 route: /'
fi

for i in $(seq "$N"); do
	nb=$(ip netns pids "r6-n$i" | xargs -r ps -o comm= -p | grep -c '^babeld$')
	[ "$nb" = 1 ] && ok "node $i: one babeld" || ko "node $i: $nb babeld"
	# Tunnels keep rotating: a peer programmed a moment ago may not have
	# shaken hands yet. Look again (up to 3 times, 10 s apart) before failing.
	for try in 1 2 3; do
		now=$(date +%s)
		bad=0 peers=0
		tb_ns "r6-n$i" wg show all latest-handshakes >"$TB_DIR/hs"
		while read -r _ _ hs; do
			peers=$((peers + 1))
			[ "$hs" -gt 0 ] && [ $((now - hs)) -lt 180 ] || bad=$((bad + 1))
		done <"$TB_DIR/hs"
		[ "$peers" -gt 0 ] && [ "$bad" = 0 ] && break
		[ "$try" = 3 ] || sleep 10
	done
	[ "$peers" -gt 0 ] && [ "$bad" = 0 ] && ok "node $i: $peers WireGuard peers, all with recent handshakes" ||
		ko "node $i: $peers peers, $bad without a recent handshake"
done

# The registry's map of the live mesh (issue 15): versions and topology
# reach every node, re6stctl draws it (dot -Tsvg), and the status page as
# served lists every node and tunnel (MAP_PAGE=0 skips the page); the page
# is kept in the build's meson-logs, where vm-shot.sh has the host's
# headless Chromium draw it. MAP=0 skips. Run after the rotation flow: when
# Chromium still ran in the VM before the flow, it took the VM's CPUs long
# enough for live tunnels to be judged dead.
map_checks() {
if [ "${MAP:-1}" = 1 ]; then
	# the registry's own namespace: loopback, IPv6 on an IPv6-only underlay
	if [ "$TB_UNDERLAY" = 6 ]; then reg_local="http://[::1]:$TB_REG_PORT"
	else reg_local="http://127.0.0.1:$TB_REG_PORT"; fi
	regctl() { tb_ns r6-reg "$CTL" --registry "$reg_local" "$@"; }
	# One request per node, not sent again: a node slow to answer under
	# load is asked again in a second survey (three at most).
	for _ in 1 2 3; do
		regctl --json topology --wait 3 >"$TB_DIR/map.json" 2>"$TB_DIR/map.err"
		answered=$(jq '.topology[""] | length' "$TB_DIR/map.json" 2>/dev/null)
		[ "$answered" = "$N" ] && break
	done
	versions=$(jq '[.versions[] | select(. != null and startswith("re6stnet "))] | length' \
		"$TB_DIR/map.json" 2>/dev/null)
	tunnels=$(jq '[.topology | to_entries[] | select(.key != "") | .value[]] | length' \
		"$TB_DIR/map.json" 2>/dev/null)
	[ "$answered" = "$N" ] && [ "$versions" = "$N" ] && [ "${tunnels:-0}" -ge $((N - 1)) ] &&
		ok "map: $N nodes answered versions and topology, $tunnels tunnels" ||
		ko "map: ${answered:-?} answered, ${versions:-?} versions, ${tunnels:-?} tunnels: $(cat "$TB_DIR/map.err")"
	regctl topology --wait 3 | sed 's/^/  map: /'
	regctl topology --dot --wait 3 | dot -Tsvg >"$TB_DIR/map.svg" 2>"$TB_DIR/dot.err"
	[ "$(grep -c 'class="node"' "$TB_DIR/map.svg")" = "$N" ] && grep -q 'class="edge"' "$TB_DIR/map.svg" &&
		ok "map: dot -Tsvg draws $N nodes and their tunnels" ||
		ko "map: dot -Tsvg: $(cat "$TB_DIR/dot.err")"
	# MAP_PAGE=0: the map without the page (the page is the same on any
	# underlay). The page as served is kept for the host (vm-shot.sh), whose
	# Chromium draws it: the page has no script and no external asset, and
	# Chromium under the VM's TCG took two minutes to draw it.
	if [ "${MAP_PAGE:-1}" != 1 ]; then
		echo "map: MAP_PAGE=0, the status page is not kept"
	elif [ -n "${RE6ST_BUILD_ROOT:-}" ]; then
		mkdir -p "$RE6ST_BUILD_ROOT/meson-logs"
		page=$RE6ST_BUILD_ROOT/meson-logs/vm-status-page.html
		tb_rpc status >"$page"
		nodes=$(grep -o '<g class="node"' "$page" | wc -l)
		lines=$(grep -o '<line class="tunnel"' "$page" | wc -l)
		listed=$(sed -n 's/.*<h2>Tunnels (\([0-9]*\))<\/h2>.*/\1/p' "$page")
		[ "$nodes" = "$N" ] && [ "$lines" = "${listed:-x}" ] && [ "$lines" -ge $((N - 1)) ] &&
			ok "status page served: $N nodes, all $lines tunnels drawn (kept for the host's Chromium)" ||
			ko "status page served: $nodes nodes, $lines of ${listed:-?} tunnels drawn"
		# What the host's Chromium must find in the page it draws.
		echo "$N" >"$RE6ST_BUILD_ROOT/meson-logs/vm-status-page.nodes"
	else
		echo "map: no RE6ST_BUILD_ROOT: the status page is not kept"
	fi
fi
}

# The node's metrics (issue 15) against the kernel and re6stctl: parsed
# with python3-prometheus-client's parser; tunnels up as `re6stctl tunnels`
# says; each WireGuard tunnel's bytes between two `wg show transfer` reads
# taken around the scrape, its handshake age as `wg show latest-handshakes`.
# Tunnels rotate every TB_REFRESH s and the VM is slow: the tunnel count must
# match re6stctl's just before or just after the scrape, and only the
# interfaces whose peer stayed the same across the scrape are compared.
# Nodes 1 and 2 (METRICS_NODES): the same code on every node, and 20-40 s
# of checks per node under TCG.
PARSE="/usr/bin/python3 $here/../daemon/metrics-parse.py"
for i in ${METRICS_NODES:-1 2}; do
	d=$TB_DIR/metrics.n$i
	mkdir -p "$d"
	# A node whose only tunnel is being drained has none up until its
	# replacement is (seen: a few seconds): compare once one is up.
	for _ in $(seq 20); do
		tb_ctl "$i" --json tunnels 2>/dev/null |
			jq -e '[.tunnels[] | select(.state == "up")] | length > 0' >/dev/null && break
		sleep 1
	done
	tb_ctl "$i" --json tunnels >"$d/t0.json" 2>/dev/null
	tb_ns "r6-n$i" wg show all transfer >"$d/wg0"
	tb_ns "r6-n$i" wg show all latest-handshakes >"$d/hs"
	tb_ctl "$i" metrics >"$d/m.txt" 2>&1
	now=$(date +%s)
	tb_ns "r6-n$i" wg show all transfer >"$d/wg1"
	tb_ctl "$i" --json tunnels >"$d/t.json" 2>/dev/null
	if ! $PARSE <"$d/m.txt" >"$d/m.json" 2>"$d/err"; then
		ko "node $i: metrics do not parse: $(cat "$d/err") $(head -c 300 "$d/m.txt")"
		continue
	fi
	up_m=$(jq '[.samples[] | select(.name == "re6st_tunnels" and .labels.state == "up") | .value] | add' "$d/m.json")
	up_c0=$(jq '[.tunnels[] | select(.state == "up")] | length' "$d/t0.json")
	up_c=$(jq '[.tunnels[] | select(.state == "up")] | length' "$d/t.json")
	# Tunnels rotate every TB_REFRESH s: a set-up may end between the first
	# read and the scrape, and a tunnel go between the scrape and the last
	# read; the count must lie between the two reads, one either way.
	lo=$(( (up_c0 < up_c ? up_c0 : up_c) - 1 )) hi=$(( (up_c0 > up_c ? up_c0 : up_c) + 1 ))
	[ "${up_m%.0}" -ge "$lo" ] && [ "${up_m%.0}" -le "$hi" ] && [ "${up_m%.0}" -gt 0 ] &&
		ok "node $i metrics: ${up_m%.0} tunnels up, re6stctl tunnels says $up_c0 then $up_c" ||
		ko "node $i metrics: $up_m tunnels up, re6stctl tunnels says $up_c0 then $up_c:" \
			"$(jq -c '[.tunnels[] | "\(.ifname) \(.state)"]' "$d/t0.json" "$d/t.json")"
	# One pass: "NAME IFNAME VALUE" per sample, after the files "wg show
	# all transfer" before (wg0) and after (wg1) and latest-handshakes (hs).
	bad=$(jq -r '.samples[] | select(.name == "re6st_tunnel_receive_bytes_total" or
		.name == "re6st_tunnel_transmit_bytes_total" or
		.name == "re6st_tunnel_last_handshake_age_seconds") |
		"\(.name) \(.labels.ifname) \(.value)"' "$d/m.json" |
		awk -v now="$now" '
		FILENAME == ARGV[1] { peer0[$1] = $2; rx0[$1] = $3; tx0[$1] = $4; next }
		FILENAME == ARGV[2] { peer1[$1] = $2; rx1[$1] = $3; tx1[$1] = $4; next }
		FILENAME == ARGV[3] { hs[$1] = $3; next }
		{
			v = int($3)
			if (!($2 in peer0) && !($2 in peer1)) { print $2 " not in wg show"; next }
			# rotated across the scrape, or the same peer set up again
			# between the two reads (its counters start from 0)
			if (peer0[$2] != peer1[$2] || rx1[$2] < rx0[$2] || tx1[$2] < tx0[$2]) next
			if ($1 == "re6st_tunnel_last_handshake_age_seconds") {
				# now: after the scrape; a handshake since makes the metric younger
				if (!($2 in hs) || v > now - hs[$2] + 1) print $2 " age " v " (wg at most: " now - hs[$2] ")"
			} else if ($1 == "re6st_tunnel_receive_bytes_total") {
				if (v < rx0[$2] || v > rx1[$2]) print $2 " " $1 " " v " (wg: " rx0[$2] ".." rx1[$2] ")"
			} else if (v < tx0[$2] || v > tx1[$2]) print $2 " " $1 " " v " (wg: " tx0[$2] ".." tx1[$2] ")"
		}' "$d/wg0" "$d/wg1" "$d/hs" -)
	nwg=$(grep -c . "$d/wg1")
	[ -z "$bad" ] && [ "$nwg" -gt 0 ] &&
		ok "node $i metrics: bytes and handshake age of $nwg WireGuard tunnels as wg show" ||
		ko "node $i metrics: against wg show: $(echo $bad)"
	acc=$(jq '[.samples[] | select(.name == "re6st_peer_received_total" and .labels.verdict == "accepted") | .value] | add // 0' "$d/m.json")
	setups=$(jq '[.samples[] | select(.name == "re6st_tunnel_setup_seconds_count") | .value] | add // 0' "$d/m.json")
	clients=$(jq '[.tunnels[] | select(.state == "up" and .role == "client")] | length' "$d/t.json")
	[ "${acc%.0}" -gt 0 ] && [ "${setups%.0}" -ge "$clients" ] &&
		ok "node $i metrics: ${acc%.0} peer messages accepted, ${setups%.0} set-up latencies for $clients client tunnels up" ||
		ko "node $i metrics: $acc peer messages accepted, $setups set-up latencies, $clients client tunnels up"
done

if [ "${ROTATE:-0}" = 1 ]; then
	# re6stctl monitor --json (tunnel events) on nodes 1 and 2 through the
	# flow (issue 15). Each one's drain histogram count is read before its
	# monitor starts and once the daemon logs it connected, then after the
	# flow before and after the monitor stops: the drained and forced
	# events it carried must lie between the two differences.
	drains() { # I -> the node's re6st_tunnel_drain_seconds_count (the
		# exposition's sample lines, summed: no parser start per read)
		tb_ctl "$1" metrics 2>/dev/null | awk '$1 ~ /^re6st_tunnel_drain_seconds_count($|[{])/ { s += $NF }
			END { print int(s) }'
	}
	MON_NODES="1 2"
	declare -A dr0 dr1 df0 df1 mpid mc0
	for i in $MON_NODES; do
		mc0[$i]=$(grep -c 'monitor connected' "$TB_DIR/n$i/log/re6stnet.log")
		dr0[$i]=$(drains "$i")
		ip netns exec "r6-n$i" "$CTL" -s "$TB_DIR/n$i/run/re6stnet.sock" --json monitor tunnel \
			>"$TB_DIR/monitor.n$i.json" 2>"$TB_DIR/monitor.n$i.err" &
		mpid[$i]=$!
	done
	before=$(for i in $(seq "$N"); do tb_ns "r6-n$i" wg show all peers; done | sort | md5sum)
	rotations() { cat "$TB_DIR"/n*/log/re6stnet.log 2>/dev/null | grep -c 'closed: rotated'; }
	# rotations of tunnels that carried routes when picked
	busy_picks() { cat "$TB_DIR"/n*/log/re6stnet.log 2>/dev/null | grep -c 'draining ([1-9][0-9]* routes)'; }
	r0=$(rotations) b0=$(busy_picks)
	echo "tunnels before the flow:"
	for i in 1 2; do tb_ctl "$i" tunnels 2>&1 | sed "s/^/  n$i: /"; done
	# Each node's busiest client tunnel at the start ("I PEER ROUTES"): the
	# policy picks busy tunnels less often, never never (issue 10).
	for i in $(seq "$N"); do
		tb_ctl "$i" --json tunnels 2>/dev/null | jq -r --arg i "$i" '[.tunnels[] |
			select(.role == "client" and .state == "up")] | sort_by(-.routes) |
			.[0] | select(. != null) | "\($i) \(.peer) \(.routes)"'
	done >"$TB_DIR/busiest"
	sed 's/^/  busiest at the start: node /' "$TB_DIR/busiest"
	destroyed0=$(for i in $(seq "$N"); do tb_ctl "$i" --json status 2>/dev/null |
		jq '.policy.destroyed'; done | awk '{ s += $1 } END { print s + 0 }')
	for i in $MON_NODES; do
		for _ in $(seq 50); do
			[ "$(grep -c 'monitor connected' "$TB_DIR/n$i/log/re6stnet.log")" -gt "${mc0[$i]}" ] && break
			sleep 0.2
		done
		dr1[$i]=$(drains "$i")
	done
	dst=$(tb_node_addr 2)
	count=$((${ROTATE_SECONDS:-90} * 10))
	# Route changes on every node during the flow (timestamped), to explain
	# a lost packet: which prefix went where, and when.
	mons=""
	for i in $(seq "$N"); do
		tb_ns "r6-n$i" ip -6 -ts monitor route >"$TB_DIR/mon.n$i" 2>&1 &
		mons="$mons $!"
		# The starting tables: with the monitor's changes, every node's
		# route to either end at any instant of the flow.
		tb_ns "r6-n$i" ip -6 route show proto babel >"$TB_DIR/rt0.n$i" 2>&1
	done
	src_p=$(tb_node_addr 1 | sed 's/::1$/::\/64/') dst_p=$(echo "$dst" | sed 's/::1$/::\/64/')
	# A route to node 2 first (rotation runs since the start): a ping
	# without one stops at once ("connect: No route to host").
	t0=$(date +%s)
	until tb_ns r6-n1 ping -6 -c 1 -W 1 "$dst" >/dev/null 2>&1; do
		[ $(($(date +%s) - t0)) -lt 30 ] || break
		sleep 0.5
	done
	echo "  node 1 answered by node 2 after $(($(date +%s) - t0)) s of waiting for the flow"
	# -D -O: timestamps of unanswered requests, to match them with the logs.
	tb_ns r6-n1 ping -6 -D -O -i 0.1 -c "$count" "$dst" >"$TB_DIR/ping.out" 2>&1
	kill $mons 2>/dev/null
	for i in $MON_NODES; do
		df0[$i]=$(drains "$i")
		kill "${mpid[$i]}" 2>/dev/null
		wait "${mpid[$i]}" 2>/dev/null
		df1[$i]=$(drains "$i")
	done
	out=$(cat "$TB_DIR/ping.out")
	echo "$out" | tail -n 2
	loss=$(echo "$out" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
	echo "  requests not answered within 0.1 s: $(grep -c 'no answer' "$TB_DIR/ping.out")"
	# A failed flow (the check below): each gap (lost requests less than
	# 1 s apart), the route changes and tunnel events of every node from
	# 3 s before to 1 s after it (a minute of the VM's time per gap).
	awk "BEGIN { exit !(${loss:-100} <= 0.5) }" ||
	grep 'no answer' "$TB_DIR/ping.out" | head -n 40 | sed 's/^/  lost: /'
	awk "BEGIN { exit !(${loss:-100} <= 0.5) }" ||
	sed -n 's/^\[\([0-9]*\)\.[0-9]*\] no answer.*/\1/p' "$TB_DIR/ping.out" | uniq |
		awk 'NR == 1 || $1 > last + 1 { print } { last = $1 }' | head -n 4 | while read -r t; do
		from=$(date -u -d "@$((t - 3))" +%H:%M:%S) to=$(date -u -d "@$((t + 1))" +%H:%M:%S)
		echo "  ----- around the gap at $(date -u -d "@$t" +%H:%M:%S)"
		for i in $(seq "$N"); do
			awk -v a="$from" -v b="$to" -v n="n$i" '{ ts = substr($1, 13, 12) }
				substr(ts, 1, 8) >= a && substr(ts, 1, 8) <= b {
					sub(/^[^ ]* /, ""); print "    " ts " " n " route: " $0 }' "$TB_DIR/mon.n$i"
			awk -v a="$from" -v b="$to" -v n="n$i" '{ ts = $2 }
				substr(ts, 1, 8) >= a && substr(ts, 1, 8) <= b && /tunnel/ {
					sub(/^[^ ]* [^ ]* [^ ]* /, ""); print "    " ts "000 " n " log: " $0 }' \
				"$TB_DIR/n$i/log/re6stnet.log"
		done | sort | head -n 60
		# Where each node forwarded either end's packets as the gap began
		# (-O reports a request 0.1 s after it left): the starting table
		# replayed up to then, and which peer each of those tunnels led to
		# (the last up/closed line before).
		ft=$(sed -n "s/^\[\($t\.[0-9]*\)\] no answer.*/\1/p" "$TB_DIR/ping.out" | head -n 1)
		at=$(date -u -d "@$ft" +%H:%M:%S.%3N)
		for i in $(seq "$N"); do
			for p in "$dst_p" "$src_p"; do
				r=$({ awk -v p="$p" '$1 == p { print "add " $0 }' "$TB_DIR/rt0.n$i"
					awk -v p="$p" -v at="$at" '{ ts = substr($1, 13, 12) }
						ts < at && $2 == p { $1 = ""; print "add" $0 }
						ts < at && $2 == "Deleted" && $3 == p { print "del" }' "$TB_DIR/mon.n$i"
				} | awk '$1 == "add" { r = $0 } $1 == "del" { r = "" } END { print r }')
				dev=$(echo "$r" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
				peer=$(awk -v d="$dev" -v at="$at" '$2 < at && $0 ~ "tunnel " d " " &&
					/ (up|closed)/ { l = $0 } END { sub(/^[^ ]* [^ ]* [^ ]* [^ ]* /, "", l); print l }' \
					"$TB_DIR/n$i/log/re6stnet.log")
				echo "    n$i -> $p: ${dev:-no route}${peer:+ ($peer)}"
			done
		done
	done
	after=$(for i in $(seq "$N"); do tb_ns "r6-n$i" wg show all peers; done | sort | md5sum)
	r1=$(rotations) b1=$(busy_picks)
	echo "tunnels after the flow:"
	for i in 1 2; do tb_ctl "$i" tunnels 2>&1 | sed "s/^/  n$i: /"; done
	# Which busiest tunnels went: the node no longer has a client tunnel
	# to that peer, or it has one again only after a rotation (younger
	# than the flow).
	gone=0 busy=0
	while read -r i peer routes; do
		[ "$routes" -gt 0 ] || continue
		busy=$((busy + 1))
		tb_ctl "$i" --json tunnels 2>/dev/null | jq -e --arg p "$peer" --argjson t "${ROTATE_SECONDS:-90}" \
			'[.tunnels[] | select(.role == "client" and .peer == $p and .age_s > $t)] | length > 0' \
			>/dev/null || gone=$((gone + 1))
	done <"$TB_DIR/busiest"
	destroyed1=$(for i in $(seq "$N"); do tb_ctl "$i" --json status 2>/dev/null |
		jq '.policy.destroyed'; done | awk '{ s += $1 } END { print s + 0 }')
	periods=$(( ${ROTATE_SECONDS:-90} / TB_REFRESH ))
	lost=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' |
		awk '{ print $1 - $2 }')
	echo "rotation: $((destroyed1 - destroyed0)) tunnels picked in $periods periods by $N nodes" \
		"($(awk -v d=$((destroyed1 - destroyed0)) -v p="$periods" -v n="$N" \
		'BEGIN { printf "%.2f", d / (p * n) }') per node and period), ${lost:-?} packets lost" \
		"($(awk -v l="${lost:-0}" -v d=$((destroyed1 - destroyed0)) \
		'BEGIN { printf "%.2f", d ? l / d : 0 }') per rotation)"
	# Busy tunnels are picked less often, never never. Each node's busiest
	# tunnel goes in the flow's 6 periods with a chance of about 1/2 (2
	# client tunnels: 0.6 picks a period, 1 in 5 the busy one), so with
	# 2 busy nodes this alone failed 1 run in 5 by chance: tunnels picked
	# while they carried routes count too.
	[ "$busy" -gt 0 ] && [ "$gone" -gt 0 ] || [ $((b1 - b0)) -ge 3 ] &&
		ok "busy tunnels rotated too: $gone of $busy nodes' busiest client tunnels went, $((b1 - b0)) tunnels picked while carrying routes during the flow" ||
		ko "no busy tunnel rotated ($gone of $busy busiest went, $((b1 - b0)) picked while carrying routes)"
	[ "$before" != "$after" ] && [ "$r1" -gt "$r0" ] &&
		ok "tunnels changed during the flow: $((r1 - r0)) drained rotations in the network" ||
		ko "no tunnel rotated ($((r1 - r0)) rotations)"
	awk "BEGIN { exit !(${loss:-100} <= 0.5) }" && ok "ping loss $loss% during rotation" ||
		ko "ping loss ${loss:-?}% during rotation"
	# What the monitors saw: tunnels chosen for rotation (their drain
	# starts), drains ended, and a client tunnel up after the node's first
	# rotation (a replacement); the drain histogram's count moved by the
	# drained and forced events seen, no event dropped.
	mrot=0 mdrained=0 mrepl=0
	for i in $MON_NODES; do
		f=$TB_DIR/monitor.n$i.json
		counts=$(jq -rs '[.[] | select(.event == "tunnel")] as $t |
			([$t[] | select(.change == "rotate" and .role == "client") | .time] | min) as $r0 |
			[($t | map(select(.change == "rotate")) | length),
			 ($t | map(select(.change == "drained")) | length),
			 ($t | map(select(.change == "forced")) | length),
			 ($t | map(select(.change == "up")) | length),
			 ($t | map(select(.change == "down")) | length),
			 ($t | map(select(.change == "up" and .role == "client" and $r0 != null and .time > $r0)) | length),
			 ([.[] | select(.event == "dropped") | .count] | add // 0)] | @tsv' "$f" 2>"$TB_DIR/monitor.n$i.jq")
		read -r rot drd frc up down repl dropped <<<"$counts"
		echo "monitor n$i: rotate ${rot:-?}, drained ${drd:-?}, forced ${frc:-?}, up ${up:-?}" \
			"(${repl:-?} client tunnels after the first rotate), down ${down:-?}, dropped ${dropped:-?}"
		mrot=$((mrot + ${rot:-0})) mdrained=$((mdrained + ${drd:-0})) mrepl=$((mrepl + ${repl:-0}))
		lo=$(( ${df0[$i]:-0} - ${dr1[$i]:-0} )) hi=$(( ${df1[$i]:-0} - ${dr0[$i]:-0} )) ev=$(( ${drd:-0} + ${frc:-0} ))
		[ -n "$counts" ] && [ "$dropped" = 0 ] && [ -n "${dr0[$i]}" ] && [ -n "${df1[$i]}" ] &&
			[ "$ev" -ge "$lo" ] && [ "$ev" -le "$hi" ] &&
			ok "node $i: drain histogram count +$lo..+$hi during the flow, $ev drained/forced events in re6stctl monitor" ||
			ko "node $i: drain histogram count ${dr0[$i]:-?}/${dr1[$i]:-?} -> ${df0[$i]:-?}/${df1[$i]:-?}," \
				"monitor: $ev drained/forced, ${dropped:-?} dropped: $(head -c 300 "$TB_DIR/monitor.n$i.err" "$TB_DIR/monitor.n$i.jq")"
	done
	[ "$mrot" -gt 0 ] && [ "$mdrained" -gt 0 ] && [ "$mrepl" -gt 0 ] &&
		ok "re6stctl monitor --json on nodes $MON_NODES: $mrot rotate, $mdrained drained, $mrepl client tunnels up after a rotate" ||
		ko "re6stctl monitor --json on nodes $MON_NODES: $mrot rotate, $mdrained drained, $mrepl client tunnels up after a rotate"
	# The rotation counters as the node's status says (METRICS_NODES): read
	# the metrics, the status, the metrics again (a rotation in between:
	# once more).
	for i in ${METRICS_NODES:-1 2}; do
		d=$TB_DIR/metrics.n$i
		mkdir -p "$d"
		for _ in 1 2 3; do
			tb_ctl "$i" metrics >"$d/r1.txt" 2>&1
			st=$(tb_ctl "$i" --json status 2>/dev/null | jq -r '"\(.policy.destroyed) \(.policy.forced)"')
			tb_ctl "$i" metrics >"$d/r2.txt" 2>&1
			grep -E '^re6st_tunnel_(rotations|forced_destructions)_total ' "$d/r1.txt" >"$d/r1.c"
			grep -E '^re6st_tunnel_(rotations|forced_destructions)_total ' "$d/r2.txt" >"$d/r2.c"
			cmp -s "$d/r1.c" "$d/r2.c" && break
		done
		m=$($PARSE <"$d/r1.txt" 2>"$d/r.err" | jq -r '[.samples[] | select(.name == "re6st_tunnel_rotations_total") | .value] as $r |
			[.samples[] | select(.name == "re6st_tunnel_forced_destructions_total") | .value] as $f |
			if ($r | length) == 1 and ($f | length) == 1 then "\($r[0] | floor) \($f[0] | floor)" else "missing" end')
		[ -n "$m" ] && [ "$m" = "$st" ] && cmp -s "$d/r1.c" "$d/r2.c" &&
			ok "node $i metrics: rotations and forced destructions ($m) as status policy.destroyed and .forced" ||
			ko "node $i metrics: rotations, forced destructions '${m:-?}', status policy.destroyed, .forced '$st': $(cat "$d/r.err")"
	done
fi

map_checks

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
	tb_wait_mesh 120 $(seq "$N") && ok "the other nodes still reach each other" ||
		{ ko "mesh broken after revocation"; tb_ping_matrix $(seq "$N"); }
fi

# What the nodes saw, for a failed run (tb_dump: tunnels, wg, routes, logs).
if [ "$failed" != 0 ]; then
	for i in $(seq "$N"); do
		echo "----- node $i: tunnels and routes"
		[ -x "$CTL" ] && tb_ctl "$i" tunnels 2>&1 | sed 's/^/  /'
		tb_ns "r6-n$i" ip -6 route show proto babel 2>&1 | sed 's/^/  route: /'
	done
	tb_dump
fi
for i in $(seq "$N"); do
	if [ "$failed" != 0 ]; then
		echo "----- node $i log (tunnel lines)"
		grep -E "tunnel|peer:" "$TB_DIR/n$i/log/re6stnet.log" 2>/dev/null | tail -n 25 | sed 's/^/  /'
	fi
	# babeld shutting the local socket on us (re-connected, babel.c), and
	# drains where babeld's account and the kernel's differed.
	lost=$(grep -c "local socket: connecting again" "$TB_DIR/n$i/log/re6stnet.log" 2>/dev/null)
	differ=$(grep -c "the kernel still has" "$TB_DIR/n$i/log/re6stnet.log" 2>/dev/null)
	# babeld 1.12 failing to sign a packet for a neighbour whose link went
	# down, in a loop (docs/tunnel-manager.md, "The interface pool").
	hmac=$(tb_hmac_failures "$i")
	echo "  node $i: babeld socket lost and re-connected: ${lost:-0} times; drain checks where the kernel still routed: ${differ:-0}; babeld unsigned sends: ${hmac:-0}"
	[ "${hmac:-0}" -le "${hmac_max:-0}" ] || hmac_max=$hmac
done
# A loop runs until the neighbour expires, babeld deaf meanwhile: 80,000
# to 690,000 lines on some nodes of a run when tunnels had a key and freed
# links went down at once. Tunnels carry no key now, and freed links go
# down at once: none expected.
[ "${hmac_max:-0}" = 0 ] &&
	ok "babeld's HMAC loop never ran (no failed signature on any node)" ||
	ko "babeld's HMAC loop ran: $hmac_max failed signatures on a node"
printf '%s' "$failures" # again at the end: a CI log may keep only its last lines
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
}
