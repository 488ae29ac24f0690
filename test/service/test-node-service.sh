#!/bin/bash
# re6stnet as systemd runs it, in the namespaces of test/node/testbed.sh,
# logging to stderr as the journal's stream (every line with its priority,
# babeld's own lines among them, rate-limited);
# under a stand-in for the notify socket (notify-listen.py, WatchdogSec=2s)
# it says READY=1 once babeld runs (re6stctl answers, babeld ready),
# WATCHDOG=1 every second from its own pid, STOPPING=1 on SIGTERM. SIGHUP
# re-reads re6stnet.conf: a new client count, anchor and neighbour show in
# re6stctl status, --metrics opens and closes the HTTP server, verbose 3
# brings debug lines, a
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
LOG=$TB_DIR/n1/log/stderr
tb_underlay 1 || exit 1
tb_registry_start || exit 1
# As systemd runs it: logging to stderr (-l - overrides the testbed's -l),
# stderr the journal's stream ($JOURNAL_STREAM names the file's dev:ino),
# babeld's debug output (-B -d1) coming through re6stnet's pipe.
mkdir -p "$TB_DIR/n1/log"
: >"$LOG"
JS=$(stat -c %d:%i "$LOG")
export TB_NODE_WRAP="env JOURNAL_STREAM=$JS /usr/bin/python3 $PWD/test/service/notify-listen.py $TB_DIR/notify.log 2000000 --"
# No -v: the log level comes from re6stnet.conf (info by default), so that
# SIGHUP can change it.
TB_NODE_VERBOSE='' tb_node_add 1 -l - -B -d1
check "READY=1 sent" wait_for 20 grep -q ' READY=1$' "$TB_DIR/notify.log"
# READY=1 comes after babeld's interface: everything answers by then.
check "re6stctl answers once ready" tb_ctl 1 help
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
check "log: --hello needs a restart, a warning" grep -q '^<4>reload: --hello changed: needs a restart' "$LOG"
check "one line per setting" test "$(grep -c 'reload: --' "$LOG")" = 2
# --metrics is live too: the HTTP server opens at the new address.
MPORT=$((20000 + $$ % 20000))
echo "metrics 127.0.0.1:$MPORT" >>"$TB_DIR/n1/re6stnet.conf"
kill -HUP "$NPID"
scrape() { tb_ns r6-n1 curl -sf "http://127.0.0.1:$MPORT/metrics" | grep -q '^re6st_'; }
check "GET /metrics served on port $MPORT after SIGHUP" wait_for 5 scrape
check "log: --metrics applied" grep -q 'reload: --metrics changed: applied' "$LOG"
sed -i '/^metrics /d' "$TB_DIR/n1/re6stnet.conf"
kill -HUP "$NPID"
no_scrape() { ! tb_ns r6-n1 curl -sf "http://127.0.0.1:$MPORT/metrics" >/dev/null 2>&1; }
check "no more /metrics once the line is gone" wait_for 5 no_scrape
# --anchor and --neighbour: the tunnel manager's lists, in re6stctl status.
printf 'anchor 2001:db8:42:99::/64\nneighbour 2001:db8:42:98::/64\n' >>"$TB_DIR/n1/re6stnet.conf"
kill -HUP "$NPID"
lists() { tb_ctl 1 --json status | jq -c '[.policy.anchors, .policy.neighbours]'; }
lists_are() { [ "$(lists)" = "$1" ]; }
check "anchor and neighbour in status after SIGHUP ($(lists))" \
	wait_for 5 lists_are '[["2001:db8:42:99::/64"],["2001:db8:42:98::/64"]]'
check "log: --anchor, --neighbour applied" sh -c "grep -q 'reload: --anchor changed: applied' '$LOG' &&
	grep -q 'reload: --neighbour changed: applied' '$LOG'"
sed -i -e '/^anchor /d' -e '/^neighbour /d' "$TB_DIR/n1/re6stnet.conf"
kill -HUP "$NPID"
check "lists empty again once the lines are gone ($(lists))" wait_for 5 lists_are '[[],[]]'
# --verbose: debug lines (<7>) only once re6stnet.conf asks for them.
check "no debug line at the default level" sh -c "! grep -q '^<7>' '$LOG'"
echo 'verbose 3' >>"$TB_DIR/n1/re6stnet.conf"
kill -HUP "$NPID"
check "log: --verbose applied" wait_for 5 grep -q 'reload: --verbose changed: applied' "$LOG"
check "debug lines once verbose 3 is read" wait_for 5 grep -q '^<7>' "$LOG"
sed -i '/^verbose /d' "$TB_DIR/n1/re6stnet.conf"
kill -HUP "$NPID"
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

# Every line with its journal priority; babeld's own lines among them
# (babeld's "Warning: ..." and perror() lines at 4), at most 20 per 10 s
# (the count of dropped ones: test babel-output).
check "every log line has a priority ($(grep -vc '^<[0-7]>' "$LOG") without)" \
	sh -c "! grep -v '^<[0-7]>' '$LOG'"
check "re6stnet's own lines: <6>re6stnet ... starting" grep -q '^<6>re6stnet .* starting' "$LOG"
# babeld's lines (not re6stnet's own lines about babeld)
blines=$(grep -E '^<[46]>babeld: ' "$LOG" | grep -vcE 'babeld: (no saved sequence|connected again|[0-9]+ lines not logged)')
check "babeld's own output logged ($blines lines)" test "$blines" -gt 0
check "babeld's warnings at priority 4" grep -q '^<4>babeld: Warning: ' "$LOG"
secs=$(awk '{ t = $1 } END { printf "%d", t }' "$TB_DIR/notify.log")
check "babeld's lines limited: $blines in ${secs} s, at most 20 per 10 s" \
	test "$blines" -le $((20 * (secs / 10 + 2)))
kill -TERM "$(cat "$TB_DIR/n1/pid")"
wait "$(cat "$TB_DIR/n1/pid")"
rc=$?
check "exit status 0 after SIGTERM ($rc)" test "$rc" = 0
check "STOPPING=1 sent" grep -q ' STOPPING=1$' "$TB_DIR/notify.log"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
