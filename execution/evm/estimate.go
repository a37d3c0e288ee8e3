package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/core/vm"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth/tracers/logger"
	"github.com/ethereum/go-ethereum/params"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/types"
)

// estimateErrorRatio is geth's: an estimate may be up to 1.5% high, which
// saves most of the binary search.
const estimateErrorRatio = 0.015

// EstimateGas binary-searches the least gas with which args succeeds on the
// state after header (nil: head), as go-ethereum's eth/gasestimator does. A
// reverting call returns a *RevertError carrying the revert data.
func (e *Executor) EstimateGas(ctx context.Context, header *types.Header, args execution.CallArgs, overrides map[common.Address]execution.Override) (uint64, error) {
	env, err := e.env(header, overrides)
	if err != nil {
		return 0, err
	}
	msg, err := toMessage(args, env.ctx.BaseFee, e.opts.GasCap)
	if err != nil {
		return 0, err
	}
	msg.GasLimit = args.Gas // 0: search up to the block gas limit
	if args.Gas > e.opts.GasCap {
		msg.GasLimit = e.opts.GasCap
	}
	gas, revert, err := e.estimate(ctx, env, msg)
	if err != nil {
		if errors.Is(err, vm.ErrExecutionReverted) {
			return 0, NewRevertError(revert)
		}
		return 0, err
	}
	return gas, nil
}

func (e *Executor) estimate(ctx context.Context, env *callEnv, call *core.Message) (uint64, []byte, error) {
	var lo, hi uint64
	hi = env.header.GasLimit
	if call.GasLimit >= params.TxGas {
		hi = call.GasLimit
	}
	feeCap := call.GasFeeCap
	if feeCap == nil {
		feeCap = call.GasPrice
	}
	if feeCap != nil && !feeCap.IsZero() {
		available := env.statedb.GetBalance(call.From).Clone()
		if call.Value != nil {
			if call.Value.Cmp(available) >= 0 {
				return 0, nil, core.ErrInsufficientFundsForTransfer
			}
			available.Sub(available, call.Value)
		}
		allowance := new(uint256.Int).Div(available, feeCap)
		if allowance.IsUint64() && hi > allowance.Uint64() {
			hi = allowance.Uint64()
		}
	}
	if gasCap := e.opts.GasCap; gasCap != 0 && hi > gasCap {
		hi = gasCap
	}
	// A plain transfer costs exactly what it uses with 21000 gas.
	if len(call.Data) == 0 && call.To != nil && env.statedb.GetCodeSize(*call.To) == 0 {
		failed, res, err := e.tryGas(ctx, env, call, params.TxGas)
		if !failed && err == nil {
			return res.UsedGas, nil, nil
		}
	}
	failed, res, err := e.tryGas(ctx, env, call, hi)
	if err != nil {
		return 0, nil, err
	}
	if failed {
		if res != nil && !errors.Is(res.Err, vm.ErrOutOfGas) {
			return 0, res.Revert(), res.Err
		}
		return 0, nil, fmt.Errorf("gas required exceeds allowance (%d)", hi)
	}
	lo = res.UsedGas - 1
	if optimistic := (res.MaxUsedGas + params.CallStipend) * 64 / 63; optimistic < hi {
		failed, _, err = e.tryGas(ctx, env, call, optimistic)
		if err != nil {
			return 0, nil, err
		}
		if failed {
			lo = optimistic
		} else {
			hi = optimistic
		}
	}
	for lo+1 < hi {
		if float64(hi-lo)/float64(hi) < estimateErrorRatio {
			break
		}
		mid := lo + (hi-lo)/2
		if mid > lo*2 {
			mid = lo * 2 // most calls need little more than they used: bisect low
		}
		failed, _, err = e.tryGas(ctx, env, call, mid)
		if err != nil {
			return 0, nil, err
		}
		if failed {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi, nil, nil
}

// tryGas runs call with gas on a copy of env's state; failed reports an EVM
// failure or too little gas, err a failure that more gas cannot fix.
func (e *Executor) tryGas(ctx context.Context, env *callEnv, call *core.Message, gas uint64) (failed bool, res *core.ExecutionResult, err error) {
	msg := *call
	msg.GasLimit = gas
	try := &callEnv{statedb: env.statedb.Copy(), header: env.header, ctx: env.ctx}
	res, err = e.run(ctx, try, &msg, vm.Config{}, 0)
	if err != nil {
		if errors.Is(err, core.ErrIntrinsicGas) || errors.Is(err, core.ErrFloorDataGas) || errors.Is(err, core.ErrGasLimitTooHigh) {
			return true, nil, nil
		}
		return true, nil, err
	}
	return res.Failed(), res, nil
}

// CreateAccessList returns the access list args touches on the state after
// header (nil: head) and the gas used with it, iterating as geth does until
// the list is stable. If the call itself fails in the EVM, the list and gas
// are still returned, with the EVM error (a *RevertError for reverts); a nil
// list means the call could not run at all.
func (e *Executor) CreateAccessList(ctx context.Context, header *types.Header, args execution.CallArgs) (gethtypes.AccessList, uint64, error) {
	env, err := e.env(header, nil)
	if err != nil {
		return nil, 0, err
	}
	if args.Nonce == nil {
		n := env.statedb.GetNonce(args.From)
		args.Nonce = &n
	}
	to := crypto.CreateAddress(args.From, *args.Nonce)
	if args.To != nil {
		to = *args.To
	}
	exclude := map[common.Address]struct{}{args.From: {}, to: {}}
	for _, addr := range vm.ActivePrecompiles(e.rules(env.header)) {
		exclude[addr] = struct{}{}
	}
	for _, auth := range args.AuthorizationList {
		if authority, err := auth.Authority(); err == nil {
			exclude[authority] = struct{}{}
		}
	}
	prev := logger.NewAccessListTracer(args.AccessList, exclude)
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		list := prev.AccessList()
		args.AccessList = list
		msg, err := toMessage(args, env.ctx.BaseFee, e.opts.GasCap)
		if err != nil {
			return nil, 0, err
		}
		tracer := logger.NewAccessListTracer(list, exclude)
		try := &callEnv{statedb: env.statedb.Copy(), header: env.header, ctx: env.ctx}
		res, err := e.run(ctx, try, msg, vm.Config{Tracer: tracer.Hooks()}, 0)
		if err != nil {
			return nil, 0, err
		}
		if tracer.Equal(prev) {
			if list == nil {
				list = gethtypes.AccessList{}
			}
			if errors.Is(res.Err, vm.ErrExecutionReverted) {
				return list, res.UsedGas, NewRevertError(res.Revert())
			}
			return list, res.UsedGas, res.Err
		}
		prev = tracer
	}
}

// SuggestTip is the priority fee the node suggests.
func (e *Executor) SuggestTip() *big.Int { return new(big.Int).Set(e.opts.SuggestedTip) }

// NextBaseFee is the base fee of the block after the head.
func (e *Executor) NextBaseFee() *big.Int { return e.nextBaseFee(e.Head()) }

// GasCap bounds the gas of eth_call and eth_estimateGas.
func (e *Executor) GasCap() uint64 { return e.opts.GasCap }
