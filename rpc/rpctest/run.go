package rpctest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// MayFail are the spec methods an Aspen node answers with an error by design
// (no unlocked accounts, no block access lists, no simulation); the harness
// validates their result only when they succeed.
var MayFail = map[string]bool{
	"eth_sign":               true,
	"eth_signTransaction":    true,
	"eth_sendTransaction":    true,
	"eth_simulateV1":         true,
	"eth_getBlockAccessList": true,
	"eth_sendRawTransaction": true, // without Options.RawTx the harness sends junk
}

// Options tune a run.
type Options struct {
	// RawTx, if set, is a signed transaction eth_sendRawTransaction must accept.
	RawTx []byte
	// ScanBlocks is how far back from the head to look for transactions (256).
	ScanBlocks uint64
}

// Result is the outcome of one call.
type Result struct {
	Method string
	Params []any
	Raw    json.RawMessage
	// Err is the call's error or the validation failure; nil when it passed.
	Err error
}

func (r Result) String() string {
	p, _ := json.Marshal(r.Params)
	if r.Err != nil {
		return fmt.Sprintf("%s %s: %v", r.Method, p, r.Err)
	}
	return fmt.Sprintf("%s %s: ok", r.Method, p)
}

// Report is a whole run.
type Report struct {
	Results []Result
	// Uncalled lists spec methods the run made no call to.
	Uncalled []string
}

// Failures are the results that did not pass.
func (r *Report) Failures() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Err != nil {
			out = append(out, res)
		}
	}
	return out
}

// fixture is what the run learned of the chain to build parameters from.
type fixture struct {
	head        uint64
	blockNumber string // a block with transactions (or the head)
	blockHash   string
	txs         []string
	from, to    string
	contract    string
	logAddress  string
}

// Run calls every spec method through c with parameters derived from the
// chain, and validates each result.
func Run(ctx context.Context, c Caller, spec *Spec, opts Options) (*Report, error) {
	if opts.ScanBlocks == 0 {
		opts.ScanBlocks = 256
	}
	fx, err := discover(ctx, c, opts.ScanBlocks)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	called := map[string]bool{}
	call := func(method string, params ...any) json.RawMessage {
		called[method] = true
		res := Result{Method: method, Params: params}
		raw, err := c.Call(ctx, method, params...)
		res.Raw = raw
		switch {
		case err != nil && MayFail[method]:
			var re *RPCError
			if !errors.As(err, &re) {
				res.Err = err
			}
		case err != nil:
			res.Err = err
		default:
			res.Err = spec.Validate(method, raw)
		}
		rep.Results = append(rep.Results, res)
		if res.Err != nil {
			return nil
		}
		return raw
	}
	for _, m := range []string{"eth_chainId", "eth_blockNumber", "eth_syncing", "eth_coinbase", "eth_accounts",
		"eth_config", "eth_capabilities", "net_version", "eth_gasPrice", "eth_baseFee", "eth_blobBaseFee",
		"eth_maxPriorityFeePerGas"} {
		call(m)
	}
	past := "0x" + strconv.FormatUint(fx.head+1000, 16)
	for _, tag := range []string{"latest", "earliest", "safe", "finalized", "pending", fx.blockNumber, past} {
		call("eth_getBlockByNumber", tag, false)
		call("eth_getBlockByNumber", tag, true)
	}
	zeroHash := "0x" + strings.Repeat("0", 64)
	call("eth_getBlockByHash", fx.blockHash, false)
	call("eth_getBlockByHash", fx.blockHash, true)
	call("eth_getBlockByHash", zeroHash, false)
	call("eth_getBlockTransactionCountByHash", fx.blockHash)
	call("eth_getBlockTransactionCountByNumber", fx.blockNumber)
	call("eth_getBlockTransactionCountByNumber", "latest")
	call("eth_getBlockReceipts", fx.blockNumber)
	call("eth_getBlockReceipts", fx.blockHash)
	call("eth_getBlockReceipts", "latest")
	call("eth_getBlockAccessList", "latest")
	for _, tx := range fx.txs {
		call("eth_getTransactionByHash", tx)
		call("eth_getTransactionReceipt", tx)
	}
	call("eth_getTransactionByHash", zeroHash)
	call("eth_getTransactionReceipt", zeroHash)
	call("eth_getTransactionByBlockHashAndIndex", fx.blockHash, "0x0")
	call("eth_getTransactionByBlockNumberAndIndex", fx.blockNumber, "0x0")

	call("eth_getBalance", fx.from, "latest")
	call("eth_getBalance", fx.from, "earliest")
	call("eth_getBalance", fx.from, map[string]any{"blockHash": fx.blockHash, "requireCanonical": true})
	call("eth_getStorageAt", fx.contract, "0x0", "latest")
	call("eth_getStorageValues", map[string]any{fx.contract: []string{"0x0", "0x1"}}, "latest")
	call("eth_getTransactionCount", fx.from, "latest")
	call("eth_getTransactionCount", fx.from, "pending")
	call("eth_getCode", fx.contract, "latest")
	call("eth_getProof", fx.from, []string{zeroHash}, "latest")
	call("eth_getProof", fx.contract, []string{"0x1"}, fx.blockNumber)

	callTx := map[string]any{"from": fx.from, "to": fx.to, "input": "0x"}
	call("eth_call", callTx, "latest")
	call("eth_estimateGas", map[string]any{"from": fx.from, "to": fx.to, "value": "0x1"})
	call("eth_createAccessList", callTx, "latest")
	call("eth_feeHistory", "0x4", "latest", []float64{25, 75})
	call("eth_feeHistory", "0x2", fx.blockNumber, []float64{})
	call("eth_fillTransaction", map[string]any{"from": fx.from, "to": fx.to, "value": "0x1"})

	logFilter := map[string]any{"fromBlock": fx.blockNumber, "toBlock": "latest"}
	if raw := call("eth_newFilter", logFilter); raw != nil {
		var id string
		_ = json.Unmarshal(raw, &id)
		call("eth_getFilterChanges", id)
		call("eth_getFilterLogs", id)
		call("eth_uninstallFilter", id)
	}
	for _, m := range []string{"eth_newBlockFilter", "eth_newPendingTransactionFilter"} {
		if raw := call(m); raw != nil {
			var id string
			_ = json.Unmarshal(raw, &id)
			call("eth_getFilterChanges", id)
			call("eth_uninstallFilter", id)
		}
	}
	call("eth_getLogs", map[string]any{"fromBlock": fx.blockNumber, "toBlock": fx.blockNumber})
	call("eth_getLogs", map[string]any{"blockHash": fx.blockHash})
	if fx.logAddress != "" {
		call("eth_getLogs", map[string]any{"fromBlock": "earliest", "toBlock": "latest", "address": fx.logAddress})
	}

	call("eth_sign", fx.from, "0xdeadbeef")
	call("eth_signTransaction", callTx)
	call("eth_sendTransaction", callTx)
	call("eth_simulateV1", map[string]any{"blockStateCalls": []any{}}, "latest")
	if opts.RawTx != nil {
		raw, err := c.Call(ctx, "eth_sendRawTransaction", fmt.Sprintf("0x%x", opts.RawTx))
		res := Result{Method: "eth_sendRawTransaction", Params: []any{"<RawTx>"}, Raw: raw, Err: err}
		if err == nil {
			res.Err = spec.Validate("eth_sendRawTransaction", raw)
		}
		called["eth_sendRawTransaction"] = true
		rep.Results = append(rep.Results, res)
	} else {
		call("eth_sendRawTransaction", "0x00")
	}
	for _, m := range spec.Methods() {
		if !called[m] {
			rep.Uncalled = append(rep.Uncalled, m)
		}
	}
	return rep, nil
}

// discover finds the newest block with transactions and facts about it.
func discover(ctx context.Context, c Caller, scan uint64) (*fixture, error) {
	raw, err := c.Call(ctx, "eth_blockNumber")
	if err != nil {
		return nil, fmt.Errorf("rpctest: eth_blockNumber: %w", err)
	}
	var headHex string
	if err := json.Unmarshal(raw, &headHex); err != nil {
		return nil, fmt.Errorf("rpctest: eth_blockNumber: %w", err)
	}
	head, err := strconv.ParseUint(strings.TrimPrefix(headHex, "0x"), 16, 64)
	if err != nil {
		return nil, fmt.Errorf("rpctest: eth_blockNumber %q: %w", headHex, err)
	}
	zeroAddr := "0x" + strings.Repeat("0", 40)
	fx := &fixture{head: head, from: zeroAddr, to: zeroAddr, contract: zeroAddr}
	type block struct {
		Hash   string `json:"hash"`
		Number string `json:"number"`
		Txs    []struct {
			Hash string  `json:"hash"`
			From string  `json:"from"`
			To   *string `json:"to"`
		} `json:"transactions"`
	}
	var found *block
	for n := head; ; n-- {
		raw, err := c.Call(ctx, "eth_getBlockByNumber", "0x"+strconv.FormatUint(n, 16), true)
		if err != nil {
			return nil, fmt.Errorf("rpctest: eth_getBlockByNumber %d: %w", n, err)
		}
		var b block
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("rpctest: eth_getBlockByNumber %d: %w", n, err)
		}
		if found == nil {
			found = &b
		}
		if len(b.Txs) > 0 {
			if len(found.Txs) == 0 {
				found = &b
			}
			for _, tx := range b.Txs {
				fx.txs = append(fx.txs, tx.Hash)
				if fx.from == zeroAddr {
					fx.from = tx.From
				}
				if tx.To != nil && fx.to == zeroAddr {
					fx.to = *tx.To
				}
			}
			if err := fx.learnReceipts(ctx, c, &b.Hash, b.Number); err != nil {
				return nil, err
			}
		}
		if n == 0 || head-n+1 >= scan || len(fx.txs) >= 32 {
			break
		}
	}
	fx.blockHash, fx.blockNumber = found.Hash, found.Number
	return fx, nil
}

// learnReceipts reads a block's receipts by number, filling in the block
// hash from them if the block itself did not give one.
func (fx *fixture) learnReceipts(ctx context.Context, c Caller, blockHash *string, number string) error {
	raw, err := c.Call(ctx, "eth_getBlockReceipts", number)
	if err != nil {
		return fmt.Errorf("rpctest: eth_getBlockReceipts %s: %w", number, err)
	}
	var receipts []struct {
		BlockHash       string  `json:"blockHash"`
		ContractAddress *string `json:"contractAddress"`
		Logs            []struct {
			Address string `json:"address"`
		} `json:"logs"`
	}
	if err := json.Unmarshal(raw, &receipts); err != nil {
		return fmt.Errorf("rpctest: eth_getBlockReceipts %s: %w", number, err)
	}
	for _, r := range receipts {
		if *blockHash == "" {
			*blockHash = r.BlockHash
		}
		if r.ContractAddress != nil && strings.HasSuffix(fx.contract, strings.Repeat("0", 40)) {
			fx.contract = *r.ContractAddress
		}
		for _, l := range r.Logs {
			if fx.logAddress == "" {
				fx.logAddress = l.Address
			}
		}
	}
	return nil
}

// Check runs the harness against c and reports every failure, and every
// spec method it could not call, as a test error.
func Check(t testing.TB, c Caller, opts Options) *Report {
	t.Helper()
	spec, err := LoadSpec(SpecDir())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), c, spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Failures() {
		t.Errorf("conformance: %v", f)
	}
	for _, m := range rep.Uncalled {
		t.Errorf("conformance: spec method %s was not called", m)
	}
	return rep
}
