package gateway

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/types"
)

// probe is what a fake contract saw while it ran.
type probe struct {
	caller     common.Address
	originSrc  string
	originFrom common.Address
	value      *big.Int
	data       []byte
	runs       int
}

// probeContract records its call, reads crossMsgOrigin from the gateway like
// a contract would, then runs then (if set).
func probeContract(p *probe, then func(s *xState, self common.Address) ([]byte, error)) fakeContract {
	return func(s *xState, self, caller common.Address, data []byte, value *big.Int) ([]byte, error) {
		p.runs++
		p.caller, p.value, p.data = caller, value, data
		ret, err := s.g.Run(s, Call{Caller: self, Input: s.g.ABI().Methods["crossMsgOrigin"].ID, ReadOnly: true})
		if err != nil {
			return nil, err
		}
		out, err := s.g.ABI().Unpack("crossMsgOrigin", ret)
		if err != nil {
			return nil, err
		}
		p.originSrc, p.originFrom = out[0].(string), out[1].(common.Address)
		if then != nil {
			return then(s, self)
		}
		return []byte("done"), nil
	}
}

// TestDeliverCall: a call from a child's checkpoint runs the contract with
// msg.sender = the gateway, msg.value = the message's value and
// crossMsgOrigin = (source subnet, sender), and only while it runs.
func TestDeliverCall(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10)
	h.ok(common.Address{0xf1}, 100, "fund", string(c.id), common.Address{0xf1})
	target := common.Address{0x7a}
	var p probe
	h.st.contracts[target] = probeContract(&p, nil)
	m := upMsg("/devnet/games/sub", 3, "/devnet", target, 30, 0xca, 0xfe)
	events := len(h.st.events)
	c.commit(c.next(m))
	if p.runs != 1 || p.caller != Address || p.originSrc != "/devnet/games/sub" || p.originFrom != m.From || p.value.Int64() != 30 || string(p.data) != "\xca\xfe" {
		t.Fatalf("the contract saw %+v", p)
	}
	if h.st.Balance(target).Int64() != 30 {
		t.Fatalf("target holds %s", h.st.Balance(target))
	}
	if ev := h.event(events, "CrossMsgApplied"); ev["msgId"] != [32]byte(m.ID) || ev["success"] != true || string(ev["result"].([]byte)) != "done" {
		t.Fatalf("CrossMsgApplied %v", ev)
	}
	if src, from := CrossMsgOrigin(h.st); src != "" || from != (common.Address{}) {
		t.Fatalf("crossMsgOrigin after the call: %q %s", src, from)
	}
	out := h.ok(common.Address{1}, 0, "crossMsgOrigin")
	if out[0] != "" || out[1] != (common.Address{}) {
		t.Fatalf("crossMsgOrigin() outside a delivery = %v", out)
	}
	h.conserved()
}

// TestDeliverCallRevertRefunds: a call that reverts leaves no trace but
// CrossMsgApplied(false, revert data), and its value goes back to its
// sender as a refund; a failed call without value needs none.
func TestDeliverCallRevertRefunds(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10)
	h.ok(common.Address{0xf1}, 100, "fund", string(c.id), common.Address{0xf1})
	target := common.Address{0x7a}
	var p probe
	h.st.contracts[target] = probeContract(&p, func(s *xState, self common.Address) ([]byte, error) {
		s.SetState(common.Hash{0x99}, common.Hash{1}) // undone by the revert
		return EncodeRevert("not today"), errors.New("reverted")
	})
	paid, free := upMsg("/devnet/games", 1, "/devnet", target, 30, 1), upMsg("/devnet/games", 2, "/devnet", target, 0, 2)
	events := len(h.st.events)
	c.commit(c.next(paid, free))
	if p.runs != 2 || h.st.GetState(common.Hash{0x99}) != (common.Hash{}) || h.st.Balance(target).Sign() != 0 {
		t.Fatalf("runs %d, the reverted call's write or value stayed", p.runs)
	}
	if got := h.eventNames(events); got != "CrossMsgApplied CrossMsgSent CrossMsgApplied CheckpointCommitted" {
		t.Fatalf("events %q", got)
	}
	ev := h.event(events, "CrossMsgApplied")
	if reason, err := abi.UnpackRevert(ev["result"].([]byte)); ev["success"] != false || err != nil || reason != "not today" {
		t.Fatalf("CrossMsgApplied %v (%q %v)", ev, reason, err)
	}
	ms, _ := ReadTopDown(h.st, "/devnet", c.id, 2, 10)
	if len(ms) != 1 || ms[0].Kind != KindRefund || ms[0].Msg.To != paid.From || ms[0].Msg.Value.Int64() != 30 || ms[0].Msg.Ref != paid.ID || ms[0].Msg.DstSubnet != "/devnet/games" {
		t.Fatalf("games' queue after the refund: %+v", ms)
	}
	sent := h.event(events+1, "CrossMsgSent")
	if sent["msgId"] != [32]byte(ms[0].Msg.ID) || sent["from"] != Address || sent["to"] != paid.From {
		t.Fatalf("refund's CrossMsgSent %v", sent)
	}
	if c.circ() != 100 {
		t.Fatalf("games' supply %d, want all 100 back", c.circ())
	}
	h.conserved()
}

// TestDeliveredCallCannotReenter: a delivered call can send messages of its
// own, but cannot commit a checkpoint or kill a subnet while the gateway is
// half way through one.
func TestDeliveredCallCannotReenter(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10)
	h.ok(common.Address{0xf1}, 100, "fund", string(c.id), common.Address{0xf1})
	replier, greedy, killer := common.Address{0x71}, common.Address{0x72}, common.Address{0x73}
	var reply, again, kill probe
	var replyErr, againReason, killReason string
	h.st.contracts[replier] = probeContract(&reply, func(s *xState, self common.Address) ([]byte, error) {
		// Answer with a message back to the sender, paying its value on.
		_, err := s.run(self, big.NewInt(10), mustPack(t, h.g, "send", reply.originSrc, reply.originFrom, []byte{}))
		if err != nil {
			replyErr = err.Error()
		}
		return nil, err
	})
	var pendingInput []byte
	h.st.contracts[greedy] = probeContract(&again, func(s *xState, self common.Address) ([]byte, error) {
		ret, err := s.run(self, new(big.Int), pendingInput)
		againReason, _ = abi.UnpackRevert(ret)
		return ret, err
	})
	h.st.contracts[killer] = probeContract(&kill, func(s *xState, self common.Address) ([]byte, error) {
		ret, err := s.run(self, new(big.Int), mustPack(t, h.g, "kill", "/devnet/idle"))
		killReason, _ = abi.UnpackRevert(ret)
		return ret, err
	})
	h.ok(killer, 0, "createSubnet", "idle", bftParams(1, 1)) // killer is its creator

	cp := c.next(upMsg("/devnet/games", 1, "/devnet", replier, 10, 1), upMsg("/devnet/games", 2, "/devnet", greedy, 20, 1), upMsg("/devnet/games", 3, "/devnet", killer, 0, 1))
	following := &types.Checkpoint{Subnet: cp.Subnet, Height: cp.Height + 10, Prev: cp.Hash(), Config: 1, AppliedConfig: 1}
	pendingInput = c.input(following)
	c.commit(cp)
	if replyErr != "" {
		t.Fatalf("reply failed: %s", replyErr)
	}
	if !strings.Contains(againReason, "submitCheckpoint cannot run inside a cross-message call") {
		t.Fatalf("re-entrant submitCheckpoint: %q", againReason)
	}
	if !strings.Contains(killReason, "kill cannot run inside a cross-message call") {
		t.Fatalf("re-entrant kill: %q", killReason)
	}
	ms, _ := ReadTopDown(h.st, "/devnet", c.id, 2, 10)
	if got, want := describe(ms), "transfer:/devnet->/devnet/games:10 refund:/devnet->/devnet/games:20"; got != want {
		t.Fatalf("games' queue %q, want the reply and greedy's refund: %q", got, want)
	}
	if ms[0].Msg.From != replier || ms[0].Msg.To != (common.Address{0xf0, 1}) {
		t.Fatalf("reply %+v", ms[0].Msg)
	}
	if h, _, _ := LastCheckpoint(h.st, "/devnet", c.id); h != cp.Height {
		t.Fatalf("the re-entrant checkpoint committed: last height %d", h)
	}
	// Outside a delivery the next checkpoint commits.
	c.commit(following)
	h.conserved()
}

// TestDeliverDirect: Deliver, as ApplyTopDown will call it, credits
// transfers and refunds from the gateway's balance and fails (for the caller
// to roll back) when the gateway lacks the value.
func TestDeliverDirect(t *testing.T) {
	h := newXH(t, "/devnet/games")
	h.st.balances[Address] = big.NewInt(50)
	m := CrossMsg{ID: MsgID("/devnet", 9), SrcSubnet: "/devnet", SrcNonce: 9, DstSubnet: "/devnet/games", To: common.Address{0xb0}, Value: big.NewInt(50), Kind: KindTransfer}
	if err := h.g.Deliver(h.st, m); err != nil {
		t.Fatal(err)
	}
	if h.st.Balance(m.To).Int64() != 50 || h.event(-1, "CrossMsgApplied")["success"] != true {
		t.Fatal("transfer not credited")
	}
	if err := h.g.Deliver(h.st, m); err == nil {
		t.Fatal("Deliver paid out value the gateway does not hold")
	}
	// A failed call on a child refunds up: its value is burned here.
	h.st.balances[Address] = big.NewInt(8)
	h.st.contracts[common.Address{0x7a}] = func(*xState, common.Address, common.Address, []byte, *big.Int) ([]byte, error) {
		return nil, errors.New("out of gas")
	}
	call := CrossMsg{ID: MsgID("/devnet/other", 1), SrcSubnet: "/devnet/other", SrcNonce: 1, From: common.Address{0xf0}, DstSubnet: "/devnet/games", To: common.Address{0x7a}, Value: big.NewInt(8), Data: []byte{1}, Kind: KindCall}
	if err := h.g.Deliver(h.st, call); err != nil {
		t.Fatal(err)
	}
	up, _ := ReadUp(h.st, "/devnet/games", 1, 10)
	if len(up) != 1 || up[0].Kind != KindRefund || up[0].DstSubnet != "/devnet/other" || up[0].To != call.From || up[0].Ref != call.ID || h.st.burned.Int64() != 8 {
		t.Fatalf("up queue %+v, burned %s", up, h.st.burned)
	}
}

// TestDeliverTooDeepReverts: a call that cannot start for the call depth
// reverts the checkpoint instead of failing the message, so no submitter can
// make a checkpoint's calls fail by submitting it from deep in a call stack.
func TestDeliverTooDeepReverts(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10)
	h.ok(common.Address{0xf1}, 100, "fund", string(c.id), common.Address{0xf1})
	target := common.Address{0x7a}
	h.st.contracts[target] = func(*xState, common.Address, common.Address, []byte, *big.Int) ([]byte, error) {
		return nil, ErrCallTooDeep
	}
	c.refuses("runs too deep in the call stack to deliver message", c.next(upMsg("/devnet/games", 1, "/devnet", target, 5, 1)))
}
