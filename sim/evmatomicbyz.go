package sim

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// A compromised leg subnet (EVMScenario.Compromised: the first child) has a
// byzantine quorum: its validators sign whatever checkpoint it likes. Its
// chain still runs the real code, so the attack is in what its checkpoints
// carry: each height's first submission holds one forged message between
// gateways, of a kind drawn from these that fits the plans under way.
var forgeryKinds = []string{
	"other-leg", // a yes for a leg of another subnet
	"ghost",     // the same from a made-up subnet below it
	"no-plan",   // a yes for a plan never submitted
	"early-yes", // a yes for its own leg before it prepared (escrowed) it
	"twice",     // a second, contrary vote for its own leg
	"decide",    // a commit for a sibling's leg, as if it were the mediator
	"overpay",   // a payout to the submitter beyond its circulating supply on the root
}

// simAtomicOp is the gateway's atomicOp, as it travels in a message's Data.
type simAtomicOp struct {
	Op    uint8
	Plan  common.Hash
	Leg   uint64
	Yes   bool
	Payer common.Address
	To    common.Address
	Data  []byte
}

const (
	opVote   = 2
	opCommit = 3
)

// syncOffsets records, for every child, a tampered checkpoint the root
// committed as its last one: the root counts the messages a checkpoint
// carries, so the next honest one must start where the child's own queue
// stands.
func (t *evmTree) syncOffsets(rs gateway.StateReader) {
	if t.atom == nil {
		return
	}
	a := t.atom
	for c := 1; c < len(t.ids); c++ {
		h, hash, _ := gateway.LastCheckpoint(rs, evmRoot, t.ids[c])
		if f, ok := a.tampered[c][hash]; ok {
			if _, done := a.committed[c][h]; !done {
				a.committed[c][h] = f.delta
				a.stats.Landed[f.kind]++
			}
		}
	}
}

// tamper changes checkpoint cp of child c, built from the child's gateway
// state cs at its height, as a byzantine quorum would, and reports whether
// it did: the compromised child forges one message (forgeryKinds); with
// the dropRefund knob any child's quorum leaves its first refund out.
func (t *evmTree) tamper(c int, cp *types.Checkpoint, cs, rs gateway.StateReader) (forgery, bool) {
	a := t.atom
	if a == nil {
		return forgery{}, false
	}
	if a.knobs.dropRefund && !a.dropped {
		for i, m := range cp.Messages {
			if m.From == gateway.Address && m.Kind == gateway.KindTransfer && m.Value.Sign() > 0 {
				cp.Messages = append(cp.Messages[:i:i], cp.Messages[i+1:]...)
				a.dropped = true
				return forgery{"drop-refund", -1}, true
			}
		}
	}
	if c != 1 || !t.sc.Compromised || a.first[c][cp.Height] {
		return forgery{}, false
	}
	a.first[c][cp.Height] = true
	kinds := forgeryKinds
	var kind string
	var m types.CrossMsg
	ok := false
	for _, k := range t.rng.Perm(len(kinds)) {
		if kind = kinds[k]; kind == "overpay" && t.rng.IntN(3) > 0 {
			continue // it costs the checkpoint: a third of the time
		}
		if m, ok = t.forgeMsg(kind, c, cs, rs); ok {
			break
		}
	}
	if !ok {
		return forgery{}, false
	}
	a.nonce++
	m.SrcNonce = 1<<40 + a.nonce
	m.ID = types.MsgID(m.SrcSubnet, m.SrcNonce)
	cp.Messages = append(cp.Messages, m)
	a.stats.Forged[kind]++
	return forgery{kind, 1}, true
}

// forgeMsg makes one forged message of kind from child c, or reports that
// no plan fits it yet.
func (t *evmTree) forgeMsg(kind string, c int, cs, rs gateway.StateReader) (types.CrossMsg, bool) {
	self := t.ids[c]
	vote := func(src types.SubnetID, plan common.Hash, leg int, yes bool) (types.CrossMsg, bool) {
		data, err := rlp.EncodeToBytes(&simAtomicOp{Op: opVote, Plan: plan, Leg: uint64(leg), Yes: yes})
		if err != nil {
			panic(err)
		}
		return types.CrossMsg{SrcSubnet: string(src), From: gateway.Address, DstSubnet: string(evmRoot), To: gateway.AtomicAddress,
			Value: new(big.Int), Data: data, Kind: gateway.KindCall}, true
	}
	// The first plan the root holds undecided with a leg matching want.
	pick := func(want func(p *simPlan, leg int) bool) (*simPlan, int) {
		for _, p := range t.atom.plans {
			if p.id == (common.Hash{}) || gateway.ReadAtomicPlan(rs, p.id).Status != gateway.AtomicPreparing {
				continue
			}
			for j := range p.chains {
				if want(p, j) {
					return p, j
				}
			}
		}
		return nil, 0
	}
	legState := func(p *simPlan, j int) gateway.AtomicLegInfo {
		return gateway.ReadAtomicLeg(cs, string(evmRoot), p.id, uint64(j))
	}
	switch kind {
	case "other-leg", "ghost":
		p, j := pick(func(p *simPlan, j int) bool { return p.chains[j] != c })
		if p == nil {
			return types.CrossMsg{}, false
		}
		src := self
		if kind == "ghost" {
			src = self + "/ghost"
		}
		return vote(src, p.id, j, true)
	case "no-plan":
		return vote(self, gateway.AtomicID(string(evmRoot), 1<<20), 0, true)
	case "early-yes":
		p, j := pick(func(p *simPlan, j int) bool {
			return p.chains[j] == c && legState(p, j).State == gateway.LegUnknown
		})
		if p == nil {
			return types.CrossMsg{}, false
		}
		return vote(self, p.id, j, true)
	case "twice":
		p, j := pick(func(p *simPlan, j int) bool {
			return p.chains[j] == c && legState(p, j).State != gateway.LegUnknown
		})
		if p == nil {
			return types.CrossMsg{}, false
		}
		return vote(self, p.id, j, !legState(p, j).Yes)
	case "decide":
		p, j := pick(func(p *simPlan, j int) bool { return p.chains[j] != c && p.chains[j] != 0 })
		if p == nil {
			return types.CrossMsg{}, false
		}
		data, err := rlp.EncodeToBytes(&simAtomicOp{Op: opCommit, Plan: p.id, Leg: uint64(j)})
		if err != nil {
			panic(err)
		}
		return types.CrossMsg{SrcSubnet: string(self), From: gateway.Address, DstSubnet: string(t.ids[p.chains[j]]), To: gateway.AtomicAddress,
			Value: new(big.Int), Data: data, Kind: gateway.KindCall}, true
	case "overpay":
		sn, err := gateway.ReadSubnet(rs, evmRoot, self)
		if err != nil || len(t.atom.plans) == 0 {
			return types.CrossMsg{}, false
		}
		return types.CrossMsg{SrcSubnet: string(self), From: gateway.Address, DstSubnet: string(evmRoot), To: t.acct(t.atom.plans[0].key),
			Value: new(big.Int).Add(sn.CirculatingSupply, ether), Kind: gateway.KindTransfer}, true
	}
	return types.CrossMsg{}, false
}
