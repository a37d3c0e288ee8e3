package evm

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/vm"
)

// frame is one call frame as OnEnter reported it.
type frame struct {
	typ    vm.OpCode
	from   common.Address
	to     common.Address
	value  *big.Int
	static bool // this frame or one of its callers is a STATICCALL
}

// frames is the call stack of one EVM, shared by its system contracts
// (system.go explains why they need one).
type frames struct{ stack []frame }

func (f *frames) enter(depth int, typ byte, from, to common.Address, value *big.Int) {
	if depth == 0 && !f.systemCalling(from) {
		f.stack = f.stack[:0] // a new message: nothing of the last one survives
	}
	op := vm.OpCode(typ)
	static := op == vm.STATICCALL
	if n := len(f.stack); n > 0 && f.stack[n-1].static {
		static = true
	}
	f.stack = append(f.stack, frame{typ: op, from: from, to: to, value: value, static: static})
}

// systemCalling reports whether a call from `from` is a system contract
// calling out from its own frame: the gateway running a delivered
// cross-message call (gatewayState.CallContract) or the HTLC contract
// calling a token (htlcState.CallContract). A precompile runs at its
// caller's depth, so when a transaction calls one directly that call also
// enters at depth 0, and must not wipe the stack.
func (f *frames) systemCalling(from common.Address) bool {
	n := len(f.stack)
	return isSystem(from) && n > 0 && f.stack[n-1].to == from
}

func (f *frames) exit() {
	if n := len(f.stack); n > 0 {
		f.stack = f.stack[:n-1]
	}
}

// hooks returns base (which may be nil) with the frame tracking added.
func (f *frames) hooks(base *tracing.Hooks) *tracing.Hooks {
	h := &tracing.Hooks{}
	if base != nil {
		*h = *base
	}
	// EmitEnter and EmitExit call the V2 hook instead of the V1 hook when both
	// are set, so wrap whichever base uses.
	if next := h.OnEnterV2; next != nil {
		h.OnEnterV2 = func(depth int, typ byte, from, to common.Address, input []byte, gas tracing.Gas, value *big.Int) {
			f.enter(depth, typ, from, to, value)
			next(depth, typ, from, to, input, gas, value)
		}
	} else {
		next := h.OnEnter
		h.OnEnter = func(depth int, typ byte, from, to common.Address, input []byte, gas uint64, value *big.Int) {
			f.enter(depth, typ, from, to, value)
			if next != nil {
				next(depth, typ, from, to, input, gas, value)
			}
		}
	}
	if next := h.OnExitV2; next != nil {
		h.OnExitV2 = func(depth int, output []byte, gasLeft tracing.Gas, err error, reverted bool) {
			f.exit()
			next(depth, output, gasLeft, err, reverted)
		}
	} else {
		next := h.OnExit
		h.OnExit = func(depth int, output []byte, gasUsed uint64, err error, reverted bool) {
			f.exit()
			if next != nil {
				next(depth, output, gasUsed, err, reverted)
			}
		}
	}
	return h
}
