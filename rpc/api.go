package rpc

import (
	"context"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/types"
)

// subnetAPI is one subnet's API state: its backend, the config, and the
// installed filters. Its methods are unexported so that geth's server
// registers only the namespaces' own methods.
type subnetAPI struct {
	b       Backend
	cfg     Config
	filters *filterSystem
	subs    *quota // live eth_subscribe subscriptions, shared by the Handler
}

// newSubnetAPI serves b; q are the Handler's quotas (nil: a private set).
func newSubnetAPI(b Backend, cfg Config, q *quotas) *subnetAPI {
	if q == nil {
		q = newQuotas(cfg)
	}
	s := &subnetAPI{b: b, cfg: cfg, subs: q.subs}
	s.filters = newFilterSystem(s, q.filters)
	return s
}

func (s *subnetAPI) close() { s.filters.close() }

// block resolves ref to a committed block, or nil when there is none.
func (s *subnetAPI) block(ref BlockRef) (*types.Block, error) {
	h, err := s.header(ref)
	if err != nil || h == nil {
		return nil, err
	}
	b, err := s.b.BlockByHash(h.Hash())
	if isNotFound(b, err) {
		return nil, nil
	}
	return b, err
}

func (s *subnetAPI) blockByHash(hash common.Hash) (*types.Block, error) {
	b, err := s.b.BlockByHash(hash)
	if isNotFound(b, err) {
		return nil, nil
	}
	return b, err
}

// ethAPI is the eth_ namespace.
type ethAPI struct{ *subnetAPI }

// ChainId is eth_chainId.
func (e *ethAPI) ChainId() *hexutil.Big { return (*hexutil.Big)(e.b.ChainID()) }

// BlockNumber is eth_blockNumber.
func (e *ethAPI) BlockNumber() hexutil.Uint64 { return hexutil.Uint64(e.b.Head().Height) }

// GetBlockByNumber is eth_getBlockByNumber; null above the head.
func (e *ethAPI) GetBlockByNumber(ref BlockRef, fullTx bool) (map[string]any, error) {
	b, err := e.block(ref)
	if err != nil || b == nil {
		return nil, err
	}
	return e.marshalBlock(b, fullTx), nil
}

// GetBlockByHash is eth_getBlockByHash.
func (e *ethAPI) GetBlockByHash(hash common.Hash, fullTx bool) (map[string]any, error) {
	b, err := e.blockByHash(hash)
	if err != nil || b == nil {
		return nil, err
	}
	return e.marshalBlock(b, fullTx), nil
}

// GetBlockTransactionCountByNumber is eth_getBlockTransactionCountByNumber.
func (e *ethAPI) GetBlockTransactionCountByNumber(ref BlockRef) (*hexutil.Uint, error) {
	b, err := e.block(ref)
	if err != nil || b == nil {
		return nil, err
	}
	n := hexutil.Uint(len(b.Txs))
	return &n, nil
}

// GetBlockTransactionCountByHash is eth_getBlockTransactionCountByHash.
func (e *ethAPI) GetBlockTransactionCountByHash(hash common.Hash) (*hexutil.Uint, error) {
	b, err := e.blockByHash(hash)
	if err != nil || b == nil {
		return nil, err
	}
	n := hexutil.Uint(len(b.Txs))
	return &n, nil
}

// GetTransactionByBlockNumberAndIndex is eth_getTransactionByBlockNumberAndIndex.
func (e *ethAPI) GetTransactionByBlockNumberAndIndex(ref BlockRef, index hexutil.Uint) (*rpcTransaction, error) {
	b, err := e.block(ref)
	if err != nil || b == nil || int(index) >= len(b.Txs) {
		return nil, err
	}
	return e.newRPCTransaction(b.Txs[index], b.Header, uint64(index)), nil
}

// GetTransactionByBlockHashAndIndex is eth_getTransactionByBlockHashAndIndex.
func (e *ethAPI) GetTransactionByBlockHashAndIndex(hash common.Hash, index hexutil.Uint) (*rpcTransaction, error) {
	b, err := e.blockByHash(hash)
	if err != nil || b == nil || int(index) >= len(b.Txs) {
		return nil, err
	}
	return e.newRPCTransaction(b.Txs[index], b.Header, uint64(index)), nil
}

// lookupTx finds a committed transaction's block and index; b is nil if unknown.
func (s *subnetAPI) lookupTx(hash common.Hash) (b *types.Block, index uint64, err error) {
	blockHash, _, index, found, err := s.b.TxLookup(hash)
	if err != nil || !found {
		return nil, 0, err
	}
	b, err = s.blockByHash(blockHash)
	if err != nil || b == nil || index >= uint64(len(b.Txs)) {
		return nil, 0, err
	}
	return b, index, nil
}

// GetTransactionByHash is eth_getTransactionByHash: a committed transaction,
// else a pooled one (with null block fields), else null.
func (e *ethAPI) GetTransactionByHash(hash common.Hash) (*rpcTransaction, error) {
	b, index, err := e.lookupTx(hash)
	if err != nil {
		return nil, err
	}
	if b != nil {
		return e.newRPCTransaction(b.Txs[index], b.Header, index), nil
	}
	if tx := e.b.PoolTx(hash); tx != nil {
		return e.newRPCTransaction(tx, nil, 0), nil
	}
	return nil, nil
}

// GetTransactionReceipt is eth_getTransactionReceipt; null until mined.
func (e *ethAPI) GetTransactionReceipt(hash common.Hash) (map[string]any, error) {
	b, index, err := e.lookupTx(hash)
	if err != nil || b == nil {
		return nil, err
	}
	receipts, err := e.blockReceipts(b)
	if err != nil {
		return nil, err
	}
	return e.marshalReceipt(receipts[index], b.Txs[index]), nil
}

// GetBlockReceipts is eth_getBlockReceipts.
func (e *ethAPI) GetBlockReceipts(ref BlockRef) ([]map[string]any, error) {
	b, err := e.block(ref)
	if err != nil || b == nil {
		return nil, err
	}
	receipts, err := e.blockReceipts(b)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(receipts))
	for i, r := range receipts {
		out[i] = e.marshalReceipt(r, b.Txs[i])
	}
	return out, nil
}

// GetBlockAccessList is eth_getBlockAccessList: Aspen blocks carry no
// EIP-7928 access list, so a known block gets a "not available" error.
func (e *ethAPI) GetBlockAccessList(ref BlockRef) (any, error) {
	b, err := e.block(ref)
	if err != nil || b == nil {
		return nil, err
	}
	return nil, &apiError{codeResourceMissing, "block access list not available: Aspen blocks do not carry EIP-7928 access lists"}
}

// SendRawTransaction is eth_sendRawTransaction.
func (e *ethAPI) SendRawTransaction(ctx context.Context, input hexutil.Bytes) (common.Hash, error) {
	tx := new(gethtypes.Transaction)
	if err := tx.UnmarshalBinary(input); err != nil {
		return common.Hash{}, invalidParams("invalid raw transaction: %v", err)
	}
	if tx.Type() == gethtypes.BlobTxType {
		return common.Hash{}, invalidParams("blob transactions are not supported on Aspen subnets")
	}
	if err := e.b.SendTx(ctx, tx); err != nil {
		return common.Hash{}, err
	}
	return tx.Hash(), nil
}

func bigOrZero(b *big.Int) *big.Int {
	if b == nil {
		return new(big.Int)
	}
	return b
}
