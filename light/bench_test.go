package light

import (
	"testing"

	"github.com/aspen-chain/aspen/consensus"
)

// BenchmarkVerifyProof is the client's work for one steady-state proof at
// depth 1, without the network: a root block (decode, commit certificate,
// trusted stake), the checkpoint with the parent gateway's storage proof,
// and the account proof.
func BenchmarkVerifyProof(b *testing.B) {
	f := newFixture(b)
	kind, err := consensus.LookupKind("bft")
	if err != nil {
		b.Fatal(err)
	}
	lb := f.lightBlock(headAt)
	cpp := f.checkpointProof(headAt)
	ap := f.childTrie.prove(user, nil)
	trusted := validators(f.keysB)
	b.ResetTimer()
	for range b.N {
		h, err := decodeLightBlock(lb, kind, rootID, headAt)
		if err != nil {
			b.Fatal(err)
		}
		if err := verifyAgainst(h, trusted); err != nil {
			b.Fatal(err)
		}
		root := &Anchor{Subnet: rootID, Height: h.Height, StateRoot: h.StateRoot}
		cps, _, err := verifyCheckpoints(root, childID, cpp, 0)
		if err != nil {
			b.Fatal(err)
		}
		a := &Anchor{Subnet: childID, Height: cps[0].Height, StateRoot: cps[0].StateRoot}
		if _, err := verifyAccount(a, user, nil, ap); err != nil {
			b.Fatal(err)
		}
	}
}
