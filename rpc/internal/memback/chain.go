package memback

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Fixed parameters of the test chain.
const (
	GenesisTimeMs  = 1_700_000_000_000
	BlockTimeMs    = 2000
	GasLimit       = 30_000_000
	InitialBaseFee = 1_000_000_000
	Tip            = 1_000_000_000
)

var (
	// Reverter is an account whose every call reverts with Error("boom").
	Reverter = common.HexToAddress("0x000000000000000000000000000000000000dead")
	// Proposer signs every block.
	Proposer = common.HexToAddress("0x00000000000000000000000000000000000a5e11")
	// StoredTopic is the topic of the log a call to a contract emits.
	StoredTopic = crypto.Keccak256Hash([]byte("Stored(bytes32,bytes32)"))
)

// Keys are the chain's prefunded accounts, fixed so that runs are identical.
func Keys() []*ecdsa.PrivateKey {
	var keys []*ecdsa.PrivateKey
	for i := 1; i <= 4; i++ {
		k, err := crypto.ToECDSA(common.LeftPadBytes([]byte{byte(i)}, 32))
		if err != nil {
			panic(err)
		}
		keys = append(keys, k)
	}
	return keys
}

type account struct {
	balance *big.Int
	nonce   uint64
	code    []byte
	storage map[common.Hash]common.Hash
}

func (a *account) copy() *account {
	c := &account{balance: new(big.Int).Set(a.balance), nonce: a.nonce, code: a.code, storage: make(map[common.Hash]common.Hash, len(a.storage))}
	for k, v := range a.storage {
		c.storage[k] = v
	}
	return c
}

type state map[common.Address]*account

func (s state) copy() state {
	c := make(state, len(s))
	for a, acc := range s {
		c[a] = acc.copy()
	}
	return c
}

func (s state) get(a common.Address) *account {
	acc, ok := s[a]
	if !ok {
		acc = &account{balance: new(big.Int), storage: map[common.Hash]common.Hash{}}
		s[a] = acc
	}
	return acc
}

// root is a deterministic digest of the state standing in for a state root.
func (s state) root() common.Hash {
	addrs := make([]common.Address, 0, len(s))
	for a := range s {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b common.Address) int { return a.Cmp(b) })
	var enc []any
	for _, a := range addrs {
		acc := s[a]
		keys := make([]common.Hash, 0, len(acc.storage))
		for k := range acc.storage {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b common.Hash) int { return a.Cmp(b) })
		var kv []common.Hash
		for _, k := range keys {
			kv = append(kv, k, acc.storage[k])
		}
		enc = append(enc, []any{a, acc.balance, acc.nonce, acc.code, kv})
	}
	b, _ := rlp.EncodeToBytes(enc)
	return crypto.Keccak256Hash(b)
}

type txLoc struct {
	block common.Hash
	index uint64
}

// Chain is the in-memory test chain. It is safe for concurrent use.
type Chain struct {
	id      types.SubnetID
	chainID *big.Int
	signer  gethtypes.Signer

	mu struct {
		sync.Mutex
		blocks       []*types.Block
		byHash       map[common.Hash]*types.Block
		receipts     map[common.Hash]gethtypes.Receipts
		states       []state
		txs          map[common.Hash]txLoc
		pool         []*gethtypes.Transaction
		heads        map[int]chan<- *types.Header
		logs         map[int]chan<- []*gethtypes.Log
		sysLogs      map[common.Hash][]*gethtypes.Log
		pending      map[int]chan<- []*gethtypes.Transaction
		nextSub      int
		receiptReads int
		// safeBehind and finalBehind place the safe and final blocks below
		// the head (SetFinality).
		safeBehind, finalBehind int
	}
}

// New makes a chain holding only genesis, in which every key of Keys holds
// 1000 ether and Reverter has code.
func New(id types.SubnetID, chainID int64) *Chain {
	c := &Chain{id: id, chainID: big.NewInt(chainID), signer: gethtypes.LatestSignerForChainID(big.NewInt(chainID))}
	c.mu.byHash = map[common.Hash]*types.Block{}
	c.mu.receipts = map[common.Hash]gethtypes.Receipts{}
	c.mu.txs = map[common.Hash]txLoc{}
	c.mu.heads = map[int]chan<- *types.Header{}
	c.mu.logs = map[int]chan<- []*gethtypes.Log{}
	c.mu.sysLogs = map[common.Hash][]*gethtypes.Log{}
	c.mu.pending = map[int]chan<- []*gethtypes.Transaction{}
	g := state{}
	for _, k := range Keys() {
		g.get(crypto.PubkeyToAddress(k.PublicKey)).balance = new(big.Int).Mul(big.NewInt(1000), big.NewInt(1e18))
	}
	g.get(Reverter).code = []byte{0xfe}
	h := &types.Header{
		SubnetID: id, TimeMs: GenesisTimeMs, Proposer: Proposer, StateRoot: g.root(),
		TxRoot: types.TxRoot(nil), ReceiptRoot: types.ReceiptRoot(nil),
		GasLimit: GasLimit, BaseFee: big.NewInt(InitialBaseFee),
	}
	c.commitLocked(&types.Block{Header: h}, nil, g)
	return c
}

// Signer is the chain's transaction signer.
func (c *Chain) Signer() gethtypes.Signer { return c.signer }

func (c *Chain) commitLocked(b *types.Block, receipts gethtypes.Receipts, s state) {
	c.mu.blocks = append(c.mu.blocks, b)
	c.mu.byHash[b.Hash()] = b
	c.mu.receipts[b.Hash()] = receipts
	c.mu.states = append(c.mu.states, s)
	for i, tx := range b.Txs {
		c.mu.txs[tx.Hash()] = txLoc{b.Hash(), uint64(i)}
	}
}

// nextBaseFee is EIP-1559's rule with a target of half the gas limit.
func nextBaseFee(h *types.Header) *big.Int {
	target := h.GasLimit / 2
	fee := new(big.Int).Set(h.BaseFee)
	switch {
	case h.GasUsed > target:
		d := new(big.Int).Mul(h.BaseFee, new(big.Int).SetUint64(h.GasUsed-target))
		d.Div(d, new(big.Int).SetUint64(target*8))
		if d.Sign() == 0 {
			d.SetUint64(1)
		}
		fee.Add(fee, d)
	case h.GasUsed < target:
		d := new(big.Int).Mul(h.BaseFee, new(big.Int).SetUint64(target-h.GasUsed))
		d.Div(d, new(big.Int).SetUint64(target*8))
		fee.Sub(fee, d)
	}
	return fee
}

// intrinsicGas is 21000 plus 16 per data byte, plus 32000 for a creation.
func intrinsicGas(tx *gethtypes.Transaction) uint64 {
	g := 21000 + 16*uint64(len(tx.Data()))
	if tx.To() == nil {
		g += 32000
	}
	return g + 25000*uint64(len(tx.SetCodeAuthorizations()))
}

// ErrNonce is returned by SendTx for a transaction out of nonce order.
var ErrNonce = errors.New("nonce too low")

// SendTx adds a signed transaction to the pool and announces it.
func (c *Chain) SendTx(_ context.Context, tx *gethtypes.Transaction) error {
	from, err := gethtypes.Sender(c.signer, tx)
	if err != nil {
		return fmt.Errorf("invalid sender: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	want := c.poolNonceLocked(from)
	if tx.Nonce() < want {
		return fmt.Errorf("%w: address %s, tx: %d state: %d", ErrNonce, from.Hex(), tx.Nonce(), want)
	}
	if tx.Nonce() > want {
		return fmt.Errorf("nonce too high: address %s, tx: %d state: %d", from.Hex(), tx.Nonce(), want)
	}
	c.mu.pool = append(c.mu.pool, tx)
	for _, ch := range c.mu.pending {
		select {
		case ch <- []*gethtypes.Transaction{tx}:
		default:
		}
	}
	return nil
}

func (c *Chain) poolNonceLocked(addr common.Address) uint64 {
	n := c.mu.states[len(c.mu.states)-1].get(addr).nonce
	for _, tx := range c.mu.pool {
		if from, _ := gethtypes.Sender(c.signer, tx); from == addr {
			n++
		}
	}
	return n
}

// Mine commits the pool's transactions as the next block, announces the new
// head and its logs, and returns the block.
func (c *Chain) Mine() *types.Block {
	c.mu.Lock()
	defer c.mu.Unlock()
	parent := c.mu.blocks[len(c.mu.blocks)-1].Header
	s := c.mu.states[len(c.mu.states)-1].copy()
	h := &types.Header{
		SubnetID: c.id, Height: parent.Height + 1, ParentHash: parent.Hash(),
		TimeMs: parent.TimeMs + BlockTimeMs, Proposer: Proposer, GasLimit: GasLimit,
		BaseFee: nextBaseFee(parent),
	}
	txs := c.mu.pool
	c.mu.pool = nil
	var receipts gethtypes.Receipts
	var cumulative uint64
	var logIndex uint
	for i, tx := range txs {
		r := c.apply(s, h, tx)
		cumulative += r.GasUsed
		r.CumulativeGasUsed = cumulative
		r.TxHash, r.TransactionIndex = tx.Hash(), uint(i)
		for _, l := range r.Logs {
			l.TxHash, l.TxIndex, l.Index, l.BlockNumber = tx.Hash(), uint(i), logIndex, h.Height
			logIndex++
		}
		r.Bloom = gethtypes.CreateBloom(r)
		receipts = append(receipts, r)
	}
	h.GasUsed = cumulative
	h.StateRoot = s.root()
	h.TxRoot = types.TxRoot(txs)
	h.ReceiptRoot = types.ReceiptRoot(receipts)
	h.Bloom = gethtypes.MergeBloom(receipts)
	b := &types.Block{Header: h, Txs: txs}
	var logs []*gethtypes.Log
	for _, r := range receipts {
		r.BlockHash, r.BlockNumber = b.Hash(), new(big.Int).SetUint64(h.Height)
		for _, l := range r.Logs {
			l.BlockHash = b.Hash()
			logs = append(logs, l)
		}
	}
	c.commitLocked(b, receipts, s)
	for _, ch := range c.mu.heads {
		select {
		case ch <- h:
		default:
		}
	}
	if len(logs) > 0 {
		for _, ch := range c.mu.logs {
			select {
			case ch <- logs:
			default:
			}
		}
	}
	return b
}

// apply runs one transaction on s by the chain's simple rules.
func (c *Chain) apply(s state, h *types.Header, tx *gethtypes.Transaction) *gethtypes.Receipt {
	from, _ := gethtypes.Sender(c.signer, tx)
	gas := intrinsicGas(tx)
	price := new(big.Int).Add(tx.GasTipCap(), h.BaseFee)
	if tx.GasFeeCapIntCmp(price) < 0 {
		price = tx.GasFeeCap()
	}
	sender := s.get(from)
	sender.nonce++
	sender.balance.Sub(sender.balance, new(big.Int).Mul(price, new(big.Int).SetUint64(gas)))
	r := &gethtypes.Receipt{Type: tx.Type(), Status: gethtypes.ReceiptStatusSuccessful, GasUsed: gas, EffectiveGasPrice: price, Logs: []*gethtypes.Log{}}
	for _, auth := range tx.SetCodeAuthorizations() {
		if authority, err := auth.Authority(); err == nil {
			s.get(authority).code = gethtypes.AddressToDelegation(auth.Address)
			s.get(authority).nonce++
		}
	}
	if tx.To() == nil {
		addr := crypto.CreateAddress(from, tx.Nonce())
		s.get(addr).code = tx.Data()
		r.ContractAddress = addr
		return r
	}
	to := *tx.To()
	if to == Reverter {
		r.Status = gethtypes.ReceiptStatusFailed
		return r
	}
	sender.balance.Sub(sender.balance, tx.Value())
	target := s.get(to)
	target.balance.Add(target.balance, tx.Value())
	if len(target.code) > 0 && len(tx.Data()) >= 64 {
		key, val := common.BytesToHash(tx.Data()[:32]), common.BytesToHash(tx.Data()[32:64])
		target.storage[key] = val
		r.Logs = append(r.Logs, &gethtypes.Log{Address: to, Topics: []common.Hash{StoredTopic, key}, Data: val[:]})
	}
	return r
}
