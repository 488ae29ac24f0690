#!/bin/sh
# Registry benchmark on 127.0.0.1: getNetworkConfig requests/s (wrk, served
# from the in-memory cache) and certificate issues/s (bench-issue, each one a
# durable SQLite transaction). Prints the figures.
# Usage: bench-registry.sh RE6ST-REGISTRY BENCH-ISSUE [SECONDS]
set -u
REG=$1 ISSUE=$2 SECS=${3:-5}
T=$(mktemp -d /tmp/re6st-registry-bench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"$REG" --create-network 2001:db8:42::/48 --ca "$T/ca.crt" --key "$T/ca.key" > /dev/null || exit 1
"$REG" --ca "$T/ca.crt" --key "$T/ca.key" --db "$T/reg.db" --port "$PORT" -4 127.0.0.1 -6 '' \
	--anonymous-prefix-length 32 --threads 2 -v warning -l "$T/reg.log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 50); do curl -sf "$URL/getCa" > /dev/null && break; sleep 0.1; done

if command -v wrk > /dev/null; then
	OUT=$(wrk -t 2 -c 64 -d "${SECS}s" "$URL/getNetworkConfig")
	RPS=$(echo "$OUT" | sed -n 's/^Requests\/sec: *//p')
	NON2XX=$(echo "$OUT" | sed -n 's/.*Non-2xx or 3xx responses: *//p')
	echo "getNetworkConfig requests/s: $RPS (wrk -t2 -c64 ${SECS}s${NON2XX:+, non-2xx: $NON2XX})"
else
	echo "getNetworkConfig requests/s: skipped (wrk not installed)"
fi
"$ISSUE" "$URL" "$T/ca.crt" "$SECS" 4
