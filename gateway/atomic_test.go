package gateway

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"
)

// atomicNet is a mediator /devnet with Active children alpha and beta, each
// with a gateway of its own; messages move only when a test says so.
type atomicNet struct {
	t    *testing.T
	m    *xh
	kids map[string]*child // the mediator's record of each child
	legs map[string]*xh    // each child's own chain
	sent map[string]uint64 // up messages of each child checkpointed so far
}

// Accounts of the atomic tests: who submits plans on the mediator, and two recipients.
var (
	planSubmitter = common.Address{0x5b}
	legBob        = common.Address{0xb0}
	legCarol      = common.Address{0xca}
)

func newAtomicNet(t *testing.T) *atomicNet {
	n := &atomicNet{t: t, m: newXH(t, "/devnet"), kids: map[string]*child{}, legs: map[string]*xh{}, sent: map[string]uint64{}}
	for _, name := range []string{"alpha", "beta"} {
		c := n.m.newChild(name, 10)
		leg := newXH(t, c.id)
		// The child's genesis holds what was queued before its activation.
		leg.st.SetState(AppliedSlot(), u64Word(c.sn().TopDownNonce))
		n.kids[name], n.legs[name] = c, leg
	}
	return n
}

// down applies on child name every message its parent queued for it.
func (n *atomicNet) down(name string) {
	n.t.Helper()
	leg := n.legs[name]
	msgs, err := ReadTopDown(n.m.st, "/devnet", n.kids[name].id, AppliedTopDown(leg.st)+1, 100)
	if err != nil {
		n.t.Fatal(err)
	}
	if _, _, err := leg.g.ApplyTopDown(childXState{leg.st}, msgs, 1<<40); err != nil {
		n.t.Fatal(err)
	}
}

// up commits on the parent a checkpoint of child name with its new up messages.
func (n *atomicNet) up(name string) {
	n.t.Helper()
	leg := n.legs[name]
	msgs, err := ReadUp(leg.st, n.kids[name].id, n.sent[name]+1, 100)
	if err != nil {
		n.t.Fatal(err)
	}
	n.sent[name] += uint64(len(msgs))
	n.kids[name].commit(n.kids[name].next(msgs...))
}

func (n *atomicNet) submit(value int64, deadline uint64, legs ...AtomicLeg) common.Hash {
	n.t.Helper()
	out := n.m.ok(planSubmitter, value, "atomicSubmit", legs, deadline)
	return common.Hash(out[0].([32]byte))
}

func (n *atomicNet) decide(id common.Hash) bool {
	n.t.Helper()
	return n.m.ok(common.Address{0xde}, 0, "atomicDecide", id)[0].(bool)
}

func (n *atomicNet) leg(name string, id common.Hash, i uint64) AtomicLegInfo {
	return ReadAtomicLeg(n.legs[name].st, "/devnet", id, i)
}

func (n *atomicNet) balance(name string, a common.Address) int64 {
	if name == "" {
		return n.m.st.Balance(a).Int64()
	}
	return n.legs[name].st.Balance(a).Int64()
}

// sameOutcome checks every leg of plan id ended in want: never a mix.
func (n *atomicNet) sameOutcome(id common.Hash, want LegState, where ...string) {
	n.t.Helper()
	for i, name := range where {
		if got := n.leg(name, id, uint64(i)).State; got != want {
			n.t.Fatalf("leg %d on %s is %s, want %s (all legs alike)", i, name, got, want)
		}
	}
}

func valueLeg(name string, to common.Address, v int64) AtomicLeg {
	return AtomicLeg{Subnet: "/devnet/" + name, To: to, Value: big.NewInt(v), Data: []byte{}}
}

// participantLog is what a fake participant saw.
type participantLog struct {
	prepared, committed, aborted int
	paid                         int64
	origin                       string
}

// participant is a fake IAtomicParticipant: prepare answers vote (or
// reverts if revertPrepare), commit reverts if failCommit.
func participant(p *participantLog, vote, failCommit bool) fakeContract {
	word := func(b bool) []byte {
		w := make([]byte, 32)
		if b {
			w[31] = 1
		}
		return w
	}
	return func(s *xState, self, _ common.Address, data []byte, value *big.Int) ([]byte, error) {
		src, _ := CrossMsgOrigin(s)
		p.origin = src
		switch {
		case strings.HasPrefix(string(data), string(selPrepare)):
			p.prepared++
			return word(vote), nil
		case strings.HasPrefix(string(data), string(selCommit)):
			if failCommit {
				return []byte("no"), errors.New("revert")
			}
			p.committed++
			p.paid += value.Int64()
			return nil, nil
		case strings.HasPrefix(string(data), string(selAbort)):
			p.aborted++
			return nil, nil
		}
		return nil, errors.New("unknown selector")
	}
}

// TestAtomicCommitsEveryLeg: a plan of two value legs and a participant
// leg on two subnets commits once all voted yes; every leg pays out, each
// exactly once, and nothing is paid before the decision.
func TestAtomicCommitsEveryLeg(t *testing.T) {
	n := newAtomicNet(t)
	pAddr := common.Address{0x9a}
	var p participantLog
	n.legs["beta"].st.contracts[pAddr] = participant(&p, true, false)
	id := n.submit(60, 100, valueLeg("alpha", legBob, 30), valueLeg("beta", legCarol, 20),
		AtomicLeg{Subnet: "/devnet/beta", To: pAddr, Value: big.NewInt(10), Data: []byte("lock 5 tokens")})
	if id != AtomicID("/devnet", 1) {
		t.Fatalf("plan ID %s, want AtomicID(/devnet, 1)", id)
	}
	n.m.conserved()
	n.m.fails("waits for the votes of legs 0, 1, 2 until height 101", common.Address{0xde}, 0, "atomicDecide", id)

	n.down("alpha")
	n.down("beta")
	if p.prepared != 1 || p.origin != "/devnet" {
		t.Fatalf("participant prepared %d times, origin %q", p.prepared, p.origin)
	}
	if n.balance("alpha", legBob) != 0 || n.balance("beta", legCarol) != 0 || n.balance("beta", pAddr) != 0 {
		t.Fatal("a leg paid out before the decision")
	}
	if l := n.leg("alpha", id, 0); l.State != LegPrepared || !l.Yes || l.Value.Int64() != 30 || l.To != legBob {
		t.Fatalf("alpha's leg %+v", l)
	}
	n.up("alpha")
	n.m.fails("waits for the votes of legs 1, 2", common.Address{0xde}, 0, "atomicDecide", id)
	n.up("beta")
	if p := ReadAtomicPlan(n.m.st, id); p.Votes[0] != VoteYes || p.Votes[1] != VoteYes || p.Votes[2] != VoteYes {
		t.Fatalf("votes %v", p.Votes)
	}
	if !n.decide(id) {
		t.Fatal("a plan with every vote yes aborted")
	}
	n.m.fails("is committed already", common.Address{0xde}, 0, "atomicDecide", id)
	n.down("alpha")
	n.down("beta")
	n.sameOutcome(id, LegCommitted, "alpha", "beta", "beta")
	if n.balance("alpha", legBob) != 30 || n.balance("beta", legCarol) != 20 || p.committed != 1 || p.paid != 10 || p.aborted != 0 {
		t.Fatalf("bob %d, carol %d, participant committed %d paid %d", n.balance("alpha", legBob), n.balance("beta", legCarol), p.committed, p.paid)
	}
	if n.balance("alpha", Address) != 0 || n.balance("beta", Address) != 0 {
		t.Fatal("escrow left with a leg's gateway after commit")
	}
	n.m.conserved()
}

// TestAtomicAbortsOnNo: one participant's no aborts the plan: no leg pays,
// a participant that said yes hears abort, and every escrow returns to the
// submitter on the mediator.
func TestAtomicAbortsOnNo(t *testing.T) {
	n := newAtomicNet(t)
	yesAddr, noAddr := common.Address{0x9a}, common.Address{0x9b}
	var yes, no participantLog
	n.legs["alpha"].st.contracts[yesAddr] = participant(&yes, true, false)
	n.legs["beta"].st.contracts[noAddr] = participant(&no, false, false)
	id := n.submit(30, 100, AtomicLeg{Subnet: "/devnet/alpha", To: yesAddr, Value: big.NewInt(10), Data: []byte{1}},
		valueLeg("alpha", legBob, 5), AtomicLeg{Subnet: "/devnet/beta", To: noAddr, Value: big.NewInt(15), Data: []byte{2}})
	before := n.balance("", planSubmitter)
	for _, c := range []string{"alpha", "beta"} {
		n.down(c)
		n.up(c)
	}
	if v := ReadAtomicPlan(n.m.st, id).Votes; v[0] != VoteYes || v[1] != VoteYes || v[2] != VoteNo {
		t.Fatalf("votes %v", v)
	}
	if n.decide(id) {
		t.Fatal("a plan with a no committed")
	}
	for _, c := range []string{"alpha", "beta"} {
		n.down(c)
		n.up(c) // the escrow on its way back
	}
	n.sameOutcome(id, LegAborted, "alpha", "alpha", "beta")
	if yes.aborted != 1 || yes.committed != 0 || no.aborted != 0 || no.committed != 0 {
		t.Fatalf("yes voter aborted %d committed %d; no voter aborted %d committed %d", yes.aborted, yes.committed, no.aborted, no.committed)
	}
	if n.balance("alpha", legBob) != 0 || n.balance("alpha", yesAddr) != 0 || n.balance("beta", noAddr) != 0 {
		t.Fatal("an aborted leg paid out")
	}
	if got := n.balance("", planSubmitter) - before; got != 30 {
		t.Fatalf("the submitter got %d back, want the 30 escrowed", got)
	}
	n.m.conserved()
}

// TestAtomicDeadline: a leg that never votes makes the plan abort once the
// deadline passes, and its escrow comes back too when it finally hears; a
// yes that arrives after the deadline does not count.
func TestAtomicDeadline(t *testing.T) {
	n := newAtomicNet(t)
	id := n.submit(50, 5, valueLeg("alpha", legBob, 30), valueLeg("beta", legCarol, 20))
	before := n.balance("", planSubmitter)
	n.down("alpha")
	n.up("alpha")
	n.m.st.height = 6 // the deadline: votes still count
	n.m.fails("waits for the votes of legs 1 until height 6 (now 6)", common.Address{0xde}, 0, "atomicDecide", id)
	n.m.st.height = 7
	n.down("beta") // beta hears only now; its yes arrives late
	n.up("beta")
	if v := ReadAtomicPlan(n.m.st, id).Votes; v[0] != VoteYes || v[1] != VoteLate {
		t.Fatalf("votes %v, want yes and late", v)
	}
	if n.decide(id) {
		t.Fatal("a plan whose vote came after the deadline committed")
	}
	for _, c := range []string{"alpha", "beta"} {
		n.down(c)
		n.up(c)
	}
	n.sameOutcome(id, LegAborted, "alpha", "beta")
	if got := n.balance("", planSubmitter) - before; got != 50 || n.balance("alpha", legBob) != 0 || n.balance("beta", legCarol) != 0 {
		t.Fatalf("the submitter got %d back, bob %d, carol %d", got, n.balance("alpha", legBob), n.balance("beta", legCarol))
	}
	n.m.conserved()

	// A leg that never hears at all: the plan aborts at its deadline anyway.
	id2 := n.submit(7, 1, valueLeg("alpha", legBob, 3), valueLeg("beta", legCarol, 4))
	n.m.st.height = 9
	if n.decide(id2) {
		t.Fatal("a plan without votes committed")
	}
	if ReadAtomicPlan(n.m.st, id2).Status != AtomicAborted {
		t.Fatal("not aborted")
	}
}

// TestAtomicDecisionAppliedOnce: a decision delivered twice, a decision
// from another mediator, and one sent by an account change nothing.
func TestAtomicDecisionAppliedOnce(t *testing.T) {
	n := newAtomicNet(t)
	id := n.submit(31, 100, valueLeg("alpha", legBob, 30), valueLeg("beta", legCarol, 1))
	for _, c := range []string{"alpha", "beta"} {
		n.down(c)
		n.up(c)
	}
	n.decide(id)
	msgs, err := ReadTopDown(n.m.st, "/devnet", n.kids["alpha"].id, AppliedTopDown(n.legs["alpha"].st)+1, 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("queue %v %v", msgs, err)
	}
	commit := msgs[0].Msg
	prepares, err := ReadTopDown(n.m.st, "/devnet", n.kids["alpha"].id, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var prepare CrossMsg
	for _, m := range prepares {
		var op atomicOp
		if m.Msg.To == AtomicAddress && rlp.DecodeBytes(m.Msg.Data, &op) == nil && op.Op == opPrepare {
			prepare = m.Msg
		}
	}
	n.down("alpha")
	alpha := n.legs["alpha"]
	if n.balance("alpha", legBob) != 30 {
		t.Fatalf("bob %d", n.balance("alpha", legBob))
	}
	// The same decision again, as a replayed delivery.
	before := alpha.st.snapshot()
	if err := alpha.g.Deliver(alpha.st, commit); err != nil {
		t.Fatal(err)
	}
	if n.balance("alpha", legBob) != 30 || n.balance("alpha", Address) != 0 {
		t.Fatalf("a second commit paid again: bob %d", n.balance("alpha", legBob))
	}
	if ev := alpha.event(-1, "CrossMsgApplied"); ev["success"] != false || !strings.Contains(string(ev["result"].([]byte)), "no prepared leg") {
		t.Fatalf("replay reported %v", ev)
	}
	if UpNonce(alpha.st) != UpNonce(&memState{slots: before.slots}) {
		t.Fatal("a replayed decision sent something")
	}
	// The prepare again: the leg stays finished and votes no second time.
	ups := UpNonce(alpha.st)
	if err := alpha.g.Deliver(alpha.st, prepare); err != nil {
		t.Fatal(err)
	}
	if l := n.leg("alpha", id, 0); l.State != LegCommitted || UpNonce(alpha.st) != ups {
		t.Fatalf("a replayed prepare made the leg %s and sent %d messages", l.State, UpNonce(alpha.st)-ups)
	}
	// An abort for the same leg from anyone else: other mediator, or an account.
	abort := commit
	abort.Data = mustRLP(&atomicOp{Op: opAbort, Plan: id, Leg: 0})
	abort.SrcSubnet = "/devnet/beta"
	if err := alpha.g.Deliver(alpha.st, abort); err != nil {
		t.Fatal(err)
	}
	abort.SrcSubnet, abort.From = "/devnet", common.Address{0xee}
	if err := alpha.g.Deliver(alpha.st, abort); err != nil {
		t.Fatal(err)
	}
	if l := n.leg("alpha", id, 0); l.State != LegCommitted || n.balance("alpha", legBob) != 30 {
		t.Fatalf("leg %s after forged aborts, bob %d", l.State, n.balance("alpha", legBob))
	}
}

// TestAtomicVotesOnlyFromTheLegSubnet: beta cannot vote for alpha's leg,
// and a second vote of a leg is not counted.
func TestAtomicVotesOnlyFromTheLegSubnet(t *testing.T) {
	n := newAtomicNet(t)
	id := n.submit(5, 100, valueLeg("alpha", legBob, 2), valueLeg("beta", legCarol, 3))
	forged := CrossMsg{ID: MsgID("/devnet/beta", 1), SrcSubnet: "/devnet/beta", SrcNonce: 1, From: Address, DstSubnet: "/devnet",
		To: AtomicAddress, Value: new(big.Int), Data: mustRLP(&atomicOp{Op: opVote, Plan: id, Leg: 0, Yes: true}), Kind: KindCall}
	n.kids["beta"].commit(n.kids["beta"].next(forged))
	n.sent["beta"] = 0
	if v := ReadAtomicPlan(n.m.st, id).Votes[0]; v != VoteNone {
		t.Fatalf("beta's vote for alpha's leg counted: %s", v)
	}
	no := forged
	no.ID, no.SrcNonce, no.SrcSubnet = MsgID("/devnet/alpha", 1), 1, "/devnet/alpha"
	no.Data = mustRLP(&atomicOp{Op: opVote, Plan: id, Leg: 0, Yes: false})
	yes := no
	yes.ID, yes.SrcNonce = MsgID("/devnet/alpha", 2), 2
	yes.Data = mustRLP(&atomicOp{Op: opVote, Plan: id, Leg: 0, Yes: true})
	n.kids["alpha"].commit(n.kids["alpha"].next(no, yes))
	if v := ReadAtomicPlan(n.m.st, id).Votes[0]; v != VoteNo {
		t.Fatalf("leg 0 vote %s, want the first (no)", v)
	}
	// An account cannot speak for a gateway.
	user := yes
	user.ID, user.SrcNonce, user.From = MsgID("/devnet/beta", 2), 2, common.Address{0xee}
	user.SrcSubnet, user.Data = "/devnet/beta", mustRLP(&atomicOp{Op: opVote, Plan: id, Leg: 1, Yes: true})
	n.kids["beta"].commit(n.kids["beta"].next(user))
	if v := ReadAtomicPlan(n.m.st, id).Votes[1]; v != VoteNone {
		t.Fatalf("an account's vote counted: %s", v)
	}
}

// TestAtomicCommitReverts: a participant whose commit reverts is reported
// as commit-failed and its escrow goes back to the submitter; the other
// legs still commit (the decision was commit).
func TestAtomicCommitReverts(t *testing.T) {
	n := newAtomicNet(t)
	bad := common.Address{0x9c}
	var p participantLog
	n.legs["beta"].st.contracts[bad] = participant(&p, true, true)
	id := n.submit(12, 100, valueLeg("alpha", legBob, 4), AtomicLeg{Subnet: "/devnet/beta", To: bad, Value: big.NewInt(8), Data: []byte{1}})
	before := n.balance("", planSubmitter)
	for _, c := range []string{"alpha", "beta"} {
		n.down(c)
		n.up(c)
	}
	if !n.decide(id) {
		t.Fatal("aborted")
	}
	for _, c := range []string{"alpha", "beta"} {
		n.down(c)
		n.up(c)
	}
	if n.leg("alpha", id, 0).State != LegCommitted || n.leg("beta", id, 1).State != LegCommitFailed {
		t.Fatalf("legs %s %s", n.leg("alpha", id, 0).State, n.leg("beta", id, 1).State)
	}
	if got := n.balance("", planSubmitter) - before; got != 8 || n.balance("beta", bad) != 0 || n.balance("alpha", legBob) != 4 {
		t.Fatalf("the submitter got %d back, participant holds %d", got, n.balance("beta", bad))
	}
	n.m.conserved()
}

// TestAtomicLocalLeg: a leg on the mediator itself prepares and votes at
// submission and finishes at the decision.
func TestAtomicLocalLeg(t *testing.T) {
	n := newAtomicNet(t)
	id := n.submit(9, 100, valueLeg("alpha", legBob, 4), AtomicLeg{Subnet: "/devnet", To: legCarol, Value: big.NewInt(5), Data: []byte{}})
	if v := ReadAtomicPlan(n.m.st, id).Votes; v[1] != VoteYes || v[0] != VoteNone {
		t.Fatalf("votes %v", v)
	}
	n.down("alpha")
	n.up("alpha")
	n.decide(id)
	n.down("alpha")
	if n.balance("", legCarol) != 5 || n.balance("alpha", legBob) != 4 || ReadAtomicLeg(n.m.st, "/devnet", id, 1).State != LegCommitted {
		t.Fatalf("carol %d, bob %d", n.balance("", legCarol), n.balance("alpha", legBob))
	}
	n.m.conserved()
}

// TestAtomicSubmitRefusals: a bad plan reverts saying what is wrong and
// sends nothing.
func TestAtomicSubmitRefusals(t *testing.T) {
	n := newAtomicNet(t)
	two := []AtomicLeg{valueLeg("alpha", legBob, 1), valueLeg("beta", legBob, 1)}
	tests := []struct {
		name     string
		value    int64
		deadline uint64
		legs     []AtomicLeg
		want     string
	}{
		{"no legs", 0, 10, []AtomicLeg{}, "needs at least one leg"},
		{"no deadline", 2, 0, two, "deadline of 0 blocks"},
		{"value short", 1, 10, two, "the legs carry 2 wei in all; send exactly that (sent 1)"},
		{"not the LCA", 1, 10, []AtomicLeg{valueLeg("alpha", legBob, 1)}, "lowest common ancestor is /devnet/alpha; submit the plan there"},
		{"to the gateway", 1, 10, []AtomicLeg{valueLeg("alpha", Address, 1), valueLeg("beta", legBob, 0)}, "cannot be a leg's target"},
		{"empty leg", 1, 10, []AtomicLeg{valueLeg("alpha", legBob, 1), valueLeg("beta", legBob, 0)}, "leg 1 carries neither value nor participant data"},
		{"unknown subnet", 2, 10, []AtomicLeg{valueLeg("alpha", legBob, 1), valueLeg("nope", legBob, 1)}, "/devnet/nope does not exist"},
		{"other network", 2, 10, []AtomicLeg{valueLeg("alpha", legBob, 1), {Subnet: "/test/x", To: legBob, Value: big.NewInt(1)}}, "in network /test"},
		{"same leg twice", 2, 10, []AtomicLeg{valueLeg("alpha", legBob, 1), valueLeg("alpha", legBob, 1)}, "legs 0 and 1 are the same"},
		{"too many legs", 9, 10, func() []AtomicLeg {
			var l []AtomicLeg
			for i := range 9 {
				l = append(l, valueLeg("alpha", common.Address{byte(i + 1)}, 1))
			}
			return l
		}(), "9 legs, at most 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n.m.t = t
			n.m.fails(tt.want, planSubmitter, tt.value, "atomicSubmit", tt.legs, tt.deadline)
		})
	}
	n.m.t = t
	n.m.fails("no plan", planSubmitter, 0, "atomicDecide", common.Hash{1})
}

// TestAtomicGas reports and bounds the gas of each phase of a leg: what a
// leg's subnet meters for its prepare and its decision, what the mediator
// charges for a vote in a checkpoint (within xnet's table for a call, so
// checkpoints stay within a block), for submit and for decide.
func TestAtomicGas(t *testing.T) {
	n := newAtomicNet(t)
	pAddr := common.Address{0x9a}
	var p participantLog
	n.legs["alpha"].st.contracts[pAddr] = participant(&p, true, false)
	legs := []AtomicLeg{valueLeg("alpha", legBob, 3), {Subnet: "/devnet/alpha", To: pAddr, Value: big.NewInt(1), Data: make([]byte, 100)}, valueLeg("beta", legCarol, 1)}
	submitGas := n.m.g.RequiredGas(n.m.st, Call{Caller: planSubmitter, Value: big.NewInt(5), Input: mustPack(t, n.m.g, "atomicSubmit", legs, uint64(10))})
	id := n.submit(5, 10, legs...)
	alpha := n.legs["alpha"]
	queued, _ := ReadTopDown(n.m.st, "/devnet", n.kids["alpha"].id, AppliedTopDown(alpha.st)+1, 10)
	prepareValue, prepareContract := alpha.g.TopDownGas(alpha.st, queued[0]), alpha.g.TopDownGas(alpha.st, queued[1])
	n.down("alpha")
	up, _ := ReadUp(alpha.st, "/devnet/alpha", 1, 10)
	vote := routeGas(n.m.st, "/devnet", up[0])
	n.up("alpha")
	n.down("beta")
	n.up("beta")
	decideGas := n.m.g.RequiredGas(n.m.st, Call{Input: mustPack(t, n.m.g, "atomicDecide", id)})
	n.decide(id)
	queued, _ = ReadTopDown(n.m.st, "/devnet", n.kids["alpha"].id, AppliedTopDown(alpha.st)+1, 10)
	commitValue, commitContract := alpha.g.TopDownGas(alpha.st, queued[0]), alpha.g.TopDownGas(alpha.st, queued[1])
	abort := queued[1]
	abort.Msg.Data = mustRLP(&atomicOp{Op: opAbort, Plan: id, Leg: 1})
	abortContract := alpha.g.TopDownGas(alpha.st, abort)
	t.Logf("gas: submit (3 legs) %d, prepare value leg %d, prepare participant leg %d, vote on the mediator %d, decide (3 legs) %d, commit value leg %d, commit participant leg %d, abort participant leg %d",
		submitGas, prepareValue, prepareContract, vote, decideGas, commitValue, commitContract, abortContract)
	if prepareContract < CrossMsgCallGas || commitContract < CrossMsgCallGas || abortContract < CrossMsgCallGas {
		t.Fatal("a phase that runs a participant is metered below the participant's gas")
	}
	if prepareValue >= prepareContract || commitValue >= commitContract {
		t.Fatal("a plain value leg is metered as if it ran a participant")
	}
	if vote > 900_000 {
		t.Fatalf("a vote costs the mediator %d gas, over xnet's 900 000 for a call delivered on the parent", vote)
	}
	if submitGas < 2*CrossMsgCallGas || decideGas < 2*CrossMsgCallGas {
		t.Fatal("submit or decide does not pay for the calls it queues for children")
	}
}

// TestAtomicOpEncoding: the operation a vote carries decodes back, so
// checkpoints carry what the mediator reads.
func TestAtomicOpEncoding(t *testing.T) {
	op := atomicOp{Op: opVote, Plan: common.Hash{1}, Leg: 3, Yes: true}
	var back atomicOp
	if err := rlp.DecodeBytes(mustRLP(&op), &back); err != nil || back.Op != opVote || back.Leg != 3 || !back.Yes {
		t.Fatalf("%+v %v", back, err)
	}
	if err := checkUpMessage("/devnet", "/devnet/alpha", 0, &CrossMsg{ID: MsgID("/devnet/alpha", 1), SrcSubnet: "/devnet/alpha", SrcNonce: 1,
		From: Address, DstSubnet: "/devnet", To: AtomicAddress, Value: new(big.Int), Data: mustRLP(&op), Kind: KindCall}); err != nil {
		t.Fatalf("a parent refuses a vote in a checkpoint: %v", err)
	}
}

// TestAtomicPrepareBouncedReturnsEscrow: a prepare that cannot reach its
// leg (here: /devnet/alpha has no child one) comes back to the plan's
// submitter, not to the mediator's gateway that sent it; the plan aborts
// at its deadline.
func TestAtomicPrepareBouncedReturnsEscrow(t *testing.T) {
	n := newAtomicNet(t)
	id := n.submit(9, 3, AtomicLeg{Subnet: "/devnet/alpha/one", To: legBob, Value: big.NewInt(4), Data: []byte{}}, valueLeg("beta", legCarol, 5))
	before := n.balance("", planSubmitter)
	n.down("alpha") // alpha finds no child one: the prepare bounces
	n.up("alpha")
	if got := n.balance("", planSubmitter) - before; got != 4 {
		t.Fatalf("the submitter got %d back for the unreachable leg, want 4", got)
	}
	n.m.st.height = 10
	if n.decide(id) {
		t.Fatal("a plan with an unreachable leg committed")
	}
	n.down("beta")
	n.up("beta")
	if got := n.balance("", planSubmitter) - before; got != 9 || n.balance("beta", legCarol) != 0 {
		t.Fatalf("the submitter got %d back in all, want 9", got)
	}
	n.m.conserved()
}
