#!/bin/bash
# Logs cannot be flooded from the underlay: one genuinely signed set-up
# request of node 2, stamped 200 s in the past (as a datagram captured on the
# underlay and replayed later), sent 1000 times to node 1. Each copy is
# refused ("timestamp off by more than 120 s"); node 1 logs at most 5 such
# lines per 10 s window for that source, then one line counting the others;
# its metrics count each copy as a replay. Then 20 fresh requests in a
# burst: the set-up rate limit's drops counted (re6st_peer_rate_limited_total
# and the verdict rate_limited).
# Needs root (exit 77 otherwise).
# Usage: test-peer-loglimit.sh BUILD_ROOT SOURCE_ROOT PP_REPLAY
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
export RE6ST_BUILD_ROOT=$1
REPLAY=$3
cd "$2" || exit 1
. test/node/testbed.sh
pass=0 fail=0
LOG=
check() { # DESCRIPTION CMD...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $d"
		tail -n 20 "$LOG" 2>/dev/null | sed 's/^/  log: /'
	fi
}

tb_init "$(mktemp -d /tmp/re6st-loglimit.XXXXXX)" || exit 1
LOG=$TB_DIR/n1/log/re6stnet.log
tb_underlay 2 || exit 1
tb_registry_start || exit 1
tb_node_add 1
tb_node_add 2
check "node 1 up" tb_wait_for 100 tb_ctl 1 help
check "node 2 registered" tb_wait_for 100 test -f "$TB_DIR/n2/cert.key"
tb_node_stop 2

# A sample of node 1's metrics (0 when absent): SERIES as printed, labels included.
metric() { tb_ctl 1 metrics | awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }'; }
REPLAY_M='re6st_peer_received_total{type="setup-request",verdict="replay"}'
replay0=$(metric "$REPLAY_M")

COUNT=1000
sent=$(tb_ns r6-n2 "$REPLAY" "$TB_DIR/n2/cert.key" "$TB_DIR/n2/cert.crt" "$TB_DIR/n1/cert.crt" \
	"$(tb_uaddr 11)" 326 "$COUNT" 200)
check "sent $COUNT copies ($sent)" test "$sent" = "$COUNT"
suppressed_line() { grep -q "peer: [0-9]* log lines caused by ::ffff:$(tb_uaddr 12) suppressed" "$LOG"; }
check "a line counts the suppressed ones when the window ends" tb_wait_for 150 suppressed_line
lines=$(grep -c "has a timestamp off by more than 120 s" "$LOG")
n=$(sed -n "s/.*peer: \([0-9]*\) log lines caused by ::ffff:$(tb_uaddr 12) suppressed.*/\1/p" "$LOG")
echo "$COUNT copies: $lines warning lines, suppressed: $n"
check "at most 5 warning lines ($lines)" test "$lines" -ge 1 -a "$lines" -le 5
check "one suppressed-count line ($(echo "$n" | wc -l))" test "$(echo "$n" | wc -l)" = 1
check "every copy accounted for ($lines + $n <= $COUNT, >= 90%)" \
	test $((lines + n)) -le "$COUNT" -a $((lines + n)) -ge $((COUNT * 9 / 10))
check "node 1 still answers" tb_ctl 1 help
replay=$(($(metric "$REPLAY_M") - replay0))
check "metrics: $replay set-up requests counted as replays (logged or suppressed: $((lines + n)))" \
	test "$replay" -ge $((lines + n)) -a "$replay" -le "$COUNT"

# 20 distinct, fresh set-up requests in a burst from one source: the rate
# limit (5 at once, then one per 2 s) lets about 5 through and counts the
# others in both metrics.
LIMITED_M='re6st_peer_received_total{type="setup-request",verdict="rate_limited"}'
ACCEPTED_M='re6st_peer_received_total{type="setup-request",verdict="accepted"}'
lim0=$(metric re6st_peer_rate_limited_total) limv0=$(metric "$LIMITED_M") acc0=$(metric "$ACCEPTED_M")
sent=$(tb_ns r6-n2 "$REPLAY" "$TB_DIR/n2/cert.key" "$TB_DIR/n2/cert.crt" "$TB_DIR/n1/cert.crt" \
	"$(tb_uaddr 11)" 326 20 fresh)
check "sent 20 fresh requests ($sent)" test "$sent" = 20
sleep 0.5
lim=$(($(metric re6st_peer_rate_limited_total) - lim0))
limv=$(($(metric "$LIMITED_M") - limv0)) acc=$(($(metric "$ACCEPTED_M") - acc0))
echo "20 fresh set-up requests: $acc accepted, $lim rate-limited ($limv by verdict)"
check "metrics: 10 to 15 of 20 rate-limited ($lim)" test "$lim" -ge 10 -a "$lim" -le 15
check "metrics: the verdict rate_limited counts them too ($limv = $lim)" test "$limv" = "$lim"
check "metrics: the others accepted ($acc + $lim = 20)" test $((acc + lim)) = 20

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
