// Package crypto holds the node's key material and signature schemes: account
// keys (secp256k1, kept in go-ethereum keystore v3 files), the deterministic dev
// keys derived from a BIP-39 mnemonic along m/44'/60'/0'/0/i, and validator keys
// (BLS12-381, min-pk, via blst) with signing, proofs of possession and
// same-message aggregation.
//
// It is a leaf: it imports nothing from Aspen, so engines may depend on it.
package crypto
