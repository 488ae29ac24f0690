#!/bin/bash
# Runs a VM test (the command line given), then draws the registry's status
# page that the VM kept (meson-logs/vm-status-page.html, as the registry of
# the VM network served it: no script, no external asset) in the host's
# headless Chromium: the DOM Chromium built must hold every node the VM test
# wrote in meson-logs/vm-status-page.nodes and every tunnel the page lists,
# and the screenshot is kept beside it (meson-logs/vm-status-page.png).
# Chromium runs here, not in the VM: under TCG it took two minutes, and its
# GPU process crashes there. The VM test's status is the result, unless it
# passed and the page was not drawn in full (exit 1).
# Usage: vm-shot.sh RUN-VM [ARGS...]   (RE6ST_BUILD_ROOT set)
logs=${RE6ST_BUILD_ROOT:?}/meson-logs
page=$logs/vm-status-page.html
rm -f "$page" "$logs/vm-status-page.png" "$logs/vm-status-page.nodes"
"$@"
rc=$?
[ "$rc" = 0 ] || exit "$rc"
CHROME=$(command -v chromium || command -v chromium-browser)
if [ ! -s "$page" ] || [ -z "$CHROME" ]; then
	echo "vm-shot: no page kept or no chromium: the page is not drawn"
	exit 0
fi
dir=$(mktemp -d /tmp/re6st-shot.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chrome() {
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run \
		--user-data-dir="$dir/profile" --window-size=1000,1500 "$@" "file://$page" \
		2>>"$dir/chromium.log"
}
t0=$(date +%s)
chrome --dump-dom >"$dir/dom"
want=$(cat "$logs/vm-status-page.nodes" 2>/dev/null)
nodes=$(grep -o '<g class="node"' "$dir/dom" | wc -l)
lines=$(grep -o '<line class="tunnel"' "$dir/dom" | wc -l)
listed=$(sed -n 's/.*<h2>Tunnels (\([0-9]*\))<\/h2>.*/\1/p' "$dir/dom")
if [ "$nodes" = "${want:-x}" ] && [ "$lines" = "${listed:-x}" ] && [ "$lines" -gt 0 ]; then
	echo "ok: status page of the VM network in Chromium ($(($(date +%s) - t0)) s): $nodes nodes, all $lines tunnels drawn"
else
	echo "FAILED: status page of the VM network in Chromium: $nodes of ${want:-?} nodes, $lines of ${listed:-?} tunnels drawn"
	tail -n 5 "$dir/chromium.log"
	exit 1
fi
chrome --screenshot="$logs/vm-status-page.png" >/dev/null
if [ -s "$logs/vm-status-page.png" ]; then
	echo "status page of the VM network, screenshot: $logs/vm-status-page.png"
else
	echo "vm-shot: chromium made no screenshot of $page:"
	tail -n 5 "$dir/chromium.log"
	exit 1
fi
