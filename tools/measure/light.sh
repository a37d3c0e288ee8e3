#!/usr/bin/env bash
# Light-client proof sizes at depths 1-3 and `aspen light serve` latency,
# measured: starts the default devnet (checkpoint period 2, 200 ms blocks),
# creates the solo subnet /devnet/alpha/one/deep (sequenced and funded by
# node0), moves the tree with a send from deep to the root, then proves
# node0's account at depths 1-3 with `aspen light balance` from a fresh home
# (first sync) and again after three more root blocks (steady state); then
# times eth_getBalance on /devnet/alpha/one through `aspen light serve`,
# cold (fresh home, first request) and warm (the next five).
# Usage: tools/measure/light.sh [PORT] [P2PPORT] [LIGHTPORT]
set -euo pipefail
port=${1:-19645}; p2p=${2:-29645}; lport=${3:-19745}
aspen=${ASPEN:-bin/aspen}
home=$(mktemp -d)
"$aspen" devnet --home "$home" --checkpoint-period 2 --block-time 200ms --port "$port" --p2p-port "$p2p" > "$home/devnet.out" 2>&1 &
dpid=$!
spid=
trap '[ -n "$spid" ] && kill $spid; kill -INT $dpid; wait $dpid || true' EXIT
for _ in $(seq 1 240); do [ -f "$home/devnet.json" ] && break; sleep 1; done
rpc=http://127.0.0.1:$port
gen=$home/node0/genesis.json
deep=/devnet/alpha/one/deep
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
owner=$("$aspen" keys show --home "$home/node0" --json | field account)
"$aspen" subnet create $deep --engine solo --min-validators 1 --min-collateral 1 --block-time 200ms --checkpoint-period 2 --home "$home/node0" --json > /dev/null
"$aspen" subnet join $deep --collateral 1 --home "$home/node0" --json > /dev/null
"$aspen" xfer fund $deep --to "$owner" --value 3 --home "$home/node0" --json > /dev/null
call() { # url method params
  curl -s -X POST -H 'content-type: application/json' --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$2\",\"params\":$3}" "$1"
}
for _ in $(seq 1 120); do
  call "$rpc$deep" eth_getBalance "[\"$owner\",\"latest\"]" | grep -q '"result":"0x[1-9a-f]' && break; sleep 1
done
id=$("$aspen" xfer send /devnet --src $deep --to 0x00000000000000000000000000000000000a1a02 --value 1 --home "$home/node0" --json | field msgId)
"$aspen" xfer status "$id" --src $deep --home "$home/node0" --wait 120s --json > /dev/null
root_height() { call "$rpc" eth_blockNumber '[]' | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["result"], 16))'; }
balance() { # home subnet
  "$aspen" light balance "$owner" --subnet "$2" --rpc "$rpc" --genesis "$gen" --home "$1" --json
}
show() { # depth subnet kind json
  python3 -c '
import json, sys
b = json.loads(sys.argv[4]); p = b["proofBytes"]
h, c, s = p["headers"], p["checkpoints"], p["state"]
r, ms, rh = b["bytesRead"], b["millis"], b["rootHeight"]
print(f"depth {sys.argv[1]} {sys.argv[2]:24} {sys.argv[3]:10}  headers {h:4}  checkpoints {c:5}  state {s:4}  total {h + c + s:5} B"
      f"  read {r:6} B  {ms:3} ms  (root block {rh})")
' "$@"
}
depth=0
for id in /devnet/alpha /devnet/alpha/one $deep; do
  depth=$((depth + 1))
  lh=$(mktemp -d -p "$home")
  first=$(balance "$lh" $id)
  h=$(root_height)
  while [ "$(root_height)" -lt $((h + 3)) ]; do sleep 0.2; done
  steady=$(balance "$lh" $id)
  show $depth $id "first sync" "$first"
  show $depth $id "steady" "$steady"
done

lh=$(mktemp -d -p "$home")
"$aspen" light serve --port "$lport" --rpc "$rpc" --genesis "$gen" --home "$lh" --fresh 1m > "$home/serve.out" 2>&1 &
spid=$!
for _ in $(seq 1 100); do grep -q serving "$home/serve.out" && break; sleep 0.1; done
ask() {
  curl -s -o /dev/null -w '%{time_total}' -X POST -H 'content-type: application/json' \
    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getBalance\",\"params\":[\"$owner\",\"latest\"]}" "http://127.0.0.1:$lport/devnet/alpha/one"
}
cold=$(ask)
warm=$(for _ in 1 2 3 4 5; do ask; echo; done)
python3 -c '
import sys
cold = float(sys.argv[1]) * 1000; warm = sorted(float(w) * 1000 for w in sys.argv[2].split())
print(f"light serve eth_getBalance /devnet/alpha/one: cold {cold:.1f} ms, warm {warm[0]:.1f}-{warm[-1]:.1f} ms (median {warm[len(warm)//2]:.1f}, 5 requests)")
' "$cold" "$warm"
