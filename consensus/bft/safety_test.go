package bft

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// TestBadMessagesChangeNothing: junk returns an error and leaves the engine
// exactly as if it never arrived.
func TestBadMessagesChangeNothing(t *testing.T) {
	s := newScript(t)
	o := s.others(2)
	p0 := s.vs.Proposer(1, 0)
	b := testBlock(1, testGenesis, 1)
	good := signedVote(s.keys[o[0]], o[0], Prevote, 1, 3, nilHash)
	wrongSubnet := &Vote{Type: Prevote, Height: 1, Round: 3, Validator: uint32(o[1])}
	SignVote(s.keys[o[1]], "/other", wrongSubnet)
	wrongSubnetEnc, _ := EncodeMessage(wrongSubnet)
	for _, tc := range []struct {
		name    string
		payload []byte
		want    error
	}{
		{"non-validator", signedVote(testKey(t, 9), 7, Prevote, 1, 3, nilHash), ErrNotValidator},
		{"signed by another validator", signedVote(s.keys[o[0]], o[1], Prevote, 1, 3, nilHash), ErrBadSignature},
		{"wrong subnet", wrongSubnetEnc, ErrBadSignature},
		{"truncated signature", good[:len(good)-5], ErrMalformed},
		{"empty", nil, ErrMalformed},
		{"unknown kind", append([]byte{9}, good[1:]...), ErrMalformed},
		{"vote type 3", signedVote(s.keys[o[0]], o[0], 3, 1, 3, nilHash), ErrMalformed},
		{"wrong proposer", signedProposal(s.keys[(p0+1)%4], (p0+1)%4, 0, -1, b), ErrWrongProposer},
		{"proposal signed by another", signedProposal(s.keys[(p0+1)%4], p0, 0, -1, b), ErrBadSignature},
		{"POL round not below round", signedProposal(s.keys[p0], p0, 0, 0, b), ErrMalformed},
		{"far future round", signedVote(s.keys[o[0]], o[0], Prevote, 1, maxRoundsAhead+1, nilHash), ErrFutureRound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.e.Step(consensus.PeerMessage{From: "evil", Payload: tc.payload}); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if s.e.HasReady() || len(s.e.rounds) != 1 || s.e.rounds[0].senderPower != 0 {
				t.Fatal("a rejected message changed the engine")
			}
		})
	}
	// The same bad signature again is rejected from the cache, just as surely.
	bad := signedVote(s.keys[o[0]], o[1], Prevote, 1, 3, nilHash)
	if err := s.e.Step(consensus.PeerMessage{Payload: bad}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("repeat of a bad signature: %v", err)
	}
}

// TestEquivocationEvidence: two signed prevotes for different blocks from
// one validator become evidence, go into the next build request, and are
// dropped once a final block carries them.
func TestEquivocationEvidence(t *testing.T) {
	s := newScript(t)
	x := s.others(1)[0]
	a, b := common.HexToHash("0x0a"), common.HexToHash("0x0b")
	s.votes(Prevote, 1, 0, a, x)
	s.votes(Prevote, 1, 0, a, x) // a duplicate is no equivocation
	if len(s.e.Evidence()) != 0 {
		t.Fatal("a duplicate vote became evidence")
	}
	s.votes(Prevote, 1, 0, b, x)
	evs := s.e.Evidence()
	if len(evs) != 1 {
		t.Fatalf("%d pieces of evidence, want 1", len(evs))
	}
	ev := evs[0]
	if err := VerifyEvidence(s.vs, testSubnet, ev); err != nil {
		t.Fatal(err)
	}
	dec, err := DecodeEvidence(EncodeEvidence(ev))
	if err != nil || !bytes.Equal(EncodeEvidence(dec), EncodeEvidence(ev)) {
		t.Fatalf("evidence round trip: %v", err)
	}
	// As in Algorithm 1 each signed message counts for its block, but the
	// equivocator counts once toward "+2/3 of anything".
	if pv := s.e.rounds[0].prevotes; pv.power[a] != 10 || pv.power[b] != 10 || pv.total != 10 {
		t.Fatalf("power for a %d, for b %d, total %d; want 10, 10, 10", pv.power[a], pv.power[b], pv.total)
	}

	for name, mutate := range map[string]func(*Evidence){
		"same block":       func(e *Evidence) { e.B = e.A },
		"different rounds": func(e *Evidence) { e.B.Round++ },
		"different types":  func(e *Evidence) { e.B.Type = Precommit },
		"bad signature":    func(e *Evidence) { e.B.Signature = e.A.Signature },
		"other validator":  func(e *Evidence) { e.B.Validator = uint32((x + 1) % 4) },
		"not a validator":  func(e *Evidence) { e.A.Validator, e.B.Validator = 9, 9 },
	} {
		bad := ev
		mutate(&bad)
		if err := VerifyEvidence(s.vs, testSubnet, bad); !errors.Is(err, ErrInvalidEvidence) {
			t.Errorf("%s: %v, want ErrInvalidEvidence", name, err)
		}
	}

	// Move to the round we propose: the build request carries the evidence.
	r := s.myRound()
	s.votes(Prevote, 1, r, nilHash, s.others(3)[1:]...)
	if len(s.builds) == 0 {
		t.Fatalf("no build request in round %d", r)
	}
	req := s.builds[len(s.builds)-1]
	if len(req.Evidence) != 1 || !bytes.Equal(req.Evidence[0], EncodeEvidence(ev)) {
		t.Fatalf("build request evidence %x, want the double vote", req.Evidence)
	}
	// Our block (it carries the evidence) is decided: the evidence is done.
	var built *types.Block
	for _, m := range s.sent {
		if p, ok := m.(*Proposal); ok && p.Round == r {
			built = p.Block
		}
	}
	s.votes(Precommit, 1, r, built.Hash(), s.others(3)...)
	if len(s.finals) != 1 {
		t.Fatal("our proposal was not decided")
	}
	if len(s.e.Evidence()) != 0 {
		t.Fatal("evidence kept after a final block included it")
	}
}

// TestReplayNeverSignsConflictingVote: a validator that prevoted one block,
// crashed and restarted from its WAL does not prevote another block its
// byzantine proposer sends for the same round; a fresh engine would.
func TestReplayNeverSignsConflictingVote(t *testing.T) {
	s := newScript(t)
	b, other := testBlock(1, testGenesis, 1), testBlock(1, testGenesis, 2)
	s.propose(0, -1, b)
	s.wantVote(Prevote, 0, b.Hash())
	wal := s.persist

	for _, replay := range []bool{true, false} {
		r := &script{t: t, keys: s.keys, vs: s.vs, me: s.me}
		r.e = r.fresh()
		if replay {
			if err := r.e.Step(consensus.Replay{Entries: wal}); err != nil {
				t.Fatal(err)
			}
		}
		r.drain()
		if replay {
			r.wantVote(Prevote, 0, b.Hash()) // re-broadcast at start-up
			if len(r.persist) != 0 {
				t.Fatalf("replay persisted %d entries again", len(r.persist))
			}
		}
		r.propose(0, -1, other)
		if replay {
			r.wantVote(Prevote, 0, b.Hash())
		} else {
			r.wantVote(Prevote, 0, other.Hash())
		}
	}
}

// TestReplayRestoresLock: locked on b in round 0, crashed, restarted: a new
// proposal without a proof of lock gets a nil prevote, as before the crash.
func TestReplayRestoresLock(t *testing.T) {
	s := newScript(t)
	b, other := testBlock(1, testGenesis, 1), testBlock(1, testGenesis, 2)
	s.propose(0, -1, b)
	s.votes(Prevote, 1, 0, b.Hash(), s.others(2)...)
	s.wantVote(Precommit, 0, b.Hash())
	wal := s.persist

	for _, replay := range []bool{true, false} {
		r := &script{t: t, keys: s.keys, vs: s.vs, me: s.me}
		r.e = r.fresh()
		if replay {
			if err := r.e.Step(consensus.Replay{Entries: wal}); err != nil {
				t.Fatal(err)
			}
			if r.e.Round() != 0 || r.e.step != stepPrecommit {
				t.Fatalf("replay resumed at round %d step %d, want round 0 precommit", r.e.Round(), r.e.step)
			}
		}
		r.drain()
		r.votes(Prevote, 1, 1, nilHash, r.others(2)...)
		r.propose(1, -1, other)
		if replay {
			r.wantVote(Prevote, 1, nilHash)
		} else {
			r.wantVote(Prevote, 1, other.Hash())
		}
	}
	// A replayed lock also makes it the value we re-propose.
	r := &script{t: t, keys: s.keys, vs: s.vs, me: s.me}
	r.e = r.fresh()
	if err := r.e.Step(consensus.Replay{Entries: wal}); err != nil {
		t.Fatal(err)
	}
	r.drain()
	round := r.myRound()
	r.votes(Prevote, 1, round, nilHash, r.others(2)...)
	var prop *Proposal
	for _, m := range r.sent {
		if p, ok := m.(*Proposal); ok && p.Round == round {
			prop = p
		}
	}
	if prop == nil || prop.Block.Hash() != b.Hash() || prop.POLRound != 0 {
		t.Fatalf("after replay proposed %v in round %d, want the locked block with POL 0", prop, round)
	}
	if err := r.e.Step(consensus.Replay{}); !errors.Is(err, ErrReplayAfterStart) {
		t.Fatalf("second replay: %v", err)
	}
}

// TestOwnVoteFromTheWire: a node that lost its WAL learns its own old vote
// from a peer and keeps to it.
func TestOwnVoteFromTheWire(t *testing.T) {
	s := newScript(t)
	b, other := testBlock(1, testGenesis, 1), testBlock(1, testGenesis, 2)
	s.mustDeliver(signedVote(s.keys[s.me], s.me, Prevote, 1, 0, b.Hash()))
	s.propose(0, -1, other)
	if n := len(s.ownVotes(Prevote, 0)); n != 0 {
		t.Fatalf("signed %d new prevotes in a round it had already prevoted in", n)
	}
}

// TestReplayOfLaterHeightsSurvivesAWipe: a validator prevoted block b at
// height 3, then lost its data directory but kept its WAL (the node keeps
// it beside its keys). It restarts at genesis, so its replay holds entries
// of a height it has not reached; block sync takes it to height 2, and a
// byzantine proposer then offers another block at height 3, round 0. The
// validator must keep its old prevote; an engine that dropped the entries
// of later heights signs the other block: a double sign.
func TestReplayOfLaterHeightsSurvivesAWipe(t *testing.T) {
	s := newScript(t)
	b2 := testBlock(2, common.HexToHash("0x0b1"), 1)
	e, err := New(testConfig(s.vs, s.keys[s.me]), 2, b2.Hash())
	if err != nil {
		t.Fatal(err)
	}
	s.e = e
	b, other := testBlock(3, b2.Hash(), 1), testBlock(3, b2.Hash(), 2)
	if p := s.vs.Proposer(3, 0); p == s.me {
		t.Skip("this key set makes the validator under test the proposer of height 3")
	}
	s.propose(0, -1, b)
	s.wantVote(Prevote, 0, b.Hash())
	wal := s.persist

	for _, keep := range []bool{true, false} {
		r := &script{t: t, keys: s.keys, vs: s.vs, me: s.me}
		r.e = r.fresh() // data wiped: back at genesis
		entries := wal
		if !keep {
			entries = nil
		}
		if err := r.e.Step(consensus.Replay{Entries: entries}); err != nil {
			t.Fatal(err)
		}
		r.drain()
		if err := r.e.Step(consensus.Synced{Height: 2, Hash: b2.Hash()}); err != nil {
			t.Fatal(err)
		}
		r.drain()
		r.propose(0, -1, other)
		if keep {
			r.wantVote(Prevote, 0, b.Hash())
		} else {
			r.wantVote(Prevote, 0, other.Hash())
		}
	}
}
