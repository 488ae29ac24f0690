#!/bin/bash
# re6stnet as systemd runs it, in the namespaces of test/node/testbed.sh:
# under a stand-in for the notify socket (notify-listen.py, WatchdogSec=2s)
# it says READY=1 once babeld runs (re6stctl answers, babeld ready),
# WATCHDOG=1 every second from its own pid, STOPPING=1 on SIGTERM. SIGHUP
# re-reads re6stnet.conf: a new client count shows in re6stctl status, a
# restart-only setting is named in the log, a broken file changes nothing.
# Needs root (exit 77 otherwise). Usage: test-node-service.sh BUILD_ROOT SOURCE_ROOT
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
export RE6ST_BUILD_ROOT=$1
cd "$2" || exit 1
. test/node/testbed.sh
pass=0 fail=0
check() { # DESCRIPTION CMD...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $d"
		tail -n 5 "$TB_DIR/notify.log" 2>/dev/null | sed 's/^/  notify: /'
		tail -n 15 "$TB_DIR/n1/log/re6stnet.log" 2>/dev/null | sed 's/^/  log: /'
	fi
}
wait_for() { # SECONDS CMD...
	n=$(($1 * 5)); shift
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1
}

tb_init "$(mktemp -d /tmp/re6st-service.XXXXXX)" || exit 1
LOG=$TB_DIR/n1/log/re6stnet.log
tb_underlay 1 || exit 1
tb_registry_start || exit 1
export TB_NODE_WRAP="/usr/bin/python3 $PWD/test/service/notify-listen.py $TB_DIR/notify.log 2000000 --"
tb_node_add 1
check "READY=1 sent" wait_for 20 grep -q ' READY=1$' "$TB_DIR/notify.log"
# READY=1 comes after babeld's interface: everything answers by then.
check "re6stctl answers once ready" tb_ctl 1 status
check "babeld ready once ready" sh -c "$CTL -s $TB_DIR/n1/run/re6stnet.sock status | grep -q 'babeld.ready *yes'"
check "STATUS= names the address" grep -q ' STATUS=2001:db8:42:.* on lo$' "$TB_DIR/notify.log"
NPID=$(cat "$TB_DIR/notify.log.pid")
sleep 3.5
n=$(grep -c " $NPID WATCHDOG=1$" "$TB_DIR/notify.log")
check "WATCHDOG=1 every second from re6stnet (pid $NPID): $n in 3.5 s" test "$n" -ge 3
check "every datagram from re6stnet's pid" sh -c "! grep -v ' $NPID ' '$TB_DIR/notify.log'"

# SIGHUP: a live setting, a restart-only one.
# re6stctl status: policy.client_count
client_count() { tb_ctl 1 --json status | jq '.policy.client_count'; }
count_is() { [ "$(client_count)" = "$1" ]; }
before=$(client_count)
check "client count in re6stctl status ($before)" test -n "$before" -a "$before" != null
cp "$TB_DIR/n1/re6stnet.conf" "$TB_DIR/n1/re6stnet.conf.orig"
printf 'client-count 7\nhello 9\n' >>"$TB_DIR/n1/re6stnet.conf"
kill -HUP "$NPID"
check "client count 7 after SIGHUP (was $before)" wait_for 5 count_is 7
check "log: --client-count applied" grep -q 'reload: --client-count changed: applied' "$LOG"
check "log: --hello needs a restart" grep -q 'warning: reload: --hello changed: needs a restart' "$LOG"
check "one line per setting" test "$(grep -c 'reload: --' "$LOG")" = 2
# A file that no longer parses: nothing changes, the node runs on.
echo 'client-count lots' >>"$TB_DIR/n1/re6stnet.conf"
kill -HUP "$NPID"
check "broken file: said so" wait_for 5 grep -q 'reload: configuration not changed: .*re6stnet.conf:.*client-count' "$LOG"
check "broken file: client count still 7" test "$(client_count)" = 7
check "broken file: still running" kill -0 "$NPID"
# Back to the original: the count comes from the network again.
cp "$TB_DIR/n1/re6stnet.conf.orig" "$TB_DIR/n1/re6stnet.conf"
kill -HUP "$NPID"
check "client count back to $before" wait_for 5 count_is "$before"
check "still READY only once" test "$(grep -c ' READY=1$' "$TB_DIR/notify.log")" = 1

kill -TERM "$(cat "$TB_DIR/n1/pid")"
wait "$(cat "$TB_DIR/n1/pid")"
rc=$?
check "exit status 0 after SIGTERM ($rc)" test "$rc" = 0
check "STOPPING=1 sent" grep -q ' STOPPING=1$' "$TB_DIR/notify.log"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
