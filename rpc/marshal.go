package rpc

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/types"
)

// emptyNonce is the eth block nonce Aspen blocks report: no proof of work.
var emptyNonce = gethtypes.BlockNonce{}

// marshalHeader renders a header the way geth's RPCMarshalHeader renders a
// post-Prague Ethereum header. Fields Ethereum has and Aspen does not carry
// (uncles, withdrawals, blobs, beacon root, requests) take their empty values.
func marshalHeader(h *types.Header) map[string]any {
	baseFee := h.BaseFee
	if baseFee == nil {
		baseFee = new(big.Int)
	}
	zero := hexutil.Uint64(0)
	// A pow block's difficulty and nonce (the 8-byte seal) are real; other
	// engines have none and show zeros, as post-merge Ethereum does.
	nonce := emptyNonce
	if h.Difficulty > 0 && len(h.Seal) == len(nonce) {
		copy(nonce[:], h.Seal)
	}
	return map[string]any{
		"number":                (*hexutil.Big)(new(big.Int).SetUint64(h.Height)),
		"hash":                  h.Hash(),
		"parentHash":            h.ParentHash,
		"nonce":                 nonce,
		"mixHash":               common.Hash{},
		"sha3Uncles":            gethtypes.EmptyUncleHash,
		"logsBloom":             h.Bloom,
		"stateRoot":             h.StateRoot,
		"miner":                 h.Proposer,
		"difficulty":            (*hexutil.Big)(new(big.Int).SetUint64(h.Difficulty)),
		"extraData":             hexutil.Bytes{},
		"gasLimit":              hexutil.Uint64(h.GasLimit),
		"gasUsed":               hexutil.Uint64(h.GasUsed),
		"timestamp":             hexutil.Uint64(h.Time()),
		"transactionsRoot":      h.TxRoot,
		"receiptsRoot":          h.ReceiptRoot,
		"baseFeePerGas":         (*hexutil.Big)(baseFee),
		"withdrawalsRoot":       gethtypes.EmptyWithdrawalsHash,
		"blobGasUsed":           zero,
		"excessBlobGas":         zero,
		"parentBeaconBlockRoot": common.Hash{},
		"requestsHash":          gethtypes.EmptyRequestsHash,
	}
}

// marshalBlock renders a block as geth's RPCMarshalBlock: transaction hashes,
// or full transaction objects when fullTx is set.
func (s *subnetAPI) marshalBlock(b *types.Block, fullTx bool) map[string]any {
	fields := marshalHeader(b.Header)
	fields["size"] = hexutil.Uint64(b.Size())
	txs := make([]any, len(b.Txs))
	for i, tx := range b.Txs {
		if fullTx {
			txs[i] = s.newRPCTransaction(tx, b.Header, uint64(i))
		} else {
			txs[i] = tx.Hash()
		}
	}
	fields["transactions"] = txs
	fields["uncles"] = []common.Hash{}
	fields["withdrawals"] = []struct{}{}
	return fields
}

// rpcTransaction is geth's RPCTransaction: the JSON of a transaction with
// its location in the chain.
type rpcTransaction struct {
	BlockHash           *common.Hash                     `json:"blockHash"`
	BlockNumber         *hexutil.Big                     `json:"blockNumber"`
	BlockTimestamp      *hexutil.Uint64                  `json:"blockTimestamp"`
	From                common.Address                   `json:"from"`
	Gas                 hexutil.Uint64                   `json:"gas"`
	GasPrice            *hexutil.Big                     `json:"gasPrice"`
	GasFeeCap           *hexutil.Big                     `json:"maxFeePerGas,omitempty"`
	GasTipCap           *hexutil.Big                     `json:"maxPriorityFeePerGas,omitempty"`
	MaxFeePerBlobGas    *hexutil.Big                     `json:"maxFeePerBlobGas,omitempty"`
	Hash                common.Hash                      `json:"hash"`
	Input               hexutil.Bytes                    `json:"input"`
	Nonce               hexutil.Uint64                   `json:"nonce"`
	To                  *common.Address                  `json:"to"`
	TransactionIndex    *hexutil.Uint64                  `json:"transactionIndex"`
	Value               *hexutil.Big                     `json:"value"`
	Type                hexutil.Uint64                   `json:"type"`
	Accesses            *gethtypes.AccessList            `json:"accessList,omitempty"`
	ChainID             *hexutil.Big                     `json:"chainId,omitempty"`
	BlobVersionedHashes []common.Hash                    `json:"blobVersionedHashes,omitempty"`
	AuthorizationList   []gethtypes.SetCodeAuthorization `json:"authorizationList,omitempty"`
	V                   *hexutil.Big                     `json:"v"`
	R                   *hexutil.Big                     `json:"r"`
	S                   *hexutil.Big                     `json:"s"`
	YParity             *hexutil.Uint64                  `json:"yParity,omitempty"`
}

// newRPCTransaction renders a mined transaction (header != nil) or a pending
// one, field for field as geth's newRPCTransaction does.
func (s *subnetAPI) newRPCTransaction(tx *gethtypes.Transaction, header *types.Header, index uint64) *rpcTransaction {
	from, _ := s.b.Sender(tx)
	v, r, sig := tx.RawSignatureValues()
	res := &rpcTransaction{
		Type:     hexutil.Uint64(tx.Type()),
		From:     from,
		Gas:      hexutil.Uint64(tx.Gas()),
		GasPrice: (*hexutil.Big)(tx.GasPrice()),
		Hash:     tx.Hash(),
		Input:    hexutil.Bytes(tx.Data()),
		Nonce:    hexutil.Uint64(tx.Nonce()),
		To:       tx.To(),
		Value:    (*hexutil.Big)(tx.Value()),
		V:        (*hexutil.Big)(v),
		R:        (*hexutil.Big)(r),
		S:        (*hexutil.Big)(sig),
	}
	var baseFee *big.Int
	if header != nil {
		hash, ts := header.Hash(), hexutil.Uint64(header.Time())
		idx := hexutil.Uint64(index)
		res.BlockHash = &hash
		res.BlockNumber = (*hexutil.Big)(new(big.Int).SetUint64(header.Height))
		res.BlockTimestamp = &ts
		res.TransactionIndex = &idx
		baseFee = header.BaseFee
	}
	if tx.Type() == gethtypes.LegacyTxType {
		if id := tx.ChainId(); id.Sign() != 0 {
			res.ChainID = (*hexutil.Big)(id)
		}
		return res
	}
	al := tx.AccessList()
	yParity := hexutil.Uint64(v.Sign())
	res.Accesses = &al
	res.ChainID = (*hexutil.Big)(tx.ChainId())
	res.YParity = &yParity
	if tx.Type() == gethtypes.AccessListTxType {
		return res
	}
	res.GasFeeCap = (*hexutil.Big)(tx.GasFeeCap())
	res.GasTipCap = (*hexutil.Big)(tx.GasTipCap())
	if baseFee != nil && header != nil {
		res.GasPrice = (*hexutil.Big)(effectiveGasPrice(tx, baseFee))
	} else {
		res.GasPrice = (*hexutil.Big)(tx.GasFeeCap())
	}
	switch tx.Type() {
	case gethtypes.BlobTxType:
		res.MaxFeePerBlobGas = (*hexutil.Big)(tx.BlobGasFeeCap())
		res.BlobVersionedHashes = tx.BlobHashes()
	case gethtypes.SetCodeTxType:
		res.AuthorizationList = tx.SetCodeAuthorizations()
	}
	return res
}

// effectiveGasPrice is min(tip + baseFee, feeCap).
func effectiveGasPrice(tx *gethtypes.Transaction, baseFee *big.Int) *big.Int {
	fee := new(big.Int).Add(tx.GasTipCap(), baseFee)
	if tx.GasFeeCapIntCmp(fee) < 0 {
		return tx.GasFeeCap()
	}
	return fee
}

// blockReceipts returns copies of the block's receipts with every derived
// field set from the block, including each log's blockTimestamp.
func (s *subnetAPI) blockReceipts(b *types.Block) (gethtypes.Receipts, error) {
	hash := b.Hash()
	stored, err := s.b.Receipts(hash)
	if err != nil {
		return nil, err
	}
	if len(stored) != len(b.Txs) {
		return nil, fmt.Errorf("receipts length mismatch: %d receipts for %d transactions in block %s", len(stored), len(b.Txs), hash.Hex())
	}
	out := make(gethtypes.Receipts, len(stored))
	logIndex := uint(0)
	for i, r := range stored {
		c := *r
		tx := b.Txs[i]
		c.TxHash = tx.Hash()
		c.Type = tx.Type()
		c.BlockHash = hash
		c.BlockNumber = new(big.Int).SetUint64(b.Height())
		c.TransactionIndex = uint(i)
		if c.EffectiveGasPrice == nil {
			baseFee := b.Header.BaseFee
			if baseFee == nil {
				baseFee = new(big.Int)
			}
			c.EffectiveGasPrice = effectiveGasPrice(tx, baseFee)
		}
		c.Logs = make([]*gethtypes.Log, len(r.Logs))
		for j, l := range r.Logs {
			lc := *l
			lc.BlockNumber = b.Height()
			lc.BlockHash = hash
			lc.BlockTimestamp = b.Header.Time()
			lc.TxHash = c.TxHash
			lc.TxIndex = uint(i)
			lc.Index = logIndex
			logIndex++
			c.Logs[j] = &lc
		}
		out[i] = &c
	}
	return out, nil
}

// marshalReceipt renders a receipt as geth's MarshalReceipt does.
func (s *subnetAPI) marshalReceipt(r *gethtypes.Receipt, tx *gethtypes.Transaction) map[string]any {
	from, _ := s.b.Sender(tx)
	logs := r.Logs
	if logs == nil {
		logs = []*gethtypes.Log{}
	}
	fields := map[string]any{
		"blockHash":         r.BlockHash,
		"blockNumber":       hexutil.Uint64(r.BlockNumber.Uint64()),
		"transactionHash":   tx.Hash(),
		"transactionIndex":  hexutil.Uint64(r.TransactionIndex),
		"from":              from,
		"to":                tx.To(),
		"gasUsed":           hexutil.Uint64(r.GasUsed),
		"cumulativeGasUsed": hexutil.Uint64(r.CumulativeGasUsed),
		"contractAddress":   nil,
		"logs":              logs,
		"logsBloom":         r.Bloom,
		"type":              hexutil.Uint(tx.Type()),
		"effectiveGasPrice": (*hexutil.Big)(r.EffectiveGasPrice),
	}
	if len(r.PostState) > 0 {
		fields["root"] = hexutil.Bytes(r.PostState)
	} else {
		fields["status"] = hexutil.Uint(r.Status)
	}
	if tx.Type() == gethtypes.BlobTxType {
		fields["blobGasUsed"] = hexutil.Uint64(r.BlobGasUsed)
		fields["blobGasPrice"] = (*hexutil.Big)(r.BlobGasPrice)
	}
	if r.ContractAddress != (common.Address{}) {
		fields["contractAddress"] = r.ContractAddress
	}
	return fields
}
