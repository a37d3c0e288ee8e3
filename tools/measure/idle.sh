#!/bin/bash
# Idle cost of one node serving the root plus N idle bft subnets.
#
# usage: tools/measure/idle.sh [N] [SECONDS]      (defaults: 10 subnets, 60 s)
#
# A devnet of three nodes starts from an empty home; node0-2 create and join /devnet/s1../devnet/sN
# (bft, 3 validators each: every node validates the root and every subnet); once node0 serves every subnet
# and the subnets had time to make their first blocks and rest, it reads node0's CPU time
# from /proc/PID/stat over SECONDS and prints CPU as a percentage of one core, and RSS.
# Environment:
#   IDLE_INTERVAL  longest gap between heartbeat blocks of a resting subnet (default 30s)
#   BLOCK_TIME     block time of the root and the subnets (default 1s)
#   SETTLE         seconds to wait after every subnet is served (default 40)
#   PPROF=FILE     also take a CPU profile of node0 over the same SECONDS into FILE
#                  and print its top 10 (the node runs with ASPEN_PPROF=1)
#   BIN            the aspen binary (default bin/aspen)
# Run it from the repository root after `make build`, on a machine as idle as you can get:
# every other process's load shows up in node0's scheduling, not its CPU time, but three
# nodes share the machine.
set -euo pipefail
N=${1:-10}
SECS=${2:-60}
BIN=${BIN:-bin/aspen}
H=$(mktemp -d /tmp/aspen-idle.XXXXXX)
P=$((40000 + RANDOM % 10000))
Q=$((P + 100))

export ASPEN_PPROF=1
setsid "$BIN" devnet --home "$H" --subnets none --validators 3 \
	--block-time "${BLOCK_TIME:-1s}" --idle-interval "${IDLE_INTERVAL:-30s}" \
	--port "$P" --p2p-port "$Q" >"$H.log" 2>&1 &
devnet=$!
trap 'kill -TERM $devnet 2>/dev/null; wait $devnet 2>/dev/null; rm -rf "$H" "$H.log"' EXIT
for _ in $(seq 1 120); do [ -s "$H/devnet.json" ] && break; sleep 1; done
for k in $(seq 1 "$N"); do
	"$BIN" subnet create "/devnet/s$k" --engine bft --min-validators 3 --min-collateral 3 \
		--block-time "${BLOCK_TIME:-1s}" --home "$H/node0" --json >/dev/null
	joins=()
	for i in 0 1 2; do
		"$BIN" subnet join "/devnet/s$k" --collateral 1 --home "$H/node$i" --json >/dev/null &
		joins+=($!)
	done
	wait "${joins[@]}"
done

rpc() {
	curl -s -X POST -H 'content-type: application/json' \
		--data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":[]}" "http://127.0.0.1:$P$1"
}
served=0
for _ in $(seq 1 300); do
	served=$( (rpc / aspen_subnets || true) | (grep -o '"/devnet/s[0-9]*"' || true) | sort -u | wc -l)
	[ "$served" -ge "$N" ] && break
	sleep 1
done
if [ "$served" -lt "$N" ]; then
	echo "node0 serves $served of $N subnets after 300 s; log: $H.log" >&2
	cp "$H.log" /tmp/aspen-idle-failed.log
	exit 1
fi
sleep "${SETTLE:-40}"
pid=$(pgrep -f -- "node --home $H/node0" | head -1)
heights() { for k in $(seq 1 "$N"); do (rpc "/devnet/s$k" eth_blockNumber || true) | (grep -o '"0x[0-9a-f]*"' || true) | tr -d '"'; done | paste -sd' '; }
before=$(heights)
if [ -n "${PPROF:-}" ]; then
	curl -s -o "$PPROF" "http://127.0.0.1:$P/debug/pprof/profile?seconds=$SECS" &
	prof=$!
fi
t0=$(awk '{print $14+$15}' /proc/"$pid"/stat)
sleep "$SECS"
t1=$(awk '{print $14+$15}' /proc/"$pid"/stat)
rss=$(awk '/VmRSS/{print $2}' /proc/"$pid"/status)
hz=$(getconf CLK_TCK)
echo "subnets=$N secs=$SECS node0 cpu=$(echo "scale=2; 100*($t1-$t0)/$hz/$SECS" | bc)% of a core rss=$((rss / 1024))MB"
echo "subnet heights before: $before"
echo "subnet heights after:  $(heights)"
if [ -n "${PPROF:-}" ]; then
	wait $prof
	go tool pprof -top -nodecount=10 "$BIN" "$PPROF" 2>/dev/null | sed -n '1,16p'
fi
