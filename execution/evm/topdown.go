package evm

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// ParentChain is what a child chain's executor needs of its parent: the
// top-down messages queued for it as of a parent block. The node implements
// it over the parent's runtime.
type ParentChain interface {
	// TopDown returns the messages queued for this chain with nonces from
	// fromNonce on, as of parent block ref. It fails if ref is not a final
	// block of the parent chain as this node sees it (yet).
	TopDown(ref types.ParentRef, fromNonce uint64) ([]gateway.TopDownMsg, error)
}

// ErrParentRef wraps every reason a block's parent reference is refused.
var ErrParentRef = errors.New("evm: parent reference")

// maxTopDownPerBlock bounds the parent messages one block applies; the rest
// wait for the next block (the reference still moves, nonces keep order).
const maxTopDownPerBlock = 256

// topDownBudget is the gas a block may spend on top-down work
// (gateway.TopDownGas): half its gas limit, so queued calls never crowd
// out the block's transactions. The work a block did is taken from the gas
// its transactions may use, so a block's whole work stays within its limit.
func topDownBudget(gasLimit uint64) uint64 { return gasLimit / 2 }

// applyTopDown applies, at the start of the block and before any
// transaction, the parent's messages that moving the parent reference from
// parent.ParentRef to h.ParentRef makes final, as many as fit in the block's
// top-down budget. What did not fit applies in the next blocks, even when
// their reference does not move: the messages are final at it already. The applied nonce lives in the
// gateway's storage, so re-executing the block applies the same messages and
// no message is applied twice.
func (r *blockRun) applyTopDown(parent *types.Header) error {
	from, to := parent.ParentRef, r.header.ParentRef
	switch {
	case to == from && (r.src.parent == nil || to == types.ParentRef{}):
		return nil // a root, or no parent block referenced yet
	case to.Height < from.Height || (to.Height == from.Height && to.Hash != from.Hash):
		return fmt.Errorf("%w: moves from %d to %d (backwards)", ErrParentRef, from.Height, to.Height)
	case r.src.parent == nil:
		return fmt.Errorf("%w: %s has no parent chain", ErrParentRef, r.header.SubnetID)
	}
	st := topDownState{newGatewayState(r.evm), r.statedb}
	fromNonce := gateway.AppliedTopDown(st) + 1
	msgs, err := r.src.parent.TopDown(to, fromNonce)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrParentRef, err)
	}
	if len(msgs) > maxTopDownPerBlock {
		msgs = msgs[:maxTopDownPerBlock]
	}
	before, _, err := gateway.ReadOwnSet(st)
	if err != nil {
		return err
	}
	// Every log of this work — the gateway's CrossMsgApplied and whatever
	// delivered calls emit — lands in the StateDB under the zero tx hash
	// (no transaction has started yet); they become the system logs.
	applied, used, err := r.e.gateway.ApplyTopDown(st, msgs, topDownBudget(r.header.GasLimit))
	if err != nil {
		return err
	}
	// Those not applied were only weighed against the budget: the same
	// state comes of the applied ones alone.
	r.downRead = &topDownRead{ref: to, from: fromNonce, msgs: msgs[:applied]}
	// The first message always applies and may cost more than the budget:
	// the transactions get what is left, if anything.
	if err := r.gp.CheckGasLegacy(min(used, r.gp.Available(false))); err != nil {
		return fmt.Errorf("evm: charging %d gas of top-down work: %w", used, err)
	}
	r.sysLogs = r.statedb.GetLogs(common.Hash{}, r.header.Height, common.Hash{}, r.header.Time())
	// A config change takes effect at the next height: the header carries
	// the new set so the engine learns it from the final block itself.
	after, vs, err := gateway.ReadOwnSet(st)
	if err != nil {
		return err
	}
	if after != before {
		r.header.NextValidators = vs
	}
	return nil
}

// sameValidators reports whether two sets are equal seat by seat.
func sameValidators(a, b []types.Validator) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Address != b[i].Address || a[i].Power != b[i].Power || string(a[i].BLSPublicKey) != string(b[i].BLSPublicKey) {
			return false
		}
	}
	return true
}

// genesisStorage writes the gateway's storage before any EVM exists.
type genesisStorage struct{ sdb *state.StateDB }

func (s genesisStorage) GetState(slot common.Hash) common.Hash {
	return s.sdb.GetState(gateway.Address, slot)
}

func (s genesisStorage) SetState(slot, value common.Hash) {
	s.sdb.SetState(gateway.Address, slot, value)
}

// topDownState lets the gateway mint what the parent locked for this chain.
type topDownState struct {
	gatewayState
	sdb *state.StateDB
}

func (s topDownState) Mint(to common.Address, amount *big.Int) {
	s.sdb.AddBalance(to, uint256.MustFromBig(amount), tracing.BalanceChangeUnspecified)
}

var _ gateway.ChildState = topDownState{}
