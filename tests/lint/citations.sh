#!/usr/bin/env bash
# The citations lint: outside docs/, the project may cite only what a clone
# holds.  A tracked file that names a note kept outside the repository
# (the five notes matched by $pattern below, or a path under a shared/
# folder) or an issue number fails it:
# a maintainer cannot follow such a reference.  Cite
# docs/<file>.md#<anchor> instead, or say the thing in the comment.
#
# Not checked: docs/ itself, tests/vectors/ (data copied in as is), the
# fuzz corpora, node_modules, this lint's own files, and the path prefixes
# listed in the allow-list (one per line, '#' starts a comment).
#
# usage: citations.sh SOURCE_DIR [ALLOW_FILE]
# Exit 0 clean, 1 citations found, 77 not a git checkout (skipped).
set -u
src=${1:?usage: citations.sh SOURCE_DIR [ALLOW_FILE]}
allow=${2:-$src/tests/lint/citations.allow}
cd "$src" || exit 2
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "skipped: $src is not a git checkout (the lint reads tracked files)"
	exit 77
fi

# No \b: plain POSIX ERE, whatever regex library git was built with.
b='(^|[^[:alnum:]_-])'
pattern="${b}(peers|xrpl|settlement-api|rippled-subset|style)\.md"
pattern+="|${b}shared/|${b}issues? #?[0-9]"

skip=(':(exclude)docs/' ':(exclude)tests/vectors/'
      ':(exclude)tests/fuzz/corpus/' ':(exclude,glob)**/node_modules/**'
      ':(exclude)tests/lint/citations.sh'
      ':(exclude)tests/lint/citations-catch.sh')
allowed=()
if [ -f "$allow" ]; then
	while IFS= read -r line; do
		line=${line%%#*}
		line=$(echo "$line" | tr -d '[:space:]')
		[ -n "$line" ] && allowed+=("$line")
	done <"$allow"
fi
for p in ${allowed[@]+"${allowed[@]}"}; do
	skip+=(":(exclude)$p")
done

hits=$(git grep -nIiE "$pattern" -- . "${skip[@]}")
rc=$?
if [ "$rc" -gt 1 ]; then
	echo "git grep failed (rc $rc)"
	exit 2
fi

# What the allow-list still holds back, so it can be emptied.
for p in ${allowed[@]+"${allowed[@]}"}; do
	n=$(git grep -cIiE "$pattern" -- "$p" | awk -F: '{s += $NF} END {print s + 0}')
	if [ "$n" = 0 ]; then
		echo "allowed: $p: nothing left that this lint finds (the line can go)"
	else
		echo "allowed (pending): $p: $n"
	fi
done

if [ -n "$hits" ]; then
	echo "$hits" | sed 's/^/outside citation: /'
	echo "cite docs/<file>.md#<anchor>, or say it in the comment"
	exit 1
fi
echo "citations: clean"
