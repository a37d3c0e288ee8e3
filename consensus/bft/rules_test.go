package bft

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// TestPrevoteOnProposal is lines 22-27: prevote the proposal when it is
// valid, nil otherwise; plainly invalid blocks are not sent for verification.
// (A body its header does not commit to is refused on receipt: body_test.go.)
func TestPrevoteOnProposal(t *testing.T) {
	badEvidence := testBlock(1, testGenesis, 1)
	badEvidence.Evidence = [][]byte{{0xc0}}
	badEvidence.Header.EvidenceHash = types.EvidenceHash(badEvidence.Evidence)
	for _, tc := range []struct {
		name     string
		block    *types.Block
		valid    bool
		want     func(b *types.Block) common.Hash
		verified bool
	}{
		{"valid", testBlock(1, testGenesis, 1), true, func(b *types.Block) common.Hash { return b.Hash() }, true},
		{"invalid verdict", testBlock(1, testGenesis, 1), false, func(*types.Block) common.Hash { return nilHash }, true},
		{"wrong parent", testBlock(1, common.HexToHash("0xbad"), 1), true, func(*types.Block) common.Hash { return nilHash }, false},
		{"bad evidence", badEvidence, true, func(*types.Block) common.Hash { return nilHash }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript(t)
			s.verdict = func(*types.Block) bool { return tc.valid }
			s.propose(0, -1, tc.block)
			s.wantVote(Prevote, 0, tc.want(tc.block))
			if got := len(s.verify) > 0; got != tc.verified {
				t.Fatalf("block sent for verification: %v, want %v", got, tc.verified)
			}
		})
	}
}

// TestWaitsForVerdict: no prevote until the application has judged the block.
func TestWaitsForVerdict(t *testing.T) {
	s := newScript(t)
	s.noAnswer = true
	b := testBlock(1, testGenesis, 1)
	s.propose(0, -1, b)
	s.wantNoVote(Prevote, 0)
	s.noAnswer = false
	s.drain()
	if err := s.e.Step(consensus.Verdict{Hash: b.Hash(), Valid: true}); err != nil {
		t.Fatal(err)
	}
	s.drain()
	s.wantVote(Prevote, 0, b.Hash())
}

// TestNilPrevoteOnProposeTimeout is line 57: no proposal within the
// timeout means a nil prevote, not earlier.
func TestNilPrevoteOnProposeTimeout(t *testing.T) {
	s := newScript(t)
	s.ticks(int(testTimeouts.Propose) - 1)
	s.wantNoVote(Prevote, 0)
	s.ticks(1)
	s.wantVote(Prevote, 0, nilHash)
	// A proposal arriving late changes nothing: the step is over.
	s.propose(0, -1, testBlock(1, testGenesis, 1))
	s.wantVote(Prevote, 0, nilHash)
}

// TestNilPolkaAndPrevoteTimeout are lines 44 and 61.
func TestNilPolkaAndPrevoteTimeout(t *testing.T) {
	s := newScript(t)
	s.ticks(int(testTimeouts.Propose)) // prevote nil
	s.votes(Prevote, 1, 0, nilHash, s.others(2)...)
	s.wantVote(Precommit, 0, nilHash)

	// Mixed prevotes: +2/3 of anything starts the prevote timeout, which then precommits nil.
	s = newScript(t)
	s.ticks(int(testTimeouts.Propose))
	o := s.others(2)
	s.votes(Prevote, 1, 0, common.HexToHash("0x01"), o[0])
	s.votes(Prevote, 1, 0, common.HexToHash("0x02"), o[1])
	s.wantNoVote(Precommit, 0)
	s.ticks(int(testTimeouts.Prevote))
	s.wantVote(Precommit, 0, nilHash)
}

// TestLockOnPolka is line 36 and the lock rule of line 22: once locked on
// B, a new proposal without a proof of lock gets a nil prevote.
func TestLockOnPolka(t *testing.T) {
	for _, locked := range []bool{true, false} {
		s := newScript(t)
		b, other := testBlock(1, testGenesis, 1), testBlock(1, testGenesis, 2)
		s.propose(0, -1, b)
		s.wantVote(Prevote, 0, b.Hash())
		if locked {
			s.votes(Prevote, 1, 0, b.Hash(), s.others(2)...)
			s.wantVote(Precommit, 0, b.Hash())
			if s.e.lockedRound != 0 || s.e.lockedHash != b.Hash() {
				t.Fatalf("locked on %x at round %d", s.e.lockedHash[:4], s.e.lockedRound)
			}
		}
		// Two validators (+1/3) in round 1 move us there.
		s.votes(Prevote, 1, 1, nilHash, s.others(2)...)
		if s.e.Round() != 1 {
			t.Fatalf("round %d, want 1", s.e.Round())
		}
		s.propose(1, -1, other)
		if locked {
			s.wantVote(Prevote, 1, nilHash)
		} else {
			s.wantVote(Prevote, 1, other.Hash())
		}
	}
}

// TestUnlockOnHigherPolka is line 28: a proposal with a proof of lock from a
// round at or after ours gets our prevote even though we are locked.
func TestUnlockOnHigherPolka(t *testing.T) {
	for _, withPOL := range []bool{true, false} {
		s := newScript(t)
		b, other := testBlock(1, testGenesis, 1), testBlock(1, testGenesis, 2)
		s.propose(0, -1, b)
		s.votes(Prevote, 1, 0, b.Hash(), s.others(2)...)
		s.wantVote(Precommit, 0, b.Hash()) // locked on b in round 0
		// Round 1: the others prevote other (we saw no proposal).
		if withPOL {
			s.votes(Prevote, 1, 1, other.Hash(), s.others(3)...)
		} else {
			s.votes(Prevote, 1, 1, nilHash, s.others(2)...)
		}
		o := s.others(3)
		s.votes(Prevote, 1, 2, other.Hash(), o[2]) // two validators in round 2 move us there
		s.votes(Precommit, 1, 2, nilHash, o[0])
		if s.e.Round() != 2 {
			t.Fatalf("round %d, want 2", s.e.Round())
		}
		s.propose(2, 1, other)
		if !withPOL {
			s.wantNoVote(Prevote, 2) // waits for the proof of lock
			s.ticks(int(testTimeouts.Propose + 2*testTimeouts.Delta))
			s.wantVote(Prevote, 2, nilHash)
			continue
		}
		s.wantVote(Prevote, 2, other.Hash())
		// And a polka in round 2 re-locks on other.
		s.wantNoVote(Precommit, 2)
		s.votes(Prevote, 1, 2, other.Hash(), o[1])
		s.wantVote(Precommit, 2, other.Hash())
		if s.e.lockedRound != 2 || s.e.lockedHash != other.Hash() {
			t.Fatalf("locked on %x at round %d, want the new block at round 2", s.e.lockedHash[:4], s.e.lockedRound)
		}
	}
}

// TestRoundSkip is line 55: +1/3 of the power in a higher round, not less.
func TestRoundSkip(t *testing.T) {
	s := newScript(t)
	o := s.others(2)
	s.votes(Precommit, 1, 5, nilHash, o[0])
	if s.e.Round() != 0 {
		t.Fatalf("one validator of four moved us to round %d", s.e.Round())
	}
	s.votes(Prevote, 1, 5, nilHash, o[0]) // the same validator again does not count twice
	if s.e.Round() != 0 {
		t.Fatalf("one validator's two votes moved us to round %d", s.e.Round())
	}
	s.votes(Prevote, 1, 5, nilHash, o[1])
	if s.e.Round() != 5 {
		t.Fatalf("round %d after +1/3 in round 5, want 5", s.e.Round())
	}
}

// TestValidValueRule is line 36's validValue with lines 14-16: a polka seen
// after we precommitted nil makes the block our valid value, and we
// re-propose it with its POL round instead of building a new block.
func TestValidValueRule(t *testing.T) {
	s := newScript(t)
	b := testBlock(1, testGenesis, 1)
	s.ticks(int(testTimeouts.Propose)) // prevote nil
	// +2/3 prevotes of anything, then the prevote timeout: precommit nil.
	s.votes(Prevote, 1, 0, b.Hash(), s.others(3)[1:]...)
	s.ticks(int(testTimeouts.Prevote))
	s.wantVote(Precommit, 0, nilHash)
	s.propose(0, -1, b)
	s.votes(Prevote, 1, 0, b.Hash(), s.others(3)[0]) // now three of four prevoted b
	if s.e.validRound != 0 || s.e.validHash != b.Hash() {
		t.Fatalf("valid value %x at round %d, want b at 0", s.e.validHash[:4], s.e.validRound)
	}
	if s.e.lockedRound != -1 {
		t.Fatalf("locked at round %d after precommitting nil", s.e.lockedRound)
	}
	r := s.myRound()
	builds := len(s.builds)
	s.votes(Prevote, 1, r, nilHash, s.others(2)...)
	var prop *Proposal
	for _, m := range s.sent {
		if p, ok := m.(*Proposal); ok && p.Round == r {
			prop = p
		}
	}
	if prop == nil || prop.Block.Hash() != b.Hash() || prop.POLRound != 0 {
		t.Fatalf("in round %d proposed %v, want b with POL round 0", r, prop)
	}
	if len(s.builds) != builds {
		t.Fatalf("asked to build a block while holding a valid value")
	}
}

// TestDecide is line 49: +2/3 precommits for a valid block we hold decide
// it, with a certificate any syncing node accepts.
func TestDecide(t *testing.T) {
	s := newScript(t)
	b := testBlock(1, testGenesis, 1)
	s.propose(0, -1, b)
	o := s.others(3)
	s.votes(Precommit, 1, 0, b.Hash(), o[0], o[1])
	if len(s.finals) != 0 {
		t.Fatal("decided on half the power")
	}
	s.votes(Precommit, 1, 0, b.Hash(), o[2])
	if len(s.finals) != 1 || s.finals[0].Block.Hash() != b.Hash() {
		t.Fatalf("finals %v, want b", s.finals)
	}
	c := s.finals[0].Commit
	if err := VerifyCommit(s.vs, testSubnet, c); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if c.HasSigner(i) != (i != s.me) {
			t.Fatalf("signer bit %d is %v", i, c.HasSigner(i))
		}
	}
	if s.e.Height() != 2 || s.e.Round() != 0 {
		t.Fatalf("at height %d round %d after deciding 1", s.e.Height(), s.e.Round())
	}
	// The next height waits BlockTime before anyone proposes.
	p2 := s.vs.Proposer(2, 0)
	s.ticks(int(testConfig(s.vs, nil).BlockTime) - 1)
	if len(s.builds) != 0 && p2 == s.me {
		t.Fatal("built before BlockTime passed")
	}
}

// TestSyncToForUnknownBlock: +2/3 precommits for a block we never saw mean
// the height is decided without us: ask for block sync.
func TestSyncToForUnknownBlock(t *testing.T) {
	s := newScript(t)
	x := testBlock(1, testGenesis, 9).Hash()
	s.votes(Precommit, 1, 0, x, s.others(2)...)
	if s.syncTo != 0 {
		t.Fatal("asked for sync on half the power")
	}
	s.votes(Precommit, 1, 0, x, s.others(3)[2])
	if s.syncTo != 1 {
		t.Fatalf("SyncTo %d, want 1", s.syncTo)
	}
}

func TestFutureHeights(t *testing.T) {
	s := newScript(t)
	o := s.others(2)
	if err := s.deliver(signedVote(s.keys[o[0]], o[0], Prevote, 3, 0, nilHash)); !errorsIs(err, ErrFutureHeight) {
		t.Fatalf("vote for height 3 at height 1: %v, want ErrFutureHeight", err)
	}
	if s.syncTo != 0 {
		t.Fatal("one validator ahead triggered sync")
	}
	if err := s.deliver(signedVote(s.keys[o[1]], o[1], Precommit, 3, 2, nilHash)); !errorsIs(err, ErrFutureHeight) {
		t.Fatal(err)
	}
	if s.syncTo != 2 {
		t.Fatalf("SyncTo %d with +1/3 at height 3, want 2", s.syncTo)
	}
	// A forged far-future vote must not count.
	s2 := newScript(t)
	forged := signedVote(s.keys[o[0]], o[1], Prevote, 3, 0, nilHash)
	if err := s2.deliver(forged); !errorsIs(err, ErrBadSignature) {
		t.Fatalf("forged future vote: %v", err)
	}
}

// TestNextHeightBuffered: messages for height+1 are kept and used there.
func TestNextHeightBuffered(t *testing.T) {
	s := newScript(t)
	b1 := testBlock(1, testGenesis, 1)
	b2 := testBlock(2, b1.Hash(), 1)
	p := s.vs.Proposer(2, 0)
	if p == s.me {
		t.Skip("me proposes height 2")
	}
	s.mustDeliver(signedProposal(s.keys[p], p, 0, -1, b2))
	s.propose(0, -1, b1)
	s.votes(Precommit, 1, 0, b1.Hash(), s.others(3)...)
	if s.e.Height() != 2 {
		t.Fatalf("height %d", s.e.Height())
	}
	s.ticks(int(testConfig(s.vs, nil).BlockTime))
	s.wantVote(Prevote, 0, b2.Hash())
	if v := s.own(Prevote, 0); v.Height != 2 {
		t.Fatalf("prevote at height %d", v.Height)
	}
}

func errorsIs(err, target error) bool { return err != nil && errors.Is(err, target) }

// TestLatePolkaBecomesValidValue: a polka of an earlier round that reaches
// us after we left it still makes its block our valid value, and our
// re-proposal carries the prevotes that prove it.
func TestLatePolkaBecomesValidValue(t *testing.T) {
	s := newScript(t)
	b := testBlock(1, testGenesis, 1)
	s.votes(Precommit, 1, 1, nilHash, s.others(2)...) // off to round 1 having seen nothing
	if s.e.Round() != 1 {
		t.Fatalf("round %d", s.e.Round())
	}
	s.propose(0, -1, b)
	s.votes(Prevote, 1, 0, b.Hash(), s.others(3)...)
	if s.e.validRound != 0 || s.e.validHash != b.Hash() || s.e.lockedRound != -1 {
		t.Fatalf("valid %x at %d, locked at %d; want b valid at 0, no lock", s.e.validHash[:4], s.e.validRound, s.e.lockedRound)
	}
	r := s.myRound()
	s.votes(Prevote, 1, r, nilHash, s.others(2)...)
	var prop *Proposal
	pol := map[uint32]bool{}
	for _, m := range s.sent {
		switch m := m.(type) {
		case *Proposal:
			if m.Round == r {
				prop = m
			}
		case *Vote:
			if m.Round == 0 && m.Type == Prevote && m.BlockHash == b.Hash() && int(m.Validator) != s.me {
				pol[m.Validator] = true
			}
		}
	}
	if prop == nil || prop.Block.Hash() != b.Hash() || prop.POLRound != 0 {
		t.Fatalf("proposed %v in round %d, want b with POL round 0", prop, r)
	}
	if len(pol) != 3 {
		t.Fatalf("re-proposal sent %d of the 3 POL prevotes", len(pol))
	}
}
