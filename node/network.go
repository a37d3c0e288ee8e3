package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/blocksync"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/mempool"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/types"
)

// joinNetwork joins the subnet's consensus and transaction topics and serves
// its blocks to peers that sync.
func (rt *runtime) joinNetwork() error {
	var err error
	// The gate measures heights from the final block: under probabilistic
	// finality a block at or below the tentative head may be a rival
	// branch the engine must see.
	cg := newConsensusGate(rt.id, rt.kind, rt.Final, rt.vals.Load, time.Now, rt.sigs)
	rt.consensusTopic, err = rt.host.Join(p2p.ConsensusTopic(rt.id), func(_ context.Context, origin string, data []byte) p2p.Verdict {
		// Stateless checks and the signature (gossip.go); the engine judges
		// the rest. A peer that relays garbage is penalised by gossipsub.
		v := cg.judge(origin, data)
		if v == p2p.Reject {
			rt.metrics.rejected.WithLabelValues(string(rt.id), "consensus").Inc()
		}
		return v
	})
	if err != nil {
		return err
	}
	rt.txGate = newTxGate(rt.signer)
	rt.txTopic, err = rt.host.Join(p2p.TxTopic(rt.id), func(_ context.Context, _ string, data []byte) p2p.Verdict {
		v := rt.txGate.judge(data)
		if v == p2p.Reject {
			rt.metrics.rejected.WithLabelValues(string(rt.id), "tx").Inc()
		}
		return v
	})
	if err != nil {
		return err
	}
	rt.outTxs = make(chan *gethtypes.Transaction, 8192)
	blocksync.Serve(rt.host, rt.id, blockSource{rt})
	return nil
}

// topicTransport sends engine messages on the consensus topic. Gossip has no
// unicast, so a message for one peer is broadcast too; engines tolerate that.
type topicTransport struct{ t p2p.Topic }

func (t topicTransport) Broadcast(data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return t.t.Publish(ctx, data)
}

func (t topicTransport) Send(_ string, data []byte) error { return t.Broadcast(data) }

func (rt *runtime) readConsensus(ctx context.Context) {
	id := string(rt.id)
	for {
		m, err := rt.consensusTopic.Next(ctx)
		if err != nil {
			return
		}
		rt.metrics.received.WithLabelValues(id, "consensus").Inc()
		if !rt.driver.Deliver(consensus.PeerMessage{From: m.From, Payload: m.Data}) {
			rt.metrics.dropped.WithLabelValues(id, "consensus").Inc()
		}
	}
}

// Transactions travel in batches: one gossip message (one signature, one
// validation per peer) per burst instead of per transaction. A batch is the
// RLP list of the transactions' binary encodings.
const (
	txBatchMax   = 512                    // transactions per gossip message
	txBatchBytes = p2p.MaxMessageSize / 2 // leaves room for a last big transaction
	txBatchDelay = 5 * time.Millisecond   // how long a lone transaction waits for company
)

func decodeTxBatch(data []byte) ([]*gethtypes.Transaction, error) {
	var raws [][]byte
	if err := rlp.DecodeBytes(data, &raws); err != nil {
		return nil, err
	}
	if len(raws) == 0 || len(raws) > txBatchMax {
		return nil, fmt.Errorf("batch of %d transactions", len(raws))
	}
	txs := make([]*gethtypes.Transaction, len(raws))
	for i, raw := range raws {
		if len(raw) > mempool.MaxTxSize {
			return nil, mempool.ErrOversizedData
		}
		txs[i] = new(gethtypes.Transaction)
		if err := txs[i].UnmarshalBinary(raw); err != nil {
			return nil, err
		}
	}
	return txs, nil
}

// readTxs adds gossiped transaction batches to the pool; AddBatch recovers
// their senders in parallel.
func (rt *runtime) readTxs(ctx context.Context) {
	id := string(rt.id)
	for {
		m, err := rt.txTopic.Next(ctx)
		if err != nil {
			return
		}
		txs, err := rt.txGate.take(m.Data) // decoded and signature-checked by the validator
		if err != nil {
			continue // the validator already rejected it; cannot happen
		}
		rt.metrics.received.WithLabelValues(id, "tx").Add(float64(len(txs)))
		rt.pool.AddBatch(txs)
	}
}

// publishTx queues a transaction this node accepted from RPC for gossip.
func (rt *runtime) publishTx(tx *gethtypes.Transaction) {
	if rt.txTopic == nil {
		return
	}
	select {
	case rt.outTxs <- tx:
	default:
		rt.metrics.dropped.WithLabelValues(string(rt.id), "tx-out").Inc()
	}
}

// gossipTxs publishes queued transactions in batches.
func (rt *runtime) gossipTxs(ctx context.Context) {
	var batch [][]byte
	size := 0
	flush := func() {
		if len(batch) == 0 {
			return
		}
		data, err := rlp.EncodeToBytes(batch)
		batch, size = batch[:0], 0
		if err != nil {
			return
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if err := rt.txTopic.Publish(pctx, data); err != nil {
			rt.log.Debug("gossip txs failed", "err", err)
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case tx := <-rt.outTxs:
			raw, err := tx.MarshalBinary()
			if err != nil {
				continue
			}
			if size+len(raw) > txBatchBytes {
				flush()
			}
			if len(batch) == 0 {
				timer.Reset(txBatchDelay)
			}
			batch, size = append(batch, raw), size+len(raw)
			if len(batch) >= txBatchMax {
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

func (rt *runtime) onStepError(err error) {
	kind := "invalid"
	switch {
	case errors.Is(err, consensus.ErrOldHeight):
		kind = "old"
	case errors.Is(err, consensus.ErrFutureHeight):
		kind = "future"
	}
	rt.metrics.stepErrors.WithLabelValues(string(rt.id), kind).Inc()
}

// blockSource serves committed blocks to block sync.
type blockSource struct{ rt *runtime }

// Head is the final block: a tentative block (pow) may still be replaced,
// and peers commit what block sync hands them as final.
func (c blockSource) Head() *types.Header { return c.rt.Final() }
func (c blockSource) BlockByNumber(h uint64) (*types.Block, error) {
	if h > c.rt.Final().Height {
		return nil, nil
	}
	return c.rt.store.BlockByNumber(h)
}
func (c blockSource) Commit(hash common.Hash) (*types.Commit, error) { return c.rt.store.Commit(hash) }
