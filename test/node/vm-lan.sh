#!/bin/bash
# vm-lan.sh - a LAN of re6st nodes cut off from the rest (needs WireGuard:
# run it in the test VM). Eight nodes on the underlay switch; nodes 1-4 also
# share a second segment (bridge br1 in r6-sw, interface lan0 in each node,
# link-local only) given to re6stnet with -i lan0.
#
#   mesh      all 8 reach each other; no tunnel between two LAN nodes (babel
#             hears them directly: never tunnel peers)
#   revoke    LAN nodes 2-4 cut from the underlay (nftables drops everything
#             on eth0), node 8 revoked, node 1 gets the new configuration
#             from the registry, then node 1 is cut too: the configuration
#             reaches 2-4 over the LAN alone (LAN gossip)
#   lan       the four LAN nodes reach each other over lan0 (routes via lan0)
#   restart   LAN node 3 restarted (no registry reachable): it runs from its
#             cache (configuration, HMAC key) and rejoins the other three
#   intruder  a plain babeld without key on the LAN announcing a default
#             route, a prefix of the network nobody holds and node 5's
#             prefix (which the cut LAN lost): no LAN node installs any of
#             them nor any route through the intruder, while the intruder,
#             which checks nothing, learns the LAN nodes' routes
set -u
here=$(cd "$(dirname "$0")" && pwd)
N=8
LAN="1 2 3 4"
TB_CLIENTS=${TB_CLIENTS:-3}
. "$here/testbed.sh"
. "$here/checks.sh"
{ # parsed whole before it runs: safe against edits of this file mid-run
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
tb_init
ip link add r6-probe$$ type wireguard 2>/dev/null && ip link del r6-probe$$ ||
	{ echo "SKIP: no WireGuard in this kernel"; exit 77; }
T0=$(date +%s)
elapsed() { echo $(($(date +%s) - $1)); }

# What a LAN node saw: its babel neighbours and routes (ko adds tb_dump).
lan_dump() { # NODES...
	local i
	for i in "$@"; do
		echo "----- node $i babel (re6stctl routes)"
		ctl "$i" routes 2>&1 | sed 's/^/  /'
		nsx "r6-n$i" ip -6 route show dev lan0 2>&1 | grep -v '^fe80' | sed 's/^/  lan0 route: /'
		sort "$TB_DIR/n$i/log/babeld.log" 2>/dev/null | uniq -c | sort -rn | head -n 6 | sed 's/^/  babeld.log: /'
	done
}
lan_check() { # MSG -- CMD...
	local msg=$1
	shift 2
	if "$@"; then ok "$msg"; else ko "$msg" $LAN; lan_dump $LAN; fi
}

# Cut a node from the underlay: the switch (other nodes, registry) is gone.
cut() { # I
	nsx "r6-n$1" nft -f - <<NFT
table inet lancut {
	chain input { type filter hook input priority -10; iifname "eth0" drop; }
	chain output { type filter hook output priority -10; oifname "eth0" drop; }
}
NFT
}

# ---------------------------------------------------------------- mesh
tb_log "===== mesh: $N nodes, nodes $LAN also on one LAN segment (-i lan0)"
tb_underlay "$N"
ip -n r6-sw link add br1 type bridge
ip -n r6-sw link set br1 up
for i in $LAN; do
	ip link add "l-n$i" type veth peer name lan0 netns "r6-n$i"
	ip link set "l-n$i" netns r6-sw
	ip -n r6-sw link set "l-n$i" master br1 up
	nsx "r6-n$i" sysctl -qw net.ipv6.conf.lan0.disable_ipv6=0 net.ipv6.conf.lan0.accept_dad=0
	ip -n "r6-n$i" link set lan0 up
done
tb_registry_start || exit 1
ts=$(date +%s)
tb_register $(seq "$N") || { ko "registration"; exit 1; }
for x in $(seq "$N"); do
	case " $LAN " in *" $x "*) set -- -i lan0 ;; *) set -- ;; esac
	tb_node_add "$x" "$@" || { ko "node $x registration"; exit 1; }
done
nodes_index
tb_log "registry and $N nodes started (registrations took $(elapsed "$ts") s)"
ts=$(date +%s)
# 240 s: it runs beside other networks (test/vm/together): 104 s seen
if wait_mesh 240 $(seq "$N"); then
	ok "mesh: all $N nodes reach each other $(elapsed "$ts") s after the last start"
else
	ko "mesh: not converged within 240 s"
	show_fails $(seq "$N")
	lan_dump $LAN
fi
# Every LAN node a two-way babel neighbour of the three others on lan0
# (babeld 1.12 with HMAC forgot LAN neighbours whose hellos came slower
# than the tunnels': docs/daemon.md, "babeld").
lan_neighbours() { # I -> its two-way babel neighbours on lan0
	ctl "$1" --json routes 2>/dev/null |
		jq '[.neighbours[] | select(.interface == "lan0" and .cost < 65535)] | length'
}
lan_heard() {
	local i
	for i in $LAN; do printf ' n%s:%s' "$i" "$(lan_neighbours "$i")"; done
}
ts=$(date +%s)
while heard=$(lan_heard) && [ "$(echo "$heard" | grep -o ':3' | wc -l)" != 4 ] &&
	[ "$(elapsed "$ts")" -lt 30 ]; do sleep 2; done
lan_check "mesh: every LAN node has the 3 others as two-way babel neighbours on lan0 (found:$heard)" -- \
	[ "$(echo "$heard" | grep -o ':3' | wc -l)" = 4 ]
# Nodes started together may open a tunnel before babel hears the other on
# the LAN (a bootstrap peer): such a tunnel is drained once it does.
lan_tunnels() {
	local i j
	for i in $LAN; do
		for j in $LAN; do
			[ "$i" = "$j" ] && continue
			[ -n "$(tunnels_to "$i" "$(node_prefix "$j")")" ] && printf ' %s' "$i>$j"
		done
	done
}
ts=$(date +%s)
while lantun=$(lan_tunnels) && [ -n "$lantun" ] && [ "$(elapsed "$ts")" -lt 90 ]; do sleep 2; done
drained=$(cat "$TB_DIR"/n[1-4]/log/re6stnet.log | grep -c 'a direct LAN neighbour')
tb_log "client tunnels drained as direct LAN neighbours: $drained"
lan_check "mesh: no tunnel between two LAN nodes${lantun:+ (found:$lantun)}" -- [ -z "$lantun" ]

# ---------------------------------------------------------------- revoke
R=8
echo "===== revoke: LAN nodes 2-4 cut, node $R revoked, node 1 cut after it got it"
for i in 2 3 4; do cut "$i" || { ko "nftables cut of node $i"; exit 1; }; done
v0=$(netconf_version 1)
rp=$(node_prefix "$R")
t_rev=$(date +%s.%N) ts=$(date +%s)
code=$(nsx r6-reg curl -sS -o "$TB_DIR/revoke.out" -w '%{http_code}' \
	"http://127.0.0.1:$TB_REG_PORT/revoke?cn_or_serial=$rp" 2>&1)
check "revoke: registry answered HTTP $code" "" -- [ "$code" = 204 ]
kill -HUP "$(cat "$TB_DIR/n1/pid")"
for _ in $(seq 60); do
	[ "$(netconf_version 1)" != "$v0" ] && break
	sleep 0.5
done
v1=$(netconf_version 1)
cut 1 || { ko "nftables cut of node 1"; exit 1; }
tb_log "node 1 has configuration $v1 (was $v0), cut $(elapsed "$ts") s after the revoke"
check "revoke: node 1 got configuration $v1 from the registry" 1 -- [ "$v1" != "$v0" ]
behind=""
while :; do
	behind=""
	for i in 2 3 4; do [ "$(netconf_version "$i")" = "$v1" ] || behind="$behind $i"; done
	[ -z "$behind" ] && break
	[ "$(elapsed "$ts")" -lt 60 ] || break
	sleep 1
done
delays=""
for i in 2 3 4; do
	delays="$delays n$i:$(log_delay "$i" "network configuration version $v1" "$t_rev")s"
done
tb_log "configuration $v1 reached the cut LAN nodes after:$delays"
lan_check "revoke: configuration $v1 reached LAN nodes 2-4 over the LAN${behind:+ (not:$behind)}" -- [ -z "$behind" ]

# ---------------------------------------------------------------- lan
echo "===== lan: the four LAN nodes, cut from the underlay, over lan0"
ts=$(date +%s)
if wait_mesh 90 $LAN; then
	ok "lan: the LAN nodes reach each other $(elapsed "$ts") s after the cut"
else
	ko "lan: the LAN nodes do not reach each other within 90 s of the cut" $LAN
	show_fails $LAN
	lan_dump $LAN
fi
# (babel may still be moving routes off the dead tunnels: up to 20 s)
not_lan() {
	local i j
	for i in $LAN; do
		for j in $LAN; do
			[ "$i" = "$j" ] && continue
			nsx "r6-n$i" ip -6 route get "$(node_addr "$j")" 2>/dev/null | grep -q ' dev lan0 ' ||
				printf ' %s' "$i>$j"
		done
	done
}
ts=$(date +%s)
while notlan=$(not_lan) && [ -n "$notlan" ] && [ "$(elapsed "$ts")" -lt 20 ]; do sleep 2; done
lan_check "lan: every LAN node routes to the others over lan0${notlan:+ (not:$notlan)}" -- [ -z "$notlan" ]

# ---------------------------------------------------------------- restart
echo "===== restart: LAN node 3 restarted, no registry reachable"
tb_node_stop 3
ts=$(date +%s)
tb_node_add 3 -i lan0
for _ in $(seq 60); do ctl 3 help >/dev/null 2>&1 && break; sleep 1; done
check "restart: node 3 runs from its cached configuration" 3 -- \
	grep -q 'using the cached network configuration' "$TB_DIR/n3/log/re6stnet.log"
check "restart: node 3 signs with the cached HMAC key" 3 -- \
	grep -q "^key id sign" "$TB_DIR/n3/state/babeld.keys"
check "restart: node 3 restarted with configuration $v1" 3 -- [ "$(netconf_version 3)" = "$v1" ]
if wait_mesh 90 $LAN; then
	ok "restart: node 3 rejoined the LAN, all four reach each other $(elapsed "$ts") s after its restart"
else
	ko "restart: node 3 did not rejoin within 90 s" $LAN
	show_fails $LAN
	lan_dump $LAN
fi

# ---------------------------------------------------------------- intruder
echo "===== intruder: a babeld without key on the LAN"
FAKE=2001:db8:42:ff00::/56
P5=$(node_prefix 5)
ip netns add r6-intr
ip -n r6-intr link set lo up
ip link add l-intr type veth peer name lan0 netns r6-intr
ip link set l-intr netns r6-sw
ip -n r6-sw link set l-intr master br1 up
nsx r6-intr sysctl -qw net.ipv6.conf.lan0.accept_dad=0 net.ipv6.conf.all.forwarding=1
ip -n r6-intr link set lan0 up
ip -n r6-intr link add dummy0 type dummy
ip -n r6-intr link set dummy0 up
for p in "$FAKE" "$P5" default; do
	ip -n r6-intr -6 route add "$p" dev dummy0 proto static || ko "intruder route $p"
done
intr_ll=$(ip -n r6-intr -6 -o addr show dev lan0 scope link | awk '{ sub("/.*", "", $4); print $4 }')
d=$TB_DIR/intruder
mkdir -p "$d"
# babel's routes, prefix and interface (the next hop among LAN neighbours
# may move; not the unreachable ones babel leaves a while for retracted
# prefixes, which expire on their own)
before=""
for i in $LAN; do
	before="$before$(nsx "r6-n$i" ip -6 route show proto babel | grep -v -e '^fe80' -e '^unreachable' | awk -v i="$i" '{ for (k = 2; k < NF; k++) if ($k == "dev") d = $(k + 1); print i, $1, d }' | sort)
"
done
nsx r6-intr babeld -I "$d/pid" -S "$d/state" -L "$d/log" -h 1 \
	-C "local-path \"$d/sock\"" -C 'random-id true' -C "redistribute ip $FAKE allow" -C "redistribute ip $P5 allow" \
	-C 'redistribute ip ::/0 eq 0 allow' -C 'redistribute deny' lan0 </dev/null &
ts=$(date +%s)
sleep 20 # the intruder's updates are sent every few hellos (1 s)
# It speaks babel on the LAN: it hears the nodes' hellos (it checks nothing;
# they answer it nothing, so it has no usable route from them).
/usr/bin/python3 - "$d/sock" >"$d/dump" 2>&1 <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
def until_ok(buf=b""):
    while not buf.endswith(b"\nok\n"):
        b = s.recv(65536)
        if not b:
            break
        buf += b
    return buf
# babeld's greeting ends with "ok" too: read it before asking, or a dump
# answered in a later read is cut off after the greeting.
until_ok()
s.sendall(b"dump\n")
sys.stdout.write(until_ok().decode())
PY
heard=$(grep -c '^add neighbour .* if lan0 ' "$d/dump")
tb_log "intruder ($intr_ll): hears $heard LAN nodes; sent $(ip -n r6-intr -s -j link show lan0 | jq '.[0].stats64.tx.packets') packets"
check "intruder: its babeld runs, sends and hears the LAN nodes ($heard neighbours)" "" -- [ "$heard" -ge 4 ]
[ "$heard" -ge 4 ] || sed 's/^/  intruder dump: /' "$d/dump"
bad=""
for i in $LAN; do
	r=$(nsx "r6-n$i" ip -6 route show | grep -E "^($FAKE|$P5|default) |via $intr_ll " | tr '\n' ';')
	[ -n "$r" ] && bad="$bad n$i: $r"
	ctl "$i" --json routes | jq -e --arg v "$intr_ll" '[.neighbours[] | select(.address == $v)] | length == 0' >/dev/null ||
		bad="$bad n$i: babel neighbour $intr_ll"
done
lan_check "intruder: no LAN node installs its routes or takes it as a neighbour${bad:+ (found:$bad)}" -- [ -z "$bad" ]
after=""
for i in $LAN; do
	after="$after$(nsx "r6-n$i" ip -6 route show proto babel | grep -v -e '^fe80' -e '^unreachable' | awk -v i="$i" '{ for (k = 2; k < NF; k++) if ($k == "dev") d = $(k + 1); print i, $1, d }' | sort)
"
done
# (no process substitution: the VM has no /dev/fd)
printf '%s' "$before" >"$TB_DIR/routes.before"
printf '%s' "$after" >"$TB_DIR/routes.after"
changed=$(diff "$TB_DIR/routes.before" "$TB_DIR/routes.after")
lan_check "intruder: the LAN nodes' babel routes are unchanged${changed:+ (diff: $(echo "$changed" | tr '\n' ';'))}" -- [ -z "$changed" ]
if wait_mesh 30 $LAN; then ok "intruder: the LAN nodes still reach each other"
else ko "intruder: the LAN nodes no longer reach each other" $LAN; show_fails $LAN; fi
kill "$(cat "$d/pid")" 2>/dev/null

for i in $(seq "$N"); do
	printf 'babeld.log of node %s: %s lines; most frequent: %s\n' "$i" "$(wc -l <"$TB_DIR/n$i/log/babeld.log")" \
		"$(sort "$TB_DIR/n$i/log/babeld.log" | uniq -c | sort -rn | head -n 1)"
done
echo "===== total $(elapsed "$T0") s"
tc_summary
}
