package node

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/rpc"
	"github.com/aspen-chain/aspen/store"
	"github.com/aspen-chain/aspen/types"
)

// backend is one subnet's rpc.Backend over its runtime.
type backend struct {
	rt *runtime
}

var _ rpc.Backend = (*backend)(nil)

func (b *backend) SubnetID() types.SubnetID        { return b.rt.id }
func (b *backend) ChainID() *big.Int               { return b.rt.gen.ChainIDBig() }
func (b *backend) Head() *types.Header             { return b.rt.head.Load() }
func (b *backend) GasCap() uint64                  { return b.rt.exec.GasCap() }
func (b *backend) SuggestTip() *big.Int            { return b.rt.exec.SuggestTip() }
func (b *backend) NextBaseFee() *big.Int           { return b.rt.exec.NextBaseFee() }
func (b *backend) Pending() gethtypes.Transactions { return b.rt.pool.Pending() }

// Safe is the store's safe block (the head for solo and bft, which finalize
// at once).
func (b *backend) Safe() *types.Header { return b.notAbove(b.rt.exec.Safe()) }

// Finalized is the store's newest final block (the head for solo and bft).
func (b *backend) Finalized() *types.Header { return b.rt.Final() }

// notAbove returns h, or the head if h is above it: the store moves its
// pointers when a block is written, a moment before the runtime publishes
// that block as its head, and no tag may name a block "latest" does not
// show yet.
func (b *backend) notAbove(h *types.Header) *types.Header {
	if head := b.Head(); h.Height >= head.Height {
		return head
	}
	return h
}

// notFound maps the store's "not found" to the rpc layer's, so a missing
// block is a null result rather than an internal error.
func notFound[T any](v T, err error) (T, error) {
	if errors.Is(err, store.ErrNotFound) {
		var zero T
		return zero, fmt.Errorf("%w: %w", rpc.ErrNotFound, err)
	}
	return v, err
}

func (b *backend) HeaderByNumber(h uint64) (*types.Header, error) {
	if h > b.Head().Height { // written but not yet the head: not visible
		return nil, rpc.ErrNotFound
	}
	return notFound(b.rt.store.HeaderByNumber(h))
}

func (b *backend) HeaderByHash(hash common.Hash) (*types.Header, error) {
	return notFound(b.rt.store.HeaderByHash(hash))
}

func (b *backend) BlockByNumber(h uint64) (*types.Block, error) {
	if h > b.Head().Height {
		return nil, rpc.ErrNotFound
	}
	return notFound(b.rt.store.BlockByNumber(h))
}

func (b *backend) BlockByHash(hash common.Hash) (*types.Block, error) {
	return notFound(b.rt.store.BlockByHash(hash))
}

func (b *backend) Receipts(hash common.Hash) (gethtypes.Receipts, error) {
	return notFound(b.rt.store.Receipts(hash, b.rt.signer))
}

func (b *backend) SystemLogs(hash common.Hash) ([]*gethtypes.Log, error) {
	return b.rt.store.SystemLogs(hash)
}

func (b *backend) TxLookup(tx common.Hash) (common.Hash, uint64, uint64, bool, error) {
	loc, found, err := b.rt.store.TxLookup(tx)
	if err != nil || !found || loc.Height > b.Head().Height {
		return common.Hash{}, 0, 0, false, err
	}
	return loc.BlockHash, loc.Height, loc.Index, true, nil
}

func (b *backend) Balance(h *types.Header, a common.Address) (*big.Int, error) {
	return b.rt.exec.Balance(h, a)
}

func (b *backend) Nonce(h *types.Header, a common.Address) (uint64, error) {
	return b.rt.exec.Nonce(h, a)
}

func (b *backend) Code(h *types.Header, a common.Address) ([]byte, error) {
	return b.rt.exec.Code(h, a)
}

func (b *backend) Storage(h *types.Header, a common.Address, slot common.Hash) (common.Hash, error) {
	return b.rt.exec.Storage(h, a, slot)
}

func (b *backend) Proof(h *types.Header, a common.Address, slots []common.Hash) (*execution.AccountProof, error) {
	return b.rt.exec.Proof(h, a, slots)
}

func (b *backend) Call(ctx context.Context, h *types.Header, args execution.CallArgs, ov map[common.Address]execution.Override) (*execution.CallResult, error) {
	return b.rt.exec.Call(ctx, h, args, ov)
}

func (b *backend) EstimateGas(ctx context.Context, h *types.Header, args execution.CallArgs, ov map[common.Address]execution.Override) (uint64, error) {
	return b.rt.exec.EstimateGas(ctx, h, args, ov)
}

func (b *backend) CreateAccessList(ctx context.Context, h *types.Header, args execution.CallArgs) (gethtypes.AccessList, uint64, error) {
	return b.rt.exec.CreateAccessList(ctx, h, args)
}

func (b *backend) SendTx(_ context.Context, tx *gethtypes.Transaction) error {
	if err := b.rt.pool.Add(tx); err != nil {
		return err
	}
	b.rt.publishTx(tx) // the next proposer may be another validator
	return nil
}

func (b *backend) PoolTx(hash common.Hash) *gethtypes.Transaction { return b.rt.pool.Get(hash) }

func (b *backend) PoolNonce(a common.Address) (uint64, error) { return b.rt.pool.Nonce(a), nil }

func (b *backend) Sender(tx *gethtypes.Transaction) (common.Address, error) {
	return b.rt.pool.Sender(tx)
}

func (b *backend) SubscribeHeads(ch chan<- *types.Header) func() { return b.rt.heads.Subscribe(ch) }

func (b *backend) SubscribeLogs(ch chan<- []*gethtypes.Log) func() { return b.rt.logs.Subscribe(ch) }

func (b *backend) SubscribePendingTxs(ch chan<- []*gethtypes.Transaction) func() {
	return b.rt.pool.Subscribe(ch)
}

var _ rpc.WitnessBackend = (*backend)(nil)

// Witness is aspen_getWitness: the block re-executed on its parent's state
// for its execution witness, encoded.
func (b *backend) Witness(hash common.Hash) ([]byte, error) {
	w, err := b.rt.exec.Witness(hash)
	if err != nil {
		return nil, err
	}
	return w.Encode()
}
