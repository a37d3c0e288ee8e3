package mempool

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
)

// BenchmarkAddBatch adds 10k transactions from 100 senders in one AddBatch,
// decoded fresh from their encoding each round so sender recovery is measured
// (nothing is cached on the transactions). Reports tx/s.
func BenchmarkAddBatch(b *testing.B) {
	const senders, perSender = 100, 100
	cfg := DefaultConfig()
	cfg.GlobalSlots = senders * perSender
	st := newMemState()
	var raw [][]byte
	for s := range senders {
		k := testKey(s)
		st.set(addrOf(k), 0, rich)
		for n := range uint64(perSender) {
			enc, err := dyn(b, k, n, 1000, 10).MarshalBinary()
			if err != nil {
				b.Fatal(err)
			}
			raw = append(raw, enc)
		}
	}
	// Interleave senders as gossip would deliver them.
	order := make([][]byte, 0, len(raw))
	for n := range perSender {
		for s := range senders {
			order = append(order, raw[s*perSender+n])
		}
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		txs := make([]*types.Transaction, len(order))
		for i, enc := range order {
			txs[i] = new(types.Transaction)
			if err := txs[i].UnmarshalBinary(enc); err != nil {
				b.Fatal(err)
			}
		}
		p := New(cfg, testChainID, st)
		p.Reset(st, big.NewInt(100), testGasLimit, nil)
		b.StartTimer()
		for i, err := range p.AddBatch(txs) {
			if err != nil {
				b.Fatalf("tx %d: %v", i, err)
			}
		}
	}
	b.ReportMetric(float64(len(order))*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
}
