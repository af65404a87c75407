#!/usr/bin/env bash
# Starts a complete local settlement network on free 127.0.0.1 ports:
#   - the XRP Ledger stand-in (testnet/ledger/server.js) with its faucet,
#     at network id 1 like the public testnet;
#   - two funded accounts and engine configs (setup-testnet.js, which runs
#     the engine's network check);
#   - two connector stand-ins A and B (testnet/connector/server.js), peered;
#   - with --engines yes|auto, two xrpse engines (`xrpse run`), alice behind
#     connector A and bob behind connector B.
# Then either waits for SIGINT/SIGTERM (default) or runs the command given
# after --run with the network's addresses in the environment, and shuts
# everything it started down again (TERM, then KILL after 5 s), returning
# the command's exit status.
#
# usage: testnet/scripts/local-net.sh [--dir DIR] [--flavor rs|java]
#          [--flavor-a rs|java] [--flavor-b rs|java]
#          [--key-type-a secp256k1|ed25519] [--key-type-b secp256k1|ed25519]
#          [--threshold UNITS (default 1 XRP)] [--close-ms MS] [--engines auto|yes|no]
#          [--xrpse PATH] [--engine-arg ARG]... [--ledger-arg ARG]... [--xrp-amount XRP]
#          [--validation-lag N (default 2: validated two behind closed)]
#          [--log-max N] [--log-routes ROUTE,...] [--quiet] [--run CMD [ARGS...]]
#
# Environment given to --run (and written to DIR/env.sh): XRPSE_NET_DIR,
# LEDGER_WS_URL, FAUCET_URL, CONNECTOR_A_URL, CONNECTOR_B_URL,
# CONNECTOR_A_CONTROL, CONNECTOR_B_CONTROL, ENGINE_A_URL, ENGINE_B_URL,
# ENGINE_A_ACCOUNT (bob's id on engine alice), ENGINE_B_ACCOUNT,
# ENGINES_RUNNING (1|0), ALICE_ADDRESS, BOB_ADDRESS, FLAVOR_A, FLAVOR_B.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
testnet=$(dirname "$here")
root=$(dirname "$testnet")

dir='' flavor_a=rs flavor_b=rs threshold='' close_ms=1000 engines=auto
key_a=secp256k1 key_b=secp256k1 log_max=5000 log_routes='' verbose=--verbose
xrpse="$root/build/xrpse" xrp_amount=1000
run=() engine_args=() ledger_args=() lag=2
while (($#)); do
	case $1 in
	--dir) dir=$2; shift 2 ;;
	--flavor) flavor_a=$2; flavor_b=$2; shift 2 ;;
	--flavor-a) flavor_a=$2; shift 2 ;;
	--flavor-b) flavor_b=$2; shift 2 ;;
	--key-type-a) key_a=$2; shift 2 ;;
	--key-type-b) key_b=$2; shift 2 ;;
	--engine-arg) engine_args+=("$2"); shift 2 ;;
	--ledger-arg) ledger_args+=("$2"); shift 2 ;;
	--validation-lag) lag=$2; shift 2 ;;
	--log-max) log_max=$2; shift 2 ;;
	--log-routes) log_routes=$2; shift 2 ;;
	--quiet) verbose=''; shift ;;
	--threshold) threshold=$2; shift 2 ;;
	--close-ms) close_ms=$2; shift 2 ;;
	--engines) engines=$2; shift 2 ;;
	--xrpse) xrpse=$2; shift 2 ;;
	--xrp-amount) xrp_amount=$2; shift 2 ;;
	--run) shift; run=("$@"); break ;;
	-h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "local-net: unknown argument $1" >&2; exit 2 ;;
	esac
done
case $engines in auto|yes|no) ;; *) echo "local-net: --engines auto|yes|no" >&2; exit 2 ;; esac
for f in "$flavor_a" "$flavor_b"; do
	case $f in rs|java) ;; *) echo "local-net: --flavor rs|java" >&2; exit 2 ;; esac
done
for k in "$key_a" "$key_b"; do
	case $k in secp256k1|ed25519) ;; *) echo "local-net: --key-type-a/b secp256k1|ed25519" >&2; exit 2 ;; esac
done
# default threshold: 1 XRP at the flavour's default account scale (rs 6, java 9)
threshold_of() {
	if [[ -n $threshold ]]; then echo "$threshold"
	elif [[ $1 == rs ]]; then echo 1000000
	else echo 1000000000
	fi
}
if [[ -z $dir ]]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/xrpse-net.XXXXXX")
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# The services run in their own sessions (setsid, which execs in place
# here: a background job of a script is no process-group leader), so a
# terminal's Ctrl-C reaches only this script and the --run command; the
# cleanup below stops the services after that command has finished.
pids=()
say() { echo "local-net: $*" >&2; }

cleanup() {
	local rc=$? pid i
	trap - EXIT INT TERM
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "process $pid ignored SIGTERM, killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until FILE has a line matching REGEX (or the process PID died);
# prints the line.
wait_line() {
	local file=$1 regex=$2 pid=$3 line
	for _ in $(seq 200); do
		line=$(grep -E -m1 "$regex" "$file" 2>/dev/null || true)
		if [[ -n $line ]]; then
			echo "$line"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			say "process $pid exited early; its log $file:"
			sed 's/^/  /' "$file" >&2 || true
			return 1
		fi
		sleep 0.05
	done
	say "timed out waiting for '$regex' in $file"
	return 1
}

wait_port() {
	local port=$1 pid=$2
	for _ in $(seq 200); do
		if node -e 'const c=require("net").connect(+process.argv[1],"127.0.0.1",()=>{c.end();process.exit(0)});c.on("error",()=>process.exit(1))' "$port"; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Free loopback ports for the engines and connectors, drawn from below the
# ephemeral range so that no server binding port 0 (the ledger here, any
# test beside us) can take one before its owner binds it.
read -r port_ea port_eb port_ca port_cb < <(node "$here/free-ports.js" 4)
[[ -n ${port_cb:-} ]] || { say "no free ports"; exit 1; }

# 1. the ledger
setsid node "$testnet/ledger/server.js" --port 0 --faucet-port 0 --network-id 1 \
	--close-ms "$close_ms" --validation-lag "$lag" "${ledger_args[@]}" >"$dir/ledger.log" 2>&1 &
pids+=($!)
line=$(wait_line "$dir/ledger.log" 'listening ws=[0-9]+ faucet=[0-9]+' "${pids[-1]}")
ws_port=$(sed -E 's/.*ws=([0-9]+).*/\1/' <<<"$line")
faucet_port=$(sed -E 's/.*faucet=([0-9]+).*/\1/' <<<"$line")
ledger_ws="ws://127.0.0.1:$ws_port"
faucet_url="http://127.0.0.1:$faucet_port/accounts"
say "ledger $ledger_ws, faucet $faucet_url"

# 2. accounts and engine configs, through the same script as the testnet
node "$here/setup-testnet.js" --out "$dir/config" --force \
	--rippled-url "$ledger_ws" --faucet-url "$faucet_url" --network-id 1 \
	--xrp-amount "$xrp_amount" --poll-ms 100 --names alice,bob --key-type "$key_a,$key_b" \
	--listen "127.0.0.1:$port_ea,127.0.0.1:$port_eb" \
	--connector-urls "http://127.0.0.1:$port_ca,http://127.0.0.1:$port_cb" \
	>"$dir/accounts.json.out" 2>"$dir/setup.log" ||
	{ say "setup-testnet failed:"; sed 's/^/  /' "$dir/setup.log" >&2; exit 1; }
addr_of() {
	node -e 'const s=require(process.argv[1]);console.log(s.engines.find((e)=>e.name===process.argv[2]).address)' \
		"$dir/config/accounts.json" "$1"
}
alice=$(addr_of alice)
bob=$(addr_of bob)
say "alice $alice, bob $bob"

# 3. connectors: A fronts engine alice, B fronts engine bob; account "b" on
# A is the link to B (peer name "a"), and the other way round.
start_connector() {
	local name=$1 port=$2 engine_port=$3 peer_port=$4 flavor=$5
	# --single-threaded-gc: V8 marks and sweeps a stand-in's heap on
	# helper threads by default, one per core, which on a 2-core machine
	# take both cores from the engines and the other stand-in for tens of
	# milliseconds at a major collection (perf sched: a stand-in's four
	# helpers on both cores for 30 ms while an engine waited for work).
	# On the stand-in's own thread the same work takes no core from the
	# others; at 1,000 links the p99 fell from 32-46 ms to 19-30 ms.
	# shellcheck disable=SC2086 # $verbose is one flag or nothing
	setsid node --single-threaded-gc "$testnet/connector/server.js" --port "$port" --name "$name" \
		--engine-url "http://127.0.0.1:$engine_port" \
		--peer-url "http://127.0.0.1:$peer_port" --flavor "$flavor" \
		--threshold "$(threshold_of "$flavor")" --log-max "$log_max" \
		${log_routes:+--log-routes "$log_routes"} $verbose \
		>"$dir/connector-$name.log" 2>&1 &
	pids+=($!)
	wait_line "$dir/connector-$name.log" '"event":"listening"' "${pids[-1]}" >/dev/null
}
start_connector a "$port_ca" "$port_ea" "$port_cb" "$flavor_a"
start_connector b "$port_cb" "$port_eb" "$port_ca" "$flavor_b"
say "connectors http://127.0.0.1:$port_ca (A, $flavor_a) and http://127.0.0.1:$port_cb (B, $flavor_b)"

# 4. engines, when there is a working `xrpse run`
engines_running=0
start_engine() {
	local name=$1 port=$2
	local -a args
	mapfile -t args < <(tr ' ' '\n' <"$dir/config/$name.args")
	setsid "$xrpse" run "${args[@]}" "${engine_args[@]}" >"$dir/engine-$name.log" 2>&1 &
	pids+=($!)
	printf -v "engine_pid_$name" '%s' "$!"
	if ! wait_port "$port" "${pids[-1]}"; then
		say "engine $name did not start; its log:"
		sed 's/^/  /' "$dir/engine-$name.log" >&2 || true
		return 1
	fi
}
if [[ $engines != no ]]; then
	if [[ -x $xrpse ]] && start_engine alice "$port_ea" && start_engine bob "$port_eb"; then
		engines_running=1
		say "engines http://127.0.0.1:$port_ea (alice) and http://127.0.0.1:$port_eb (bob)"
	elif [[ $engines == yes ]]; then
		say "cannot start the engines ($xrpse)"
		exit 1
	else
		say "no working $xrpse run: continuing without engines"
	fi
fi

# 5. the link's accounts, created on the engines when they run
control() {
	node -e '
const [url, body] = process.argv.slice(1);
fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body })
	.then(async (r) => { const t = await r.text(); if (r.status >= 300) { console.error(t); process.exit(1); } console.log(t); })
	.catch((e) => { console.error(e.message); process.exit(1); });' "$1" "$2"
}
create=$([[ $engines_running == 1 ]] && echo true || echo false)
acct_a=$(control "http://127.0.0.1:$port_ca/control/accounts" \
	"{\"name\":\"b\",\"peer\":\"a\",\"createOnEngine\":$create}" |
	node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
acct_b=$(control "http://127.0.0.1:$port_cb/control/accounts" \
	"{\"name\":\"a\",\"peer\":\"b\",\"createOnEngine\":$create}" |
	node -e 'let s="";process.stdin.on("data",(d)=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')

cat >"$dir/env.sh" <<EOF
export XRPSE_NET_DIR=$dir
export LEDGER_WS_URL=$ledger_ws
export FAUCET_URL=$faucet_url
export CONNECTOR_A_URL=http://127.0.0.1:$port_ca
export CONNECTOR_B_URL=http://127.0.0.1:$port_cb
export CONNECTOR_A_CONTROL=http://127.0.0.1:$port_ca/control
export CONNECTOR_B_CONTROL=http://127.0.0.1:$port_cb/control
export ENGINE_A_URL=http://127.0.0.1:$port_ea
export ENGINE_B_URL=http://127.0.0.1:$port_eb
export ENGINE_A_ACCOUNT=$acct_a
export ENGINE_B_ACCOUNT=$acct_b
export ENGINES_RUNNING=$engines_running
export ENGINE_A_PID=${engine_pid_alice:-} ENGINE_B_PID=${engine_pid_bob:-}
export XRPSE_BIN=$xrpse
export XRPSE_ENGINE_ARGS=$(printf '%q' "$(printf '%s\n' "${engine_args[@]}")")
export ALICE_ADDRESS=$alice
export BOB_ADDRESS=$bob
export FLAVOR_A=$flavor_a
export FLAVOR_B=$flavor_b
EOF
# shellcheck source=/dev/null
. "$dir/env.sh"
say "ready; environment in $dir/env.sh, logs in $dir"

if ((${#run[@]})); then
	set +e
	"${run[@]}"
	rc=$?
	set -e
	exit "$rc"
fi
say "running until SIGINT/SIGTERM"
while :; do
	sleep 1 &
	wait $! || true
done
