// Package rpc serves each subnet's Ethereum JSON-RPC (eth_, net_, web3_) over
// HTTP and WebSocket on one port, at "/" for the node's root chain and at
// "/<subnet id>" for every subnet, conforming to the execution-apis spec.
// It sees the node only through the narrow Backend interfaces in backend.go.
package rpc
