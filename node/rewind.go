package node

import (
	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/types"
)

// tentativeLogs are the logs a committed block that is not final yet sent
// to subscribers: if the block is rewound its receipts are deleted with it,
// and subscribers must still be told which logs no longer hold.
type tentativeLogs struct {
	header *types.Header
	logs   []*gethtypes.Log
}

// keepTentativeLogs remembers h's logs while h is not final and forgets
// those of blocks that became final. Under solo and bft every commit is
// final and nothing is kept.
func (rt *runtime) keepTentativeLogs(h *types.Header, logs []*gethtypes.Log) {
	final := rt.Final().Height
	kept := rt.tentative[:0]
	for _, t := range rt.tentative {
		if t.header.Height > final {
			kept = append(kept, t)
		}
	}
	clear(rt.tentative[len(kept):]) // let go of what was dropped
	rt.tentative = kept
	if h.Height > final && len(logs) > 0 {
		rt.tentative = append(rt.tentative, tentativeLogs{header: h, logs: logs})
	}
}

// onRewind runs on the driver goroutine after non-final blocks were taken
// back: the head is head again, and the pool follows its state (the driver
// then hands the dropped transactions back through poolAdapter.Reinject).
// The validator set deciding head+1 is the one after head again (a dropped
// block may have named another), and log subscribers get the dropped
// blocks' logs once more with Removed set, oldest block first, as Ethereum
// clients report a reorg. The new branch's blocks follow through onCommit.
func (rt *runtime) onRewind(head *types.Header, dropped []*types.Block) {
	rt.head.Store(head)
	if vs, err := rt.validatorsAt(head); err != nil { // head's state was opened by the rewind; cannot happen
		rt.log.Error("cannot read the validator set after a rewind", "height", head.Height, "err", err)
	} else {
		rt.setValidators(vs)
	}
	rt.pool.Reset(rt.stateAt(head), rt.exec.NextBaseFee(), rt.gen.GasLimit, nil)
	rt.observe(head)
	if removed := rt.removedLogs(dropped); len(removed) > 0 {
		if d := rt.logs.Send(removed); d > 0 {
			rt.metrics.droppedEvent.WithLabelValues(string(rt.id), "logs").Add(float64(d))
		}
	}
	rt.log.Info("head rewound", "height", head.Height, "dropped", len(dropped))
}

// removedLogs takes the kept logs of the dropped blocks and returns copies
// marked removed (subscribers may still hold the originals).
func (rt *runtime) removedLogs(dropped []*types.Block) []*gethtypes.Log {
	byHash := make(map[common.Hash]tentativeLogs, len(rt.tentative))
	for _, t := range rt.tentative {
		byHash[t.header.Hash()] = t
	}
	var removed []*gethtypes.Log
	for _, b := range dropped { // the store hands them back lowest first
		t, ok := byHash[b.Hash()]
		if !ok {
			continue
		}
		for _, l := range t.logs {
			c := *l
			c.Removed = true
			if c.BlockTimestamp == 0 { // the block is gone: the RPC cannot look it up
				c.BlockTimestamp = t.header.Time()
			}
			removed = append(removed, &c)
		}
	}
	head := rt.head.Load().Height
	kept := rt.tentative[:0]
	for _, t := range rt.tentative {
		if t.header.Height <= head {
			kept = append(kept, t)
		}
	}
	clear(rt.tentative[len(kept):])
	rt.tentative = kept
	return removed
}
