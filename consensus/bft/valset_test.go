package bft

import (
	"testing"

	"github.com/aspen-chain/aspen/types"
)

// signers lists the validator indexes in a commit's bitmap.
func signers(bitmap []byte, n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		if i/8 < len(bitmap) && bitmap[i/8]&(1<<(i%8)) != 0 {
			out = append(out, i)
		}
	}
	return out
}

// TestSetChangeSeatsAFollowerWithAKey: a node running with a key outside
// the set follows; the block that names a set with its key seats it, and
// from the next height its votes count in commit certificates.
func TestSetChangeSeatsAFollowerWithAKey(t *testing.T) {
	keys := testKeys(t, 5)
	net := newTestNetWithFollowers(t, 4, 1)
	net.nodes[4].key = keys[4]
	five := testSet(t, keys).All()
	net.nextVals = map[uint64][]types.Validator{3: five}
	net.start(4, nil)
	if net.nodes[4].e.Voting() {
		t.Fatal("a key outside the set votes")
	}
	net.tick(150)
	net.checkAgreement()
	n4 := net.nodes[4]
	if len(n4.chain) < 8 || !n4.e.Voting() || n4.e.Validators().Len() != 5 {
		t.Fatalf("after the change: new node has %d blocks, voting %v, set of %d", len(n4.chain), n4.e.Voting(), n4.e.Validators().Len())
	}
	counted := false
	for _, f := range n4.chain[4:] { // heights 5 on: decided by the five
		for _, s := range signers(f.Commit.Signers, 5) {
			counted = counted || s == 4
		}
	}
	if !counted {
		t.Fatal("the seated node's precommits never counted in a certificate")
	}
	for _, f := range n4.chain[:3] {
		if s := signers(f.Commit.Signers, 5); len(s) > 0 && s[len(s)-1] == 4 {
			t.Fatalf("block %d certified by seat 4 before it existed", f.Block.Height())
		}
	}
}

// TestSetChangeUnseatsAValidator: a validator dropped from the set stops
// voting and the other three go on without it.
func TestSetChangeUnseatsAValidator(t *testing.T) {
	keys := testKeys(t, 4)
	net := newTestNet(t, 4)
	net.nextVals = map[uint64][]types.Validator{2: testSet(t, keys[:3]).All()}
	net.tick(150)
	net.checkAgreement()
	if net.nodes[3].e.Voting() || net.nodes[0].e.Validators().Len() != 3 {
		t.Fatalf("dropped validator votes %v; set of %d", net.nodes[3].e.Voting(), net.nodes[0].e.Validators().Len())
	}
	if h := net.minHeight(false); h < 8 {
		t.Fatalf("after the change the chain reached %d", h)
	}
}
