// Package types holds the data every other Aspen package exchanges: subnet IDs,
// block headers with their parent reference and engine seal, blocks, commit
// certificates, and the cross-subnet objects of CROSSNET.md (CrossMsg,
// Checkpoint and its gossiped CheckpointSignature), with their RLP encoding
// and keccak256 hashes. A checkpoint's messages are committed by a
// domain-separated binary Merkle tree (merkle.go), against which a message's
// inclusion is proved.
//
// It is a leaf: it imports nothing of Aspen, only go-ethereum's common, rlp and
// core/types (for transactions, receipts and blooms, so wallets see Ethereum's
// own encodings).
package types
