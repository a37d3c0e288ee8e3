package evm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// ErrCallAborted is returned when a call's context ends before the EVM does.
var ErrCallAborted = errors.New("evm: execution aborted")

// RevertError is a reverted call as the JSON-RPC layer reports it, exactly
// like go-ethereum's internal/ethapi revertError: code 3, the revert data in
// hex as data, and "execution reverted: <reason>" when the data is an
// Error(string).
type RevertError struct {
	err  error
	data string
}

// NewRevertError wraps the revert data of a call.
func NewRevertError(revert []byte) *RevertError {
	err := vm.ErrExecutionReverted
	if reason, uerr := abi.UnpackRevert(revert); uerr == nil {
		err = fmt.Errorf("%w: %v", vm.ErrExecutionReverted, reason)
	}
	return &RevertError{err: err, data: hexutil.Encode(revert)}
}

func (e *RevertError) Error() string { return e.err.Error() }

// Unwrap makes errors.Is(err, vm.ErrExecutionReverted) true.
func (e *RevertError) Unwrap() error { return e.err }

// ErrorCode is the JSON-RPC error code of a revert.
func (e *RevertError) ErrorCode() int { return 3 }

// ErrorData is the hex-encoded revert data.
func (e *RevertError) ErrorData() interface{} { return e.data }

// callEnv is the state and next-block context a call runs in.
type callEnv struct {
	statedb *state.StateDB
	header  *types.Header // the block the call runs in: one after the requested one
	ctx     vm.BlockContext
}

// env opens the state after header (nil: head) with overrides applied, in the
// context of the next block.
func (e *Executor) env(header *types.Header, overrides map[common.Address]execution.Override) (*callEnv, error) {
	sdb, parent, err := e.stateAt(header)
	if err != nil {
		return nil, err
	}
	if err := applyOverrides(sdb, overrides); err != nil {
		return nil, err
	}
	next := e.nextHeader(parent, parent.TimeMs+e.genesis.BlockTimeMs, parent.Proposer)
	return &callEnv{statedb: sdb, header: next, ctx: e.blockContext(next, e.store.CanonicalHash)}, nil
}

func applyOverrides(sdb *state.StateDB, overrides map[common.Address]execution.Override) error {
	addrs := make([]common.Address, 0, len(overrides))
	for a := range overrides {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	for _, addr := range addrs {
		o := overrides[addr]
		if o.State != nil && o.StateDiff != nil {
			return fmt.Errorf("account %s has both 'state' and 'stateDiff'", addr.Hex())
		}
		if o.Nonce != nil {
			sdb.SetNonce(addr, *o.Nonce, tracing.NonceChangeUnspecified)
		}
		if o.Code != nil {
			sdb.SetCode(addr, o.Code, tracing.CodeChangeUnspecified)
		}
		if o.Balance != nil {
			bal, overflow := uint256.FromBig(o.Balance)
			if overflow || o.Balance.Sign() < 0 {
				return fmt.Errorf("account %s: balance override %s does not fit 256 bits", addr.Hex(), o.Balance)
			}
			sdb.SetBalance(addr, bal, tracing.BalanceChangeUnspecified)
		}
		if o.State != nil {
			sdb.SetStorage(addr, o.State)
		}
		for k, v := range o.StateDiff {
			sdb.SetState(addr, k, v)
		}
	}
	// As if the overrides were made by a transaction just before the call.
	sdb.Finalise(params.Rules{})
	return nil
}

// toMessage turns call arguments into a message as geth's
// TransactionArgs.CallDefaults + ToMessage do: gas defaults to (and is capped
// by) gasCap, the nonce is not checked, the sender need not be an EOA.
func toMessage(args execution.CallArgs, baseFee *big.Int, gasCap uint64) (*core.Message, error) {
	if args.GasPrice != nil && (args.MaxFeePerGas != nil || args.MaxPriorityFeePerGas != nil) {
		return nil, errors.New("both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified")
	}
	if args.To == nil && args.AuthorizationList != nil {
		return nil, core.ErrSetCodeTxCreate
	}
	gas := args.Gas
	if gas == 0 {
		gas = gasCap
		if gas == 0 {
			gas = math.MaxUint64 / 2
		}
	} else if gasCap > 0 && gas > gasCap {
		gas = gasCap
	}
	u := func(name string, v *big.Int) (*uint256.Int, error) {
		if v == nil {
			return new(uint256.Int), nil
		}
		x, overflow := uint256.FromBig(v)
		if overflow || v.Sign() < 0 {
			return nil, fmt.Errorf("%s %s does not fit 256 bits", name, v)
		}
		return x, nil
	}
	value, err := u("value", args.Value)
	if err != nil {
		return nil, err
	}
	var price, feeCap, tipCap *uint256.Int
	if args.GasPrice != nil {
		if price, err = u("gasPrice", args.GasPrice); err != nil {
			return nil, err
		}
		feeCap, tipCap = price, price
	} else {
		if feeCap, err = u("maxFeePerGas", args.MaxFeePerGas); err != nil {
			return nil, err
		}
		if tipCap, err = u("maxPriorityFeePerGas", args.MaxPriorityFeePerGas); err != nil {
			return nil, err
		}
		price = new(uint256.Int)
		if !feeCap.IsZero() || !tipCap.IsZero() {
			price.Add(tipCap, uint256.MustFromBig(baseFee))
			if price.Cmp(feeCap) > 0 {
				price.Set(feeCap)
			}
		}
	}
	var nonce uint64
	if args.Nonce != nil {
		nonce = *args.Nonce
	}
	msg := &core.Message{
		From:                  args.From,
		To:                    args.To,
		Value:                 value,
		Nonce:                 nonce,
		GasLimit:              gas,
		GasPrice:              price,
		GasFeeCap:             feeCap,
		GasTipCap:             tipCap,
		Data:                  args.Data,
		AccessList:            args.AccessList,
		SetCodeAuthorizations: args.AuthorizationList,
	}
	return msg.SkipNonceCheck().SkipEOACheck().SkipGasLimitCapCheck().SkipExecutionGasCapCheck(), nil
}

// run applies msg on env's state (which it changes) with ctx cancelling the EVM.
func (e *Executor) run(ctx context.Context, env *callEnv, msg *core.Message, cfg vm.Config, gasPool uint64) (*core.ExecutionResult, error) {
	blockCtx := env.ctx
	// As geth: a zero gas price runs with a zero base fee, so free calls work.
	if msg.GasPrice.IsZero() {
		blockCtx.BaseFee = new(big.Int)
	}
	cfg.NoBaseFee = true
	evm := e.newEVM(blockCtx, env.statedb, cfg)
	defer evm.Release()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		evm.Cancel()
	}()
	if gasPool == 0 {
		gasPool = math.MaxUint64
	}
	res, err := core.ApplyMessage(evm, msg, core.NewGasPool(gasPool))
	if serr := env.statedb.Error(); serr != nil {
		return nil, serr
	}
	if evm.Cancelled() {
		return nil, fmt.Errorf("%w: %w", ErrCallAborted, context.Cause(ctx))
	}
	if err != nil {
		return res, fmt.Errorf("err: %w (supplied gas %d)", err, msg.GasLimit)
	}
	return res, nil
}

// Call runs args on the state after header (nil: head) in the context of the
// next block, with overrides, bounded by ctx and the gas cap. A revert is
// reported in CallResult.Err as a *RevertError, with the revert data in
// ReturnData; other EVM failures (out of gas, invalid opcode) as the EVM's
// error. The error return is for calls that cannot run at all.
func (e *Executor) Call(ctx context.Context, header *types.Header, args execution.CallArgs, overrides map[common.Address]execution.Override) (*execution.CallResult, error) {
	env, err := e.env(header, overrides)
	if err != nil {
		return nil, err
	}
	msg, err := toMessage(args, env.ctx.BaseFee, e.opts.GasCap)
	if err != nil {
		return nil, err
	}
	res, err := e.run(ctx, env, msg, vm.Config{}, e.opts.GasCap)
	if err != nil {
		return nil, err
	}
	out := &execution.CallResult{ReturnData: res.Return(), UsedGas: res.UsedGas, Err: res.Err}
	if errors.Is(res.Err, vm.ErrExecutionReverted) {
		out.ReturnData = res.Revert()
		out.Err = NewRevertError(res.Revert())
	}
	return out, nil
}
