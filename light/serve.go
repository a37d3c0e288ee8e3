package light

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// Proxy is a local JSON-RPC endpoint a wallet can point at: the root at
// "/", each subnet at its ID ("/devnet/alpha/one"), as a node serves them.
// It answers the reads it can verify, each at the newest state of the
// chain the client can prove (a subnet's newest committed checkpoint), and
// every other method, or any answer it cannot verify, with an error.
type Proxy struct {
	c *Client
	// Exec runs eth_call on proven state (cmd/aspen: the EVM's
	// ProvenCall); nil: eth_call is refused.
	Exec Executor
}

// NewProxy serves c's verified answers.
func NewProxy(c *Client) *Proxy { return &Proxy{c: c} }

const maxProxyRequest = 1 << 20

type proxyRequest struct {
	Version string            `json:"jsonrpc"`
	ID      json.RawMessage   `json:"id"`
	Method  string            `json:"method"`
	Params  []json.RawMessage `json:"params"`
}

type proxyError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

type proxyResponse struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *proxyError     `json:"error,omitempty"`
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "JSON-RPC over POST only", http.StatusMethodNotAllowed)
		return
	}
	subnet := p.c.Trusted().Subnet
	if path := strings.TrimRight(r.URL.Path, "/"); path != "" {
		subnet = types.SubnetID(path)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxProxyRequest+1))
	if err != nil || len(body) > maxProxyRequest {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if trimmed := strings.TrimSpace(string(body)); strings.HasPrefix(trimmed, "[") {
		var reqs []proxyRequest
		if err := json.Unmarshal(body, &reqs); err != nil || len(reqs) > 100 {
			_ = json.NewEncoder(w).Encode(proxyResponse{Version: "2.0", ID: json.RawMessage("null"), Error: &proxyError{Code: -32700, Message: "invalid batch (at most 100 calls)"}})
			return
		}
		out := make([]proxyResponse, len(reqs))
		for i := range reqs {
			out[i] = p.handle(r, subnet, &reqs[i])
		}
		_ = json.NewEncoder(w).Encode(out)
		return
	}
	var req proxyRequest
	if err := json.Unmarshal(body, &req); err != nil {
		_ = json.NewEncoder(w).Encode(proxyResponse{Version: "2.0", ID: json.RawMessage("null"), Error: &proxyError{Code: -32700, Message: "parse error: " + err.Error()}})
		return
	}
	_ = json.NewEncoder(w).Encode(p.handle(r, subnet, &req))
}

func (p *Proxy) handle(r *http.Request, subnet types.SubnetID, req *proxyRequest) proxyResponse {
	res, err := p.answer(r, subnet, req)
	out := proxyResponse{Version: "2.0", ID: req.ID}
	if out.ID == nil {
		out.ID = json.RawMessage("null")
	}
	if err != nil {
		out.Error = &proxyError{Code: -32000, Message: err.Error()}
		if ce, ok := err.(codedError); ok {
			out.Error.Code = ce.code
		}
		var de dataError
		if errors.As(err, &de) {
			out.Error.Code, out.Error.Data = de.ErrorCode(), de.ErrorData()
		}
		return out
	}
	out.Result = res
	return out
}

// dataError is an error with a JSON-RPC code and data: a reverted call.
type dataError interface {
	error
	ErrorCode() int
	ErrorData() interface{}
}

type codedError struct {
	code int
	msg  string
}

func (e codedError) Error() string { return e.msg }

func badParams(format string, args ...any) error {
	return codedError{-32602, fmt.Sprintf(format, args...)}
}

func (p *Proxy) answer(r *http.Request, subnet types.SubnetID, req *proxyRequest) (any, error) {
	ctx := r.Context()
	switch req.Method {
	case "eth_chainId", "net_version":
		id, err := p.chainID(subnet)
		if err != nil {
			return nil, err
		}
		if req.Method == "net_version" {
			return fmt.Sprint(id), nil
		}
		return hexutil.Uint64(id), nil
	case "eth_blockNumber":
		a, _, err := p.c.Anchor(ctx, subnet)
		if err != nil {
			return nil, err
		}
		return hexutil.Uint64(a.Height), nil
	case "eth_getBalance", "eth_getTransactionCount", "eth_getCode":
		var addr common.Address
		if err := param(req.Params, 0, &addr); err != nil {
			return nil, err
		}
		if req.Method == "eth_getCode" {
			if err := checkBlock(req.Params, 1); err != nil {
				return nil, err
			}
			code, err := p.c.Code(ctx, subnet, addr)
			return hexutil.Bytes(code), err
		}
		proven, err := p.account(r, subnet, addr, req.Params, 1)
		if err != nil {
			return nil, err
		}
		if req.Method == "eth_getBalance" {
			return (*hexutil.Big)(proven.Account.Balance), nil
		}
		return hexutil.Uint64(proven.Account.Nonce), nil
	case "eth_getStorageAt":
		var (
			addr common.Address
			slot hexutil.Big
		)
		if err := param(req.Params, 0, &addr); err != nil {
			return nil, err
		}
		if err := param(req.Params, 1, &slot); err != nil {
			return nil, err
		}
		if slot.ToInt().Sign() < 0 || slot.ToInt().BitLen() > 256 {
			return nil, badParams("storage slot out of range")
		}
		proven, err := p.account(r, subnet, addr, req.Params, 2, common.BigToHash(slot.ToInt()))
		if err != nil {
			return nil, err
		}
		return proven.Storage[0], nil
	case "eth_call":
		if p.Exec == nil {
			break
		}
		return p.call(ctx, subnet, req.Params)
	}
	return nil, codedError{-32601, fmt.Sprintf("method %s is not served by the light client: it answers only what it can verify (eth_chainId, eth_blockNumber, eth_getBalance, eth_getTransactionCount, eth_getCode, eth_getStorageAt, eth_call)", req.Method)}
}

// callArgs is eth_call's transaction object.
type callArgs struct {
	From                 *common.Address       `json:"from"`
	To                   *common.Address       `json:"to"`
	Gas                  *hexutil.Uint64       `json:"gas"`
	GasPrice             *hexutil.Big          `json:"gasPrice"`
	MaxFeePerGas         *hexutil.Big          `json:"maxFeePerGas"`
	MaxPriorityFeePerGas *hexutil.Big          `json:"maxPriorityFeePerGas"`
	Value                *hexutil.Big          `json:"value"`
	Nonce                *hexutil.Uint64       `json:"nonce"`
	Data                 *hexutil.Bytes        `json:"data"`
	Input                *hexutil.Bytes        `json:"input"`
	AccessList           *gethtypes.AccessList `json:"accessList"`
}

func (p *Proxy) call(ctx context.Context, subnet types.SubnetID, params []json.RawMessage) (any, error) {
	var a callArgs
	if err := param(params, 0, &a); err != nil {
		return nil, err
	}
	if err := checkBlock(params, 1); err != nil {
		return nil, err
	}
	if len(params) > 2 {
		return nil, badParams("state and block overrides are not served by the light client")
	}
	if a.Data != nil && a.Input != nil && !bytes.Equal(*a.Data, *a.Input) {
		return nil, badParams("both \"data\" and \"input\" are set and differ")
	}
	var args execution.CallArgs
	if a.From != nil {
		args.From = *a.From
	}
	args.To = a.To
	if a.Gas != nil {
		args.Gas = uint64(*a.Gas)
	}
	args.GasPrice, args.MaxFeePerGas = a.GasPrice.ToInt(), a.MaxFeePerGas.ToInt()
	args.MaxPriorityFeePerGas, args.Value = a.MaxPriorityFeePerGas.ToInt(), a.Value.ToInt()
	if a.Nonce != nil {
		n := uint64(*a.Nonce)
		args.Nonce = &n
	}
	if a.Input != nil {
		args.Data = *a.Input
	} else if a.Data != nil {
		args.Data = *a.Data
	}
	if a.AccessList != nil {
		args.AccessList = *a.AccessList
	}
	out, err := p.c.Call(ctx, p.Exec, subnet, args)
	if err != nil {
		return nil, err
	}
	if out.Result.Err != nil {
		return nil, out.Result.Err
	}
	return hexutil.Bytes(out.Result.ReturnData), nil
}

func (p *Proxy) account(r *http.Request, subnet types.SubnetID, addr common.Address, params []json.RawMessage, blockAt int, slots ...common.Hash) (*Proven, error) {
	if err := checkBlock(params, blockAt); err != nil {
		return nil, err
	}
	return p.c.Account(r.Context(), subnet, addr, slots...)
}

// checkBlock accepts the tags meaning "the newest the client can prove"
// and the number of that height; older states are not kept.
func checkBlock(params []json.RawMessage, i int) error {
	if i >= len(params) {
		return nil
	}
	var tag string
	if err := json.Unmarshal(params[i], &tag); err != nil {
		return badParams("block: want a tag or a hex number")
	}
	switch tag {
	case "latest", "safe", "finalized", "":
		return nil
	}
	return badParams("block %s: the light client proves state only at the newest height it can verify; ask for \"latest\"", tag)
}

func (p *Proxy) chainID(subnet types.SubnetID) (uint64, error) {
	t := p.c.Trusted()
	if subnet == t.Subnet {
		return t.ChainID, nil
	}
	if _, err := types.ParseSubnetID(string(subnet)); err != nil || !subnet.IsAtOrBelow(t.Subnet) {
		return 0, badParams("no subnet %q in the tree of %s", subnet, t.Subnet)
	}
	return gateway.ChainIDFor(subnet), nil
}

func param(params []json.RawMessage, i int, out any) error {
	if i >= len(params) {
		return badParams("missing parameter %d", i)
	}
	if err := json.Unmarshal(params[i], out); err != nil {
		return badParams("parameter %d: %v", i, err)
	}
	return nil
}
