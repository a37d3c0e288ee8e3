package driver

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// ErrHeadMove is returned when an engine moves its head somewhere the
// committed chain cannot follow: a rewind above the head, or blocks that do
// not extend it. The engine and the chain disagree; going on would fork them.
var ErrHeadMove = errors.New("driver: engine moved its head off the committed chain")

// An engine with probabilistic finality reports its best chain with
// Ready.Head before blocks are final. The driver commits those blocks as
// tentative (the executor's CommitTentative), takes non-final blocks back
// when the engine switches branch (Rewind) and offers their transactions
// back to the pool, and marks blocks final (Finalize) when they come in
// Ready.Final. For an engine with instant finality blocks come only in
// Final, extend the head and are committed final in one step, as always.

// moveHead carries out a HeadMove: rewind, then commit each new block as
// tentative. Head blocks need not have been verified: each is executed as it
// is committed, and the first that is invalid is answered with a negative
// Verdict and stops the move (the engine then picks another head); stopped
// reports that, so the Final and Safe entries of the same Ready are not
// acted on: they may count blocks that turned out invalid.
func (d *Driver) moveHead(m *consensus.HeadMove) (stopped bool, err error) {
	var dropped []*types.Block
	if r := m.Rewind; r != nil && r.Hash != d.head.Hash() {
		if r.Height > d.head.Height {
			return false, fmt.Errorf("%w: rewind to %d above the head %d", ErrHeadMove, r.Height, d.head.Height)
		}
		if dropped, err = d.rewind(*r); err != nil {
			return false, err
		}
	}
	included := make(map[common.Hash]bool)
	for _, b := range m.Blocks {
		if b.Header.ParentHash != d.head.Hash() {
			return false, fmt.Errorf("%w: block %d does not extend the head %d", ErrHeadMove, b.Height(), d.head.Height)
		}
		ok, err := d.commitTentative(b)
		if err != nil {
			return false, err
		}
		if !ok {
			stopped = true
			break
		}
		for _, tx := range b.Txs {
			included[tx.Hash()] = true
		}
	}
	d.giveBack(dropped, included)
	return stopped, nil
}

// rewind takes the committed blocks above r back and makes r the head.
func (d *Driver) rewind(r consensus.BlockID) (dropped []*types.Block, err error) {
	head, blocks, err := d.exec.Rewind(r.Height, r.Hash)
	if err != nil {
		return nil, fmt.Errorf("driver: rewind to block %d: %w", r.Height, err)
	}
	d.head = head
	for h, x := range d.executed {
		if x.Block.Height() > head.Height {
			delete(d.executed, h)
		}
	}
	d.cfg.Log.Info("head rewound", "to", head.Height, "dropped", len(blocks))
	if d.cfg.OnRewind != nil {
		d.cfg.OnRewind(head, blocks)
	}
	return blocks, nil
}

// giveBack offers the pool the transactions of dropped blocks that the
// blocks which replaced them do not include.
func (d *Driver) giveBack(dropped []*types.Block, included map[common.Hash]bool) {
	var back []*gethtypes.Transaction
	for _, b := range dropped {
		for _, tx := range b.Txs {
			if !included[tx.Hash()] {
				back = append(back, tx)
			}
		}
	}
	if len(back) > 0 {
		d.pool.Reinject(back)
	}
}

// commitTentative executes (unless it already did) and commits b as the new,
// not yet final, head. ok is false if b is invalid: the engine is told.
func (d *Driver) commitTentative(b *types.Block) (ok bool, err error) {
	hash := b.Hash()
	e, cached := d.executed[hash]
	if !cached {
		start := d.cfg.Clock.Now()
		e, err = d.exec.Execute(b)
		d.stage("verify", start)
		if err != nil {
			d.cfg.Log.Warn("head block rejected", "height", b.Height(), "hash", hash, "err", err)
			d.stepVerdict(b, consensus.Verdict{Hash: hash, Valid: false})
			return false, nil
		}
	}
	e.Block = b
	start := d.cfg.Clock.Now()
	if err := d.exec.CommitTentative(e); err != nil {
		return false, fmt.Errorf("driver: commit tentative block %d: %w", b.Height(), err)
	}
	d.stage("commit", start)
	d.head = b.Header
	d.forgetExecuted()
	if d.cfg.OnCommit != nil {
		d.cfg.OnCommit(e)
	}
	return true, nil
}

// finalize handles a Final: a block already on the committed chain (a
// tentative block, or one final already) is marked final; any other must
// extend the head and is committed final.
func (d *Driver) finalize(f consensus.Final) error {
	if f.Block.Height() > d.head.Height {
		return d.commit(f)
	}
	if err := d.exec.Finalize(f.Block.Hash(), f.Commit); err != nil {
		return fmt.Errorf("driver: finalize block %d: %w", f.Block.Height(), err)
	}
	return d.truncateWAL(f.Block.Height())
}

// markSafe records the engine's safe block.
func (d *Driver) markSafe(s *consensus.BlockID) error {
	if err := d.exec.MarkSafe(s.Hash); err != nil {
		return fmt.Errorf("driver: mark block %d safe: %w", s.Height, err)
	}
	return nil
}

// truncateWAL drops what the engine persisted for heights up to the newest
// final one: its replay starts after the final block.
func (d *Driver) truncateWAL(final uint64) error {
	if d.cfg.WAL == nil {
		return nil
	}
	if err := d.cfg.WAL.Truncate(final); err != nil {
		return fmt.Errorf("driver: truncate the WAL after block %d: %w", final, err)
	}
	return nil
}

// forgetExecuted drops executed blocks at or below the head: they are
// committed, or lost a race for their height.
func (d *Driver) forgetExecuted() {
	for h, x := range d.executed {
		if x.Block.Height() <= d.head.Height {
			delete(d.executed, h)
		}
	}
}
