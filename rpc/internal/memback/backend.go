package memback

import (
	"context"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// The methods below implement rpc.Backend (asserted in rpc's tests: this
// package cannot import rpc, whose tests import it).

// SubnetID is the chain's subnet.
func (c *Chain) SubnetID() types.SubnetID { return c.id }

// ChainID is the EIP-155 chain ID.
func (c *Chain) ChainID() *big.Int { return new(big.Int).Set(c.chainID) }

// Head is the newest block's header.
func (c *Chain) Head() *types.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.blocks[len(c.mu.blocks)-1].Header
}

// Safe is the block SetFinality named safe, or the head: the test chain
// finalizes at once, as solo does, unless a test says otherwise.
func (c *Chain) Safe() *types.Header { return c.behindHead(func() int { return c.mu.safeBehind }) }

// Finalized is the block SetFinality named final, or the head.
func (c *Chain) Finalized() *types.Header {
	return c.behindHead(func() int { return c.mu.finalBehind })
}

// SetFinality makes the safe block safeBehind blocks below the head and the
// final block finalBehind below it, as on a chain with probabilistic
// finality (0, 0: final at once).
func (c *Chain) SetFinality(safeBehind, finalBehind int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.safeBehind, c.mu.finalBehind = safeBehind, finalBehind
}

func (c *Chain) behindHead(behind func() int) *types.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := max(len(c.mu.blocks)-1-behind(), 0)
	return c.mu.blocks[i].Header
}

// HeaderByNumber returns (nil, nil) above the head.
func (c *Chain) HeaderByNumber(height uint64) (*types.Header, error) {
	b, _ := c.BlockByNumber(height)
	if b == nil {
		return nil, nil
	}
	return b.Header, nil
}

// HeaderByHash returns (nil, nil) for an unknown hash.
func (c *Chain) HeaderByHash(hash common.Hash) (*types.Header, error) {
	b, _ := c.BlockByHash(hash)
	if b == nil {
		return nil, nil
	}
	return b.Header, nil
}

// BlockByNumber returns (nil, nil) above the head.
func (c *Chain) BlockByNumber(height uint64) (*types.Block, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if height >= uint64(len(c.mu.blocks)) {
		return nil, nil
	}
	return c.mu.blocks[height], nil
}

// BlockByHash returns (nil, nil) for an unknown hash.
func (c *Chain) BlockByHash(hash common.Hash) (*types.Block, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.byHash[hash], nil
}

// Receipts returns a block's receipts and counts the read.
func (c *Chain) Receipts(blockHash common.Hash) (gethtypes.Receipts, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.receiptReads++
	return c.mu.receipts[blockHash], nil
}

// SystemLogs returns the logs SetSystemLogs gave a block.
func (c *Chain) SystemLogs(blockHash common.Hash) ([]*gethtypes.Log, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.sysLogs[blockHash], nil
}

// SetSystemLogs gives a committed block logs of no transaction, as a child
// chain's top-down application makes; the caller sets derived fields.
func (c *Chain) SetSystemLogs(blockHash common.Hash, logs []*gethtypes.Log) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.sysLogs[blockHash] = logs
}

// ReceiptReads is how many times Receipts was called: tests use it to see
// that log queries skip blocks by their bloom.
func (c *Chain) ReceiptReads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.receiptReads
}

// TxLookup finds a committed transaction.
func (c *Chain) TxLookup(txHash common.Hash) (common.Hash, uint64, uint64, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	loc, ok := c.mu.txs[txHash]
	if !ok {
		return common.Hash{}, 0, 0, false, nil
	}
	return loc.block, c.mu.byHash[loc.block].Height(), loc.index, true, nil
}

// stateAt is the state after header, or after the head for nil (pending).
func (c *Chain) stateAt(header *types.Header) state {
	c.mu.Lock()
	defer c.mu.Unlock()
	if header == nil {
		return c.mu.states[len(c.mu.states)-1]
	}
	return c.mu.states[header.Height]
}

// Balance is the account's balance after header.
func (c *Chain) Balance(header *types.Header, addr common.Address) (*big.Int, error) {
	if acc, ok := c.stateAt(header)[addr]; ok {
		return new(big.Int).Set(acc.balance), nil
	}
	return new(big.Int), nil
}

// Nonce is the account's nonce after header.
func (c *Chain) Nonce(header *types.Header, addr common.Address) (uint64, error) {
	if acc, ok := c.stateAt(header)[addr]; ok {
		return acc.nonce, nil
	}
	return 0, nil
}

// Code is the account's code after header.
func (c *Chain) Code(header *types.Header, addr common.Address) ([]byte, error) {
	if acc, ok := c.stateAt(header)[addr]; ok {
		return acc.code, nil
	}
	return nil, nil
}

// Storage is one slot after header.
func (c *Chain) Storage(header *types.Header, addr common.Address, slot common.Hash) (common.Hash, error) {
	if acc, ok := c.stateAt(header)[addr]; ok {
		return acc.storage[slot], nil
	}
	return common.Hash{}, nil
}

// Proof returns the account's values with stand-in proofs: one node each,
// the keccak of what it proves. The test chain has no trie.
func (c *Chain) Proof(header *types.Header, addr common.Address, slots []common.Hash) (*execution.AccountProof, error) {
	s := c.stateAt(header)
	acc, ok := s[addr]
	if !ok {
		acc = &account{balance: new(big.Int)}
	}
	p := &execution.AccountProof{
		Address:      addr,
		AccountProof: []string{hexutil.Encode(crypto.Keccak256(addr[:]))},
		Balance:      new(big.Int).Set(acc.balance),
		CodeHash:     crypto.Keccak256Hash(acc.code),
		Nonce:        acc.nonce,
		StorageHash:  gethtypes.EmptyRootHash,
	}
	for _, k := range slots {
		v := acc.storage[k]
		p.StorageProof = append(p.StorageProof, execution.StorageProof{Key: k, Value: new(big.Int).SetBytes(v[:]), Proof: []string{hexutil.Encode(crypto.Keccak256(k[:]))}})
	}
	return p, nil
}

// RevertError is the error a reverting call returns, shaped as geth's.
type RevertError struct{ Data []byte }

func (e *RevertError) Error() string          { return "execution reverted: boom" }
func (e *RevertError) ErrorCode() int         { return 3 }
func (e *RevertError) ErrorData() interface{} { return hexutil.Encode(e.Data) }

// BoomRevertData is Error("boom") ABI-encoded.
var BoomRevertData = func() []byte {
	out := []byte{0x08, 0xc3, 0x79, 0xa0}
	out = append(out, common.LeftPadBytes([]byte{0x20}, 32)...)
	out = append(out, common.LeftPadBytes([]byte{4}, 32)...)
	return append(out, common.RightPadBytes([]byte("boom"), 32)...)
}()

var errReverted = execErr("execution reverted")

type execErr string

func (e execErr) Error() string { return string(e) }

// Call returns the slot named by data[:32] of a contract, reverts for
// Reverter, and returns nothing otherwise.
func (c *Chain) Call(ctx context.Context, header *types.Header, args execution.CallArgs, overrides map[common.Address]execution.Override) (*execution.CallResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if args.To != nil && *args.To == Reverter {
		return &execution.CallResult{ReturnData: BoomRevertData, UsedGas: 21000, Err: errReverted}, nil
	}
	gas := 21000 + 16*uint64(len(args.Data))
	if args.To == nil || len(args.Data) < 32 {
		return &execution.CallResult{ReturnData: []byte{}, UsedGas: gas}, nil
	}
	key := common.BytesToHash(args.Data[:32])
	if ov, ok := overrides[*args.To]; ok {
		if v, ok := ov.State[key]; ok {
			return &execution.CallResult{ReturnData: v[:], UsedGas: gas}, nil
		}
		if v, ok := ov.StateDiff[key]; ok {
			return &execution.CallResult{ReturnData: v[:], UsedGas: gas}, nil
		}
	}
	v, _ := c.Storage(header, *args.To, key)
	return &execution.CallResult{ReturnData: v[:], UsedGas: gas}, nil
}

// EstimateGas is the intrinsic gas; a call to Reverter fails as geth does.
func (c *Chain) EstimateGas(ctx context.Context, header *types.Header, args execution.CallArgs, overrides map[common.Address]execution.Override) (uint64, error) {
	if args.To != nil && *args.To == Reverter {
		return 0, &RevertError{Data: BoomRevertData}
	}
	g := 21000 + 16*uint64(len(args.Data))
	if args.To == nil {
		g += 32000
	}
	return g, nil
}

// CreateAccessList lists the called account.
func (c *Chain) CreateAccessList(ctx context.Context, header *types.Header, args execution.CallArgs) (gethtypes.AccessList, uint64, error) {
	if args.To == nil {
		return gethtypes.AccessList{}, 53000 + 16*uint64(len(args.Data)), nil
	}
	var keys []common.Hash
	if len(args.Data) >= 32 {
		keys = append(keys, common.BytesToHash(args.Data[:32]))
	} else {
		keys = []common.Hash{}
	}
	return gethtypes.AccessList{{Address: *args.To, StorageKeys: keys}}, 21000 + 16*uint64(len(args.Data)) + 2400 + 1900*uint64(len(keys)), nil
}

// SuggestTip is a fixed 1 gwei.
func (c *Chain) SuggestTip() *big.Int { return big.NewInt(Tip) }

// NextBaseFee follows EIP-1559 from the head.
func (c *Chain) NextBaseFee() *big.Int { return nextBaseFee(c.Head()) }

// GasCap is 0: the RPC layer's cap applies.
func (c *Chain) GasCap() uint64 { return 0 }

// PoolTx returns a pooled transaction.
func (c *Chain) PoolTx(hash common.Hash) *gethtypes.Transaction {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tx := range c.mu.pool {
		if tx.Hash() == hash {
			return tx
		}
	}
	return nil
}

// PoolNonce is the next nonce counting pooled transactions.
func (c *Chain) PoolNonce(addr common.Address) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.poolNonceLocked(addr), nil
}

// Pending lists the pool.
func (c *Chain) Pending() gethtypes.Transactions {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(gethtypes.Transactions{}, c.mu.pool...)
}

// Sender recovers a transaction's sender.
func (c *Chain) Sender(tx *gethtypes.Transaction) (common.Address, error) {
	return gethtypes.Sender(c.signer, tx)
}

// SubscribeHeads delivers new heads.
func (c *Chain) SubscribeHeads(ch chan<- *types.Header) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.mu.nextSub
	c.mu.nextSub++
	c.mu.heads[id] = ch
	return func() { c.mu.Lock(); delete(c.mu.heads, id); c.mu.Unlock() }
}

// SubscribeLogs delivers each new block's logs.
func (c *Chain) SubscribeLogs(ch chan<- []*gethtypes.Log) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.mu.nextSub
	c.mu.nextSub++
	c.mu.logs[id] = ch
	return func() { c.mu.Lock(); delete(c.mu.logs, id); c.mu.Unlock() }
}

// SendLogs hands logs to the log subscribers as they are, as a node does
// with the logs of rewound blocks (Removed set).
func (c *Chain) SendLogs(logs []*gethtypes.Log) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.mu.logs {
		select {
		case ch <- logs:
		default:
		}
	}
}

// SubscribePendingTxs delivers transactions entering the pool.
func (c *Chain) SubscribePendingTxs(ch chan<- []*gethtypes.Transaction) func() {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.mu.nextSub
	c.mu.nextSub++
	c.mu.pending[id] = ch
	return func() { c.mu.Lock(); delete(c.mu.pending, id); c.mu.Unlock() }
}

// Subscribers counts the live event subscriptions of each kind, so tests can
// see what the RPC layer holds on the backend.
func (c *Chain) Subscribers() (heads, logs, pending int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.mu.heads), len(c.mu.logs), len(c.mu.pending)
}
