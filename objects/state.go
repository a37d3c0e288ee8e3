package objects

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// StateReader reads the contract account's storage: objectOf, objectsOf
// and the node's RPC need nothing more.
type StateReader interface {
	GetState(slot common.Hash) common.Hash
}

// State is what a call to the contract may do to the chain. execution/evm
// implements it over the EVM's StateDB, so every change is journaled and a
// revert of the call frame undoes it.
type State interface {
	StateReader
	SetState(slot, value common.Hash)
	// Transfer moves amount wei from one account to another; it fails, and
	// changes nothing, if from holds less.
	Transfer(from, to common.Address, amount *big.Int) error
	// AddLog emits a log from Address.
	AddLog(topics []common.Hash, data []byte)
	// BlockNumber is the height of the block being executed.
	BlockNumber() uint64
}

// Call is one call frame into the contract, as the EVM saw it.
type Call struct {
	Caller common.Address // msg.sender
	Value  *big.Int       // msg.value, already credited to Address by the EVM; nil means 0
	Input  []byte
	// ReadOnly is set inside a STATICCALL and for DELEGATECALL and CALLCODE;
	// every function but the views reverts there.
	ReadOnly bool
}

func (c Call) value() *big.Int {
	if c.Value == nil {
		return new(big.Int)
	}
	return c.Value
}

// readOnly lets the store run over a StateReader for the views: a view
// that tried to write would panic, which is a bug in this package.
type readOnly struct{ StateReader }

func (readOnly) SetState(common.Hash, common.Hash) {
	panic("objects: a view wrote to the state")
}
