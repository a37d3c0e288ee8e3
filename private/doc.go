// Package private holds the pure parts of private subnets (docs/PRIVACY.md):
// the envelope a private transaction travels in, the mediator that decides
// it, and the commitments participants post of the state they share.
//
// A participant seals a payload (an ordinary signed Ethereum transaction) to
// its recipients' X25519 keys: a fresh seed gives an AES-256-GCM content key,
// the seed is wrapped to each recipient with RFC 9180 HPKE (Go's crypto/hpke:
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM), and the sender signs
// the whole envelope with its secp256k1 account key. Validators see and order
// only the envelope: header, wrapped keys, ciphertext (envelope.go, seal.go).
// Open names the way a tampered envelope was altered; a ReplayGuard admits
// each sender's nonces once and in order (replay.go).
//
// The Mediator (mediator.go) is a deterministic state machine fed blocks'
// signed Confirmations (confirmation.go): commit when every recipient
// confirmed the same resulting-state hash by the deadline height, reject
// otherwise, each envelope exactly once. CommitSharedState (commitment.go)
// hashes the state two participants share so their periodic commitments can
// be compared.
//
// No I/O, no clock: the node, RPC and gateway key registry sit above it.
package private
