// Package node is the composition root: it opens a node's home, builds one
// runtime per subnet it serves (store, EVM executor, mempool, engine, driver),
// serves their JSON-RPC and metrics on one port, and shuts everything down in
// order. Only cmd/aspen imports it.
package node
