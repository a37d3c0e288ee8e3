package solo

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// ErrUnexpectedBlock is returned when a built block is not the one asked for.
var ErrUnexpectedBlock = errors.New("solo: built block does not answer the pending build request")

// ErrNoPeers is returned for peer messages: a solo chain has no consensus peers.
var ErrNoPeers = errors.New("solo: a solo engine takes no consensus messages from peers")

// Signer seals a block hash with the sequencer's key. Signing must be
// deterministic (secp256k1 with RFC 6979 nonces is) so the engine stays a
// pure function of its inputs.
type Signer interface {
	Sign(hash common.Hash) ([]byte, error)
}

// Config sets the engine's timing, in ticks.
type Config struct {
	BlockTime    uint64 // ticks between blocks while transactions wait; >= 1
	IdleInterval uint64 // ticks between empty blocks while none wait; >= BlockTime
}

// Validate reports a config the engine cannot run with.
func (c Config) Validate() error {
	if c.BlockTime == 0 {
		return fmt.Errorf("solo: block time must be at least one tick")
	}
	if c.IdleInterval < c.BlockTime {
		return fmt.Errorf("solo: idle interval (%d ticks) must not be shorter than the block time (%d ticks)", c.IdleInterval, c.BlockTime)
	}
	return nil
}

// Engine is the solo consensus engine. It is not safe for concurrent use; the
// driver's goroutine owns it.
type Engine struct {
	cfg    Config
	signer Signer

	height  uint64      // of the last final block
	head    common.Hash // hash of the last final block
	elapsed uint64      // ticks since the last final block
	pending int
	full    bool

	building bool // a BuildRequest is out and unanswered
	ready    consensus.Ready
}

var _ consensus.Engine = (*Engine)(nil)

// New returns an engine whose chain ends at the block (height, head).
func New(cfg Config, signer Signer, height uint64, head common.Hash) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, signer: signer, height: height, head: head}
	e.maybeBuild()
	return e, nil
}

// Height is the height of the last final block.
func (e *Engine) Height() uint64 { return e.height }

// Tick advances logical time by one tick.
func (e *Engine) Tick() {
	e.elapsed++
	e.maybeBuild()
}

// NextTick is the tick at which the block time (transactions wait) or the
// idle interval (none do) runs out; none while a build is out.
func (e *Engine) NextTick() uint64 {
	switch {
	case e.building:
		return consensus.NoTick // Built or BuildFailed comes first
	case e.height == 0 || e.full:
		return 1
	case e.pending > 0:
		return consensus.TicksUntil(e.cfg.BlockTime, e.elapsed)
	}
	return consensus.TicksUntil(e.cfg.IdleInterval, e.elapsed)
}

// Step feeds one input to the engine.
func (e *Engine) Step(msg consensus.Message) error {
	switch m := msg.(type) {
	case consensus.PoolStatus:
		e.pending, e.full = m.Pending, m.Full
		e.maybeBuild()
		return nil
	case consensus.Built:
		return e.seal(m.Block)
	case consensus.BuildFailed:
		if !e.building || m.Height != e.height+1 {
			return fmt.Errorf("%w: build failure for height %d", ErrUnexpectedBlock, m.Height)
		}
		// Try again after a full block time rather than spinning on a failing build.
		e.building, e.elapsed = false, 0
		return nil
	case consensus.Verdict, consensus.Replay:
		return nil // solo never asks for verification and persists nothing
	case consensus.Synced:
		if m.Height > e.height {
			e.height, e.head, e.building, e.elapsed = m.Height, m.Hash, false, 0
			e.ready.Build = nil
		}
		return nil
	case consensus.PeerMessage:
		return ErrNoPeers
	default:
		return fmt.Errorf("solo: unknown message %T", msg)
	}
}

func (e *Engine) seal(b *types.Block) error {
	if b == nil || !e.building || b.Header.Height != e.height+1 || b.Header.ParentHash != e.head {
		return ErrUnexpectedBlock
	}
	hash := b.Hash()
	seal, err := e.signer.Sign(hash)
	if err != nil {
		return fmt.Errorf("solo: seal block %d: %w", b.Header.Height, err)
	}
	b.Header.Seal = seal
	e.ready.Final = append(e.ready.Final, consensus.Final{
		Block:  b,
		Commit: &types.Commit{Height: b.Header.Height, BlockHash: hash},
	})
	e.height, e.head = b.Header.Height, hash
	e.building, e.elapsed = false, 0
	// The pool reports again once the block is committed and its txs removed.
	e.pending, e.full = 0, false
	return nil
}

func (e *Engine) maybeBuild() {
	if e.building {
		return
	}
	due := e.height == 0 || // the first block right away: devnets wait for it
		e.full ||
		(e.pending > 0 && e.elapsed >= e.cfg.BlockTime) ||
		e.elapsed >= e.cfg.IdleInterval
	if !due {
		return
	}
	e.building = true
	e.ready.Build = &consensus.BuildRequest{Height: e.height + 1, Parent: e.head}
}

// HasReady reports whether Ready has something to do.
func (e *Engine) HasReady() bool { return !e.ready.IsEmpty() }

// Ready returns what the driver must do now. It returns the same thing until Advance.
func (e *Engine) Ready() consensus.Ready { return e.ready }

// Advance acknowledges the last Ready.
func (e *Engine) Advance() { e.ready = consensus.Ready{} }
