package light

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb/memorydb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// Bounds on proofs before they are used: a Merkle-Patricia path is at most
// 64 nibbles deep, a node at most 17 hashes.
const (
	maxProofNodes    = 64
	maxProofNodeSize = 600
	maxStorageSlots  = 64
)

// Account is an account's state, proven against a state root.
type Account struct {
	Nonce       uint64
	Balance     *big.Int
	StorageRoot common.Hash
	CodeHash    common.Hash
}

// proveValue verifies a Merkle-Patricia proof of key under root: the value
// stored, or nil for a proof that the key is absent.
func proveValue(root common.Hash, key []byte, proof []hexutil.Bytes) ([]byte, error) {
	if len(proof) > maxProofNodes {
		return nil, fmt.Errorf("%w: proof of %d nodes, more than %d", ErrStateProof, len(proof), maxProofNodes)
	}
	db := memorydb.New()
	for _, n := range proof {
		if len(n) > maxProofNodeSize {
			return nil, fmt.Errorf("%w: proof node of %d bytes", ErrStateProof, len(n))
		}
		if err := db.Put(crypto.Keccak256(n), n); err != nil {
			return nil, err
		}
	}
	v, err := trie.VerifyProof(root, key, db)
	if err != nil {
		return nil, fmt.Errorf("%w: against root %s: %v", ErrStateProof, root, err)
	}
	return v, nil
}

// proveAccount verifies addr's account under a state root.
func proveAccount(root common.Hash, addr common.Address, proof []hexutil.Bytes) (*Account, error) {
	v, err := proveValue(root, crypto.Keccak256(addr.Bytes()), proof)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", addr, err)
	}
	if v == nil {
		return &Account{Balance: new(big.Int), StorageRoot: gethtypes.EmptyRootHash, CodeHash: gethtypes.EmptyCodeHash}, nil
	}
	var acc gethtypes.StateAccount
	if err := rlp.DecodeBytes(v, &acc); err != nil {
		return nil, fmt.Errorf("%w: account %s: %v", ErrStateProof, addr, err)
	}
	return &Account{Nonce: acc.Nonce, Balance: acc.Balance.ToBig(), StorageRoot: acc.Root, CodeHash: common.BytesToHash(acc.CodeHash)}, nil
}

// proveStorage verifies a storage slot's value under an account's storage root.
func proveStorage(storageRoot, slot common.Hash, proof []hexutil.Bytes) (common.Hash, error) {
	if storageRoot == gethtypes.EmptyRootHash {
		return common.Hash{}, nil // nothing stored: nothing to prove
	}
	v, err := proveValue(storageRoot, crypto.Keccak256(slot.Bytes()), proof)
	if err != nil {
		return common.Hash{}, fmt.Errorf("slot %s: %w", slot, err)
	}
	if v == nil {
		return common.Hash{}, nil
	}
	_, content, _, err := rlp.Split(v)
	if err != nil || len(content) > 32 {
		return common.Hash{}, fmt.Errorf("%w: slot %s holds a malformed value", ErrStateProof, slot)
	}
	return common.BytesToHash(content), nil
}
