package mempool

import (
	"fmt"
	"math/big"
)

// makeRoomLocked evicts transactions of other senders until t fits: into the
// executable set if executable, else into the queue. It fails with
// ErrTxPoolOverflow when nothing may be evicted for t.
func (p *Pool) makeRoomLocked(t *poolTx, executable bool) error {
	if executable {
		for p.mu.pending >= p.cfg.GlobalSlots {
			v := p.pendingVictimLocked(t)
			if v == nil {
				return fmt.Errorf("%w: %d executable transactions and none cheaper from a sender over %d; raise the tip",
					ErrTxPoolOverflow, p.mu.pending, p.cfg.AccountSlots)
			}
			p.evictLocked(v, v.pending-1)
		}
		return nil
	}
	for p.mu.queued >= p.cfg.GlobalQueue {
		v := p.queuedVictimLocked(t)
		if v == nil {
			return fmt.Errorf("%w: %d queued transactions and none cheaper; send the missing nonces first",
				ErrTxPoolOverflow, p.mu.queued)
		}
		p.evictLocked(v, len(v.txs)-1)
	}
	return nil
}

// pendingVictimLocked picks whose last executable transaction leaves for t:
// first the sender holding the most beyond AccountSlots; then, if t's sender
// is within its own share, the sender whose last executable transaction pays
// the lowest effective tip, if lower than t's. Only tails are evicted so no
// sender is left with a nonce gap in its executable run.
func (p *Pool) pendingVictimLocked(t *poolTx) *account {
	var hog *account
	for _, a := range p.mu.accounts {
		if a.addr == t.from || a.pending <= p.cfg.AccountSlots {
			continue
		}
		if hog == nil || a.pending > hog.pending || (a.pending == hog.pending && a.txs[a.pending-1].seq > hog.txs[hog.pending-1].seq) {
			hog = a
		}
	}
	if hog != nil {
		return hog
	}
	if own := p.mu.accounts[t.from]; own != nil && own.pending >= p.cfg.AccountSlots {
		return nil
	}
	return p.cheapestLocked(t, func(a *account) *poolTx {
		if a.pending == 0 {
			return nil
		}
		return a.txs[a.pending-1]
	})
}

// queuedVictimLocked picks the sender whose last queued transaction pays the
// lowest effective tip, if lower than t's.
func (p *Pool) queuedVictimLocked(t *poolTx) *account {
	return p.cheapestLocked(t, func(a *account) *poolTx {
		if a.queued() == 0 {
			return nil
		}
		return a.txs[len(a.txs)-1]
	})
}

// cheapestLocked returns the account, other than t's sender, whose candidate
// pays the lowest effective tip below t's; the newest loses a tie.
func (p *Pool) cheapestLocked(t *poolTx, candidate func(*account) *poolTx) *account {
	bf := p.mu.baseFee
	limit := t.effectiveTip(bf)
	var (
		best    *account
		bestTx  *poolTx
		bestTip *big.Int
	)
	for _, a := range p.mu.accounts {
		if a.addr == t.from {
			continue
		}
		c := candidate(a)
		if c == nil {
			continue
		}
		tip := c.effectiveTip(bf)
		if tip.Cmp(limit) >= 0 {
			continue
		}
		if best == nil || tip.Cmp(bestTip) < 0 || (tip.Cmp(bestTip) == 0 && c.seq > bestTx.seq) {
			best, bestTx, bestTip = a, c, tip
		}
	}
	return best
}

// truncatePendingLocked evicts the last executable transactions of the
// senders holding the most beyond AccountSlots until the executable set fits
// GlobalSlots again (promotions can overfill it), or no sender is over its share.
func (p *Pool) truncatePendingLocked() {
	for p.mu.pending > p.cfg.GlobalSlots {
		var hog *account
		for _, a := range p.mu.accounts {
			if a.pending > p.cfg.AccountSlots && (hog == nil || a.pending > hog.pending ||
				(a.pending == hog.pending && a.txs[a.pending-1].seq > hog.txs[hog.pending-1].seq)) {
				hog = a
			}
		}
		if hog == nil {
			return
		}
		p.evictLocked(hog, hog.pending-1)
	}
}

// evictLocked removes a.txs[i] from the pool.
func (p *Pool) evictLocked(a *account, i int) {
	before := a.counts()
	t := a.removeAt(i)
	delete(p.mu.all, t.hash)
	a.relink()
	p.applyLocked(a, before)
}
