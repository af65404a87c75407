#!/usr/bin/env bash
# Proves the citations lint can fail: in a scratch git repository it must
# refuse each kind of outside citation in a tracked file, and let through
# docs/, tests/vectors/, allow-listed prefixes, untracked files and the ids
# it does not look for.
set -u
src=${1:?usage: citations-catch.sh SOURCE_DIR}
lint=$src/tests/lint/citations.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v git >/dev/null || { echo "git not installed"; exit 77; }
fails=0
n=0
fresh() {
	rm -rf "$tmp/t" && mkdir -p "$tmp/t/src" "$tmp/t/docs" "$tmp/t/tests/lint"
	(cd "$tmp/t" && git init -q .)
	printf '/* See docs/risks.md#log-floods. */\n' >"$tmp/t/src/a.c"
	printf '# pending\nsrc/old/\n' >"$tmp/t/tests/lint/citations.allow"
	(cd "$tmp/t" && git add -A)
}
add() { # path text: a tracked file holding text
	mkdir -p "$(dirname "$tmp/t/$1")"
	printf '%s\n' "$2" >"$tmp/t/$1"
	(cd "$tmp/t" && git add -- "$1")
}
expect() { # what rc-wanted pattern
	local out rc
	out=$(bash "$lint" "$tmp/t" 2>&1)
	rc=$?
	n=$((n + 1))
	if [ "$rc" != "$2" ] || ! grep -q -- "$3" <<<"$out"; then
		echo "FAIL: $1 (rc $rc): $out"
		fails=$((fails + 1))
	else
		echo "ok: $1"
	fi
}
# The planted citations are put together from parts, so that this file
# does not itself name the notes it plants.
md=.md
peers=peers$md xrpl=xrpl$md sapi=settlement-api$md rsub=rippled-subset$md
shared=shared/"docs" iss=issue
fresh
expect "a clean tree passes" 0 "clean"
add src/b.c "/* as $peers R7 says */"
expect "a note's name in C" 1 "src/b.c:1:"
fresh
add testnet/x.js "// see ../../$shared/anything"
expect "a path under shared/" 1 "testnet/x.js:1:"
fresh
add tests/t.mjs '// the channel logic (Issue 7) pays later'
expect "an issue number, any case" 1 "tests/t.mjs:1:"
fresh
add cmake/W.cmake '# Warning flags (docs/style.md 13)'
expect "style.md in cmake" 1 "cmake/W.cmake:1:"
fresh
add README.md "Behaviour follows $sapi and $rsub"
expect "a note's name in the README" 1 "README.md:1:"
fresh
add docs/api.md "Background: $peers, $iss 7, /$shared"
add tests/vectors/data/README.md "Rules in ../docs/$xrpl"
add tests/fuzz/corpus/x/seed "$iss 3"
add testnet/node_modules/p/index.js "// $iss 9"
expect "docs/, vectors, corpora and node_modules are not checked" 0 "clean"
add src/old/x.c "/* $iss 7 */"
expect "an allow-listed prefix is not checked, but counted" 0 "src/old/: 1"
printf '/* %s */\n' "$peers" >"$tmp/t/src/untracked.c"
expect "an untracked file is not checked" 0 "clean"
add src/c.c 'R00 F02 E1 0xE1 f40 R19 tissue 5 mystyle.md libshared/x'
expect "ILP codes, hex, ids and look-alikes pass" 0 "clean"
echo "$((n - fails)) passed, $fails failed"
[ "$fails" = 0 ]
