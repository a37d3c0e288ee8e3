package mempool

import (
	"container/heap"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/execution"
)

var _ execution.TxSource = (*Source)(nil)

// Source is a snapshot of the executable transactions in inclusion order:
// across senders by effective tip at the pool's base fee (earlier arrival
// first on a tie), within a sender by nonce. Like go-ethereum's miner it
// stops a sender at its first transaction whose fee cap is below the base fee.
// Taking it holds the pool lock only to copy slices; using it holds no lock.
// A Source is used by one goroutine.
type Source struct {
	heads senderHeap
}

// Source snapshots the pool for building the next block.
func (p *Pool) Source() *Source {
	p.mu.Lock()
	defer p.mu.Unlock()
	bf := p.mu.baseFee
	s := &Source{heads: senderHeap{baseFee: bf}}
	for _, a := range p.mu.accounts {
		n := 0
		for n < a.pending && (bf == nil || a.txs[n].feeCap.Cmp(bf) >= 0) {
			n++
		}
		if n > 0 {
			s.heads.list = append(s.heads.list, head{txs: append([]*poolTx(nil), a.txs[:n]...)})
		}
	}
	for i := range s.heads.list {
		s.heads.list[i].tip = s.heads.list[i].txs[0].effectiveTip(bf)
	}
	heap.Init(&s.heads)
	return s
}

// Peek returns the next transaction and its sender, or nil when none is left.
func (s *Source) Peek() (*types.Transaction, common.Address) {
	if len(s.heads.list) == 0 {
		return nil, common.Address{}
	}
	t := s.heads.list[0].txs[0]
	return t.tx, t.from
}

// Shift accepts the peeked transaction and moves to its sender's next one.
func (s *Source) Shift() {
	if len(s.heads.list) == 0 {
		return
	}
	h := &s.heads.list[0]
	h.txs = h.txs[1:]
	if len(h.txs) == 0 {
		heap.Pop(&s.heads)
		return
	}
	h.tip = h.txs[0].effectiveTip(s.heads.baseFee)
	heap.Fix(&s.heads, 0)
}

// Pop drops the peeked transaction's sender with all its remaining transactions.
func (s *Source) Pop() {
	if len(s.heads.list) == 0 {
		return
	}
	heap.Pop(&s.heads)
}
