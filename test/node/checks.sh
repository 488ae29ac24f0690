# checks.sh - assertions on a testbed network (sourced after testbed.sh).
#
#   ok MSG / ko MSG [NODES...]   count a result; ko dumps what the nodes saw
#   tc_summary                   print "N passed, N failed", exit status
#   node_prefix I                the node's prefix (2001:db8:42:x::/64)
#   node_pubkeys                 map WireGuard public keys to nodes ($TB_DIR/pubkeys)
#   node_babelds I               number of babeld processes in the namespace
#   check_wg I                   `wg show` holds exactly the peers the daemon chose
#   check_handshakes I           every tunnel up for 25 s had a handshake < 180 s ago
#   tunnels_to I PREFIX          tunnels of node I whose peer is PREFIX (not free)
#   netconf_version I

TC_PASSED=0 TC_FAILED=0

ok() { TC_PASSED=$((TC_PASSED + 1)); echo "ok: $1"; }
ko() { # MSG [NODES...]
	TC_FAILED=$((TC_FAILED + 1))
	echo "FAILED: $1"
	shift
	echo "----- what the nodes saw"
	tb_dump "$@"
	echo "----- end"
}
check() { # MSG NODES -- CMD...: ok or ko (with a dump of NODES) by CMD's status
	local msg=$1 nodes=$2
	shift 3
	if "$@"; then ok "$msg"; else ko "$msg" $nodes; fi
}

tc_summary() {
	echo "$TC_PASSED passed, $TC_FAILED failed"
	[ "$TC_FAILED" = 0 ]
}

node_prefix() {
	sed -n 's/.*subnet: \([0-9a-f:]*\/[0-9]*\).*/\1/p' "$TB_DIR/n$1/conf.out" | head -n1
}

node_index() { # PREFIX -> I (or nothing)
	local i
	for i in $(seq "$TB_NODES"); do
		[ "$(node_prefix "$i")" = "$1" ] && { echo "$i"; return; }
	done
}

# Every interface of a node uses the node's WireGuard key (from its
# certificate): the public key of any of them names the node.
node_pubkeys() {
	local i k
	: >"$TB_DIR/pubkeys.new"
	for i in $(seq "$TB_NODES"); do
		k=$(tb_ns "r6-n$i" wg show all public-key 2>/dev/null | awk 'NR == 1 { print $2 }')
		[ -n "$k" ] || k=$(awk -v i="$i" '$1 == i { print $2 }' "$TB_DIR/pubkeys" 2>/dev/null)
		[ -n "$k" ] && echo "$i $k" >>"$TB_DIR/pubkeys.new"
	done
	mv "$TB_DIR/pubkeys.new" "$TB_DIR/pubkeys"
}
pubkey_node() { awk -v k="$1" '$2 == k { print $1 }' "$TB_DIR/pubkeys"; }

node_babelds() {
	ip netns pids "r6-n$1" | xargs -r ps -o comm= -p | grep -c '^babeld$'
}

netconf_version() {
	tb_ctl "$1" --json status 2>/dev/null | jq -r '.netconf_version // empty'
}

tunnels_tsv() { # I -> ifname role state peer age_s (one line per interface)
	tb_ctl "$1" --json tunnels 2>/dev/null |
		jq -r '.tunnels[] | [.ifname, .role, .state, (.peer // "-"), .age_s] | @tsv'
}

tunnels_to() { # I PREFIX -> "ifname state" of each non-free tunnel to PREFIX
	tunnels_tsv "$1" | awk -v p="$2" '$4 == p && $3 != "free" { print $1, $3 }'
}

# One snapshot comparison; prints the differences, returns 1 if any.
wg_matches_once() { # I
	local i=$1 bad=0 ifname line state peer peers np j
	tunnels_tsv "$i" >"$TB_DIR/t$i" || { echo "node $i: no answer from re6stctl"; return 1; }
	tb_ns "r6-n$i" ip -o link show type wireguard | awk -F': ' '{ print $2 }' | sed 's/@.*//' >"$TB_DIR/l$i"
	while read -r ifname; do
		line=$(awk -v n="$ifname" '$1 == n' "$TB_DIR/t$i")
		if [ -z "$line" ]; then
			echo "node $i: interface $ifname not known to the daemon (stale?)"; bad=1; continue
		fi
		set -- $line
		state=$3 peer=$4
		peers=$(tb_ns "r6-n$i" wg show "$ifname" peers)
		np=$(echo "$peers" | grep -c .)
		case $state in
		up|draining|destroying)
			if [ "$np" != 1 ]; then
				echo "node $i: $ifname ($state to $peer) has $np WireGuard peers"; bad=1; continue
			fi
			j=$(pubkey_node "$peers")
			if [ -z "$j" ] || [ "$(node_prefix "$j")" != "$peer" ]; then
				echo "node $i: $ifname has peer ${j:+node $j }$peers, the daemon says $peer"; bad=1
			fi ;;
		*)
			if [ "$np" != 0 ]; then
				echo "node $i: $ifname is $state in the daemon but has WireGuard peers: $peers"; bad=1
			fi ;;
		esac
	done <"$TB_DIR/l$i"
	while read -r ifname _; do
		grep -qx "$ifname" "$TB_DIR/l$i" ||
			{ echo "node $i: the daemon lists $ifname, which does not exist"; bad=1; }
	done <"$TB_DIR/t$i"
	return $bad
}

# A rotation may happen between the two snapshots: retry before failing.
check_wg() { # I
	local out _
	for _ in 1 2 3; do
		out=$(wg_matches_once "$1") && return 0
		sleep 2
	done
	echo "$out"
	return 1
}

check_handshakes() { # I
	local now bad=0 ifname role state peer age hs
	now=$(date +%s)
	while read -r ifname role state peer age; do
		[ "$state" = up ] && [ "$age" -ge 25 ] || continue
		hs=$(tb_ns "r6-n$1" wg show "$ifname" latest-handshakes | awk '{ print $2 }')
		if [ -z "$hs" ] || [ "$hs" = 0 ] || [ $((now - hs)) -ge 180 ]; then
			echo "node $1: $ifname ($role to $peer, up for $age s): last handshake ${hs:-none} ($((now - ${hs:-0})) s ago)"
			bad=1
		fi
	done < <(tunnels_tsv "$1")
	return $bad
}

ntunnels_up() { tunnels_tsv "$1" | awk '$3 == "up"' | wc -l; }
