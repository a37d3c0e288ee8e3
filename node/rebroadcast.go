package node

import (
	"context"
	"time"

	gethtypes "github.com/ethereum/go-ethereum/core/types"
)

// A transaction that enters a node's pool while the node is cut off from
// the chain's validators goes out on gossip to nobody, and gossip does not
// send anything twice: every later transaction of the same account then
// waits behind its nonce for good. (The fault tests found it: alpha's
// followers submit their checkpoints to the root through their own root
// pools, and after a partition of a few seconds nothing from alpha reached
// the root again.) So the node publishes again, every rebroadcastEvery,
// the executable transactions that have waited in its pool longer than
// that: the first rebroadcastPerSender of each sender, oldest senders
// first, at most rebroadcastMax in all. In a healthy chain a transaction
// is in a block before it qualifies; peers that already hold one drop the
// copy cheaply (the pool knows it; gossip ids are per publication, so the
// copy is not lost to a seen-cache).
const (
	rebroadcastEvery     = 5 * time.Second
	rebroadcastPerSender = 16
	rebroadcastMax       = 512
)

// stale picks from pending (by sender, then nonce, as Pool.Pending returns
// them) what waited at least age by now.
func stale(pending []*gethtypes.Transaction, sender func(*gethtypes.Transaction) string, now time.Time, age time.Duration) []*gethtypes.Transaction {
	var out []*gethtypes.Transaction
	last, run := "", 0
	for _, tx := range pending {
		if len(out) == rebroadcastMax {
			break
		}
		s := sender(tx)
		if s != last {
			last, run = s, 0
		}
		if run == rebroadcastPerSender || now.Sub(tx.Time()) < age {
			continue
		}
		run++
		out = append(out, tx)
	}
	return out
}

// rebroadcastTxs republishes what waits too long, until ctx ends.
func (rt *runtime) rebroadcastTxs(ctx context.Context) {
	t := time.NewTicker(rebroadcastEvery)
	defer t.Stop()
	sender := func(tx *gethtypes.Transaction) string {
		if a, ok := rt.pool.KnownSender(tx.Hash()); ok {
			return string(a[:])
		}
		return ""
	}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			again := stale(rt.pool.Pending(), sender, now, rebroadcastEvery)
			for _, tx := range again {
				rt.publishTx(tx)
			}
			if len(again) > 0 {
				rt.metrics.rebroadcast.WithLabelValues(string(rt.id)).Add(float64(len(again)))
			}
		}
	}
}
