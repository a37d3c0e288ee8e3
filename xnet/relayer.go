package xnet

import (
	"errors"
	"fmt"
	"maps"
	"math"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Defaults for the zero values of Config's tuning fields.
const (
	DefaultWindow         = 16   // checkpoints built and signed beyond the parent's last
	DefaultSubmitDelay    = 5    // ticks per step of distance from the chosen submitter
	DefaultCommitTimeout  = 30   // ticks to wait for a submission to commit before resubmitting
	DefaultResendInterval = 10   // ticks between re-gossips of the own signature of the next checkpoint
	DefaultMaxBuffered    = 4096 // signatures kept for checkpoints not built yet
)

var (
	// ErrConfig reports a relayer configuration that cannot work.
	ErrConfig = errors.New("xnet: invalid relayer config")
	// ErrUnknownInput reports an input Step does not know.
	ErrUnknownInput = errors.New("xnet: unknown relayer input")
	// ErrConflictingCheckpoint reports that this node computed a checkpoint
	// for a height at which its key already signed a different one. It
	// refuses to sign again (two signatures for one height are slashable);
	// its view of the child has changed, which needs an operator.
	ErrConflictingCheckpoint = errors.New("xnet: refusing to sign a second checkpoint for a height")
)

// Config configures a Relayer.
type Config struct {
	Params  Params
	View    ChildView
	Signers SignerView
	// Key signs checkpoints of the configs whose signer set holds its public
	// key. nil: the node only relays, submitting quorums others signed.
	Key *crypto.BLSSecretKey
	// Signed lists the checkpoints Key signed before a restart (everything
	// Ready.Persist returned that is above the parent's last checkpoint).
	// The relayer never signs a different checkpoint at those heights.
	Signed []Signed

	// Tuning; zero means the default.
	Window         uint64 // checkpoints built and signed beyond the parent's last
	SubmitDelay    uint64 // ticks a relayer at distance d from the chosen submitter waits, times d
	CommitTimeout  uint64 // ticks a submission may take to commit before it is sent again
	ResendInterval uint64 // ticks between re-gossips of the own signature of the next checkpoint
	MaxBuffered    int    // peer signatures held for checkpoints not built yet
}

// Input is something that happened, fed to Relayer.Step.
type Input interface{ input() }

// Final says the child's chain is final up to Height. Stepping it again
// with the same height retries a build that failed.
type Final struct{ Height uint64 }

// PeerSignature is a message received on the subnet's checkpoint topic: an
// encoded types.CheckpointSignature.
type PeerSignature struct {
	From string
	Data []byte
}

// ParentCommitted is the newest checkpoint of this subnet the parent's
// gateway has committed: lastCheckpoint[child] (height and hash) and
// upApplied[child], read from the state that paces submissions — the
// parent's final state, or its head under probabilistic finality (a
// submission a reorg drops returns to the parent's pool and commits again,
// so the relayer never goes back). The zero value says none is.
type ParentCommitted Link

// SubmitResult reports what became of a Submission: Err is nil once the
// transaction was sent (then the relayer waits for ParentCommitted), or why
// it could not be.
type SubmitResult struct {
	Height uint64
	Err    error
}

func (Final) input()           {}
func (PeerSignature) input()   {}
func (ParentCommitted) input() {}
func (SubmitResult) input()    {}

// Signed records that the relayer's key signed the checkpoint Hash at Height.
type Signed struct {
	Height uint64
	Hash   common.Hash
}

// Submission is a certificate for the parent's gateway: send it as
// submitCheckpoint(Checkpoint, Aggregate, Bitmap) and report a SubmitResult.
type Submission struct {
	Height     uint64
	Hash       common.Hash
	Checkpoint []byte // types.EncodeCheckpoint
	Aggregate  []byte // BLS aggregate of the signers' signatures of its SigningBytes
	Bitmap     []byte // crypto.Bitmap of the signers, by index in the config's set
}

// Ready is what the relayer asks its owner to do. Persist must be durable
// before any of Gossip is published, or a crash could let the node sign a
// different checkpoint for the same height after a restart.
type Ready struct {
	Persist []Signed     // own signatures, to store and pass back as Config.Signed
	Gossip  [][]byte     // encoded types.CheckpointSignature, for p2p.CheckpointTopic(subnet)
	Submit  []Submission // certificates to send to the parent, in order
}

// IsEmpty reports whether nothing needs doing.
func (r Ready) IsEmpty() bool {
	return len(r.Persist) == 0 && len(r.Gossip) == 0 && len(r.Submit) == 0
}

// Relayer is the child side of bottom-up checkpoints, as a deterministic
// state machine: it builds each checkpoint once its height is final, signs
// it, collects peers' signatures, and submits a certificate to the parent
// when its turn comes. It has no goroutines, clock or network; Step and Tick
// drive it, Ready and Advance carry its output. It reads the View and
// Signers only at final heights and configs, whose answers never change, so
// the same inputs give the same outputs. Not safe for concurrent use: one
// goroutine owns it.
type Relayer struct {
	cfg     Config
	network string
	chain   *Chain

	now         uint64 // ticks since New
	final       uint64 // the child's newest final height
	parent      Link   // the parent's newest committed checkpoint
	parentKnown bool   // nothing is signed or submitted before the parent is seen

	guard  map[uint64]common.Hash // what the key signed, by height above parent
	rounds map[uint64]*round      // built checkpoints above parent, by height
	sets   map[uint64]*signerSet  // by config number

	future  map[uint64][]*types.CheckpointSignature // signatures of checkpoints not built yet
	nFuture int

	sub      submitState
	resendAt uint64

	ready Ready
}

// submitState follows the next checkpoint from the moment it has a quorum
// here until the parent commits it.
type submitState struct {
	height   uint64 // 0: none
	due      uint64 // tick at which to submit
	inFlight bool   // sent, waiting for the parent
	sentAt   uint64
}

// New returns a relayer that waits for the parent's last checkpoint
// (ParentCommitted) before it signs or submits anything.
func New(cfg Config) (*Relayer, error) {
	if err := cfg.Params.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if cfg.View == nil || cfg.Signers == nil {
		return nil, fmt.Errorf("%w: View and Signers are required", ErrConfig)
	}
	if cfg.MaxBuffered < 0 {
		return nil, fmt.Errorf("%w: MaxBuffered %d is negative", ErrConfig, cfg.MaxBuffered)
	}
	cfg.Window = orDefault(cfg.Window, DefaultWindow)
	cfg.SubmitDelay = orDefault(cfg.SubmitDelay, DefaultSubmitDelay)
	cfg.CommitTimeout = orDefault(cfg.CommitTimeout, DefaultCommitTimeout)
	cfg.ResendInterval = orDefault(cfg.ResendInterval, DefaultResendInterval)
	if cfg.MaxBuffered == 0 {
		cfg.MaxBuffered = DefaultMaxBuffered
	}
	chain, err := NewChain(cfg.View, cfg.Params, Link{})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	r := &Relayer{
		cfg:     cfg,
		network: cfg.Params.network(),
		chain:   chain,
		guard:   make(map[uint64]common.Hash, len(cfg.Signed)),
		rounds:  make(map[uint64]*round),
		sets:    make(map[uint64]*signerSet),
		future:  make(map[uint64][]*types.CheckpointSignature),
	}
	for _, s := range cfg.Signed {
		if h, ok := r.guard[s.Height]; ok && h != s.Hash {
			return nil, fmt.Errorf("%w: the record of own signatures holds two checkpoints at height %d (%s and %s): the key may already have double-signed",
				ErrConfig, s.Height, h, s.Hash)
		}
		r.guard[s.Height] = s.Hash
	}
	r.cfg.Signed = nil
	return r, nil
}

func orDefault(v, d uint64) uint64 {
	if v == 0 {
		return d
	}
	return v
}

// HasReady reports whether Ready has something to do.
func (r *Relayer) HasReady() bool { return !r.ready.IsEmpty() }

// Ready returns what the owner must do now; the same until Advance.
func (r *Relayer) Ready() Ready { return r.ready }

// Advance acknowledges the last Ready.
func (r *Relayer) Advance() { r.ready = Ready{} }

// Status is a summary for logs, metrics and tests.
type Status struct {
	Parent      Link   // the parent's last committed checkpoint
	ParentKnown bool   // a ParentCommitted arrived
	Final       uint64 // the child's newest final height
	Next        uint64 // the checkpoint the parent accepts next; 0 before the parent is known
	NextPower   uint64 // power that signed Next, as far as this relayer knows
	NextQuorum  bool   // NextPower is a quorum
}

// Status returns where the relayer stands.
func (r *Relayer) Status() Status {
	s := Status{Parent: r.parent, ParentKnown: r.parentKnown, Final: r.final}
	if r.parentKnown {
		s.Next = r.parent.Height + r.cfg.Params.Period
		if rd := r.rounds[s.Next]; rd != nil {
			s.NextPower, s.NextQuorum = rd.power, rd.quorum
		}
	}
	return s
}

// Tick advances logical time by one tick: submissions come due, and the own
// signature of the next checkpoint is gossiped again now and then for peers
// that restarted or missed it.
func (r *Relayer) Tick() {
	r.now++
	if r.now >= r.resendAt {
		r.resendAt = r.now + r.cfg.ResendInterval
		if rd := r.rounds[r.parent.Height+r.cfg.Params.Period]; r.parentKnown && rd != nil && rd.own != nil {
			r.ready.Gossip = append(r.ready.Gossip, rd.own)
		}
	}
	r.submitIfDue()
}

// NoTick is NextTick's answer when no tick alone gives the relayer work.
const NoTick uint64 = math.MaxUint64

// NextTick is the tick, counted from now, that may next give the relayer
// something to do absent other input: the next checkpoint's submission
// coming due (or its resubmission), or the re-gossip of its own signature.
// The ticks before it leave Ready empty, so an owner may sleep until then
// and hand the elapsed ticks over at once, before any other input.
func (r *Relayer) NextTick() uint64 {
	if !r.parentKnown {
		return NoTick
	}
	next, h := NoTick, r.parent.Height+r.cfg.Params.Period
	rd := r.rounds[h]
	if rd != nil && rd.own != nil {
		next = ticksUntil(r.resendAt, r.now)
	}
	if rd != nil && rd.quorum {
		s := r.sub
		switch {
		case s.height != h:
			return 1 // not followed yet: the next tick starts the count
		case s.inFlight:
			next = min(next, ticksUntil(s.sentAt+r.cfg.CommitTimeout, r.now))
		default:
			next = min(next, ticksUntil(s.due, r.now))
		}
	}
	return next
}

func ticksUntil(at, now uint64) uint64 {
	if at <= now {
		return 1
	}
	return at - now
}

// Step feeds one input. A peer's bad signature returns an error (see
// PeerFault) and changes nothing.
func (r *Relayer) Step(in Input) error {
	switch m := in.(type) {
	case Final:
		r.final = max(r.final, m.Height)
		err := r.open()
		r.submitIfDue()
		return err
	case PeerSignature:
		err := r.onSignature(m.Data)
		r.submitIfDue()
		return err
	case ParentCommitted:
		err := r.onParent(Link(m))
		r.submitIfDue()
		return err
	case SubmitResult:
		r.onResult(m)
		return nil
	}
	return fmt.Errorf("%w: %T", ErrUnknownInput, in)
}

// onParent moves the relayer to the parent's newest checkpoint.
func (r *Relayer) onParent(l Link) error {
	p := r.cfg.Params.Period
	if l.Height%p != 0 {
		return fmt.Errorf("%w: parent's last checkpoint at %d is not a multiple of the period %d", ErrWrongHeight, l.Height, p)
	}
	if r.parentKnown && (l.Height < r.parent.Height || l == r.parent) {
		return nil // old news (or a parent reorg, whose dropped submission commits again)
	}
	mismatch := r.chain.Rebase(l)
	if mismatch != nil {
		// What was built above chains on a checkpoint the parent rejected.
		clear(r.rounds)
		r.sub = submitState{}
	}
	r.parent, r.parentKnown = l, true
	for h := range r.rounds {
		if h <= l.Height {
			delete(r.rounds, h)
		}
	}
	for h := range r.guard {
		if h <= l.Height {
			delete(r.guard, h) // nothing at or below is ever signed again
		}
	}
	for h, list := range r.future {
		if h <= l.Height {
			r.nFuture -= len(list)
			delete(r.future, h)
		}
	}
	r.pruneSets()
	return errors.Join(mismatch, r.open())
}

// open builds, and signs where this node is a signer, every final checkpoint
// in the window above the parent's last that is not built yet.
func (r *Relayer) open() error {
	if !r.parentKnown {
		return nil
	}
	p := r.cfg.Params.Period
	last := min(r.final/p*p, r.parent.Height+r.cfg.Window*p)
	var errs []error
	for h := r.parent.Height + p; h <= last; h += p {
		if r.rounds[h] != nil {
			continue
		}
		if err := r.openRound(h); err != nil {
			errs = append(errs, err)
			if !errors.Is(err, ErrConflictingCheckpoint) {
				break // the rest chain on this one: retried on the next Final
			}
		}
	}
	return errors.Join(errs...)
}

// pruneSets keeps the signer sets of open rounds and of the newest config.
func (r *Relayer) pruneSets() {
	if len(r.sets) <= 4 {
		return
	}
	used := make(map[uint64]bool, len(r.rounds))
	for _, rd := range r.rounds {
		used[rd.built.Checkpoint.Config] = true
	}
	newest := uint64(0)
	for c := range r.sets {
		newest = max(newest, c)
	}
	maps.DeleteFunc(r.sets, func(c uint64, _ *signerSet) bool { return !used[c] && c != newest })
}
