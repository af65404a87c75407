#!/usr/bin/env bash
# Usage: check-install.sh BUILD_DIR SOURCE_DIR PREFIX  (see CMakeLists.txt)
set -euo pipefail
build=$1 src=$2 prefix=$3
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail() { echo "packaging: $*" >&2; exit 1; }

DESTDIR=$dest cmake --install "$build" >/dev/null
root=$dest$prefix
bin=$root/bin/xrpse
man=$root/share/man/man1/xrpse.1
conf=$root/share/doc/xrpse/xrpse.conf.example
unit=$root/lib/systemd/system/xrpse.service
for f in "$bin" "$man" "$conf" "$unit"; do
	[ -f "$f" ] || fail "missing ${f#"$dest"}"
done
[ -x "$bin" ] || fail "bin/xrpse is not executable"
"$bin" run --version | grep -q '^xrpse ' || fail "installed xrpse does not run"
echo "installed: $(cd "$dest" && find . -type f | sort | tr '\n' ' ')"

# The man page renders without a warning.
if command -v groff >/dev/null; then
	out=$(groff -man -Tutf8 -ww -z "$man" 2>&1) || fail "groff failed: $out"
	[ -z "$out" ] || fail "groff warns: $out"
fi
out=$(MANWIDTH=80 man -l "$man" 2>&1 >/dev/null) || fail "man -l failed: $out"
[ -z "$out" ] || fail "man -l warns: $out"
MANWIDTH=80 man -l "$man" 2>/dev/null | grep -q 'OPTIONS OF xrpse run' ||
	fail "man -l renders no options section"
version=$("$bin" --version | sed -n 's/^xrpse //p')
grep -q "^\.TH XRPSE 1 .* \"xrpse $version\"" "$man" ||
	fail "the man page's .TH does not say xrpse $version"

# Every option of `xrpse run` but the test knobs is in the man page, and
# every setting is in the example configuration.
page=$(sed 's/\\-/-/g' "$man")
opts=$("$bin" run --help | sed -nE 's/^  --([a-z0-9-]+).*/\1/p' | grep -v '^dev-')
[ -n "$opts" ] || fail "no options in xrpse run --help"
for o in $opts; do
	grep -qF -- "--$o" <<<"$page" || fail "man page lacks --$o"
	case $o in config | version) continue ;; esac
	grep -qE "^#? ?$o = " "$conf" || fail "xrpse.conf.example lacks $o"
done

# The unit: its settings, and systemd-analyze's verdict.
for k in 'Type=simple' 'User=xrpse' 'StateDirectory=xrpse' \
	'ProtectSystem=strict' 'NoNewPrivileges=true' 'PrivateTmp=true' \
	'Restart=on-failure'; do
	grep -qx "$k" "$unit" || fail "xrpse.service lacks $k"
done
grep -qx "ExecStart=$prefix/bin/xrpse run --config /etc/xrpse/xrpse.conf" \
	"$unit" || fail "xrpse.service: unexpected ExecStart"
if command -v systemd-analyze >/dev/null; then
	# The installed binary is under DESTDIR: point ExecStart at it.
	sed "s#^ExecStart=$prefix/bin/xrpse#ExecStart=$bin#" "$unit" \
		>"$dest/xrpse.service"
	out=$(systemd-analyze verify --man=no "$dest/xrpse.service" 2>&1) ||
		fail "systemd-analyze verify: $out"
	[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
	echo "systemd-analyze verify: ok"
else
	echo "systemd-analyze not installed: unit not verified"
fi
echo "packaging: ok"
