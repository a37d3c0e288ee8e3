#!/bin/bash
# mkdev.sh DIR PERIOD BLOCKTIME PORT P2P: default devnet + /devnet/beta/two (node1-3)
D=$1; rm -rf $D
(setsid bin/aspen devnet --home $D --checkpoint-period $2 --block-time $3 --port $4 --p2p-port $5 > $D.log 2>&1 &)
for i in $(seq 1 90); do sleep 1; grep -q "Ctrl-C" $D.log 2>/dev/null && break; done
bin/aspen subnet create /devnet/beta/two --engine bft --min-validators 3 --min-collateral 3 --block-time $3 --checkpoint-period $2 --home $D/node1 --json > /dev/null
for i in 1 2 3; do bin/aspen subnet join /devnet/beta/two --collateral 1 --home $D/node$i --json >/dev/null & done; wait
for i in $(seq 1 60); do curl -s -X POST -H 'content-type: application/json' --data '{"jsonrpc":"2.0","id":1,"method":"aspen_subnets","params":[]}' http://127.0.0.1:$(($4+1))/ | grep -q beta/two && break; sleep 1; done
echo ready
