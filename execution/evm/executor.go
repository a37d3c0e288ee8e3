package evm

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/hashdb"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/htlc"
	"github.com/aspen-chain/aspen/objects"
	"github.com/aspen-chain/aspen/private/registry"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

var (
	// ErrGenesisMismatch is returned by New when the store was created from another genesis.
	ErrGenesisMismatch = errors.New("evm: store was created from a different genesis")
	// ErrCommitOrder is returned by Commit for a block whose parent is not the head.
	ErrCommitOrder = errors.New("evm: committed block does not extend the head")
)

// SenderCache knows the senders of transactions recovered elsewhere, by
// transaction hash (which covers the signature).
type SenderCache interface {
	KnownSender(txHash common.Hash) (common.Address, bool)
}

// Options tune the executor; zero values take the defaults.
type Options struct {
	// GasCap bounds the gas of eth_call and eth_estimateGas (default 50M, as geth).
	GasCap uint64
	// SuggestedTip is the priority fee SuggestTip returns (default 0.001 gwei,
	// geth's default miner gas price).
	SuggestedTip *big.Int
	// StateCacheMB is the trie database's clean-node cache (default 64 MB): it
	// keeps recent states in memory so queries and the next block read little
	// from disk.
	StateCacheMB int
	// Senders, if set, knows senders already recovered (the mempool's):
	// Execute recovers only the signatures it does not know.
	Senders SenderCache
	// Parent is the parent chain of a subnet (nil for a root): blocks whose
	// parent reference moves apply the parent's queued messages from it.
	Parent ParentChain
	// Evidence checks child engines' own evidence in the gateway's
	// submitEvidence (the node: its consensus kinds); nil refuses it.
	Evidence gateway.EvidenceVerifier
	// Pow checks PoW children's header segments in the gateway's
	// submitPowCheckpoint (the node: its consensus kinds and genesis code);
	// nil refuses them.
	Pow gateway.PowVerifier
	// Fraud re-executes children's blocks in the gateway's proveFraud (the
	// node: a FraudChecker); nil refuses it.
	Fraud gateway.FraudVerifier
	// Fault, when set, forges state transitions (FaultMint): for tests of
	// what a captured quorum can do, never for a real chain.
	Fault *FaultMint
}

const (
	defaultGasCap       = 50_000_000
	defaultStateCacheMB = 64
)

// Executor executes and commits blocks of one chain and answers state queries.
// Build, Execute and Commit are called by one goroutine (the consensus
// driver); queries may run concurrently with them and with each other.
type Executor struct {
	store       *store.Store
	genesis     *config.Genesis
	opts        Options
	config      *params.ChainConfig
	signer      gethtypes.Signer
	precompiles vm.PrecompiledContracts // the standard ones; newEVM adds the system contracts
	gateway     *gateway.Gateway
	htlc        *htlc.Contract
	objects     *objects.Manager
	privreg     *registry.Contract
	triedb      *triedb.Database
	statedb     state.Database
	witnessSem  chan struct{} // Witness builds under way

	mu struct {
		sync.RWMutex
		head *types.Header
	}
}

var _ execution.Executor = (*Executor)(nil)

// New opens the chain in st: on an empty store it commits block 0 with the
// genesis alloc; otherwise it checks the store was made from gen and resumes
// at the store's head.
func New(st *store.Store, gen *config.Genesis, opts Options) (*Executor, error) {
	e, err := newExecutor(gen, opts)
	if err != nil {
		return nil, err
	}
	e.store = st
	kv := st.KV()
	e.triedb = triedb.NewDatabase(rawdb.NewDatabase(kv), &triedb.Config{
		HashDB: &hashdb.Config{CleanCacheSize: e.opts.StateCacheMB * 1024 * 1024},
	})
	e.statedb = state.NewDatabase(e.triedb, state.NewCodeDB(kv))

	blob, err := gen.Encode()
	if err != nil {
		return nil, err
	}
	headHash, _, ok := st.Head()
	if !ok {
		if err := e.commitGenesis(blob); err != nil {
			return nil, err
		}
		return e, nil
	}
	stored, err := st.Genesis()
	if err != nil {
		return nil, fmt.Errorf("evm: reading the store's genesis: %w", err)
	}
	if !bytes.Equal(stored, blob) {
		return nil, fmt.Errorf("%w: use the genesis file the node was first started with, or a new data directory", ErrGenesisMismatch)
	}
	head, err := st.HeaderByHash(headHash)
	if err != nil {
		return nil, err
	}
	if _, err := state.New(head.StateRoot, e.statedb); err != nil {
		return nil, fmt.Errorf("evm: state of head block %d (root %s) is missing: %w", head.Height, head.StateRoot, err)
	}
	e.setHead(head)
	return e, nil
}

// newExecutor is an executor of gen's chain without a store: what executes
// a block, before New gives it the chain's blocks and state.
func newExecutor(gen *config.Genesis, opts Options) (*Executor, error) {
	if err := gen.Validate(); err != nil {
		return nil, err
	}
	if err := checkSystemAlloc(gen); err != nil {
		return nil, err
	}
	if opts.GasCap == 0 {
		opts.GasCap = defaultGasCap
	}
	if opts.SuggestedTip == nil {
		opts.SuggestedTip = big.NewInt(params.GWei / 1000)
	}
	if opts.StateCacheMB == 0 {
		opts.StateCacheMB = defaultStateCacheMB
	}
	gw, err := gateway.New(gen.ID(), gateway.Options{Evidence: opts.Evidence, Pow: opts.Pow, Fraud: opts.Fraud})
	if err != nil {
		return nil, err
	}
	swaps, err := htlc.New(gen.ID())
	if err != nil {
		return nil, err
	}
	mgr, err := objects.New(gen.ID())
	if err != nil {
		return nil, err
	}
	reg, err := newRegistry(gen)
	if err != nil {
		return nil, err
	}
	cfg := ChainConfig(gen.ChainIDBig())
	e := &Executor{
		witnessSem: make(chan struct{}, witnessBuilds),
		htlc:       swaps,
		objects:    mgr,
		privreg:    reg,
		genesis:    gen,
		opts:       opts,
		config:     cfg,
		signer:     gethtypes.LatestSignerForChainID(cfg.ChainID),
		gateway:    gw,
	}
	rules := cfg.Rules(new(big.Int), true, gen.TimestampMs/1000)
	e.precompiles = vm.ActivePrecompiledContracts(rules)
	return e, nil
}

// commitGenesis writes block 0 and its state.
func (e *Executor) commitGenesis(blob []byte) error {
	sdb, err := state.New(gethtypes.EmptyRootHash, e.statedb)
	if err != nil {
		return err
	}
	h := buildGenesis(sdb, e.genesis, e.config)
	b := &types.Block{Header: h}
	err = e.store.WriteBlock(&store.BlockWrite{Block: b, Receipts: gethtypes.Receipts{}, Genesis: blob}, func() error {
		return e.commitState(sdb, h)
	})
	if err != nil {
		return err
	}
	e.setHead(h)
	return nil
}

// GenesisHeader is block 0 of the chain gen describes, its state built in
// memory and dropped: what a parent needs to know of a child's genesis
// (the hash its PoW checkpoints start from) without running the child.
func GenesisHeader(gen *config.Genesis) (*types.Header, error) {
	if err := gen.Validate(); err != nil {
		return nil, err
	}
	if err := checkSystemAlloc(gen); err != nil {
		return nil, err
	}
	sdb, err := state.New(gethtypes.EmptyRootHash, state.NewDatabase(triedb.NewDatabase(rawdb.NewMemoryDatabase(), nil), nil))
	if err != nil {
		return nil, err
	}
	return buildGenesis(sdb, gen, ChainConfig(gen.ChainIDBig())), nil
}

// buildGenesis writes gen's alloc and gateway into sdb and returns block 0
// with its state root.
func buildGenesis(sdb *state.StateDB, gen *config.Genesis, cfg *params.ChainConfig) *types.Header {
	for _, addr := range gen.SortedAlloc() {
		acc := gen.Alloc[addr]
		if acc.Balance != nil {
			sdb.SetBalance(addr, uint256.MustFromBig((*big.Int)(acc.Balance)), tracing.BalanceIncreaseGenesisBalance)
		}
		sdb.SetNonce(addr, uint64(acc.Nonce), tracing.NonceChangeGenesis)
		if len(acc.Code) > 0 {
			sdb.SetCode(addr, acc.Code, tracing.CodeChangeGenesis)
		}
		for k, v := range acc.Storage {
			sdb.SetState(addr, k, v)
		}
	}
	// Parent messages up to TopDownNonce are already in the alloc (a subnet's
	// genesis funds); the first block applies the ones after.
	if gen.TopDownNonce > 0 {
		var w common.Hash
		new(big.Int).SetUint64(gen.TopDownNonce).FillBytes(w[:])
		sdb.SetState(gateway.Address, gateway.AppliedSlot(), w)
	}
	// A subnet keeps its own validator set in its gateway (config 1 at
	// genesis); its parent's config changes move it. A root's set is its genesis.
	if !gen.ID().IsRoot() {
		vs := make([]types.Validator, len(gen.Validators))
		for i, v := range gen.Validators {
			vs[i] = types.Validator{Address: v.Address, BLSPublicKey: v.BLSPublicKey, Power: v.VotingPower()}
		}
		gateway.WriteOwnSet(genesisStorage{sdb}, 1, vs)
	}
	writeSystemAccounts(sdb, gen)

	var proposer common.Address
	if len(gen.Validators) > 0 {
		proposer = gen.Validators[0].Address
	}
	h := &types.Header{
		SubnetID:    gen.ID(),
		TimeMs:      gen.TimestampMs,
		Proposer:    proposer,
		TxRoot:      gethtypes.EmptyTxsHash,
		ReceiptRoot: gethtypes.EmptyReceiptsHash,
		GasLimit:    gen.GasLimit,
		BaseFee:     gen.BaseFeeWei(),
		Difficulty:  gen.Difficulty, // a proof-of-work chain retargets from it
	}
	h.StateRoot = sdb.IntermediateRoot(cfg.Rules(new(big.Int), true, h.Time()))
	return h
}

// commitState flushes a block's state into the store's pending batch.
func (e *Executor) commitState(sdb *state.StateDB, h *types.Header) error {
	root, err := sdb.Commit(e.rules(h), h.Height)
	if err != nil {
		return err
	}
	if root != h.StateRoot {
		return fmt.Errorf("evm: state root of block %d changed at commit: %s, header says %s", h.Height, root, h.StateRoot)
	}
	return e.triedb.Commit(root, false)
}

func (e *Executor) setHead(h *types.Header) {
	e.mu.Lock()
	e.mu.head = h
	e.mu.Unlock()
}

// Head is the newest committed header.
func (e *Executor) Head() *types.Header {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.mu.head
}

// ChainConfig is the go-ethereum chain config the executor runs with.
func (e *Executor) ChainConfig() *params.ChainConfig { return e.config }

// Signer is the chain's transaction signer (types.LatestSignerForChainID).
func (e *Executor) Signer() gethtypes.Signer { return e.signer }

// Receipts returns a committed block's receipts with every derived field filled.
func (e *Executor) Receipts(blockHash common.Hash) (gethtypes.Receipts, error) {
	return e.store.Receipts(blockHash, e.signer)
}

// Commit writes an executed block, its certificate, receipts and state in
// one synced batch and makes it the head, final. The block must extend the
// head.
func (e *Executor) Commit(ex *execution.Executed, commit *types.Commit) error {
	return e.commit(ex, commit, false)
}

func (e *Executor) commit(ex *execution.Executed, commit *types.Commit, tentative bool) error {
	p, ok := ex.Pending.(*pending)
	if !ok || p.statedb == nil {
		return errors.New("evm: Commit needs an Executed from this executor's Build or Execute, committed once")
	}
	h := ex.Block.Header
	if head := e.Head(); h.ParentHash != head.Hash() {
		return fmt.Errorf("%w: block %d has parent %s, head is %d %s", ErrCommitOrder, h.Height, h.ParentHash, head.Height, head.Hash())
	}
	sdb := p.statedb
	p.statedb = nil
	w := &store.BlockWrite{Block: ex.Block, Commit: commit, Receipts: ex.Receipts, SystemLogs: ex.SystemLogs, Tentative: tentative}
	err := e.store.WriteBlock(w, func() error {
		return e.commitState(sdb, h)
	})
	if err != nil {
		return err
	}
	e.setHead(h)
	return nil
}
