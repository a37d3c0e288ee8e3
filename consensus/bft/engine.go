package bft

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

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
	// Key signs this node's votes. Nil: a follower that verifies and
	// finalizes but never votes. A key outside the set follows too, until a
	// final block's NextValidators seats it (and stops voting if one unseats it).
	Key       *crypto.BLSSecretKey
	Timeouts  Timeouts
	BlockTime uint64 // ticks to wait after a commit before the next height starts (Tendermint's timeout_commit)
	// IdleInterval, when above BlockTime, lets an idle chain rest: after
	// BlockTime a height starts only once there is work (PoolStatus with
	// pending transactions or top-down messages) or a peer's proposal or
	// vote for it arrives, and at the latest IdleInterval ticks after the
	// last decision (an empty heartbeat block). Zero: a block every BlockTime.
	IdleInterval uint64
	// CheckBody, when set, checks the part of a proposed block's body the
	// engine does not know, against the header: for an EVM chain, the
	// transactions against TxRoot. It runs on receipt, before anything else
	// (see CheckBody); it must be cheap and deterministic.
	CheckBody func(*types.Block) error
	// Sigs checks peer messages' signatures; nil: crypto.VerifyBLS. A node
	// shares it with its gossip gate (consensus.SigVerifier), so a message
	// the gate verified costs no second pairing check here.
	Sigs consensus.SigVerifier
}

// maxRoundsAhead bounds how far past the current round messages are kept;
// maxChecked bounds the signature cache.
const (
	maxRoundsAhead = 1000
	maxChecked     = 1 << 14
)

// Engine is a Tendermint engine. It is not safe for concurrent use; the
// driver's goroutine owns it.
type Engine struct {
	cfg  Config
	self int // index in the validator set, -1 for a follower

	now   uint64 // ticks since New
	began bool   // the first input arrived (Replay, if any, comes first)

	// The height being decided and the hash of the final block below it.
	height uint64
	head   common.Hash

	// Round state of Algorithm 1.
	round       uint32
	step        step
	started     bool // round 0 of this height began (false during BlockTime)
	resting     bool // BlockTime passed but there is no work yet (IdleInterval)
	work        bool // the pool last reported pending work
	lockedRound int32
	lockedHash  common.Hash
	validRound  int32
	validHash   common.Hash

	rounds       map[uint32]*roundInfo
	blocks       map[common.Hash]*blockInfo
	signed       map[signKey][]byte // own encoded votes at this height
	ownProposals map[uint32][]byte  // own encoded proposals at this height
	// ahead holds own WAL entries of later heights, from Replay, until the
	// engine reaches them (restoreAhead); nAhead counts them.
	ahead    map[uint64][][]byte
	nAhead   int
	building bool // a BuildRequest for this height is unanswered
	timers   []timer

	checked  map[common.Hash]error // signature check results by keccak(message)
	evidence evidencePool
	sync     syncState

	ready consensus.Ready

	// halted is set when a final block names a validator set the engine
	// cannot use (changeSet): it stops, and Step returns halted, rather
	// than taking the whole process down with a panic.
	halted error
}

var _ consensus.Engine = (*Engine)(nil)

// New returns an engine whose chain ends at the final block (height, head);
// it decides height+1. Round 0 begins with the first input (Replay, Tick or
// any Step), so a Replay can restore what was signed before anything new is.
func New(cfg Config, height uint64, head common.Hash) (*Engine, error) {
	if cfg.Validators == nil || cfg.Validators.Len() == 0 {
		return nil, fmt.Errorf("%w: no validator set", ErrInvalidConfig)
	}
	if t := cfg.Timeouts; t.Propose == 0 || t.Prevote == 0 || t.Precommit == 0 {
		return nil, fmt.Errorf("%w: propose, prevote and precommit timeouts must be at least one tick, got %+v", ErrInvalidConfig, t)
	}
	e := &Engine{cfg: cfg}
	e.seat()
	e.enterHeight(height+1, head)
	return e, nil
}

// seat finds this node's index in the current set: -1 without a seat.
func (e *Engine) seat() {
	e.self = -1
	if e.cfg.Key == nil {
		return
	}
	pub := e.cfg.Key.PublicKey()
	for i := 0; i < e.cfg.Validators.Len(); i++ {
		if bytes.Equal(e.cfg.Validators.At(i).BLSPublicKey, pub[:]) {
			e.self = i
		}
	}
}

// Voting reports whether this node holds a seat in the current set.
func (e *Engine) Voting() bool { return e.self >= 0 }

// Validators is the set deciding the current height.
func (e *Engine) Validators() *consensus.ValidatorSet { return e.cfg.Validators }

// changeSet switches to the set a final block named for the next height.
// Messages buffered for that height were checked against the old set, so
// they are dropped; their senders re-broadcast when the round stalls.
func (e *Engine) changeSet(next []types.Validator) error {
	vs, err := consensus.NewValidatorSet(next)
	if err != nil {
		// The executor refuses a block whose next set differs from what its
		// config changes lead to, and the gateway keeps sets non-empty and
		// their power capped; should a set still be unusable (a total above
		// consensus.MaxTotalPower), this chain stops here, not the node.
		e.halted = fmt.Errorf("%w: final block names a validator set the engine cannot use: %w", ErrInvalidConfig, err)
		return e.halted
	}
	e.cfg.Validators = vs
	e.seat()
	e.sync.next = nil
	e.evidence.rebind(vs)
	return nil
}

// Height is the height being decided: the last final block's height + 1.
func (e *Engine) Height() uint64 { return e.height }

// Round is the current round at Height.
func (e *Engine) Round() uint32 { return e.round }

// Evidence returns the equivocations seen and not yet included in a final
// block, indexed by seat in the current set.
func (e *Engine) Evidence() []Evidence {
	out := make([]Evidence, len(e.evidence.list))
	for i, pe := range e.evidence.list {
		out[i] = pe.ev
	}
	return out
}

// TakeOrphanedEvidence returns, once, the pending equivocations of
// validators that a set change removed before a block carried them: no block
// of this chain can prove them any more, but the parent, which knows the
// equivocator by key, still can. The driver's goroutine reports them there.
func (e *Engine) TakeOrphanedEvidence() []KeyedEvidence {
	out := e.evidence.orphaned
	e.evidence.orphaned = nil
	return out
}

// TakeOrphanedReports is TakeOrphanedEvidence as payloads for the parent's
// gateway (EncodeDoubleVote, what Kind.Evidence decodes): the engine-neutral
// consensus.EvidenceKeeper a node asks for them through.
func (e *Engine) TakeOrphanedReports() [][]byte {
	var out [][]byte
	for _, ev := range e.TakeOrphanedEvidence() {
		out = append(out, EncodeDoubleVote(DoubleVote{Key: ev.Key, A: ev.A, B: ev.B}))
	}
	return out
}

var _ consensus.EvidenceKeeper = (*Engine)(nil)

// HasReady reports whether Ready has something to do.
func (e *Engine) HasReady() bool { return !e.ready.IsEmpty() }

// Ready returns what the driver must do now; the same until Advance.
func (e *Engine) Ready() consensus.Ready { return e.ready }

// Advance acknowledges the last Ready.
func (e *Engine) Advance() { e.ready = consensus.Ready{} }

// Tick advances logical time by one tick and fires due timeouts.
func (e *Engine) Tick() {
	if e.halted != nil {
		return
	}
	e.begin()
	e.now++
	for {
		i := -1
		for j, t := range e.timers {
			if t.at <= e.now && (i < 0 || t.at < e.timers[i].at) {
				i = j
			}
		}
		if i < 0 {
			return
		}
		t := e.timers[i]
		e.timers = append(e.timers[:i:i], e.timers[i+1:]...)
		e.fire(t)
	}
}

// NextTick is the tick of the earliest timer, counted from now: a timeout
// of the round, the start of the next height, or the heartbeat that ends a
// rest. Between them ticks only move the clock.
func (e *Engine) NextTick() uint64 {
	if e.halted != nil {
		return consensus.NoTick
	}
	if !e.began {
		return 1 // the first input, a tick too, starts round 0
	}
	next := consensus.NoTick
	for _, t := range e.timers {
		next = min(next, consensus.TicksUntil(t.at, e.now))
	}
	return next
}

// Step feeds one input to the engine. Bad peer messages return an error and
// change nothing.
func (e *Engine) Step(msg consensus.Message) error {
	if e.halted != nil {
		return e.halted
	}
	if r, ok := msg.(consensus.Replay); ok {
		if e.began {
			return ErrReplayAfterStart
		}
		err := e.replay(r.Entries)
		e.begin()
		return err
	}
	e.begin()
	switch m := msg.(type) {
	case consensus.PeerMessage:
		err := e.onPeer(m.From, m.Payload)
		if e.resting && len(e.rounds) > 0 {
			e.wake() // a peer has work at this height: join it
		}
		return err
	case consensus.Built:
		return e.onBuilt(m.Block)
	case consensus.BuildFailed:
		if !e.building || m.Height != e.height {
			return fmt.Errorf("%w: build failure for height %d", ErrUnexpectedBlock, m.Height)
		}
		e.building = false // the round times out; a later round asks again
		return nil
	case consensus.Verdict:
		b := e.blocks[m.Hash]
		if b == nil || b.verdict != verdictPending {
			return nil // a verdict for a height already left behind
		}
		b.verdict = verdictInvalid
		if m.Valid {
			b.verdict = verdictValid
		}
		e.progress()
		return nil
	case consensus.Synced:
		if m.Height >= e.height {
			if len(m.NextValidators) > 0 {
				if err := e.changeSet(m.NextValidators); err != nil {
					return err
				}
			}
			e.enterHeight(m.Height+1, m.Hash)
			e.startOrRest()
			e.progress()
		}
		return nil
	case consensus.PoolStatus:
		e.work = m.Pending > 0
		if e.resting && e.work {
			e.wake()
		}
		return nil
	}
	return fmt.Errorf("%w: %T", ErrUnknownMessage, msg)
}

// begin starts round 0 of the first height once, at the first input.
func (e *Engine) begin() {
	if e.began {
		return
	}
	e.began = true
	if !e.started {
		e.startOrRest()
	}
	e.progress()
}

func (e *Engine) onBuilt(b *types.Block) error {
	if b == nil || b.Header == nil || !e.building || b.Header.Height != e.height || b.Header.ParentHash != e.head {
		return ErrUnexpectedBlock
	}
	e.building = false
	if e.started && e.step == stepPropose && e.isProposer(e.round) && e.ownProposals[e.round] == nil {
		if v := e.blocks[e.validHash]; e.validRound >= 0 && v != nil {
			e.propose(v.block, e.validRound) // a value was locked on meanwhile; it goes first
		} else {
			e.propose(b, -1)
		}
		e.progress()
	}
	return nil
}

// enterHeight resets the round state for height h on top of head, and feeds
// it what was buffered for h. Round 0 starts later (startRound).
func (e *Engine) enterHeight(h uint64, head common.Hash) {
	e.height, e.head = h, head
	e.round, e.step, e.started, e.resting = 0, stepPropose, false, false
	e.lockedRound, e.lockedHash, e.validRound, e.validHash = -1, common.Hash{}, -1, common.Hash{}
	e.rounds = map[uint32]*roundInfo{}
	e.blocks = map[common.Hash]*blockInfo{}
	e.signed = map[signKey][]byte{}
	e.ownProposals = map[uint32][]byte{}
	e.building, e.timers = false, nil
	e.checked = map[common.Hash]error{}
	e.ready.Build = nil
	e.restoreAhead()
	for _, m := range e.sync.enter(h) {
		e.apply(m.msg, m.enc)
	}
}

// decide emits block as final with the certificate from round r's
// precommits, then waits BlockTime before the next height.
func (e *Engine) decide(r uint32, block *types.Block, hash common.Hash) {
	ri := e.rounds[r]
	commit, err := makeCommit(e.height, r, ri.precommits.for_(hash))
	if err != nil {
		panic("bft: precommits that were verified do not aggregate: " + err.Error())
	}
	e.ready.Final = append(e.ready.Final, consensus.Final{Block: block, Commit: commit})
	e.evidence.included(block.Evidence, e.cfg.Validators)
	e.sync.remember(e.catchUp(r, hash), e.now)
	if len(block.Header.NextValidators) > 0 && e.changeSet(block.Header.NextValidators) != nil {
		e.height, e.head, e.started = e.height+1, hash, false // halted: nothing follows this block here
		return
	}
	e.enterHeight(e.height+1, hash)
	e.work = false // the driver reports the pool again after the commit
	if e.cfg.BlockTime == 0 {
		e.startOrRest()
		e.progress()
	} else {
		e.schedule(timerStart, e.cfg.BlockTime, 0)
	}
}

// catchUp is what a peer still at the decided height needs to decide it too:
// a proposal of the block and the precommits that certify it.
func (e *Engine) catchUp(r uint32, hash common.Hash) [][]byte {
	var out [][]byte
	for _, rr := range append([]uint32{r}, e.sortedRounds()...) {
		if ri := e.rounds[rr]; ri.proposal != nil && ri.hash == hash {
			out = append(out, ri.proposalEnc)
			break
		}
	}
	for _, v := range e.rounds[r].precommits.for_(hash) {
		if v != nil {
			enc, _ := EncodeMessage(v)
			out = append(out, enc)
		}
	}
	return out
}

func (e *Engine) persist(enc []byte) { e.ready.Persist = append(e.ready.Persist, enc) }

func (e *Engine) broadcast(enc []byte) {
	e.ready.Send = append(e.ready.Send, consensus.Outbound{Payload: enc})
}

func (e *Engine) requestSync(height uint64) {
	if height >= e.height && height > e.sync.requested {
		e.sync.requested = height
		e.ready.SyncTo = max(e.ready.SyncTo, height)
	}
}

// seen reports whether the message was checked before.
func (e *Engine) seen(enc []byte) bool {
	_, ok := e.checked[gethcrypto.Keccak256Hash(enc)]
	return ok
}

// verify checks a decoded message's signature once per message.
func (e *Engine) verify(m any, enc []byte) error {
	key := gethcrypto.Keccak256Hash(enc)
	if err, ok := e.checked[key]; ok {
		return err
	}
	err := checkSigned(e.cfg.Validators, e.cfg.Subnet, m, e.cfg.Sigs)
	if len(e.checked) >= maxChecked {
		e.checked = map[common.Hash]error{}
	}
	e.checked[key] = err
	return err
}
