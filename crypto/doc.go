// Package crypto holds the node's key material and signature schemes: account
// keys (secp256k1, kept in go-ethereum keystore v3 files), the deterministic dev
// keys derived from a BIP-39 mnemonic along m/44'/60'/0'/0/i, and validator keys
// (BLS12-381, min-pk, via blst) with signing, proofs of possession and
// same-message aggregation.
//
// quorum.go checks certificates made of one aggregate signature and a signer
// Bitmap over a weighted validator list (checkpoints, commits): VerifyQuorum
// for a one-off check, a KeySet to parse the keys once and verify many.
// aggkey.go sums keys into aggregate keys (a set's aggregate less its
// non-signers' keys checks a certificate) and caches parsed keys (KeyCache).
// sigcache.go remembers the signatures found valid (SigCache), so a message a
// node's gossip gate verified is not verified again by its engine.
//
// It is a leaf: it imports nothing from Aspen, so engines may depend on it.
package crypto
