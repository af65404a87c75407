#!/usr/bin/env bash
# Proves the layering lint can fail: on a copy of the tree it must refuse
# an include that points up a layer, an include cycle inside one room,
# and SQLite used outside src/store; and it must pass the tree as it is.
set -u
src=${1:?usage: layers-catch.sh SOURCE_DIR}
lint=$src/cmake/check-layers.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
copy() {
	rm -rf "$tmp/t" && mkdir -p "$tmp/t/src"
	cp -r "$src/crypto" "$src/ledger" "$src/channel" "$tmp/t/"
	cp -r "$src"/src/* "$tmp/t/src/"
}
expect() { # what rc-wanted pattern
	local out rc
	out=$(bash "$lint" "$tmp/t" 2>&1)
	rc=$?
	if [ "$rc" != "$2" ] || ! grep -q -- "$3" <<<"$out"; then
		echo "FAIL: $1 (rc $rc): $out"
		fails=$((fails + 1))
	else
		echo "ok: $1"
	fi
}
copy
expect "the tree as it is passes" 0 ""
echo '#include "src/api/api.h"' >>"$tmp/t/src/store/quantity.h"
expect "an include up a layer" 1 'includes "src/api/api.h", above src/store/'
copy
echo '#include "src/io/uuid.h"' >>"$tmp/t/src/io/clock.h"
echo '#include "src/io/clock.h"' >>"$tmp/t/src/io/uuid.h"
expect "a cycle inside a room" 1 "close a cycle"
copy
echo '#include <sqlite3.h>' >>"$tmp/t/src/api/routes.c"
expect "SQLite outside src/store" 1 "src/api/routes.c uses SQLite"
echo "$((4 - fails)) passed, $fails failed"
[ "$fails" = 0 ]
