package bft

import (
	"testing"

	"github.com/aspen-chain/aspen/consensus"
)

// newIdleNet is four validators that rest when idle, restarted so the
// IdleInterval applies from their first height.
func newIdleNet(t *testing.T, idle uint64) *testNet {
	net := newTestNet(t, 4)
	net.idle = idle
	for i := range net.nodes {
		net.start(i, nil)
	}
	return net
}

func TestIdleChainRestsUntilWork(t *testing.T) {
	net := newIdleNet(t, 1000)
	net.tick(100)
	if h := net.minHeight(false); h != 1 {
		t.Fatalf("a new idle chain made %d blocks in 100 ticks, want its first block only", h)
	}
	sent := net.seq
	net.tick(100)
	if h := net.minHeight(false); h != 1 || net.seq != sent {
		t.Fatalf("an idle chain made %d blocks and sent %d messages in 100 ticks; it should rest", h, net.seq-sent)
	}
	// Work arrives at one node only (here a non-proposer of height 1 as
	// well as any other: every node must join once a peer starts).
	for i := range net.nodes {
		if net.vs.Proposer(2, 0) != i {
			if err := net.nodes[i].e.Step(consensus.PoolStatus{Pending: 1}); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	net.tick(60)
	net.checkAgreement()
	for _, n := range net.nodes {
		if len(n.chain) != 2 {
			t.Fatalf("%s finalized %d blocks after work arrived at one node, want exactly 2 (then rest)", n.id, len(n.chain))
		}
	}
	sent = net.seq
	net.tick(100)
	if h := net.minHeight(false); h != 2 || net.seq != sent {
		t.Fatalf("after the work was done the chain made %d blocks and %d more messages; it should rest", h, net.seq-sent)
	}
}

func TestIdleChainMakesHeartbeatBlocks(t *testing.T) {
	net := newIdleNet(t, 50)
	net.tick(240)
	net.checkAgreement()
	// One block per IdleInterval (plus a round's time), not one per BlockTime.
	if h := net.minHeight(false); h < 3 || h > 6 {
		t.Fatalf("idle chain with a 50-tick idle interval made %d blocks in 240 ticks, want 2..5", h)
	}
}

func TestPoolStatusWithoutWorkKeepsResting(t *testing.T) {
	net := newIdleNet(t, 1000)
	net.tick(40)
	sent := net.seq
	for _, n := range net.nodes {
		if err := n.e.Step(consensus.PoolStatus{Pending: 0}); err != nil {
			t.Fatal(err)
		}
	}
	net.tick(50)
	if h := net.minHeight(false); h != 1 || net.seq != sent {
		t.Fatalf("an empty pool woke the chain: %d blocks, %d messages", h, net.seq)
	}
}
