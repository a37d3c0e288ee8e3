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
	// one synced batch: after it returns, a crash cannot lose the block.
	Commit(e *Executed, commit *types.Commit) error
}

// Executor is the whole contract the consensus driver needs.
type Executor interface {
	Builder
	Committer
}
