#!/bin/bash
# bench-node.sh - figures of a live re6st network in namespaces (test VM):
#
#   set-up time     from the daemon's decision ("tunnel: connecting IF to P"
#                   in its log, ms) to the first packet through the new
#                   tunnel: a `ping -D` to ff02::1 runs on every client
#                   interface of a few nodes all along, and tunnels are
#                   reprogrammed in place at each rotation, so the first echo
#                   reply after the decision is the first packet through
#                   (resolution: the ping interval, 10 ms)
#   loss/rotation   a ping flow between two nodes (20/s) while every node
#                   destroys a random share of its tunnels every BENCH_REFRESH
#                   seconds (the network's rotate-share, 0.3): packets lost
#                   per rotation, rotations per node and period
#   memory, CPU     of node 1's re6stnet, which keeps 10 tunnels (client-count
#                   10 in an 11-node network) and serves its metrics
#                   (--metrics 127.0.0.1:9326, scraped with curl at every
#                   sample): RssAnon, RssFile and VmRSS (max of samples, 10 s
#                   apart), VmHWM, the split of memsplit.sh, utime+stime
#                   over BENCH_SECONDS (default 300). The 4 MB aim is on
#                   RssAnon, the memory the process itself costs; VmRSS adds
#                   the shared libraries' pages (docs/daemon.md, "Memory")
#
# Env: BENCH_NODES (11), BENCH_REFRESH (15), BENCH_ROTATE_SECONDS (120),
# BENCH_SECONDS (300). Measure a release build (meson setup build-bench
# --buildtype=release; RE6ST_BUILD_ROOT=$PWD/build-bench).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
N=${BENCH_NODES:-11}
REFRESH=${BENCH_REFRESH:-15}
ROTATE_S=${BENCH_ROTATE_SECONDS:-120}
MEM_S=${BENCH_SECONDS:-300}
TB_CLIENTS=2
TB_REFRESH=$REFRESH
. "$src/test/node/testbed.sh"
. "$src/test/node/checks.sh"
{ # parsed whole before it runs: safe against edits of this file mid-run
tb_init
ip link add r6-probe type wireguard 2>/dev/null && ip link del r6-probe ||
	{ echo "SKIP: no WireGuard in this kernel"; exit 77; }
figure() { printf 'figure: %-40s %s\n' "$1" "$2"; }
if ldd "$NODE" | grep -q libasan; then build="sanitized (figures not meaningful for memory)"
else build="not sanitized"; fi
tb_log "re6stnet: $NODE ($build); $N nodes, refresh $REFRESH s, hello ${TB_HELLO}s"

tb_underlay "$N"
tb_registry_start || exit 1
tb_node_add 1 --client-count 10 --max-clients 20 --tunnel-refresh 300 --metrics 127.0.0.1:9326 || exit 1
for i in $(seq 2 "$N"); do tb_node_add "$i" || exit 1; done
nodes_index
t0=$(date +%s)
if wait_mesh 300 $(seq "$N"); then
	tb_log "mesh converged after $(($(date +%s) - t0)) s"
else
	tb_log "mesh not converged after 300 s"; show_fails $(seq "$N"); tb_dump; exit 1
fi

# ---- set-up time: probes on the client interfaces while tunnels rotate
PINGERS="2 3"
pids=""
for n in $PINGERS; do
	for ifc in $(nsx "r6-n$n" ip -o link show type wireguard | awk -F': ' '{ print $2 }' | grep '^re6stc'); do
		nsx "r6-n$n" sh -c "trap 'kill \$p; exit 0' TERM
			while :; do ping -6 -D -n -i 0.01 -I $ifc ff02::1 & p=\$!; wait \$p; sleep 0.01; done" \
			>"$TB_DIR/ping-$n-$ifc" 2>/dev/null &
		pids="$pids $!"
	done
done
tb_log "set-up probes on the client interfaces of nodes $PINGERS for $ROTATE_S s"
sleep "$ROTATE_S"
for p in $pids; do kill "$p" 2>/dev/null; done
wait $pids 2>/dev/null

# ---- loss per rotation: a ping flow while every node rotates
for i in $(seq "$N"); do
	grep -c 'draining (' "$TB_DIR/n$i/log/re6stnet.log" 2>/dev/null || echo 0
done >"$TB_DIR/drains0"
tb_log "rotations under a ping flow n5 -> n6 (20/s) for $ROTATE_S s"
flow=$(nsx r6-n5 ping -6 -q -n -i 0.05 -c $((ROTATE_S * 20)) "$(node_addr 6)" 2>&1)
for i in $(seq "$N"); do
	grep -c 'draining (' "$TB_DIR/n$i/log/re6stnet.log" 2>/dev/null || echo 0
done >"$TB_DIR/drains1"
rot=$(paste "$TB_DIR/drains0" "$TB_DIR/drains1" | awk '{ s += $2 - $1 } END { print s + 0 }')
sent=$(echo "$flow" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
recv=$(echo "$flow" | sed -n 's/.* \([0-9]*\) received.*/\1/p')
lost=$((${sent:-0} - ${recv:-0}))

# Set-up samples: each "connecting IF to P" of a pinging node, then the
# first echo reply on IF after it (and before the next decision on IF).
: >"$TB_DIR/setup"
for n in $PINGERS; do
	for f in "$TB_DIR"/ping-"$n"-*; do
		[ -e "$f" ] || continue
		ifc=${f##*-}
		awk -v ifc="$ifc" '
			FNR == NR {
				if ($0 ~ ("tunnel: connecting " ifc " to ")) {
					split($1, d, "-"); split($2, t, ":")
					ts = mktime(d[1] " " d[2] " " d[3] " " t[1] " " t[2] " 0") + t[3]
					dec[++nd] = ts
				}
				if ($0 ~ ("tunnel " ifc " to .* up")) {
					split($1, d, "-"); split($2, t, ":")
					up[++nu] = mktime(d[1] " " d[2] " " d[3] " " t[1] " " t[2] " 0") + t[3]
				}
				next
			}
			/bytes from/ { gsub(/[\[\]]/, "", $1); rep[++nr] = $1 + 0; src[nr] = $5 }
			END {
				k = 1; u = 1
				for (i = 1; i <= nd; i++) {
					while (k <= nr && rep[k] < dec[i]) k++
					while (u <= nu && up[u] < dec[i]) u++
					if (k > nr || (i < nd && rep[k] >= dec[i + 1])) continue
					if (rep[1] > dec[i]) continue # ping not running yet
					a = (u <= nu && (i == nd || up[u] < dec[i + 1])) ? (up[u] - dec[i]) * 1000 : -1
					printf "%.1f %.1f %.3f %s\n", (rep[k] - dec[i]) * 1000, a, dec[i], src[k]
				}
			}' "$TB_DIR/n$n/log/re6stnet.log" "$f" >>"$TB_DIR/setup"
	done
done
ns=$(wc -l <"$TB_DIR/setup")
stats() { # column -> "median p90 max (n)"
	awk -v c="$1" '$c >= 0 { print $c }' "$TB_DIR/setup" | sort -n |
		awk '{ v[NR] = $1 } END { if (!NR) { print "no sample"; exit }
			printf "median %.1f ms, p90 %.1f ms, max %.1f ms (%d samples)\n",
				v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.999)], v[NR], NR }'
}
echo "$flow" | tail -n 2 | sed 's/^/  /'
echo "  set-up samples (ms to first reply, ms to programmed, decision time, reply source):"
head -n 8 "$TB_DIR/setup" | sed 's/^/    /'

# ---- memory and CPU of node 1 with 10 tunnels
pid=$(cat "$TB_DIR/n1/pid")
bpid=$(cat "$TB_DIR/n1/run/babeld.pid")
hz=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
tb_log "node 1: $(ctl 1 --json tunnels | jq '[.tunnels[] | select(.state == "up")] | length') tunnels up; measuring for $MEM_S s"
c0=$(cpu "$pid") b0=$(cpu "$bpid") rss=0 anon=0 file=0 tmin=999 tsum=0 k=0 scrapes=0 bytes=0
end=$(($(date +%s) + MEM_S))
while [ "$(date +%s)" -lt "$end" ]; do
	r=$(kb "$pid" VmRSS)
	[ "$r" -gt "$rss" ] && rss=$r
	r=$(kb "$pid" RssAnon)
	[ "$r" -gt "$anon" ] && anon=$r
	r=$(kb "$pid" RssFile)
	[ "$r" -gt "$file" ] && file=$r
	# a Prometheus scrape per sample (node 1's namespace, loopback)
	r=$(nsx r6-n1 curl -sf -m 5 -o /dev/null -w '%{size_download}' http://127.0.0.1:9326/metrics) &&
		scrapes=$((scrapes + 1)) bytes=$r
	nt=$(ctl 1 --json tunnels | jq '[.tunnels[] | select(.state == "up")] | length')
	[ "$nt" -lt "$tmin" ] && tmin=$nt
	tsum=$((tsum + nt)) k=$((k + 1))
	sleep 10
done
c1=$(cpu "$pid") b1=$(cpu "$bpid")
hwm=$(kb "$pid" VmHWM)

echo
echo "===== bench-node figures ($build, $N nodes, hello ${TB_HELLO} s)"
figure "tunnel set-up, decision to first packet" "$(stats 1)"
figure "  of which decision to programmed (log)" "$(stats 2)"
figure "ping flow during rotations" "$lost lost of ${sent:-0} ($rot rotations in the network, refresh $REFRESH s)"
figure "packets lost per rotation" "$(awk -v l="$lost" -v r="$rot" 'BEGIN { printf "%.2f", r ? l / r : l }')"
figure "rotations per node and period" "$(awk -v r="$rot" -v n="$N" -v t="$ROTATE_S" -v p="$REFRESH" 'BEGIN { printf "%.2f (rotate-share 0.3)", r / n / (t / p) }')"
figure "re6stnet RssAnon (max over samples)" "$anon kB: $(awk -v a="$anon" 'BEGIN { printf "%.2f", a / 4096 }') of the 4 MB aim"
figure "re6stnet RssFile (max over samples)" "$file kB (shared library pages)"
figure "re6stnet VmRSS (max over samples)" "$rss kB (shared library pages included)"
figure "metrics scrapes (curl, one per sample)" "$scrapes of $k answered, last $bytes bytes"
figure "re6stnet VmHWM" "$hwm kB"
MEMSPLIT_TIMEOUT=60 timeout 150 "$here/memsplit.sh" "$pid" "re6stnet "
figure "re6stnet CPU (utime+stime)" "$(awk -v d=$((c1 - c0)) -v hz="$hz" -v s="$MEM_S" 'BEGIN { printf "%.2f s over %d s (%.2f%%)", d / hz, s, 100 * d / hz / s }')"
figure "babeld CPU (utime+stime)" "$(awk -v d=$((b1 - b0)) -v hz="$hz" 'BEGIN { printf "%.2f s", d / hz }')"
figure "babeld VmRSS / RssAnon" "$(kb "$bpid" VmRSS) kB / $(kb "$bpid" RssAnon) kB"
figure "node 1 tunnels up (min / mean)" "$tmin / $(awk -v s="$tsum" -v k="$k" 'BEGIN { printf "%.1f", k ? s / k : 0 }')"
med=$(awk '{ print $1 }' "$TB_DIR/setup" | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : -1 }')
echo "aims: set-up < 50 ms: $(awk -v m="$med" 'BEGIN { print (m >= 0 && m < 50) ? "met" : "NOT met" }');" \
	"no loss on drained rotations: $([ "$lost" = 0 ] && echo met || echo "NOT met");" \
	"< 4 MB resident (RssAnon): $([ "$anon" -lt 4096 ] && echo met || echo "NOT met")" \
	"(VmRSS < 4 MB: $([ "$rss" -lt 4096 ] && echo met || echo "NOT met"))"
exit 0
}
