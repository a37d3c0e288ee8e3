package gateway

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// Routing (CROSSNET.md, "Routing"): a message that starts here or passes
// through is delivered here, queued for the child on its path, or queued for
// the parent (its value burned here; the parent pays it out when it applies
// this chain's checkpoint).

// MaxCrossMsgData bounds a cross-message's call data. Messages travel in
// checkpoints of at most types.MaxCheckpointSize bytes and are stored in
// every queue they pass, so each must stay small.
const MaxCrossMsgData = 16 * 1024

// Burner is the capability to destroy value the gateway holds: a message
// leaving for the parent takes its value out of this chain's supply.
// execution/evm's State implements it.
type Burner interface {
	// Burn removes amount wei from the gateway's balance; it fails, and
	// changes nothing, if the gateway holds less.
	Burn(amount *big.Int) error
}

func (x *call) nextSrcNonce() uint64 {
	n := wordU64(x.st.GetState(srcNonceSlot())) + 1
	x.st.SetState(srcNonceSlot(), u64Word(n))
	return n
}

// downTarget checks that m, whose destination is below self, can enter the
// queue of the child on its path, and returns that child's name. A
// Registered child takes only value for itself: what is queued before its
// activation becomes its genesis, which can credit accounts but not run calls.
func downTarget(st StateReader, self types.SubnetID, m *CrossMsg) (string, error) {
	dst := types.SubnetID(m.DstSubnet)
	child, _ := self.NextHop(dst)
	name := child.Name()
	switch {
	case !exists(st, name):
		return "", reverted("gateway: %s does not exist (no child %s of %s); children() lists the subnets of %s", dst, child, self, self)
	case statusOf(st, name) == StatusKilled:
		return "", reverted("gateway: %s was killed; it cannot receive messages", child)
	case frozen(st, name) != "":
		return "", reverted("gateway: %s is frozen (%s); it cannot receive messages", child, frozen(st, name))
	case statusOf(st, name) == StatusRegistered && (dst != child || m.Kind == KindCall):
		return "", reverted("gateway: %s is not active yet; until it is, only plain transfers to %s itself are queued (for its genesis)", child, child)
	}
	return name, nil
}

// pushDown queues m for the child name and locks its value for it.
func (x *call) pushDown(name string, m CrossMsg) {
	pushTopDown(x.st, name, TopDownMsg{Kind: m.Kind, Msg: m})
	setBig(x.st, name, fCirculating, new(big.Int).Add(getBig(x.st, name, fCirculating), m.Value))
}

// pushUp queues m for the parent and burns its value here.
func (x *call) pushUp(m CrossMsg) error {
	if x.g.subnet.IsRoot() {
		return fmt.Errorf("gateway: %s is a root; it has no parent to send %s to", x.g.subnet, m.DstSubnet)
	}
	if m.Value.Sign() > 0 {
		b, ok := x.st.(Burner)
		if !ok {
			return fmt.Errorf("gateway: this chain's state cannot burn value; message %s cannot leave for the parent", m.ID)
		}
		if err := b.Burn(m.Value); err != nil {
			return fmt.Errorf("gateway: burning %s wei of message %s: %w", m.Value, m.ID, err)
		}
		addCounter(x.st, burnedSlot(), m.Value)
	}
	n := UpNonce(x.st) + 1
	writeBlob(x.st, upSlot(n), encodeCrossMsg(m))
	x.st.SetState(upNonceSlot(), u64Word(n))
	x.st.SetState(upAccSlot(n), NextUpAcc(x.st.GetState(upAccSlot(n-1)), &m))
	return nil
}

// NextUpAcc is the up accumulator after acc with m appended:
// keccak256(acc ‖ m.Leaf()). A parent holding acc(k) checks the messages
// k+1..k+n of a checkpoint against the one word acc(k+n) of the child's state.
func NextUpAcc(acc common.Hash, m *CrossMsg) common.Hash {
	leaf := m.Leaf()
	return crypto.Keccak256Hash(acc[:], leaf[:])
}

// UpAcc is the up accumulator after the up message with nonce n (acc(0) = 0).
func UpAcc(st StateReader, n uint64) common.Hash {
	if n == 0 {
		return common.Hash{}
	}
	return st.GetState(upAccSlot(n))
}

func encodeCrossMsg(m CrossMsg) []byte {
	m.Value = nonNil(m.Value)
	return mustRLP(&m)
}

// originate sends a message that starts here: msg.value (already in the
// gateway's balance) to `to` on dst, with a call if data is not empty.
func (x *call) originate(fn string, dst string, to common.Address, data []byte) ([]any, error) {
	self := x.g.subnet
	value := x.c.value()
	d, err := types.ParseSubnetID(dst)
	switch {
	case err != nil:
		return nil, reverted("gateway: %s: destination: %v", fn, err)
	case d.Network() != self.Network():
		return nil, reverted("gateway: %s: %s is in network /%s, this chain in /%s; messages stay within one network", fn, d, d.Network(), self.Network())
	case d == self:
		return nil, reverted("gateway: %s: the destination is this chain (%s); call %s directly instead", fn, self, to)
	case value.Sign() == 0 && len(data) == 0:
		return nil, reverted("gateway: %s to %s carries neither value nor call data; send a value, or give data for a call", fn, d)
	case to == (common.Address{}):
		return nil, reverted("gateway: %s to the zero address on %s would lose the message; give a recipient", fn, d)
	case to == Address:
		return nil, reverted("gateway: %s: the gateway cannot receive cross-messages; give another recipient on %s", fn, d)
	case len(data) > MaxCrossMsgData:
		return nil, reverted("gateway: %s: call data of %d bytes is over the limit of %d", fn, len(data), MaxCrossMsgData)
	}
	kind := KindTransfer
	if len(data) > 0 {
		kind = KindCall
	}
	m := CrossMsg{
		SrcSubnet: string(self), From: x.c.Caller, DstSubnet: string(d), To: to,
		Value: new(big.Int).Set(value), Data: append([]byte{}, data...), Kind: kind,
	}
	if d.IsBelow(self) {
		name, err := downTarget(x.st, self, &m)
		if err != nil {
			return nil, err
		}
		x.stamp(&m)
		x.pushDown(name, m)
	} else {
		x.stamp(&m)
		if err := x.pushUp(m); err != nil {
			return nil, err
		}
	}
	x.emitSent(m)
	return []any{m.ID}, nil
}

// stamp gives m, which starts here, its source nonce and ID.
func (x *call) stamp(m *CrossMsg) {
	m.SrcNonce = x.nextSrcNonce()
	m.ID = MsgID(m.SrcSubnet, m.SrcNonce)
}

func (x *call) emitSent(m CrossMsg) {
	x.emit("CrossMsgSent", []common.Hash{m.ID, addrTopic(m.From)}, m.SrcSubnet, m.DstSubnet, m.To, m.Value, m.SrcNonce)
}

// send is IGateway.send.
func (x *call) send(dst string, to common.Address, data []byte) ([]any, error) {
	return x.originate("send", dst, to, data)
}

// release is IGateway.release: msg.value to `to` on the parent.
func (x *call) release(to common.Address) ([]any, error) {
	if x.g.subnet.IsRoot() {
		return nil, reverted("gateway: release: %s is a root chain and has no parent; use fund or send to move value to a subnet", x.g.subnet)
	}
	if x.c.value().Sign() == 0 {
		return nil, reverted("gateway: release needs a value greater than 0")
	}
	return x.originate("release", string(x.g.subnet.Parent()), to, nil)
}

// UpNonce is the nonce of the newest message of this chain's queue to its
// parent (0: none yet).
func UpNonce(st StateReader) uint64 { return wordU64(st.GetState(upNonceSlot())) }

// ReadUp returns up to max messages of the queue from the chain self to its
// parent, from nonce fromNonce (>= 1) on, in nonce order. A checkpoint at
// height H carries the messages after the last checkpointed one up to
// UpNonce of the state at H.
func ReadUp(st StateReader, self types.SubnetID, fromNonce uint64, max int) ([]CrossMsg, error) {
	fromNonce = max64(fromNonce, 1)
	last := UpNonce(st)
	var out []CrossMsg
	for n := fromNonce; n <= last && len(out) < max; n++ {
		var m CrossMsg
		if err := rlp.DecodeBytes(readBlob(st, upSlot(n)), &m); err != nil {
			return nil, fmt.Errorf("gateway: stored up message %d of %s: %w", n, self, err)
		}
		out = append(out, m)
	}
	return out, nil
}
