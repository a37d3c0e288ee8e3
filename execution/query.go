package execution

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
)

// CallArgs is an eth_call / eth_estimateGas / eth_createAccessList request,
// already parsed and defaulted by the RPC layer.
type CallArgs struct {
	From                 common.Address
	To                   *common.Address
	Gas                  uint64 // 0: the backend's cap
	GasPrice             *big.Int
	MaxFeePerGas         *big.Int
	MaxPriorityFeePerGas *big.Int
	Value                *big.Int
	Data                 []byte
	Nonce                *uint64
	AccessList           gethtypes.AccessList
	AuthorizationList    []gethtypes.SetCodeAuthorization
}

// Override is one account's eth_call state override.
type Override struct {
	Nonce     *uint64
	Code      []byte // nil: keep
	Balance   *big.Int
	State     map[common.Hash]common.Hash // replaces all storage
	StateDiff map[common.Hash]common.Hash // patches storage
}

// CallResult is the outcome of an eth_call.
type CallResult struct {
	ReturnData []byte
	UsedGas    uint64
	// Err is the EVM error (execution reverted, out of gas, …); nil on success.
	// When the call reverted, ReturnData holds the revert data.
	Err error
}

// AccountProof is the eth_getProof result.
type AccountProof struct {
	Address      common.Address
	AccountProof []string
	Balance      *big.Int
	CodeHash     common.Hash
	Nonce        uint64
	StorageHash  common.Hash
	StorageProof []StorageProof
}

// StorageProof is one storage slot's proof in an AccountProof.
type StorageProof struct {
	Key   common.Hash
	Value *big.Int
	Proof []string
}
