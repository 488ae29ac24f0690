#!/bin/sh
# GET /metrics of a real re6st-registry on 127.0.0.1 (random port), read
# with Debian's prometheus_client parser (prom-check.py): the counters and
# gauges match what the test did; other origins get 403.
# Usage: test-metrics.sh RE6ST-REGISTRY RE6ST-CONF RE6STCTL PROM-CHECK
set -u
REG=$1 CONF=$2 CTL=$3 CHECK=$4
T=$(mktemp -d /tmp/re6st-metrics-test.XXXXXX)
pass=0 fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL (line $LINE): $*" >&2; fi; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
N=3

LINE=start
"$REG" --create-network 2001:db8:7::/48 --ca "$T/ca.crt" --key "$T/ca.key" > "$T/create.out"
FP=$(sed -n 's/^Fingerprint: //p' "$T/create.out")
"$REG" --ca "$T/ca.crt" --key "$T/ca.key" --db "$T/reg.db" --port "$PORT" -4 127.0.0.1 -6 '' \
	--anonymous-prefix-length 24 --prefix-length 16 --anonymous-rate 0 -l "$T/reg.log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
for i in $(seq 50); do curl -sf "$URL/getCa" >/dev/null && break; sleep 0.1; done

# Before anything: a parseable text with zeros, the HMAC stable.
LINE=empty
ok curl -sf -o "$T/m0" "$URL/metrics"
ok "$CHECK" "$T/m0" 're6st_registry_certificates_issued_total == 0' \
	're6st_registry_certificates_active == 0' 're6st_registry_hmac_state{state="stable"} == 1' \
	're6st_registry_hmac_key{slot="0"} == 1' 're6st_registry_hmac_key{slot="1"} == 0'
curl -s -D "$T/h0" -o /dev/null "$URL/metrics"
ok grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/h0"

# N anonymous registrations, one revocation, a token, an HMAC step.
LINE=actions
for i in $(seq $N); do
	mkdir -p "$T/n$i"
	"$CONF" --registry "$URL" --fingerprint "$FP" --anonymous -d "$T/n$i" > "$T/n$i.out" 2>&1
	ok test $? -eq 0
done
SERIAL=$(sed -n 's/^Your subnet: .*(serial \([0-9]*\)).*/\1/p' "$T/n1.out")
"$CTL" --registry "$URL" revoke "$SERIAL" > "$T/revoke.out" 2>&1
ok test $? -eq 0
ok test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/addToken?email=a@example.org")" = 200
ok test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/updateHMAC")" = 200
ok test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/noSuchRpc")" = 404
ok test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics/x")" = 404

# Another origin (127.0.0.2 is not in --authorized-origin): 403, as behind
# a proxy naming an unauthorized client.
LINE=origin
ok test "$(curl -s --interface 127.0.0.2 -o "$T/403" -w '%{http_code}' "$URL/metrics")" = 403
ok grep -q 'origin not authorized' "$T/403"
ok test "$(curl -s -H 'X-Forwarded-For: 192.0.2.1' -o /dev/null -w '%{http_code}' \
	"$URL/metrics")" = 403

LINE=values
ok curl -sf -o "$T/m1" "$URL/metrics"
ok "$CHECK" "$T/m1" \
	"re6st_registry_certificates_issued_total == $N" \
	're6st_registry_certificates_revoked_total == 1' \
	're6st_registry_certificates_renewed_total == 0' \
	"re6st_registry_certificates_active == $((N - 1))" \
	're6st_registry_revocations == 1' \
	're6st_registry_tokens_pending == 1' \
	're6st_registry_tokens_added_total == 1' \
	're6st_registry_announced_nodes == 0' \
	're6st_registry_hmac_updates_total == 1' \
	're6st_registry_hmac_state{state="introduced"} == 1' \
	're6st_registry_hmac_state{state="stable"} == 0' \
	're6st_registry_hmac_key{slot="1"} == 1' \
	"re6st_registry_requests_total{rpc=\"requestCertificate\",status=\"200\"} == $N" \
	"re6st_registry_request_duration_seconds_count{rpc=\"requestCertificate\"} == $N" \
	're6st_registry_request_duration_seconds_bucket{rpc="requestCertificate",le="+Inf"} >= 1' \
	're6st_registry_requests_total{rpc="revoke",status="204"} == 1' \
	're6st_registry_requests_total{rpc="unknown",status="404"} == 2' \
	're6st_registry_requests_total{rpc="metrics",status="403"} == 2' \
	're6st_registry_requests_total{rpc="metrics",status="200"} >= 2' \
	're6st_registry_db_seconds_count{kind="tx"} >= 5' \
	're6st_registry_db_seconds_count{kind="read"} >= 1' \
	're6st_registry_db_lock_wait_seconds_count{kind="tx"} >= 5' \
	're6st_registry_network_config_version >= 1'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
