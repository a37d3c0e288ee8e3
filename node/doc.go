// Package node is the composition root: it opens a node's home, builds one
// runtime per subnet it serves (store, EVM executor, mempool, engine, driver),
// serves their JSON-RPC and metrics on one port, and shuts everything down in
// order. Only cmd/aspen imports it.
//
// Runtimes see each other only through a chainView (final head, final
// headers, gateway state after a final block), and send to each other's
// chain only through that chain's systemTxs, the one owner of the node
// account's nonces there. A child runtime that fails stops alone and is
// restarted after a backoff; the root's failure stops the node.
package node
