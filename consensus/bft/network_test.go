package bft

import (
	"bytes"
	"testing"
)

func TestFourHonestNodesAgreeAndProgress(t *testing.T) {
	net := newTestNet(t, 4)
	net.tick(200)
	net.checkAgreement()
	if net.directed != 0 || net.syncs != 0 {
		t.Fatalf("a healthy network sent %d catch-up messages and %d sync requests", net.directed, net.syncs)
	}
	if h := net.minHeight(false); h < 10 {
		t.Fatalf("slowest node finalized %d blocks in 200 ticks, want at least 10", h)
	}
}

func TestOneCrashedNodeStillProgresses(t *testing.T) {
	net := newTestNet(t, 4)
	net.crash(2)
	net.tick(400)
	net.checkAgreement()
	if h := net.minHeight(true); h < 5 {
		t.Fatalf("live nodes finalized %d blocks in 400 ticks with one crashed, want at least 5", h)
	}
	// Its messages lost, the crashed node's rounds as proposer must time out
	// and move on rather than stall the chain.
	if len(net.nodes[2].chain) != 0 {
		t.Fatalf("crashed node finalized blocks")
	}
}

func TestTwoCrashedNodesNoFinality(t *testing.T) {
	net := newTestNet(t, 4)
	net.crash(1)
	net.crash(3)
	net.tick(400)
	for _, n := range net.nodes {
		if len(n.chain) != 0 {
			t.Fatalf("%s finalized %d blocks with half the power down", n.id, len(n.chain))
		}
	}
	// Bring one back: three of four have a quorum again, and the restarted
	// node must not sign anything conflicting with its WAL.
	net.restart(1)
	net.tick(400)
	net.checkAgreement()
	if h := net.minHeight(true); h < 3 {
		t.Fatalf("after a restart live nodes finalized %d blocks, want at least 3", h)
	}
}

func TestLossyNetworkWithRestarts(t *testing.T) {
	net := newTestNet(t, 4)
	// Lose about one message in five, deterministically.
	net.drop = func(from, to, seq int) bool { return (seq*2654435761)%5 == 0 }
	for round := 0; round < 4; round++ {
		net.tick(150)
		victim := round % 4
		net.crash(victim)
		net.tick(30)
		net.restart(victim)
	}
	net.drop = nil
	net.tick(300)
	net.checkAgreement()
	t.Logf("heights %d..%d, %d sync requests", net.minHeight(false), len(net.nodes[0].chain), net.syncs)
	if h := net.minHeight(false); h < 5 {
		t.Fatalf("slowest node finalized %d blocks, want at least 5", h)
	}
}

func TestDeterministicTrace(t *testing.T) {
	run := func() []byte {
		net := newTestNet(t, 4)
		net.drop = func(from, to, seq int) bool { return seq%7 == 0 }
		net.tick(120)
		return net.trace.Bytes()
	}
	a, b := run(), run()
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatalf("two runs with the same inputs produced different Ready traces (%d and %d bytes)", len(a), len(b))
	}
}

// TestFollowerFinalizes: a node without a key verifies and finalizes the
// chain but never signs anything.
func TestFollowerFinalizes(t *testing.T) {
	net := newTestNetWithFollowers(t, 4, 1)
	net.tick(60)
	net.checkAgreement()
	f := net.nodes[4]
	if len(f.chain) < 3 {
		t.Fatalf("follower finalized %d blocks, want at least 3", len(f.chain))
	}
	if len(f.wal) != 0 {
		t.Fatalf("follower persisted %d entries", len(f.wal))
	}
}

// TestCatchUpAfterLostPrecommits: with one node crashed, the network needs
// a node that lost every precommit of height 1. Even with no block sync to
// serve it, it decides height 1 from its peers' catch-up replies to the
// votes it re-broadcasts when stalled, and the chain moves on.
func TestCatchUpAfterLostPrecommits(t *testing.T) {
	net := newTestNet(t, 4)
	net.noSync = true
	lagging := 3
	net.crash(2)
	net.drop = func(from, to, seq int) bool {
		return to == lagging && net.nodes[lagging].e.Height() == 1 && net.lastHeight == 1 && net.lastType == Precommit && net.lastTo == ""
	}
	net.tick(150)
	net.checkAgreement()
	got := len(net.nodes[lagging].chain)
	t.Logf("lagging node at %d of %d, %d catch-up messages, %d SyncTo", got, len(net.nodes[0].chain), net.directed, net.syncs)
	if net.directed == 0 || got < 3 {
		t.Fatalf("lagging node finalized %d blocks after %d catch-up messages", got, net.directed)
	}
	if net.syncs == 0 {
		t.Fatal("a stalled node with +1/3 of the power ahead did not ask for block sync")
	}
}
