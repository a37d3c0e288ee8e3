package gateway

import (
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// childXState lets a test apply top-down messages to an xState: the value
// the parent locked is minted here.
type childXState struct{ *xState }

var _ ChildState = childXState{}

func (s childXState) Mint(to common.Address, amount *big.Int) {
	s.balances[to] = new(big.Int).Add(s.Balance(to), amount)
}

// TestSendToMissingSiblingComesBack (issue 19, defect 12): a send from
// /devnet/alpha to /devnet/nope cannot be refused by alpha's gateway (the
// registry that knows is the root's), so it climbs to the root; there the
// hop finds no child nope, emits CrossMsgApplied(false, reason) and queues
// the value back to the sender, who has it again once alpha applies it.
func TestSendToMissingSiblingComesBack(t *testing.T) {
	alpha := newXH(t, "/devnet/alpha")
	sender, bob := common.Address{0x5e}, common.Address{0xb0}
	alpha.st.balances[Address] = big.NewInt(1000) // what alpha's genesis minted to the gateway
	alpha.st.SetState(AppliedSlot(), u64Word(1))  // and the root's fund behind it
	out := alpha.ok(sender, 5, "send", "/devnet/nope", bob, []byte{})
	up, err := ReadUp(alpha.st, "/devnet/alpha", 1, 10)
	if err != nil || len(up) != 1 || up[0].ID != common.Hash(out[0].([32]byte)) || up[0].DstSubnet != "/devnet/nope" {
		t.Fatalf("alpha's up queue %+v (%v)", up, err)
	}
	if got := alpha.st.Balance(sender).Int64(); got != 0 {
		t.Fatalf("sender holds %d on alpha after sending, want 0", got)
	}

	root := newXH(t, "/devnet")
	c := root.newChild("alpha", 10)
	root.ok(common.Address{0xf1}, 1000, "fund", string(c.id), common.Address{0xf1})
	events := len(root.st.events)
	c.commit(c.next(up...))
	if got, want := root.eventNames(events), "CrossMsgApplied CrossMsgSent CheckpointCommitted"; got != want {
		t.Fatalf("root's events %q, want %q", got, want)
	}
	if ev := root.event(events, "CrossMsgApplied"); ev["msgId"] != [32]byte(up[0].ID) || ev["success"] != false ||
		!strings.Contains(string(ev["result"].([]byte)), "/devnet/nope does not exist") {
		t.Fatalf("bounce event %v", ev)
	}
	down, err := ReadTopDown(root.st, "/devnet", c.id, 2, 10)
	if err != nil || len(down) != 1 {
		t.Fatalf("alpha's top-down queue after the bounce: %+v (%v)", down, err)
	}
	if r := down[0].Msg; r.Kind != KindRefund || r.Ref != up[0].ID || r.To != sender || r.DstSubnet != "/devnet/alpha" || r.Value.Int64() != 5 {
		t.Fatalf("refund %+v does not return 5 to %s on alpha", r, sender)
	}
	if got := c.circ(); got != 1000 {
		t.Fatalf("alpha's supply %d after the bounce, want 1000 (the 5 went back down)", got)
	}
	root.conserved()

	if _, _, err := alpha.g.ApplyTopDown(childXState{alpha.st}, down, math.MaxUint64); err != nil {
		t.Fatal(err)
	}
	if got := alpha.st.Balance(sender).Int64(); got != 5 {
		t.Fatalf("sender holds %d on alpha after the refund, want 5", got)
	}
	if ev := alpha.event(-1, "CrossMsgApplied"); ev["msgId"] != [32]byte(down[0].Msg.ID) || ev["success"] != true {
		t.Fatalf("refund's event on alpha %v", ev)
	}
}

// TestTopDownToMissingGrandchildRefunds: deeper than the common ancestor
// can see, the hop that finds the subnet missing (here /devnet/games
// applying a message for /devnet/games/nope) bounces it and routes the
// value back up to its sender.
func TestTopDownToMissingGrandchildRefunds(t *testing.T) {
	root := newXH(t, "/devnet")
	c := root.newChild("games", 10)
	sender := common.Address{0x5e}
	root.ok(sender, 7, "send", "/devnet/games/nope", common.Address{0xb0}, []byte{})
	down, err := ReadTopDown(root.st, "/devnet", c.id, 1, 10)
	if err != nil || len(down) != 1 {
		t.Fatalf("games' queue %+v (%v)", down, err)
	}

	games := newXH(t, "/devnet/games")
	if _, _, err := games.g.ApplyTopDown(childXState{games.st}, down, math.MaxUint64); err != nil {
		t.Fatal(err)
	}
	if got, want := games.eventNames(0), "CrossMsgApplied CrossMsgSent"; got != want {
		t.Fatalf("games' events %q, want %q", got, want)
	}
	if ev := games.event(0, "CrossMsgApplied"); ev["success"] != false || !strings.Contains(string(ev["result"].([]byte)), "/devnet/games/nope does not exist") {
		t.Fatalf("bounce event %v", ev)
	}
	up, _ := ReadUp(games.st, "/devnet/games", 1, 10)
	if len(up) != 1 || up[0].Kind != KindRefund || up[0].DstSubnet != "/devnet" || up[0].To != sender || up[0].Ref != down[0].Msg.ID || up[0].Value.Int64() != 7 {
		t.Fatalf("games' up queue %+v, want a refund of 7 to %s on /devnet", up, sender)
	}
	if games.st.burned.Int64() != 7 {
		t.Fatalf("games burned %s, want the refund's 7", games.st.burned)
	}
}
