package evm

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/htlc"
)

// The HTLC swap contract as a stateful precompile, installed by newEVM next
// to the gateway and bound to the same frame stack (gateway.go explains
// why a precompile needs one). It calls ERC-20 tokens from its own address
// (htlcState.CallContract), as the gateway calls delivered messages.

// htlcCode is the HTLC account's code; like gatewayCode it never runs.
var htlcCode = []byte{byte(vm.INVALID)}

// htlcPrecompile adapts htlc.Contract to vm.PrecompiledContract for one
// EVM. Not cacheable: its results depend on state.
type htlcPrecompile struct {
	c      *htlc.Contract
	frames *frames
	evm    *vm.EVM
}

var _ vm.PrecompiledContract = (*htlcPrecompile)(nil)

func (p *htlcPrecompile) Name() string { return "ASPEN_HTLC" }

// call is the contract's view of the current frame.
func (p *htlcPrecompile) call(input []byte) htlc.Call {
	n := len(p.frames.stack)
	if n == 0 || p.frames.stack[n-1].to != htlc.Address {
		return htlc.Call{Input: input, ReadOnly: true}
	}
	f := p.frames.stack[n-1]
	return htlc.Call{Caller: f.from, Value: f.value, Input: input,
		ReadOnly: f.static || f.typ == vm.DELEGATECALL || f.typ == vm.CALLCODE}
}

func (p *htlcPrecompile) RequiredGas(input []byte) uint64 {
	return p.c.RequiredGas(htlcState{p.evm}, p.call(input))
}

func (p *htlcPrecompile) Run(input []byte) ([]byte, error) {
	ret, err := p.c.Run(htlcState{p.evm}, p.call(input))
	if err != nil {
		return ret, vm.ErrExecutionReverted
	}
	return ret, nil
}

// htlcState is htlc.State over the EVM's StateDB: every change, token calls
// included, is journaled, so a reverted frame undoes it.
type htlcState struct{ evm *vm.EVM }

var _ htlc.State = htlcState{}

func (s htlcState) GetState(slot common.Hash) common.Hash {
	return s.evm.StateDB.GetState(htlc.Address, slot)
}

func (s htlcState) SetState(slot, value common.Hash) {
	s.evm.StateDB.SetState(htlc.Address, slot, value)
}

var errHTLCFunds = errors.New("evm: htlc transfer exceeds the sender's balance")

func (s htlcState) Transfer(from, to common.Address, amount *big.Int) error {
	amt, overflow := uint256.FromBig(amount)
	if overflow || amount.Sign() < 0 || s.evm.StateDB.GetBalance(from).Cmp(amt) < 0 {
		return fmt.Errorf("%w: %s wei from %s", errHTLCFunds, amount, from)
	}
	s.evm.StateDB.SubBalance(from, amt, tracing.BalanceChangeTransfer)
	s.evm.StateDB.AddBalance(to, amt, tracing.BalanceChangeTransfer)
	return nil
}

func (s htlcState) AddLog(topics []common.Hash, data []byte) {
	s.evm.StateDB.AddLog(&gethtypes.Log{
		Address:     htlc.Address,
		Topics:      topics,
		Data:        data,
		BlockNumber: s.evm.Context.BlockNumber.Uint64(),
	})
}

func (s htlcState) BlockTime() uint64 { return s.evm.Context.Time }

func (s htlcState) CodeSize(addr common.Address) int { return s.evm.StateDB.GetCodeSize(addr) }

func (s htlcState) CallContract(to common.Address, data []byte, gas uint64, readOnly bool) ([]byte, error) {
	budget := vm.NewGasBudget(gas, 0)
	if readOnly {
		ret, _, err := s.evm.StaticCall(htlc.Address, to, data, budget)
		return ret, err
	}
	ret, _, err := s.evm.Call(htlc.Address, to, data, budget, new(uint256.Int))
	return ret, err
}

// checkHTLCAlloc refuses a genesis that puts an account at the HTLC's address.
func checkHTLCAlloc(gen *config.Genesis) error {
	if _, ok := gen.Alloc[htlc.Address]; ok {
		return fmt.Errorf("%w: alloc must not include the HTLC address %s", config.ErrInvalidGenesis, htlc.Address)
	}
	return nil
}
