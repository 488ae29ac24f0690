#!/bin/sh
# Every man page is clean for 'mandoc -Tlint' (which also checks that .TH
# carries a parseable date) and has an EXIT STATUS section. Skipped (77)
# without mandoc (scripts/setup installs it).
# Usage: test-man-lint.sh PAGE...
command -v mandoc >/dev/null || { echo "mandoc not installed: skipped"; exit 77; }
fail=0
for page in "$@"; do
	out=$(mandoc -Tlint -Wstyle "$page" 2>&1)
	if [ -n "$out" ]; then
		echo "FAIL: mandoc -Tlint $page:"
		echo "$out"
		fail=1
	fi
	if ! grep -q '^\.SH EXIT STATUS' "$page"; then
		echo "FAIL: $page has no EXIT STATUS section"
		fail=1
	fi
	echo "checked $page"
done
exit $fail
