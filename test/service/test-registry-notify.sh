#!/bin/sh
# re6st-registry under a stand-in for systemd's notify socket
# (notify-listen.py): READY=1 once it listens (the HTTP server answers by
# then), WATCHDOG=1 repeated at half of WATCHDOG_USEC, STOPPING=1 on
# SIGTERM, all from the registry's own pid.
# Usage: test-registry-notify.sh RE6ST-REGISTRY SOURCE_ROOT
set -u
REG=$1 SRC=$2
T=$(mktemp -d /tmp/re6st-notify-test.XXXXXX)
pass=0 fail=0
ok() { d=$1; shift; if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $d"; sed 's/^/  notify: /' "$T/notify.log" | tail -n 8; fi; }
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$REG" --create-network 2001:db8:7::/48 --ca "$T/ca.crt" --key "$T/ca.key" >/dev/null || exit 1
# WatchdogSec=0.4s: WATCHDOG=1 every 200 ms.
/usr/bin/python3 "$SRC/test/service/notify-listen.py" "$T/notify.log" 400000 -- \
	"$REG" --ca "$T/ca.crt" --key "$T/ca.key" --db "$T/reg.db" --port "$PORT" -4 127.0.0.1 -6 '' \
	2>"$T/stderr" &
LPID=$!
trap 'kill $LPID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do grep -q READY=1 "$T/notify.log" 2>/dev/null && break; sleep 0.1; done
ok "READY=1 sent" grep -q ' READY=1$' "$T/notify.log"
ok "listening when READY=1 arrives" curl -sf "http://127.0.0.1:$PORT/getCa" -o /dev/null
ok "STATUS= with READY=1" grep -q ' STATUS=serving network /48 on port' "$T/notify.log"
sleep 1.5
RPID=$(cat "$T/notify.log.pid")
n=$(grep -c " $RPID WATCHDOG=1$" "$T/notify.log")
ok "WATCHDOG=1 repeats from pid $RPID ($n in ~1.5 s, want >= 5)" test "$n" -ge 5
ok "every datagram from the registry's pid" sh -c "! grep -v ' $RPID ' '$T/notify.log'"
kill -TERM "$LPID"
wait "$LPID"
rc=$?
ok "exit status 0 after SIGTERM ($rc)" test "$rc" = 0
ok "STOPPING=1 sent" grep -q ' STOPPING=1$' "$T/notify.log"
# No WATCHDOG_USEC: no WATCHDOG=1, READY=1 still.
/usr/bin/python3 "$SRC/test/service/notify-listen.py" "$T/notify2.log" "" -- \
	"$REG" --ca "$T/ca.crt" --key "$T/ca.key" --db "$T/reg.db" --port "$PORT" -4 127.0.0.1 -6 '' \
	2>>"$T/stderr" &
LPID=$!
for _ in $(seq 50); do grep -q READY=1 "$T/notify2.log" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
kill -TERM "$LPID"; wait "$LPID"
ok "no watchdog: READY=1" grep -q ' READY=1$' "$T/notify2.log"
ok "no watchdog: no WATCHDOG=1" sh -c "! grep -q WATCHDOG=1 '$T/notify2.log'"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
