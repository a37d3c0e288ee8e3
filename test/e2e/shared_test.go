package e2e

import "testing"

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
