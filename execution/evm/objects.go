package evm

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/objects"
	"github.com/aspen-chain/aspen/types"
)

// The objects manager as a system contract (system.go), and its system
// work: the optimistic store's Process at the start of every block.

var objectsAccount = sysAccount{
	name:  "ASPEN_OBJECTS",
	label: "objects manager",
	addr:  objects.Address,
	funds: errors.New("evm: objects transfer exceeds the sender's balance"),
}

// objectsBinding runs the objects manager in the adapter.
type objectsBinding struct{ m *objects.Manager }

func (b objectsBinding) requiredGas(st sysState, c sysCall) uint64 {
	return b.m.RequiredGas(st, objects.Call(c))
}

func (b objectsBinding) run(st sysState, c sysCall) ([]byte, error) {
	return b.m.Run(st, objects.Call(c))
}

var _ objects.State = sysState{}

// Per-block system work of the objects manager: at most objectSteps steps
// of optimistic.Store.Process (a step is one claim looked at for expiry or
// one dependent object brought its verdict), each charged objectStepGas
// (about a claim and an object read and the object rewritten or deleted,
// with its log) to the block's gas pool as top-down work is. A block with
// nothing to resolve reads the queue heads and changes nothing.
const (
	objectSteps   = 64
	objectStepGas = 50_000
)

// processObjects runs the manager's system work after the top-down work
// and before any transaction; its logs join the block's system logs.
func (r *blockRun) processObjects() {
	st := sysState{evm: r.evm, acct: &objectsAccount}
	budget := min(objectSteps, int(r.gp.Available(false)/objectStepGas))
	if budget == 0 {
		return
	}
	used := r.e.objects.Process(st, budget)
	if used == 0 {
		return
	}
	// Within the pool: budget was cut to what it holds.
	_ = r.gp.CheckGasLegacy(uint64(used) * objectStepGas)
	r.sysLogs = r.statedb.GetLogs(common.Hash{}, r.header.Height, common.Hash{}, r.header.Time())
}

// ObjectsState is a read-only view of the objects manager's storage after
// header (nil: head), for objects.Manager.Store. Use it from one goroutine.
func (e *Executor) ObjectsState(header *types.Header) (objects.StateReader, error) {
	sdb, _, err := e.stateAt(header)
	if err != nil {
		return nil, err
	}
	return storageReader{sdb, objects.Address}, nil
}

// Objects is the chain's objects manager.
func (e *Executor) Objects() *objects.Manager { return e.objects }
