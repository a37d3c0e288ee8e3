#!/bin/bash
# atomic.sh [N] [PORT] [P2PPORT]: latency of atomic plans on the default devnet (200 ms
# blocks), from `aspen atomic submit` starting to every leg finished (its elapsedMs): N plans
# of docs/examples/atomic-siblings.json (alpha + beta), then N of atomic-three-subnets.json
# (alpha, its child alpha/one, beta), one after the other; prints p50/p90 (nearest rank) of
# each. Run from the repository root after `make build`.
set -euo pipefail
N=${1:-20}; PORT=${2:-10545}; P2P=${3:-10645}
H=$(mktemp -d /tmp/atomic-measure.XXXX)
(setsid bin/aspen devnet --home $H --block-time 200ms --port $PORT --p2p-port $P2P > $H.log 2>&1 & echo $! > $H.pid)
DEVNET=$(cat $H.pid)
ps -o args= -p $DEVNET | grep -q "aspen devnet" || { echo "pid $DEVNET is not the devnet" >&2; exit 1; }
trap 'rc=$?; kill -INT $DEVNET 2>/dev/null; while kill -0 $DEVNET 2>/dev/null; do sleep 0.5; done
  rm -rf $H $H.pid; [ $rc = 0 ] && rm -f $H.log' EXIT
for i in $(seq 1 180); do grep -q "Ctrl-C" $H.log 2>/dev/null && break; sleep 1; done
grep -q "Ctrl-C" $H.log || { echo "devnet not ready, see $H.log" >&2; exit 1; }
RPC=$(jq -r '.nodes[1].rpc' $H/devnet.json)     # node1 runs /devnet, alpha, alpha/one, beta
KEY=$(jq -r '.accounts[2].privateKey' $H/devnet.json)

run() { # run PLAN: N submits, one elapsedMs a line
  for i in $(seq 1 $N); do
    bin/aspen atomic submit "$1" --rpc $RPC --key $KEY --json --wait 2m | tail -1 |
      jq -e -r 'if .status == "committed" then .elapsedMs else error("plan \(.id): \(.status)") end'
  done
}
pct() { # pct NAME: p50 and p90 of the numbers on stdin
  sort -n | awk -v name="$1" '{v[NR]=$1} END {
    p50=v[int((NR*50+99)/100)]; p90=v[int((NR*90+99)/100)]
    printf "%-28s n=%d  p50=%d ms  p90=%d ms  min=%d  max=%d\n", name, NR, p50, p90, v[1], v[NR]}'
}
run docs/examples/atomic-siblings.json | pct "siblings (alpha, beta)"
run docs/examples/atomic-three-subnets.json | pct "three (alpha, alpha/one, beta)"
