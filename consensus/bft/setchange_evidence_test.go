package bft

import (
	"bytes"
	"testing"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// TestPendingEvidenceAcrossSetChange is issue 19, defect 2: evidence seen
// under one set and still pending when a block changes the set must not
// halt the chain. Five validators; block 1 removes validator 2, and the
// last seat (validator 4) moves into seat 2. Every node holds a double vote
// of one validator, seen at height 1 after block 1 was built. Evidence of
// the moved validator is re-indexed to its new seat and lands in a block;
// evidence of the one that left can no longer be proved in a block and is
// handed out (TakeOrphanedEvidence) with its key for the parent. Before the
// fix every proposer included the old-seat evidence, every peer refused it,
// and the chain stopped at height 1.
func TestPendingEvidenceAcrossSetChange(t *testing.T) {
	keys := testKeys(t, 5)
	for _, tc := range []struct {
		name        string
		equivocator int
		orphan      bool
	}{
		{"equivocator moved seats", 4, false},
		{"equivocator left", 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net := newTestNet(t, 5)
			next := []types.Validator{net.vs.At(0), net.vs.At(1), net.vs.At(4), net.vs.At(3)}
			net.nextVals = map[uint64][]types.Validator{1: next}
			ev := doubleVote(t, tc.equivocator, 1, 7)
			a, _ := EncodeMessage(&ev.A)
			b, _ := EncodeMessage(&ev.B)
			for _, n := range net.nodes {
				// The first input starts height 1 and asks its proposer to
				// build at once: the block is built before the evidence exists.
				for _, m := range [][]byte{a, b} {
					if err := n.e.Step(consensus.PeerMessage{From: "x", Payload: m}); err != nil {
						t.Fatal(err)
					}
				}
				if len(n.e.Evidence()) != 1 {
					t.Fatalf("%s holds %d pieces of evidence, want 1", n.id, len(n.e.Evidence()))
				}
			}
			net.tick(150)
			net.checkAgreement()
			if h := net.minHeight(false); h < 6 {
				t.Fatalf("after the set change with evidence pending the chain reached height %d", h)
			}
			included := false
			for _, f := range net.nodes[0].chain {
				vs := net.vsAt(f.Block.Height())
				if err := checkBlockEvidence(vs, testSubnet, f.Block); err != nil {
					t.Fatalf("final block %d: %v", f.Block.Height(), err)
				}
				included = included || len(f.Block.Evidence) > 0
			}
			if included == tc.orphan {
				t.Fatalf("evidence in a final block: %v, want %v", included, !tc.orphan)
			}
			for _, n := range net.nodes {
				if len(n.e.Evidence()) != 0 {
					t.Fatalf("%s still holds evidence", n.id)
				}
				orphans := n.e.TakeOrphanedEvidence()
				if !tc.orphan {
					if len(orphans) != 0 {
						t.Fatalf("%s set aside evidence of a validator still seated", n.id)
					}
					continue
				}
				if len(orphans) != 1 {
					t.Fatalf("%s set aside %d pieces, want 1", n.id, len(orphans))
				}
				o := orphans[0]
				pub := keys[tc.equivocator].PublicKey()
				if !bytes.Equal(o.Key, pub[:]) {
					t.Fatalf("%s: orphaned evidence names key %x, want the equivocator's", n.id, o.Key[:4])
				}
				if err := VerifyDoubleVote(o.Key, testSubnet, o.A, o.B); err != nil {
					t.Fatalf("%s: the parent could not verify it: %v", n.id, err)
				}
				if len(n.e.TakeOrphanedEvidence()) != 0 {
					t.Fatalf("%s hands out orphaned evidence twice", n.id)
				}
			}
		})
	}
}
