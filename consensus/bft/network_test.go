package bft

import (
	"bytes"
	"testing"
)

func TestFourHonestNodesAgreeAndProgress(t *testing.T) {
	net := newTestNet(t, 4)
	net.tick(200)
	net.checkAgreement()
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
