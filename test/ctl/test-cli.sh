#!/bin/sh
# The command-line conventions shared by the four programs (docs/man, COMMAND
# LINE): every bad argument exits 2 with the message on stderr only, prefixed
# with the program's own name; unambiguous long-option prefixes are accepted
# everywhere (and ambiguous ones refused); re6st-registry reads @FILE option
# files. The abbreviations are checked end to end: a registry started from an
# @FILE, a node registered with re6st-conf, re6stnet --check and re6stctl,
# all with abbreviated options.
# Usage: test-cli.sh RE6STNET RE6ST-REGISTRY RE6ST-CONF RE6STCTL
set -u
NET=$1 REG=$2 CONF=$3 CTL=$4
T=$(mktemp -d /tmp/re6st-cli-test.XXXXXX)
pass=0 fail=0
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
ok() { if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL ($WHAT): $*" >&2; show; fi; }
show() { echo "  status $rc; stdout: $(head -c 400 "$T/out"); stderr: $(head -c 400 "$T/err")" >&2; }
# run PROGRAM ARGS...: stdout in $T/out, stderr in $T/err, status in $rc.
run() { "$@" > "$T/out" 2> "$T/err" < /dev/null; rc=$?; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bad NAME MESSAGE PROGRAM ARGS...: status 2, nothing on stdout, every line
# of stderr prefixed with NAME (or the "Try 'NAME --help'." hint), MESSAGE in it.
bad() {
	name=$1 msg=$2
	shift 2
	WHAT="$name $*"
	run "$@"
	ok test "$rc" -eq 2
	ok test ! -s "$T/out"
	ok grep -q -F -- "$name: $msg" "$T/err"
	ok test -z "$(grep -v -e "^$name: " -e "^Try '$name --help'.\$" "$T/err")"
}

NODE="--registry http://127.0.0.1:1/ --ca $T/ca.crt --cert $T/cert.crt --key $T/cert.key"
RG="--ca $T/ca.crt --key $T/ca.key"

# Unknown options.
bad re6stnet "unknown option '--no-such-option'" "$NET" --no-such-option
bad re6st-registry "unknown option '--no-such-option'" "$REG" --no-such-option
bad re6st-conf "unknown option '--no-such-option'" "$CONF" --no-such-option
bad re6stctl "unknown option '--no-such-option'" "$CTL" --no-such-option status
bad re6stnet "unknown option '-X'" "$NET" -X
bad re6st-registry "unknown option '-X'" "$REG" -X
bad re6st-conf "unknown option '-X'" "$CONF" -X
bad re6stctl "unknown option '-X'" "$CTL" -X status
# Invalid values.
bad re6stnet "option --client-count expects an integer" "$NET" $NODE --client-count many
bad re6st-registry "option --port: expected an integer in 1..65535" "$REG" $RG --port 0
bad re6st-registry "option --ipv4: expected NET/N SUBLEN" "$REG" $RG --ipv4 10.0.0.0/16 8
bad re6st-conf "option --timeout expects an integer in 1..3600" "$CONF" \
	--registry http://127.0.0.1:1/ --timeout 0
bad re6st-conf "--registry: expected http://" "$CONF" --registry ftp://x/
bad re6stctl "option --timeout expects an integer in 1..3600" "$CTL" --timeout 0 status
# Missing values.
bad re6stnet "option --hello needs a value" "$NET" $NODE --hello
bad re6st-registry "option --port needs a value" "$REG" $RG --port
bad re6st-registry "option --ipv4 needs two values" "$REG" $RG --ipv4 10.0.0.0/16
bad re6st-conf "option --timeout needs a value" "$CONF" --registry http://127.0.0.1:1/ --timeout
bad re6stctl "option --socket needs a value" "$CTL" --socket
# Missing required options, unexpected arguments, no command.
bad re6stnet "missing --registry" "$NET"
bad re6st-registry "--ca and --key are required" "$REG"
bad re6st-conf "--registry URL is required" "$CONF"
bad re6stctl "no command given" "$CTL"
bad re6stnet "unexpected argument 'extra'" "$NET" $NODE extra
bad re6st-registry "unexpected argument 'extra'" "$REG" $RG extra
bad re6st-conf "unexpected argument 'extra'" "$CONF" extra
# Unreadable and invalid @FILE.
bad re6stnet "$T/none: No such file or directory" "$NET" "@$T/none"
bad re6st-registry "$T/none: No such file or directory" "$REG" "@$T/none"
bad re6st-conf "$T/none: No such file or directory" "$CONF" "@$T/none"
printf 'ca x\nport many\n' > "$T/bad.conf"
bad re6st-registry "$T/bad.conf:2: option --port: expected an integer" "$REG" "@$T/bad.conf"
bad re6stnet "$T/bad.conf:2: unknown option 'port'" "$NET" "@$T/bad.conf"
# Ambiguous prefixes name their candidates.
bad re6stnet "ambiguous option '--c' (--check, --ca, ...)" "$NET" --c
bad re6st-registry "ambiguous option '--t' (--threads, --timeout, ...)" "$REG" --t 1
bad re6st-conf "ambiguous option '--t' (--token, --timeout)" "$CONF" --t 1
# (no two of re6stctl's long options start with the same letters)

# Abbreviations: --vers for --version everywhere.
for p in "re6stnet $NET" "re6st-registry $REG" "re6st-conf $CONF" "re6stctl $CTL"; do
	set -- $p
	WHAT="$1 --vers"
	run "$2" --vers
	ok test "$rc" -eq 0
	ok grep -q "^$1 [0-9]" "$T/out"
	ok test ! -s "$T/err"
done

# re6st-registry from an @FILE, with abbreviations on its command line.
WHAT="re6st-registry --create-net"
run "$REG" --create-net 2001:db8:5::/48 --ca "$T/ca.crt" --ke "$T/ca.key"
ok test "$rc" -eq 0
FP=$(sed -n 's/^Fingerprint: //p' "$T/out")
PORT=$(free_port)
cat > "$T/registry.conf" <<END
# re6st-registry options, as re6stnet reads them
ca $T/ca.crt
key $T/ca.key
db $T/registry.db
port $PORT
4 127.0.0.1
6=
anonymous-prefix-length 24
ipv4 10.42.0.0/16 24   # two words
END
WHAT="re6st-registry @FILE"
"$REG" "@$T/registry.conf" --verb debug -l "$T/registry.log" &
PID=$!
URL=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -sf "$URL/getCa" >/dev/null && break; sleep 0.1; done
ok curl -sf "$URL/getCa" -o /dev/null
ok grep -q "port $PORT" "$T/registry.log"
WHAT="re6st-registry @FILE network configuration"
run "$CTL" --reg "$URL" --finger "$FP" --js network-config
ok test "$rc" -eq 0
ok grep -q '"anonymous_prefix_length":24,' "$T/out"
ok grep -q '"ipv4":"10.42.0.0/16","ipv4_sublen":24,' "$T/out"

# re6st-conf with abbreviations; its --fingerprint advice goes to stderr.
WHAT="re6st-conf abbreviated"
run "$CONF" --reg "$URL" --finger "$FP" --anon -d "$T"
ok test "$rc" -eq 0
ok grep -q '^Your subnet: 2001:db8:5:' "$T/out"
WHAT="re6st-conf without --fingerprint"
mkdir "$T/ca-only"
run "$CONF" --reg "$URL" --ca-o -d "$T/ca-only"
ok test "$rc" -eq 0
ok grep -q "^re6st-conf: warning: it is strongly recommended to use --fingerprint" "$T/err"
ok test -z "$(grep -i warning "$T/out")"

# re6stnet --check, abbreviated, with the identity just written.
WHAT="re6stnet --chec abbreviated"
run "$NET" --regis "$URL/" --ca "$T/ca.crt" --cer "$T/cert.crt" --ke "$T/cert.key" --chec
ok test "$rc" -eq 0
ok grep -q '^configuration OK' "$T/out"
WHAT="re6stnet --check, bad certificate: its own name as prefix"
run "$NET" --registry "$URL/" --ca "$T/ca.crt" --cert "$T/ca.key" --key "$T/cert.key" --check
ok test "$rc" -eq 2
ok grep -q "^re6stnet: error: $T/ca.key" "$T/err"
ok test -z "$(grep -v '^re6stnet: ' "$T/err")"

# re6stctl with abbreviations: its socket option is used.
WHAT="re6stctl --sock"
run "$CTL" --sock "$T/no.sock" --js status
ok test "$rc" -eq 1
ok grep -q "^re6stctl: $T/no.sock: No such file or directory" "$T/err"

echo "test-cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
