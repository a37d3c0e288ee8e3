package gateway

import (
	"math"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Prices of routing, delivering and committing (see gas.go's schedule).
// Each mirrors the code it prices, decision by decision, on the state the
// call will find; where a call's own effects could change a later decision
// (a delivered call activating a child), the priced branch is the dearer one.

// outgoing is the message send or release would originate, for pricing;
// false if the call will revert before routing anything.
func (g *Gateway) outgoing(fn string, args []any, value *big.Int) (CrossMsg, bool) {
	var dst string
	var to common.Address
	var data []byte
	switch fn {
	case "send":
		dst, to, data = args[0].(string), args[1].(common.Address), args[2].([]byte)
	case "release":
		if g.subnet.IsRoot() {
			return CrossMsg{}, false
		}
		dst, to = string(g.subnet.Parent()), args[0].(common.Address)
	}
	d, err := types.ParseSubnetID(dst)
	if err != nil || d == g.subnet || d.Network() != g.subnet.Network() {
		return CrossMsg{}, false
	}
	kind := KindTransfer
	if len(data) > 0 {
		kind = KindCall
	}
	return CrossMsg{SrcSubnet: string(g.subnet), DstSubnet: dst, To: to, Value: value, Data: data, Kind: kind}, true
}

// downRecordSlots bounds the slots m takes in a top-down queue, whatever
// its nonces and height.
func downRecordSlots(m CrossMsg) uint64 {
	m.SrcNonce, m.ID = math.MaxUint64, common.Hash{}
	return blobSlots(len(encodeTopDown(TopDownMsg{Nonce: math.MaxUint64, Height: math.MaxUint64, Kind: m.Kind, Msg: m})))
}

// upRecordSlots bounds the slots m takes in the up queue, whatever its nonce.
func upRecordSlots(m CrossMsg) uint64 {
	m.SrcNonce = math.MaxUint64
	return blobSlots(len(encodeCrossMsg(m)))
}

// routeGas prices route(m) on the chain self for the account that makes
// this chain route it: a sender, or a checkpoint's submitter. A call it
// queues for a child also pays here for its execution down there
// (CrossMsgCallGas): the child runs top-down work before its transactions,
// paid by nobody, so whoever queues a call pays for it when it is queued.
func routeGas(st StateReader, self types.SubnetID, m CrossMsg) uint64 {
	return routeWork(st, self, m, true)
}

// routeWork prices route(m) on the chain self; payQueuedCall adds the
// execution of a call queued for a child (routeGas). A child forwarding a
// top-down call on to its own child meters the forwarding without it: the
// call's execution was paid where it was first queued.
func routeWork(st StateReader, self types.SubnetID, m CrossMsg, payQueuedCall bool) uint64 {
	m.Value = nonNil(m.Value)
	dst := types.SubnetID(m.DstSubnet)
	switch {
	case dst == self:
		return deliverGas(st, self, m)
	case dst.IsBelow(self):
		if _, err := downTarget(st, self, &m); err != nil {
			return bounceGas(st, self, m)
		}
		gas := gasWrite * (downRecordSlots(m) + 2)
		if payQueuedCall && m.Kind == KindCall {
			gas += CrossMsgCallGas
		}
		return gas
	}
	// +3 writes: the up nonce, the up accumulator and the burned counter
	// (SupplyCounters); the accumulator's previous word is read and hashed.
	return gasWrite*(upRecordSlots(m)+3) + gasRead + gasHash + gasHashWord*2 + gasPayout
}

// deliverGas prices deliver(m) on the chain self.
func deliverGas(st StateReader, self types.SubnetID, m CrossMsg) uint64 {
	if m.To == AtomicAddress {
		return atomicDeliverGas(st, self, m)
	}
	if m.To == Address {
		return bounceGas(st, self, m)
	}
	switch m.Kind {
	case KindTransfer, KindRefund:
		return gasPayout + gasEvent
	case KindCall:
		originSlots := blobSlots(len(mustRLP(origin{m.SrcSubnet, m.From})))
		return gasWrite*2*originSlots + CrossMsgCallGas + gasEvent + gasLogByte*maxResultBytes + refundGas(st, self, m)
	}
	return bounceGas(st, self, m)
}

func bounceGas(st StateReader, self types.SubnetID, m CrossMsg) uint64 {
	return gasEvent + gasLogByte*maxReasonBytes + refundGas(st, self, m)
}

// refundGas prices refund(m) on the chain self.
func refundGas(st StateReader, self types.SubnetID, m CrossMsg) uint64 {
	if m.Value.Sign() == 0 || m.Kind == KindRefund {
		return 0
	}
	r := CrossMsg{SrcSubnet: string(self), From: Address, DstSubnet: m.SrcSubnet, To: refundTo(m), Value: m.Value, Kind: KindRefund, Ref: m.ID}
	return gasWrite + gasEvent + routeGas(st, self, r)
}

// checkpointGas prices submitCheckpoint(enc, _, bitmap) on the chain self:
// the quorum check reads the config set, its power and aggregate key, then
// the keys of the signers or, when fewer, of the non-signers (verifyQuorum).
func checkpointGas(st StateReader, self types.SubnetID, enc, bitmap []byte) uint64 {
	gas := gasHash + gasHashWord*uint64((len(enc)+31)/32)
	cp, err := types.DecodeCheckpoint(enc)
	if err != nil {
		return gas
	}
	name, err := childName(self, types.SubnetID(cp.Subnet))
	if err != nil || !exists(st, name) || statusOf(st, name) != StatusActive {
		return gas
	}
	gas += gasRead * 15 // 12, and 3 for the stall check
	lastHeight := getU64(st, name, fLastCkptHeight)
	if lastHeight > 0 && cp.Height == lastHeight && cp.Hash() == st.GetState(fieldSlot(name, fLastCkptHash)) {
		return gas
	}
	recs := configRecords(st, name, cp.Config)
	if len(recs) == 0 {
		return gas
	}
	gas += gasRead * blobSlots(configSetBytes(uint64(len(recs))))
	bm := crypto.Bitmap(bitmap)
	signers := 0
	for i := range recs {
		if bm.Has(i) {
			signers++
		}
	}
	keys := signers
	if quorumFromSet(readAggKey(st, name, cp.Config) != nil, signers, len(recs)) {
		keys = len(recs) - signers
	}
	gas += (gasRead*seatKeySlots+gasBLSKey+gasG1Add)*uint64(keys) + gasBLSVerify
	total := new(big.Int)
	for _, m := range cp.Messages {
		total.Add(total, m.Value)
	}
	gas += gasRead * 4 // the held total, the jury's seats and pool counters
	if total.Cmp(new(big.Int).Sub(getBig(st, name, fCirculating), getBig(st, name, fHeldTotal))) > 0 {
		return gas + gasEvent + gasLogByte*maxReasonBytes // CheckpointRejected
	}
	gas += gasWrite*11 + gasEvent // the 11th: the checkpoint's seal for fraud proofs
	if getU64(st, name, fHeldFrom) != 0 || juryInEffect(st, name, nowOf(st)) {
		return gas + holdGas(st, name, cp) // its payouts wait (juryhold.go)
	}
	due, slots := releasesDue(st, name, cp.AppliedConfig, false)
	gas += (gasPayout+gasEvent)*due + gasWrite*slots
	for _, m := range cp.Messages {
		gas += routeGas(st, self, m)
	}
	return gas
}
