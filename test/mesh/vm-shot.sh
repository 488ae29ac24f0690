#!/bin/bash
# Runs a VM test (the command line given), then draws the registry's status
# page that the VM kept (meson-logs/vm-status-page.html, self-contained: no
# external asset) in the host's headless Chromium and keeps the screenshot
# beside it (meson-logs/vm-status-page.png): under the VM's TCG Chromium's
# GPU process crashes, so the screenshot of the VM network's page is taken
# here. The VM test's status is the result, unless it passed and the
# screenshot could not be made (exit 1).
# Usage: vm-shot.sh RUN-VM [ARGS...]   (RE6ST_BUILD_ROOT set)
logs=${RE6ST_BUILD_ROOT:?}/meson-logs
rm -f "$logs/vm-status-page.html" "$logs/vm-status-page.png"
"$@"
rc=$?
[ "$rc" = 0 ] || exit "$rc"
page=$logs/vm-status-page.html
CHROME=$(command -v chromium || command -v chromium-browser)
if [ ! -s "$page" ] || [ -z "$CHROME" ]; then
	echo "vm-shot: no page kept or no chromium: no screenshot"
	exit 0
fi
dir=$(mktemp -d /tmp/re6st-shot.XXXXXX)
trap 'rm -rf "$dir"' EXIT
timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$dir" --window-size=1000,1500 --screenshot="$logs/vm-status-page.png" \
	"file://$page" >/dev/null 2>"$dir/chromium.log"
if [ -s "$logs/vm-status-page.png" ]; then
	echo "status page of the VM network, screenshot: $logs/vm-status-page.png"
else
	echo "vm-shot: chromium made no screenshot of $page:"
	tail -n 5 "$dir/chromium.log"
	exit 1
fi
