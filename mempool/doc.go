// Package mempool holds one subnet's transactions that are waiting for a block:
// it validates them, keeps them in nonce order per sender and fee order across
// senders, enforces per-sender and global limits, and hands the block builder a
// snapshot in inclusion order (see Pool.Source).
//
// Error strings are exactly go-ethereum's (nonce too low, replacement transaction
// underpriced, …) rather than the usual "mempool: " prefix, because wallets and
// libraries such as ethers and viem match on them. Details are appended after a
// colon by wrapping, so errors.Is and prefix matching both work.
//
// Concurrency: Add and AddBatch are called from many RPC and p2p goroutines while
// the consensus goroutine calls Reset and Source. Signature recovery and state
// reads happen outside the pool lock; only the bookkeeping holds it.
package mempool
