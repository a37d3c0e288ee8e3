package sim

import "testing"

// upTree is knobTree run long enough for several checkpoints of the child.
var upTree = func() TreeScenario {
	sc := knobTree
	sc.Name, sc.Heights = "tree-up", 8
	return sc
}()

// TestTreeCatchesUnfinalCheckpoint: parent validators that do not check a
// checkpoint's certificate let a byzantine proposer pay a child block the
// child never finalized.
func TestTreeCatchesUnfinalCheckpoint(t *testing.T) {
	t.Parallel()
	findFailure(t, upTree, liar(), treeKnobs{trustCheckpoints: true, lies: []lie{lieCkptUnfinal}}, ErrUpUnfinal)
}

// TestTreeCatchesCheckpointOrder: without "the next checkpoint, continuing
// the last applied message" a certified checkpoint is applied again; a
// skipped one needs the certificate check off too, since a checkpoint two
// periods ahead is rarely certified when a byzantine node proposes.
func TestTreeCatchesCheckpointOrder(t *testing.T) {
	t.Parallel()
	t.Run("repeat", func(t *testing.T) {
		findFailure(t, upTree, liar(), treeKnobs{anyOrder: true, lies: []lie{lieCkptRepeat}}, ErrUpTwice)
	})
	t.Run("skip", func(t *testing.T) {
		findFailure(t, upTree, liar(), treeKnobs{anyOrder: true, trustCheckpoints: true, lies: []lie{lieCkptSkip}}, ErrUpSkipped)
	})
}

// TestTreeCatchesInflatedCheckpoint: a checkpoint paying a little more than
// its messages carry, let through by validators that skip the certificate,
// breaks conservation; one paying more than the circulating supply is
// still refused by the firewall, and only breaks it when that is off too.
func TestTreeCatchesInflatedCheckpoint(t *testing.T) {
	t.Parallel()
	t.Run("inflate", func(t *testing.T) {
		findFailure(t, upTree, liar(), treeKnobs{trustCheckpoints: true, lies: []lie{lieCkptInflate}}, ErrConservation)
	})
	t.Run("overpay", func(t *testing.T) {
		k := treeKnobs{trustCheckpoints: true, noFirewall: true, lies: []lie{lieCkptOverpay}}
		seed := findFailure(t, upTree, liar(), k, ErrFirewall)
		k.noFirewall = false
		res, err := runKnobbed(seed, upTree, liar(), k)
		if err != nil {
			t.Fatalf("seed %d: overpaying checkpoints with the firewall on: %v", seed, err)
		}
		if c := res.Lies[lieCkptOverpay.String()]; c.Refused == 0 || c.Final > 0 {
			t.Fatalf("seed %d: the firewall alone refused %d overpaying blocks, %d final; want some refused, none final", seed, c.Refused, c.Final)
		}
	})
}

// TestTreeCatchesUnburnedUp: a child that sends value up without burning it
// creates value, which conservation reports.
func TestTreeCatchesUnburnedUp(t *testing.T) {
	t.Parallel()
	sc := upTree
	sc.Byzantine = 0
	findFailure(t, sc, BFT(), treeKnobs{noBurn: true}, ErrConservation)
}

// TestTreeCatchesMissingCheckpoints: parent proposers that never include
// checkpoints leave every up message unapplied.
func TestTreeCatchesMissingCheckpoints(t *testing.T) {
	t.Parallel()
	sc := upTree
	sc.Byzantine, sc.MaxTicks = 0, 100
	findFailure(t, sc, BFT(), treeKnobs{noCheckpoints: true}, ErrUpSkipped)
}
