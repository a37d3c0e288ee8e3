package evm

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/config"
)

// System contracts as stateful precompiles.
//
// A system contract is plain Go at a fixed address (the gateway, the HTLC
// contract, the objects manager). go-ethereum gives a precompile only its
// input. A system contract also needs msg.sender, msg.value, whether it runs
// under a STATICCALL, and the state; so every EVM this package makes gets
// one sysPrecompile per system contract, bound to that EVM, and tracing
// hooks (OnEnter/OnExit only) that keep a stack of call frames shared by
// all of them. OnEnter of the contract's own frame fires before the EVM
// charges RequiredGas and calls Run, so the top of the stack is that frame.
//
// Cost: with any tracer installed, go-ethereum 1.17 runs contract code in its
// table-walking interpreter loop instead of the generated fast path
// (interpreter.go: execTraced), and every call frame pays the hooks and a
// big.Int copy of its value. Measured on 2 shared cores, alternating the
// binaries of the commits before and after, 4 runs of 30 blocks each:
// BenchmarkBuildTransfers 3-10% slower (one pair 40%, load noise),
// BenchmarkBuildContractMix 0-9% slower.

// sysAccount is one system contract's account.
type sysAccount struct {
	name  string         // the precompile's name
	label string         // how errors name it
	addr  common.Address // the same on every chain
	funds error          // wrapped by a Transfer the payer cannot cover
}

// systemCode is every system account's code. It never runs (the precompile
// answers first), but Solidity refuses to call an address without code for
// functions that return nothing.
var systemCode = []byte{byte(vm.INVALID)}

// sysCall is one call frame into a system contract. Its fields are those of
// gateway.Call, htlc.Call and objects.Call, which convert from it.
type sysCall struct {
	Caller   common.Address
	Value    *big.Int
	Input    []byte
	ReadOnly bool
}

// systemContract is a system contract as the adapter runs it: each binding
// (gateway.go, htlc.go, objects.go) wraps its package's contract.
type systemContract interface {
	requiredGas(st sysState, c sysCall) uint64
	run(st sysState, c sysCall) ([]byte, error)
}

// sysPrecompile adapts a system contract to vm.PrecompiledContract for one
// EVM. It is not a vm.CacheablePrecompile: its results depend on state.
type sysPrecompile struct {
	acct   *sysAccount
	c      systemContract
	frames *frames
	evm    *vm.EVM
}

var _ vm.PrecompiledContract = (*sysPrecompile)(nil)

func (p *sysPrecompile) Name() string { return p.acct.name }

// call is the contract's view of the current frame.
func (p *sysPrecompile) call(input []byte) sysCall {
	n := len(p.frames.stack)
	if n == 0 || p.frames.stack[n-1].to != p.acct.addr {
		// Not reachable through the EVM's call paths; refuse to change state.
		return sysCall{Input: input, ReadOnly: true}
	}
	f := p.frames.stack[n-1]
	return sysCall{
		Caller: f.from,
		Value:  f.value,
		Input:  input,
		// Under DELEGATECALL and CALLCODE the contract's address, storage and
		// balance are not what the caller addressed, and CALLCODE's value
		// stays with the caller.
		ReadOnly: f.static || f.typ == vm.DELEGATECALL || f.typ == vm.CALLCODE,
	}
}

func (p *sysPrecompile) state() sysState { return sysState{evm: p.evm, acct: p.acct} }

func (p *sysPrecompile) RequiredGas(input []byte) uint64 {
	return p.c.requiredGas(p.state(), p.call(input))
}

func (p *sysPrecompile) Run(input []byte) ([]byte, error) {
	ret, err := p.c.run(p.state(), p.call(input))
	if err != nil {
		// The EVM keeps the returned data and the remaining gas only for this
		// error, and rolls back the frame's state changes.
		return ret, vm.ErrExecutionReverted
	}
	return ret, nil
}

// sysState is a system contract's state over the EVM's StateDB: every
// change is journaled, so a reverted frame undoes it. gatewayState and
// htlcState add what only their contract does.
type sysState struct {
	evm  *vm.EVM
	acct *sysAccount
}

func (s sysState) GetState(slot common.Hash) common.Hash {
	return s.evm.StateDB.GetState(s.acct.addr, slot)
}

func (s sysState) SetState(slot, value common.Hash) {
	s.evm.StateDB.SetState(s.acct.addr, slot, value)
}

// Balance is addr's balance in wei.
func (s sysState) Balance(addr common.Address) *big.Int {
	return s.evm.StateDB.GetBalance(addr).ToBig()
}

// Transfer moves amount wei from one account to another; it fails, and
// changes nothing, if from holds less.
func (s sysState) Transfer(from, to common.Address, amount *big.Int) error {
	amt, overflow := uint256.FromBig(amount)
	if overflow || amount.Sign() < 0 || s.evm.StateDB.GetBalance(from).Cmp(amt) < 0 {
		return fmt.Errorf("%w: %s wei from %s", s.acct.funds, amount, from)
	}
	s.evm.StateDB.SubBalance(from, amt, tracing.BalanceChangeTransfer)
	s.evm.StateDB.AddBalance(to, amt, tracing.BalanceChangeTransfer)
	return nil
}

// AddLog emits a log from the contract's address.
func (s sysState) AddLog(topics []common.Hash, data []byte) {
	// StateDB.AddLog fills the transaction hash, index and log index.
	s.evm.StateDB.AddLog(&gethtypes.Log{
		Address:     s.acct.addr,
		Topics:      topics,
		Data:        data,
		BlockNumber: s.evm.Context.BlockNumber.Uint64(),
	})
}

// BlockNumber is the height of the block being executed.
func (s sysState) BlockNumber() uint64 { return s.evm.Context.BlockNumber.Uint64() }

// BlockHash is the hash of block n if it is one of the 256 before the
// block being executed, as BLOCKHASH serves it; zero otherwise.
func (s sysState) BlockHash(n uint64) common.Hash {
	cur := s.BlockNumber()
	if n >= cur || n+256 < cur || s.evm.Context.GetHash == nil {
		return common.Hash{}
	}
	return s.evm.Context.GetHash(n)
}

// BlockTime is the block's time in seconds (TIMESTAMP).
func (s sysState) BlockTime() uint64 { return s.evm.Context.Time }

// CodeSize is the size of addr's code.
func (s sysState) CodeSize(addr common.Address) int { return s.evm.StateDB.GetCodeSize(addr) }

// systemAccounts lists every system contract's account, in address order.
var systemAccounts = []*sysAccount{&gatewayAccount, &htlcAccount, &objectsAccount, &privregAccount}

// isSystem reports whether addr is a system contract's.
func isSystem(addr common.Address) bool {
	for _, a := range systemAccounts {
		if a.addr == addr {
			return true
		}
	}
	return false
}

// checkSystemAlloc refuses a genesis that puts an account at a system
// contract's address.
func checkSystemAlloc(gen *config.Genesis) error {
	for _, a := range systemAccounts {
		if _, ok := gen.Alloc[a.addr]; ok {
			return fmt.Errorf("%w: alloc must not include the %s address %s", config.ErrInvalidGenesis, a.label, a.addr)
		}
	}
	return nil
}

// writeSystemAccounts gives every system account nonce 1 and its code at
// genesis, which keep it from being "empty", so EIP-161 never deletes it.
// The private registry's account exists only on private chains, so public
// chains' genesis state is what it was before private subnets.
func writeSystemAccounts(sdb *state.StateDB, gen *config.Genesis) {
	for _, a := range systemAccounts {
		if a == &privregAccount && gen.Privacy != config.PrivacyPrivate {
			continue
		}
		sdb.SetNonce(a.addr, 1, tracing.NonceChangeGenesis)
		sdb.SetCode(a.addr, systemCode, tracing.CodeChangeGenesis)
	}
}

// newEVM makes an EVM with every system contract installed and bound to it.
func (e *Executor) newEVM(ctx vm.BlockContext, statedb vm.StateDB, cfg vm.Config) *vm.EVM {
	fr := &frames{}
	cfg.Tracer = fr.hooks(cfg.Tracer)
	evm := vm.NewEVM(ctx, statedb, e.config, cfg)
	pcs := make(vm.PrecompiledContracts, len(e.precompiles)+len(systemAccounts))
	for addr, c := range e.precompiles {
		pcs[addr] = c
	}
	for _, b := range e.systemContracts() {
		pcs[b.acct.addr] = &sysPrecompile{acct: b.acct, c: b.c, frames: fr, evm: evm}
	}
	evm.SetPrecompiles(pcs)
	return evm
}

// sysBinding is one system contract at its account.
type sysBinding struct {
	acct *sysAccount
	c    systemContract
}

func (e *Executor) systemContracts() []sysBinding {
	return []sysBinding{
		{&gatewayAccount, gatewayBinding{e.gateway}},
		{&htlcAccount, htlcBinding{e.htlc}},
		{&objectsAccount, objectsBinding{e.objects}},
		{&privregAccount, privregBinding{e.privreg}},
	}
}

// storageReader reads one account's storage in a committed state: the
// read-only views of GatewayState and ObjectsState.
type storageReader struct {
	db   vm.StateDB
	addr common.Address
}

func (r storageReader) GetState(slot common.Hash) common.Hash {
	return r.db.GetState(r.addr, slot)
}
