package store

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// tentativeChain writes a final genesis and n tentative blocks on it, each
// with two transactions, and returns them (genesis first).
func tentativeChain(t *testing.T, s *Store, n int) []*types.Block {
	t.Helper()
	b0 := block(t, common.Hash{}, 0, 0)
	if err := s.WriteBlock(&BlockWrite{Block: b0, Genesis: []byte(`{}`)}, nil); err != nil {
		t.Fatal(err)
	}
	chain := []*types.Block{b0}
	for h := 1; h <= n; h++ {
		b := block(t, chain[h-1].Hash(), uint64(h), 2)
		if err := s.WriteBlock(&BlockWrite{Block: b, Receipts: receiptsFor(b), Tentative: true}, nil); err != nil {
			t.Fatal(err)
		}
		chain = append(chain, b)
	}
	return chain
}

func pointerIs(t *testing.T, name string, get func() (common.Hash, uint64, bool), want *types.Block) {
	t.Helper()
	if h, n, ok := get(); !ok || h != want.Hash() || n != want.Height() {
		t.Fatalf("%s is %d %s, want %d %s", name, n, h, want.Height(), want.Hash())
	}
}

// TestTentativeBlocksMoveOnlyTheHead: a tentative write moves the head but
// leaves finalized and safe where they were; a final write moves all three;
// and the pointers survive a reopen.
func TestTentativeBlocksMoveOnlyTheHead(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	chain := tentativeChain(t, s, 3)
	pointerIs(t, "head", s.Head, chain[3])
	pointerIs(t, "finalized", s.Finalized, chain[0])
	pointerIs(t, "safe", s.Safe, chain[0])
	if err := s.SetSafe(chain[2].Hash()); err != nil {
		t.Fatal(err)
	}
	if err := s.Finalize(chain[1].Hash(), &types.Commit{Height: 1, BlockHash: chain[1].Hash()}); err != nil {
		t.Fatal(err)
	}
	pointerIs(t, "finalized", s.Finalized, chain[1])
	pointerIs(t, "safe", s.Safe, chain[2])
	if c, err := s.Commit(chain[1].Hash()); err != nil || c.BlockHash != chain[1].Hash() {
		t.Fatalf("certificate given with Finalize: %v, %v", c, err)
	}
	s.Close()
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pointerIs(t, "head after reopen", s.Head, chain[3])
	pointerIs(t, "finalized after reopen", s.Finalized, chain[1])
	pointerIs(t, "safe after reopen", s.Safe, chain[2])

	b4 := block(t, chain[3].Hash(), 4, 0)
	writeBlock(t, s, b4) // final
	pointerIs(t, "finalized after a final write", s.Finalized, b4)
	pointerIs(t, "safe after a final write", s.Safe, b4)
}

// TestRewindDropsNonFinalBlocks: a rewind deletes every entry of the blocks
// above the target (block, receipts, tx index, canonical entry), restores the
// head, brings safe down, returns the dropped blocks lowest first, and
// survives a reopen; the state is left alone.
func TestRewindDropsNonFinalBlocks(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	chain := tentativeChain(t, s, 4)
	if err := s.Finalize(chain[1].Hash(), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSafe(chain[3].Hash()); err != nil {
		t.Fatal(err)
	}
	stateKey := []byte("some-trie-node")
	if err := s.KV().Put(stateKey, []byte{1}); err != nil {
		t.Fatal(err)
	}
	dropped, err := s.Rewind(2)
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 2 || dropped[0].Hash() != chain[3].Hash() || dropped[1].Hash() != chain[4].Hash() {
		t.Fatalf("dropped %d blocks, want blocks 3 and 4 in order", len(dropped))
	}
	s.Close()
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pointerIs(t, "head", s.Head, chain[2])
	pointerIs(t, "safe", s.Safe, chain[2])
	pointerIs(t, "finalized", s.Finalized, chain[1])
	for _, b := range chain[3:] {
		if _, err := s.BlockByHash(b.Hash()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("block %d still stored: %v", b.Height(), err)
		}
		if _, err := s.CanonicalHash(b.Height()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("canonical entry %d still stored: %v", b.Height(), err)
		}
		if _, err := ReadRawReceipts(s.db, b.Hash()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("receipts of block %d still stored: %v", b.Height(), err)
		}
		for _, tx := range b.Txs {
			if _, found, _ := s.TxLookup(tx.Hash()); found {
				t.Fatalf("tx %s of dropped block %d still indexed", tx.Hash(), b.Height())
			}
		}
	}
	for _, b := range chain[:3] {
		if got, err := s.BlockByNumber(b.Height()); err != nil || got.Hash() != b.Hash() {
			t.Fatalf("block %d below the rewind: %v", b.Height(), err)
		}
	}
	for _, tx := range chain[2].Txs {
		if _, found, _ := s.TxLookup(tx.Hash()); !found {
			t.Fatalf("tx of kept block 2 lost its index")
		}
	}
	if v, err := s.KV().Get(stateKey); err != nil || len(v) != 1 {
		t.Fatalf("state entry gone after rewind: %v", err)
	}
	// A new block 3 on the rewound head is an ordinary write.
	b3 := block(t, chain[2].Hash(), 3, 1)
	b3.Header.TimeMs++ // another block than the dropped one
	if err := s.WriteBlock(&BlockWrite{Block: b3, Receipts: receiptsFor(b3), Tentative: true}, nil); err != nil {
		t.Fatal(err)
	}
	pointerIs(t, "head on the new branch", s.Head, b3)
}

// TestRewindRefusesFinalBlocks: rewinding below the finalized block, or
// finalizing backwards or off the chain, changes nothing.
func TestRewindRefusesFinalBlocks(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chain := tentativeChain(t, s, 3)
	if err := s.Finalize(chain[2].Hash(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rewind(1); !errors.Is(err, ErrBelowFinalized) {
		t.Fatalf("rewind below finalized: %v, want ErrBelowFinalized", err)
	}
	pointerIs(t, "head after a refused rewind", s.Head, chain[3])
	if _, err := s.BlockByHash(chain[3].Hash()); err != nil {
		t.Fatalf("refused rewind deleted block 3: %v", err)
	}
	if err := s.Finalize(chain[1].Hash(), nil); err != nil {
		t.Fatalf("finalizing an ancestor of the finalized block again: %v", err)
	}
	pointerIs(t, "finalized after finalizing an ancestor", s.Finalized, chain[2])
	if dropped, err := s.Rewind(2); err != nil || len(dropped) != 1 {
		t.Fatalf("rewind to the finalized block: %d dropped, %v; want block 3", len(dropped), err)
	}
	// Block 3 is gone: it can be neither final nor safe.
	if err := s.Finalize(chain[3].Hash(), nil); !errors.Is(err, ErrNotCanonical) {
		t.Fatalf("finalizing a dropped block: %v, want ErrNotCanonical", err)
	}
	if err := s.SetSafe(chain[1].Hash()); err == nil {
		t.Fatal("safe below finalized accepted")
	}
}

// TestStoreWithoutFinalityPointers: a database written before tentative
// blocks existed has only a head, and every block in it is final.
func TestStoreWithoutFinalityPointers(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	chain := tentativeChain(t, s, 2)
	if err := DeleteFinalizedHash(s.db); err != nil {
		t.Fatal(err)
	}
	if err := DeleteSafeHash(s.db); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pointerIs(t, "finalized", s.Finalized, chain[2])
	pointerIs(t, "safe", s.Safe, chain[2])
	if _, err := s.Rewind(1); !errors.Is(err, ErrBelowFinalized) {
		t.Fatalf("rewind in an old store: %v, want ErrBelowFinalized", err)
	}
}
