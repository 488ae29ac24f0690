#!/bin/bash
# bench-mem-host.sh [BUILD_ROOT [SOURCE_ROOT]] - re6stnet's memory on this
# machine, without the test VM: a registry and one node in network
# namespaces (test/node/testbed.sh), no tunnel (the host kernel may lack
# WireGuard), measured after BENCH_SECONDS (default 20) of steady state.
# The memory with 10 tunnels comes from bench-node.sh in the VM; this one
# is for quick before/after comparisons of a change. The node serves its
# metrics (--metrics): measured once idle, then again after BENCH_SCRAPES
# (default 200) GET /metrics and 20 `re6stctl metrics`. Needs root (exit 77).
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
export RE6ST_BUILD_ROOT=${1:-${RE6ST_BUILD_ROOT:-$PWD/build}}
here=$(cd "$(dirname "$0")" && pwd)
cd "${2:-$here/../..}" || exit 1
. test/node/testbed.sh
{ # parsed whole before it runs
tb_init "$(mktemp -d /tmp/re6st-memhost.XXXXXX)" || exit 1
if ldd "$NODE" | grep -q libasan; then build="sanitized (figures not meaningful)"
else build="not sanitized"; fi
tb_underlay 1 || exit 1
tb_registry_start || exit 1
MPORT=9327
tb_node_add 1 --metrics "$MPORT" || exit 1
for _ in $(seq 100); do
	tb_ctl 1 status 2>/dev/null | grep -q 'babeld.ready *yes' && break
	sleep 0.2
done
tb_ctl 1 status 2>/dev/null | grep -q 'babeld.ready *yes' ||
	{ echo "node did not start"; tail -n 20 "$TB_DIR/n1/log/re6stnet.log"; exit 1; }
sleep "${BENCH_SECONDS:-20}"
pid=$(cat "$TB_DIR/n1/pid")
# the pid file may hold the `ip netns exec` that exec'd re6stnet: same pid
echo "===== re6stnet memory on the host ($build, idle node, no tunnel, --metrics): $NODE"
"$here/memsplit.sh" "$pid" "re6stnet "
anon=$(awk '$1 == "RssAnon:" { print $2 }' "/proc/$pid/status")
printf 'figure: %-40s %s\n' "re6stnet RssAnon / 4 MB aim" \
	"$(awk -v a="$anon" 'BEGIN { printf "%.2f", a / 4096 }')"
n=${BENCH_SCRAPES:-200}
ok=0
for _ in $(seq "$n"); do
	tb_ns r6-n1 curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$MPORT/metrics" && ok=$((ok + 1))
done
for _ in $(seq 20); do tb_ctl 1 metrics >/dev/null; done
echo "===== after $n GET /metrics ($ok answered) and 20 re6stctl metrics"
"$here/memsplit.sh" "$pid" "re6stnet scraped "
anon=$(awk '$1 == "RssAnon:" { print $2 }' "/proc/$pid/status")
printf 'figure: %-40s %s\n' "re6stnet scraped RssAnon / 4 MB aim" \
	"$(awk -v a="$anon" 'BEGIN { printf "%.2f", a / 4096 }')"
printf 'figure: %-40s %s\n' "metrics exposition bytes" "$(tb_ctl 1 metrics | wc -c)"
bpid=$(cat "$TB_DIR/n1/run/babeld.pid")
"$here/memsplit.sh" "$bpid" "babeld " | grep '^figure'
exit 0
}
