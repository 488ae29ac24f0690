#!/bin/bash
# Bash completion (packaging/bash-completion/) against the programs just
# built: for each of the four, completing "-" gives exactly the options its
# --help lists (parsed here independently: long name, else short one);
# every option the file's cases name is one of them; re6stctl completes the
# commands its --help lists; a few values complete as they should; meson
# installs the four files to share/bash-completion/completions.
# Usage: test-completion.sh BUILD_ROOT SOURCE_ROOT
B=$1 S=$2
[ -r /usr/share/bash-completion/bash_completion ] ||
	{ echo "SKIP: no bash-completion (scripts/setup installs it)"; exit 77; }
. /usr/share/bash-completion/bash_completion
PATH=$B/daemon:$B/ctl:$B/registry-server:$B/registry-client:$PATH
pass=0 fail=0
check() { # DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then pass=$((pass + 1)); else
		fail=$((fail + 1)); echo "FAIL: $1"
		diff <(printf '%s\n' "$3") <(printf '%s\n' "$2") | sed 's/^/  (< want, > got) /'
	fi
}
comp() { # WORDS... -> the completions, sorted, one per line
	COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
	local f
	f=$(complete -p "$1" | sed 's/.*-F \([^ ]*\) .*/\1/')
	COMPREPLY=()
	"$f" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	printf '%s\n' "${COMPREPLY[@]}" | sort -u | sed '/^$/d'
}
help_options() { # PROGRAM
	"$1" --help | /usr/bin/python3 -c '
import re, sys
for line in sys.stdin:
    m = re.match(r"^( {2,8})(-\w)?(?:, )?(--[\w-]+)?", line)
    if m and (m.group(2) or m.group(3)):
        print(m.group(3) or m.group(2))' | sort -u
}
# Options named in the cases: pattern lines ("-x | --name)" and their
# continuations), not the commands' own arguments (_filedir -d).
case_options() { # FILE
	grep -E '^\s+-[-A-Za-z0-9 |\\]*(\)|\\)$' "$1" | grep -oE -- '--?[A-Za-z0-9][a-z0-9-]*' | sort -u
}

for p in re6stnet re6st-registry re6st-conf re6stctl; do
	f=$S/packaging/bash-completion/$p
	# shellcheck source=/dev/null
	. "$f"
	want=$(help_options "$p")
	check "$p: options to complete listed by --help ($(echo "$want" | wc -l))" \
		"$(comp "$p" -)" "$want"
	shorts=$("$p" --help | grep -oE '^ {2}-[A-Za-z0-9]' | tr -d ' ' | sort -u)
	for o in $(case_options "$f"); do
		printf '%s\n' "$want" "$shorts" | grep -qx -- "$o"
		check "$p: the completion's option $o is in --help" "$?" 0
	done
done
check "re6stctl: commands from --help" "$(comp re6stctl '')" \
	"$(re6stctl --help | sed -n '/commands/,/^$/p' | grep -oE '^  [a-z][a-z0-9-]*' | tr -d ' ' | sort -u)"
check "re6stctl: command after options" "$(comp re6stctl -s /run/x.sock --json st)" "status"
check "re6stctl: no command after the command" "$(comp re6stctl status '')" ""
check "re6stctl ping -" "$(comp re6stctl ping -)" "$(printf -- '--count\n--interval\n--timeout')"
check "re6stctl monitor classes" "$(comp re6stctl monitor route '')" \
	"$(printf 'neighbour\nrevocation\nroute\ntunnel')"
check "re6stctl monitor --count N" "$(comp re6stctl monitor --count '')" ""
check "re6stnet --tunnel-type" "$(comp re6stnet --tunnel-type '')" "$(printf 'fou\ngre\nwireguard')"
check "re6stnet -v" "$(comp re6stnet -v '')" "$(printf '0\n1\n2\n3\n4')"
check "re6st-registry --verbose w" "$(comp re6st-registry --verbose w)" "warning"
check "re6st-conf --d" "$(comp re6st-conf --d)" "--dir"
T=$(mktemp -d)
touch "$T/re6stnet.conf"
check "re6stnet @FILE" "$(comp re6stnet "@$T/re6")" "@$T/re6stnet.conf"
rm -rf "$T"

installed=$(meson introspect --installed "$B" 2>/dev/null)
for p in re6stnet re6st-registry re6st-conf re6stctl; do
	echo "$installed" | grep -q "share/bash-completion/completions/$p\""
	check "meson installs share/bash-completion/completions/$p" "$?" 0
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
