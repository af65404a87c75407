#!/usr/bin/env bash
# The layering lint: fails when a module includes a header from a module
# above it in the chain src/util <- crypto <- ledger <- channel <- src, or
# when a network library is included outside the files that own it.
set -u
root=${1:-.}
cd "$root" || exit 2
fail=0

check() { # dir allowed-regex
	local dir=$1 allowed=$2 f line inc
	[ -d "$dir" ] || return 0
	while IFS= read -r f; do
		while IFS= read -r line; do
			inc=${line#*\"}
			inc=${inc%%\"*}
			if ! [[ $inc =~ $allowed ]]; then
				echo "layering: $f includes \"$inc\", which $dir/ may not use" >&2
				fail=1
			fi
		done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
	done < <(find "$dir" -name '*.[ch]' -not -path '*/node_modules/*')
}

check src/util '^src/util/'
check crypto '^(src/util|crypto)/'
check ledger '^(src/util|crypto|ledger)/'
check channel '^(src/util|crypto|ledger|channel)/'

# Only the network layers may include the network libraries.
while IFS= read -r f; do
	case $f in
	ledger/net/* | src/*) ;;
	*) echo "layering: $f includes libwebsockets outside ledger/net and src" >&2; fail=1 ;;
	esac
done < <(grep -rlE '#include[[:space:]]*<libwebsockets\.h>' crypto ledger channel src 2>/dev/null)
while IFS= read -r f; do
	case $f in
	src/*) ;;
	*) echo "layering: $f includes curl outside src" >&2; fail=1 ;;
	esac
done < <(grep -rlE '#include[[:space:]]*<(curl/curl|sqlite3)\.h>' crypto ledger channel 2>/dev/null)

exit $fail
