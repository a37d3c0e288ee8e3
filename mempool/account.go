package mempool

import (
	"math/big"
	"sort"

	"github.com/ethereum/go-ethereum/common"
)

// account is one sender's transactions, sorted by nonce. The first pending of
// them carry consecutive nonces from stateNonce: they are executable. The rest
// are queued behind a nonce gap. Guarded by Pool.mu.
type account struct {
	addr       common.Address
	txs        []*poolTx
	stateNonce uint64
	balance    *big.Int
	pending    int
	pendingGas uint64
	cost       *big.Int // sum of cost over txs
}

func newAccount(addr common.Address, nonce uint64, balance *big.Int) *account {
	return &account{addr: addr, stateNonce: nonce, balance: balance, cost: new(big.Int)}
}

// counts is an account's contribution to the pool totals, taken before a
// change so the totals can be adjusted by the difference.
type counts struct {
	pending, queued int
	gas             uint64
}

func (a *account) counts() counts {
	return counts{pending: a.pending, queued: a.queued(), gas: a.pendingGas}
}

func (a *account) queued() int { return len(a.txs) - a.pending }

// nextNonce is the nonce that would extend the executable run.
func (a *account) nextNonce() uint64 { return a.stateNonce + uint64(a.pending) }

// find returns the index of nonce in txs, or where it would be inserted.
func (a *account) find(nonce uint64) (int, bool) {
	i := sort.Search(len(a.txs), func(i int) bool { return a.txs[i].nonce >= nonce })
	return i, i < len(a.txs) && a.txs[i].nonce == nonce
}

func (a *account) insert(i int, t *poolTx) {
	a.txs = append(a.txs, nil)
	copy(a.txs[i+1:], a.txs[i:])
	a.txs[i] = t
	a.cost.Add(a.cost, t.cost)
}

// removeAt deletes txs[i]; later transactions stop being executable until
// relink runs (a gap now precedes them).
func (a *account) removeAt(i int) *poolTx {
	t := a.txs[i]
	a.txs = append(a.txs[:i], a.txs[i+1:]...)
	a.cost.Sub(a.cost, t.cost)
	return t
}

// relink recomputes which transactions are executable and returns those that
// just became so.
func (a *account) relink() (promoted []*poolTx) {
	a.pending, a.pendingGas = 0, 0
	for i, t := range a.txs {
		exec := t.nonce == a.stateNonce+uint64(i) && i == a.pending
		if exec {
			a.pending++
			a.pendingGas += t.gas
			if !t.pending {
				promoted = append(promoted, t)
			}
		}
		t.pending = exec
	}
	return promoted
}
