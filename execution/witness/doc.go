// Package witness is the execution witness of one block: what a stateless
// executor needs besides the block to re-execute it and check its state
// root — the parent's header and as many ancestors as the block's BLOCKHASH
// reads reach, the parent chain's top-down messages its system work applied,
// the contract code it ran or read, and the trie nodes (account and storage
// tries) of the parent's state on the paths it read or wrote.
//
// The package holds the data and its canonical RLP encoding only; it decodes
// outside input within Limits, checking counts and sizes before any hashing.
// Building a witness and re-executing a block from one are execution/evm's
// (Executor.Witness, Stateless.Verify). Trie nodes and code are
// content-addressed, so a node or code blob that was tampered with is simply
// not found where the trie looks for it: the witness is self-checking
// against the parent's state root, and headers against the block's parent
// hash. Top-down messages are not: a verifier that does not trust the
// witness's source checks them against the parent chain (the parent gateway's
// queue at the block's parent reference).
package witness
