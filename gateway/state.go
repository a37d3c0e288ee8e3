package gateway

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// StateReader reads the gateway account's storage. Readers such as
// ReadSubnet need nothing more, so a node can serve them from any committed
// state (execution/evm's GatewayState).
type StateReader interface {
	GetState(slot common.Hash) common.Hash
}

// State is what a call to the gateway may do to the chain. execution/evm
// implements it over the EVM's StateDB, so every change is journaled and a
// revert of the call frame undoes it.
type State interface {
	StateReader
	SetState(slot, value common.Hash)
	// Balance is addr's balance in wei.
	Balance(addr common.Address) *big.Int
	// Transfer moves amount wei from one account to another; it fails, and
	// changes nothing, if from holds less.
	Transfer(from, to common.Address, amount *big.Int) error
	// AddLog emits a log from the gateway address.
	AddLog(topics []common.Hash, data []byte)
	// BlockNumber is the height of the block being executed.
	BlockNumber() uint64
}

// Call is one call frame into the gateway, as the EVM saw it.
type Call struct {
	Caller common.Address // msg.sender: a wallet or a contract
	Value  *big.Int       // msg.value, already credited to Address by the EVM; nil means 0
	Input  []byte
	// ReadOnly is set inside a STATICCALL (at any depth below it) and for
	// DELEGATECALL and CALLCODE, where the gateway's own storage and balance
	// are not what the caller addressed. State-changing functions revert.
	ReadOnly bool
}

func (c Call) value() *big.Int {
	if c.Value == nil {
		return new(big.Int)
	}
	return c.Value
}
