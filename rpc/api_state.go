package rpc

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// maxStorageSlots bounds eth_getProof and eth_getStorageValues, as geth does.
const maxStorageSlots = 1024

// GetBalance is eth_getBalance.
func (e *ethAPI) GetBalance(addr common.Address, ref *BlockRef) (*hexutil.Big, error) {
	h, err := e.stateHeader(ref)
	if err != nil {
		return nil, err
	}
	bal, err := e.b.Balance(h, addr)
	if err != nil {
		return nil, err
	}
	return (*hexutil.Big)(bigOrZero(bal)), nil
}

// GetTransactionCount is eth_getTransactionCount; at "pending" it counts the
// sender's pooled transactions too.
func (e *ethAPI) GetTransactionCount(addr common.Address, ref *BlockRef) (*hexutil.Uint64, error) {
	if ref != nil && ref.Tag == tagPending {
		n, err := e.b.PoolNonce(addr)
		return (*hexutil.Uint64)(&n), err
	}
	h, err := e.stateHeader(ref)
	if err != nil {
		return nil, err
	}
	n, err := e.b.Nonce(h, addr)
	if err != nil {
		return nil, err
	}
	return (*hexutil.Uint64)(&n), nil
}

// GetCode is eth_getCode.
func (e *ethAPI) GetCode(addr common.Address, ref *BlockRef) (hexutil.Bytes, error) {
	h, err := e.stateHeader(ref)
	if err != nil {
		return nil, err
	}
	code, err := e.b.Code(h, addr)
	if err != nil {
		return nil, err
	}
	if code == nil {
		code = []byte{}
	}
	return code, nil
}

// GetStorageAt is eth_getStorageAt.
func (e *ethAPI) GetStorageAt(addr common.Address, slot string, ref *BlockRef) (hexutil.Bytes, error) {
	key, err := decodeStorageKey(slot)
	if err != nil {
		return nil, err
	}
	h, err := e.stateHeader(ref)
	if err != nil {
		return nil, err
	}
	v, err := e.b.Storage(h, addr, key)
	if err != nil {
		return nil, err
	}
	return v[:], nil
}

// GetStorageValues is eth_getStorageValues: many slots of many accounts at once.
func (e *ethAPI) GetStorageValues(requests map[common.Address][]string, ref *BlockRef) (map[common.Address][]hexutil.Bytes, error) {
	total := 0
	keys := make(map[common.Address][]common.Hash, len(requests))
	for addr, slots := range requests {
		total += len(slots)
		if total > maxStorageSlots {
			return nil, &apiError{codeLimitExceeded, fmt.Sprintf("too many slots (max %d)", maxStorageSlots)}
		}
		for _, s := range slots {
			k, err := decodeStorageKey(s)
			if err != nil {
				return nil, err
			}
			keys[addr] = append(keys[addr], k)
		}
	}
	if total == 0 {
		return nil, invalidParams("empty request: name at least one account and slot")
	}
	h, err := e.stateHeader(ref)
	if err != nil {
		return nil, err
	}
	out := make(map[common.Address][]hexutil.Bytes, len(keys))
	for addr, ks := range keys {
		vals := make([]hexutil.Bytes, len(ks))
		for i, k := range ks {
			v, err := e.b.Storage(h, addr, k)
			if err != nil {
				return nil, err
			}
			vals[i] = v[:]
		}
		out[addr] = vals
	}
	return out, nil
}

type storageResult struct {
	Key   string       `json:"key"`
	Value *hexutil.Big `json:"value"`
	Proof []string     `json:"proof"`
}

type accountResult struct {
	Address      common.Address  `json:"address"`
	AccountProof []string        `json:"accountProof"`
	Balance      *hexutil.Big    `json:"balance"`
	CodeHash     common.Hash     `json:"codeHash"`
	Nonce        hexutil.Uint64  `json:"nonce"`
	StorageHash  common.Hash     `json:"storageHash"`
	StorageProof []storageResult `json:"storageProof"`
}

// GetProof is eth_getProof.
func (e *ethAPI) GetProof(addr common.Address, storageKeys []string, ref *BlockRef) (*accountResult, error) {
	if len(storageKeys) > maxStorageSlots {
		return nil, &apiError{codeLimitExceeded, fmt.Sprintf("too many storage keys (max %d)", maxStorageSlots)}
	}
	keys := make([]common.Hash, len(storageKeys))
	for i, s := range storageKeys {
		k, err := decodeStorageKey(s)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	h, err := e.stateHeader(ref)
	if err != nil {
		return nil, err
	}
	p, err := e.b.Proof(h, addr, keys)
	if err != nil {
		return nil, err
	}
	res := &accountResult{
		Address:      addr,
		AccountProof: nonNil(p.AccountProof),
		Balance:      (*hexutil.Big)(bigOrZero(p.Balance)),
		CodeHash:     p.CodeHash,
		Nonce:        hexutil.Uint64(p.Nonce),
		StorageHash:  p.StorageHash,
		StorageProof: make([]storageResult, len(p.StorageProof)),
	}
	for i, sp := range p.StorageProof {
		key := hexutil.Encode(sp.Key[:])
		if i < len(storageKeys) {
			key = storageKeys[i] // geth echoes the key as the caller wrote it
		}
		res.StorageProof[i] = storageResult{Key: key, Value: (*hexutil.Big)(bigOrZero(sp.Value)), Proof: nonNil(sp.Proof)}
	}
	return res, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// decodeStorageKey parses a 0x-prefixed hex slot of at most 32 bytes,
// left-padding it, as geth accepts "0x0" and full 32-byte keys alike.
func decodeStorageKey(s string) (common.Hash, error) {
	if len(s) < 2 || (s[:2] != "0x" && s[:2] != "0X") {
		return common.Hash{}, invalidParams("invalid storage key %q: want 0x-prefixed hex", s)
	}
	hexPart := s[2:]
	if len(hexPart)%2 == 1 {
		hexPart = "0" + hexPart
	}
	b, err := hexutil.Decode("0x" + hexPart)
	if err != nil && hexPart != "" {
		return common.Hash{}, invalidParams("invalid storage key %q: %v", s, err)
	}
	if len(b) > 32 {
		return common.Hash{}, invalidParams("invalid storage key %q: longer than 32 bytes", s)
	}
	return common.BytesToHash(b), nil
}
