package store

import (
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/types"
)

// addrTxs lists a's entries as "height.index", checking each hash against
// the chain's transaction at that place.
func addrTxs(t *testing.T, s *Store, chain []*types.Block, a common.Address, from *AddrTx, limit int) ([]string, *AddrTx) {
	t.Helper()
	txs, next, err := s.AddressTxs(a, from, limit)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range txs {
		if want := chain[e.Height].Txs[e.Index].Hash(); e.Hash != want {
			t.Fatalf("entry %d.%d of %s holds %s, the tx there is %s", e.Height, e.Index, a, e.Hash, want)
		}
		out = append(out, fmt.Sprintf("%d.%d", e.Height, e.Index))
	}
	return out, next
}

func same(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// TestAddressIndex: a block's commit indexes every transaction under its
// sender, its recipient or the contract it creates, newest first and in
// pages; a rewind takes the dropped blocks' entries out again.
func TestAddressIndex(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Blocks 1..3, each: tx 0 to 0x01.., tx 1 creating a contract, both from testKey.
	chain := tentativeChain(t, s, 3)
	sender := crypto.PubkeyToAddress(testKey.PublicKey)
	recipient := common.Address{1}
	created := crypto.CreateAddress(sender, chain[3].Txs[1].Nonce())

	if got, next := addrTxs(t, s, chain, sender, nil, 100); !same(got, []string{"3.1", "3.0", "2.1", "2.0", "1.1", "1.0"}) || next != nil {
		t.Fatalf("sender's transactions %v (next %v), want all six newest first and no next page", got, next)
	}
	if got, _ := addrTxs(t, s, chain, recipient, nil, 100); !same(got, []string{"3.0", "2.0", "1.0"}) {
		t.Fatalf("recipient's transactions %v, want the three transfers", got)
	}
	if got, _ := addrTxs(t, s, chain, created, nil, 100); !same(got, []string{"3.1"}) {
		t.Fatalf("created contract's transactions %v, want its creation", got)
	}
	if got, _ := addrTxs(t, s, chain, common.Address{2}, nil, 100); len(got) != 0 {
		t.Fatalf("an untouched address has %v", got)
	}

	// Pages: four, then the two left, then nothing more.
	page1, next := addrTxs(t, s, chain, sender, nil, 4)
	if !same(page1, []string{"3.1", "3.0", "2.1", "2.0"}) || next == nil || next.Height != 1 || next.Index != 1 {
		t.Fatalf("first page %v, next %+v; want four and next at 1.1", page1, next)
	}
	if page2, next := addrTxs(t, s, chain, sender, next, 4); !same(page2, []string{"1.1", "1.0"}) || next != nil {
		t.Fatalf("second page %v, next %+v; want the last two and no next", page2, next)
	}

	// A rewind to block 1 drops the entries of blocks 2 and 3.
	if _, err := s.Rewind(1); err != nil {
		t.Fatal(err)
	}
	if got, _ := addrTxs(t, s, chain, sender, nil, 100); !same(got, []string{"1.1", "1.0"}) {
		t.Fatalf("sender after the rewind %v, want block 1's only", got)
	}
	if got, _ := addrTxs(t, s, chain, created, nil, 100); len(got) != 0 {
		t.Fatalf("a contract created in a rewound block still lists %v", got)
	}
}
