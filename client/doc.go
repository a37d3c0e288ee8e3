// Package client talks to Aspen nodes from outside: a typed client of one
// chain's gateway over JSON-RPC (views, signed transactions, receipts and
// their events), a tracker that follows a cross-message hop by hop along its
// path, and the reader of devnet.json, the manifest `aspen devnet` writes.
//
// It exists so that every program that uses a running network (the CLI, the
// end-to-end tests, an explorer or a light client) shares one implementation
// instead of each keeping its own copy. It imports no node internals: only
// the gateway's ABI and types.
package client
