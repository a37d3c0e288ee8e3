package consensus

import (
	"math"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// Engine is the contract between a consensus engine and its driver.
//
// The driver calls Step for every input and Tick once per tick of logical time
// (a fixed wall-time duration in the real node, one virtual unit in the
// simulator). Whenever HasReady is true it takes Ready, calls Advance at once
// (before any further Step), and performs what Ready said in field order:
// persist, send, move the head (Head), commit Final, mark Safe, then serve
// Build and Verify, whose answers (Built, BuildFailed, Verdict) go back in
// through Step, and hand Seal to its Sealer, whose answer (Sealed) comes
// back later.
//
// NextTick lets a resting engine cost nothing: it says how many ticks from
// now the next one is that may give the engine something to do absent other
// input (its next timeout, heartbeat or retry). The ticks before it must
// leave Ready empty, so a driver may sleep until then and hand the elapsed
// ticks over in one go (before any other input, so the engine sees the same
// sequence of inputs as under a free-running ticker). At least 1 (the very
// next tick); NoTick when only input can give the engine work.
type Engine interface {
	Step(msg Message) error
	Tick()
	NextTick() uint64
	HasReady() bool
	Ready() Ready
	Advance()
}

// NoTick is NextTick's answer when no tick alone gives the engine work.
const NoTick uint64 = math.MaxUint64

// TicksUntil is NextTick's answer for work due at logical tick at when the
// engine's clock reads now: at-now, at least 1 (a deadline already passed is
// due at the next tick).
func TicksUntil(at, now uint64) uint64 {
	if at <= now {
		return 1
	}
	return at - now
}

// Message is any input to an engine. The kinds every engine understands are
// declared here; engines with a wire protocol add their own.
type Message interface{ isMessage() }

// Built answers a BuildRequest: the block the application made.
type Built struct{ Block *types.Block }

// BuildFailed answers a BuildRequest the application could not satisfy.
type BuildFailed struct {
	Height uint64
	Reason string
}

// Verdict answers a block handed out in Ready.Verify.
type Verdict struct {
	Hash  common.Hash
	Valid bool
}

// PoolStatus tells the engine how many transactions wait for inclusion and
// whether they would fill a block, so a sequencer can seal early.
type PoolStatus struct {
	Pending int
	Full    bool
}

// PeerMessage is an engine wire message from a peer, still encoded.
type PeerMessage struct {
	From    string
	Payload []byte
}

// Replay hands an engine, once at start-up and before any other input, what
// it asked to persist (Ready.Persist) since its last final block, in order:
// its own signed votes survive a crash, so it never signs a conflicting one.
type Replay struct{ Entries [][]byte }

// Synced tells the engine the application committed blocks it learned from
// block sync (with verified certificates) up to Height, whose hash is Hash:
// the engine abandons whatever height it was at and starts Height+1.
type Synced struct {
	Height uint64
	Hash   common.Hash
	// NextValidators is the newest validator set the synced blocks named
	// (Header.NextValidators); nil when none of them changed it.
	NextValidators []types.Validator
}

// Sealed answers a SealRequest: the same block with its seal (for pow, the
// nonce that gives it enough work). It may answer a request a newer one
// replaced: the block is still good if its parent is.
type Sealed struct{ Block *types.Block }

func (Replay) isMessage()      {}
func (Sealed) isMessage()      {}
func (Synced) isMessage()      {}
func (Built) isMessage()       {}
func (BuildFailed) isMessage() {}
func (Verdict) isMessage()     {}
func (PoolStatus) isMessage()  {}
func (PeerMessage) isMessage() {}

// BuildRequest asks the application for a block at Height on top of Parent.
// The driver stamps the time from its injected clock; engines have none.
type BuildRequest struct {
	Height uint64
	Parent common.Hash
	// Evidence of misbehaviour (encoded by the engine) to include in the block.
	Evidence [][]byte
	// Difficulty, when not nil, gives the block's Header.Difficulty from
	// its parent (the header of Parent) and the time the driver stamps on
	// it: proof-of-work difficulty depends on that time, which only the
	// driver knows. Nil: the block has none (0).
	Difficulty func(parent *types.Header, timeMs uint64) uint64
}

// SealRequest asks the driver's Sealer to seal Block (for pow, to search a
// nonce). A newer request replaces the older; Block nil: stop sealing.
type SealRequest struct{ Block *types.Block }

// Sealer is what the driver needs of whatever seals blocks for an engine
// that asks it to (pow's miner; the simulator's stand-in with virtual
// delays). Sealing runs beside the engine; its results reach the engine as
// Sealed messages.
type Sealer interface {
	// Seal starts sealing b, abandoning any earlier request. found is
	// called, from any goroutine and at most once per request, with a copy
	// of b carrying its seal; it must not block.
	Seal(b *types.Block, found func(*types.Block))
	// Stop abandons the current request, if any. A later Seal starts again.
	Stop()
}

// Outbound is an encoded engine message to send; To is a peer ID or "" for all.
type Outbound struct {
	To      string
	Payload []byte
}

// Final is a block that became final with the certificate that proves it
// (nil for an engine whose finality is a depth, not a certificate). The block
// may already be on the chain as a tentative block (Ready.Head); it is then
// only marked final.
type Final struct {
	Block  *types.Block
	Commit *types.Commit
}

// BlockID names a block by height and hash.
type BlockID struct {
	Height uint64
	Hash   common.Hash
}

// HeadMove says the head moved to blocks that are not final yet: an engine
// with probabilistic finality reports each new best chain this way, and
// reports the same blocks again in Final once they are deep enough. Engines
// with instant finality never set it.
type HeadMove struct {
	// Rewind, when not nil, is the newest block the old and the new branch
	// share: every block above it is taken back first (their transactions
	// return to the pool unless the new branch includes them). It is never
	// below the newest final block.
	Rewind *BlockID
	// Blocks extend Rewind (or the head when Rewind is nil), in height order.
	// They need not have been through Verify: the driver executes each as it
	// commits it, and answers the first invalid one with Verdict{Valid:
	// false}, committing neither it nor the blocks after it, and ignoring the
	// Final and Safe of the same Ready (they may count the invalid block):
	// the engine says again what is final once it has chosen a new head.
	Blocks []*types.Block
}

// Ready is what the driver must do now, in field order: write Persist to the
// WAL and sync it, send Send, move the head (Head), commit Final, mark Safe,
// then serve Build and Verify, and hand Seal to the Sealer.
type Ready struct {
	Persist [][]byte
	Send    []Outbound
	// Head moves the tentative head; nil: it did not move.
	Head  *HeadMove
	Final []Final
	// Safe, when not nil, is the newest block on the chain the engine holds
	// unlikely to be taken back (Ethereum's "safe" tag); it is at or above
	// the final block. Nil: final blocks are the safe ones.
	Safe   *BlockID
	Build  *BuildRequest
	Verify []*types.Block
	// Seal, when not nil, is handed to the driver's Sealer after Build and
	// Verify are served: a newer request replaces the older; Block nil:
	// stop sealing.
	Seal *SealRequest
	// SyncTo, when above the engine's height, says the network has finalized
	// up to at least that height and this node should fetch the blocks it
	// missed through block sync (then report them with Synced).
	SyncTo uint64
}

// IsEmpty reports whether nothing needs doing.
func (r Ready) IsEmpty() bool {
	return len(r.Persist) == 0 && len(r.Send) == 0 && r.Head == nil && len(r.Final) == 0 && r.Safe == nil &&
		r.Build == nil && len(r.Verify) == 0 && r.Seal == nil && r.SyncTo == 0
}
