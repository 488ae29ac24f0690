#!/bin/bash
# Logs cannot be flooded from the underlay: one genuinely signed set-up
# request of node 2, stamped 200 s in the past (as a datagram captured on the
# underlay and replayed later), sent 1000 times to node 1. Each copy is
# refused ("timestamp off by more than 120 s"); node 1 logs at most 5 such
# lines per 10 s window for that source, then one line counting the others.
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
wait_for() { # TENTHS CMD...
	n=$1; shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done; return 1
}

tb_init "$(mktemp -d /tmp/re6st-loglimit.XXXXXX)" || exit 1
LOG=$TB_DIR/n1/log/re6stnet.log
tb_underlay 2 || exit 1
tb_registry_start || exit 1
tb_node_add 1
tb_node_add 2
check "node 1 up" wait_for 100 tb_ctl 1 help
check "node 2 registered" wait_for 100 test -f "$TB_DIR/n2/cert.key"
tb_node_stop 2

COUNT=1000
sent=$(tb_ns r6-n2 "$REPLAY" "$TB_DIR/n2/cert.key" "$TB_DIR/n2/cert.crt" "$TB_DIR/n1/cert.crt" \
	"$(tb_uaddr 11)" 326 "$COUNT" 200)
check "sent $COUNT copies ($sent)" test "$sent" = "$COUNT"
suppressed_line() { grep -q "peer: [0-9]* log lines caused by ::ffff:$(tb_uaddr 12) suppressed" "$LOG"; }
check "a line counts the suppressed ones when the window ends" wait_for 150 suppressed_line
lines=$(grep -c "has a timestamp off by more than 120 s" "$LOG")
n=$(sed -n "s/.*peer: \([0-9]*\) log lines caused by ::ffff:$(tb_uaddr 12) suppressed.*/\1/p" "$LOG")
echo "$COUNT copies: $lines warning lines, suppressed: $n"
check "at most 5 warning lines ($lines)" test "$lines" -ge 1 -a "$lines" -le 5
check "one suppressed-count line ($(echo "$n" | wc -l))" test "$(echo "$n" | wc -l)" = 1
check "every copy accounted for ($lines + $n <= $COUNT, >= 90%)" \
	test $((lines + n)) -le "$COUNT" -a $((lines + n)) -ge $((COUNT * 9 / 10))
check "node 1 still answers" tb_ctl 1 help

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
