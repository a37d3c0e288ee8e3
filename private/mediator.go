package private

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// Errors the mediator refuses a confirmation or a round with.
var (
	ErrUnknownEnvelope = errors.New("private: mediator tracks no such envelope")
	ErrAlreadyTracked  = errors.New("private: mediator already tracks this envelope")
	ErrDecided         = errors.New("private: envelope already decided")
	ErrNotAddressed    = errors.New("private: confirmation from a non-recipient")
	ErrDuplicate       = errors.New("private: recipient already answered")
	ErrBadConfirmation = errors.New("private: confirmation signature invalid")
	ErrBadVerdict      = errors.New("private: unknown verdict")
	ErrLate            = errors.New("private: confirmation after the deadline")
	ErrHeightBackwards = errors.New("private: mediator height went backwards")
	ErrBadRound        = errors.New("private: bad mediation round")
)

// Outcome is the mediator's decision.
type Outcome uint8

const (
	Committed Outcome = 1
	Rejected  Outcome = 2
)

func (o Outcome) String() string {
	if o == Committed {
		return "commit"
	}
	return "reject"
}

// Decision is what the mediator puts on chain for one envelope, once.
type Decision struct {
	Envelope common.Hash
	Outcome  Outcome
	// StateHash is the group state every recipient confirmed (Committed only).
	StateHash common.Hash
	// Height is the block whose confirmation or end decided it.
	Height uint64
	Reason string
}

type round struct {
	id        common.Hash
	deadline  uint64
	answered  map[common.Address]bool
	state     common.Hash // the first confirmed state hash
	confirmed int
}

// Mediator decides private envelopes: commit when every recipient confirmed
// the same resulting-state hash in a block at or before the deadline height;
// reject on any rejection, any disagreement, or the deadline passing first.
// It is a pure state machine in the style of the consensus engines: blocks'
// contents go in through Track, Step and Tick in height order, decisions come
// out of Ready, each exactly once; no clock, no I/O. The same inputs give the
// same decisions in the same order.
type Mediator struct {
	height  uint64
	rounds  map[common.Hash]*round
	decided map[common.Hash]Outcome
	ready   []Decision
}

// NewMediator returns a mediator with nothing tracked.
func NewMediator() *Mediator {
	return &Mediator{rounds: make(map[common.Hash]*round), decided: make(map[common.Hash]Outcome)}
}

// Track opens a round for an ordered envelope: the recipients' accounts (the
// gateway's key registry resolves the envelope's key IDs to them) must all
// confirm in blocks up to deadline.
func (m *Mediator) Track(env common.Hash, recipients []common.Address, deadline uint64) error {
	if _, ok := m.decided[env]; ok {
		return fmt.Errorf("%w: %s", ErrDecided, env)
	}
	if _, ok := m.rounds[env]; ok {
		return fmt.Errorf("%w: %s", ErrAlreadyTracked, env)
	}
	if len(recipients) == 0 || len(recipients) > MaxRecipients {
		return fmt.Errorf("%w: %d recipients, want 1 to %d", ErrBadRound, len(recipients), MaxRecipients)
	}
	if deadline < m.height {
		return fmt.Errorf("%w: deadline %d is before the current height %d", ErrBadRound, deadline, m.height)
	}
	r := &round{id: env, deadline: deadline, answered: make(map[common.Address]bool, len(recipients))}
	for _, a := range recipients {
		if _, dup := r.answered[a]; dup {
			return fmt.Errorf("%w: recipient %s listed twice", ErrBadRound, a)
		}
		r.answered[a] = false
	}
	m.rounds[env] = r
	return nil
}

// Step feeds one confirmation included in the block at height. A refused
// confirmation changes nothing and the error says why; a confirmation after
// the deadline is refused and decides the round as timed out.
func (m *Mediator) Step(height uint64, c Confirmation) error {
	if height < m.height {
		return fmt.Errorf("%w: %d after %d", ErrHeightBackwards, height, m.height)
	}
	m.height = height
	if o, ok := m.decided[c.Envelope]; ok {
		return fmt.Errorf("%w: %s was decided %s", ErrDecided, c.Envelope, o)
	}
	r, ok := m.rounds[c.Envelope]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownEnvelope, c.Envelope)
	}
	if height > r.deadline {
		m.decide(r, Rejected, height, fmt.Sprintf("deadline %d passed", r.deadline))
		return fmt.Errorf("%w: height %d, deadline %d", ErrLate, height, r.deadline)
	}
	done, ok := r.answered[c.Recipient]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotAddressed, c.Recipient)
	}
	if done {
		return fmt.Errorf("%w: %s", ErrDuplicate, c.Recipient)
	}
	if c.Verdict != Confirm && c.Verdict != Reject {
		return fmt.Errorf("%w: %d from %s", ErrBadVerdict, c.Verdict, c.Recipient)
	}
	if err := c.checkSignature(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadConfirmation, err)
	}
	r.answered[c.Recipient] = true
	switch {
	case c.Verdict == Reject:
		m.decide(r, Rejected, height, fmt.Sprintf("%s rejected", c.Recipient))
	case r.confirmed > 0 && c.StateHash != r.state:
		m.decide(r, Rejected, height, fmt.Sprintf("%s reports state %s, others %s", c.Recipient, c.StateHash, r.state))
	default:
		r.state = c.StateHash
		r.confirmed++
		if r.confirmed == len(r.answered) {
			m.ready = append(m.ready, Decision{Envelope: r.id, Outcome: Committed, StateHash: r.state, Height: height,
				Reason: fmt.Sprintf("all %d recipients confirmed", r.confirmed)})
			m.finish(r, Committed)
		}
	}
	return nil
}

// Tick says the block at height is complete: every round whose deadline is
// at or below it and is still open is rejected, in envelope ID order.
func (m *Mediator) Tick(height uint64) error {
	if height < m.height {
		return fmt.Errorf("%w: %d after %d", ErrHeightBackwards, height, m.height)
	}
	m.height = height
	var expired []*round
	for _, r := range m.rounds {
		if r.deadline <= height {
			expired = append(expired, r)
		}
	}
	slices.SortFunc(expired, func(a, b *round) int { return bytes.Compare(a.id[:], b.id[:]) })
	for _, r := range expired {
		var missing int
		for _, done := range r.answered {
			if !done {
				missing++
			}
		}
		m.decide(r, Rejected, height, fmt.Sprintf("deadline %d passed with %d of %d recipients silent", r.deadline, missing, len(r.answered)))
	}
	return nil
}

// Ready returns the decisions made since the last call, in the order they
// were made. Each decision is returned once.
func (m *Mediator) Ready() []Decision {
	d := m.ready
	m.ready = nil
	return d
}

// Outcome reports how env was decided, if it was.
func (m *Mediator) Outcome(env common.Hash) (Outcome, bool) {
	o, ok := m.decided[env]
	return o, ok
}

// Open is the number of rounds still waiting for a decision.
func (m *Mediator) Open() int { return len(m.rounds) }

func (m *Mediator) decide(r *round, o Outcome, height uint64, reason string) {
	m.ready = append(m.ready, Decision{Envelope: r.id, Outcome: o, Height: height, Reason: reason})
	m.finish(r, o)
}

func (m *Mediator) finish(r *round, o Outcome) {
	delete(m.rounds, r.id)
	m.decided[r.id] = o
}
