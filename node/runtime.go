package node

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/consensus/wal"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/mempool"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// ErrNotSequencer is returned when a single-sequencer chain's home holds
// another key than the genesis sequencer's.
var ErrNotSequencer = consensus.ErrNotSequencer

// runtime runs one subnet on this node: its chain (storage, executor,
// head), pool, engine and the driver goroutine that owns the engine, and
// its place in the network. Other runtimes see it only as a chainView and,
// for the system transactions they send to it, through its systemTxs.
type runtime struct {
	chain
	kind    consensus.Kind // the chain's engine
	pool    *mempool.Pool
	driver  *driver.Driver
	engine  consensus.Engine // owned by the driver's goroutine; read only from onCommit
	signer  gethtypes.Signer
	metrics *metrics
	seat
	gossip
	sync *syncer // nil without networking
	wal  *wal.WAL
	// walPath is where wal lives: beside the node's keys (signedLog).
	walPath string

	sys        *systemTxs     // the only sender of the node's system transactions to this chain
	account    sequencerKey   // this node's account: pays what the node submits to the parent
	parent     chainView      // the parent chain on this node; nil for the root
	parentTxs  gatewayCaller  // the node's system transactions to the parent; nil for the root
	period     uint64         // checkpoint period of a subnet; 0 for the root
	blockTime  time.Duration  // the chain's target block time
	onHead     func()         // called after every commit (the node's subnet manager)
	cancel     func()         // stops run
	done       chan struct{}  // closed when run returned
	helpers    sync.WaitGroup // gossip readers, syncer and relay: they read the store, so close waits
	lastCommit time.Time
	tentative  []tentativeLogs // logs of committed blocks not final yet; driver goroutine only
	workSeen   parentWorkSeen  // parentWork's last answer; driver goroutine only
}

// gossip is the subnet's place on the p2p network; zero without one.
type gossip struct {
	host           p2p.Host
	consensusTopic p2p.Topic
	txTopic        p2p.Topic
	txGate         *txGate                     // judges tx gossip and hands readTxs the decoded batches
	sigs           *crypto.SigCache            // signatures the consensus gate found valid, which the engine does not check again
	outTxs         chan *gethtypes.Transaction // accepted over RPC, waiting for gossip
}

// seat is whether this node votes on the chain, and the set deciding head+1.
type seat struct {
	vals   atomic.Pointer[consensus.ValidatorSet] // the set deciding head+1
	voter  atomic.Bool                            // this node holds a seat in vals and votes
	blsPub []byte                                 // this node's BLS public key; nil without one
}

// subnetDir is where a subnet's database lives under the node's home:
// <home>/subnets/<id with its slashes as dots>, e.g. subnets/devnet.games for
// /devnet/games. Flat, so a child's files never sit inside its parent's
// Pebble directory and deleting a killed subnet touches nothing else.
func subnetDir(home string, id types.SubnetID) string {
	return filepath.Join(home, "subnets", strings.ReplaceAll(strings.TrimPrefix(string(id), "/"), "/", "."))
}

// openRuntime opens (or creates from genesis) a subnet's runtime. host is
// nil for a node without networking (a solo devnet).
func openRuntime(cfg *config.Node, gen *config.Genesis, keys engineKeys, host p2p.Host, log *slog.Logger, m *metrics, parent *runtime) (*runtime, error) {
	id := gen.ID()
	dir := subnetDir(cfg.Home, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	st, err := store.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open store of %s: %w", id, err)
	}
	rt := &runtime{chain: chain{id: id, gen: gen, log: log.With("subnet", string(id)), store: st, commits: make(chan struct{}, 1)},
		signer: gethtypes.LatestSignerForChainID(gen.ChainIDBig()), metrics: m, gossip: gossip{host: host}}
	if parent != nil { // a nil *runtime would make non-nil interfaces
		rt.parent, rt.parentTxs = &parent.chain, parent.sys
	}
	if err := rt.open(cfg, keys, dir); err != nil {
		rt.close()
		return nil, err
	}
	return rt, nil
}

func (rt *runtime) open(cfg *config.Node, keys engineKeys, dir string) error {
	gen := rt.gen
	kind, err := consensus.LookupKind(gen.Engine)
	if err != nil {
		return fmt.Errorf("open chain %s: %w", rt.id, err)
	}
	rt.kind, rt.blockTime = kind, cfg.Consensus.BlockTime.Duration
	pow := newPowVerifier(rt.store.HeaderByNumber)
	opts := evm.Options{Senders: poolSenders{rt}, Evidence: kindEvidence, Pow: pow, Fraud: newFraudChecker(kindEvidence, pow)}
	if rt.parent != nil {
		opts.Parent = parentChain{parent: rt.parent, child: rt.id}
	}
	if opts.Fault, err = faultFor(rt.id); err != nil {
		return fmt.Errorf("open chain %s: %w", rt.id, err)
	} else if opts.Fault != nil {
		rt.log.Warn("FAULT INJECTION: this node forges state transitions on this chain (ASPEN_FAULT_MINT); for tests only",
			"account", opts.Fault.Account, "wei", opts.Fault.Amount)
	}
	x, err := evm.New(rt.store, gen, opts)
	if err != nil {
		return fmt.Errorf("open chain %s: %w", rt.id, err)
	}
	rt.exec = x
	head := x.Head()
	rt.head.Store(head)
	rt.pool = mempool.New(mempool.Config{}, gen.ChainIDBig(), rt.stateAt(head))
	rt.pool.Reset(rt.stateAt(head), x.NextBaseFee(), gen.GasLimit, nil)
	rt.sys = newSystemTxs(keys.account, rt.signer, gen.ChainIDBig(), rt.pool, rt.exec, rt.publishTx)
	vs, err := rt.validatorsAt(head)
	if err != nil {
		return err
	}
	if keys.bls != nil {
		rt.blsPub = keys.bls.PublicKey().Bytes()
	}
	rt.account = keys.account
	rt.setValidators(vs)
	tick := tickFor(cfg.Consensus.BlockTime.Duration)
	final, tentative, err := rt.tentativeBlocks(head)
	if err != nil {
		return err
	}
	rt.sigs = crypto.NewSigCache(maxSigsVerified)
	ecfg := engineConfig(cfg, gen, vs, keys, final, tentative, tick)
	ecfg.Sigs = rt.sigs
	eng, err := kind.New(ecfg)
	if err != nil {
		return err
	}
	dcfg := driver.Config{Tick: tick, Proposer: keys.account.address, Log: rt.log, OnCommit: rt.onCommit,
		OnRewind: rt.onRewind, ParentRef: rt.parentRef,
		OnStepError: rt.onStepError, OnStage: func(stage string, took time.Duration) {
			rt.metrics.stage.WithLabelValues(string(rt.id), stage).Observe(took.Seconds())
		}}
	if !kind.SingleSequencer { // validators that talk: peers, a WAL for their votes, block sync
		if rt.host == nil {
			return fmt.Errorf("node: engine %s needs networking: set p2p.listen in %s", gen.Engine, cfg.Path(config.ConfigFile))
		}
		if rt.walPath, err = signedLog(cfg, rt.id, dir, rt.store); err != nil {
			return err
		}
		if rt.wal, err = wal.Open(rt.walPath); err != nil {
			return err
		}
		dcfg.WAL, dcfg.Replay = rt.wal, rt.wal.Entries(head.Height)
		if err := rt.joinNetwork(); err != nil {
			return err
		}
		dcfg.Transport = topicTransport{rt.consensusTopic}
		rt.sync = newSyncer(rt, engineConfig(cfg, gen, vs, keys, final, nil, tick))
		dcfg.OnSyncTo = rt.sync.request
	}
	if kind.NewSealer != nil && cfg.Mining.Enabled {
		dcfg.Sealer = kind.NewSealer(cfg.Mining.Threads)
		rt.log.Info("mining", "threads", cfg.Mining.Threads, "reward to", keys.account.address)
	}
	rt.engine = eng
	rt.driver = driver.New(dcfg, eng, x, poolAdapter{rt}, head)
	rt.observe(head)
	rt.log.Info("subnet opened", "engine", gen.Engine, "validator", rt.voter.Load(), "height", head.Height, "hash", head.Hash(), "chainId", gen.ChainID, "dir", dir)
	return nil
}

// tickFor picks an engine tick a tenth of the block time, between 10 and
// 100 ms: fine enough for 200 ms blocks, rare enough that an idle subnet
// wakes ten times a second at most.
func tickFor(blockTime time.Duration) time.Duration {
	return min(max(blockTime/10, 10*time.Millisecond), 100*time.Millisecond)
}

func ticks(d, tick time.Duration) uint64 { return uint64(max(d/tick, 1)) }

// run drives the engine until ctx ends; it forwards pool arrivals to the driver.
func (rt *runtime) run(ctx context.Context) error {
	arrivals := make(chan []*gethtypes.Transaction, 64)
	cancel := rt.pool.Subscribe(arrivals)
	defer cancel()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-arrivals:
				rt.driver.PoolChanged()
			}
		}
	}()
	if rt.consensusTopic != nil {
		rt.spawn(func() { rt.readConsensus(ctx) })
		rt.spawn(func() { rt.readTxs(ctx) })
		rt.spawn(func() { rt.gossipTxs(ctx) })
		rt.spawn(func() { rt.rebroadcastTxs(ctx) })
		rt.spawn(func() { rt.sync.loop(ctx) })
	}
	return rt.driver.Run(ctx)
}

// onCommit runs on the driver goroutine after a block is durable.
func (rt *runtime) onCommit(e *execution.Executed) {
	h := e.Block.Header
	rt.head.Store(h)
	select {
	case rt.commits <- struct{}{}:
	default:
	}
	now := time.Now()
	if !rt.lastCommit.IsZero() {
		rt.metrics.heightSeconds.WithLabelValues(string(rt.id)).Observe(now.Sub(rt.lastCommit).Seconds())
	}
	rt.lastCommit = now
	if r, ok := rt.engine.(interface{ Round() uint32 }); ok {
		rt.metrics.round.WithLabelValues(string(rt.id)).Set(float64(r.Round()))
	}
	rt.reportCommitted(e.Block, rt.vals.Load().All()) // before vals moves to the next set
	if nv := h.NextValidators; len(nv) > 0 {
		vs, err := consensus.NewValidatorSet(nv)
		if err != nil { // the executor checked it; cannot happen
			rt.log.Error("committed block names an invalid validator set", "height", h.Height, "err", err)
		} else {
			rt.setValidators(vs)
			rt.log.Info("validator set changed", "height", h.Height+1, "validators", vs.Len(), "voting", rt.voter.Load())
		}
	}
	rt.pool.Reset(rt.stateAt(h), rt.exec.NextBaseFee(), rt.gen.GasLimit, e.Block.Txs)
	rt.observe(h)
	id := string(rt.id)
	rt.metrics.txs.WithLabelValues(id).Add(float64(len(e.Block.Txs)))
	rt.metrics.gas.WithLabelValues(id).Add(float64(h.GasUsed))
	rt.metrics.blockTxs.WithLabelValues(id).Observe(float64(len(e.Block.Txs)))
	if d := rt.heads.Send(h); d > 0 {
		rt.metrics.droppedEvent.WithLabelValues(id, "newHeads").Add(float64(d))
	}
	var logs []*gethtypes.Log
	for _, r := range e.Receipts {
		logs = append(logs, r.Logs...)
	}
	logs = append(logs, e.SystemLogs...)
	if rt.onHead != nil {
		rt.onHead()
	}
	rt.keepTentativeLogs(h, logs)
	rt.countJuryMisses(logs)
	if len(logs) > 0 {
		if d := rt.logs.Send(logs); d > 0 {
			rt.metrics.droppedEvent.WithLabelValues(id, "logs").Add(float64(d))
		}
	}
	if len(e.Block.Txs) > 0 {
		rt.log.Debug("block committed", "height", h.Height, "txs", len(e.Block.Txs), "gas", h.GasUsed)
	}
}

func (rt *runtime) setValidators(vs *consensus.ValidatorSet) {
	rt.vals.Store(vs)
	seated := rt.kind.SingleSequencer // the engine refused any other sequencer
	for _, v := range vs.All() {
		seated = seated || (rt.blsPub != nil && string(v.BLSPublicKey) == string(rt.blsPub))
	}
	rt.voter.Store(seated)
}

func (rt *runtime) observe(h *types.Header) {
	id := string(rt.id)
	rt.metrics.height.WithLabelValues(id).Set(float64(h.Height))
	if h.BaseFee != nil {
		f, _ := new(big.Float).SetInt(h.BaseFee).Float64()
		rt.metrics.baseFee.WithLabelValues(id).Set(f)
	}
	p, q := rt.pool.Stats()
	rt.metrics.poolPending.WithLabelValues(id).Set(float64(p))
	rt.metrics.poolQueued.WithLabelValues(id).Set(float64(q))
}

// spawn runs f on its own goroutine as one of the runtime's helpers, which
// close waits for: a helper still reading the store when it closes could
// crash the whole node, not only this subnet.
func (rt *runtime) spawn(f func()) {
	rt.helpers.Add(1)
	go func() {
		defer rt.helpers.Done()
		f()
	}()
}

// helperGrace bounds how long close waits for helpers after their context
// ended (each bounds its own I/O by a few seconds).
const helperGrace = 30 * time.Second

// close releases the runtime's topics, WAL and store. The caller has
// cancelled it and seen run return.
func (rt *runtime) close() error {
	for _, t := range []p2p.Topic{rt.consensusTopic, rt.txTopic} {
		if t != nil {
			t.Close()
		}
	}
	waited := make(chan struct{})
	go func() { rt.helpers.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(helperGrace):
		rt.log.Error("subnet helpers still running after their context ended; closing the store anyway", "after", helperGrace)
	}
	if rt.consensusTopic != nil {
		rt.host.Unhandle(p2p.BlockSyncProtocol(rt.id))
	}
	if rt.wal != nil {
		rt.wal.Close()
	}
	return rt.store.Close()
}

// poolAdapter is the driver's view of the mempool.
type poolAdapter struct{ rt *runtime }

func (p poolAdapter) Source() execution.TxSource { return p.rt.pool.Source() }

// Reinject offers the transactions of rewound blocks to the pool again.
func (p poolAdapter) Reinject(txs []*gethtypes.Transaction) { p.rt.pool.AddBatch(txs) }

// Status counts work from and for the parent (parentWork) as pending too,
// so an idle subnet wakes for a fund as it does for a transaction.
func (p poolAdapter) Status() consensus.PoolStatus {
	pending, _ := p.rt.pool.Stats()
	if pending == 0 && p.rt.parent != nil && p.rt.workSeen.answer(&p.rt.chain, p.rt.parent, p.rt.period) {
		pending = 1
	}
	return consensus.PoolStatus{Pending: pending, Full: p.rt.pool.Full(p.rt.gen.GasLimit)}
}

// sequencerKey signs solo seals with the node's account key.
type sequencerKey struct {
	key     *ecdsa.PrivateKey
	address common.Address
}

func (k sequencerKey) Sign(h common.Hash) ([]byte, error) { return gethcrypto.Sign(h[:], k.key) }

// poolSenders lets block verification reuse the senders the mempool already
// recovered for the same transactions (gossiped before the proposal).
type poolSenders struct{ rt *runtime }

func (p poolSenders) KnownSender(h common.Hash) (common.Address, bool) {
	if p.rt.pool == nil { // set right after the executor; nothing executes before
		return common.Address{}, false
	}
	return p.rt.pool.KnownSender(h)
}

// tentativeBlocks returns the chain's final block and the committed blocks
// above it up to head, lowest first: an engine with probabilistic finality
// resumes on them. Under solo and bft the head is final and there are none.
func (rt *runtime) tentativeBlocks(head *types.Header) (*types.Header, []*types.Block, error) {
	final := rt.exec.Finalized()
	if final.Height >= head.Height {
		return head, nil, nil
	}
	var out []*types.Block
	for h := final.Height + 1; h <= head.Height; h++ {
		b, err := rt.store.BlockByNumber(h)
		if err != nil || b == nil {
			return nil, nil, fmt.Errorf("node: tentative block %d of %s: %v", h, rt.id, err)
		}
		out = append(out, b)
	}
	return final, out, nil
}

// signedLog is the path of the subnet's consensus WAL — what this node
// signed since the last final block — beside the node's keys rather than
// in the subnet's data directory: a validator whose data was lost or wiped
// restarts at genesis, syncs, and still refuses to sign anything that
// conflicts with what it signed before (bft keeps the entries of heights it
// has not reached until it gets there). The name carries the chain's
// genesis hash, so a subnet re-created under an old name starts afresh. A
// log left in the data directory by an older release is moved there.
func signedLog(cfg *config.Node, id types.SubnetID, dataDir string, st *store.Store) (string, error) {
	gen, err := st.HeaderByNumber(0)
	if err != nil {
		return "", fmt.Errorf("node: genesis of %s: %w", id, err)
	}
	keys := filepath.Dir(cfg.Path(cfg.Keys.Validator))
	name := strings.ReplaceAll(strings.TrimPrefix(string(id), "/"), "/", ".") + "-" + gen.Hash().Hex()[2:18] + ".wal"
	path := filepath.Join(keys, "signed", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	old := filepath.Join(dataDir, "consensus.wal")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := os.Rename(old, path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("node: move %s's consensus log beside the keys: %w", id, err)
		}
	}
	return path, nil
}
