package evm

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

func (c *testChain) commitTentative(ex *execution.Executed) {
	c.t.Helper()
	if err := c.ex.CommitTentative(ex); err != nil {
		c.t.Fatal(err)
	}
}

// TestRewindRestoresTheOlderState: two tentative blocks moved a balance;
// after a reopen (no state left in any cache) a rewind to block 1 makes
// block 1 the head with block 1's state, drops block 2's receipts and tx
// index, and a different block 2 then commits on it.
func TestRewindRestoresTheOlderState(t *testing.T) {
	c := newTestChain(t, 1, 30_000_000)
	to := common.HexToAddress("0xbeef")
	b1 := c.build(c.transfer(0, to, 100))
	c.commitTentative(b1)
	b2 := c.build(c.transfer(0, to, 200))
	c.commitTentative(b2)
	if got := c.balance(to).Int64(); got != 300 {
		t.Fatalf("balance %d after both blocks, want 300", got)
	}
	if f := c.ex.Finalized(); f.Height != 0 {
		t.Fatalf("finalized %d after tentative commits, want genesis", f.Height)
	}
	c.reopen()
	if h := c.ex.Head(); h.Hash() != b2.Block.Hash() {
		t.Fatalf("head after reopen is %d, want tentative block 2", h.Height)
	}
	head, dropped, err := c.ex.Rewind(1, b1.Block.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if head.Hash() != b1.Block.Hash() || c.ex.Head().Hash() != b1.Block.Hash() {
		t.Fatalf("head after rewind is %d, want block 1", c.ex.Head().Height)
	}
	if len(dropped) != 1 || dropped[0].Hash() != b2.Block.Hash() || len(dropped[0].Txs) != 1 {
		t.Fatalf("dropped %d blocks, want block 2 with its transaction", len(dropped))
	}
	if got := c.balance(to).Int64(); got != 100 {
		t.Fatalf("balance %d after the rewind, want block 1's 100", got)
	}
	if _, err := c.ex.Receipts(b2.Block.Hash()); err == nil {
		t.Fatal("receipts of the dropped block are still served")
	}
	if _, found, _ := c.st.TxLookup(b2.Block.Txs[0].Hash()); found {
		t.Fatal("the dropped block's transaction is still indexed")
	}
	c.nonce[0] = 1
	b2x := c.build(c.transfer(0, to, 7))
	if b2x.Block.Hash() == b2.Block.Hash() {
		t.Fatal("the new branch's block equals the dropped one")
	}
	c.commitTentative(b2x)
	if got := c.balance(to).Int64(); got != 107 {
		t.Fatalf("balance %d on the new branch, want 107", got)
	}
	if rs, err := c.ex.Receipts(b2x.Block.Hash()); err != nil || len(rs) != 1 {
		t.Fatalf("receipts of the new block 2: %d, %v", len(rs), err)
	}
}

// TestRewindRefusesFinalBlocks: once a block is final, rewinding below it
// fails with ErrRewindFinal and leaves head and state alone; a final Commit
// makes its block final at once, as instant engines need.
func TestRewindRefusesFinalBlocks(t *testing.T) {
	c := newTestChain(t, 1, 30_000_000)
	to := common.HexToAddress("0xbeef")
	b1 := c.build(c.transfer(0, to, 100))
	c.commitTentative(b1)
	b2 := c.build(c.transfer(0, to, 200))
	c.commitTentative(b2)
	if err := c.ex.Finalize(b1.Block.Hash(), nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ex.Rewind(1, b2.Block.Hash()); !errors.Is(err, execution.ErrRewindTarget) {
		t.Fatalf("rewind to a block that is not the one at its height: %v, want ErrRewindTarget", err)
	}
	if _, _, err := c.ex.Rewind(0, c.ex.Finalized().ParentHash); !errors.Is(err, execution.ErrRewindFinal) {
		t.Fatalf("rewind below the final block: %v, want ErrRewindFinal", err)
	}
	if c.ex.Head().Hash() != b2.Block.Hash() || c.balance(to).Int64() != 300 {
		t.Fatal("a refused rewind moved the head or the state")
	}
	if err := c.ex.MarkSafe(b2.Block.Hash()); err != nil {
		t.Fatal(err)
	}
	if s := c.ex.Safe(); s.Hash() != b2.Block.Hash() {
		t.Fatalf("safe is %d, want 2", s.Height)
	}
	b3 := c.block(c.transfer(0, to, 1)) // a final commit
	for name, h := range map[string]*types.Header{"finalized": c.ex.Finalized(), "safe": c.ex.Safe(), "head": c.ex.Head()} {
		if h.Hash() != b3.Block.Hash() {
			t.Fatalf("%s is %d after a final commit, want 3", name, h.Height)
		}
	}
}
