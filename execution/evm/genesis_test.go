package evm

import (
	"testing"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/store"
)

// TestGenesisHeaderInMemory: the genesis header a parent computes in memory
// is the one a chain opened from the same genesis commits, for a root and
// for a subnet (own validator set, top-down nonce, difficulty); another
// genesis gives another hash.
func TestGenesisHeaderInMemory(t *testing.T) {
	root, _ := testGenesis(3, 30_000_000)
	sub, _ := testGenesis(3, 30_000_000)
	sub.SubnetID, sub.ChainID, sub.TopDownNonce, sub.Difficulty, sub.Engine = "/devnet/wan", sub.ChainID+7, 3, 1000, "pow"
	for _, gen := range []*config.Genesis{root, sub} {
		st, err := store.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		ex, err := New(st, gen, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := GenesisHeader(gen)
		if err != nil {
			t.Fatal(err)
		}
		if got.Hash() != ex.Head().Hash() || got.StateRoot != ex.Head().StateRoot {
			t.Fatalf("%s: in memory %s (root %s), committed %s (root %s)", gen.SubnetID, got.Hash(), got.StateRoot, ex.Head().Hash(), ex.Head().StateRoot)
		}
		st.Close()
	}
	a, _ := GenesisHeader(root)
	b, _ := GenesisHeader(sub)
	if a.Hash() == b.Hash() {
		t.Fatal("two geneses, one hash")
	}
}
