package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/execution"
)

// txArgs is the spec's GenericTransaction: the argument of eth_call,
// eth_estimateGas, eth_createAccessList and eth_fillTransaction.
type txArgs struct {
	From                 *common.Address                  `json:"from"`
	To                   *common.Address                  `json:"to"`
	Gas                  *hexutil.Uint64                  `json:"gas"`
	GasPrice             *hexutil.Big                     `json:"gasPrice"`
	MaxFeePerGas         *hexutil.Big                     `json:"maxFeePerGas"`
	MaxPriorityFeePerGas *hexutil.Big                     `json:"maxPriorityFeePerGas"`
	MaxFeePerBlobGas     *hexutil.Big                     `json:"maxFeePerBlobGas"`
	Value                *hexutil.Big                     `json:"value"`
	Nonce                *hexutil.Uint64                  `json:"nonce"`
	Data                 *hexutil.Bytes                   `json:"data"`
	Input                *hexutil.Bytes                   `json:"input"`
	AccessList           *gethtypes.AccessList            `json:"accessList"`
	ChainID              *hexutil.Big                     `json:"chainId"`
	Type                 *hexutil.Uint64                  `json:"type"`
	AuthorizationList    []gethtypes.SetCodeAuthorization `json:"authorizationList"`
	BlobHashes           []common.Hash                    `json:"blobVersionedHashes"`
	Blobs                []hexutil.Bytes                  `json:"blobs"`
}

// data is the call data; "input" is the spec's name, "data" the legacy one.
func (a *txArgs) data() ([]byte, error) {
	if a.Input != nil && a.Data != nil && !bytes.Equal(*a.Input, *a.Data) {
		return nil, invalidParams(`both "data" and "input" are set and not equal. Please use "input" to pass transaction call data`)
	}
	if a.Input != nil {
		return *a.Input, nil
	}
	if a.Data != nil {
		return *a.Data, nil
	}
	return nil, nil
}

// callArgs checks and converts the arguments; gas defaults to, and is capped
// by, the call gas cap.
func (s *subnetAPI) callArgs(a txArgs) (execution.CallArgs, error) {
	var out execution.CallArgs
	if a.GasPrice != nil && (a.MaxFeePerGas != nil || a.MaxPriorityFeePerGas != nil) {
		return out, invalidParams("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
	}
	if a.MaxFeePerGas != nil && a.MaxPriorityFeePerGas != nil && a.MaxFeePerGas.ToInt().Cmp(a.MaxPriorityFeePerGas.ToInt()) < 0 {
		return out, invalidParams("maxFeePerGas (%v) < maxPriorityFeePerGas (%v)", a.MaxFeePerGas, a.MaxPriorityFeePerGas)
	}
	if len(a.BlobHashes) > 0 || len(a.Blobs) > 0 || a.MaxFeePerBlobGas != nil {
		return out, invalidParams("blob transactions are not supported on Aspen subnets")
	}
	if a.ChainID != nil && a.ChainID.ToInt().Cmp(s.b.ChainID()) != 0 {
		return out, invalidParams("chainId does not match node's (have=%v, want=%v)", a.ChainID.ToInt(), s.b.ChainID())
	}
	data, err := a.data()
	if err != nil {
		return out, err
	}
	if a.From != nil {
		out.From = *a.From
	}
	out.To = a.To
	out.Gas = s.gasCap()
	if a.Gas != nil && uint64(*a.Gas) < out.Gas {
		out.Gas = uint64(*a.Gas)
	}
	out.GasPrice = (*big.Int)(a.GasPrice)
	out.MaxFeePerGas = (*big.Int)(a.MaxFeePerGas)
	out.MaxPriorityFeePerGas = (*big.Int)(a.MaxPriorityFeePerGas)
	out.Value = (*big.Int)(a.Value)
	out.Data = data
	if a.Nonce != nil {
		n := uint64(*a.Nonce)
		out.Nonce = &n
	}
	if a.AccessList != nil {
		out.AccessList = *a.AccessList
	}
	out.AuthorizationList = a.AuthorizationList
	return out, nil
}

// gasCap is the tighter of the configured cap and the backend's.
func (s *subnetAPI) gasCap() uint64 {
	c := s.cfg.GasCap
	if bc := s.b.GasCap(); bc != 0 && bc < c {
		c = bc
	}
	return c
}

// overrideAccount is one account of an eth_call state override.
type overrideAccount struct {
	Nonce     *hexutil.Uint64             `json:"nonce"`
	Code      *hexutil.Bytes              `json:"code"`
	Balance   *hexutil.Big                `json:"balance"`
	State     map[common.Hash]common.Hash `json:"state"`
	StateDiff map[common.Hash]common.Hash `json:"stateDiff"`
	MoveTo    *common.Address             `json:"movePrecompileToAddress"`
}

type stateOverride map[common.Address]overrideAccount

func (o *stateOverride) convert() (map[common.Address]execution.Override, error) {
	if o == nil || len(*o) == 0 {
		return nil, nil
	}
	out := make(map[common.Address]execution.Override, len(*o))
	for addr, acc := range *o {
		if acc.State != nil && acc.StateDiff != nil {
			return nil, invalidParams("account %s has both 'state' and 'stateDiff'", addr.Hex())
		}
		if acc.MoveTo != nil {
			return nil, invalidParams("movePrecompileToAddress is not supported")
		}
		ov := execution.Override{State: acc.State, StateDiff: acc.StateDiff, Balance: (*big.Int)(acc.Balance)}
		if acc.Nonce != nil {
			n := uint64(*acc.Nonce)
			ov.Nonce = &n
		}
		if acc.Code != nil {
			ov.Code = append([]byte{}, *acc.Code...)
		}
		out[addr] = ov
	}
	return out, nil
}

// callError maps an error of a bounded call: a timeout says so as geth does.
func (s *subnetAPI) callError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("execution aborted (timeout = %v)", s.cfg.CallTimeout)
	}
	return err
}

// Call is eth_call. A revert is geth's error: code 3, "execution reverted:
// <reason>", the revert data as hex.
func (e *ethAPI) Call(ctx context.Context, args txArgs, ref *BlockRef, overrides *stateOverride) (hexutil.Bytes, error) {
	ca, err := e.callArgs(args)
	if err != nil {
		return nil, err
	}
	ov, err := overrides.convert()
	if err != nil {
		return nil, err
	}
	h, err := e.stateHeader(ref)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.CallTimeout)
	defer cancel()
	res, err := e.b.Call(ctx, h, ca, ov)
	if err != nil {
		return nil, e.callError(ctx, err)
	}
	if res.Err != nil {
		return nil, evmError(res)
	}
	return nonNilBytes(res.ReturnData), nil
}

// evmError turns a failed call's EVM error into geth's JSON-RPC error.
func evmError(res *execution.CallResult) error {
	if _, ok := res.Err.(gethrpc.DataError); ok {
		return res.Err
	}
	if strings.HasPrefix(res.Err.Error(), "execution reverted") {
		return newRevertError(res.ReturnData)
	}
	return res.Err
}

func nonNilBytes(b []byte) hexutil.Bytes {
	if b == nil {
		return hexutil.Bytes{}
	}
	return b
}

// EstimateGas is eth_estimateGas.
func (e *ethAPI) EstimateGas(ctx context.Context, args txArgs, ref *BlockRef, overrides *stateOverride) (hexutil.Uint64, error) {
	ca, err := e.callArgs(args)
	if err != nil {
		return 0, err
	}
	ov, err := overrides.convert()
	if err != nil {
		return 0, err
	}
	pending := BlockRef{Tag: tagPending}
	if ref == nil {
		ref = &pending // geth estimates against the pending state by default
	}
	h, err := e.stateHeader(ref)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.CallTimeout)
	defer cancel()
	gas, err := e.b.EstimateGas(ctx, h, ca, ov)
	if err != nil {
		return 0, e.callError(ctx, err)
	}
	return hexutil.Uint64(gas), nil
}

type accessListResult struct {
	AccessList *gethtypes.AccessList `json:"accessList"`
	Error      string                `json:"error,omitempty"`
	GasUsed    hexutil.Uint64        `json:"gasUsed"`
}

// CreateAccessList is eth_createAccessList.
func (e *ethAPI) CreateAccessList(ctx context.Context, args txArgs, ref *BlockRef) (*accessListResult, error) {
	ca, err := e.callArgs(args)
	if err != nil {
		return nil, err
	}
	h, err := e.stateHeader(ref)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.CallTimeout)
	defer cancel()
	acl, gas, err := e.b.CreateAccessList(ctx, h, ca)
	if err != nil {
		if _, reverted := err.(gethrpc.DataError); reverted {
			// geth reports a failing transaction inside the result
			return &accessListResult{AccessList: &gethtypes.AccessList{}, Error: err.Error(), GasUsed: hexutil.Uint64(gas)}, nil
		}
		return nil, e.callError(ctx, err)
	}
	if acl == nil {
		acl = gethtypes.AccessList{}
	}
	return &accessListResult{AccessList: &acl, GasUsed: hexutil.Uint64(gas)}, nil
}
