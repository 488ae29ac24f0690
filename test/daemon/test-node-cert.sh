#!/bin/bash
# Certificate life of a node, for real, with certificates lasting 20 s
# (re6st-registry --cert-duration 20) and a grace period of 30 s
# (--grace-period, carried to nodes by the network configuration):
#   - such a certificate expires within 7 days: status exits 1 saying so;
#   - renewal is asked for only when cert_renew_due() says so (the last
#     third: after 13.3 s), so exactly one renewal per window, no loop;
#   - a node whose certificate expired starts and keeps running while the
#     registry is down, within the grace period, retrying with back-off, and
#     renews once the registry is back;
#   - past the grace period it stops (status 1).
# Needs root (exit 77 otherwise). Usage: test-node-cert.sh BUILD_ROOT SOURCE_ROOT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
export RE6ST_BUILD_ROOT=$1
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
node_pid() { pgrep -f "daemon/re6stnet @$TB_DIR/n1/" | head -n1; }
up() { tb_ctl 1 help >/dev/null 2>&1; }
renewals() { grep -c "certificate renewed" "$LOG"; }
reg_renewals() { grep -c "renewCertificate: serial .* renewed" "$TB_DIR/registry/registry.log"; }
renew_rpc() { # FIELD of the node's renewCertificate request counters
	tb_ctl 1 --json registry | jq -r ".requests[] | select(.rpc == \"renewCertificate\") | .$1"
}
expires() { tb_ctl 1 --json status | jq -r .cert_expires; }

tb_init "$(mktemp -d /tmp/re6st-cert.XXXXXX)" || exit 1
LOG=$TB_DIR/n1/log/re6stnet.log
tb_underlay 1 || exit 1
tb_registry_start --cert-duration 20 --grace-period 30 || exit 1
tb_node_add 1
check "node up" tb_wait_for 100 up
t0=$(date +%s)

# 0. A certificate of 20 s expires within 7 days: the node is degraded.
tb_ctl 1 status >"$TB_DIR/st.out" 2>"$TB_DIR/st.err"
rc=$?
check "status exits 1 with a 20 s certificate ($rc)" test "$rc" = 1
check "status says why: $(cat "$TB_DIR/st.err")" grep -qx \
	"re6stctl: degraded: the certificate expires within 7 days (or has expired)" "$TB_DIR/st.err"
reasons() { tb_ctl 1 --json status | jq -c .health.degraded; }
check "--json status: cert_expiring in $(reasons)" sh -c "echo '$(reasons)' | grep -q cert_expiring"
expiring_metric() { tb_ctl 1 metrics | grep -qx 're6st_degraded{reason="cert_expiring"} 1'; }
check "metrics: re6st_degraded{reason=\"cert_expiring\"} 1" expiring_metric

# 1. One renewal per window. Over 45 s from registration the windows open
# at about 13, 27 and 40 s (each renewal starts a new 20 s certificate).
sleep 45
n=$(renewals) nr=$(reg_renewals) ok=$(renew_rpc ok) failed=$(renew_rpc failed)
mr=$(tb_rpc metrics | awk '$1 == "re6st_registry_certificates_renewed_total" { print $2 }')
echo "renewals in $(($(date +%s) - t0)) s: node $n, registry $nr, requests ok $ok failed $failed"
check "2 to 3 renewals in 45 s ($n)" test "$n" -ge 2 -a "$n" -le 3
check "as many renewals as the registry made ($n = $nr)" test "$n" = "$nr"
check "as many requests as renewals, none failed ($ok, $failed)" test "$ok" = "$n" -a "$failed" = 0
check "registry metrics: $mr renewals counted ($nr logged)" test "$mr" = "$nr"
gaps_ok() { # consecutive renewals at least 10 s apart
	grep "certificate renewed" "$LOG" | cut -c1-23 | while read -r d t; do date -d "$d $t" +%s; done |
		awk 'NR > 1 && $1 - p < 10 { bad = 1 } { p = $1 } END { exit bad }'
}
check "renewals at least 10 s apart" gaps_ok
check "certificate still valid ($(expires) > $(date +%s))" test "$(expires)" -gt "$(date +%s)"

# 2. Expired certificate, registry down, within the grace period.
tb_node_stop 1
end=$(sed -n 's/.*valid until \([0-9]*\).*/\1/p' "$LOG" | tail -n1)
tb_registry_stop
while [ "$(date +%s)" -le "$((end + 1))" ]; do sleep 0.5; done
tb_node_add 1
check "expired node starts without the registry" tb_wait_for 100 up
check "it says it runs on the grace period" grep -q "expired .* running on for the network's grace period" "$LOG"
sleep 8
check "still running 8 s later" up
check "renewal retried with back-off (failed $(renew_rpc failed) <= 2)" test "$(renew_rpc failed)" -le 2
tb_registry_start --cert-duration 20 --grace-period 30 || exit 1
renewed_again() { [ "$(expires)" -gt "$(date +%s)" ]; }
check "renewed once the registry is back" tb_wait_for 250 renewed_again

# 3. Past the grace period (30 s after expiry) without the registry: stops.
tb_node_stop 1
end=$(sed -n 's/.*valid until \([0-9]*\).*/\1/p' "$LOG" | tail -n1)
tb_registry_stop
while [ "$(date +%s)" -le "$((end + 2))" ]; do sleep 0.5; done
tb_node_add 1
check "expired node starts again within the grace period" tb_wait_for 100 up
pid=$(node_pid)
gone() { ! kill -0 "$pid" 2>/dev/null; }
check "stops once the grace period is over" tb_wait_for 600 gone
check "and says why" grep -q "not renewed within the network's grace period: stopping" "$LOG"
wait "$(cat "$TB_DIR/n1/pid")" 2>/dev/null
check "exit status 1" test $? = 1

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
