package mempool

import "math/big"

// head is one sender's remaining transactions in a Source and the effective
// tip of the first.
type head struct {
	txs []*poolTx
	tip *big.Int
}

// senderHeap orders senders by their next transaction's effective tip, highest
// first, then by arrival.
type senderHeap struct {
	list    []head
	baseFee *big.Int
}

func (h *senderHeap) Len() int { return len(h.list) }

func (h *senderHeap) Less(i, j int) bool {
	if c := h.list[i].tip.Cmp(h.list[j].tip); c != 0 {
		return c > 0
	}
	return h.list[i].txs[0].seq < h.list[j].txs[0].seq
}

func (h *senderHeap) Swap(i, j int) { h.list[i], h.list[j] = h.list[j], h.list[i] }

func (h *senderHeap) Push(x any) { h.list = append(h.list, x.(head)) }

func (h *senderHeap) Pop() any {
	old := h.list
	x := old[len(old)-1]
	h.list = old[:len(old)-1]
	return x
}
