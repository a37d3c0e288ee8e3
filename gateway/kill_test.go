package gateway

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestKillPaysPendingReleases: killing a subnet returns the collateral of
// its validators and of leavers still waiting.
func TestKillPaysPendingReleases(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10)
	a3 := c.join(30)
	h.ok(a3, 0, "leave", string(c.id))
	events := len(h.st.events)
	h.ok(common.Address{0xc0}, 0, "kill", string(c.id))
	if got := h.eventNames(events); got != "ValidatorLeft SubnetKilled" {
		t.Fatalf("events %q", got)
	}
	for owner, want := range map[common.Address]int64{{0xa0, 1}: 10, {0xa0, 2}: 10, a3: 30} {
		if got := h.st.Balance(owner); got.Int64() != want*gwei {
			t.Fatalf("%s has %s, want %d gwei", owner, got, want)
		}
	}
	if b := h.st.Balance(Address); b.Sign() != 0 {
		t.Fatalf("gateway keeps %s", b)
	}
	if rs, _ := ReadPendingReleases(h.st, "/devnet", c.id); len(rs) != 0 {
		t.Fatalf("still pending after kill: %+v", rs)
	}
}

// TestKillAfterTraffic (issue 19, defect 8): a child that was funded and
// burned part of it in base fees can still be killed once its checkpoints
// released what could leave: the fees never come back, so the circulating
// supply never reaches zero. Every seat gets its collateral back; what is
// left stays locked as the killed child's supply (for the escape hatch), and
// the gateway still holds exactly what it owes.
func TestKillAfterTraffic(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 10, 10)
	h.ok(common.Address{0xf1}, 100*gwei, "fund", string(c.id), common.Address{0xf1})
	// The child spent 3 gwei on base fees (burned there); its users sent the
	// other 97 back up, in a checkpoint.
	c.commit(c.next(upMsg("/devnet/games", 1, "/devnet", common.Address{0xf2}, 97*gwei)))
	if got := c.circ(); got != 3*gwei {
		t.Fatalf("circulating supply %d after the release, want the 3 gwei of burned fees", got)
	}
	events := len(h.st.events)
	h.ok(common.Address{0xc0}, 0, "kill", string(c.id))
	if got := h.eventNames(events); got != "SubnetKilled" {
		t.Fatalf("events %q", got)
	}
	for i := byte(1); i <= 3; i++ {
		if got := h.st.Balance(common.Address{0xa0, i}); got.Int64() != 10*gwei {
			t.Fatalf("validator %d has %s after kill, want its 10 gwei", i, got)
		}
	}
	sn := c.sn()
	if sn.Status != StatusKilled || sn.CirculatingSupply.Int64() != 3*gwei || len(sn.Validators) != 0 {
		t.Fatalf("after kill: status %s, supply %s, %d seats", sn.Status, sn.CirculatingSupply, len(sn.Validators))
	}
	if b := h.st.Balance(Address); b.Int64() != 3*gwei {
		t.Fatalf("the gateway holds %s after kill, want the 3 gwei still locked for the child", b)
	}
	h.conserved()
	c.refuses("was killed; it takes no more checkpoints", c.next())
}
