package htlc

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// StateReader reads the contract account's storage; ReadSwap needs nothing
// more, so a node or a test can read swaps from any committed state.
type StateReader interface {
	GetState(slot common.Hash) common.Hash
}

// State is what a call to the contract may do to the chain. execution/evm
// implements it over the EVM's StateDB, so every change is journaled and a
// revert of the call frame undoes it, token calls included.
type State interface {
	StateReader
	SetState(slot, value common.Hash)
	// Transfer moves amount wei from one account to another; it fails, and
	// changes nothing, if from holds less.
	Transfer(from, to common.Address, amount *big.Int) error
	// AddLog emits a log from Address.
	AddLog(topics []common.Hash, data []byte)
	// BlockTime is the block's time in unix seconds (TIMESTAMP).
	BlockTime() uint64
	// CodeSize is the size of addr's code: a call to an account without
	// code succeeds and returns nothing, which must not pass for a token.
	CodeSize(addr common.Address) int
	// CallContract calls `to` from Address with data under gas; readOnly
	// makes it a STATICCALL. A reverted or failed call returns an error.
	CallContract(to common.Address, data []byte, gas uint64, readOnly bool) ([]byte, error)
}

// Call is one call frame into the contract, as the EVM saw it.
type Call struct {
	Caller common.Address // msg.sender
	Value  *big.Int       // msg.value, already credited to Address by the EVM; nil means 0
	Input  []byte
	// ReadOnly is set inside a STATICCALL and for DELEGATECALL and CALLCODE;
	// lock, claim and refund revert there.
	ReadOnly bool
}

func (c Call) value() *big.Int {
	if c.Value == nil {
		return new(big.Int)
	}
	return c.Value
}
