#!/usr/bin/env bash
# Runs tests/paychan/e2e.mjs (or the test file in $XRPSE_E2E_TEST) inside
# testnet/scripts/local-net.sh: the ledger stand-in (ledgers every 100 ms),
# two rs connector stand-ins and two xrpse daemons (the binary given as $1)
# with short channel timers.
# Usage: run-e2e.sh XRPSE_BINARY [local-net.sh options...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
xrpse=${1:?usage: run-e2e.sh XRPSE_BINARY}
shift
export XRPSE_SOURCE_DIR=$root XRPSE_BIN=$xrpse
# Channel settings for a fast test (see the README's payment-channel
# section): timers in seconds, polls in milliseconds.
export XRPSE_TX_RETRY=2 XRPSE_DEV_POLL_MS=1000 XRPSE_DEV_TICK_MS=200
export XRPSE_DEV_CLAIM_RESEND_MS=2000 XRPSE_REDEEM_CHECK=1
export XRPSE_DEV_HELLO_RETRY_MS=200
# A fresh directory, removed when the test passes (kept for the logs when
# it fails), unless the caller chose one with --dir.
own=''
if [[ " $* " != *" --dir "* ]]; then
	own=$(mktemp -d "${TMPDIR:-/tmp}/xrpse-paychan.XXXXXX")
	set -- --dir "$own" "$@"
fi
status=0
"$root/testnet/scripts/local-net.sh" --xrpse "$xrpse" --close-ms 100 \
	--engines yes "$@" --run node --test --test-reporter=spec \
	"${XRPSE_E2E_TEST:-$root/tests/paychan/e2e.mjs}" || status=$?
if [[ -n $own ]]; then
	if ((status == 0)); then
		rm -rf "$own"
	else
		echo "run-e2e: logs kept in $own" >&2
	fi
fi
exit "$status"
