package client

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/gateway"
)

// ErrNoKey: a transaction was asked of a client without a key.
var ErrNoKey = errors.New("client: no key to sign with")

// Gateway calls one chain's gateway over JSON-RPC and, with a key, sends
// transactions to it and waits for their receipts.
type Gateway struct {
	url      string
	home     string // for advice in errors; "" with --rpc
	rpc      *gethrpc.Client
	addr     common.Address // the contract called: the gateway unless Options.Contract
	abi      abi.ABI
	key      *ecdsa.PrivateKey // nil: read-only
	from     common.Address
	timeout  time.Duration
	progress io.Writer // a line while waiting for a receipt; io.Discard for none
}

// Options are how a Gateway signs and waits; the zero value only reads.
type Options struct {
	// Key signs transactions; nil for a client that only calls views.
	Key *ecdsa.PrivateKey
	// Timeout bounds the wait for a receipt (default one minute).
	Timeout time.Duration
	// Progress receives a line while a receipt is awaited (nil: none).
	Progress io.Writer
	// Home is the node's home, named in the advice of a connection error
	// ("start it with aspen node --home HOME"); "" names none.
	Home string
	// Contract is another system contract to call instead of the gateway
	// (such as the HTLC swap contract); nil: the gateway.
	Contract *Contract
}

// Contract is a native contract the client may call in place of the gateway.
type Contract struct {
	Address common.Address
	ABI     abi.ABI
}

// DialGateway connects to the chain served at url (a node's RPC URL with
// the chain's path, e.g. http://127.0.0.1:8545/devnet/games).
func DialGateway(ctx context.Context, url string, o Options) (*Gateway, error) {
	c, err := gethrpc.DialContext(ctx, url)
	if err != nil {
		return nil, RPCError(url, o.Home, err)
	}
	return NewGateway(c, url, o)
}

// Close closes the connection.
func (g *Gateway) Close() { g.rpc.Close() }

// URL is the chain's RPC URL.
func (g *Gateway) URL() string { return g.url }

// From is the account that signs (zero for a read-only client).
func (g *Gateway) From() common.Address { return g.from }

// ABI is the IGateway ABI the client packs and unpacks with.
func (g *Gateway) ABI() abi.ABI { return g.abi }

// callArgs is the transaction object of eth_call and eth_estimateGas.
type callArgs struct {
	From  *common.Address `json:"from,omitempty"`
	To    common.Address  `json:"to"`
	Gas   *hexutil.Uint64 `json:"gas,omitempty"`
	Value *hexutil.Big    `json:"value,omitempty"`
	Input hexutil.Bytes   `json:"input"`
}

// Call runs a view of the gateway at the latest block and unpacks its results.
func (g *Gateway) Call(ctx context.Context, method string, args ...any) ([]any, error) {
	data, err := g.abi.Pack(method, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the arguments: %w", method, err)
	}
	var out hexutil.Bytes
	if err := g.rpc.CallContext(ctx, &out, "eth_call", callArgs{To: g.addr, Input: data}, "latest"); err != nil {
		return nil, fmt.Errorf("%s: %w", method, g.rpcErr(err))
	}
	res, err := g.abi.Unpack(method, out)
	if err != nil {
		return nil, fmt.Errorf("%s: the gateway at %s answered something that is not IGateway's result (%w); is this an Aspen node?", method, g.url, err)
	}
	return res, nil
}

// SentTx is a transaction included in a block.
type SentTx struct {
	Hash    common.Hash
	Receipt *gethtypes.Receipt
}

// Transact sends method(args) with value to the gateway, signed by g's key,
// and waits for its receipt. A call that would revert is not sent: the error
// carries the gateway's reason as eth_estimateGas gave it.
func (g *Gateway) Transact(ctx context.Context, method string, value *big.Int, args ...any) (*SentTx, error) {
	p, err := g.Send(ctx, method, value, args...)
	if err != nil {
		return nil, err
	}
	return g.Confirm(ctx, p)
}

// PendingTx is a transaction sent and not yet confirmed.
type PendingTx struct {
	method string
	tx     *gethtypes.Transaction
	est    callArgs
}

// Hash is the transaction's hash, known before it is confirmed.
func (p *PendingTx) Hash() common.Hash { return p.tx.Hash() }

// Send signs and sends method(args) without waiting: several sends from one
// key take consecutive nonces (the node's pending nonce counts its pool), so
// a batch can be confirmed at once.
func (g *Gateway) Send(ctx context.Context, method string, value *big.Int, args ...any) (*PendingTx, error) {
	if g.key == nil {
		return nil, ErrNoKey
	}
	data, err := g.abi.Pack(method, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the arguments: %w", method, err)
	}
	if value == nil {
		value = new(big.Int)
	}
	var chainID, nonce, gas hexutil.Uint64
	var tip hexutil.Big
	var head struct {
		BaseFee *hexutil.Big `json:"baseFeePerGas"`
	}
	if err := g.rpc.CallContext(ctx, &chainID, "eth_chainId"); err != nil {
		return nil, g.rpcErr(err)
	}
	if err := g.rpc.CallContext(ctx, &nonce, "eth_getTransactionCount", g.from, "pending"); err != nil {
		return nil, g.rpcErr(err)
	}
	est := callArgs{From: &g.from, To: g.addr, Value: (*hexutil.Big)(value), Input: data}
	if err := g.rpc.CallContext(ctx, &gas, "eth_estimateGas", est); err != nil {
		return nil, fmt.Errorf("%s: %w", method, g.rpcErr(err))
	}
	if err := g.rpc.CallContext(ctx, &tip, "eth_maxPriorityFeePerGas"); err != nil {
		return nil, g.rpcErr(err)
	}
	if err := g.rpc.CallContext(ctx, &head, "eth_getBlockByNumber", "latest", false); err != nil {
		return nil, g.rpcErr(err)
	}
	feeCap := new(big.Int).Set(tip.ToInt())
	if head.BaseFee != nil {
		feeCap.Add(feeCap, new(big.Int).Mul(head.BaseFee.ToInt(), big.NewInt(2)))
	}
	tx, err := gethtypes.SignNewTx(g.key, gethtypes.LatestSignerForChainID(new(big.Int).SetUint64(uint64(chainID))), &gethtypes.DynamicFeeTx{
		ChainID: new(big.Int).SetUint64(uint64(chainID)), Nonce: uint64(nonce),
		GasTipCap: tip.ToInt(), GasFeeCap: feeCap, Gas: uint64(gas) + uint64(gas)/5,
		To: &g.addr, Value: value, Data: data,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: signing: %w", method, err)
	}
	raw, _ := tx.MarshalBinary()
	if err := g.rpc.CallContext(ctx, nil, "eth_sendRawTransaction", hexutil.Bytes(raw)); err != nil {
		return nil, fmt.Errorf("%s: sending: %w", method, g.rpcErr(err))
	}
	return &PendingTx{method: method, tx: tx, est: est}, nil
}

// Confirm waits for p's receipt and explains a failed one.
func (g *Gateway) Confirm(ctx context.Context, p *PendingTx) (*SentTx, error) {
	rec, err := g.waitReceipt(ctx, p.method, p.tx.Hash())
	if err != nil {
		return nil, err
	}
	if rec.Status != gethtypes.ReceiptStatusSuccessful {
		return nil, g.failure(ctx, p.method, p.tx, rec, p.est)
	}
	return &SentTx{Hash: p.tx.Hash(), Receipt: rec}, nil
}

// waitReceipt polls for the receipt of h until g.timeout.
func (g *Gateway) waitReceipt(ctx context.Context, method string, h common.Hash) (*gethtypes.Receipt, error) {
	fmt.Fprintf(g.progress, "%s: sent %s, waiting for a block…\n", method, h)
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		var rec *gethtypes.Receipt
		err := g.rpc.CallContext(ctx, &rec, "eth_getTransactionReceipt", h)
		if err == nil && rec != nil {
			return rec, nil
		}
		if err != nil && ctx.Err() == nil {
			return nil, g.rpcErr(err)
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return nil, fmt.Errorf("%s: interrupted while waiting for %s: it may still be included; look it up with eth_getTransactionReceipt", method, h)
			}
			return nil, fmt.Errorf("%s: no receipt for %s after %s: it may still be included; look it up later with eth_getTransactionReceipt or wait longer with --timeout", method, h, g.timeout)
		case <-tick.C:
		}
	}
}

// failure explains a status-0 receipt: the call is replayed on the state
// the transaction ran on (the block before its own) to recover the reason.
func (g *Gateway) failure(ctx context.Context, method string, tx *gethtypes.Transaction, rec *gethtypes.Receipt, args callArgs) error {
	gas := hexutil.Uint64(tx.Gas())
	args.Gas = &gas
	block := hexutil.EncodeBig(new(big.Int).Sub(rec.BlockNumber, big.NewInt(1)))
	var out hexutil.Bytes
	err := g.rpc.CallContext(ctx, &out, "eth_call", args, block)
	if err == nil {
		return fmt.Errorf("%s: transaction %s failed in block %s (status 0, gas used %d of %d); the reason could not be recovered", method, tx.Hash(), rec.BlockNumber, rec.GasUsed, tx.Gas())
	}
	return fmt.Errorf("%s: transaction %s failed in block %s: %w", method, tx.Hash(), rec.BlockNumber, g.rpcErr(err))
}

// Event finds the first log of the gateway's event name in rec and unpacks
// its non-indexed arguments; topics holds the indexed ones.
func (g *Gateway) Event(rec *gethtypes.Receipt, name string) (values map[string]any, topics []common.Hash, ok bool) {
	ev, found := g.abi.Events[name]
	if !found {
		return nil, nil, false
	}
	for _, l := range rec.Logs {
		if l.Address != g.addr || len(l.Topics) == 0 || l.Topics[0] != ev.ID {
			continue
		}
		values = map[string]any{}
		if err := ev.Inputs.NonIndexed().UnpackIntoMap(values, l.Data); err != nil {
			continue
		}
		return values, l.Topics[1:], true
	}
	return nil, nil, false
}

// BlockNumber is the chain's latest block number.
func (g *Gateway) BlockNumber(ctx context.Context) (uint64, error) {
	var n hexutil.Uint64
	if err := g.rpc.CallContext(ctx, &n, "eth_blockNumber"); err != nil {
		return 0, g.rpcErr(err)
	}
	return uint64(n), nil
}

// EventLog is one gateway log: its block and transaction, its
// non-indexed arguments by name and its indexed ones as topics.
type EventLog struct {
	Block  uint64
	Tx     common.Hash
	Values map[string]any
	Topics []common.Hash
}

// Events lists the gateway's logs of event name from block from to the
// latest, oldest first.
func (g *Gateway) Events(ctx context.Context, name string, from uint64) ([]EventLog, error) {
	ev, ok := g.abi.Events[name]
	if !ok {
		return nil, fmt.Errorf("client: the gateway has no event %s", name)
	}
	var logs []gethtypes.Log
	q := map[string]any{"fromBlock": hexutil.Uint64(from), "toBlock": "latest", "address": g.addr, "topics": [][]common.Hash{{ev.ID}}}
	if err := g.rpc.CallContext(ctx, &logs, "eth_getLogs", q); err != nil {
		return nil, fmt.Errorf("%s logs: %w", name, g.rpcErr(err))
	}
	res := make([]EventLog, 0, len(logs))
	for _, l := range logs {
		values := map[string]any{}
		if err := ev.Inputs.NonIndexed().UnpackIntoMap(values, l.Data); err != nil {
			return nil, fmt.Errorf("%s log in block %d: %w", name, l.BlockNumber, err)
		}
		res = append(res, EventLog{Block: l.BlockNumber, Tx: l.TxHash, Values: values, Topics: l.Topics[1:]})
	}
	return res, nil
}

func (g *Gateway) rpcErr(err error) error { return RPCError(g.url, g.home, err) }

// RPCError rewrites a transport failure as advice; JSON-RPC errors (revert
// reasons among them) keep the node's message exactly.
func RPCError(url, home string, err error) error {
	var httpErr gethrpc.HTTPError
	if errors.As(err, &httpErr) {
		var body struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(httpErr.Body, &body) == nil && body.Error.Message != "" {
			return fmt.Errorf("%s: %s", url, body.Error.Message)
		}
		return fmt.Errorf("%s answered HTTP %s: is it an Aspen node's RPC URL?", url, httpErr.Status)
	}
	var rpcErr gethrpc.Error
	if errors.As(err, &rpcErr) {
		return errors.New(rpcErr.Error())
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &opErr) || (errors.As(err, &netErr) && !errors.Is(err, context.DeadlineExceeded)) {
		if home == "" {
			home = "DIR"
		}
		return fmt.Errorf("cannot reach %s: is the node running? start it with `aspen node --home %s` (%v)", url, home, err)
	}
	return err
}

// NewGateway is a Gateway over an RPC connection the caller already has to
// the chain at url (url only names it in errors). Close closes c.
func NewGateway(c *gethrpc.Client, url string, o Options) (*Gateway, error) {
	parsed, err := gateway.ParseABI()
	if err != nil {
		return nil, err
	}
	if o.Timeout == 0 {
		o.Timeout = time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	g := &Gateway{url: url, home: o.Home, rpc: c, addr: gateway.Address, abi: parsed, key: o.Key, timeout: o.Timeout, progress: o.Progress}
	if o.Contract != nil {
		g.addr, g.abi = o.Contract.Address, o.Contract.ABI
	}
	if o.Key != nil {
		g.from = gethcrypto.PubkeyToAddress(o.Key.PublicKey)
	}
	return g, nil
}
