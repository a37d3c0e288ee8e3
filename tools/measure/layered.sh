#!/usr/bin/env bash
# Two-tier finality, measured: starts `aspen devnet --profile layered`
# (optionally with --wan-engine bft for the one-tier comparison), sends N
# transfers lan1 -> lan2 and lan1 -> root one after the other, and prints
# each one's time from its receipt to CrossMsgApplied (aspen xfer status),
# then the /devnet/wan block interval, the pow reorgs the nodes logged and
# node0's CPU. Usage: tools/measure/layered.sh [pow|bft] [N] [PORT] [P2PPORT]
set -euo pipefail
wan=${1:-pow}; n=${2:-5}; port=${3:-19545}; p2p=${4:-29545}
aspen=${ASPEN:-bin/aspen}
home=$(mktemp -d)
"$aspen" devnet --home "$home" --profile layered --wan-engine "$wan" --port "$port" --p2p-port "$p2p" > "$home/devnet.out" 2>&1 &
dpid=$!
trap 'kill -INT $dpid; wait $dpid || true' EXIT
for _ in $(seq 1 240); do [ -f "$home/devnet.json" ] && break; sleep 1; done
node0=$(pgrep -f "node --home $home/node0")
cpu0=$(ps -o cputimes= -p "$node0"); t0=$(date +%s)
send() { # src dst home
  local id s e
  id=$("$aspen" xfer send "$2" --src "$1" --to 0x00000000000000000000000000000000001a2222 --value 1 --home "$3" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["msgId"])')
  s=$(date +%s.%N)
  "$aspen" xfer status "$id" --src "$1" --home "$3" --wait 300s --json > /dev/null
  e=$(date +%s.%N)
  python3 -c "print('$1 -> $2', round($e - $s, 2), 's')"
}
for _ in $(seq 1 "$n"); do
  send /devnet/wan/lan1 /devnet/wan/lan2 "$home/node1"
  send /devnet/wan/lan1 /devnet "$home/node2"
done
echo "node0 CPU: $(( $(ps -o cputimes= -p "$node0") - cpu0 )) s over $(( $(date +%s) - t0 )) s"
python3 - "$port" <<'PY'
import json, statistics, sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/devnet/wan"
def call(m, p):
    req = urllib.request.Request(url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": m, "params": p}).encode(),
                                 {"content-type": "application/json"})
    return json.load(urllib.request.urlopen(req))["result"]
n = int(call("eth_blockNumber", []), 16)
ts = [int(call("eth_getBlockByNumber", [hex(h), False])["timestamp"], 16) for h in range(max(1, n - 400), n + 1)]
d = [b - a for a, b in zip(ts, ts[1:])]
print(f"/devnet/wan: {len(ts)} blocks, interval mean {statistics.mean(d):.2f} s, stdev {statistics.pstdev(d):.2f} s, longest {max(d)} s (1 s timestamps)")
PY
echo "reorgs (one line per node and rewind):"
grep -h 'msg="head rewound"' "$home"/node*/node.log | grep 'subnet=/devnet/wan' | grep 'height=' | grep -o 'dropped=[0-9]*' | sort | uniq -c || true
