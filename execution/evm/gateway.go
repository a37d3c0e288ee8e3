package evm

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// The gateway as a system contract (system.go): its account, its binding,
// and what its state does beyond sysState — delivered calls and burns.

var gatewayAccount = sysAccount{
	name:  "ASPEN_GATEWAY",
	label: "gateway",
	addr:  gateway.Address,
	funds: errors.New("evm: gateway transfer exceeds the sender's balance"),
}

// gatewayBinding runs the gateway in the adapter.
type gatewayBinding struct{ gw *gateway.Gateway }

func (b gatewayBinding) requiredGas(st sysState, c sysCall) uint64 {
	return b.gw.RequiredGas(gatewayState{st}, gateway.Call(c))
}

func (b gatewayBinding) run(st sysState, c sysCall) ([]byte, error) {
	return b.gw.Run(gatewayState{st}, gateway.Call(c))
}

// gatewayState is gateway.State over the EVM's StateDB: every change is
// journaled, so a reverted frame undoes it.
type gatewayState struct{ sysState }

// newGatewayState is the gateway's state in evm outside a call frame (the
// block's top-down work).
func newGatewayState(evm *vm.EVM) gatewayState {
	return gatewayState{sysState{evm: evm, acct: &gatewayAccount}}
}

var (
	_ gateway.State          = gatewayState{}
	_ gateway.Clock          = gatewayState{}
	_ gateway.ContractCaller = gatewayState{}
	_ gateway.Burner         = gatewayState{}
	_ gateway.BlockHasher    = gatewayState{}
)

// CallContract runs a delivered cross-message call: a CALL from the gateway
// to `to`, inside the gateway's own frame, so its state changes and logs are
// part of the transaction (or block) delivering it and are undone if it fails.
func (s gatewayState) CallContract(to common.Address, data []byte, value *big.Int, gas uint64) ([]byte, uint64, error) {
	amt, overflow := uint256.FromBig(value)
	if overflow || value.Sign() < 0 {
		return nil, 0, fmt.Errorf("%w: value %s", gatewayAccount.funds, value)
	}
	budget := vm.NewGasBudget(gas, 0)
	ret, left, err := s.evm.Call(gateway.Address, to, data, budget, amt)
	if errors.Is(err, vm.ErrDepth) {
		err = fmt.Errorf("%w: %w", gateway.ErrCallTooDeep, err)
	}
	return ret, left.Used(budget), err
}

var errGatewayBurn = errors.New("evm: gateway burn exceeds its balance")

// Burn destroys amount wei of the gateway's balance: value leaving for the
// parent chain, which pays it out when it applies this chain's checkpoint.
func (s gatewayState) Burn(amount *big.Int) error {
	amt, overflow := uint256.FromBig(amount)
	if overflow || amount.Sign() < 0 || s.evm.StateDB.GetBalance(gateway.Address).Cmp(amt) < 0 {
		return fmt.Errorf("%w: %s wei", errGatewayBurn, amount)
	}
	s.evm.StateDB.SubBalance(gateway.Address, amt, tracing.BalanceChangeUnspecified)
	return nil
}

// GatewayState is a read-only view of the gateway's storage after header
// (nil: head), for gateway.ReadSubnet, ReadChildren, ReadTopDown and
// ReadChildGenesis. Use it from one goroutine. It also has StorageRoot:
// the root hash of the gateway's storage, which names all of it, so a
// caller may keep what it read from one state for any state of the same
// root.
func (e *Executor) GatewayState(header *types.Header) (gateway.StateReader, error) {
	sdb, _, err := e.stateAt(header)
	if err != nil {
		return nil, err
	}
	return committedGateway{storageReader{sdb, gateway.Address}, sdb}, nil
}

// committedGateway is the gateway's storage after a committed block.
type committedGateway struct {
	storageReader
	sdb *state.StateDB
}

// StorageRoot is the root hash of the gateway's storage.
func (g committedGateway) StorageRoot() common.Hash { return g.sdb.GetStorageRoot(gateway.Address) }
