package driver

import (
	"errors"
	"fmt"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// ErrNotStarted is returned by the stepped inputs before Start.
var ErrNotStarted = errors.New("driver: Start must be called before stepping the driver")

// ErrEarlyTick is returned by Tick, with Config.StrictTicks, when the
// engine had something to do on a tick before the one its NextTick named: a
// driver that sleeps until then would have acted late.
var ErrEarlyTick = errors.New("driver: the engine acted on a tick before the one its NextTick named")

// ErrStarted is returned by Start (or Run) on a driver already started: the
// WAL replay must reach the engine once, before any other input.
var ErrStarted = errors.New("driver: already started")

// A driver can be stepped by its caller instead of running its own loop: the
// simulator owns many drivers in one goroutine and decides when each sees a
// tick or a message. In that mode the caller calls Start once, then any of
// Tick, HandlePeer, HandlePoolChanged, HandleSynced and HandleSealed; each handles one input
// and performs every Ready that follows before it returns, exactly as Run does
// for the same input (Run is a loop around these methods). Time comes only
// from Config.Clock.Now; Clock.NewTimer is never called in this mode (a
// caller may skip the ticks before NextTick as Run does, or not). The
// asynchronous inputs (Deliver, PoolChanged, DeliverSynced) feed Run only and
// must not be used with a stepped driver.
//
// Errors returned are fatal, as Run's are: the engine asked for something
// impossible, or committing a block failed. A peer message the engine
// rejects is not fatal; it goes to Config.OnStepError.

// Start replays the WAL (Config.Replay) into the engine, tells it the pool's
// status and performs what it asks. Call it once, first.
func (d *Driver) Start() error {
	if d.started {
		return ErrStarted
	}
	d.started = true
	if len(d.cfg.Replay) > 0 {
		if err := d.engine.Step(consensus.Replay{Entries: d.cfg.Replay}); err != nil {
			return fmt.Errorf("driver: replay the WAL: %w", err)
		}
	}
	if err := d.engine.Step(d.pool.Status()); err != nil {
		return err
	}
	return d.process()
}

// Tick gives the engine one tick of logical time, retries blocks waiting for
// the parent chain, and performs what follows. It checks the engine's
// NextTick on the way: a tick it said was quiet must leave Ready empty
// (logged, and ErrEarlyTick with Config.StrictTicks).
func (d *Driver) Tick() error {
	if !d.started {
		return ErrNotStarted
	}
	quiet := d.engine.NextTick() > 1
	d.engine.Tick()
	if quiet && d.engine.HasReady() {
		if d.cfg.StrictTicks {
			return fmt.Errorf("%w: %T at height %d", ErrEarlyTick, d.engine, d.head.Height+1)
		}
		d.cfg.Log.Error("engine broke its NextTick: acted on a tick it said was quiet", "engine", fmt.Sprintf("%T", d.engine))
	}
	d.retryDeferred()
	return d.process()
}

// NextTick is the tick, counted from now, at which the driver next has
// something to do absent other input: the engine's NextTick, or the next
// tick while blocks wait for the parent chain (retried every tick).
// consensus.NoTick: only input gives it work. Only the goroutine stepping
// the driver may call it.
func (d *Driver) NextTick() uint64 {
	if len(d.deferred) > 0 {
		return 1
	}
	return d.engine.NextTick()
}

// HandlePeer steps a peer's engine message in and performs what follows.
func (d *Driver) HandlePeer(m consensus.PeerMessage) error {
	if !d.started {
		return ErrNotStarted
	}
	if err := d.engine.Step(m); err != nil && d.cfg.OnStepError != nil {
		d.cfg.OnStepError(err)
	}
	return d.process()
}

// HandlePoolChanged tells the engine the pool's new status (and retries
// blocks waiting for the parent chain), then performs what follows.
func (d *Driver) HandlePoolChanged() error {
	if !d.started {
		return ErrNotStarted
	}
	d.retryDeferred()
	if err := d.engine.Step(d.pool.Status()); err != nil {
		d.cfg.Log.Warn("engine rejected pool status", "err", err)
	}
	return d.process()
}

// HandleSynced commits blocks from block sync (height order, certificates
// verified by the caller) that extend the head, moves the engine past them
// and performs what follows.
func (d *Driver) HandleSynced(blocks []Synced) error {
	if !d.started {
		return ErrNotStarted
	}
	if err := d.applySynced(blocks); err != nil {
		return err
	}
	return d.process()
}

// HandleSealed steps a block the sealer sealed into the engine and performs
// what follows. A stepped driver's caller calls it with what its Sealer
// found; Run calls it with what Config.Sealer handed back.
func (d *Driver) HandleSealed(b *types.Block) error {
	if !d.started {
		return ErrNotStarted
	}
	if err := d.engine.Step(consensus.Sealed{Block: b}); err != nil && d.cfg.OnStepError != nil {
		d.cfg.OnStepError(err)
	}
	return d.process()
}

// Head is the newest block committed through this driver (final or not).
// Only the goroutine stepping the driver may call it.
func (d *Driver) Head() *types.Header { return d.head }
