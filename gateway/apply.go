package gateway

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// The child side of top-down: when a block moves its parent reference
// forward, the child applies, in order and exactly once, the messages its
// parent queued for it. The nonce of the last one applied lives in the
// child's own gateway storage, so every node that executes the block agrees
// on what was applied and a message can never be applied twice.

// ErrTopDownOrder is returned when messages are not the next ones in order.
var ErrTopDownOrder = errors.New("gateway: top-down messages out of order")

// ChildState is what applying top-down messages may do: State, plus minting
// the value the parent locked (the child's supply grows exactly by what the
// parent's circulating supply for it grew).
type ChildState interface {
	State
	Mint(to common.Address, amount *big.Int)
}

// AppliedSlot is the storage slot of the last applied top-down nonce; a
// child's genesis sets it to the nonce its genesis funds went up to.
func AppliedSlot() common.Hash { return slotOf(tagApplied) }

// AppliedTopDown is the nonce of the last parent message applied here.
func AppliedTopDown(st StateReader) uint64 { return wordU64(st.GetState(AppliedSlot())) }

// ApplyTopDown applies msgs, which must continue the applied sequence
// without a gap, while their gas (TopDownGas, each priced on the state it
// finds) fits in budget; the first always applies, so every block that
// moves its parent reference makes progress. It returns how many it applied
// and their gas: the caller takes that gas from the block's transactions.
//
// A cross-message's value is minted to the gateway and delivered (a
// transfer credits To, a call runs To; CrossMsgApplied either way, and a
// failed call's value is refunded up); a validator-set change moves this
// chain's own set (the engine runs it from the next height: see ReadOwnSet).
//
// Metering (issue 19): without it a block ran up to 256 queued calls of
// CrossMsgCallGas each before its transactions, outside its gas limit.
// The sender paid for each call's execution on the parent (routeGas).
func (g *Gateway) ApplyTopDown(st ChildState, msgs []TopDownMsg, budget uint64) (applied int, used uint64, err error) {
	next := AppliedTopDown(st) + 1
	for _, m := range msgs {
		if m.Nonce != next {
			return applied, used, fmt.Errorf("%w: got nonce %d, want %d", ErrTopDownOrder, m.Nonce, next)
		}
		gas := g.TopDownGas(st, m)
		if applied > 0 && (gas > budget || used > budget-gas) {
			break
		}
		if m.Kind == KindConfig {
			if err := applyConfig(st, m.Config); err != nil {
				return applied, used, err
			}
		} else {
			// The parent locked the value; it enters this chain's supply
			// here, held by the gateway until delivery pays it out.
			if v := m.Msg.Value; v != nil && v.Sign() > 0 {
				st.Mint(Address, v)
				addCounter(st, mintedSlot(), v)
			}
			// Delivered here, or queued on to a subnet below.
			if err := (&call{g: g, st: st}).route(m.Msg); err != nil {
				return applied, used, err
			}
		}
		st.SetState(AppliedSlot(), u64Word(m.Nonce))
		next++
		applied++
		used += gas
	}
	return applied, used, nil
}

// TopDownGas is the gas applying m takes on this chain, in the gateway's
// schedule (gas.go), on the state st it will find: the applied nonce, the
// minted value, and the route of a cross-message (a delivered call counts
// its CrossMsgCallGas); for a validator-set change, rewriting this chain's
// own set one seat larger.
func (g *Gateway) TopDownGas(st StateReader, m TopDownMsg) uint64 {
	gas := uint64(gasWrite) // the applied nonce
	if m.Kind == KindConfig {
		const seatBytes = 96 // an RLP Validator: address, BLS key, power
		set := wordU64(st.GetState(ownSetSlot()))
		return gas + gasWrite*(1+blobSlots(int(set)+seatBytes))
	}
	if v := m.Msg.Value; v != nil && v.Sign() > 0 {
		gas += gasWrite + gasPayout // the minted counter, the mint
	}
	return gas + routeWork(st, g.subnet, m.Msg, false)
}
