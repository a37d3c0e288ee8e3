package crypto

import (
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/tyler-smith/go-bip39"
)

// DevMnemonic is the well-known test mnemonic of Hardhat and Anvil. Its keys
// are public: use it only for local networks.
const DevMnemonic = "test test test test test test test test test test test junk"

// ErrMnemonic reports a mnemonic that is not valid BIP-39 English.
var ErrMnemonic = errors.New("crypto: invalid BIP-39 mnemonic")

// DeriveDevKey derives the account key at m/44'/60'/0'/0/index from a BIP-39
// mnemonic with the empty passphrase, the path wallets use for Ethereum.
func DeriveDevKey(mnemonic string, index uint32) (*ecdsa.PrivateKey, error) {
	seed, err := bip39.NewSeedWithErrorChecking(mnemonic, "")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMnemonic, err)
	}
	// The network parameters only select the xprv version bytes, which never
	// leave this function.
	key, err := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
	if err != nil {
		return nil, fmt.Errorf("crypto: bip32 master key: %w", err)
	}
	const hardened = hdkeychain.HardenedKeyStart
	for _, i := range []uint32{44 + hardened, 60 + hardened, 0 + hardened, 0, index} {
		// Derive (not DeriveNonStandard) follows BIP-32 exactly, including
		// keys whose private scalar has leading zero bytes.
		key, err = key.Derive(i)
		if err != nil {
			return nil, fmt.Errorf("crypto: bip32 derive m/44'/60'/0'/0/%d: %w", index, err)
		}
	}
	priv, err := key.ECPrivKey()
	if err != nil {
		return nil, fmt.Errorf("crypto: bip32 private key: %w", err)
	}
	k, err := gethcrypto.ToECDSA(priv.Serialize())
	if err != nil {
		return nil, fmt.Errorf("crypto: bip32 private key: %w", err)
	}
	return k, nil
}
