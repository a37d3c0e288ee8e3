// Package testkeys holds the deterministic keys tests across packages use:
// the dev accounts of the standard test mnemonic, account keys by index and
// BLS validator keys by index. One derivation each, so that a key named in
// one package's test is the same key in another's, and runs are
// reproducible byte for byte. Only tests import it.
package testkeys
