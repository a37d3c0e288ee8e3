package mempool

import (
	"math/big"
	"slices"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// TestConcurrent runs adders (single and batched, some out of nonce order,
// with duplicates) against a builder that repeatedly snapshots, "executes" and
// resets, plus RPC-style readers. Run it with -race. Every transaction must be
// included exactly once, in nonce order per sender, and the bookkeeping must
// stay consistent.
func TestConcurrent(t *testing.T) {
	const (
		senders   = 6
		perSender = 150
		perBlock  = 40
	)
	p, st := newTestPool(t, DefaultConfig(), senders)
	signed := make([][]*types.Transaction, senders)
	for s := range senders {
		for n := range uint64(perSender) {
			signed[s] = append(signed[s], dyn(t, testKey(s), n, 1000, int64(1+s)))
		}
	}

	wake := make(chan []*types.Transaction, 1)
	defer p.Subscribe(wake)()
	done := make(chan struct{})
	var adders sync.WaitGroup
	for s := range senders {
		adders.Go(func() {
			txs := signed[s]
			for start := 0; start < len(txs); start += 10 {
				chunk := slices.Clone(txs[start:min(start+10, len(txs))])
				switch s % 3 {
				case 0: // one by one, each twice
					for _, tx := range chunk {
						if err := p.Add(tx); err != nil {
							t.Errorf("sender %d nonce %d: %v", s, tx.Nonce(), err)
						}
						if p.Add(tx) == nil { // already known, or already included
							t.Errorf("sender %d nonce %d: accepted twice", s, tx.Nonce())
						}
					}
				case 1: // batch in reverse nonce order: queued, then promoted
					slices.Reverse(chunk)
					for i, err := range p.AddBatch(chunk) {
						if err != nil {
							t.Errorf("sender %d nonce %d: %v", s, chunk[i].Nonce(), err)
						}
					}
				default: // batch in order
					for i, err := range p.AddBatch(chunk) {
						if err != nil {
							t.Errorf("sender %d nonce %d: %v", s, chunk[i].Nonce(), err)
						}
					}
				}
			}
		})
	}
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			for s := range senders {
				p.Nonce(addrOf(testKey(s)))
			}
			pend := p.Pending()
			for _, tx := range pend {
				p.Get(tx.Hash())
			}
			p.Stats()
			p.Full(testGasLimit)
		}
	})
	go func() {
		adders.Wait()
		close(done)
	}()

	// The builder: the consensus goroutine's role.
	included := make(map[common.Address][]uint64)
	nonces := make(map[common.Address]uint64)
	total := 0
	for total < senders*perSender {
		src := p.Source()
		var block []*types.Transaction
		for tx, from := src.Peek(); tx != nil && len(block) < perBlock; tx, from = src.Peek() {
			if tx.Nonce() != nonces[from] {
				t.Fatalf("source offered %v nonce %d, chain nonce %d", from, tx.Nonce(), nonces[from])
			}
			nonces[from]++
			included[from] = append(included[from], tx.Nonce())
			block = append(block, tx)
			src.Shift()
		}
		if len(block) == 0 {
			select {
			case <-wake:
			case <-done:
				if pending, queued := p.Stats(); pending == 0 && queued == 0 {
					t.Fatalf("pool empty with %d of %d txs included", total, senders*perSender)
				}
			}
			continue
		}
		total += len(block)
		for from, n := range nonces {
			st.set(from, n, rich)
		}
		p.Reset(st, big.NewInt(100+int64(total%7)), testGasLimit, block)
		checkInvariants(t, p)
	}
	<-done
	readers.Wait()
	for s := range senders {
		got := included[addrOf(testKey(s))]
		if len(got) != perSender {
			t.Fatalf("sender %d: %d txs included, want %d", s, len(got), perSender)
		}
		for i, n := range got {
			if n != uint64(i) {
				t.Fatalf("sender %d: included nonce %d at position %d", s, n, i)
			}
		}
	}
	if pending, queued := p.Stats(); pending != 0 || queued != 0 {
		t.Fatalf("pool not empty: %d/%d", pending, queued)
	}
}
