package bft

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Timeouts are Tendermint's step timeouts in ticks: round r waits base + r*Delta.
type Timeouts struct{ Propose, Prevote, Precommit, Delta uint64 }

// Config configures an engine.
type Config struct {
	Subnet     types.SubnetID
	Validators *consensus.ValidatorSet
	Key        *crypto.BLSSecretKey // nil: a follower that verifies and finalizes but never votes
	Timeouts   Timeouts
	BlockTime  uint64 // ticks to wait after a commit before the next height starts (Tendermint's timeout_commit)
}

// Engine is a Tendermint engine. It is not safe for concurrent use; the
// driver's goroutine owns it.
type Engine struct {
	cfg Config
	// TODO: state
	height uint64
	round  uint32
	ready  consensus.Ready
}

var _ consensus.Engine = (*Engine)(nil)

// New returns an engine whose chain ends at the final block (height, head);
// it decides height+1.
func New(cfg Config, height uint64, head common.Hash) (*Engine, error) {
	return &Engine{cfg: cfg, height: height + 1}, nil
}

// Height is the height being decided: the last final block's height + 1.
func (e *Engine) Height() uint64 { return e.height }

// Round is the current round at Height.
func (e *Engine) Round() uint32 { return e.round }

// Evidence returns the equivocations seen and not yet included in a final block.
func (e *Engine) Evidence() []Evidence { return nil }

// Step feeds one input to the engine.
func (e *Engine) Step(msg consensus.Message) error { return fmt.Errorf("%w: %T", ErrUnknownMessage, msg) }

// Tick advances logical time by one tick.
func (e *Engine) Tick() {}

// HasReady reports whether Ready has something to do.
func (e *Engine) HasReady() bool { return !e.ready.IsEmpty() }

// Ready returns what the driver must do now; the same until Advance.
func (e *Engine) Ready() consensus.Ready { return e.ready }

// Advance acknowledges the last Ready.
func (e *Engine) Advance() { e.ready = consensus.Ready{} }
