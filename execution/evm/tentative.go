package evm

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// Tentative blocks need nothing special of the state: commitState writes
// every trie node of a block to the database under its hash (hashdb's Commit
// flushes them all) and nothing in this package ever dereferences or deletes
// one, so the root of any block still in the store opens after a rewind.

var _ execution.Tentative = (*Executor)(nil)

// CommitTentative writes an executed block like Commit and makes it the
// head, but not final: Rewind may take it back.
func (e *Executor) CommitTentative(ex *execution.Executed) error {
	return e.commit(ex, nil, true)
}

// Finalize makes the committed block hash and every block below it final.
func (e *Executor) Finalize(hash common.Hash, commit *types.Commit) error {
	return e.store.Finalize(hash, commit)
}

// MarkSafe makes the committed block hash the safe block.
func (e *Executor) MarkSafe(hash common.Hash) error { return e.store.SetSafe(hash) }

// Rewind drops the committed blocks above height (none may be final) and
// makes the block at height, which must be hash, the head, with its state.
func (e *Executor) Rewind(height uint64, hash common.Hash) (*types.Header, []*types.Block, error) {
	if _, final, _ := e.store.Finalized(); height < final {
		return nil, nil, fmt.Errorf("%w: rewind to %d, finalized is %d", execution.ErrRewindFinal, height, final)
	}
	head := e.Head()
	if height > head.Height {
		return nil, nil, fmt.Errorf("%w: height %d is above the head %d", execution.ErrRewindTarget, height, head.Height)
	}
	to, err := e.store.HeaderByNumber(height)
	if err != nil {
		return nil, nil, fmt.Errorf("evm: rewind target %d: %w", height, err)
	}
	if to.Hash() != hash {
		return nil, nil, fmt.Errorf("%w: block %d is %s, not %s", execution.ErrRewindTarget, height, to.Hash(), hash)
	}
	if height == head.Height {
		return head, nil, nil
	}
	// Open the target's state before touching the store: a head whose
	// state is missing would leave the chain unable to build or execute.
	if _, err := state.New(to.StateRoot, e.statedb); err != nil {
		return nil, nil, fmt.Errorf("evm: state of rewind target %d (root %s) is missing: %w", height, to.StateRoot, err)
	}
	dropped, err := e.store.Rewind(height)
	if errors.Is(err, store.ErrBelowFinalized) {
		return nil, nil, fmt.Errorf("%w: %w", execution.ErrRewindFinal, err)
	}
	if err != nil {
		return nil, nil, err
	}
	e.setHead(to)
	return to, dropped, nil
}

// Finalized is the newest final block's header.
func (e *Executor) Finalized() *types.Header { return e.pointer(e.store.Finalized) }

// Safe is the newest safe block's header.
func (e *Executor) Safe() *types.Header { return e.pointer(e.store.Safe) }

// pointer reads the header a store pointer names; the head if it cannot
// (it always can: the store keeps every block at or below the head).
func (e *Executor) pointer(get func() (common.Hash, uint64, bool)) *types.Header {
	hash, _, ok := get()
	if !ok {
		return e.Head()
	}
	h, err := e.store.HeaderByHash(hash)
	if err != nil {
		return e.Head()
	}
	return h
}
