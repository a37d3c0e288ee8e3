// Package blocksync serves and fetches a subnet's final blocks with their
// commit certificates over a p2p.Host stream protocol,
// p2p.BlockSyncProtocol(subnet). A node that fell behind asks a peer for its
// head (Status) and then for consecutive blocks (Fetch); Serve answers those
// requests from the local chain.
//
// It moves bytes only: whether a block and its commit are valid is the
// caller's job (the engine's VerifyCommit and the executor), so a lying peer
// costs a wasted request, never a bad block.
//
// Wire format: every request and answer is one version byte (1) followed by
// an RLP list; see wire.go.
package blocksync
