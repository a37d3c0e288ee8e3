package mempool

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
)

func TestAccountQueueLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AccountQueue = 4
	p, _ := newTestPool(t, cfg, 1)
	k := testKey(0)
	mustAdd(t, p, dyn(t, k, 0, 200, 10), dyn(t, k, 5, 200, 10)) // next nonce 1: 1..5 allowed
	if err := p.Add(dyn(t, k, 6, 200, 10)); !errors.Is(err, ErrNonceTooHigh) {
		t.Fatalf("nonce 6 with next nonce 1 and AccountQueue 4: got %v", err)
	}
	mustAdd(t, p, dyn(t, k, 1, 200, 10)) // next nonce 2: now up to 6
	mustAdd(t, p, dyn(t, k, 6, 200, 10))
	checkInvariants(t, p)
}

// TestGlobalSlotsEvictCheapest fills the executable set with one tx per
// sender and checks that a better-paying newcomer evicts the cheapest while
// a worse-paying one is refused.
func TestGlobalSlotsEvictCheapest(t *testing.T) {
	cfg := DefaultConfig()
	cfg.GlobalSlots, cfg.AccountSlots = 4, 1
	p, _ := newTestPool(t, cfg, 6)
	var txs []*types.Transaction
	for i, tip := range []int64{20, 10, 40, 30} {
		txs = append(txs, dyn(t, testKey(i), 0, 1000, tip))
	}
	mustAdd(t, p, txs...)

	newcomer := dyn(t, testKey(4), 0, 1000, 15)
	mustAdd(t, p, newcomer)
	if p.Get(txs[1].Hash()) != nil {
		t.Fatal("cheapest (tip 10) not evicted")
	}
	for _, i := range []int{0, 2, 3} {
		if p.Get(txs[i].Hash()) == nil {
			t.Fatalf("tx %d evicted instead of the cheapest", i)
		}
	}
	if pending, _ := p.Stats(); pending != 4 {
		t.Fatalf("pending %d, want 4", pending)
	}
	// Tip 15 is now the cheapest; 15 does not beat it.
	err := p.Add(dyn(t, testKey(5), 0, 1000, 15))
	if !errors.Is(err, ErrTxPoolOverflow) || err.Error()[:14] != "txpool is full" {
		t.Fatalf("got %v, want txpool is full", err)
	}
	checkInvariants(t, p)
}

// TestGlobalSlotsEvictHog checks that a sender beyond AccountSlots loses its
// last tx to a newcomer even if the newcomer pays less, and that the hog
// itself cannot grow further in a full pool.
func TestGlobalSlotsEvictHog(t *testing.T) {
	cfg := DefaultConfig()
	cfg.GlobalSlots, cfg.AccountSlots = 4, 2
	p, _ := newTestPool(t, cfg, 2)
	hog, small := testKey(0), testKey(1)
	var hogTxs []*types.Transaction
	for n := range uint64(4) {
		hogTxs = append(hogTxs, dyn(t, hog, n, 1000, 50))
	}
	mustAdd(t, p, hogTxs...)
	if err := p.Add(dyn(t, hog, 4, 1000, 50)); !errors.Is(err, ErrTxPoolOverflow) {
		t.Fatalf("hog grew in a full pool: %v", err)
	}
	mustAdd(t, p, dyn(t, small, 0, 1000, 1))
	if p.Get(hogTxs[3].Hash()) != nil || p.Get(hogTxs[2].Hash()) == nil {
		t.Fatal("want exactly the hog's last tx evicted")
	}
	if n := p.Nonce(addrOf(hog)); n != 3 {
		t.Fatalf("hog pending nonce %d, want 3", n)
	}
	checkInvariants(t, p)
}

func TestGlobalQueueEvictCheapest(t *testing.T) {
	cfg := DefaultConfig()
	cfg.GlobalQueue = 2
	p, _ := newTestPool(t, cfg, 4)
	q0, q1 := dyn(t, testKey(0), 1, 1000, 10), dyn(t, testKey(1), 1, 1000, 20)
	mustAdd(t, p, q0, q1)
	if err := p.Add(dyn(t, testKey(2), 1, 1000, 5)); !errors.Is(err, ErrTxPoolOverflow) {
		t.Fatalf("cheaper queued tx: got %v, want txpool is full", err)
	}
	mustAdd(t, p, dyn(t, testKey(3), 1, 1000, 30))
	if p.Get(q0.Hash()) != nil || p.Get(q1.Hash()) == nil {
		t.Fatal("want the cheapest queued tx evicted")
	}
	// Executable txs do not count against the queue.
	mustAdd(t, p, dyn(t, testKey(2), 0, 1000, 1))
	if pending, queued := p.Stats(); pending != 1 || queued != 2 {
		t.Fatalf("stats %d/%d, want 1/2", pending, queued)
	}
	checkInvariants(t, p)
}

// TestPromotionTruncates fills the gap of a sender with many queued txs in a
// pool whose executable set then overflows: the excess beyond AccountSlots
// is cut from that sender's tail.
func TestPromotionTruncates(t *testing.T) {
	cfg := DefaultConfig()
	cfg.GlobalSlots, cfg.AccountSlots = 4, 2
	p, _ := newTestPool(t, cfg, 2)
	a, b := testKey(0), testKey(1)
	mustAdd(t, p, dyn(t, b, 0, 1000, 10), dyn(t, b, 1, 1000, 10))
	for n := uint64(1); n <= 4; n++ {
		mustAdd(t, p, dyn(t, a, n, 1000, 10))
	}
	mustAdd(t, p, dyn(t, a, 0, 1000, 10))
	pending, queued := p.Stats()
	if pending != 4 || queued != 0 {
		t.Fatalf("stats %d/%d, want 4/0", pending, queued)
	}
	if n := p.Nonce(addrOf(a)); n != 2 {
		t.Fatalf("a's pending nonce %d, want 2 (cut to AccountSlots)", n)
	}
	if n := p.Nonce(addrOf(b)); n != 2 {
		t.Fatalf("b's pending nonce %d, want 2 (untouched)", n)
	}
	checkInvariants(t, p)
}

func TestReset(t *testing.T) {
	p, st := newTestPool(t, DefaultConfig(), 3)
	a, b, c := testKey(0), testKey(1), testKey(2)
	var as []*types.Transaction
	for n := range uint64(4) {
		as = append(as, dyn(t, a, n, 1000, 10))
	}
	bs := []*types.Transaction{dyn(t, b, 0, 1000, 10), dyn(t, b, 1, 1000, 10)}
	// c: nonce 0 missing; 2 and 3 queued, then a block from elsewhere mines 0 and 1.
	cs := []*types.Transaction{dyn(t, c, 2, 1000, 10), dyn(t, c, 3, 1000, 10)}
	mustAdd(t, p, as...)
	mustAdd(t, p, bs...)
	mustAdd(t, p, cs...)
	if pending, queued := p.Stats(); pending != 6 || queued != 2 {
		t.Fatalf("before: %d/%d", pending, queued)
	}
	ch := make(chan []*types.Transaction, 1)
	defer p.Subscribe(ch)()

	// A block includes a0 and a1; b can pay for nothing any more; c's nonce
	// jumps to 2, which makes its queued txs executable.
	st.set(addrOf(a), 2, rich)
	st.set(addrOf(b), 0, big.NewInt(1000))
	st.set(addrOf(c), 2, rich)
	p.Reset(st, testBaseFee, testGasLimit, as[:2])
	checkInvariants(t, p)

	for _, tx := range append(as[:2:2], bs...) {
		if p.Get(tx.Hash()) != nil {
			t.Fatalf("tx %x still pooled", tx.Hash())
		}
	}
	if pending, queued := p.Stats(); pending != 4 || queued != 0 {
		t.Fatalf("after: %d/%d, want 4/0 (a2, a3, c2, c3)", pending, queued)
	}
	if n := p.Nonce(addrOf(a)); n != 4 {
		t.Fatalf("a's pending nonce %d", n)
	}
	// Only c's txs are new to the executable set: a2, a3 were there already.
	if got := <-ch; len(got) != 2 || got[0].Hash() != cs[0].Hash() || got[1].Hash() != cs[1].Hash() {
		t.Fatalf("promotion notification: %d txs, want c2, c3", len(got))
	}
}

// TestResetDemotes checks that a tx the sender can no longer pay for is
// dropped and the ones after it become queued, and that a lower gas limit
// drops what no longer fits a block.
func TestResetDemotes(t *testing.T) {
	p, st := newTestPool(t, DefaultConfig(), 1)
	k := testKey(0)
	big0 := signTx(t, k, testChainID, &types.DynamicFeeTx{ChainID: testChainID, Nonce: 1,
		GasFeeCap: big.NewInt(1000), GasTipCap: big.NewInt(10), Gas: 100_000, To: &recipient})
	txs := []*types.Transaction{dyn(t, k, 0, 1000, 10), big0, dyn(t, k, 2, 1000, 10)}
	mustAdd(t, p, txs...)
	// 21000*1000+1 per transfer; big0 costs 100000*1000.
	st.set(addrOf(k), 0, big.NewInt(50_000_000))
	p.Reset(st, testBaseFee, testGasLimit, nil)
	checkInvariants(t, p)
	if p.Get(big0.Hash()) != nil {
		t.Fatal("unaffordable tx kept")
	}
	if pending, queued := p.Stats(); pending != 1 || queued != 1 {
		t.Fatalf("stats %d/%d, want 1/1", pending, queued)
	}

	p.Reset(st, testBaseFee, 20_000, nil)
	checkInvariants(t, p)
	if pending, queued := p.Stats(); pending != 0 || queued != 0 {
		t.Fatalf("gas limit 20000 kept %d/%d txs", pending, queued)
	}
}
