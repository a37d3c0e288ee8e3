package objects

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/optimistic"
)

// Reasons a call reverts beyond the store's own (optimistic.ErrNotOwner,
// ErrNoObject, ErrBadAmount, ErrConditional, …), for errors.Is on Run's
// error; the revert reason is the full message.
var (
	ErrNoValue  = errors.New("objects: deposit needs value; send the coins to deposit with the call")
	ErrZeroAddr = errors.New("objects: transfer to the zero address would lock the object for good")
	ErrPayout   = errors.New("objects: paying a withdrawal failed")
)

// method is one IObjects function: what it does and what it costs beyond
// the base price of every call. Whether it may change state is the ABI's
// stateMutability.
type method struct {
	run func(x *call, args []any) ([]any, error)
	gas func(s *optimistic.Store, args []any) uint64
}

// methods is the one table of IObjects functions (TestMethodTableMatchesABI
// holds it and the ABI together).
var methods = map[string]method{
	"deposit": {
		run: func(x *call, _ []any) ([]any, error) { return x.deposit() },
		gas: func(*optimistic.Store, []any) uint64 { return depositGas() },
	},
	"transfer": {
		run: func(x *call, args []any) ([]any, error) {
			return nil, x.transfer(args[0].([32]byte), args[1].(common.Address))
		},
		gas: func(s *optimistic.Store, args []any) uint64 { return transferGas(s, args[0].([32]byte)) },
	},
	"split": {
		run: func(x *call, args []any) ([]any, error) { return x.split(args[0].([32]byte), args[1].(*big.Int)) },
		gas: func(s *optimistic.Store, args []any) uint64 { return splitGas(s, args[0].([32]byte)) },
	},
	"merge": {
		run: func(x *call, args []any) ([]any, error) { return x.merge(args[0].([][32]byte)) },
		gas: func(s *optimistic.Store, args []any) uint64 { return mergeGas(s, args[0].([][32]byte)) },
	},
	"withdraw": {
		run: func(x *call, args []any) ([]any, error) { return nil, x.withdraw(args[0].([32]byte)) },
		gas: func(s *optimistic.Store, args []any) uint64 { return withdrawGas(s, args[0].([32]byte)) },
	},
	"objectOf": {
		run: func(x *call, args []any) ([]any, error) { return x.objectOf(args[0].([32]byte)), nil },
		gas: func(s *optimistic.Store, args []any) uint64 { return readGas(s, args[0].([32]byte)) },
	},
	"objectsOf": {
		run: func(x *call, args []any) ([]any, error) {
			ids, total := x.store.ObjectsOf(args[0].(common.Address), args[1].(uint64), optimistic.MaxOwnerPage)
			out := make([][32]byte, len(ids))
			for i, id := range ids {
				out[i] = id
			}
			return []any{out, total}, nil
		},
		gas: func(s *optimistic.Store, args []any) uint64 {
			return objectsOfGas(s, args[0].(common.Address), args[1].(uint64))
		},
	},
}

// call is one call in progress.
type call struct {
	m     *Manager
	st    State
	c     Call
	store *optimistic.Store
}

func (x *call) height() uint64 { return x.st.BlockNumber() }

func (x *call) deposit() ([]any, error) {
	v := x.c.value()
	if v.Sign() == 0 {
		return nil, ErrNoValue
	}
	id, evs, err := x.store.Mint(x.c.Caller, optimistic.KindNative, common.Address{}, new(big.Int).Set(v), nil)
	if err != nil {
		return nil, fmt.Errorf("objects: deposit: %w", err)
	}
	emit(x.m.abi, x.st, evs)
	return []any{[32]byte(id)}, nil
}

func (x *call) transfer(id common.Hash, to common.Address) error {
	if to == (common.Address{}) {
		return ErrZeroAddr
	}
	evs, err := x.store.Transfer(x.c.Caller, id, to)
	if err != nil {
		return fmt.Errorf("objects: transfer: %w", err)
	}
	emit(x.m.abi, x.st, evs)
	return nil
}

// split makes a note of amount and one of the rest from note id.
func (x *call) split(id common.Hash, amount *big.Int) ([]any, error) {
	o, ok := x.store.Object(id)
	if !ok {
		return nil, fmt.Errorf("objects: split: %w: %x", optimistic.ErrNoObject, id)
	}
	rest := new(big.Int).Sub(o.Amount, amount)
	if amount.Sign() <= 0 || rest.Sign() <= 0 {
		return nil, fmt.Errorf("objects: split: %w: %s from a note of %s leaves no positive rest", optimistic.ErrBadAmount, amount, o.Amount)
	}
	ids, evs, err := x.store.Split(x.c.Caller, id, []*big.Int{amount, rest}, x.height())
	if err != nil {
		return nil, fmt.Errorf("objects: split: %w", err)
	}
	emit(x.m.abi, x.st, evs)
	return []any{[32]byte(ids[0]), [32]byte(ids[1])}, nil
}

func (x *call) merge(raw [][32]byte) ([]any, error) {
	ids := make([]common.Hash, len(raw))
	for i, id := range raw {
		ids[i] = id
	}
	id, evs, err := x.store.Merge(x.c.Caller, ids, x.height())
	if err != nil {
		return nil, fmt.Errorf("objects: merge: %w", err)
	}
	emit(x.m.abi, x.st, evs)
	return []any{[32]byte(id)}, nil
}

// withdraw pays an unconditional native note out to its owner.
func (x *call) withdraw(id common.Hash) error {
	o, ok := x.store.Object(id)
	if ok && o.Kind != optimistic.KindNative {
		return fmt.Errorf("objects: withdraw: %w: only native notes are wired", optimistic.ErrBadKind)
	}
	evs, err := x.store.Withdraw(x.c.Caller, id)
	if err != nil {
		return fmt.Errorf("objects: withdraw: %w", err)
	}
	if err := x.st.Transfer(Address, o.Owner, o.Amount); err != nil {
		return fmt.Errorf("%w: %s wei to %s: %w (the contract's balance no longer covers its notes)", ErrPayout, o.Amount, o.Owner, err)
	}
	emit(x.m.abi, x.st, evs)
	return nil
}

// abiClaim is a Claim as the ABI's tuple packs it.
type abiClaim struct {
	Subnet string
	Height uint64
	Hash   [32]byte
}

func toABI(c optimistic.Claim) abiClaim { return abiClaim{string(c.Subnet), c.Height, c.Hash} }

func (x *call) objectOf(id common.Hash) []any {
	o, ok := x.store.Object(id)
	if !ok {
		return []any{common.Address{}, uint8(0), common.Address{}, new(big.Int), false, []abiClaim{}}
	}
	deps := make([]abiClaim, len(o.Deps))
	for i, c := range o.Deps {
		deps[i] = toABI(c)
	}
	return []any{o.Owner, uint8(o.Kind), o.Token, o.Amount, o.Frozen, deps}
}

// emit logs one event per store event.
func emit(a abi.ABI, st State, evs []optimistic.Event) {
	for _, e := range evs {
		id := e.Object
		amount := e.Amount
		if amount == nil {
			amount = new(big.Int)
		}
		owner := common.BytesToHash(e.Owner.Bytes())
		switch e.Kind {
		case optimistic.EvCreated:
			log(a, st, "Created", []common.Hash{id, owner}, amount)
		case optimistic.EvConsumed:
			log(a, st, "Consumed", []common.Hash{id, owner}, amount)
		case optimistic.EvTransferred:
			log(a, st, "Transferred", []common.Hash{id, owner})
		case optimistic.EvFrozen:
			log(a, st, "Frozen", []common.Hash{id}, toABI(e.Claim))
		case optimistic.EvWithdrawn:
			log(a, st, "Withdrawn", []common.Hash{id, owner}, amount)
		case optimistic.EvClaimDecided:
			log(a, st, "ClaimDecided", nil, toABI(e.Claim), e.Verdict, false)
		case optimistic.EvClaimExpired:
			log(a, st, "ClaimDecided", nil, toABI(e.Claim), false, true)
		case optimistic.EvSettled:
			log(a, st, "Settled", []common.Hash{id}, toABI(e.Claim), e.Unconditional)
		case optimistic.EvDeleted:
			log(a, st, "Deleted", []common.Hash{id, owner}, amount)
		case optimistic.EvRestored:
			log(a, st, "Restored", []common.Hash{id, owner}, amount)
		case optimistic.EvFrozenDestroyed:
			log(a, st, "FrozenDestroyed", []common.Hash{id, owner}, amount)
		default:
			// Move and Receive are not wired: nothing here makes these events.
			panic(fmt.Sprintf("objects: store event %d has no log", e.Kind))
		}
	}
}

// log emits event name with the indexed topics (after the event's own) and
// the non-indexed arguments.
func log(a abi.ABI, st State, name string, indexed []common.Hash, args ...any) {
	ev := a.Events[name]
	data, err := ev.Inputs.NonIndexed().Pack(args...)
	if err != nil {
		panic(fmt.Sprintf("objects: event %s does not pack: %v", name, err))
	}
	st.AddLog(append([]common.Hash{ev.ID}, indexed...), data)
}
