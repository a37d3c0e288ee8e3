package execution

import (
	"errors"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/types"
)

// ErrInvalidBlock wraps every reason Execute rejects a block for (bad state
// root, bad receipt root, gas over the limit, a transaction that cannot apply).
var ErrInvalidBlock = errors.New("execution: invalid block")

// ErrRewindFinal is returned by Rewind for a height below the newest final
// block: a final block is never taken back.
var ErrRewindFinal = errors.New("execution: cannot rewind below the finalized block")

// ErrRewindTarget is returned by Rewind when the block to rewind to is not
// the committed block at its height.
var ErrRewindTarget = errors.New("execution: rewind target is not on the committed chain")

// TxSource hands a block builder transactions in inclusion order: across senders
// by effective tip, per sender by nonce. The mempool implements it; senders are
// already recovered so the builder never recovers a signature again.
type TxSource interface {
	// Peek returns the next transaction and its sender, or nil when none is left.
	Peek() (*gethtypes.Transaction, common.Address)
	// Shift accepts the peeked transaction and moves to that sender's next one.
	Shift()
	// Pop skips every remaining transaction of the peeked transaction's sender
	// (it failed, or no longer fits).
	Pop()
}

// Attributes are what the engine decides about a block it wants built.
type Attributes struct {
	TimeMs    uint64 // must be greater than the parent's
	Proposer  common.Address
	ParentRef types.ParentRef
	Evidence  [][]byte // copied into the block as is
	// Difficulty is the block's proof-of-work difficulty (pow); 0: none.
	Difficulty uint64
}

// Executed is a block together with the outcome of executing it on its parent's
// state: its receipts and the state changes, ready to be committed.
type Executed struct {
	Block    *types.Block
	Receipts gethtypes.Receipts
	// SystemLogs are the logs of the block's system work, which belongs to
	// no transaction: CrossMsgApplied for each top-down message applied
	// before the transactions. Their derived fields are set: TxHash is
	// types.SystemTxHash(block hash), TxIndex the number of transactions,
	// Index continues after the transactions' logs.
	SystemLogs []*gethtypes.Log
	// Pending is the implementation's uncommitted state; only its Commit reads it.
	Pending any
}

// Builder builds and verifies blocks on top of committed parents.
type Builder interface {
	// Build makes a block on parent with as many transactions from txs as fit
	// its gas limit; transactions that cannot apply are skipped.
	Build(parent *types.Header, attrs Attributes, txs TxSource) (*Executed, error)
	// Execute replays a block someone else built and checks every root in its
	// header; errors wrap ErrInvalidBlock.
	Execute(block *types.Block) (*Executed, error)
}

// Committer makes an executed block the new head.
type Committer interface {
	// Commit writes the block, its certificate, receipts, indexes and state in
	// one synced batch: after it returns, a crash cannot lose the block. The
	// block is final (with everything below it).
	Commit(e *Executed, commit *types.Commit) error
}

// Tentative is what an engine whose blocks become final only later
// (probabilistic finality) needs: blocks committed as the head but not
// final, finality and safety marked afterwards, and non-final blocks taken
// back when the engine switches branch. Engines with instant finality never
// use it.
type Tentative interface {
	// CommitTentative writes the block like Commit (one synced batch) and
	// makes it the head, but not final: Rewind may take it back.
	CommitTentative(e *Executed) error
	// Finalize makes the committed block hash (and every block below it)
	// final, storing its certificate if commit is not nil. Finality never
	// moves backwards: an ancestor of the final block is a no-op; a block off
	// the committed chain is an error.
	Finalize(hash common.Hash, commit *types.Commit) error
	// MarkSafe makes the committed block hash the safe block (Ethereum's
	// "safe" tag): unlikely to be rewound, at or above the final block.
	MarkSafe(hash common.Hash) error
	// Rewind drops every committed block above height and makes the block at
	// height, which must be hash (ErrRewindTarget), the head again, with its
	// state. It returns that head and the dropped blocks, lowest first. Below
	// the final block it refuses with ErrRewindFinal. A refused rewind
	// changes nothing.
	Rewind(height uint64, hash common.Hash) (head *types.Header, dropped []*types.Block, err error)
}

// Executor is the whole contract the consensus driver needs.
type Executor interface {
	Builder
	Committer
	Tentative
}
