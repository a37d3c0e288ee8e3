package rpc

import (
	"context"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// Backend is everything one subnet's eth_ API needs from the node. The node
// implements it over its store, EVM executor and mempool; rpc never imports
// those packages (ARCHITECTURE §3).
type Backend interface {
	ChainBackend
	StateBackend
	PoolBackend
	EventBackend
}

// ChainBackend reads committed blocks. Height 0 is genesis. A header, block or
// receipt list that does not exist is reported as (nil, nil) or as an error
// wrapping ErrNotFound; the RPC layer answers null for it.
type ChainBackend interface {
	SubnetID() types.SubnetID
	ChainID() *big.Int
	// Head is the newest block, final or not (the "latest" tag).
	Head() *types.Header
	// Safe is the newest block unlikely to be taken back (the "safe" tag):
	// at or below the head, at or above Finalized.
	Safe() *types.Header
	// Finalized is the newest block that can never be taken back (the
	// "finalized" tag). Engines with instant finality (solo, bft) finalize
	// every block at once: Head, Safe and Finalized are the same block.
	Finalized() *types.Header
	HeaderByNumber(height uint64) (*types.Header, error)
	HeaderByHash(hash common.Hash) (*types.Header, error)
	BlockByNumber(height uint64) (*types.Block, error)
	BlockByHash(hash common.Hash) (*types.Block, error)
	// Receipts returns the block's receipts with every derived field
	// (block hash and number, tx index, logs' indexes, effective gas price) filled.
	Receipts(blockHash common.Hash) (gethtypes.Receipts, error)
	// SystemLogs returns the block's logs that belong to no transaction
	// (CrossMsgApplied of top-down messages), derived fields filled: they
	// follow the transactions' logs (store.DeriveSystemLogFields).
	SystemLogs(blockHash common.Hash) ([]*gethtypes.Log, error)
	// TxLookup finds a committed transaction; found is false if unknown.
	TxLookup(txHash common.Hash) (blockHash common.Hash, height uint64, index uint64, found bool, err error)
}

// StateBackend reads and simulates against the state after a given block.
// header == nil means the pending state (the head plus the pool's next block).
type StateBackend interface {
	Balance(header *types.Header, addr common.Address) (*big.Int, error)
	Nonce(header *types.Header, addr common.Address) (uint64, error)
	Code(header *types.Header, addr common.Address) ([]byte, error)
	Storage(header *types.Header, addr common.Address, slot common.Hash) (common.Hash, error)
	Proof(header *types.Header, addr common.Address, slots []common.Hash) (*execution.AccountProof, error)
	// Call runs args on the state after header in a block context of the next
	// height, with overrides applied, bounded by ctx and the gas cap.
	Call(ctx context.Context, header *types.Header, args execution.CallArgs, overrides map[common.Address]execution.Override) (*execution.CallResult, error)
	// EstimateGas binary-searches the least gas with which args succeeds; a
	// reverting call returns an error carrying the revert data as geth does.
	EstimateGas(ctx context.Context, header *types.Header, args execution.CallArgs, overrides map[common.Address]execution.Override) (uint64, error)
	// CreateAccessList returns the access list args touches and the gas used with it.
	CreateAccessList(ctx context.Context, header *types.Header, args execution.CallArgs) (gethtypes.AccessList, uint64, error)
	// SuggestTip is the priority fee the node suggests, in wei.
	SuggestTip() *big.Int
	// NextBaseFee is the base fee of the block after head.
	NextBaseFee() *big.Int
	GasCap() uint64
}

// PoolBackend accepts transactions and reports the pool.
type PoolBackend interface {
	// SendTx validates and adds a signed transaction; its errors carry
	// go-ethereum's standard messages (nonce too low, invalid chain id, …).
	SendTx(ctx context.Context, tx *gethtypes.Transaction) error
	// PoolTx returns a pending transaction by hash, or nil.
	PoolTx(hash common.Hash) *gethtypes.Transaction
	// PoolNonce is the next nonce for addr counting pooled transactions.
	PoolNonce(addr common.Address) (uint64, error)
	// Pending lists the pool's executable transactions.
	Pending() gethtypes.Transactions
	// Sender returns the recovered sender of a transaction (cached).
	Sender(tx *gethtypes.Transaction) (common.Address, error)
}

// EventBackend delivers chain events to filters and subscriptions. The
// returned func cancels the subscription. Channels are never closed by the
// backend; a slow consumer loses events rather than stalling the chain.
type EventBackend interface {
	SubscribeHeads(ch chan<- *types.Header) (cancel func())
	SubscribeLogs(ch chan<- []*gethtypes.Log) (cancel func())
	SubscribePendingTxs(ch chan<- []*gethtypes.Transaction) (cancel func())
}
