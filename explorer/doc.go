// Package explorer is the block explorer every node serves at /explorer/:
// a page of plain ES modules and CSS, embedded in the binary, that reads
// the node it came from over the node's own JSON-RPC (eth_ and aspen_, on
// the same origin) and follows new blocks over a WebSocket eth_subscribe.
// It shows the tree of subnets, blocks, transactions with decoded gateway
// calls and logs, addresses, and cross-subnet messages hop by hop.
//
// The Go side only serves files: the assets, and gateway-abi.json, the
// gateway's ABI with each function's selector and each event's topic worked
// out here, so the page decodes calls and logs without a Keccak of its own.
package explorer
