#!/usr/bin/env bash
# ctest wrapper of scripts/demo: runs it with the given arguments in a fresh
# directory, then also fails when an engine log holds a sanitizer report or
# a **BROKEN** line (a bug the engine noticed in itself).  The directory is
# removed on success and kept (path printed) on failure.
# usage: tests/e2e_demo/run.sh DEMO-ARGS...
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/xrpse-e2e-demo.XXXXXX")
"$root/scripts/demo" --no-install --dir "$dir" "$@"
rc=$?
if grep -nE 'ERROR: (Address|Leak)Sanitizer|runtime error:|\*\*BROKEN\*\*' "$dir"/engine-*.log; then
	echo "e2e_demo: sanitizer report or BROKEN line in the engine logs" >&2
	rc=1
fi
if ((rc == 0)); then
	rm -rf "$dir"
else
	echo "e2e_demo: exit $rc; logs kept in $dir" >&2
fi
exit "$rc"
