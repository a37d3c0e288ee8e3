package evm

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/htlc"
	"github.com/aspen-chain/aspen/types"
)

// The gateway as a stateful precompile.
//
// go-ethereum gives a precompile only its input. The gateway also needs
// msg.sender, msg.value, whether it runs under a STATICCALL, and the state;
// so every EVM this package makes gets its own gatewayPrecompile, bound to
// that EVM, and tracing hooks (OnEnter/OnExit only) that keep a stack of call
// frames. OnEnter of the gateway's own frame fires before the EVM charges
// RequiredGas and calls Run, so the top of the stack is that frame.
//
// Cost: with any tracer installed, go-ethereum 1.17 runs contract code in its
// table-walking interpreter loop instead of the generated fast path
// (interpreter.go: execTraced), and every call frame pays the hooks and a
// big.Int copy of its value. Measured on 2 shared cores, alternating the
// binaries of the commits before and after, 4 runs of 30 blocks each:
// BenchmarkBuildTransfers 3-10% slower (one pair 40%, load noise),
// BenchmarkBuildContractMix 0-9% slower.

// gatewayCode is the gateway account's code. It never runs (the precompile
// answers first), but Solidity refuses to call an address without code for
// functions that return nothing.
var gatewayCode = []byte{byte(vm.INVALID)}

// frame is one call frame as OnEnter reported it.
type frame struct {
	typ    vm.OpCode
	from   common.Address
	to     common.Address
	value  *big.Int
	static bool // this frame or one of its callers is a STATICCALL
}

// frames is the call stack of one EVM.
type frames struct{ stack []frame }

func (f *frames) enter(depth int, typ byte, from, to common.Address, value *big.Int) {
	if depth == 0 && !f.gatewayCalling(from) {
		f.stack = f.stack[:0] // a new message: nothing of the last one survives
	}
	op := vm.OpCode(typ)
	static := op == vm.STATICCALL
	if n := len(f.stack); n > 0 && f.stack[n-1].static {
		static = true
	}
	f.stack = append(f.stack, frame{typ: op, from: from, to: to, value: value, static: static})
}

// gatewayCalling reports whether a call from `from` is the gateway running a
// delivered cross-message call (gatewayState.CallContract) or the HTLC
// contract calling a token (htlcState.CallContract). A precompile runs at
// its caller's depth, so when a transaction calls one directly that call
// also enters at depth 0, and must not wipe the stack.
func (f *frames) gatewayCalling(from common.Address) bool {
	n := len(f.stack)
	return (from == gateway.Address || from == htlc.Address) && n > 0 && f.stack[n-1].to == from
}

func (f *frames) exit() {
	if n := len(f.stack); n > 0 {
		f.stack = f.stack[:n-1]
	}
}

// hooks returns base (which may be nil) with the frame tracking added.
func (f *frames) hooks(base *tracing.Hooks) *tracing.Hooks {
	h := &tracing.Hooks{}
	if base != nil {
		*h = *base
	}
	// EmitEnter and EmitExit call the V2 hook instead of the V1 hook when both
	// are set, so wrap whichever base uses.
	if next := h.OnEnterV2; next != nil {
		h.OnEnterV2 = func(depth int, typ byte, from, to common.Address, input []byte, gas tracing.Gas, value *big.Int) {
			f.enter(depth, typ, from, to, value)
			next(depth, typ, from, to, input, gas, value)
		}
	} else {
		next := h.OnEnter
		h.OnEnter = func(depth int, typ byte, from, to common.Address, input []byte, gas uint64, value *big.Int) {
			f.enter(depth, typ, from, to, value)
			if next != nil {
				next(depth, typ, from, to, input, gas, value)
			}
		}
	}
	if next := h.OnExitV2; next != nil {
		h.OnExitV2 = func(depth int, output []byte, gasLeft tracing.Gas, err error, reverted bool) {
			f.exit()
			next(depth, output, gasLeft, err, reverted)
		}
	} else {
		next := h.OnExit
		h.OnExit = func(depth int, output []byte, gasUsed uint64, err error, reverted bool) {
			f.exit()
			if next != nil {
				next(depth, output, gasUsed, err, reverted)
			}
		}
	}
	return h
}

// gatewayPrecompile adapts the gateway to vm.PrecompiledContract for one
// EVM. It is not a vm.CacheablePrecompile: its results depend on state.
type gatewayPrecompile struct {
	gw     *gateway.Gateway
	frames *frames
	evm    *vm.EVM
}

var _ vm.PrecompiledContract = (*gatewayPrecompile)(nil)

func (p *gatewayPrecompile) Name() string { return "ASPEN_GATEWAY" }

// call is the gateway's view of the current frame.
func (p *gatewayPrecompile) call(input []byte) gateway.Call {
	n := len(p.frames.stack)
	if n == 0 || p.frames.stack[n-1].to != gateway.Address {
		// Not reachable through the EVM's call paths; refuse to change state.
		return gateway.Call{Input: input, ReadOnly: true}
	}
	f := p.frames.stack[n-1]
	return gateway.Call{
		Caller: f.from,
		Value:  f.value,
		Input:  input,
		// Under DELEGATECALL and CALLCODE the gateway's address, storage and
		// balance are not what the caller addressed, and CALLCODE's value
		// stays with the caller.
		ReadOnly: f.static || f.typ == vm.DELEGATECALL || f.typ == vm.CALLCODE,
	}
}

func (p *gatewayPrecompile) RequiredGas(input []byte) uint64 {
	return p.gw.RequiredGas(gatewayState{p.evm}, p.call(input))
}

func (p *gatewayPrecompile) Run(input []byte) ([]byte, error) {
	ret, err := p.gw.Run(gatewayState{p.evm}, p.call(input))
	if err != nil {
		// The EVM keeps the returned data and the remaining gas only for this
		// error, and rolls back the frame's state changes.
		return ret, vm.ErrExecutionReverted
	}
	return ret, nil
}

// gatewayState is gateway.State over the EVM's StateDB: every change is
// journaled, so a reverted frame undoes it.
type gatewayState struct{ evm *vm.EVM }

var _ gateway.State = gatewayState{}

func (s gatewayState) GetState(slot common.Hash) common.Hash {
	return s.evm.StateDB.GetState(gateway.Address, slot)
}

func (s gatewayState) SetState(slot, value common.Hash) {
	s.evm.StateDB.SetState(gateway.Address, slot, value)
}

func (s gatewayState) Balance(addr common.Address) *big.Int {
	return s.evm.StateDB.GetBalance(addr).ToBig()
}

var errGatewayFunds = errors.New("evm: gateway transfer exceeds the sender's balance")

func (s gatewayState) Transfer(from, to common.Address, amount *big.Int) error {
	amt, overflow := uint256.FromBig(amount)
	if overflow || amount.Sign() < 0 || s.evm.StateDB.GetBalance(from).Cmp(amt) < 0 {
		return fmt.Errorf("%w: %s wei from %s", errGatewayFunds, amount, from)
	}
	s.evm.StateDB.SubBalance(from, amt, tracing.BalanceChangeTransfer)
	s.evm.StateDB.AddBalance(to, amt, tracing.BalanceChangeTransfer)
	return nil
}

func (s gatewayState) AddLog(topics []common.Hash, data []byte) {
	// StateDB.AddLog fills the transaction hash, index and log index.
	s.evm.StateDB.AddLog(&gethtypes.Log{
		Address:     gateway.Address,
		Topics:      topics,
		Data:        data,
		BlockNumber: s.evm.Context.BlockNumber.Uint64(),
	})
}

func (s gatewayState) BlockNumber() uint64 { return s.evm.Context.BlockNumber.Uint64() }

var _ gateway.Clock = gatewayState{}

// BlockTime is the block's time in seconds (TIMESTAMP).
func (s gatewayState) BlockTime() uint64 { return s.evm.Context.Time }

var _ gateway.ContractCaller = gatewayState{}

// CallContract runs a delivered cross-message call: a CALL from the gateway
// to `to`, inside the gateway's own frame, so its state changes and logs are
// part of the transaction (or block) delivering it and are undone if it fails.
func (s gatewayState) CallContract(to common.Address, data []byte, value *big.Int, gas uint64) ([]byte, uint64, error) {
	amt, overflow := uint256.FromBig(value)
	if overflow || value.Sign() < 0 {
		return nil, 0, fmt.Errorf("%w: value %s", errGatewayFunds, value)
	}
	budget := vm.NewGasBudget(gas, 0)
	ret, left, err := s.evm.Call(gateway.Address, to, data, budget, amt)
	if errors.Is(err, vm.ErrDepth) {
		err = fmt.Errorf("%w: %w", gateway.ErrCallTooDeep, err)
	}
	return ret, left.Used(budget), err
}

var _ gateway.Burner = gatewayState{}

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

// newEVM makes an EVM with the gateway and the HTLC contract installed and
// bound to it.
func (e *Executor) newEVM(ctx vm.BlockContext, statedb vm.StateDB, cfg vm.Config) *vm.EVM {
	p := &gatewayPrecompile{gw: e.gateway, frames: &frames{}}
	cfg.Tracer = p.frames.hooks(cfg.Tracer)
	evm := vm.NewEVM(ctx, statedb, e.config, cfg)
	p.evm = evm
	h := &htlcPrecompile{c: e.htlc, frames: p.frames, evm: evm}
	pcs := make(vm.PrecompiledContracts, len(e.precompiles)+2)
	for addr, c := range e.precompiles {
		pcs[addr] = c
	}
	pcs[gateway.Address] = p
	pcs[htlc.Address] = h
	evm.SetPrecompiles(pcs)
	return evm
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
	return committedGateway{gatewayReader{sdb}, sdb}, nil
}

// committedGateway is the gateway's storage after a committed block.
type committedGateway struct {
	gatewayReader
	sdb *state.StateDB
}

// StorageRoot is the root hash of the gateway's storage.
func (g committedGateway) StorageRoot() common.Hash { return g.sdb.GetStorageRoot(gateway.Address) }

type gatewayReader struct{ db vm.StateDB }

func (r gatewayReader) GetState(slot common.Hash) common.Hash {
	return r.db.GetState(gateway.Address, slot)
}
