// Package light verifies chain data from the root's genesis down, so a user
// needs to trust no RPC node: root headers by their commit certificates
// (skipping ahead when enough of the stake it already trusts signed, else
// bisecting to the block that changed the validator set), a subnet's state
// root through the checkpoints its parent committed (a storage proof of the
// parent gateway's word against a state root already verified), accounts and
// storage through eth_getProof against that root, and cross-subnet messages
// through aspen_getCrossMsgProof against a checkpoint the parent committed.
//
// Everything a server sends is bounded in size and time and checked before
// it is used; an answer that cannot be verified is an error, never a result.
// What was verified is kept on disk (Store) and the client resumes from it.
// docs/LIGHT.md describes the protocol and its trust assumptions.
package light
