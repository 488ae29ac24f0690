#!/bin/bash
# memsplit.sh PID [LABEL] - where a process's resident memory is, from
# /proc/PID/status, smaps_rollup and smaps (docs/daemon.md, "Memory"):
#
#   figure: LABEL VmRSS / VmHWM             all resident pages, shared ones too
#   figure: LABEL RssAnon / RssFile / RssShmem
#   figure: LABEL Pss / private (USS)       USS = Private_Clean + Private_Dirty
#   then one line per group of mappings (indented): Rss and private dirty (kB):
#   [heap], [stack], other anonymous memory, the program, libcurl and the
#   libraries only it pulls in, and each other library.
#
# RssAnon is what the process itself costs: heap, stacks, and the pages of
# libraries it wrote (relocations, .data). RssFile counts library text that
# every process using the library shares, and how much of it shows depends
# on the page cache (fault-around maps what happens to be cached): it is
# larger on a busy host than in a fresh VM for the same binary.
set -u
pid=$1 label=${2:-}
[ -r "/proc/$pid/smaps" ] || { echo "memsplit: no process $pid" >&2; exit 1; }
kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }
rk() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/smaps_rollup"; }
figure() { printf 'figure: %-40s %s\n' "$1" "$2"; }

# Libraries that only libcurl brings: libcurl's dependencies minus those
# of every other library mapped outside that set (ldd only). In the test VM
# every file read goes over 9p and may crawl: bounded, and without it each
# library gets its own line.
if [ "${MEMSPLIT_CURL_ONLY:-}" = 1 ]; then
	# few processes: each one costs under TCG (one ldd, one readlink per set)
	curl=$(awk '$6 ~ /\/libcurl[^\/]*\.so/ { print $6; exit }' "/proc/$pid/maps")
	[ -n "$curl" ] || exit 0
	deps() { ldd "$@" 2>/dev/null |
		awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { sub(/:$/, "", $1); print $1 }' |
		sort -u | xargs -r readlink -f | sort -u; }
	closure=$({ readlink -f "$curl"; deps "$curl"; } | sort -u)
	mapped=$(awk '$6 ~ /\.so/ { print $6 }' "/proc/$pid/maps" | sort -u | xargs -r readlink -f | sort -u)
	direct=$({ echo "$closure" | sed 's/^/C /'; echo "$mapped" | sed 's/^/M /'; } |
		awk '$1 == "C" { c[$2] = 1 } $1 == "M" && !($2 in c) { print $2 }')
	others=$({ echo "$direct"; [ -z "$direct" ] || deps $direct; } | sort -u)
	# (no process substitution: the test VM has no /dev/fd)
	{ echo "$others" | sed 's/^/O /'; echo "$closure" | sed 's/^/C /'; } |
		awk '$1 == "O" { o[$2] = 1 } $1 == "C" && !($2 in o) { print $2 }'
	exit 0
fi
figure "${label}VmRSS / VmHWM" "$(kb VmRSS) kB / $(kb VmHWM) kB"
figure "${label}RssAnon / RssFile / RssShmem" "$(kb RssAnon) kB / $(kb RssFile) kB / $(kb RssShmem) kB"
figure "${label}Pss / private (USS)" "$(rk Pss) kB / $(($(rk Private_Clean) + $(rk Private_Dirty))) kB"
exe=$(readlink "/proc/$pid/exe" | sed "s/ (deleted)$//")
curl_only=$(MEMSPLIT_CURL_ONLY=1 timeout "${MEMSPLIT_TIMEOUT:-30}" "$0" "$pid" 2>/dev/null) ||
	echo "  (libcurl's libraries not told apart: ldd too slow here)"
awk -v curl_only="$curl_only" -v exe="$exe" '
	BEGIN { n = split(curl_only, c, "\n"); for (i = 1; i <= n; i++) if (c[i] != "") cur[c[i]] = 1 }
	/^[0-9a-f]+-[0-9a-f]+ / {
		f = $6
		if (f == "") g = "other anonymous (libraries bss, mmap)"
		else if (f ~ /^\[/) g = f
		else if (f == exe) g = "the program"
		else if (f in cur) g = "libcurl + the " (n - 1) " libraries only it loads"
		else if (f ~ /\.so/) { m = split(f, p, "/"); g = p[m] }
		else { m = split(f, p, "/"); g = "file " p[m] }
		next
	}
	/^Rss:/ { rss[g] += $2 }
	/^Private_Dirty:/ { pd[g] += $2 }
	END { for (k in rss) if (rss[k]) printf "%d %d %s\n", rss[k], pd[k], k }
' "/proc/$pid/smaps" | sort -rn |
	awk '{ g = $0; sub(/^[0-9]+ [0-9]+ /, "", g)
		printf "  %-46s Rss %6d kB, private dirty %5d kB\n", g, $1, $2 }'
