package bft

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// script drives one engine (validator me of four, equal power) by hand,
// signing the other validators' messages itself.
type script struct {
	t    *testing.T
	keys []*crypto.BLSSecretKey
	vs   *consensus.ValidatorSet
	me   int
	e    *Engine

	sent     []any // own messages the engine broadcast, decoded
	persist  [][]byte
	verify   []*types.Block
	builds   []*consensus.BuildRequest
	finals   []consensus.Final
	syncTo   uint64
	verdict  func(b *types.Block) bool // nil: valid
	noAnswer bool                      // leave Build and Verify unanswered
}

// newScript picks as me a validator that proposes none of rounds 0-2 at
// height 1 but some later round, so the scripts control the proposals.
func newScript(t *testing.T) *script {
	keys := testKeys(t, 4)
	vs := testSet(t, keys)
	for me := 0; me < 4; me++ {
		if vs.Proposer(1, 0) == me || vs.Proposer(1, 1) == me || vs.Proposer(1, 2) == me {
			continue
		}
		s := &script{t: t, keys: keys, vs: vs, me: me}
		if s.myRound() == 0 {
			continue
		}
		s.e = s.fresh()
		return s
	}
	t.Fatal("no validator suits the script")
	return nil
}

func (s *script) fresh() *Engine {
	e, err := New(testConfig(s.vs, s.keys[s.me]), 0, testGenesis)
	if err != nil {
		s.t.Fatal(err)
	}
	return e
}

// myRound is the first round of height 1 after round 2 that me proposes.
func (s *script) myRound() uint32 {
	for r := uint32(3); r < 64; r++ {
		if s.vs.Proposer(1, r) == s.me {
			return r
		}
	}
	return 0
}

// others returns the validators other than me, the first n of them.
func (s *script) others(n int) []int {
	var out []int
	for i := 0; i < 4 && len(out) < n; i++ {
		if i != s.me {
			out = append(out, i)
		}
	}
	return out
}

func (s *script) drain() {
	for s.e.HasReady() {
		rd := s.e.Ready()
		s.e.Advance()
		s.persist = append(s.persist, rd.Persist...)
		for _, o := range rd.Send {
			m, err := DecodeMessage(o.Payload)
			if err != nil {
				s.t.Fatal(err)
			}
			s.sent = append(s.sent, m)
		}
		s.finals = append(s.finals, rd.Final...)
		s.syncTo = max(s.syncTo, rd.SyncTo)
		s.verify = append(s.verify, rd.Verify...)
		if rd.Build != nil {
			s.builds = append(s.builds, rd.Build)
		}
		if s.noAnswer {
			continue
		}
		if rd.Build != nil {
			b := testBlock(rd.Build.Height, rd.Build.Parent, 0xee)
			b.Evidence, b.Header.EvidenceHash = rd.Build.Evidence, types.EvidenceHash(rd.Build.Evidence)
			if err := s.e.Step(consensus.Built{Block: b}); err != nil {
				s.t.Fatal(err)
			}
		}
		for _, b := range rd.Verify {
			if err := s.e.Step(consensus.Verdict{Hash: b.Hash(), Valid: s.verdict == nil || s.verdict(b)}); err != nil {
				s.t.Fatal(err)
			}
		}
	}
}

// deliver steps a peer message and drains; it returns Step's error.
func (s *script) deliver(payload []byte) error {
	err := s.e.Step(consensus.PeerMessage{From: "peer", Payload: payload})
	s.drain()
	return err
}

func (s *script) mustDeliver(payload []byte) {
	s.t.Helper()
	if err := s.deliver(payload); err != nil {
		s.t.Fatal(err)
	}
}

func (s *script) ticks(n int) {
	for i := 0; i < n; i++ {
		s.e.Tick()
		s.drain()
	}
}

// propose delivers round r's proposal of b from its proposer.
func (s *script) propose(r uint32, pol int32, b *types.Block) {
	s.t.Helper()
	p := s.vs.Proposer(b.Height(), r)
	s.mustDeliver(signedProposal(s.keys[p], p, r, pol, b))
}

// votes delivers votes of type t for block from validators.
func (s *script) votes(t VoteType, height uint64, r uint32, block common.Hash, validators ...int) {
	s.t.Helper()
	for _, v := range validators {
		s.mustDeliver(signedVote(s.keys[v], v, t, height, r, block))
	}
}

// own returns the last vote of type t in round r of the current height the
// engine sent, or nil.
func (s *script) own(t VoteType, r uint32) *Vote {
	var last *Vote
	for _, m := range s.sent {
		if v, ok := m.(*Vote); ok && v.Type == t && v.Round == r && v.Height == s.e.Height() && int(v.Validator) == s.me {
			last = v
		}
	}
	return last
}

// ownVotes counts distinct own votes of type t in round r (more than one is equivocation).
func (s *script) ownVotes(t VoteType, r uint32) map[common.Hash]bool {
	out := map[common.Hash]bool{}
	for _, m := range s.sent {
		if v, ok := m.(*Vote); ok && v.Type == t && v.Round == r && v.Height == s.e.Height() && int(v.Validator) == s.me {
			out[v.BlockHash] = true
		}
	}
	return out
}

func (s *script) wantVote(t VoteType, r uint32, block common.Hash) {
	s.t.Helper()
	v := s.own(t, r)
	switch {
	case v == nil:
		s.t.Fatalf("no %s in round %d, want one for %x", t, r, block[:4])
	case v.BlockHash != block:
		s.t.Fatalf("%s in round %d for %x, want %x", t, r, v.BlockHash[:4], block[:4])
	}
	if n := len(s.ownVotes(t, r)); n != 1 {
		s.t.Fatalf("engine signed %d different %ss in round %d", n, t, r)
	}
}

func (s *script) wantNoVote(t VoteType, r uint32) {
	s.t.Helper()
	if v := s.own(t, r); v != nil {
		s.t.Fatalf("unexpected %s in round %d for %x", t, r, v.BlockHash[:4])
	}
}

var nilHash common.Hash
