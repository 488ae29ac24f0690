#!/bin/bash
# The node's metrics and health, for real: a registry and one node in network
# namespaces (the testbed of test/node). `re6stctl metrics` and GET /metrics
# (--metrics) are parsed with python3-prometheus-client's parser and their
# values checked against re6stctl status/routes and `ip`; `re6stctl status`
# exits 1 on the lone node (no tunnel), and while babeld cannot start, and
# says why. Needs root (exit 77
# otherwise). No WireGuard needed: a lone node makes no tunnel (the tunnel
# families are checked in the VM, test/mesh/vm-mesh.sh).
# Usage: test-node-metrics.sh BUILD_ROOT SOURCE_ROOT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
export RE6ST_BUILD_ROOT=$1
cd "$2" || exit 1
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
	{ echo "SKIP: python3-prometheus-client missing (scripts/setup installs it)"; exit 77; }
. test/node/testbed.sh
PARSE="/usr/bin/python3 $PWD/test/daemon/metrics-parse.py"
PORT=9326
pass=0 fail=0
check() { # DESCRIPTION CMD...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $d"
		tail -n 20 "$TB_DIR/n1/log/re6stnet.log" 2>/dev/null | sed 's/^/  log: /'
	fi
}
ready() { tb_ctl 1 --json status 2>/dev/null | grep -q '"ready": true'; }
# val NAME [LABEL VALUE]...: the sum of NAME's samples with these labels in $M
val() {
	n=$1; shift
	sel=".name == \"$n\""
	while [ $# -ge 2 ]; do sel="$sel and .labels.$1 == \"$2\""; shift 2; done
	jq -r "[.samples[] | select($sel) | .value] | if length == 0 then \"none\" else add end" "$M"
}
same() { # DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $1: got '$2', want '$3'"
	fi
}
scrape_ctl() { tb_ctl 1 metrics >"$TB_DIR/m.txt" 2>"$TB_DIR/m.err" && $PARSE <"$TB_DIR/m.txt" >"$TB_DIR/m.json" 2>>"$TB_DIR/m.err"; }
scrape_http() { # PATH -> $TB_DIR/h.{txt,hdr}
	tb_ns r6-n1 curl -sS --max-time 10 -D "$TB_DIR/h.hdr" -o "$TB_DIR/h.txt" "http://127.0.0.1:$PORT$1"
}

tb_init "$(mktemp -d /tmp/re6st-metrics.XXXXXX)" || exit 1
tb_underlay 1 || exit 1
tb_registry_start || exit 1
# babeld as the node sees it: /usr/sbin/babeld bind-mounted, in the node's
# own mount namespace, by a wrapper that runs a copy of the real one, or
# fails while $TB_DIR/no-babeld exists (babeld down for as long as the test
# needs: health and metrics say so).
mkdir -p "$TB_DIR/bin"
cp /usr/sbin/babeld "$TB_DIR/bin/babeld"
printf '#!/bin/sh\n[ -e %s/no-babeld ] && { echo "babeld: not today" >&2; exit 1; }\nexec %s/bin/babeld "$@"\n' \
	"$TB_DIR" "$TB_DIR" >"$TB_DIR/babeld-wrapper"
printf '#!/bin/sh\nmount --bind %s/babeld-wrapper /usr/sbin/babeld && exec "$@"\n' "$TB_DIR" >"$TB_DIR/ns-wrap"
chmod 755 "$TB_DIR/babeld-wrapper" "$TB_DIR/ns-wrap"
TB_NODE_WRAP="unshare -m --propagation private $TB_DIR/ns-wrap" tb_node_add 1 --metrics "$PORT"
check "node up, babeld ready" tb_wait_for 100 ready
M=$TB_DIR/m.json

# --- re6stctl metrics -------------------------------------------------------
check "re6stctl metrics parses (prometheus_client)" scrape_ctl
[ -s "$M" ] || { echo "FAIL: no metrics parsed: $(cat "$TB_DIR/m.err") $(head -c 600 "$TB_DIR/m.txt")"; exit 1; }
st=$(tb_ctl 1 --json status)
rt=$(tb_ctl 1 --json routes)
for f in re6st_tunnels re6st_tunnel_rotations re6st_tunnel_forced_destructions \
	re6st_tunnel_drain_seconds re6st_tunnel_setup_seconds re6st_tunnel_receive_bytes \
	re6st_tunnel_transmit_bytes re6st_tunnel_last_handshake_age_seconds re6st_babel_routes \
	re6st_babel_neighbours re6st_peer_received re6st_peer_sent re6st_peer_rate_limited \
	re6st_registry_requests re6st_registry_up re6st_cert_expiry_timestamp_seconds \
	re6st_babeld_restarts re6st_babeld_socket_reconnects re6st_babeld_up re6st_degraded; do
	check "family $f present" jq -e ".families[\"$f\"]" "$M"
done
same "counter type" "$(jq -r '.families.re6st_tunnel_rotations' "$M")" counter
same "histogram type" "$(jq -r '.families.re6st_tunnel_drain_seconds' "$M")" histogram
same "node info prefix = status prefix" "$(jq -r '.samples[] | select(.name == "re6st_node_info") | .labels.prefix' "$M")" \
	"$(jq -r .prefix <<<"$st")"
same "cert expiry = status cert_expires" "$(val re6st_cert_expiry_timestamp_seconds)" \
	"$(jq -r '.cert_expires' <<<"$st")"
same "netconf version = status" "$(val re6st_netconf_version)" "$(jq -r '.netconf_version' <<<"$st")"
same "babeld up = status babeld.ready" "$(val re6st_babeld_up)" 1
same "babeld restarts = status starts - 1" "$(val re6st_babeld_restarts_total)" \
	"$(jq -r '.babeld.starts - 1' <<<"$st")"
same "babel neighbours = re6stctl routes" "$(val re6st_babel_neighbours)" "$(jq -r '.neighbours | length' <<<"$rt")"
same "babel routes = re6stctl routes" \
	"$(jq -r '[.samples[] | select(.name == "re6st_babel_routes") | .value] | add' "$M")" \
	"$(jq -r '.routes | length' <<<"$rt")"
same "installed routes = re6stctl routes" "$(val re6st_babel_routes installed true)" \
	"$(jq -r '[.routes[] | select(.installed)] | length' <<<"$rt")"
kroutes=$(tb_ns r6-n1 ip -6 route show proto babel | grep -c .)
same "installed routes = ip -6 route proto babel" "$(val re6st_babel_routes installed true)" "$kroutes"
same "no tunnel on a lone node" "$(jq -r '[.samples[] | select(.name == "re6st_tunnels") | .value] | add' "$M")" 0
same "wireguard client tunnels up: 0" "$(val re6st_tunnels state up type wg role client)" 0
same "no tunnel interface: no per-tunnel bytes" "$(val re6st_tunnel_receive_bytes_total)" none
same "uptime below the reachability grace" "$(jq -r '[.samples[] | select(.name == "re6st_uptime_seconds") | .value < 600] | all' "$M")" true
same "degraded: no tunnel" "$(val re6st_degraded reason no_tunnel)" 1
same "degraded: babeld fine" "$(val re6st_degraded reason babeld_down)" 0
same "degraded: certificate fine" "$(val re6st_degraded reason cert_expiring)" 0
same "degraded: reachability in its grace period" "$(val re6st_degraded reason unreachable)" 0
same "registry link up" "$(val re6st_registry_up)" 1

# --- re6stctl status: exit 1 and why ----------------------------------------
tb_ctl 1 status >"$TB_DIR/st.out" 2>"$TB_DIR/st.err"
rc=$?
same "status exits 1 on a node without tunnel" "$rc" 1
check "status says why on stderr: $(cat "$TB_DIR/st.err")" grep -qx "re6stctl: degraded: no tunnel is up" "$TB_DIR/st.err"
check "status still prints the node" grep -q "^prefix " "$TB_DIR/st.out"
tb_ctl 1 --json status >"$TB_DIR/st.json" 2>/dev/null
rc=$?
same "--json status exits 1 too" "$rc" 1
same "--json status: health.degraded" "$(jq -c .health.degraded "$TB_DIR/st.json")" '["no_tunnel"]'

# --- peer protocol counters: a malformed datagram and a stranger's -----------
sent0=$(val re6st_peer_received_total type unknown verdict malformed)
tb_ns r6-n1 /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3): s.sendto(b"not a peer message", ("127.0.0.1", 326))'
sleep 0.5
scrape_ctl
same "3 malformed datagrams counted (before: $sent0)" "$(val re6st_peer_received_total type unknown verdict malformed)" 3

# --- GET /metrics -------------------------------------------------------------
check "GET /metrics answers 200" scrape_http /metrics
check "content type is the text format 0.0.4" grep -qi "^content-type: text/plain; version=0.0.4" "$TB_DIR/h.hdr"
check "/metrics parses (prometheus_client)" sh -c "$PARSE <'$TB_DIR/h.txt' >'$TB_DIR/h.json'"
same "HTTP and re6stctl agree (cert expiry)" "$(M=$TB_DIR/h.json val re6st_cert_expiry_timestamp_seconds)" \
	"$(val re6st_cert_expiry_timestamp_seconds)"
code=$(tb_ns r6-n1 curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")
same "GET / is 404" "$code" 404
code=$(tb_ns r6-n1 curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/metrics")
same "POST /metrics is 405" "$code" 405
listen=$(tb_ns r6-n1 ss -Hltn "sport = :$PORT" | awk '{print $4}')
same "listens on loopback only by default" "$listen" "127.0.0.1:$PORT"
code=$(tb_ns r6-n1 curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$(tb_uaddr 11):$PORT/metrics")
same "not served on the underlay address" "$code" 000
# Slow clients do not block the loop: 8 idle connections, then status at once.
tb_ns r6-n1 /usr/bin/python3 -c '
import socket, sys, time
s = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(8)]
time.sleep(4)' "$PORT" &
idlers=$!
sleep 0.5
t0=$(date +%s%N)
tb_ctl 1 help >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
check "control socket answers with 8 idle HTTP clients ($ms ms)" test "$ms" -lt 1000
kill "$idlers" 2>/dev/null; wait "$idlers" 2>/dev/null
check "GET /metrics once the idle clients are gone (it waited in the backlog)" scrape_http /metrics

# --- babeld killed and kept down: health and metrics say so; then back -----------
bpid=$(pgrep -f "babeld -I $TB_DIR/n1/run/babeld.pid" | head -n1)
touch "$TB_DIR/no-babeld"
kill -9 "$bpid"
down() { scrape_ctl && [ "$(val re6st_babeld_up)" = 0 ] && [ "$(val re6st_degraded reason babeld_down)" = 1 ]; }
check "babeld down: re6st_babeld_up 0, re6st_degraded{reason=babeld_down} 1" tb_wait_for 200 down
tb_ctl 1 status >"$TB_DIR/st.out" 2>"$TB_DIR/st.err"
same "status exits 1 while babeld is down" "$?" 1
check "status says why: $(cat "$TB_DIR/st.err")" \
	grep -qx "re6stctl: degraded: babeld is not running or not answering" "$TB_DIR/st.err"
same "--json status: health.degraded" "$(tb_ctl 1 --json status | jq -c .health.degraded)" \
	'["babeld_down","no_tunnel"]'
# The first restart comes 1 s after the death: wait for it to fail.
check "a failed start logged, babeld: prefixed" tb_wait_for 100 grep -q "babeld: babeld: not today" "$TB_DIR/n1/log/re6stnet.log"
check "still down after it ($(tb_ctl 1 --json status | jq -c .health.degraded))" down
rm -f "$TB_DIR/no-babeld"
# Each failed start counts as a restart too (babeld was started again).
restarted() { scrape_ctl && [ "$(val re6st_babeld_restarts_total)" -ge 2 ] && [ "$(val re6st_babeld_up)" = 1 ]; }
check "babeld restarts counted, babeld up again" tb_wait_for 300 restarted

# --- bad --metrics: exit 2 (argument) or 1 (cannot listen) -----------------------
"$NODE" @"$TB_DIR/n1/re6stnet.conf" --metrics 127.0.0.1:notaport --check >"$TB_DIR/bad.out" 2>&1
same "--metrics with a bad port exits 2" "$?" 2
check "and says what it expected: $(cat "$TB_DIR/bad.out")" grep -q "expected PORT, ADDR:PORT or \[ADDR6\]:PORT" "$TB_DIR/bad.out"
tb_node_stop 1
# The port taken: the daemon stops with exit 1 and says why.
tb_ns r6-n1 /usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(__import__("sys").argv[1]))); s.listen(); time.sleep(20)' "$PORT" &
holder=$!
sleep 0.5
d=$TB_DIR/n1
timeout 30 ip netns exec r6-n1 "$NODE" @"$d/re6stnet.conf" -s "$d/state" -r "$d/run" -l "$d/log" -v 3 \
	--ip "$(tb_uaddr 11)" --metrics "$PORT" >/dev/null 2>&1
same "port in use: exit 1" "$?" 1
check "port in use: logged" grep -q -- "--metrics: cannot serve on 127.0.0.1:$PORT" "$d/log/re6stnet.log"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

echo "$pass passed, $fail failed (${SECONDS} s)"
[ "$fail" = 0 ]
