package mempool

import (
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestSourceOrder checks inclusion order: across senders by effective tip at
// the base fee (not by raw tip), within a sender by nonce, even when nonces
// arrive out of order.
func TestSourceOrder(t *testing.T) {
	p, _ := newTestPool(t, DefaultConfig(), 3)
	a, b, c := testKey(0), testKey(1), testKey(2)
	// base fee 100. a: tip 50 but fee cap 120 -> effective 20.
	a0, a1 := dyn(t, a, 0, 120, 50), dyn(t, a, 1, 1000, 5)
	// b: effective 30 then 25 then 1.
	b0, b1, b2 := dyn(t, b, 0, 1000, 30), dyn(t, b, 1, 1000, 25), dyn(t, b, 2, 1000, 1)
	// c: effective 10, then 40 (behind its nonce 0).
	c0, c1 := dyn(t, c, 0, 1000, 10), dyn(t, c, 1, 1000, 40)
	mustAdd(t, p, b2, a1, c1, b1, a0, c0, b0)
	checkInvariants(t, p)

	want := []*types.Transaction{b0, b1, a0, c0, c1, a1, b2}
	got := drain(p.Source())
	if !slices.Equal(hashes(got), hashes(want)) {
		t.Fatalf("order:\n got %v\nwant %v", names(got, want), names(want, want))
	}
}

// TestSourcePop checks that Pop skips the rest of a sender and that a
// sender whose fee cap fell under a raised base fee is cut at that nonce.
func TestSourcePop(t *testing.T) {
	p, st := newTestPool(t, DefaultConfig(), 3)
	a, b, c := testKey(0), testKey(1), testKey(2)
	a0, a1 := dyn(t, a, 0, 1000, 50), dyn(t, a, 1, 1000, 50)
	b0, b1 := dyn(t, b, 0, 1000, 20), dyn(t, b, 1, 150, 20) // b1 underwater at base fee 200
	c0 := dyn(t, c, 0, 1000, 10)
	mustAdd(t, p, a0, a1, b0, b1, c0)
	p.Reset(st, big.NewInt(200), testGasLimit, nil)

	s := p.Source()
	var got []*types.Transaction
	for tx, from := s.Peek(); tx != nil; tx, from = s.Peek() {
		got = append(got, tx)
		if from == addrOf(a) {
			s.Pop() // a0 "failed": a1 must not follow
			continue
		}
		s.Shift()
	}
	want := []*types.Transaction{a0, b0, c0}
	if !slices.Equal(hashes(got), hashes(want)) {
		t.Fatalf("order:\n got %v\nwant %v", names(got, want), names(want, want))
	}
	// b1 stays in the pool, executable by nonce, for a later lower base fee.
	if p.Get(b1.Hash()) == nil {
		t.Fatal("underwater tx dropped")
	}
}

func TestReplacement(t *testing.T) {
	const feeCap, tip = 1000, 100
	tests := []struct {
		name        string
		feeCap, tip int64
		ok          bool
	}{
		{"+9% both", 1090, 109, false},
		{"+10% both", 1100, 110, true},
		{"+10% fee cap, +9% tip", 1100, 109, false},
		{"+9% fee cap, +10% tip", 1090, 110, false},
		{"+100% tip only", 1000, 200, false},
		{"+50% both", 1500, 150, true},
		{"lower", 900, 90, false},
	}
	for _, tc := range tests {
		for _, queued := range []bool{false, true} {
			name := tc.name
			if queued {
				name += ", queued"
			}
			t.Run(name, func(t *testing.T) {
				p, _ := newTestPool(t, DefaultConfig(), 1)
				k := testKey(0)
				nonce := uint64(0)
				if queued {
					nonce = 3
				}
				old := dyn(t, k, nonce, feeCap, tip)
				mustAdd(t, p, old)
				pending, queuedN := p.Stats()
				repl := dyn(t, k, nonce, tc.feeCap, tc.tip)
				err := p.Add(repl)
				if tc.ok {
					if err != nil {
						t.Fatalf("replacement rejected: %v", err)
					}
					if p.Get(old.Hash()) != nil || p.Get(repl.Hash()) == nil {
						t.Fatal("old tx still pooled or new one missing")
					}
				} else {
					if !errors.Is(err, ErrReplaceUnderpriced) || err.Error() != "replacement transaction underpriced" {
						t.Fatalf("got %v, want replacement transaction underpriced", err)
					}
					if p.Get(old.Hash()) == nil || p.Get(repl.Hash()) != nil {
						t.Fatal("old tx gone or new one pooled")
					}
				}
				if p2, q2 := p.Stats(); p2 != pending || q2 != queuedN {
					t.Fatalf("stats %d/%d -> %d/%d", pending, queuedN, p2, q2)
				}
				checkInvariants(t, p)
			})
		}
	}
}

func TestGapPromotion(t *testing.T) {
	p, _ := newTestPool(t, DefaultConfig(), 1)
	k := testKey(0)
	ch := make(chan []*types.Transaction, 10)
	defer p.Subscribe(ch)()

	tx0, tx1, tx2, tx3 := dyn(t, k, 0, 200, 10), dyn(t, k, 1, 200, 10), dyn(t, k, 2, 200, 10), dyn(t, k, 3, 200, 10)
	mustAdd(t, p, tx0, tx2, tx3)
	if pending, queued := p.Stats(); pending != 1 || queued != 2 {
		t.Fatalf("stats %d/%d, want 1/2", pending, queued)
	}
	if n := p.Nonce(addrOf(k)); n != 1 {
		t.Fatalf("pending nonce %d, want 1", n)
	}
	if got := drain(p.Source()); len(got) != 1 {
		t.Fatalf("source yields %d txs, want only nonce 0", len(got))
	}
	if got := <-ch; !slices.Equal(hashes(got), hashes([]*types.Transaction{tx0})) {
		t.Fatalf("first notification %v", got)
	}

	mustAdd(t, p, tx1)
	checkInvariants(t, p)
	if pending, queued := p.Stats(); pending != 4 || queued != 0 {
		t.Fatalf("stats %d/%d, want 4/0", pending, queued)
	}
	if n := p.Nonce(addrOf(k)); n != 4 {
		t.Fatalf("pending nonce %d, want 4", n)
	}
	if got := <-ch; !slices.Equal(hashes(got), hashes([]*types.Transaction{tx1, tx2, tx3})) {
		t.Fatalf("promotion notification has %d txs, want nonces 1..3", len(got))
	}
	if got := p.Pending(); !slices.Equal(hashes(got), hashes([]*types.Transaction{tx0, tx1, tx2, tx3})) {
		t.Fatalf("Pending() has %d txs", len(got))
	}
	// An account the pool does not know reads the state.
	if n := p.Nonce(common.Address{7}); n != 0 {
		t.Fatalf("unknown account nonce %d", n)
	}
}

func TestAddBatchMixed(t *testing.T) {
	p, st := newTestPool(t, DefaultConfig(), 2)
	a, b := testKey(0), testKey(1)
	st.set(addrOf(b), 3, rich)
	other := big.NewInt(1)
	good0 := dyn(t, a, 0, 200, 10)
	txs := []*types.Transaction{
		good0,
		signTx(t, a, other, &types.DynamicFeeTx{ChainID: other, Nonce: 1, GasFeeCap: big.NewInt(200), GasTipCap: big.NewInt(10), Gas: 21000, To: &recipient}),
		dyn(t, a, 1, 200, 10),
		good0,
		dyn(t, b, 2, 200, 10),
		dyn(t, b, 3, 200, 10),
		dyn(t, a, 1, 205, 11),
	}
	want := []error{nil, ErrInvalidChainID, nil, ErrAlreadyKnown, ErrNonceTooLow, nil, ErrReplaceUnderpriced}
	errs := p.AddBatch(txs)
	if len(errs) != len(want) {
		t.Fatalf("%d errors for %d txs", len(errs), len(txs))
	}
	for i := range want {
		if (want[i] == nil) != (errs[i] == nil) || (want[i] != nil && !errors.Is(errs[i], want[i])) {
			t.Errorf("tx %d: got %v, want %v", i, errs[i], want[i])
		}
	}
	if pending, queued := p.Stats(); pending != 3 || queued != 0 {
		t.Fatalf("stats %d/%d, want 3/0", pending, queued)
	}
	checkInvariants(t, p)
}

func TestFull(t *testing.T) {
	p, _ := newTestPool(t, DefaultConfig(), 1)
	k := testKey(0)
	mustAdd(t, p, dyn(t, k, 0, 200, 10), dyn(t, k, 1, 200, 10), dyn(t, k, 5, 200, 10))
	if !p.Full(42000) || p.Full(42001) {
		t.Fatal("Full must count exactly the executable gas (2 x 21000), not the queued tx")
	}
}

func hashes(txs []*types.Transaction) []common.Hash {
	out := make([]common.Hash, len(txs))
	for i, tx := range txs {
		out[i] = tx.Hash()
	}
	return out
}

// names renders txs as indexes into ref, for readable failures.
func names(txs, ref []*types.Transaction) []int {
	out := make([]int, len(txs))
	for i, tx := range txs {
		out[i] = slices.IndexFunc(ref, func(r *types.Transaction) bool { return r.Hash() == tx.Hash() })
	}
	return out
}

// TestSubscribeSlowConsumer checks that a subscriber that never reads does
// not block admission, that a reading one gets every batch, and that cancel
// stops delivery.
func TestSubscribeSlowConsumer(t *testing.T) {
	p, _ := newTestPool(t, DefaultConfig(), 1)
	k := testKey(0)
	stuck := make(chan []*types.Transaction) // unbuffered, never read
	defer p.Subscribe(stuck)()
	live := make(chan []*types.Transaction, 10)
	cancel := p.Subscribe(live)
	for n := range uint64(3) {
		mustAdd(t, p, dyn(t, k, n, 200, 10))
	}
	if len(live) != 3 {
		t.Fatalf("live subscriber got %d batches, want 3", len(live))
	}
	cancel()
	mustAdd(t, p, dyn(t, k, 3, 200, 10))
	if len(live) != 3 {
		t.Fatal("delivery after cancel")
	}
	// Queued txs are not announced.
	mustAdd(t, p, dyn(t, k, 9, 200, 10))
	live2 := make(chan []*types.Transaction, 1)
	defer p.Subscribe(live2)()
	mustAdd(t, p, dyn(t, k, 7, 200, 10))
	if len(live2) != 0 {
		t.Fatal("queued tx announced as executable")
	}
}

// TestKnownSender: the pool answers the sender of a transaction it holds,
// by hash, and nothing for one it does not.
func TestKnownSender(t *testing.T) {
	p, _ := newTestPool(t, DefaultConfig(), 2)
	a, b := testKey(0), testKey(1)
	held, other := dyn(t, a, 0, 1000, 5), dyn(t, b, 0, 1000, 5)
	mustAdd(t, p, held)
	from, ok := p.KnownSender(held.Hash())
	if !ok || from != crypto.PubkeyToAddress(a.PublicKey) {
		t.Fatalf("KnownSender of a pooled tx: %s %v, want %s", from.Hex(), ok, crypto.PubkeyToAddress(a.PublicKey).Hex())
	}
	if _, ok := p.KnownSender(other.Hash()); ok {
		t.Fatal("KnownSender answered for a transaction the pool never saw")
	}
}
