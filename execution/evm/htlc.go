package evm

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/htlc"
)

// The HTLC swap contract as a system contract (system.go). It calls ERC-20
// tokens from its own address (htlcState.CallContract), as the gateway
// calls delivered messages.

var htlcAccount = sysAccount{
	name:  "ASPEN_HTLC",
	label: "HTLC",
	addr:  htlc.Address,
	funds: errors.New("evm: htlc transfer exceeds the sender's balance"),
}

// htlcBinding runs the HTLC contract in the adapter.
type htlcBinding struct{ c *htlc.Contract }

func (b htlcBinding) requiredGas(st sysState, c sysCall) uint64 {
	return b.c.RequiredGas(htlcState{st}, htlc.Call(c))
}

func (b htlcBinding) run(st sysState, c sysCall) ([]byte, error) {
	return b.c.Run(htlcState{st}, htlc.Call(c))
}

// htlcState is htlc.State over the EVM's StateDB: every change, token calls
// included, is journaled, so a reverted frame undoes it.
type htlcState struct{ sysState }

var _ htlc.State = htlcState{}

func (s htlcState) CallContract(to common.Address, data []byte, gas uint64, readOnly bool) ([]byte, error) {
	budget := vm.NewGasBudget(gas, 0)
	if readOnly {
		ret, _, err := s.evm.StaticCall(htlc.Address, to, data, budget)
		return ret, err
	}
	ret, _, err := s.evm.Call(htlc.Address, to, data, budget, new(uint256.Int))
	return ret, err
}
