#!/usr/bin/env bash
# The CometBFT reference of the bft row of `make bench` (issue 18): a 4-validator CometBFT
# v1.0.1 localnet with its built-in kvstore app, 200 ms between blocks, loaded at RATE tx/s
# with TXS transactions by `go run ./tools/bench -comet-rpc` (broadcast_tx_async in batches,
# inclusion read back from the blocks). Prints
#   cometbft committed_tps=X p50_ms=Y
#
# usage: tools/measure/cometbft.sh          (from the repository root)
# Environment:
#   RATE      offered tx/s (default 2000)          TXS   transactions (default 10000)
#   OUT       directory for the nodes' homes and logs (default: a fresh temp dir)
#   P2P, RPC  ports every node listens on, each on its own loopback address 127.0.0.2-5
#             (default 36656, 36657)
#   COMMIT    timeout_commit (default 200ms, the Aspen bft row's block time)
# It installs cometbft v1.0.1 with `go install` when no cometbft of that version is on PATH;
# when the module proxy cannot be reached it says so and exits 1 (the table shows n/a).
set -euo pipefail
VERSION=v1.0.1
RATE=${RATE:-2000}
TXS=${TXS:-10000}
OUT=${OUT:-$(mktemp -d /tmp/aspen-cometbft.XXXXXX)}
P2P=${P2P:-36656}
RPC=${RPC:-36657}
COMMIT=${COMMIT:-200ms}
GOBIN_DIR=$(go env GOBIN)
PATH=${GOBIN_DIR:-$(go env GOPATH)/bin}:$PATH # where go install puts it

if ! command -v cometbft >/dev/null || [ "$(cometbft version 2>/dev/null)" != "${VERSION#v}" ]; then
	echo "cometbft: installing $VERSION with go install…" >&2
	if ! go install "github.com/cometbft/cometbft/cmd/cometbft@$VERSION"; then
		echo "cometbft: n/a: go install github.com/cometbft/cometbft/cmd/cometbft@$VERSION failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
		exit 1
	fi
fi

rm -rf "$OUT"
mkdir -p "$OUT"
cometbft testnet --v 4 --n 0 --o "$OUT" --starting-ip-address 127.0.0.2 --p2p-port "$P2P" >/dev/null
pids=()
trap 'for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT
for i in 0 1 2 3; do
	ip=127.0.0.$((i + 2))
	cfg=$OUT/node$i/config/config.toml
	sed -i \
		-e "s|^proxy_app = .*|proxy_app = \"kvstore\"|" \
		-e "s|^laddr = \"tcp://0.0.0.0:[0-9]*\"|laddr = \"tcp://$ip:$P2P\"|" \
		-e "s|^laddr = \"tcp://127.0.0.1:26657\"|laddr = \"tcp://$ip:$RPC\"|" \
		-e "s|^addr_book_strict = .*|addr_book_strict = false|" \
		-e "s|^allow_duplicate_ip = .*|allow_duplicate_ip = true|" \
		-e "s|^timeout_commit = .*|timeout_commit = \"$COMMIT\"|" \
		-e "s|^max_request_batch_size = .*|max_request_batch_size = 100|" \
		"$cfg"
	cometbft start --home "$OUT/node$i" >"$OUT/node$i.log" 2>&1 &
	pids+=($!)
done

url=http://127.0.0.2:$RPC
for _ in $(seq 1 60); do
	h=$(curl -s "$url/status" | grep -o '"latest_block_height":"[0-9]*"' | grep -o '[0-9]*' || true)
	[ "${h:-0}" -ge 2 ] && break
	sleep 1
done
if [ "${h:-0}" -lt 2 ]; then
	echo "cometbft: the localnet made no blocks in 60 s; logs under $OUT" >&2
	exit 1
fi
echo "cometbft: 4 validators up (height $h), offering $RATE tx/s, $TXS transactions" >&2
go run ./tools/bench -comet-rpc "$url" -comet-rate "$RATE" -comet-txs "$TXS"
