#!/usr/bin/env bash
# The layering lint, run before any module compiles.  It fails when:
#  - a file includes a header from a layer above its own.  The layers, from
#    the bottom: src/util <- crypto <- ledger (with ledger/net) <- channel
#    <- the daemon's rooms src/store <- src/io <- src/outbox <- src/paychan
#    <- src/api <- src/daemon <- src/cli.  A layer may include its own
#    headers and those of every layer below it;
#  - the includes between files close a cycle (a.c/a.h and b.c/b.h count
#    as the modules a and b; tsort finds the loop);
#  - a library is used outside the rooms that own it: SQLite in src/store
#    only, libcurl in src/io only, libwebsockets in ledger/net, src/io and
#    src/daemon only.
set -u
root=${1:-.}
cd "$root" || exit 2
fail=0

layers=(src/util crypto ledger channel src/store src/io src/outbox
	src/paychan src/api src/daemon src/cli)

# The layer index of a path ("" when it is in none).
layer_of() {
	local p=$1 i best=""
	for i in "${!layers[@]}"; do
		case $p in "${layers[$i]}"/*) best=$i ;; esac
	done
	echo "$best"
}

sources() {
	find "${layers[@]}" -name '*.[ch]' -not -path '*/node_modules/*' \
		2>/dev/null | sort
}

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
while IFS= read -r f; do
	lf=$(layer_of "$f")
	while IFS= read -r inc; do
		li=$(layer_of "$inc")
		if [ -z "$li" ] || [ "$li" -gt "$lf" ]; then
			echo "layering: $f includes \"$inc\", above ${layers[$lf]}/" >&2
			fail=1
		fi
		a=${inc%.*}
		b=${f%.*}
		[ "$a" != "$b" ] && echo "$a $b" >>"$edges"
	done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' "$f")
done < <(sources)

if ! loop=$(tsort "$edges" 2>&1 >/dev/null) || [ -n "$loop" ]; then
	echo "layering: the includes close a cycle:" >&2
	echo "$loop" | sed -E 's/^tsort: [^:]*: /  /; s/^([^ ])/  \1/' >&2
	fail=1
fi

# owner-regex library-regex name
only_in() {
	local owners=$1 lib=$2 name=$3 f
	while IFS= read -r f; do
		[[ $f =~ $owners ]] && continue
		echo "layering: $f uses $name outside ${owners//[\^()]/}" >&2
		fail=1
	done < <(grep -rlE "$lib" crypto ledger channel src 2>/dev/null)
}
only_in '^src/store/' '#include[[:space:]]*<sqlite3\.h>|sqlite3_' SQLite
only_in '^src/io/' '#include[[:space:]]*<curl/curl\.h>' libcurl
only_in '^(ledger/net|src/io|src/daemon)/' \
	'#include[[:space:]]*<libwebsockets\.h>' libwebsockets

exit $fail
