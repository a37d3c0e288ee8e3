#!/bin/bash
# idle cost of a node serving the root plus N-1 idle bft subnets.
# usage: idle.sh N  (devnet of 4 validators, root only, then N-1 subnets on node0-2)
set -e
N=$1; H=/tmp/idle$N; P=$((50545 + N*10)); Q=$((52656 + N*10))
rm -rf $H
(setsid bin/aspen devnet --home $H --subnets none --port $P --p2p-port $Q > $H.log 2>&1 &)
for i in $(seq 1 60); do sleep 1; grep -q "Ctrl-C" $H.log 2>/dev/null && break; done
for k in $(seq 1 $((N-1))); do
  bin/aspen subnet create /devnet/s$k --engine bft --min-validators 3 --min-collateral 3 --block-time 200ms --home $H/node0 --json >/dev/null
  for i in 0 1 2; do bin/aspen subnet join /devnet/s$k --collateral 1 --home $H/node$i --json >/dev/null & done; wait
done
# wait until node0 serves all
for i in $(seq 1 120); do
  c=$(curl -s -X POST -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"aspen_subnets","params":[]}' http://127.0.0.1:$P/ | grep -o '"id"' | wc -l)
  [ "$c" -ge "$N" ] && break; sleep 1
done
sleep 40  # settle: first blocks, then rest
pid=$(pgrep -f "node --home $H/node0" | head -1)
t0=$(awk '{print $14+$15}' /proc/$pid/stat); sleep 60; t1=$(awk '{print $14+$15}' /proc/$pid/stat)
rss=$(ps -o rss= -p $pid)
echo "subnets=$c node0 cpu=$(echo "scale=1; ($t1-$t0)/60" | bc)% rss=$((rss/1024))MB"
pkill -f "devnet --home $H" || true; sleep 3; pkill -f "home $H/" || true
