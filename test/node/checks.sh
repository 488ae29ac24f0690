# checks.sh - assertions on a testbed network (sourced after testbed.sh).
# Few processes per check: under TCG every fork costs.
#
#   ok MSG / ko MSG [NODES...]   count a result; ko dumps what the nodes saw
#   check MSG NODES -- CMD...    ok or ko by CMD's status
#   tc_summary                   print "N passed, N failed", exit status
#   nodes_index                  node prefixes and addresses ($TB_DIR/nodes)
#   node_prefix I / node_addr I
#   mesh_ok NODES...             every node pings every other (in parallel)
#   wait_mesh SECS NODES...      until mesh_ok
#   snapshot I                   re6stctl tunnels + wg show all dump of node I
#   check_node I                 wg holds exactly the daemon's peers, handshakes recent
#   node_babelds I               number of babeld processes in the namespace
#   tunnels_to I PREFIX          tunnels of node I to PREFIX (not free)
#   netconf_version I
#   log_delay I TEXT T0          seconds from T0 (epoch) to the first log line
#                                of node I at or after T0 containing TEXT

TC_PASSED=0 TC_FAILED=0

# Cheaper than "ip netns exec" (which also makes a mount namespace and
# remounts /sys: seconds each under a loaded TCG): only the network
# namespace. The control socket needs no namespace at all.
nsx() { # NS CMD...
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}
ctl() { # I ARGS...
	local i=$1
	shift
	"$CTL" -s "$TB_DIR/n$i/run/re6stnet.sock" "$@"
}

# Drop underlay traffic between node pairs ("1-2 3-4 ..."): one nft
# transaction per node (tb_drop enters the namespaces several times per pair).
drop_paths() { # PAIRS
	local i p a b peers
	for i in $(seq "$TB_NODES"); do
		peers=""
		for p in $1; do
			a=${p%-*} b=${p#*-}
			[ "$a" = "$i" ] && peers="$peers, $TB_LAN.$((10 + b))"
			[ "$b" = "$i" ] && peers="$peers, $TB_LAN.$((10 + a))"
		done
		[ -n "$peers" ] || continue
		peers=${peers#, }
		nsx "r6-n$i" nft -f - <<NFT || return 1
table inet tbdrop {
	chain input { type filter hook input priority 0; ip saddr { $peers } drop; }
	chain output { type filter hook output priority 0; ip daddr { $peers } drop; }
}
NFT
	done
}

ok() { TC_PASSED=$((TC_PASSED + 1)); echo "ok: $1"; }
ko() { # MSG [NODES...]
	TC_FAILED=$((TC_FAILED + 1))
	TC_FAILURES="${TC_FAILURES:-}  FAILED: $1
"
	echo "FAILED: $1"
	shift
	echo "----- what the nodes saw"
	tb_dump "$@"
	echo "----- end"
}
check() { # MSG NODES -- CMD...
	local msg=$1 nodes=$2
	shift 3
	if "$@"; then ok "$msg"; else ko "$msg" $nodes; fi
}

tc_summary() {
	# Again at the end: a CI log may keep only its last lines.
	printf '%s' "${TC_FAILURES:-}"
	echo "$TC_PASSED passed, $TC_FAILED failed"
	[ "$TC_FAILED" = 0 ]
}

# "I PREFIX ADDRESS" per node, from re6st-conf's output.
nodes_index() {
	local i p
	for i in $(seq "$TB_NODES"); do
		p=$(sed -n 's/.*subnet: \([0-9a-f:]*\/[0-9]*\).*/\1/p' "$TB_DIR/n$i/conf.out" 2>/dev/null)
		[ -n "$p" ] && echo "$i $p ${p%/*}1"
	done >"$TB_DIR/nodes"
}
node_prefix() { awk -v i="$1" '$1 == i { print $2 }' "$TB_DIR/nodes"; }
node_addr() { awk -v i="$1" '$1 == i { print $3 }' "$TB_DIR/nodes"; }

# Prints "I>J" for each pair that does not answer one ping within 2 s.
mesh_fails() { # NODES...
	local i addrs
	for i in "$@"; do
		addrs=$(awk -v i="$i" -v set=" $* " 'index(set, " " $1 " ") && $1 != i { print $1 "=" $3 }' "$TB_DIR/nodes")
		nsx "r6-n$i" sh -c 'for x in $1; do
				( ping -6 -n -c 1 -W 2 "${x#*=}" >/dev/null 2>&1 ||
				  ping -6 -n -c 1 -W 2 "${x#*=}" >/dev/null 2>&1 || echo "$2>${x%%=*}" ) &
			done; wait' - "$addrs" "$i"
	done
}
mesh_ok() { [ -z "$(mesh_fails "$@")" ]; }
wait_mesh() { # SECS NODES...
	local end=$(($(date +%s) + $1))
	shift
	while :; do
		mesh_ok "$@" && return 0
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 2
	done
}
show_fails() { # NODES...
	echo "  unreachable pairs (from>to): $(mesh_fails "$@" | sort -n | tr '\n' ' ')"
}

node_babelds() {
	ip netns pids "r6-n$1" | xargs -r ps -o comm= -p | grep -c '^babeld$'
}

netconf_version() {
	ctl "$1" --json status 2>/dev/null | jq -r '.netconf_version // empty'
}

# $TB_DIR/t$I: "ifname role state peer age_s"; $TB_DIR/w$I: wg show all dump.
snapshot() { # I
	ctl "$1" --json tunnels 2>/dev/null |
		jq -r '.tunnels[] | [.ifname, .role, .state, (.peer // "-"), .age_s] | @tsv' >"$TB_DIR/t$1"
	nsx "r6-n$1" wg show all dump >"$TB_DIR/w$1" 2>&1
}

# Every node's WireGuard public key (all its interfaces use the key of its
# certificate): "I KEY" in $TB_DIR/pubkeys, kept for nodes without interfaces.
node_pubkeys() {
	local i k
	for i in $(seq "$TB_NODES"); do
		k=$(nsx "r6-n$i" wg show all public-key 2>/dev/null | awk 'NR == 1 { print $2 }')
		[ -n "$k" ] || k=$(awk -v i="$i" '$1 == i { print $2 }' "$TB_DIR/pubkeys" 2>/dev/null)
		[ -n "$k" ] && echo "$i $k"
	done >"$TB_DIR/pubkeys.new"
	mv "$TB_DIR/pubkeys.new" "$TB_DIR/pubkeys"
}

# One comparison of a snapshot: each WireGuard interface is one the daemon
# lists; up/draining/destroying tunnels have exactly one peer, the node the
# daemon names (by its key); free/setup ones none; tunnels up for 25 s had
# a handshake less than 215 s ago: the daemon frees a tunnel whose last
# handshake is over 200 s old (HANDSHAKE_STALE_S, checked every 10 s), so
# a dead tunnel may show up to 210 s before it goes. Prints the differences.
compare_snapshot() { # I
	awk -v now="$(date +%s)" -v node="$1" '
		FILENAME ~ /\/nodes$/ { pfx[$1] = $2; next }
		FILENAME ~ /\/pubkeys$/ { who[$2] = pfx[$1] " (node " $1 ")"; bykey[$2] = pfx[$1]; next }
		FILENAME ~ /\/t[0-9]+$/ { st[$1] = $3; peer[$1] = $4; age[$1] = $5; role[$1] = $2; next }
		NF == 5 { ifs[$1] = 1; if (!($1 in st)) print "node " node ": interface " $1 " not known to the daemon"; next }
		NF == 9 { np[$1]++; key[$1] = $2; hs[$1] = $6; next }
		END {
			for (i in st) {
				if (!(i in ifs)) { print "node " node ": the daemon lists " i ", which does not exist"; continue }
				busy = st[i] == "up" || st[i] == "draining" || st[i] == "destroying"
				if (!busy) {
					if (np[i]) print "node " node ": " i " is " st[i] " but has a WireGuard peer " who[key[i]] key[i]
					continue
				}
				if (np[i] != 1) { print "node " node ": " i " (" st[i] " to " peer[i] ") has " np[i] + 0 " WireGuard peers"; continue }
				if (bykey[key[i]] != peer[i])
					print "node " node ": " i " has WireGuard peer " (key[i] in who ? who[key[i]] : key[i]) ", the daemon says " peer[i]
				if (st[i] == "up" && age[i] >= 25 && (hs[i] == 0 || now - hs[i] >= 215))
					print "node " node ": " i " (" role[i] " to " peer[i] ", up " age[i] " s): last handshake " (hs[i] ? now - hs[i] " s ago" : "never")
			}
		}' "$TB_DIR/nodes" "$TB_DIR/pubkeys" "$TB_DIR/t$1" "$TB_DIR/w$1"
}

# A rotation may happen between the two halves of a snapshot: retry.
check_node() { # I
	local out _
	for _ in 1 2 3; do
		snapshot "$1"
		out=$(compare_snapshot "$1")
		[ -z "$out" ] && [ -s "$TB_DIR/t$1" ] && return 0
		sleep 2
	done
	[ -s "$TB_DIR/t$1" ] || out="node $1: no answer from re6stctl tunnels"
	echo "$out"
	return 1
}

ntunnels_up() { awk '$3 == "up"' "$TB_DIR/t$1" | wc -l; }

tunnels_to() { # I PREFIX -> "ifname state" of each non-free tunnel to PREFIX
	ctl "$1" --json tunnels 2>/dev/null |
		jq -r --arg p "$2" '.tunnels[] | select(.peer == $p and .state != "free") | "\(.ifname) \(.state)"'
}

log_delay() { # I TEXT T0
	awk -v pat="$2" -v t0="$3" 'index($0, pat) {
		split($1, d, "-"); split($2, t, ":")
		ts = mktime(d[1] " " d[2] " " d[3] " " t[1] " " t[2] " 0") + t[3]
		if (ts >= t0 - 0.001) { printf "%.1f\n", ts - t0; exit }
	}' "$TB_DIR/n$1/log/re6stnet.log"
}
