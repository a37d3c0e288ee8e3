package rpc

import (
	"context"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/types"
)

// subBuffer is how many events a subscription buffers before the backend
// starts dropping them for this slow consumer.
const subBuffer = 256

// subscribe starts a subscription for the calling connection within the
// subscription quota. attach subscribes to the backend before the call
// returns (so no event after eth_subscribe's answer is missed) and returns
// its cancel func; feed forwards events until the client goes away (it
// returns when sub.Err() fires or a notification fails). The quota is
// released when feed returns, which geth guarantees on eth_unsubscribe and
// on disconnect.
func (e *ethAPI) subscribe(ctx context.Context, attach func() (cancel func()), feed func(n *gethrpc.Notifier, sub *gethrpc.Subscription)) (*gethrpc.Subscription, error) {
	notifier, ok := gethrpc.NotifierFromContext(ctx)
	if !ok {
		return &gethrpc.Subscription{}, gethrpc.ErrNotificationsUnsupported
	}
	conn := connKey(ctx)
	if err := e.subs.acquire(conn); err != nil {
		return nil, err
	}
	cancel := attach()
	sub := notifier.CreateSubscription()
	go func() {
		defer e.subs.release(conn)
		defer cancel()
		feed(notifier, sub)
	}()
	return sub, nil
}

// NewHeads is eth_subscribe("newHeads"): every new head's header.
func (e *ethAPI) NewHeads(ctx context.Context) (*gethrpc.Subscription, error) {
	ch := make(chan *types.Header, subBuffer)
	attach := func() func() { return e.b.SubscribeHeads(ch) }
	return e.subscribe(ctx, attach, func(notifier *gethrpc.Notifier, sub *gethrpc.Subscription) {
		for {
			select {
			case h := <-ch:
				if notifier.Notify(sub.ID, marshalHeader(h)) != nil {
					return
				}
			case <-sub.Err():
				return
			}
		}
	})
}

// Logs is eth_subscribe("logs", filter): every new log matching the filter,
// one notification per log. When the chain rewinds tentative blocks, the
// logs they held come again with removed: true, as on Ethereum's reorgs
// (never under solo or bft, which finalize every block).
func (e *ethAPI) Logs(ctx context.Context, q *filterQuery) (*gethrpc.Subscription, error) {
	if _, ok := gethrpc.NotifierFromContext(ctx); !ok {
		return &gethrpc.Subscription{}, gethrpc.ErrNotificationsUnsupported
	}
	if q == nil {
		q = &filterQuery{}
	}
	if q.BlockHash != nil {
		return nil, invalidParams("a logs subscription follows new blocks; blockHash is for eth_getLogs")
	}
	ch := make(chan []*gethtypes.Log, subBuffer)
	attach := func() func() { return e.b.SubscribeLogs(ch) }
	return e.subscribe(ctx, attach, func(notifier *gethrpc.Notifier, sub *gethrpc.Subscription) {
		for {
			select {
			case logs := <-ch:
				times := map[common.Hash]uint64{}
				for _, l := range logs {
					if !q.match(l) {
						continue
					}
					c := *l
					if c.BlockTimestamp == 0 {
						c.BlockTimestamp = e.blockTime(c.BlockHash, times)
					}
					if notifier.Notify(sub.ID, &c) != nil {
						return
					}
				}
			case <-sub.Err():
				return
			}
		}
	})
}

// blockTime looks up a block's timestamp, caching it for one batch of logs.
func (s *subnetAPI) blockTime(hash common.Hash, cache map[common.Hash]uint64) uint64 {
	if t, ok := cache[hash]; ok {
		return t
	}
	h, err := s.b.HeaderByHash(hash)
	if err != nil || h == nil {
		return 0
	}
	cache[hash] = h.Time()
	return h.Time()
}

// NewPendingTransactions is eth_subscribe("newPendingTransactions"[, full]):
// hashes of transactions entering the pool, or the transactions when full.
func (e *ethAPI) NewPendingTransactions(ctx context.Context, full *bool) (*gethrpc.Subscription, error) {
	ch := make(chan []*gethtypes.Transaction, subBuffer)
	attach := func() func() { return e.b.SubscribePendingTxs(ch) }
	return e.subscribe(ctx, attach, func(notifier *gethrpc.Notifier, sub *gethrpc.Subscription) {
		for {
			select {
			case txs := <-ch:
				for _, tx := range txs {
					var v any = tx.Hash()
					if full != nil && *full {
						v = e.newRPCTransaction(tx, nil, 0)
					}
					if notifier.Notify(sub.ID, v) != nil {
						return
					}
				}
			case <-sub.Err():
				return
			}
		}
	})
}
