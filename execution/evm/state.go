package evm

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/state"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// stateAt opens the state after header; nil means the head ("pending" has no
// transactions of its own here: the mempool's next block is not simulated).
func (e *Executor) stateAt(header *types.Header) (*state.StateDB, *types.Header, error) {
	if header == nil {
		header = e.Head()
	}
	sdb, err := state.New(header.StateRoot, e.statedb)
	if err != nil {
		return nil, nil, fmt.Errorf("evm: state of block %d is not available: %w", header.Height, err)
	}
	return sdb, header, nil
}

// Balance is addr's balance after header (nil: head).
func (e *Executor) Balance(header *types.Header, addr common.Address) (*big.Int, error) {
	sdb, _, err := e.stateAt(header)
	if err != nil {
		return nil, err
	}
	return sdb.GetBalance(addr).ToBig(), sdb.Error()
}

// Nonce is addr's nonce after header (nil: head).
func (e *Executor) Nonce(header *types.Header, addr common.Address) (uint64, error) {
	sdb, _, err := e.stateAt(header)
	if err != nil {
		return 0, err
	}
	return sdb.GetNonce(addr), sdb.Error()
}

// Code is addr's code after header (nil: head).
func (e *Executor) Code(header *types.Header, addr common.Address) ([]byte, error) {
	sdb, _, err := e.stateAt(header)
	if err != nil {
		return nil, err
	}
	return sdb.GetCode(addr), sdb.Error()
}

// Storage is one storage slot of addr after header (nil: head).
func (e *Executor) Storage(header *types.Header, addr common.Address, slot common.Hash) (common.Hash, error) {
	sdb, _, err := e.stateAt(header)
	if err != nil {
		return common.Hash{}, err
	}
	return sdb.GetState(addr, slot), sdb.Error()
}

// proofList collects trie proof nodes as eth_getProof prints them.
type proofList []string

func (n *proofList) Put(key []byte, value []byte) error {
	*n = append(*n, hexutil.Encode(value))
	return nil
}

func (n *proofList) Delete(key []byte) error { panic("evm: proofList is append-only") }

// Proof is the eth_getProof result for addr and slots after header (nil: head).
func (e *Executor) Proof(header *types.Header, addr common.Address, slots []common.Hash) (*execution.AccountProof, error) {
	sdb, header, err := e.stateAt(header)
	if err != nil {
		return nil, err
	}
	tr, err := e.statedb.OpenTrie(header.StateRoot)
	if err != nil {
		return nil, err
	}
	var accountProof proofList
	if err := tr.Prove(crypto.Keccak256(addr.Bytes()), &accountProof); err != nil {
		return nil, err
	}
	res := &execution.AccountProof{
		Address:      addr,
		AccountProof: accountProof,
		Balance:      sdb.GetBalance(addr).ToBig(),
		CodeHash:     gethtypes.EmptyCodeHash,
		Nonce:        sdb.GetNonce(addr),
		StorageHash:  gethtypes.EmptyRootHash,
		StorageProof: make([]execution.StorageProof, len(slots)),
	}
	if sdb.Exist(addr) {
		res.CodeHash = sdb.GetCodeHash(addr)
		res.StorageHash = sdb.GetStorageRoot(addr)
	}
	var storageTrie state.Trie
	if res.StorageHash != gethtypes.EmptyRootHash {
		if storageTrie, err = e.statedb.OpenStorageTrie(header.StateRoot, addr, res.StorageHash, tr); err != nil {
			return nil, err
		}
	}
	for i, slot := range slots {
		sp := execution.StorageProof{Key: slot, Value: new(big.Int), Proof: []string{}}
		if storageTrie != nil {
			var p proofList
			if err := storageTrie.Prove(crypto.Keccak256(slot.Bytes()), &p); err != nil {
				return nil, err
			}
			sp.Proof = p
			sp.Value = sdb.GetState(addr, slot).Big()
		}
		res.StorageProof[i] = sp
	}
	return res, sdb.Error()
}

// Accounts reads accounts of the state after one header. Unlike the
// per-call queries above it opens the state once, and it is safe for
// concurrent use: the mempool reads every pooled sender's nonce and balance
// through one after each block, from several goroutines.
type Accounts struct{ r state.Reader }

// AccountsAt opens the account reader of the state after header (nil: head).
func (e *Executor) AccountsAt(header *types.Header) (*Accounts, error) {
	if header == nil {
		header = e.Head()
	}
	r, err := e.statedb.Reader(header.StateRoot)
	if err != nil {
		return nil, fmt.Errorf("evm: state of block %d is not available: %w", header.Height, err)
	}
	return &Accounts{r}, nil
}

// Nonce is addr's nonce; 0 for an absent account or on a read error.
func (a *Accounts) Nonce(addr common.Address) uint64 {
	acc, err := a.r.Account(addr)
	if err != nil || acc == nil {
		return 0
	}
	return acc.Nonce
}

// Balance is addr's balance in wei; 0 for an absent account or on a read error.
func (a *Accounts) Balance(addr common.Address) *big.Int {
	acc, err := a.r.Account(addr)
	if err != nil || acc == nil || acc.Balance == nil {
		return new(big.Int)
	}
	return acc.Balance.ToBig()
}
