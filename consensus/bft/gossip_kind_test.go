package bft

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// TestKindDecodeGossip: what a node's gossip gate learns of a bft message
// through Kind.DecodeGossip, without importing bft: a proposal's height and
// block, a vote's height and no block, a signature check that passes under
// the set that signed and fails (not as malformed) under another, and
// ErrMalformed, under its engine-neutral name, for what does not decode.
// The check runs through a signature cache, which a signature valid under
// one set and subnet must not carry over to another.
func TestKindDecodeGossip(t *testing.T) {
	sigs := crypto.NewSigCache(64)
	keys := testKeys(t, 4)
	vs := testSet(t, keys)
	other := testSet(t, testKeys(t, 5)[1:])
	b := testBlock(6, common.Hash{9}, 1)
	p := vs.Proposer(6, 0)
	for name, tc := range map[string]struct {
		payload []byte
		block   *types.Block
	}{
		"proposal": {signedProposal(keys[p], p, 0, -1, b), b},
		"vote":     {signedVote(keys[2], 2, Precommit, 6, 3, b.Hash()), nil},
	} {
		t.Run(name, func(t *testing.T) {
			g, err := Kind.DecodeGossip(testSubnet, tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			if g.Height != 6 {
				t.Fatalf("height %d, want 6", g.Height)
			}
			if (g.Block == nil) != (tc.block == nil) || (g.Block != nil && g.Block.Hash() != tc.block.Hash()) {
				t.Fatalf("block %v, want %v", g.Block, tc.block)
			}
			if err := g.Verify(vs, sigs); err != nil {
				t.Fatalf("under the signing set: %v", err)
			}
			err = g.Verify(other, sigs)
			if err == nil || errors.Is(err, consensus.ErrMalformed) {
				t.Fatalf("under another set: %v, want a signature failure that is not malformed", err)
			}
			if _, err := Kind.DecodeGossip("/elsewhere", tc.payload); err != nil {
				t.Fatalf("decoding depends on the subnet: %v", err)
			}
			g, _ = Kind.DecodeGossip("/elsewhere", tc.payload)
			if err := g.Verify(vs, sigs); err == nil {
				t.Fatal("a signature verified for another subnet")
			}
		})
	}
	for name, payload := range map[string][]byte{
		"empty":        nil,
		"unknown kind": {9, 0xc0},
		"truncated":    signedVote(keys[2], 2, Prevote, 6, 0, b.Hash())[:20],
	} {
		if _, err := Kind.DecodeGossip(testSubnet, payload); !errors.Is(err, consensus.ErrMalformed) {
			t.Fatalf("%s: %v, want consensus.ErrMalformed", name, err)
		}
	}
}

// TestKindCheckBodyKeepsTheEvidenceLimit: the body check a node runs
// through the kind is types.CheckBody plus bft's own cap on evidence per
// block; a block over the cap, whose header commits to all of it, passes the
// engine-neutral check and fails the kind's with ErrBadBody.
func TestKindCheckBodyKeepsTheEvidenceLimit(t *testing.T) {
	evidence := func(n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = []byte{0xc1, byte(i)}
		}
		return out
	}
	for _, n := range []int{maxBlockEvidence, maxBlockEvidence + 1} {
		b := testBlock(3, common.Hash{}, 1)
		b.Evidence = evidence(n)
		b.Header.EvidenceHash = types.EvidenceHash(b.Evidence)
		if err := types.CheckBody(b); err != nil {
			t.Fatalf("%d pieces, engine-neutral check: %v", n, err)
		}
		err := Kind.CheckBlockBody(b, nil)
		if over := n > maxBlockEvidence; over != errors.Is(err, consensus.ErrBadBody) {
			t.Fatalf("%d pieces (cap %d): %v", n, maxBlockEvidence, err)
		}
	}
	b := testBlock(3, common.Hash{}, 1)
	if err := Kind.CheckBlockBody(withBody(b, nil, [][]byte{{0xc0}}), nil); !errors.Is(err, ErrBadBody) {
		t.Fatalf("evidence the header does not commit to: %v", err)
	}
	appErr := errors.New("app says no")
	if err := Kind.CheckBlockBody(b, func(*types.Block) error { return appErr }); !errors.Is(err, ErrBadBody) || !errors.Is(err, appErr) {
		t.Fatalf("the application's verdict was lost: %v", err)
	}
}

// TestTakeOrphanedReports: evidence a set change orphaned comes out of the
// engine-neutral consensus.EvidenceKeeper, once, as payloads the parent's
// gateway decodes through Kind.Evidence to the equivocator's key and
// verifies.
func TestTakeOrphanedReports(t *testing.T) {
	s := newScript(t)
	var keeper consensus.EvidenceKeeper = s.e
	if got := keeper.TakeOrphanedReports(); len(got) != 0 {
		t.Fatalf("a fresh engine reports %d orphans", len(got))
	}
	pub := testKey(t, 2).PublicKey()
	s.e.evidence.orphaned = []KeyedEvidence{{Key: pub[:], Evidence: doubleVote(t, 2, 4, 1)}}
	got := keeper.TakeOrphanedReports()
	if len(got) != 1 {
		t.Fatalf("%d reports, want 1", len(got))
	}
	off, err := Kind.Evidence(testSubnet, got[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(off.Key, pub[:]) || off.Height != 4 {
		t.Fatalf("report names key %x at height %d", off.Key[:4], off.Height)
	}
	if err := off.Verify(); err != nil {
		t.Fatalf("the parent could not verify it: %v", err)
	}
	if again := keeper.TakeOrphanedReports(); len(again) != 0 {
		t.Fatal("orphaned evidence reported twice")
	}
}
