#!/usr/bin/env bash
# The format lint: every C file of the project matches .clang-format.
set -u
cd "${1:-.}" || exit 2
command -v clang-format >/dev/null || { echo "clang-format not installed"; exit 2; }
files=$(find src crypto ledger channel tests -name '*.[ch]' -not -path '*/node_modules/*' | sort)
out=$(echo "$files" | xargs clang-format --dry-run -Werror 2>&1)
if [ -n "$out" ]; then
	echo "$out" | grep -E '^[^ ].*(warning|error):' | cut -d: -f1 | sort -u | sed 's/^/not formatted: /'
	echo "run: clang-format -i <file>"
	exit 1
fi
echo "format: $(echo "$files" | wc -l) files clean"
