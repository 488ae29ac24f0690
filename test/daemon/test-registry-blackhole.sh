#!/bin/bash
# The daemon never blocks on the registry: a node whose registry turns into
# a black hole (a TCP listener that accepts and never answers) keeps
# answering re6stctl at once while its registry requests hang, and they end
# with a timeout; a node restarted with the registry black-holed comes up
# from its cache; a first start with nothing cached and the registry
# refusing connections asks again with longer timeouts, then exits 1 with
# a clear error. The announce's answer stands in for the configuration
# poll: a node learns a newer version from it and fetches it at once, and
# its poll then waits past the next announce. All in one network
# namespace of our own (registry on 127.0.0.1, node underlay on a veth
# pair). Needs root (exit 77 otherwise).
# Usage: test-registry-blackhole.sh BUILD_ROOT BLACKHOLE_BINARY
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
B=$1 HOLE=$2
REGISTRY=$B/registry-server/re6st-registry CONF=$B/registry-client/re6st-conf
NODE=$B/daemon/re6stnet CTL=$B/ctl/re6stctl
NS=r6bh-$$ PORT=9077 URL=http://127.0.0.1:9077/
D=$(mktemp -d /tmp/re6st-blackhole.XXXXXX)
pass=0 fail=0
check() { # DESCRIPTION CMD...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $d"
		tail -n 15 "$D/n/log/re6stnet.log" 2>/dev/null | sed 's/^/  log: /'
	fi
}
ns() { nsenter --net=/run/netns/"$NS" "$@"; }
ctl() { "$CTL" -s "$D/n/run/re6stnet.sock" "$@"; }
cleanup() {
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	[ "$fail" = 0 ] && rm -rf "$D" || echo "logs kept in $D"
}
trap cleanup EXIT
wait_for() { # TENTHS CMD...: CMD every 0.1 s until it succeeds
	n=$1; shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done; return 1
}
answers() { ctl help >/dev/null 2>&1; }
wait_up() { wait_for 300 answers; }
ms() { echo $(($(date +%s%N) / 1000000)); }
registry_start() {
	# nsenter execs the command itself: $! is its pid
	nsenter --net=/run/netns/"$NS" "$REGISTRY" --port $PORT -4 127.0.0.1 -6 '' --db "$D/reg/registry.db" \
		--ca "$D/reg/ca.crt" --key "$D/reg/ca.key" --anonymous-prefix-length 16 \
		--hello "${REG_HELLO:-1}" -v debug >>"$D/reg/registry.log" 2>&1 &
	REG_PID=$!
	for _ in $(seq 100); do ns curl -sf "${URL}getCa" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
node_start() {
	nsenter --net=/run/netns/"$NS" "$NODE" @"$D/n/re6stnet.conf" -s "$D/n/state" -r "$D/n/run" -l "$D/n/log" -v 3 \
		--ip 198.18.5.11 >>"$D/n/log/stderr" 2>&1 &
	NODE_PID=$!
}
# probe SECONDS [UNTIL]: re6stctl status every 0.2 s for SECONDS, or until
# the log matches UNTIL; sets MAX_MS (slowest answer), SLOW (answers over 1 s
# or missing), PENDING (samples with a request pending)
probe() {
	end=$(($(ms) + $1 * 1000)) MAX_MS=0 SLOW=0 PENDING=0 N=0
	while [ "$(ms)" -lt "$end" ]; do
		[ -n "${2:-}" ] && grep -q "$2" "$D/n/log/re6stnet.log" && break
		t0=$(ms)
		# (status exits 1 on a degraded node: the answer is what counts)
		timeout 1 "$CTL" -s "$D/n/run/re6stnet.sock" --json status 2>/dev/null |
			grep -q '"version"' || SLOW=$((SLOW + 1))
		dt=$(($(ms) - t0))
		[ $dt -gt $MAX_MS ] && MAX_MS=$dt
		[ $dt -gt 1000 ] && SLOW=$((SLOW + 1))
		ctl --json registry 2>/dev/null | grep -q '"pending"' && PENDING=$((PENDING + 1))
		N=$((N + 1))
		sleep 0.2
	done
}

ip netns add "$NS" || exit 1
ns ip link set lo up
ns ip link add u0 type veth peer name u1
ns ip addr add 198.18.5.11/24 dev u0
ns ip link set u0 up
ns ip link set u1 up
mkdir -p "$D/reg" "$D/n/state" "$D/n/run" "$D/n/log"
ns "$REGISTRY" --create-network 2001:db8:42::/48 --ca "$D/reg/ca.crt" --key "$D/reg/ca.key" \
	>"$D/reg/create.out" 2>&1 || { cat "$D/reg/create.out"; exit 1; }
FP=$(grep -Eo '[0-9a-f]{32,}' "$D/reg/create.out" | head -n1)
check "registry starts" registry_start
ns "$CONF" --registry "$URL" --anonymous -d "$D/n" ${FP:+--fingerprint "$FP"} >"$D/n/conf.out" 2>&1
check "re6st-conf registers the node" test -f "$D/n/re6stnet.conf"
node_start
check "node answers re6stctl" wait_up
check "registry command lists the requests" sh -c "'$CTL' -s '$D/n/run/re6stnet.sock' --json registry | grep -q '\"rpc\": \"getNetworkConfig\"'"
ok_announce() { ctl --json registry | grep -q '"announced": "198.18.5.11,'; }
check "endpoints announced without blocking" wait_for 100 ok_announce

# The registry becomes a black hole on the same address.
kill "$REG_PID"; wait "$REG_PID" 2>/dev/null
nsenter --net=/run/netns/"$NS" "$HOLE" 127.0.0.1 $PORT >"$D/hole.out" 2>&1 &
for _ in $(seq 50); do grep -q ready "$D/hole.out" && break; sleep 0.1; done
check "black hole listening" grep -q ready "$D/hole.out"
kill -HUP "$NODE_PID" # poll the network configuration now
# the HUP's getNetworkConfig, then the lone node's next getBootstrapPeer (30 s
# after the first), each hanging until its 10 s timeout
probe 60 "getBootstrapPeer failed after .*timed out"
echo "black hole: $N status probes, slowest ${MAX_MS} ms, $SLOW slow or missing, $PENDING with a request pending"
check "re6stctl status answered within 1 s every time ($SLOW slow, max ${MAX_MS} ms)" test "$SLOW" = 0
check "requests were pending meanwhile ($PENDING samples)" test "$PENDING" -ge 5
check "the hung getNetworkConfig ended with a timeout" grep -q "getNetworkConfig failed after .*timed out" "$D/n/log/re6stnet.log"
check "the hung getBootstrapPeer ended with a timeout" grep -q "getBootstrapPeer failed after .*timed out" "$D/n/log/re6stnet.log"
check "registry command shows the failure" sh -c "'$CTL' -s '$D/n/run/re6stnet.sock' --json registry | grep -q 'timed out'"
check "node still running" kill -0 "$NODE_PID"

# Restart with the registry black-holed: start-up calls time out (bounded),
# the cached configuration is used, and the loop then stays responsive.
kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null
t0=$(ms)
node_start
check "restarted with a black-holed registry" wait_up
up=$(($(ms) - t0))
echo "start-up with a black-holed registry: ${up} ms"
check "start-up bounded by its short timeouts (${up} ms < 30 s)" test "$up" -lt 30000
check "cached network configuration used" grep -q "using the cached network configuration" "$D/n/log/re6stnet.log"
kill -HUP "$NODE_PID"
probe 4
check "responsive after a black-holed start-up ($SLOW slow, max ${MAX_MS} ms)" test "$SLOW" = 0
kill "$NODE_PID"; wait "$NODE_PID"
check "clean exit with requests pending" test $? = 0

# The announce's answer names the registry's configuration version. The
# node starts from its cache while the registry refuses connections (its
# first announce fails; its first poll is 2.5-7.5 min away); the registry
# comes back with another hello (a new version, pushed to nobody: its
# announced endpoints are soft state). The announce, tried again after
# its back-off (15-45 s), learns of the new version: fetched at once.
for p in $(ip netns pids "$NS"); do [ "$(cat /proc/$p/comm 2>/dev/null)" = "$(basename "$HOLE")" ] && kill "$p"; done
node_start
check "restarted with the registry refusing" wait_up
REG_HELLO=2
check "registry back with a new parameter" registry_start
newer() { grep -q "registry: network configuration version .* (ours .*): fetching it" "$D/n/log/re6stnet.log"; }
check "a newer version in the announce's answer is fetched at once" wait_for 600 newer
poll_state() { # prints getNetworkConfig's ok count and next_in_ms
	ctl --json registry | /usr/bin/python3 -c '
import json, sys
j = [r for r in json.load(sys.stdin)["requests"] if r["rpc"] == "getNetworkConfig"][0]
print(j["ok"], j.get("next_in_ms", 0))'
}
fetched() { set -- $(poll_state); [ "${1:-0}" -ge 1 ]; }
check "the new version fetched" wait_for 100 fetched
# While announces name the version, the poll waits 5 min more than an
# announce's longest spacing (7.5 to 12.5 min after the fetch): the next
# announce, 2.5-7.5 min away, comes first and pushes it back again.
set -- $(poll_state)
echo "after the announce: getNetworkConfig ok $1, next poll in $(( ${2:-0} / 1000 )) s"
check "the poll waits past the next announce (next in ${2:-0} ms)" test "${2:-0}" -gt 400000
kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null
kill "$REG_PID"; wait "$REG_PID" 2>/dev/null

# A first start (nothing cached) with the registry refusing connections:
# asked again with longer timeouts, then a clear error and exit 1 (under
# ASan a leak on that path would abort instead: it did).
for p in $(ip netns pids "$NS"); do [ "$(cat /proc/$p/comm 2>/dev/null)" = "$(basename "$HOLE")" ] && kill "$p"; done
mkdir -p "$D/n/state-empty"
nsenter --net=/run/netns/"$NS" "$NODE" @"$D/n/re6stnet.conf" -s "$D/n/state-empty" -r "$D/n/run" \
	-l "$D/n/log" -v 3 --ip 198.18.5.11 >>"$D/n/log/stderr" 2>&1 &
NODE_PID=$!
t0=$(ms)
( sleep 60; kill "$NODE_PID" 2>/dev/null ) >/dev/null 2>&1 &
DOG=$!
wait "$NODE_PID"
rc=$?
kill "$DOG" 2>/dev/null
echo "first start without registry nor cache: exit $rc after $(($(ms) - t0)) ms"
check "nothing cached, registry refusing: exit 1 (got $rc)" test "$rc" = 1
check "nothing cached: asked again with longer timeouts" grep -q "asking again with longer timeouts" "$D/n/log/re6stnet.log"
check "nothing cached: a clear error" grep -q "no network configuration: registry unreachable" "$D/n/log/re6stnet.log"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
