package node

import (
	"math/big"
	"testing"
	"time"

	gethtypes "github.com/ethereum/go-ethereum/core/types"
)

// TestStalePicksWhatWaited: only transactions that waited at least the
// age are published again, at most rebroadcastPerSender of each sender
// (the first nonces, which unblock the rest), at most rebroadcastMax.
func TestStalePicksWhatWaited(t *testing.T) {
	mk := func(nonce uint64) *gethtypes.Transaction {
		return gethtypes.NewTx(&gethtypes.LegacyTx{Nonce: nonce, Gas: 21000, GasPrice: big.NewInt(1)})
	}
	var pending []*gethtypes.Transaction
	senders := map[*gethtypes.Transaction]string{}
	for s, n := range map[string]int{"a": 3, "b": rebroadcastPerSender + 4} {
		for i := 0; i < n; i++ {
			tx := mk(uint64(i))
			pending = append(pending, tx)
			senders[tx] = s
		}
	}
	// Pool.Pending orders by sender: keep a's run together.
	by := func(tx *gethtypes.Transaction) string { return senders[tx] }
	ordered := append(filter(pending, by, "a"), filter(pending, by, "b")...)

	created := ordered[0].Time()
	if got := stale(ordered, by, created.Add(time.Second), rebroadcastEvery); len(got) != 0 {
		t.Fatalf("%d transactions a second old published again, want none", len(got))
	}
	got := stale(ordered, by, created.Add(time.Minute), rebroadcastEvery)
	if want := 3 + rebroadcastPerSender; len(got) != want {
		t.Fatalf("%d published again, want %d (all 3 of a, the first %d of b)", len(got), want, rebroadcastPerSender)
	}
	if got[3].Nonce() != 0 || got[len(got)-1].Nonce() != rebroadcastPerSender-1 {
		t.Fatalf("b's nonces %d..%d published, want its first %d", got[3].Nonce(), got[len(got)-1].Nonce(), rebroadcastPerSender)
	}

	many := make([]*gethtypes.Transaction, 0, 2*rebroadcastMax)
	for i := 0; i < 2*rebroadcastMax; i++ {
		tx := mk(0)
		many = append(many, tx)
		senders[tx] = string(rune(i))
	}
	if got := stale(many, by, created.Add(time.Hour), rebroadcastEvery); len(got) != rebroadcastMax {
		t.Fatalf("%d published at once, want the cap %d", len(got), rebroadcastMax)
	}
}

func filter(txs []*gethtypes.Transaction, by func(*gethtypes.Transaction) string, s string) []*gethtypes.Transaction {
	var out []*gethtypes.Transaction
	for _, tx := range txs {
		if by(tx) == s {
			out = append(out, tx)
		}
	}
	return out
}
