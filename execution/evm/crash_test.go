package evm

import (
	"os"
	"os/exec"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"

	"github.com/aspen-chain/aspen/store"
)

// TestTornBlockWrite leaves block 2's trie nodes and block body in the
// database without its head pointer, as a store that wrote in pieces and
// crashed would: the chain must reopen at block 1 with block 1's state, and
// build block 2 again.
func TestTornBlockWrite(t *testing.T) {
	c := newTestChain(t, 1, 30_000_000)
	c.block(c.transfer(0, common.Address{5}, 10))
	b1 := c.ex.Head()

	ex := c.build(c.transfer(0, common.Address{5}, 10))
	h := ex.Block.Header
	sdb := ex.Pending.(*pending).statedb
	root, err := sdb.Commit(c.ex.rules(h), h.Height)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ex.triedb.Commit(root, false); err != nil { // straight to disk, outside WriteBlock
		t.Fatal(err)
	}
	if err := store.WriteBlock(c.st.KV(), ex.Block); err != nil {
		t.Fatal(err)
	}
	c.reopen()

	if got := c.ex.Head(); got.Hash() != b1.Hash() {
		t.Fatalf("head after torn write is block %d, want 1", got.Height)
	}
	if _, err := state.New(b1.StateRoot, c.ex.statedb); err != nil {
		t.Fatalf("state of block 1 does not open: %v", err)
	}
	if got := c.balance(common.Address{5}); got.Int64() != 10 {
		t.Fatalf("balance at block 1 = %s, want 10", got)
	}
	c.nonce[0]-- // the torn block's transaction was never committed
	c.block(c.transfer(0, common.Address{5}, 10))
	if got := c.balance(common.Address{5}); got.Int64() != 20 {
		t.Fatalf("balance after rebuilding block 2 = %s, want 20", got)
	}
}

// TestKillAfterCommit kills a process right after Commit returned, without
// closing the store: the committed block and its state must be there.
func TestKillAfterCommit(t *testing.T) {
	if dir := os.Getenv("ASPEN_EVM_CRASH_DIR"); dir != "" {
		c := &testChain{t: t, dir: dir, nonce: make([]uint64, 1)}
		c.gen, c.keys = testGenesis(1, 30_000_000)
		c.open()
		c.block(c.transfer(0, common.Address{6}, 42))
		os.Exit(0) // no Close: only what Commit synced survives
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillAfterCommit$")
	cmd.Env = append(os.Environ(), "ASPEN_EVM_CRASH_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	gen, _ := testGenesis(1, 30_000_000)
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ex, err := New(st, gen, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ex.Head().Height != 1 {
		t.Fatalf("head after kill is %d, want 1", ex.Head().Height)
	}
	if b, err := ex.Balance(nil, common.Address{6}); err != nil || b.Int64() != 42 {
		t.Fatalf("balance after kill = %v, %v", b, err)
	}
}
