package evm

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/hashdb"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/store"
)

// Private state (docs/PRIVACY.md): a participant keeps one EVM state per
// group of parties (recipient set), each in its own Pebble store under
// <home>/private/<group>, apart from the chain's. A private transaction runs
// there on a plain EVM: no system contracts, so it cannot reach the gateway
// or any public state. Gas bounds the work but costs nothing (the fee is
// paid on the public chain, by the envelope's transaction), so a private
// account needs no private balance to transact.

// ErrNoGroup is returned for reads of a group this participant is not in.
var ErrNoGroup = errors.New("evm: private group not found")

// ErrPrivatePending is returned when a group already has an execution
// waiting for its verdict: executions of a group are applied one at a time,
// in log order.
var ErrPrivatePending = errors.New("evm: private group has an execution waiting for its verdict")

// privateGasLimit is the gas a private transaction may use at most.
const privateGasLimit = 30_000_000

var headRootKey = []byte("aspen-private-head-root")

// PrivateStates is a participant's private states, one per group.
type PrivateStates struct {
	dir    string
	config *params.ChainConfig
	signer gethtypes.Signer

	mu     sync.Mutex
	groups map[string]*privateGroup
}

type privateGroup struct {
	st      *store.Store
	triedb  *triedb.Database
	sdb     state.Database
	root    common.Hash // committed
	pending *pendingExec
}

type pendingExec struct {
	id   common.Hash
	root common.Hash
}

// OpenPrivateStates opens (creating as needed) the private states under dir
// for the chain chainID; groups open on first use.
func OpenPrivateStates(dir string, chainID uint64) (*PrivateStates, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("evm: private state dir: %w", err)
	}
	cfg := ChainConfig(new(big.Int).SetUint64(chainID))
	return &PrivateStates{dir: dir, config: cfg, signer: gethtypes.LatestSignerForChainID(cfg.ChainID), groups: map[string]*privateGroup{}}, nil
}

// Close closes every group's store.
func (p *PrivateStates) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var first error
	for _, g := range p.groups {
		if err := g.st.Close(); err != nil && first == nil {
			first = err
		}
	}
	p.groups = map[string]*privateGroup{}
	return first
}

// groupLocked opens group; create false refuses a group with no store yet.
func (p *PrivateStates) groupLocked(group string, create bool) (*privateGroup, error) {
	if g, ok := p.groups[group]; ok {
		return g, nil
	}
	dir := filepath.Join(p.dir, group)
	if _, err := os.Stat(dir); err != nil && !create {
		return nil, fmt.Errorf("%w: %s", ErrNoGroup, group)
	}
	st, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	kv := st.KV()
	tdb := triedb.NewDatabase(rawdb.NewDatabase(kv), &triedb.Config{HashDB: &hashdb.Config{}})
	g := &privateGroup{st: st, triedb: tdb, sdb: state.NewDatabase(tdb, state.NewCodeDB(kv)), root: gethtypes.EmptyRootHash}
	if b, err := kv.Get(headRootKey); err == nil {
		g.root = common.BytesToHash(b)
	}
	p.groups[group] = g
	return g, nil
}

// Root is the group's committed state root (the empty root if none).
func (p *PrivateStates) Root(group string) (common.Hash, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, err := p.groupLocked(group, false)
	if err != nil {
		return common.Hash{}, err
	}
	return g.root, nil
}

// Execute runs the signed transaction rawTx of envelope id at height on the
// group's committed state and returns the resulting state root, the hash a
// recipient confirms. Nothing is durable until Commit(group, id); Discard
// drops it. The block context is fixed by height alone, so every recipient
// computes the same root.
func (p *PrivateStates) Execute(group string, id common.Hash, height uint64, rawTx []byte) (common.Hash, error) {
	tx := new(gethtypes.Transaction)
	if err := tx.UnmarshalBinary(rawTx); err != nil {
		return common.Hash{}, fmt.Errorf("evm: private transaction: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	g, err := p.groupLocked(group, true)
	if err != nil {
		return common.Hash{}, err
	}
	if g.pending != nil {
		return common.Hash{}, fmt.Errorf("%w: %s", ErrPrivatePending, g.pending.id)
	}
	sdb, err := state.New(g.root, g.sdb)
	if err != nil {
		return common.Hash{}, err
	}
	msg, err := core.TransactionToMessage(tx, p.signer, new(big.Int))
	if err != nil {
		return common.Hash{}, fmt.Errorf("evm: private transaction: %w", err)
	}
	msg.GasPrice, msg.GasFeeCap, msg.GasTipCap = new(uint256.Int), new(uint256.Int), new(uint256.Int)
	evm := vm.NewEVM(p.blockContext(height), sdb, p.config, vm.Config{NoBaseFee: true})
	sdb.SetTxContext(tx.Hash(), 0, 0)
	if _, err := core.ApplyMessage(evm, msg, core.NewGasPool(privateGasLimit)); err != nil {
		return common.Hash{}, fmt.Errorf("evm: private transaction %s: %w", tx.Hash(), err)
	}
	root, err := sdb.Commit(p.config.Rules(new(big.Int).SetUint64(height), true, 0), height)
	if err != nil {
		return common.Hash{}, err
	}
	g.pending = &pendingExec{id: id, root: root}
	return root, nil
}

func (p *PrivateStates) blockContext(height uint64) vm.BlockContext {
	return vm.BlockContext{
		CanTransfer: core.CanTransfer, Transfer: core.Transfer,
		GetHash:     func(uint64) common.Hash { return common.Hash{} },
		BlockNumber: new(big.Int).SetUint64(height), Time: 0, Difficulty: new(big.Int),
		BaseFee: new(big.Int), GasLimit: privateGasLimit, Random: &common.Hash{},
	}
}

// Commit makes envelope id's execution durable: the mediator committed it.
func (p *PrivateStates) Commit(group string, id common.Hash) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, ok := p.groups[group]
	if !ok || g.pending == nil || g.pending.id != id {
		return fmt.Errorf("evm: no execution of %s waits in group %s", id, group)
	}
	if err := g.triedb.Commit(g.pending.root, false); err != nil {
		return err
	}
	if err := g.st.KV().Put(headRootKey, g.pending.root[:]); err != nil {
		return err
	}
	g.root, g.pending = g.pending.root, nil
	return nil
}

// Discard drops envelope id's execution: the mediator rejected it.
func (p *PrivateStates) Discard(group string, id common.Hash) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if g, ok := p.groups[group]; ok && g.pending != nil && g.pending.id == id {
		g.triedb.Dereference(g.pending.root)
		g.pending = nil
	}
}

// reader is the group's committed state, for reads.
func (p *PrivateStates) reader(group string) (*state.StateDB, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	g, err := p.groupLocked(group, false)
	if err != nil {
		return nil, err
	}
	return state.New(g.root, g.sdb)
}

// Balance is addr's balance in the group's committed private state.
func (p *PrivateStates) Balance(group string, addr common.Address) (*big.Int, error) {
	sdb, err := p.reader(group)
	if err != nil {
		return nil, err
	}
	return sdb.GetBalance(addr).ToBig(), nil
}

// Storage is a slot of addr in the group's committed private state.
func (p *PrivateStates) Storage(group string, addr common.Address, slot common.Hash) (common.Hash, error) {
	sdb, err := p.reader(group)
	if err != nil {
		return common.Hash{}, err
	}
	return sdb.GetState(addr, slot), nil
}

// Call runs a read-only call on the group's committed private state; its
// changes are thrown away.
func (p *PrivateStates) Call(group string, from common.Address, to *common.Address, data []byte) ([]byte, error) {
	sdb, err := p.reader(group)
	if err != nil {
		return nil, err
	}
	msg := &core.Message{From: from, To: to, Data: data, GasLimit: privateGasLimit, Value: new(uint256.Int),
		GasPrice: new(uint256.Int), GasFeeCap: new(uint256.Int), GasTipCap: new(uint256.Int)}
	msg = msg.SkipNonceCheck().SkipEOACheck()
	evm := vm.NewEVM(p.blockContext(math.MaxUint32), sdb, p.config, vm.Config{NoBaseFee: true})
	res, err := core.ApplyMessage(evm, msg, core.NewGasPool(privateGasLimit))
	if err != nil {
		return nil, err
	}
	if res.Err != nil {
		return res.ReturnData, res.Err
	}
	return res.ReturnData, nil
}
