#!/bin/sh
# re6stctl's registry commands against a real re6st-registry on 127.0.0.1
# (random port): create a network, register nodes with re6st-conf, then drive
# every registry command and its errors.
# Usage: test-admin.sh RE6ST-REGISTRY RE6ST-CONF RE6STCTL XFF-PROXY MANPAGE
set -u
REG=$1 CONF=$2 CTL=$3 PROXY=$4 MAN=$5
T=$(mktemp -d /tmp/re6stctl-admin-test.XXXXXX)
pass=0 fail=0
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL (line $LINE): $*" >&2; fi; }
# Run re6stctl; stdout in $T/out, stderr in $T/err, exit status in $rc.
ctl() { "$CTL" "$@" > "$T/out" 2> "$T/err"; rc=$?; }
has() { grep -q -- "$1" "$2"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
json() { python3 -c "import json,sys; d=json.load(open('$T/out')); print($1)"; }
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
R="--registry $URL"

LINE=create
"$REG" --create-network 2001:db8:7::/48 --ca "$T/ca.crt" --key "$T/ca.key" > "$T/create.out"
ok test $? -eq 0
FP=$(sed -n 's/^Fingerprint: //p' "$T/create.out")
"$REG" --create-network 2001:db8:8::/48 --ca "$T/ca2.crt" --key "$T/ca2.key" > /dev/null
"$REG" --ca "$T/ca.crt" --key "$T/ca.key" --db "$T/reg.db" --port "$PORT" -4 127.0.0.1 -6 '' \
	--anonymous-prefix-length 24 --mailhost "$T/mbox" -l "$T/reg.log" &
PID=$!
PPID_=
trap 'kill $PID $PPID_ 2>/dev/null; wait 2>/dev/null' EXIT
for i in $(seq 50); do curl -sf "$URL/getCa" >/dev/null && break; sleep 0.1; done

# A first node, anonymous: its serial and prefix.
LINE=register
mkdir -p "$T/a" "$T/b"
"$CONF" --registry "$URL" --fingerprint "$FP" --anonymous -d "$T/a" > "$T/a.out" 2>&1
ok test $? -eq 0
A_PREFIX=$(sed -n 's/^Your subnet: \([^ ]*\) .*/\1/p' "$T/a.out")
A_SERIAL=$(sed -n 's/^Your subnet: .*(serial \([0-9]*\)).*/\1/p' "$T/a.out")
ok test -n "$A_PREFIX" -a -n "$A_SERIAL"

# network-config, verified against the CA file: version, no revocation.
LINE=netconf
ctl $R --ca "$T/ca.crt" network-config
ok test $rc -eq 0
ok has '^network  *2001:db8:7::/48$' "$T/out"
ok has "^ca-fingerprint  *$FP\$" "$T/out"
ok has '^anonymous-prefix-length  *24$' "$T/out"
ok has '^revoked (0)$' "$T/out"
V0=$(sed -n 's/^version  *//p' "$T/out")
ok test -n "$V0"
ctl $R --ca "$T/ca.crt" --json network-config
ok test $rc -eq 0
ok test "$(json 'd["version"], len(d["revoked"]), d["network"], d["tunnel_types"]')" = \
	"$V0 0 2001:db8:7::/48 ['wireguard']"
ctl $R --fingerprint "$FP" network-config
ok test $rc -eq 0
ctl $R network-config       # not pinned: works, with a warning
ok test $rc -eq 0
ok has 'not pinned' "$T/err"
ctl $R --ca "$T/ca2.crt" network-config   # another network's CA: refused
ok test $rc -eq 1
ok has 'network-config' "$T/err"
ctl $R --fingerprint 0123456789abcdef0123456789abcdef network-config
ok test $rc -eq 1
ok has 'fingerprint is' "$T/err"
ctl $R --fingerprint xyz network-config
ok test $rc -eq 2
ctl $R --ca "$T/nonexistent" network-config
ok test $rc -eq 1
ok has 'nonexistent' "$T/err"

# add-token, then re6st-conf --token with it.
LINE=add-token
ctl $R add-token bob@example.org
ok test $rc -eq 0
TOKEN=$(cat "$T/out")
ok test -n "$TOKEN"
ctl $R is-token "$TOKEN"
ok test $rc -eq 0 -a "$(cat "$T/out")" = yes
"$CONF" --registry "$URL" --fingerprint "$FP" --token "$TOKEN" -d "$T/b" > "$T/b.out" 2>&1
ok test $? -eq 0
B_PREFIX=$(sed -n 's/^Your subnet: \([^ ]*\) .*/\1/p' "$T/b.out")
ok has '^Your subnet: 2001:db8:7:.*/64 ' "$T/b.out"
ctl $R is-token "$TOKEN"       # consumed: "no", exit 1 like grep
ok test $rc -eq 1 -a "$(cat "$T/out")" = no
ok test ! -s "$T/err"
ctl $R --json is-token "$TOKEN"
ok test $rc -eq 1
ok test "$(json 'd["token"], d["valid"]')" = "$TOKEN False"

# node-prefix / ipv6-address by email.
LINE=lookup
ctl $R node-prefix bob@example.org
ok test $rc -eq 0 -a "$(cat "$T/out")" = "$B_PREFIX"
ctl $R ipv6-address bob@example.org
ok test $rc -eq 0
ok test "$(cut -d: -f1-3 "$T/out")" = 2001:db8:7
ctl $R --json node-prefix bob@example.org
ok test "$(json 'd["prefix"]')" = "$B_PREFIX"
ctl $R node-prefix nobody@example.org
ok test $rc -eq 1
ok has 'no node registered' "$T/err"

# A given token: created, refused twice, deleted.
LINE=tokens
ctl $R add-token --token tok-12345 --email carol@example.org
ok test $rc -eq 0 -a "$(cat "$T/out")" = tok-12345
ctl $R add-token carol@example.org --token tok-12345
ok test $rc -eq 1
ok has 'HTTP 409: token already exists' "$T/err"
ctl $R --json add-token dave@example.org
ok test $rc -eq 0
ok test "$(json 'd["email"]')" = dave@example.org
ctl $R is-token tok-12345
ok test $rc -eq 0 -a "$(cat "$T/out")" = yes
ctl $R delete-token tok-12345
ok test $rc -eq 0
ctl $R is-token tok-12345
ok test $rc -eq 1 -a "$(cat "$T/out")" = no
ctl $R is-token
ok test $rc -eq 2
ctl $R delete-token tok-12345
ok test $rc -eq 1
ok has 'no such token' "$T/err"
ctl $R add-token not-an-email
ok test $rc -eq 1
ok has 'HTTP 400' "$T/err"
ctl $R add-token
ok test $rc -eq 2
ctl $R add-token --bogus x@example.org
ok test $rc -eq 2

# revoke by serial: in the revocation list, version grows.
LINE=revoke-serial
ctl $R revoke "$A_SERIAL"
ok test $rc -eq 0
ctl $R --ca "$T/ca.crt" --json network-config
V1=$(json 'd["version"]')
ok test "$V1" -gt "$V0"
ok test "$(json '[(r["serial"], r["prefix"]) for r in d["revoked"]]')" = "[($A_SERIAL, '$A_PREFIX')]"
ctl $R --ca "$T/ca.crt" network-config
ok has "^  $A_SERIAL  *$A_PREFIX " "$T/out"
ok has '^revoked (1)$' "$T/out"

# revoke by prefix: listed too, prefix freed, version grows again.
LINE=revoke-prefix
B_SERIAL=$(sed -n 's/^Your subnet: .*(serial \([0-9]*\)).*/\1/p' "$T/b.out")
ctl $R revoke "$B_PREFIX"
ok test $rc -eq 0
ctl $R --ca "$T/ca.crt" --json network-config
V2=$(json 'd["version"]')
ok test "$V2" -gt "$V1"
ok test "$(json 'sorted(r["serial"] for r in d["revoked"])')" = \
	"$(python3 -c "print(sorted([$A_SERIAL, $B_SERIAL]))")"
ctl $R node-prefix bob@example.org
ok test $rc -eq 1
ctl $R revoke 999999
ok test $rc -eq 1
ok has 'HTTP 404' "$T/err"
ctl $R revoke 2001:db8:7:ffff::/64
ok test $rc -eq 1
ctl $R revoke not-a-prefix
ok test $rc -eq 2
ctl $R revoke 2001:db8:7::1/64
ok test $rc -eq 2
ctl $R revoke
ok test $rc -eq 2
ctl $R revoke 1 2
ok test $rc -eq 2

# update-hmac walks the rotation; every step bumps the version.
LINE=update-hmac
states=
V=$V2
for i in 1 2 3 4; do
	ctl $R update-hmac
	ok test $rc -eq 0
	states="$states $(cat "$T/out")"
	ctl $R --ca "$T/ca.crt" --json network-config
	NV=$(json 'd["version"]')
	ok test "$NV" -gt "$V"
	V=$NV
done
ok test "$states" = " introduce use drop introduce"
ctl $R --json update-hmac
ok test "$(json 'd["state"]')" = use
ctl $R update-hmac extra
ok test $rc -eq 2

# Private RPCs from an address outside --authorized-origin (through a proxy
# adding X-Forwarded-For): refused with the registry's words and a hint.
LINE=forbidden
"$PROXY" "$URL" > "$T/proxy.port" &
PPID_=$!
for i in $(seq 50); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
PURL=http://127.0.0.1:$(cat "$T/proxy.port")
ctl --registry "$PURL" revoke 1
ok test $rc -eq 1
ok has 'HTTP 403: forbidden: private RPC, origin not authorized' "$T/err"
ok has 'authorized-origin' "$T/err"
ctl --registry "$PURL" add-token eve@example.org
ok test $rc -eq 1
ok has 'HTTP 403' "$T/err"
ctl --registry "$PURL" is-token x     # refused: 2, not "no"
ok test $rc -eq 2
ok has 'HTTP 403' "$T/err"
ctl --registry "$PURL" --ca "$T/ca.crt" network-config   # public: allowed
ok test $rc -eq 0

# Usage errors and an unreachable registry.
LINE=errors
ctl $R frobnicate
ok test $rc -eq 2
ok has "unknown registry command 'frobnicate'" "$T/err"
ctl $R status
ok test $rc -eq 2
ctl revoke 1
ok test $rc -eq 2
ok has 'give --registry' "$T/err"
ctl --registry ftp://127.0.0.1 revoke 1
ok test $rc -eq 2
ctl $R --timeout 0 revoke 1
ok test $rc -eq 2
ctl $R --bogus revoke 1
ok test $rc -eq 2
DEAD=http://127.0.0.1:$(free_port)
ctl --registry "$DEAD" --timeout 2 is-token x   # no answer: 2, not "no"
ok test $rc -eq 2
ok test ! -s "$T/out"
ok has 'cannot reach the registry' "$T/err"
ctl --registry "$DEAD" --timeout 2 delete-token x
ok test $rc -eq 1
ctl --registry "$DEAD" network-config
ok test $rc -eq 1
ok test ! -s "$T/out"

# --help and the man page name every registry command.
LINE=docs
"$CTL" --help > "$T/help"
ok test $? -eq 0
for c in add-token is-token delete-token revoke update-hmac node-prefix ipv6-address \
	network-config; do
	ok has "^  $c " "$T/help"
	ok grep -q "^\.BI\{0,1\} $c" "$MAN"
done
sed 's/\\-/-/g' "$MAN" > "$T/man"
for o in --registry --ca --fingerprint --timeout --json; do ok grep -q -- "$o" "$T/man"; done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && rm -rf "$T"
[ "$fail" -eq 0 ]
