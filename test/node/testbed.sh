# testbed.sh - a re6st network of namespaces on one machine (sourced).
#
# The underlay is an IPv4 LAN 198.18.0.0/24 (RFC 2544 benchmarking range),
# a bridge in namespace r6-sw; the registry is 198.18.0.1 in r6-reg, node I
# is 198.18.0.(10+I) in r6-nI. Every process of the network runs inside
# these namespaces, so no packet leaves them. The network's IPv6 prefix is
# 2001:db8:42::/48 (documentation range).
#
#   tb_init [WORKDIR]      directories, binaries (RE6ST_BUILD_ROOT or ./build)
#   tb_underlay N          switch, registry and N node namespaces
#   tb_drop I J            drop underlay traffic between nodes I and J
#   tb_nat I [upnp]        put node I behind a NAT gateway (after tb_underlay)
#   tb_registry_start [ARGS]  create the network (once) and start the registry
#   tb_registry_stop [-9]
#   tb_register I...       register nodes with re6st-conf, in parallel
#   tb_node_add I [ARGS]   register node I with re6st-conf (once) and start re6stnet
#                          (under $TB_NODE_WRAP when set, e.g. setpriv; with -v 3,
#                          or $TB_NODE_VERBOSE's words when set: empty for none)
#   tb_node_stop I [-9]
#   tb_node_addr I         the node's re6st address (prefix::1)
#   tb_wait_mesh SECS      until every node reaches every other node's address
#   tb_ping_matrix         print the ping matrix
#   tb_dump                what every node sees: tunnels, wg peers, babel routes
#   tb_cleanup             stop everything, delete the namespaces
#                          (TB_SAVE=DIR: copy the logs and state there first)
#
# tb_nat: node I moves to a LAN 192.168.I.0/24 (node .2, gateway .1) behind
# namespace r6-gwI, whose WAN is host 100+I of the underlay; the gateway
# masquerades with random source ports (a symmetric NAT: nothing gets in
# unless mapped). With "upnp" it also runs miniupnpd (Debian's, nftables
# backend) as the LAN's Internet gateway device. miniupnpd refuses to map
# ports on a reserved external address (198.18.0.0/15 is one), so a test
# with UPnP sets TB_LAN to a routable-looking range; no namespace has a way
# out, so no packet leaves the testbed either way.
#
# TB_UNDERLAY=6: the underlay is IPv6-only instead (fd42:198:18::N/64, the
# registry [fd42:198:18::1], node I fd42:198:18::(10+I)); tb_drop is IPv4-only.
#
# Requires root, iproute2, nftables; WireGuard in the kernel (test VM).

TB_PREFIX=2001:db8:42::/48
TB_LAN=${TB_LAN:-198.18.0}
TB_LAN6=fd42:198:18:
TB_UNDERLAY=${TB_UNDERLAY:-4} # 6: an IPv6-only underlay fd42:198:18::/64
TB_REG_PORT=9080
TB_HELLO=${TB_HELLO-1} # empty: the network's default
TB_REFRESH=${TB_REFRESH:-300}
TB_NODES=0

tb_log() { echo "[$(date +%H:%M:%S)] $*"; }

tb_wait_for() { # TENTHS CMD... : CMD every 0.1 s until it succeeds (1 if it never did)
	local tenths=$1
	shift
	for _ in $(seq "$tenths"); do "$@" && return 0; sleep 0.1; done
	return 1
}

# The longest gap between the replies of a `ping -D` flow in FILE: "GAP
# ANSWERED START AT", START the seconds from T0 to the gap, AT its Unix time.
tb_flow_gap() { # FILE T0
	awk -v tc="$2" '/bytes from/ { gsub(/[][]/, "", $1); t = $1 + 0
		if (last && t - last > g) { g = t - last; a = last }
		last = t; n++ }
		END { printf "%.2f %d %.1f %.3f\n", g, n, a ? a - tc : 0, a }' "$1"
}

tb_init() {
	TB_DIR=${1:-$(mktemp -d /tmp/re6st-tb.XXXXXX)}
	mkdir -p "$TB_DIR"
	TB_BUILD=${RE6ST_BUILD_ROOT:-$(pwd)/build}
	for b in registry-server/re6st-registry registry-client/re6st-conf daemon/re6stnet ctl/re6stctl; do
		[ "$b" = ctl/re6stctl ] && [ ! -x "$TB_BUILD/$b" ] && continue
		[ -x "$TB_BUILD/$b" ] || { echo "testbed: $TB_BUILD/$b not built" >&2; exit 2; }
	done
	REGISTRY=$TB_BUILD/registry-server/re6st-registry
	CONF=$TB_BUILD/registry-client/re6st-conf
	NODE=$TB_BUILD/daemon/re6stnet
	CTL=$TB_BUILD/ctl/re6stctl
	trap tb_cleanup EXIT
}

tb_ns() { # NS CMD... (run in namespace)
	ns=$1; shift
	ip netns exec "$ns" "$@"
}

tb_uaddr() { # N -> underlay address of host N (registry 1, node I 10+I)
	if [ "$TB_UNDERLAY" = 6 ]; then echo "$TB_LAN6:$1"; else echo "$TB_LAN.$1"; fi
}

# Few processes: each costs a fraction of a second under TCG, and a network
# of 8 nodes took 36 s to attach with twice as many.
tb_attach() { # NS N (underlay host number)
	ip netns add "$1"
	# both ends made in their namespaces: the switch's and the node's eth0
	ip link add "v-$1" netns r6-sw type veth peer name eth0 netns "$1"
	ip -n r6-sw link set "v-$1" master br0 up
	if [ "$TB_UNDERLAY" = 6 ]; then
		ip netns exec "$1" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.eth0.accept_ra=0
		tb_addr="$(tb_uaddr "$2")/64 dev eth0 nodad"
	else
		# no IPv6 on the underlay: re6st gives IPv6 to IPv4-only machines
		# one namespace entry (each "ip netns exec" costs a /sys remount)
		ip netns exec "$1" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 net.ipv6.conf.all.forwarding=1
		tb_addr="$(tb_uaddr "$2")/24 dev eth0"
	fi
	printf 'link set lo up\naddr add %s\nlink set eth0 up\n' "$tb_addr" | ip -n "$1" -batch -
}

tb_underlay() { # N
	ip netns add r6-sw
	ip -n r6-sw link set lo up
	ip -n r6-sw link add br0 type bridge
	ip -n r6-sw link set br0 up
	tb_attach r6-reg 1
	i=1
	while [ "$i" -le "$1" ]; do
		tb_attach "r6-n$i" $((10 + i))
		i=$((i + 1))
	done
	TB_NODES=$1
}

tb_drop() { # I J : both directions, in both nodes (an IPv4 or IPv6 underlay)
	for pair in "$1 $2" "$2 $1"; do
		set -- $pair
		ns=r6-n$1 peer=$(tb_uaddr $((10 + $2))) fam=ip
		case $peer in *:*) fam=ip6 ;; esac
		tb_ns "$ns" nft list table inet tbdrop >/dev/null 2>&1 ||
			tb_ns "$ns" nft -f - <<NFT
table inet tbdrop {
	chain input { type filter hook input priority 0; }
	chain output { type filter hook output priority 0; }
}
NFT
		tb_ns "$ns" nft add rule inet tbdrop input $fam saddr "$peer" drop
		tb_ns "$ns" nft add rule inet tbdrop output $fam daddr "$peer" drop
	done
}

tb_undrop() { # I J : every drop of nodes I and J lifted (tb_drop's)
	for i in "$1" "$2"; do
		tb_ns "r6-n$i" nft delete table inet tbdrop 2>/dev/null
	done
	return 0
}

tb_nat() { # I [upnp]
	local i=$1 gw=r6-gw$1 n=r6-n$1
	ip -n "$n" link del eth0
	tb_attach "$gw" $((100 + i))
	ip -n "$gw" link add lan0 type veth peer name eth0 netns "$n"
	ip -n "$gw" addr add "192.168.$i.1/24" dev lan0
	ip -n "$gw" link set lan0 up
	ip -n "$n" addr add "192.168.$i.2/24" dev eth0
	ip netns exec "$n" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
	ip -n "$n" link set eth0 up
	ip -n "$n" route add default via "192.168.$i.1"
	ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1
	# miniupnpd's tables and chains (its nftables backend only fills them)
	ip netns exec "$gw" nft -f - <<NFT || return 1
table inet filter {
	chain forward { type filter hook forward priority 0; policy accept; jump miniupnpd; }
	chain miniupnpd { }
	chain prerouting { type nat hook prerouting priority -100; jump prerouting_miniupnpd; }
	chain postrouting {
		type nat hook postrouting priority 100;
		jump postrouting_miniupnpd
		oifname "eth0" masquerade random
	}
	chain prerouting_miniupnpd { }
	chain postrouting_miniupnpd { }
}
NFT
	mkdir -p "$TB_DIR"
	: >"$TB_DIR/n$i.nat"
	[ "${2:-}" = upnp ] || return 0
	cat >"$TB_DIR/gw$i.conf" <<CONF
ext_ifname=eth0
listening_ip=lan0
http_port=0
enable_natpmp=no
enable_upnp=yes
secure_mode=yes
system_uptime=yes
uuid=3b0d0f2e-6c2a-4b8e-9a55-2f6d2d0b7e0$i
allow 1-65535 192.168.$i.0/24 1-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
	# Not -d: its debug lines go to syslog, which (no syslogd in the test VM)
	# writes them to the console; daemonized it logs notices only. It stays
	# in the namespace, where tb_cleanup kills it.
	ip netns exec "$gw" miniupnpd -f "$TB_DIR/gw$i.conf" -P "$TB_DIR/gw$i.pid" \
		>>"$TB_DIR/gw$i.log" 2>&1
}

tb_registry_start() { # [EXTRA REGISTRY ARGS]
	d=$TB_DIR/registry
	mkdir -p "$d"
	if [ ! -f "$d/ca.crt" ]; then
		tb_ns r6-reg "$REGISTRY" --create-network "$TB_PREFIX" --ca "$d/ca.crt" --key "$d/ca.key" \
			>"$d/create.out" 2>&1 || { cat "$d/create.out"; return 1; }
		TB_FP=$(grep -Eo '[0-9a-f]{32,}' "$d/create.out" | head -n1)
	fi
	if [ "$TB_UNDERLAY" = 6 ]; then set -- -4 '' -6 :: "$@"; else set -- -6 '' "$@"; fi
	ip netns exec r6-reg "$REGISTRY" --port "$TB_REG_PORT" --db "$d/registry.db" \
		--ca "$d/ca.crt" --key "$d/ca.key" --anonymous-prefix-length 16 --anonymous-rate 0 \
		${TB_HELLO:+--hello "$TB_HELLO"} --tunnel-refresh "$TB_REFRESH" --client-count "${TB_CLIENTS:-3}" \
		--max-clients "${TB_MAX_CLIENTS:-8}" -v debug "$@" >>"$d/registry.log" 2>&1 &
	echo $! >"$d/pid"
	if [ "$TB_UNDERLAY" = 6 ]; then TB_REG_URL="http://[$(tb_uaddr 1)]:$TB_REG_PORT/"
	else TB_REG_URL=http://$(tb_uaddr 1):$TB_REG_PORT/; fi
	for _ in $(seq 100); do
		tb_ns r6-reg curl -sf "${TB_REG_URL}getCa" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "testbed: registry did not start"; cat "$d/registry.log"; return 1
}

tb_registry_stop() { # [-9]
	kill ${1:--TERM} "$(cat "$TB_DIR/registry/pid")" 2>/dev/null
	wait "$(cat "$TB_DIR/registry/pid")" 2>/dev/null
	return 0
}

tb_rpc() { # RPC?QUERY  (private RPCs: from the registry's own namespace)
	if [ "$TB_UNDERLAY" = 6 ]; then tb_ns r6-reg curl -sS "http://[::1]:$TB_REG_PORT/$1"
	else tb_ns r6-reg curl -sS "http://127.0.0.1:$TB_REG_PORT/$1"; fi
}

# Registration (re6st-conf) is most of a node's start under TCG: a job per
# node. tb_node_add then starts the daemons.
tb_register() { # I... : 1 if one failed (its output printed)
	tb_pids=""
	for i in "$@"; do
		d=$TB_DIR/n$i
		[ -f "$d/re6stnet.conf" ] && continue
		mkdir -p "$d/state" "$d/run" "$d/log"
		tb_ns "r6-n$i" "$CONF" --registry "$TB_REG_URL" --anonymous -d "$d" \
			${TB_FP:+--fingerprint "$TB_FP"} ${TB_LOCATION:+--location "$TB_LOCATION"} \
			>"$d/conf.out" 2>&1 &
		tb_pids="$tb_pids $!"
	done
	tb_rc=0
	for p in $tb_pids; do wait "$p" || tb_rc=1; done
	for i in "$@"; do
		[ -f "$TB_DIR/n$i/re6stnet.conf" ] || { echo "node $i registration:"; cat "$TB_DIR/n$i/conf.out"; tb_rc=1; }
	done
	return $tb_rc
}

tb_node_add() { # I [EXTRA re6stnet ARGS]
	i=$1; shift
	d=$TB_DIR/n$i
	mkdir -p "$d/state" "$d/run" "$d/log"
	tb_register "$i" || return 1
	# behind NAT (tb_nat): no --ip of ours, the caller says (any, upnp, none)
	[ -f "$TB_DIR/n$i.nat" ] || set -- --ip "$(tb_uaddr $((10 + i)))" "$@"
	# shellcheck disable=SC2086 # TB_NODE_WRAP, TB_NODE_VERBOSE: words
	ip netns exec "r6-n$i" ${TB_NODE_WRAP:-} "$NODE" @"$d/re6stnet.conf" -s "$d/state" -r "$d/run" -l "$d/log" ${TB_NODE_VERBOSE--v 3} \
		"$@" >>"$d/log/stderr" 2>&1 &
	echo $! >"$d/pid"
}

tb_node_stop() { # I [-9]
	pid=$(cat "$TB_DIR/n$1/pid")
	kill ${2:--TERM} "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

tb_node_addr() { # I -> the node's re6st address (from its re6st-conf output)
	sed -n 's/.*subnet[^0-9a-f]*\([0-9a-f:]*\)\/.*/\1/p' "$TB_DIR/n$1/conf.out" | head -n1 | sed 's/::$/::1/'
}

tb_ctl() { # I ARGS...
	i=$1; shift
	tb_ns "r6-n$i" "$CTL" -s "$TB_DIR/n$i/run/re6stnet.sock" "$@"
}

tb_reach() { # I J : does node I reach node J's re6st address?
	tb_ns "r6-n$1" ping -6 -c 1 -W 1 "$(tb_node_addr "$2")" >/dev/null 2>&1
}

# Each source node pings its peers in a job of its own: a ping is a second
# or more under TCG, and a 6-node matrix is 30 of them.
tb_rows() { # ALL|FIRST NODES... -> "I W..." per node I, W = ok, FAIL or - (I itself);
	# FIRST: a row stops at its first FAIL
	tb_mode=$1; shift
	tb_pids=""
	for i in "$@"; do
		for j in "$@"; do
			if [ "$i" = "$j" ]; then printf '%s ' -
			elif tb_reach "$i" "$j"; then printf '%s ' ok
			else printf '%s ' FAIL; [ "$tb_mode" = FIRST ] && break; fi
		done >"$TB_DIR/row.$i" &
		tb_pids="$tb_pids $!"
	done
	wait $tb_pids
	for i in "$@"; do echo "$i $(cat "$TB_DIR/row.$i")"; done
}

tb_wait_mesh() { # SECS [NODES...]
	t=$1; shift
	nodes=${*:-$(seq "$TB_NODES")}
	end=$(($(date +%s) + t))
	while [ "$(date +%s)" -lt "$end" ]; do
		tb_rows FIRST $nodes | grep -q FAIL || return 0
		sleep 2
	done
	return 1
}

tb_ping_matrix() { # [NODES...]
	nodes=${*:-$(seq "$TB_NODES")}
	printf '%8s' ""
	for j in $nodes; do printf '%6s' "n$j"; done
	echo
	tb_rows ALL $nodes | while read -r i row; do
		printf '%8s' "n$i"
		printf '%6s' $row
		echo
	done
}

tb_hmac_failures() { # I: babeld 1.12 signing in a loop for a neighbour whose link is down
	tb_hf=$(grep -c "add_hmac: no link-local" "$TB_DIR/n$1/log/babeld.log" 2>/dev/null)
	echo "${tb_hf:-0}"
}

tb_dump() { # [NODES...] what the nodes saw, for a red run
	nodes=${*:-$(seq "$TB_NODES")}
	for i in $nodes; do
		echo "----- node $i ($(tb_node_addr "$i"))"
		tb_ctl "$i" tunnels 2>&1 | sed 's/^/  /'
		tb_ns "r6-n$i" wg show all 2>&1 | sed 's/^/  wg: /'
		tb_ns "r6-n$i" ip -6 route show 2>&1 | grep -v '^fe80' | sed 's/^/  route: /'
		tail -n 15 "$TB_DIR/n$i/log/re6stnet.log" 2>/dev/null | sed 's/^/  log: /'
		bl=$(wc -l <"$TB_DIR/n$i/log/babeld.log" 2>/dev/null)
		echo "  babeld.log: ${bl:-0} lines, $(tb_hmac_failures "$i") failed signatures"
		# a sanitizer's report, babeld's or the shell's last words
		tail -n 40 "$TB_DIR/n$i/log/stderr" 2>/dev/null | sed 's/^/  stderr: /'
	done
}

tb_cleanup() {
	trap - EXIT
	for ns in $(ip netns list 2>/dev/null | awk '/^r6-/{print $1}'); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	sleep 0.5
	if [ -n "${TB_SAVE:-}" ] && [ -n "${TB_DIR:-}" ]; then
		mkdir -p "$TB_SAVE" && cp -r "$TB_DIR/." "$TB_SAVE/" 2>/dev/null
		echo "testbed: logs saved in $TB_SAVE"
	fi
	for ns in $(ip netns list 2>/dev/null | awk '/^r6-/{print $1}'); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}
