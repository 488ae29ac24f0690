#!/bin/bash
# The loss-aware metric (docs/network-config.md, "Metric and failover"), with
# real babeld: three namespaces A, B, C joined by veths (A-B direct, A-C-B
# the detour), babeld on each veth with exactly re6stnet's tunnel options
# (babel-opts) and the network's default smoothing. Loss is made by
# nftables, dropping babel packets at random on both ends of A-B. RTTs are
# all ~0 (under rtt-min: every hop costs the link cost, 512).
#   clean:  A reaches B directly (512 against 1024);
#   10%:    loss 10% each way (ETX 1.23, cost ~632): A keeps the direct
#           route, and it does not flap (the old options, no link quality,
#           made the route infinite whenever 2 hellos of 3 were lost);
#   50%:    loss 50% each way (ETX 4, ~2048): the route moves to the clean
#           two-hop detour and stays there.
# Each phase: 40 s, A's route to B sampled every 0.25 s; route changes and
# time without a route are counted. Needs root (77 otherwise).
# RTT=1 (needs netem: the test VM, vm-metric): the links get RTTs, direct
# 100 ms, the detour 2 x 56 ms (costs 1107 against 1244), and the phases
# are: clean (direct), 5% loss each way (worth 5 ms: direct kept, at most
# one change) and 20% (worth 26 ms: the path through the lossy link loses
# to the clean one 12 ms longer, and stays lost).
# Usage: test-babel-metric.sh BABEL_OPTS_PROGRAM
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v babeld >/dev/null || { echo "SKIP: no babeld"; exit 77; }
command -v nft >/dev/null || { echo "SKIP: no nft"; exit 77; }
# OLD_OPTS=1: the options before issue 12 (no link quality, babeld's
# smoothing), to compare by hand; the phases' checks then fail.
if [ -n "${OLD_OPTS:-}" ]; then
	OPTS="type tunnel hello-interval 1 rtt-max 500 max-rtt-penalty 5000 rtt-decay 125" SMOOTH=4
else
	OPTS=$("$1") SMOOTH=8 || { echo "babel-opts failed"; exit 1; }
fi
PHASE=${PHASE_SECONDS:-40}
dir=$(mktemp -d /tmp/re6st-metric.XXXXXX)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
ko() { fail=$((fail + 1)); echo "FAILED: $*"; }
cleanup() {
	for n in a b c; do
		[ -f "$dir/$n.pid" ] && kill "$(cat "$dir/$n.pid")" 2>/dev/null
		ip netns del "mt-$n" 2>/dev/null
	done
	kill "$mon" 2>/dev/null
}
trap cleanup EXIT
echo "tunnel options: $OPTS"

for n in a b c; do
	ip netns del "mt-$n" 2>/dev/null
	ip netns add "mt-$n"
	ip -n "mt-$n" link set lo up
	ip netns exec "mt-$n" sysctl -qw net.ipv6.conf.all.forwarding=1
done
link() { # X Y: veth xy in X, yx in Y
	ip link add "v$1$2" netns "mt-$1" type veth peer name "v$2$1" netns "mt-$2"
	ip -n "mt-$1" link set "v$1$2" up
	ip -n "mt-$2" link set "v$2$1" up
}
link a b; link a c; link c b
if [ "${RTT:-0}" = 1 ]; then
	delay() { ip -n "mt-$1" link show "$2" >/dev/null && tc -n "mt-$1" qdisc add dev "$2" root netem delay "$3" ||
		{ echo "SKIP: no netem"; exit 77; }; }
	delay a vab 50ms; delay b vba 50ms
	for l in "a vac" "c vca" "c vcb" "b vbc"; do delay $l 28ms; done
	LOW=5 HIGH=20
else
	LOW=10 HIGH=50
fi
num() { case $1 in a) echo 1 ;; b) echo 2 ;; c) echo 3 ;; esac; }
for n in a b c; do
	ip -n "mt-$n" addr add "2001:db8:9:$(num $n)::1/64" dev lo
done
sleep 2 # link-local addresses (DAD)
for n in a b c; do
	ifs=$(ip -n "mt-$n" -o link show | awk -F': ' '$2 ~ /^v/ { sub(/@.*/, "", $2); print $2 }')
	args=()
	for i in $ifs; do args+=(-C "interface $i $OPTS"); done
	ip netns exec "mt-$n" babeld -I "$dir/$n.pid" -S "$dir/$n.state" -L "$dir/$n.log" \
		-C "router-id 02:00:00:00:00:00:00:0$(num $n)" -C "smoothing-half-life $SMOOTH" \
		-C "redistribute local deny" -C "redistribute ip 2001:db8:9:$(num $n)::/64 eq 64" \
		-C "redistribute deny" -D "${args[@]}" $ifs
done

route_dev() { ip -n mt-a -6 route show 2001:db8:9:2::/64 | grep -o 'dev [a-z]*' | cut -d' ' -f2; }
# The monitor: one line per sample, "EPOCH DEV" (DEV "-" without a route).
( while :; do echo "$(date +%s.%N) $(route_dev | head -n1 || true)"; sleep 0.25; done ) >"$dir/route" &
mon=$!

loss() { # PERCENT: babel packets dropped at random on both ends of A-B
	for n in a b; do
		ip netns exec "mt-$n" nft delete table inet loss 2>/dev/null
		[ "$1" = 0 ] && continue
		printf 'table inet loss {\n chain o {\n type filter hook output priority 0;\n oifname "v%s" udp dport 6696 numgen random mod 100 < %s drop\n }\n}\n' \
			"$([ $n = a ] && echo ab || echo ba)" "$1" | ip netns exec "mt-$n" nft -f - || return 1
	done
}
phase() { # NAME: A's route to B over the last PHASE seconds -> "changes unrouted% mostly-dev"
	local t0=$(date +%s.%N)
	sleep "$PHASE"
	awk -v t0="$t0" '$1 >= t0 { dev = NF > 1 ? $2 : "-"; n++; c[dev]++
		if (n > 1 && dev != last) ch++; last = dev }
		END { best = "-"; for (d in c) if (c[d] > c[best]) best = d
		      printf "%d %.1f %s\n", ch, 100 * c["-"] / n, best }' "$dir/route"
}

# Let the mesh converge.
for _ in $(seq 60); do [ "$(route_dev)" = vab ] && break; sleep 0.5; done
set -- $(phase clean)
echo "clean: A->B via $3, $1 route changes, ${2}% of samples without a route"
[ "$3" = vab ] && [ "$1" = 0 ] && ok "clean: A reaches B directly, no change" ||
	ko "clean: A->B mostly via $3 with $1 changes"

loss $LOW || { ko "nft"; exit 1; }
sleep 16 # babeld's hello history: 16 hellos
set -- $(phase $LOW%)
echo "$LOW% loss each way: A->B via $3, $1 route changes, ${2}% of samples without a route"
[ "$3" = vab ] && [ "$1" -le 1 ] && [ "${2%.*}" = 0 ] && ok "$LOW% loss: the direct route kept, no flapping" ||
	ko "$LOW% loss: A->B mostly via $3, $1 changes, ${2}% unrouted"

loss $HIGH || { ko "nft"; exit 1; }
t=$(date +%s)
for _ in $(seq 120); do [ "$(route_dev)" = vac ] && break; sleep 0.25; done
moved=$(($(date +%s) - t))
set -- $(phase $HIGH%)
echo "$HIGH% loss each way: moved to the detour after ${moved} s; then A->B via $3, $1 route changes, ${2}% without a route"
[ "$3" = vac ] && [ "$1" -le 2 ] && ok "$HIGH% loss: the route moved to the clean detour and stays" ||
	ko "$HIGH% loss: A->B mostly via $3, $1 changes"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
