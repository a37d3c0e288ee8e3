// Package rpctest checks an Ethereum JSON-RPC endpoint against the
// execution-apis specification: it derives parameters from the chain it
// talks to (a block with transactions, their hashes, senders, a contract),
// calls every eth_ method of the spec, and validates each result against the
// spec's JSON schemas. rpc's own tests run it against an in-memory chain; the
// node's tests run it against a real node.
package rpctest
