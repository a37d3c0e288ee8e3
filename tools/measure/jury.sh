#!/usr/bin/env bash
# The jury's price in latency: starts the default devnet twice — without a
# jury, then with `--jury` (every node bonded as a juror on the root, so
# /devnet/alpha's and /devnet/beta's checkpoints are held until their jury
# re-executes the period and a majority attests) — and on each sends N
# messages /devnet/alpha -> /devnet and /devnet/alpha -> /devnet/beta one
# after the other, printing each one's time from its receipt to
# CrossMsgApplied (aspen xfer status), then p50 and max per route.
# Usage: tools/measure/jury.sh [N] [PORT] [P2PPORT]
set -euo pipefail
n=${1:-5}; port=${2:-19645}; p2p=${3:-29645}
aspen=${ASPEN:-bin/aspen}
run() { # label, extra devnet flags...
  local label=$1; shift
  local home; home=$(mktemp -d)
  "$aspen" devnet --home "$home" --port "$port" --p2p-port "$p2p" "$@" > "$home/devnet.out" 2>&1 &
  local dpid=$!
  for _ in $(seq 1 240); do [ -f "$home/devnet.json" ] && break; sleep 1; done
  local out="$home/times"
  send() { # src dst home
    local id s e
    id=$("$aspen" xfer send "$2" --src "$1" --to 0x00000000000000000000000000000000001a3333 --value 1 --home "$3" --json |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["msgId"])')
    s=$(date +%s.%N)
    "$aspen" xfer status "$id" --src "$1" --home "$3" --wait 300s --json > /dev/null
    e=$(date +%s.%N)
    echo "$1->$2 $(python3 -c "print(round($e - $s, 2))")" | tee -a "$out"
  }
  for _ in $(seq 1 "$n"); do
    send /devnet/alpha /devnet "$home/node1"
    send /devnet/alpha /devnet/beta "$home/node2"
  done
  python3 - "$label" "$out" <<'PY'
import collections, statistics, sys
by = collections.defaultdict(list)
for line in open(sys.argv[2]):
    route, t = line.split()
    by[route].append(float(t))
for route, ts in sorted(by.items()):
    print(f"{sys.argv[1]}: {route}: p50 {statistics.median(ts):.2f} s, max {max(ts):.2f} s over {len(ts)}: {sorted(ts)}")
PY
  if [ "$label" = jury ]; then
    echo "jury verdicts (node0 metrics):"; curl -s "http://127.0.0.1:$port/metrics" | grep -E '^aspen_jury_(verdicts|failures|missed)' || true
  fi
  kill -INT "$dpid"; wait "$dpid" || true
}
run none
run jury --jury
