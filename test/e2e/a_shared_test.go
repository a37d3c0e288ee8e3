package e2e

// This file's name sorts first and TestSharedTree, the package's longest
// test, comes first in it: go test gave the first test of the package the
// first parallel slot (and the second one the last slot) in the runs we
// saw; started last, it ran alone for its last minute while the other slot
// idled.

import (
	"strconv"
	"testing"
)

// TestSharedTree runs, one after the other on one default devnet (the root,
// alpha, beta and alpha/one), the tests of that tree that stop no node and
// use accounts of their own: the tree as devnet.json describes it first,
// then cross messages (whose supply deltas nothing else moves meanwhile),
// then a swap between the siblings, and last the atomic plans, whose final
// subtest kills node0.
func TestSharedTree(t *testing.T) {
	t.Parallel()
	d := startDevnet(t, t.TempDir(), "--block-time", "200ms", "--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t)))
	t.Run("DefaultDevnetTree", func(t *testing.T) { testDefaultDevnetTree(t, d) })
	t.Run("CrossMessagesThroughTheTree", func(t *testing.T) { testCrossMessagesThroughTheTree(t, d) })
	t.Run("SwapBetweenSiblings", func(t *testing.T) { testSwapBetweenSiblings(t, d) })
	t.Run("AtomicPlans", func(t *testing.T) { testAtomicPlans(t, d) }) // last: it kills node0
}

// TestSharedRoot runs, one after the other on one 4-validator root, the
// tests that stop, pause or wipe no node and give every child a name of
// its own: a devnet each cost a start and nearly half a core for as long
// as it ran. Tests that kill or pause nodes keep a devnet of their own.
// The order matters where a test reads totals of the whole root (see each).
func TestSharedRoot(t *testing.T) {
	t.Parallel()
	n := startBFT(t)
	t.Run("HostilePeerIsPenalised", func(t *testing.T) { testHostilePeerIsPenalised(t, n) })
	t.Run("SlashDoubleVote", func(t *testing.T) { testSlashDoubleVote(t, n) })
	t.Run("ChildEquivocationIsReportedAndSlashed", func(t *testing.T) { testChildEquivocation(t, n) })
	t.Run("SoloSubnet", func(t *testing.T) { testSoloSubnet(t, n) })
}
