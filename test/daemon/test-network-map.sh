#!/bin/bash
# The network as the registry sees it, with real nodes: a registry and 3
# re6stnet in network namespaces (the testbed of test/node). The registry's
# versions and topology RPCs reach every node over the peer protocol;
# re6stctl topology draws them as a table, JSON and Graphviz (dot -Tsvg);
# GET /metrics counts the announced nodes. On a kernel without WireGuard
# the nodes make no tunnel: the map has nodes and no edges (vm-mesh draws
# tunnels). Needs root (exit 77 otherwise).
# Usage: test-network-map.sh BUILD_ROOT SOURCE_ROOT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
export RE6ST_BUILD_ROOT=$1
SRC=$2
cd "$SRC" || exit 1
. test/node/testbed.sh
pass=0 fail=0
check() { # DESCRIPTION CMD...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $d"
		tail -n 5 "$TB_DIR/registry/registry.log" 2>/dev/null | sed 's/^/  log: /'
	fi
}
regctl() { tb_ns r6-reg "$CTL" --registry "http://127.0.0.1:$TB_REG_PORT" "$@"; }
announced() {
	tb_rpc metrics > "$TB_DIR/metrics"
	grep -q "^re6st_registry_announced_nodes $N\$" "$TB_DIR/metrics"
}
N=3

tb_init "$(mktemp -d /tmp/re6st-map.XXXXXX)" || exit 1
tb_underlay $N || exit 1
tb_registry_start || exit 1
# node 1 registers with a location: the status page shows its country.
TB_LOCATION=FR,EU tb_node_add 1
for i in $(seq 2 $N); do tb_node_add "$i"; done
check "the $N nodes announced (metrics)" tb_wait_for 300 announced
VERSION=$("$CTL" --version | sed 's/^re6stctl //')

# versions: every node answers with its software string.
tb_rpc 'versions?timeout=2' > "$TB_DIR/versions.json"
echo "versions: $(cat "$TB_DIR/versions.json")"
check "versions: $N answers, re6stnet $VERSION" test "$(grep -o "\"re6stnet $VERSION, [^\"]*\"" \
	"$TB_DIR/versions.json" | wc -l)" = $N
for i in $(seq $N); do
	p=$(sed -n 's/^Your subnet: \([^ ]*\) .*/\1/p' "$TB_DIR/n$i/conf.out")
	check "node $i ($p) in versions" grep -q "\"$p\":\"re6stnet" "$TB_DIR/versions.json"
done

# re6stctl topology: table, JSON (parsed), dot drawn by Graphviz.
regctl topology --wait 2 > "$TB_DIR/topology.txt" 2>&1
rc=$?
cat "$TB_DIR/topology.txt"
check "re6stctl topology exits 0 ($rc)" test $rc = 0
check "table: $N nodes answered" grep -q "^$N nodes, $N answered" "$TB_DIR/topology.txt"
regctl --json topology --wait 2 > "$TB_DIR/topology.json"
check "--json parses, $N versions and $N answering" python3 -c "
import json, sys
d = json.load(open('$TB_DIR/topology.json'))
assert sum(1 for v in d['versions'].values() if v and v.startswith('re6stnet ')) == $N, d
assert len(d['topology']['']) == $N, d"
regctl topology --dot --wait 2 > "$TB_DIR/topology.dot"
dot -Tsvg "$TB_DIR/topology.dot" > "$TB_DIR/topology.svg" 2> "$TB_DIR/dot.err"
check "dot -Tsvg draws it: $(cat "$TB_DIR/dot.err")" test -s "$TB_DIR/topology.svg"
check "the SVG has $N nodes" test "$(grep -c 'class="node"' "$TB_DIR/topology.svg")" = $N
edges=$(grep -c -- '->' "$TB_DIR/topology.dot")
echo "topology: $edges tunnels"

# The status page: HTML for authorized origins, drawn by headless Chromium.
P3=$(sed -n 's/^Your subnet: \([^ ]*\) .*/\1/p' "$TB_DIR/n3/conf.out")
S3=$(sed -n 's/^Your subnet: .*(serial \([0-9]*\)).*/\1/p' "$TB_DIR/n3/conf.out")
regctl revoke "$S3" > /dev/null
check "node 3 revoked ($P3, serial $S3)" test $? = 0
tb_rpc status > "$TB_DIR/status.html"
check "status: $((N - 1)) node rows" test "$(grep -c '<tr class="node">' "$TB_DIR/status.html")" = $((N - 1))
check "status: 1 revoked row" test "$(grep -c '<tr class="revoked">' "$TB_DIR/status.html")" = 1
check "status: the revoked serial $S3" grep -q "<tr class=\"revoked\"><td>$S3</td><td>$P3</td>" "$TB_DIR/status.html"
check "status: versions shown" test "$(grep -o "<td>re6stnet $VERSION" "$TB_DIR/status.html" | wc -l)" = $((N - 1))
# The node rows' cells: prefix, serial, version, country, last announce, ...
cells() { # PREFIX -> its row's cells, one per line
	/usr/bin/python3 - "$TB_DIR/status.html" "$1" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    row, cell, rows = None, None, []
    def handle_starttag(self, t, a):
        if t == "tr" and ("class", "node") in a: self.row = []
        elif t == "td" and self.row is not None: self.cell = ""
    def handle_endtag(self, t):
        if t == "td" and self.cell is not None: self.row.append(self.cell); self.cell = None
        elif t == "tr" and self.row is not None: self.rows.append(self.row); self.row = None
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
p = P(); p.feed(open(sys.argv[1]).read())
for r in p.rows:
    if r and r[0] == sys.argv[2]: print("\n".join(r))
PY
}
P1=$(sed -n 's/^Your subnet: \([^ ]*\) .*/\1/p' "$TB_DIR/n1/conf.out")
P2=$(sed -n 's/^Your subnet: \([^ ]*\) .*/\1/p' "$TB_DIR/n2/conf.out")
recent() { # PREFIX: its last announce within the last 10 minutes
	t=$(date -u -d "$(cells "$1" | sed -n 5p) UTC" +%s 2>/dev/null) &&
		[ "$t" -le "$(date +%s)" ] && [ "$t" -gt $(($(date +%s) - 600)) ]
}
both_recent() { recent "$P1" && recent "$P2"; }
check "status: node 1's country FR ($(cells "$P1" | sed -n 4p))" test "$(cells "$P1" | sed -n 4p)" = FR
check "status: node 2 without a location: - ($(cells "$P2" | sed -n 4p))" test "$(cells "$P2" | sed -n 4p)" = -
check "status: last announces recent ($(cells "$P1" | sed -n 5p), $(cells "$P2" | sed -n 5p))" \
	both_recent
check "status: HMAC state" grep -q '<p id="hmac">Babel HMAC: <b>stable</b>' "$TB_DIR/status.html"
check "status: no external asset" sh -c "! grep -Eq '(src|href)=' '$TB_DIR/status.html'"
code=$(tb_ns r6-n1 curl -s -o /dev/null -w '%{http_code}' "${TB_REG_URL}status")
check "status from a node: 403 ($code)" test "$code" = 403
SHOT=${RE6ST_BUILD_ROOT}/meson-logs/status-page.png
CHROME=$(command -v chromium || command -v chromium-browser)
if [ -n "$CHROME" ]; then
	rm -f "$SHOT"
	chrome() { tb_ns r6-reg timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu \
		--no-first-run --user-data-dir="$TB_DIR/chromium" --window-size=1000,1400 "$@" \
		"http://127.0.0.1:$TB_REG_PORT/status" 2>> "$TB_DIR/chromium.log"; }
	chrome --dump-dom > "$TB_DIR/status.dom"
	check "chromium loads the page" grep -q '<h1>re6st network' "$TB_DIR/status.dom"
	check "chromium: the map draws the $((N - 1)) nodes not revoked" \
		test "$(grep -o '<g class="node"' "$TB_DIR/status.dom" | wc -l)" = $((N - 1))
	check "chromium: every tunnel drawn ($edges)" \
		test "$(grep -o '<line class="tunnel"' "$TB_DIR/status.dom" | wc -l)" = "$edges"
	chrome --screenshot="$SHOT" > /dev/null
	check "screenshot kept in $SHOT" test -s "$SHOT"
	echo "status page screenshot: $SHOT"
else
	echo "SKIP: no chromium (scripts/setup installs it): status page not drawn"
fi

# Bad arguments and other origins.
regctl topology --wait 0 > /dev/null 2>&1
check "--wait 0 exits 2" test $? = 2
regctl topology extra > /dev/null 2>&1
check "extra argument exits 2" test $? = 2
tb_ns r6-n1 "$CTL" --registry "$TB_REG_URL" topology > "$TB_DIR/n1.err" 2>&1
check "from a node (not an authorized origin): exit 1" test $? = 1
check "... saying why: $(head -n1 "$TB_DIR/n1.err")" grep -q 'authorized-origin' "$TB_DIR/n1.err"

[ "$fail" = 0 ] || tb_dump
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
