package consensustest_test

import (
	"testing"

	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/types"
)

// TestSyncedBlocksReplaceALostBranch: a node under probabilistic finality
// that mined alone while the network went on (a pow node cut off, or
// restarted after a long time) holds tentative blocks the network never
// took. Block sync hands it the network's final blocks from its own final
// block on: the driver takes its tentative blocks back, commits the synced
// ones final, and returns the dropped blocks' transactions to the pool. A
// synced chain that forks below a final block is refused and changes
// nothing.
func TestSyncedBlocksReplaceALostBranch(t *testing.T) {
	r := newReorgRig(t, 3)
	n, p := r.node, r.peer
	genesis, _ := n.st.BlockByNumber(0)
	lonely := n.transfer(0, 0, 1)
	a1 := r.mineHere(lonely)
	a2 := r.mineHere()
	r.expect("after the lonely blocks", a2, a1, genesis)

	shared := n.transfer(1, 0, 2)
	b1 := p.mine(shared)
	b2, b3, b4 := p.mine(), p.mine(), p.mine()
	synced := []driver.Synced{{Block: b1}, {Block: b2}, {Block: b3}, {Block: b4}}
	if err := r.d.HandleSynced(synced); err != nil {
		t.Fatal(err)
	}
	r.checkFinality()
	if h, _, _ := n.st.Finalized(); h != b4.Hash() {
		t.Fatalf("finalized is %s after block sync, want the synced B4", h)
	}
	if r.d.Head().Hash() != b4.Hash() || n.x.Head().StateRoot != b4.Header.StateRoot {
		t.Fatalf("head %d after block sync, want B4 with the peer's state", r.d.Head().Height)
	}
	if got := n.balance(sink0); got != 2 {
		t.Fatalf("balance %d, want the synced chain's 2", got)
	}
	for _, blk := range []*types.Block{a1, a2} {
		if _, err := n.st.BlockByHash(blk.Hash()); err == nil {
			t.Fatalf("lonely block %d still stored", blk.Height())
		}
	}
	if n.pool.Get(lonely.Hash()) == nil {
		t.Fatal("the lonely block's transaction did not go back to the pool")
	}

	// Now everything up to B4 is final: a chain forking below it is refused.
	c1 := r.peerFrom(t)
	if err := r.d.HandleSynced([]driver.Synced{{Block: c1[0]}, {Block: c1[1]}, {Block: c1[2]}, {Block: c1[3]}, {Block: c1[4]}}); err != nil {
		t.Fatal(err)
	}
	if r.d.Head().Hash() != b4.Hash() {
		t.Fatalf("a synced chain forking below the final block moved the head to %d", r.d.Head().Height)
	}
}

// peerFrom has a fresh peer from the same genesis mine five empty blocks.
func (r *reorgRig) peerFrom(t *testing.T) []*types.Block {
	fork := newChain(t, r.node.gen)
	var out []*types.Block
	for i := 0; i < 5; i++ {
		out = append(out, fork.mine())
	}
	return out
}
