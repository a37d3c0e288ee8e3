package testkeys

import (
	"crypto/ecdsa"
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/crypto"
)

// Keys here are fixed by construction; failing to build one is a bug in
// this package, so the functions panic instead of returning errors.

// DevKey is account i of the standard test mnemonic (crypto.DevMnemonic):
// the accounts `aspen devnet` prefunds, 0xf39F…2266 for i = 0.
func DevKey(i int) *ecdsa.PrivateKey {
	k, err := crypto.DeriveDevKey(crypto.DevMnemonic, uint32(i))
	if err != nil {
		panic(fmt.Sprintf("testkeys: dev account %d: %v", i, err))
	}
	return k
}

// DevAddress is the address of DevKey(i).
func DevAddress(i int) common.Address { return gethcrypto.PubkeyToAddress(DevKey(i).PublicKey) }

// Account is account key i: keccak256 of the big-endian i+1, a valid
// secp256k1 scalar for every i tests use.
func Account(i int) *ecdsa.PrivateKey {
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], uint64(i)+1)
	k, err := gethcrypto.ToECDSA(gethcrypto.Keccak256(seed[:]))
	if err != nil {
		panic(fmt.Sprintf("testkeys: account %d: %v", i, err))
	}
	return k
}

// Address is the address of Account(i).
func Address(i int) common.Address { return gethcrypto.PubkeyToAddress(Account(i).PublicKey) }

// BLS is validator key i (i < 65535): the scalar 1<<248 + i + 1, far below
// the group order and distinct for every i.
func BLS(i int) *crypto.BLSSecretKey {
	b := make([]byte, 32)
	b[0], b[31], b[30] = 1, byte(i+1), byte((i+1)>>8)
	k, err := crypto.BLSSecretKeyFromBytes(b)
	if err != nil {
		panic(fmt.Sprintf("testkeys: BLS key %d: %v", i, err))
	}
	return k
}

// BLSKeys is BLS(0) … BLS(n-1).
func BLSKeys(n int) []*crypto.BLSSecretKey {
	keys := make([]*crypto.BLSSecretKey, n)
	for i := range keys {
		keys[i] = BLS(i)
	}
	return keys
}
