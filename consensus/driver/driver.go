package driver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// ErrNoWAL is returned when an engine asks to persist votes but the driver was
// given nowhere to write them; sending them anyway could lead to double signing.
var ErrNoWAL = errors.New("driver: engine asked to persist votes but no WAL is configured")

// ErrNoTransport is returned when an engine asks to send messages but the
// driver has no network.
var ErrNoTransport = errors.New("driver: engine asked to send messages but no transport is configured")

// ErrNoSealer is returned when an engine asks to seal a block but the
// driver was given no Sealer.
var ErrNoSealer = errors.New("driver: engine asked to seal a block but no sealer is configured")

// Clock is the wall time the driver reads. Tests inject a fake one.
type Clock interface {
	Now() time.Time
	// NewTimer returns a channel that receives once, d from now (at once
	// for d <= 0), and a stop that disarms it.
	NewTimer(d time.Duration) (<-chan time.Time, func())
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a time.Timer's channel and its Stop.
func (SystemClock) NewTimer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// Pool is what the driver needs of the mempool.
type Pool interface {
	// Source returns the transactions to build the next block from.
	Source() execution.TxSource
	// Status says how many transactions wait and whether they fill a block.
	Status() consensus.PoolStatus
	// Reinject takes back the transactions of blocks a branch switch took
	// back (those the new branch does not include), in block order, after
	// the head moved (Config.OnRewind, then OnCommit for each new block).
	Reinject(txs []*gethtypes.Transaction)
}

// WAL is where the driver persists what an engine asks to before acting on
// it (consensus/wal implements it).
type WAL interface {
	Append(height uint64, entries [][]byte) error
	Truncate(height uint64) error
}

// Transport sends engine messages to peers (the subnet's consensus topic).
type Transport interface {
	Broadcast(data []byte) error
	Send(peer string, data []byte) error
}

// Synced is a block learned through block sync, its certificate already
// verified by the caller.
type Synced struct {
	Block  *types.Block
	Commit *types.Commit
}

// Config configures a driver.
type Config struct {
	Tick     time.Duration  // wall time of one engine tick
	Proposer common.Address // coinbase of the blocks this node builds
	Clock    Clock          // nil: SystemClock
	Log      *slog.Logger   // nil: slog.Default()
	// OnCommit is called on the driver's goroutine after each block is durably
	// committed, final or tentative: the node resets the pool and publishes
	// events from it.
	OnCommit func(e *execution.Executed)
	// OnRewind is called on the driver's goroutine after non-final blocks
	// were taken back (a branch switch) and head is the head again, before
	// the new branch's blocks are committed: the node moves its view of the
	// head and resets the pool to head's state. Nil: nothing to do.
	OnRewind func(head *types.Header, dropped []*types.Block)

	WAL       WAL       // nil: the engine must never ask to persist (solo)
	Replay    [][]byte  // WAL entries since the head, stepped in before anything else
	Transport Transport // nil: the engine must never send (solo)
	// ParentRef, for a subnet, names the newest final block of its parent
	// chain; blocks this node builds reference it (top-down). Nil: keep the
	// head's reference (a root chain).
	ParentRef func() types.ParentRef
	// OnSyncTo is called (on the driver goroutine; it must not block) when the
	// engine saw the network finalize up to a height above ours.
	OnSyncTo func(height uint64)
	// OnStage is called after each build, verify and commit with the wall
	// time it took ("build", "verify", "commit"): the node exports them.
	OnStage func(stage string, took time.Duration)
	// OnStepError is called for every input the engine rejected (bad
	// signature, old height...): the node counts them.
	OnStepError func(err error)
	// StrictTicks makes a tick the engine said was quiet (NextTick) but
	// acted on an error (ErrEarlyTick) instead of a logged one: the
	// simulator and tests hold engines to their word.
	StrictTicks bool
	// Sealer seals the blocks an engine asks it to (Ready.Seal; pow's
	// miner). Run hands what it finds back to the engine and stops it when
	// it ends; a stepped driver's caller supplies its own and hands sealed
	// blocks in with HandleSealed. Nil: the engine must never ask to seal.
	Sealer consensus.Sealer
}

// Driver owns one engine. Create it with New, then either run it with Run
// (its own loop) or step it from the caller's goroutine (step.go).
type Driver struct {
	cfg    Config
	engine consensus.Engine
	exec   execution.Executor
	pool   Pool
	head   *types.Header

	notify chan struct{}
	inbox  chan consensus.PeerMessage
	synced chan []Synced
	sealed chan *types.Block
	// executed holds blocks this node built or verified, by hash, until they
	// are final, so a final block is never executed twice.
	executed map[common.Hash]*execution.Executed
	// deferred holds blocks whose verdict waits for this node's view of the
	// parent chain to reach their ParentRef (see verify).
	deferred []*types.Block
	// started is set by Start: the WAL replay went in first.
	started bool
}

// New returns a driver for engine whose chain ends at head.
func New(cfg Config, engine consensus.Engine, exec execution.Executor, pool Pool, head *types.Header) *Driver {
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	return &Driver{
		cfg: cfg, engine: engine, exec: exec, pool: pool, head: head,
		notify:   make(chan struct{}, 1),
		inbox:    make(chan consensus.PeerMessage, inboxSize),
		synced:   make(chan []Synced, 4),
		sealed:   make(chan *types.Block, sealedSize),
		executed: make(map[common.Hash]*execution.Executed),
	}
}

// inboxSize bounds peer messages waiting for the engine; beyond it they are
// dropped (and counted by the caller) rather than stalling the network reader.
const inboxSize = 4096

// sealedSize bounds sealed blocks waiting for Run; beyond it they are
// dropped (a sealer finds one per request, and requests replace each other).
const sealedSize = 16

// Deliver queues a peer's engine message. It never blocks; it returns false
// when the inbox is full and the message was dropped.
func (d *Driver) Deliver(m consensus.PeerMessage) bool {
	select {
	case d.inbox <- m:
		return true
	default:
		return false
	}
}

// DeliverSynced hands the driver blocks fetched by block sync, in height
// order, with verified certificates. It blocks while the driver is busy, so
// the syncer fetches no faster than blocks are applied.
func (d *Driver) DeliverSynced(blocks []Synced) { d.synced <- blocks }

// PoolChanged tells the driver the pool changed. It never blocks; any number
// of calls before the driver looks collapse into one.
func (d *Driver) PoolChanged() {
	select {
	case d.notify <- struct{}{}:
	default:
	}
}

// Run drives the engine until ctx ends (nil) or committing fails (the
// error): it starts the driver and hands it, one at a time, ticks from the
// clock and what Deliver, PoolChanged and DeliverSynced queued. It is a loop
// around the stepped API (step.go), so both modes behave the same.
//
// It does not wake every tick: between inputs it sleeps on one timer until
// the tick the engine named (NextTick), and on every wake it first hands
// the engine the ticks that elapsed, then the input that woke it. A
// resting subnet costs a wake per heartbeat, not ten a second.
func (d *Driver) Run(ctx context.Context) error {
	ticks := NewLazyTicker(d.cfg.Clock, d.cfg.Tick)
	defer ticks.Stop()
	if d.cfg.Sealer != nil {
		defer d.cfg.Sealer.Stop()
	}
	if err := d.Start(); err != nil {
		return err
	}
	for {
		var input func() error
		select {
		case <-ctx.Done():
			return nil
		case <-ticks.Wait(d.NextTick()):
			ticks.Fired()
		case <-d.notify:
			input = d.HandlePoolChanged
		case m := <-d.inbox:
			input = func() error { return d.HandlePeer(m) }
		case blocks := <-d.synced:
			input = func() error { return d.HandleSynced(blocks) }
		case b := <-d.sealed:
			input = func() error { return d.HandleSealed(b) }
		}
		for n := ticks.Elapsed(); n > 0; n-- {
			if err := d.Tick(); err != nil {
				return err
			}
		}
		if input != nil {
			if err := input(); err != nil {
				return err
			}
		}
	}
}

// process performs Ready until the engine has nothing more to do.
func (d *Driver) process() error {
	for d.engine.HasReady() {
		rd := d.engine.Ready()
		d.engine.Advance()
		if len(rd.Persist) > 0 {
			if d.cfg.WAL == nil {
				return ErrNoWAL
			}
			// Synced before anything in this Ready leaves the process.
			if err := d.cfg.WAL.Append(d.head.Height+1, rd.Persist); err != nil {
				return fmt.Errorf("driver: persist votes: %w", err)
			}
		}
		if len(rd.Send) > 0 && d.cfg.Transport == nil {
			return ErrNoTransport
		}
		for _, m := range rd.Send {
			var err error
			if m.To == "" {
				err = d.cfg.Transport.Broadcast(m.Payload)
			} else {
				err = d.cfg.Transport.Send(m.To, m.Payload)
			}
			if err != nil {
				d.cfg.Log.Debug("send failed", "to", m.To, "err", err)
			}
		}
		stopped := false
		if rd.Head != nil {
			var err error
			if stopped, err = d.moveHead(rd.Head); err != nil {
				return err
			}
		}
		for _, f := range rd.Final {
			if stopped {
				break // counted blocks that turned out invalid; the engine was told
			}
			if err := d.finalize(f); err != nil {
				return err
			}
		}
		if rd.Safe != nil && !stopped {
			if err := d.markSafe(rd.Safe); err != nil {
				return err
			}
		}
		if rd.Head != nil || len(rd.Final) > 0 {
			if err := d.engine.Step(d.pool.Status()); err != nil {
				d.cfg.Log.Warn("engine rejected pool status", "err", err)
			}
		}
		if rd.Build != nil {
			if err := d.engine.Step(d.build(rd.Build)); err != nil {
				return fmt.Errorf("driver: engine rejected the block it asked for: %w", err)
			}
		}
		for _, b := range rd.Verify {
			d.stepVerdict(b, d.verify(b))
		}
		if rd.Seal != nil {
			if err := d.seal(rd.Seal); err != nil {
				return err
			}
		}
		if rd.SyncTo > d.head.Height && d.cfg.OnSyncTo != nil {
			d.cfg.OnSyncTo(rd.SyncTo)
		}
	}
	return nil
}

// applySynced commits blocks from block sync that extend the head, then
// moves the engine past them. Blocks that extend a block below the head
// instead (a pow node whose tentative blocks lost to the network's final
// chain while it could not follow) replace the tentative blocks above it,
// if the executor lets them go (it never rewinds a final block).
func (d *Driver) applySynced(blocks []Synced) error {
	var dropped []*types.Block
	if n := len(blocks); n > 0 && blocks[n-1].Block.Height() > d.head.Height && !holds(blocks, d.head) {
		first := blocks[0].Block
		if p := first.Header.ParentHash; p != d.head.Hash() && first.Height() >= 1 && first.Height() <= d.head.Height {
			var err error
			if dropped, err = d.rewind(consensus.BlockID{Height: first.Height() - 1, Hash: p}); err != nil {
				d.cfg.Log.Warn("synced blocks fork below a block this node holds final", "height", first.Height(), "err", err)
				return nil
			}
		}
	}
	before := d.head.Height
	var next []types.Validator
	included := make(map[common.Hash]bool)
	defer func() { d.giveBack(dropped, included) }()
	for _, s := range blocks {
		if s.Block.Height() != d.head.Height+1 {
			continue // stale (we got there by consensus meanwhile) or out of order
		}
		if s.Block.Header.ParentHash != d.head.Hash() {
			d.cfg.Log.Warn("synced block does not extend our head", "height", s.Block.Height())
			break
		}
		if err := d.commit(consensus.Final{Block: s.Block, Commit: s.Commit}); err != nil {
			d.cfg.Log.Warn("synced block rejected", "height", s.Block.Height(), "err", err)
			break
		}
		if nv := s.Block.Header.NextValidators; len(nv) > 0 {
			next = nv
		}
		for _, tx := range s.Block.Txs {
			included[tx.Hash()] = true
		}
	}
	if d.head.Height > before {
		d.cfg.Log.Info("caught up by block sync", "from", before, "to", d.head.Height)
		return d.engine.Step(consensus.Synced{Height: d.head.Height, Hash: d.head.Hash(), NextValidators: next})
	}
	return nil
}

func (d *Driver) build(req *consensus.BuildRequest) consensus.Message {
	if req.Parent != d.head.Hash() {
		return consensus.BuildFailed{Height: req.Height, Reason: "parent is not the committed head"}
	}
	now := uint64(d.cfg.Clock.Now().UnixMilli())
	if now <= d.head.TimeMs {
		now = d.head.TimeMs + 1 // timestamps strictly increase even if the clock steps back
	}
	ref := d.head.ParentRef
	if d.cfg.ParentRef != nil {
		if r := d.cfg.ParentRef(); r.Height > ref.Height {
			ref = r // never backwards: the executor would refuse it
		}
	}
	attrs := execution.Attributes{TimeMs: now, Proposer: d.cfg.Proposer, ParentRef: ref, Evidence: req.Evidence}
	if req.Difficulty != nil {
		attrs.Difficulty = req.Difficulty(d.head, now)
	}
	start := d.cfg.Clock.Now()
	e, err := d.exec.Build(d.head, attrs, d.pool.Source())
	d.stage("build", start)
	if err != nil {
		d.cfg.Log.Error("block build failed", "height", req.Height, "err", err)
		return consensus.BuildFailed{Height: req.Height, Reason: err.Error()}
	}
	d.executed[e.Block.Hash()] = e
	return consensus.Built{Block: e.Block}
}

// seal hands a seal request to the sealer; what it finds comes back
// through Run (found) or the stepped caller (HandleSealed).
func (d *Driver) seal(req *consensus.SealRequest) error {
	if d.cfg.Sealer == nil {
		return ErrNoSealer
	}
	if req.Block == nil {
		d.cfg.Sealer.Stop()
		return nil
	}
	d.cfg.Sealer.Seal(req.Block, d.found)
	return nil
}

// found is the sealer's callback, on any goroutine: it never blocks.
func (d *Driver) found(b *types.Block) {
	select {
	case d.sealed <- b:
	default:
		d.cfg.Log.Warn("sealed block dropped: the driver is behind", "height", b.Height())
	}
}

// verify executes b and returns the verdict, or nil when b references a
// parent block above this node's newest final parent block: a refusal then
// would only say "not yet", but the engine keeps verdicts for good, and a
// lasting nil prevote from an honest validator that merely lags its parent
// chain can stall a round once others locked on b. The block waits in
// deferred and is verified again once the parent catches up.
func (d *Driver) verify(b *types.Block) consensus.Message {
	if d.cfg.ParentRef != nil && b.Header.ParentRef.Height > d.cfg.ParentRef().Height {
		if len(d.deferred) < maxDeferred {
			d.deferred = append(d.deferred, b)
			return nil
		}
		return consensus.Verdict{Hash: b.Hash(), Valid: false}
	}
	start := d.cfg.Clock.Now()
	e, err := d.exec.Execute(b)
	d.stage("verify", start)
	if err != nil {
		d.cfg.Log.Warn("block rejected", "height", b.Height(), "hash", b.Hash(), "err", err)
		return consensus.Verdict{Hash: b.Hash(), Valid: false}
	}
	d.executed[b.Hash()] = e
	return consensus.Verdict{Hash: b.Hash(), Valid: true}
}

// maxDeferred bounds the blocks waiting for the parent chain; beyond it a
// block is refused as before.
const maxDeferred = 64

func (d *Driver) stepVerdict(b *types.Block, v consensus.Message) {
	if v == nil {
		return
	}
	if err := d.engine.Step(v); err != nil {
		d.cfg.Log.Warn("engine rejected verdict", "height", b.Height(), "err", err)
	}
}

// retryDeferred verifies the waiting blocks the parent chain now covers and
// drops those of heights already final here.
func (d *Driver) retryDeferred() {
	if len(d.deferred) == 0 {
		return
	}
	waiting := d.deferred
	d.deferred = nil
	for _, b := range waiting {
		if b.Height() <= d.head.Height {
			continue
		}
		d.stepVerdict(b, d.verify(b))
	}
}

func (d *Driver) commit(f consensus.Final) error {
	hash := f.Block.Hash()
	e, ok := d.executed[hash]
	if !ok {
		var err error
		if e, err = d.exec.Execute(f.Block); err != nil {
			return fmt.Errorf("driver: final block %d does not execute: %w", f.Block.Height(), err)
		}
	}
	e.Block = f.Block // carries the seal the engine added
	start := d.cfg.Clock.Now()
	if err := d.exec.Commit(e, f.Commit); err != nil {
		return fmt.Errorf("driver: commit block %d: %w", f.Block.Height(), err)
	}
	d.stage("commit", start)
	d.head = f.Block.Header
	if err := d.truncateWAL(d.head.Height); err != nil {
		return err
	}
	d.forgetExecuted()
	if d.cfg.OnCommit != nil {
		d.cfg.OnCommit(e)
	}
	return nil
}

func (d *Driver) stage(name string, start time.Time) {
	if d.cfg.OnStage != nil {
		d.cfg.OnStage(name, d.cfg.Clock.Now().Sub(start))
	}
}

// holds reports whether head is one of the synced blocks.
func holds(blocks []Synced, head *types.Header) bool {
	hash := head.Hash()
	for _, s := range blocks {
		if s.Block.Height() == head.Height {
			return s.Block.Hash() == hash
		}
	}
	return false
}
