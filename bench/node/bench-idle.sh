#!/bin/bash
# bench-idle.sh - what an idle node costs (issue 10, "idle cost for small
# boxes"), in the test VM: 6 nodes at the network's defaults (hello 1 s,
# tunnel-refresh 300 s, dead-after 3 s) but client-count 3, so each node
# keeps about 5 tunnels. BENCH_HELLO sets another hello. Once the mesh
# converged and BENCH_SETTLE seconds passed, node 1's re6stnet and babeld
# are measured over BENCH_IDLE_SECONDS (180):
#   CPU          the time the scheduler ran it (/proc/PID/schedstat, in
#                nanoseconds: exact), as a share of one core, and the
#                tick-sampled utime+stime beside it (what the issue's
#                0.56% was measured with: a process that wakes once a second
#                for a millisecond is seen by the 4 ms tick or not, so over
#                180 s it is off by a fifth either way); the helpers it
#                ran and reaped (re6st-fetch, one per registry request:
#                cutime+cstime, ticks only; the requests by kind, since
#                the node started, before and after the window); the aim
#                is at most 0.1% for re6stnet, on the exact figure. babeld,
#                measured the same ways over the same window
#                in the same run, is the baseline: the ratio re6stnet/babeld
#                is what compares across machines (TCG makes absolute
#                figures slow)
#   wake-ups     voluntary context switches per second (each poll() that
#                sleeps then wakes is one)
#   beside       bench-wake (bench/node/bench-wake.c), run during the
#                window in the same VM, under the same load: the daemon's
#                loop waking once a second, bare for half the window, then
#                reading 5 veth links' counters. What a wake-up costs
#                there, against re6stnet's own per wake-up
#   babeld lines one dump's lines (re6stnet asks for one every 10 s once
#                babeld's tables stop moving) and, for comparison, the
#                monitor stream's lines per second (and by kind: what the
#                node followed before 6 December), on a second connection
#                to node 1's babeld
#   system calls re6stnet's, per second and by name, over 30 s of strace
#                after the window (BENCH_TRACE=0: none), and its wake-ups
#                by cause (a timer, or the fds poll() returned)
#   perf         BENCH_PERF=SECONDS: re6stnet's CPU by function (perf
#                record -e cpu-clock), after the strace
# Measure a release build: RE6ST_BUILD_ROOT=$PWD/build-bench (meson setup
# build-bench --buildtype=release).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
IDLE_S=${BENCH_IDLE_SECONDS:-180}
SETTLE_S=${BENCH_SETTLE:-60}
TB_HELLO=${BENCH_HELLO:-}   # empty: the registry's default
TB_REFRESH=300
TB_CLIENTS=3
. "$src/test/node/testbed.sh"
. "$src/test/node/checks.sh"
{
tb_init
ip link add r6-probe type wireguard 2>/dev/null && ip link del r6-probe ||
	{ echo "SKIP: no WireGuard in this kernel"; exit 77; }
figure() { printf 'figure: %-40s %s\n' "$1" "$2"; }
if ldd "$NODE" | grep -q libasan; then build="sanitized (CPU inflated)"; else build="not sanitized"; fi
N=6
tb_log "re6stnet: $NODE ($build); $N nodes, hello ${TB_HELLO:-default} s, refresh $TB_REFRESH s"
tb_underlay "$N"
tb_registry_start || exit 1
for i in $(seq "$N"); do tb_node_add "$i" -v 2 || exit 1; done
nodes_index
t0=$(date +%s)
if wait_mesh 300 $(seq "$N"); then
	tb_log "mesh converged after $(($(date +%s) - t0)) s; settling $SETTLE_S s"
else
	tb_log "mesh not converged after 300 s"; show_fails $(seq "$N"); tb_dump; exit 1
fi
sleep "$SETTLE_S"

pid=$(cat "$TB_DIR/n1/pid")
bpid=$(cat "$TB_DIR/n1/run/babeld.pid")
hz=$(getconf CLK_TCK)
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
run_ns() { awk '{ print $1 }' "/proc/$1/schedstat"; } # exact, nanoseconds
kids() { awk '{ print $16 + $17 }' "/proc/$1/stat"; } # reaped children: re6st-fetch
wakes() { awk '$1 == "voluntary_ctxt_switches:" { print $2 }' "/proc/$1/status"; }
nt=$(ctl 1 --json tunnels | jq '[.tunnels[] | select(.state == "up")] | length')
tb_log "node 1: $nt tunnels up; measuring for $IDLE_S s"
# registry requests so far, by kind (each ran one re6st-fetch helper)
requests() { ctl 1 --json registry | jq -r '[.requests[] | "\(.rpc) \(.ok + .failed)"] | join(", ")'; }
r0=$(requests)
wake_bin=$TB_BUILD/bench/node/bench-wake wpid=""
if [ -x "$wake_bin" ]; then
	"$wake_bin" $((IDLE_S / 2)) 5 1000 >"$TB_DIR/wake.out" 2>&1 &
	wpid=$!
fi
x0=$(run_ns "$pid") bx0=$(run_ns "$bpid")
c0=$(cpu "$pid") b0=$(cpu "$bpid") w0=$(wakes "$pid") bw0=$(wakes "$bpid") k0=$(kids "$pid")
sleep "$IDLE_S"
x1=$(run_ns "$pid") bx1=$(run_ns "$bpid")
c1=$(cpu "$pid") b1=$(cpu "$bpid") w1=$(wakes "$pid") bw1=$(wakes "$bpid") k1=$(kids "$pid")
r1=$(requests)
[ -n "$wpid" ] && wait "$wpid"
nt1=$(ctl 1 --json tunnels | jq '[.tunnels[] | select(.state == "up")] | length')

pct() { awk -v d="$1" -v hz="$hz" -v s="$IDLE_S" 'BEGIN { printf "%.3f", 100 * d / hz / s }'; }
xpct() { awk -v d="$1" -v s="$IDLE_S" 'BEGIN { printf "%.3f", 100 * d / 1e9 / s }'; }
xsec() { awk -v d="$1" 'BEGIN { printf "%.3f s", d / 1e9 }'; }
xp=$(xpct $((x1 - x0))) bxp=$(xpct $((bx1 - bx0)))
rp=$(pct $((c1 - c0))) bp=$(pct $((b1 - b0))) kp=$(pct $((k1 - k0))) tp=$(pct $((c1 - c0 + k1 - k0)))
echo
echo "===== bench-idle figures ($build, $N nodes, hello ${TB_HELLO:-default} s, $nt then $nt1 tunnels on node 1)"
figure "re6stnet CPU idle (exact)" "$(xsec $((x1 - x0))) over $IDLE_S s ($xp% of a core)"
figure "babeld CPU idle (exact, baseline)" "$(xsec $((bx1 - bx0))) over $IDLE_S s ($bxp% of a core)"
figure "re6stnet / babeld CPU (exact)" "$(awk -v a=$((x1 - x0)) -v b=$((bx1 - bx0)) 'BEGIN { if (b) printf "%.3f", a / b; else print "babeld did not run" }')"
figure "re6stnet CPU per wake-up (exact)" "$(awk -v d=$((x1 - x0)) -v w=$((w1 - w0)) 'BEGIN { if (w) printf "%.0f us", d / 1e3 / w; else print "no wake-up" }')"
figure "re6stnet CPU idle (ticks)" "$(awk -v d=$((c1 - c0)) -v hz="$hz" 'BEGIN { printf "%.2f s", d / hz }') over $IDLE_S s ($rp% of a core)"
figure "babeld CPU idle (ticks, baseline)" "$(awk -v d=$((b1 - b0)) -v hz="$hz" 'BEGIN { printf "%.2f s", d / hz }') over $IDLE_S s ($bp% of a core)"
figure "re6stnet / babeld CPU (ticks)" "$(awk -v a=$((c1 - c0)) -v b=$((b1 - b0)) 'BEGIN { if (b) printf "%.2f", a / b; else print "babeld used no tick" }')"
figure "re6stnet wake-ups per second" "$(awk -v w=$((w1 - w0)) -v s="$IDLE_S" 'BEGIN { printf "%.2f", w / s }')"
figure "babeld wake-ups per second" "$(awk -v w=$((bw1 - bw0)) -v s="$IDLE_S" 'BEGIN { printf "%.2f", w / s }')"
figure "re6stnet's helpers (re6st-fetch) CPU" "$(awk -v d=$((k1 - k0)) -v hz="$hz" 'BEGIN { printf "%.2f s", d / hz }') over $IDLE_S s ($kp% of a core)"
figure "re6stnet with its helpers (ticks)" "$tp% of a core"
[ -n "$wpid" ] && sed -n 's/^figure: \(.*\)/figure: beside: \1/p' "$TB_DIR/wake.out" | cut -c1-120
echo "registry requests (helpers run) before the window: $r0"
echo "registry requests (helpers run) after it:          $r1"
echo "aim: re6stnet at most 0.1% of a core idle: $(awk -v p="$xp" 'BEGIN { print (p <= 0.1) ? "met" : "NOT met" }') ($xp% exact, $rp% by ticks; with its helpers, by ticks: $(awk -v p="$tp" 'BEGIN { print (p <= 0.1) ? "met" : "NOT met" }'))"
# Asking for dumps against following babeld's monitor stream: the lines
# of one dump (all of babeld's tables) and the monitor's lines per second
# over 20 s, on a second connection to node 1's babeld.
/usr/bin/python3 - "$TB_DIR/n1/run/babeld.sock" <<'PY'
import socket, sys, time
def connect():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    buf = b''
    while not (buf.endswith(b'\nok\n')):
        buf += s.recv(4096)
    return s
def until_ok(s):
    buf, n = b'', 0
    while not (buf == b'ok\n' or buf.endswith(b'\nok\n')):
        buf += s.recv(65536)
    return buf.count(b'\n') - 1
s = connect(); s.sendall(b'dump\n'); dump = until_ok(s); s.close()
s = connect(); s.sendall(b'monitor\n'); until_ok(s)
s.settimeout(0.2); lines = 0; end = time.time() + 20; buf = b''; kinds = {}
while time.time() < end:
    try:
        buf += s.recv(65536)
    except socket.timeout:
        pass
    *whole, buf = buf.split(b'\n')
    lines += len(whole)
    for l in whole:
        k = b' '.join(l.split(b' ')[:2]).decode(errors='replace')
        kinds[k] = kinds.get(k, 0) + 1
s.close()
print('figure: %-40s %d' % ('babeld dump, lines (once)', dump))
print('figure: %-40s %.1f' % ('babeld monitor lines per second', lines / 20))
print('babeld monitor lines per second, by kind: ' +
      ', '.join('%s %.1f' % (k, n / 20) for k, n in sorted(kinds.items(), key=lambda kv: -kv[1])))
PY
# Where the wake-ups come from: re6stnet's system calls over 30 s (after
# the measured window: strace slows the process down).
if [ "${BENCH_TRACE:-1}" = 1 ] && command -v strace >/dev/null; then
	timeout 30 strace -tt -T -p "$pid" -o "$TB_DIR/strace.out" 2>/dev/null
	sed -n 's/^[0-9:.]* \([a-z0-9_]*\)(.*/\1/p' "$TB_DIR/strace.out" >"$TB_DIR/calls"
	figure "re6stnet system calls per second" "$(wc -l <"$TB_DIR/calls" | awk '{ printf "%.1f", $1 / 30 }') (strace, 30 s)"
	figure "re6stnet polls per second" "$(grep -c '^poll$' "$TB_DIR/calls" | awk '{ printf "%.1f", $1 / 30 }')"
	echo "re6stnet system calls over 30 s, by name:"
	sort "$TB_DIR/calls" | uniq -c | sort -rn | head -n 15
	# Each poll() that slept (over 2 ms) is a wake-up: what woke it (a
	# timer, or the fds it returned) and the system calls until the next.
	echo "re6stnet wake-ups over 30 s, by cause (fd 12 or so is babeld's socket): count, calls after each"
	awk '
	function flush() { if (cause != "") { n[cause]++; c[cause] += calls; cause = "" } }
	/ poll\(/ {
		d = $NF; gsub(/[<>]/, "", d)
		if (d + 0 < 0.002) { calls++; next }
		flush()
		if ($0 ~ /= 0 \(Timeout\)/) cause = "timer"
		else { cause = "fd"; s = $0; while (match(s, /fd=[0-9]+, revents/)) { cause = cause " " substr(s, RSTART + 3, RLENGTH - 12); s = substr(s, RSTART + RLENGTH) } }
		calls = 0; next
	}
	{ calls++ }
	END { flush(); for (k in n) printf "    %-24s %4d wake-ups, %5.1f calls each\n", k, n[k], c[k] / n[k] }
	' "$TB_DIR/strace.out" | sort -k2 -rn
	echo "the first 80 calls:"
	head -n 80 "$TB_DIR/strace.out" | cut -c1-160
fi
# Where re6stnet's CPU goes: BENCH_PERF=SECONDS of perf's cpu-clock samples
# (the kernel's timer: no hardware counters under TCG), after the window.
# Children (re6st-fetch) are sampled too: by command, then re6stnet's own.
if [ "${BENCH_PERF:-0}" -gt 0 ] && command -v perf >/dev/null; then
	perf record -q -e cpu-clock -F 997 -g -p "$pid" -o "$TB_DIR/perf.data" \
		-- sleep "$BENCH_PERF" >/dev/null 2>&1
	echo "perf over $BENCH_PERF s, samples by command:"
	perf report -i "$TB_DIR/perf.data" --stdio -g none --sort comm 2>/dev/null |
		grep '%' | head -n 8
	echo "re6stnet's own samples by object (self: the kernel, re6stnet, libc...):"
	perf report -i "$TB_DIR/perf.data" --stdio -g none --no-children --comm re6stnet --sort dso 2>/dev/null |
		grep '%' | head -n 8
	echo "re6stnet's own samples by function (self):"
	perf report -i "$TB_DIR/perf.data" --stdio -g none --no-children --comm re6stnet --sort dso,sym 2>/dev/null |
		grep '%' | head -n 30
	echo "re6stnet's own samples by caller (children included):"
	perf report -i "$TB_DIR/perf.data" --stdio -g none --children --comm re6stnet --sort sym 2>/dev/null |
		grep '%' | head -n 30
fi
exit 0
}
