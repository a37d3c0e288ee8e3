// Package types holds the data every other Aspen package exchanges: subnet IDs,
// block headers with their parent reference and engine seal, blocks, and commit
// certificates, with their RLP encoding and keccak256 hashes.
//
// It is a leaf: it imports nothing of Aspen, only go-ethereum's common, rlp and
// core/types (for transactions, receipts and blooms, so wallets see Ethereum's
// own encodings).
package types
