package gateway

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Delivery of a cross-message at its destination (CROSSNET.md, "Routing" 1):
// a transfer or refund credits `To`; a call runs `To` with `Data` and
// `Value`, msg.sender = the gateway, under CrossMsgCallGas, and while it runs
// crossMsgOrigin() answers (SrcSubnet, From). A call that fails sends its
// value back to From on SrcSubnet as a Refund, a new message of this chain.

// CrossMsgCallGas is the gas a delivered call may use. A checkpoint pays it
// for every call it delivers, so a checkpoint carries at most about
// (block gas limit / CrossMsgCallGas) calls to its parent.
const CrossMsgCallGas = 500_000

// maxResultBytes bounds the return or revert data a CrossMsgApplied event
// carries; longer data is cut.
const maxResultBytes = 1024

// ErrCallTooDeep is returned by ContractCaller.CallContract when the call
// cannot even start because the gateway already runs at the EVM's maximum
// call depth. The delivery then reverts instead of failing the message:
// otherwise anyone could submit a checkpoint from deep in a call stack and
// make every call it carries fail.
var ErrCallTooDeep = errors.New("gateway: call stack too deep to deliver a call")

// ContractCaller is the capability to run a delivered call: a CALL from the
// gateway's address to `to` with data and value (taken from the gateway's
// balance), limited to gas. Its state changes are undone if it fails. ret is
// the return data, or the revert data when err is not nil.
// execution/evm's State implements it.
type ContractCaller interface {
	CallContract(to common.Address, data []byte, value *big.Int, gas uint64) (ret []byte, gasUsed uint64, err error)
}

// origin is what crossMsgOrigin returns while a delivered call runs.
type origin struct {
	Src  string
	From common.Address
}

// delivering reports whether a delivered call is running.
func delivering(st StateReader) bool { return st.GetState(originSlot()) != (common.Hash{}) }

// CrossMsgOrigin is (SrcSubnet, From) of the cross-message whose call is
// running, or ("", zero) if none is.
func CrossMsgOrigin(st StateReader) (src string, from common.Address) {
	if !delivering(st) {
		return "", common.Address{}
	}
	var o origin
	if err := rlp.DecodeBytes(readBlob(st, originSlot()), &o); err != nil {
		return "", common.Address{}
	}
	return o.Src, o.From
}

// Deliver executes m, whose destination is this chain, on st. The gateway
// must hold m.Value already: on a parent it is what the child's checkpoint
// released from circulating supply; a child applying a top-down message
// mints it to Address first. A failed call's refund is routed on from here
// (up, on a child; down, on a parent). Deliver fails only on a broken
// invariant (the gateway lacks the value, a stored record is corrupt); the
// caller then rolls back the whole block or transaction.
func (g *Gateway) Deliver(st State, m CrossMsg) error {
	x := &call{g: g, st: st}
	return x.deliver(m)
}

func (x *call) deliver(m CrossMsg) error {
	m.Value = nonNil(m.Value)
	if m.To == AtomicAddress {
		return x.deliverAtomic(m)
	}
	if m.To == Address {
		return x.bounce(m, "the gateway accepts no cross-messages")
	}
	switch m.Kind {
	case KindTransfer, KindRefund:
		if err := x.st.Transfer(Address, m.To, m.Value); err != nil {
			return fmt.Errorf("gateway: delivering message %s: %w", m.ID, err)
		}
		x.emitApplied(m.ID, true, nil)
		return nil
	case KindCall:
		return x.deliverCall(m)
	}
	return x.bounce(m, fmt.Sprintf("unknown message kind %d", m.Kind))
}

func (x *call) deliverCall(m CrossMsg) error {
	cc, ok := x.st.(ContractCaller)
	if !ok {
		return x.bounce(m, "this chain cannot run delivered calls")
	}
	if x.st.Balance(Address).Cmp(m.Value) < 0 {
		return fmt.Errorf("gateway: delivering message %s: the gateway holds %s wei, less than its value %s", m.ID, x.st.Balance(Address), m.Value)
	}
	writeBlob(x.st, originSlot(), mustRLP(origin{m.SrcSubnet, m.From}))
	ret, _, err := cc.CallContract(m.To, m.Data, m.Value, CrossMsgCallGas)
	clearBlob(x.st, originSlot())
	if errors.Is(err, ErrCallTooDeep) {
		return reverted("gateway: the gateway runs too deep in the call stack to deliver message %s; call it from a shallower frame (a transaction of its own)", m.ID)
	}
	if err != nil {
		x.emitApplied(m.ID, false, ret)
		return x.refund(m)
	}
	x.emitApplied(m.ID, true, ret)
	return nil
}

func (x *call) emitApplied(id common.Hash, ok bool, result []byte) {
	if len(result) > maxResultBytes {
		result = result[:maxResultBytes]
	}
	x.emit("CrossMsgApplied", []common.Hash{id}, ok, append([]byte{}, result...))
}

// bounce fails m here: CrossMsgApplied(false, reason) and its value back to
// the sender.
func (x *call) bounce(m CrossMsg, reason string) error {
	x.emitApplied(m.ID, false, []byte(reason))
	return x.refund(m)
}

// refund sends the value of the failed message m back to m.From on
// m.SrcSubnet, as a new message of this chain. A message worth nothing needs
// no refund. A refund that fails is not refunded again: its value stays with
// the gateway (only possible if its sender's subnet was killed meanwhile).
func (x *call) refund(m CrossMsg) error {
	if m.Value.Sign() == 0 || m.Kind == KindRefund {
		return nil
	}
	r := CrossMsg{
		SrcSubnet: string(x.g.subnet), From: Address, DstSubnet: m.SrcSubnet, To: refundTo(m),
		Value: new(big.Int).Set(m.Value), Kind: KindRefund, Ref: m.ID,
	}
	x.stamp(&r)
	x.emitSent(r)
	return x.route(r)
}

// route moves m, which is here (arrived or created), one hop on.
func (x *call) route(m CrossMsg) error {
	self := x.g.subnet
	dst := types.SubnetID(m.DstSubnet)
	switch {
	case dst == self:
		return x.deliver(m)
	case dst.IsBelow(self):
		name, err := downTarget(x.st, self, &m)
		if err != nil {
			return x.bounce(m, err.Error())
		}
		x.pushDown(name, m)
		x.forwarded(m, string(self.Child(name)))
		return nil
	}
	if err := x.pushUp(m); err != nil {
		return err
	}
	x.forwarded(m, string(self.Parent()))
	return nil
}

// forwarded emits CrossMsgForwarded for a message passing through: one that
// did not start here (those emitted CrossMsgSent).
func (x *call) forwarded(m CrossMsg, next string) {
	if m.SrcSubnet != string(x.g.subnet) {
		x.emit("CrossMsgForwarded", []common.Hash{m.ID}, next)
	}
}
