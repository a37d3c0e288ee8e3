// Package registry is the private registry system contract of a private
// subnet (docs/PRIVACY.md, docs/IPrivate.sol): participants register their
// X25519 encryption keys with their account, senders submit encrypted
// envelopes, recipients' nodes submit signed confirmations, and the
// contract is the mediator: it commits an envelope when every recipient
// confirmed the same resulting state hash by its deadline and rejects it
// otherwise (a reject, a disagreeing hash, or expire after the deadline).
//
// It runs the key-free checks of package private on every envelope (size,
// structure, chain and subnet, sender signature, per-sender nonce) and keeps
// only the round of mediation in storage; the envelope itself, ciphertext
// only, lives in the EnvelopeSubmitted log. On a public chain every call
// reverts.
package registry
