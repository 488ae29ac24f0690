#!/bin/sh
# re6st-conf against a real registry on 127.0.0.1: create a network, register
# anonymously and by token (mbox), check the files, refuse another network.
set -u
REG=$1 CONF=$2
T=$(mktemp -d /tmp/re6st-conf-test.XXXXXX)
pass=0 fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL: $*" >&2; fi; }
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"$REG" --create-network 2001:db8:7::/48 --ca "$T/ca.crt" --key "$T/ca.key" > "$T/create.out"
ok test $? -eq 0
FP=$(sed -n 's/^Fingerprint: //p' "$T/create.out")
ok test -n "$FP"
"$REG" --ca "$T/ca.crt" --key "$T/ca.key" --db "$T/reg.db" --port "$PORT" -4 127.0.0.1 -6 '' \
	--anonymous-prefix-length 24 --mailhost "$T/mbox" -l "$T/reg.log" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
for i in $(seq 50); do curl -sf "$URL/getCa" >/dev/null && break; sleep 0.1; done


mkdir -p "$T/a" "$T/b" "$T/c"
"$CONF" --registry "$URL" --fingerprint "$FP" --anonymous -d "$T/a" > "$T/a.out" 2>&1
ok test $? -eq 0
ok grep -q '^Your subnet: 2001:db8:7:.*/72' "$T/a.out"
ok test "$(stat -c %a "$T/a/cert.key")" = 600
ok grep -q "^registry $URL\$" "$T/a/re6stnet.conf"
ok grep -q "^key $T/a/cert.key\$" "$T/a/re6stnet.conf"
ok cmp -s "$T/a/ca.crt" "$T/ca.crt"

# Wrong fingerprint: refused, nothing written.
"$CONF" --registry "$URL" --fingerprint 00000000000000000000000000000000 --anonymous -d "$T/c" > /dev/null 2>&1
ok test $? -ne 0
ok test ! -e "$T/c/cert.crt"

# By token through the mbox file (--email asks for it, then reads it from stdin).
(
	sleep 1
	sed -n 's/.*token to join re6st network is: //p' "$T/mbox" | tail -1
) | "$CONF" --registry "$URL" --fingerprint "$FP" --email me@example.org -d "$T/b" > "$T/b.out" 2>&1
ok test $? -eq 0
ok grep -q '^Your subnet: 2001:db8:7:.*/64' "$T/b.out"
ok test "$(curl -s "$URL/getNodePrefix?email=me@example.org")" = "$(sed -n 's/^Your subnet: \([^ ]*\).*/\1/p' "$T/b.out")"

# --ca-only, and refusing to overwrite files of another network.
"$REG" --create-network 2001:db8:8::/48 --ca "$T/ca2.crt" --key "$T/ca2.key" > /dev/null
cp "$T/ca2.crt" "$T/c/ca.crt"
"$CONF" --registry "$URL" --ca-only -d "$T/c" > /dev/null 2>&1
ok test $? -ne 0
ok cmp -s "$T/c/ca.crt" "$T/ca2.crt"
rm "$T/c/ca.crt"
"$CONF" --registry "$URL" --ca-only -d "$T/c" > /dev/null 2>&1
ok test $? -eq 0
ok cmp -s "$T/c/ca.crt" "$T/ca.crt"

# Bad options: clear error, exit 2.
"$CONF" --anonymous > /dev/null 2>&1; ok test $? -eq 2
"$CONF" --registry ftp://x --anonymous > /dev/null 2>&1; ok test $? -eq 2
"$REG" --port 0 --ca x --key y > /dev/null 2>&1; ok test $? -eq 2
"$REG" --help | grep -q -- --anonymous-prefix-length; ok test $? -eq 0
"$CONF" --help | grep -q -- --fingerprint; ok test $? -eq 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
