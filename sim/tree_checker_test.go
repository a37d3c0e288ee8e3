package sim

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// knobTree is a root and one child on the same four nodes, the smallest
// tree with top-down messages and a byzantine validator under a third.
var knobTree = TreeScenario{
	Scenario: Scenario{Name: "tree-knob", Nodes: 4, Byzantine: 1, MinDelay: 1, MaxDelay: 3, Heights: 4},
	Chains: []Chain{
		{Subnet: "/sim", Parent: -1, Validators: []int{0, 1, 2, 3}},
		{Subnet: "/sim/a", Parent: 0, Validators: []int{0, 1, 2, 3}},
	},
}

// liar is BFT whose byzantine nodes lie in the child blocks they propose but
// do not equivocate, so a lying proposal wins its round whenever the honest
// validators accept it.
func liar() EngineFactory {
	f := BFT()
	f.Corrupt = nil
	return f
}

// knobSeeds bounds the search for a seed that breaks a knobbed simulator.
const knobSeeds = 30

func runKnobbed(seed uint64, sc TreeScenario, f EngineFactory, k treeKnobs) (*TreeResult, error) {
	t, err := newTree(seed, sc, f, k)
	if err != nil {
		return nil, err
	}
	return t.run()
}

// findFailure runs sc with knobs k on seeds from 0 and returns the first
// seed whose run fails with want. A run failing otherwise, or no such seed
// below knobSeeds, fails the test. The same seed with k's lies but every
// honest check in place must pass: the knob, not the seed, broke it.
func findFailure(t *testing.T, sc TreeScenario, f EngineFactory, k treeKnobs, want error) uint64 {
	t.Helper()
	for seed := uint64(0); seed < knobSeeds; seed++ {
		_, err := runKnobbed(seed, sc, f, k)
		if err == nil {
			continue
		}
		var fail *Failure
		if !errors.Is(err, want) || !errors.As(err, &fail) || fail.Seed != seed {
			t.Fatalf("seed %d: got %v, want nil or a failure naming the seed and wrapping %q", seed, err, want)
		}
		t.Logf("seed %d: %v", seed, err)
		if res, err := runKnobbed(seed, sc, f, treeKnobs{lies: k.lies}); err != nil {
			t.Fatalf("seed %d without the knob: %v", seed, err)
		} else if sc.Byzantine > 0 && lieCount(res, k.lies).Refused == 0 {
			t.Fatalf("seed %d without the knob: no lie %v refused: %+v", seed, k.lies, res.Lies)
		}
		return seed
	}
	t.Fatalf("no seed below %d fails with %q", knobSeeds, want)
	return 0
}

// lieCount sums res.Lies over kinds.
func lieCount(res *TreeResult, kinds []lie) LieCount {
	var sum LieCount
	for _, k := range kinds {
		c := res.Lies[k.String()]
		sum.Built, sum.Refused, sum.Final = sum.Built+c.Built, sum.Refused+c.Refused, sum.Final+c.Final
	}
	return sum
}

// TestTreeCatchesUnfinalReference: validators that prevote a reference they
// do not hold as final let a byzantine proposer's reference to a pending or
// made-up parent block become final, so the child applies messages the
// parent chain never queued.
func TestTreeCatchesUnfinalReference(t *testing.T) {
	t.Parallel()
	findFailure(t, knobTree, liar(), treeKnobs{acceptUnfinal: true, lies: []lie{lieUnfinal, lieMissing}}, ErrUnqueued)
}

// TestTreeCatchesFalseClaims: nodes that believe a block's state root
// instead of re-executing its top-down messages adopt whatever a byzantine
// proposer claims it applied.
func TestTreeCatchesFalseClaims(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lie  lie
		want error
	}{
		{lieMore, ErrUnqueued},
		{lieSkip, ErrNeverApplied},
		{lieTwice, ErrAppliedTwice},
	} {
		t.Run(tc.lie.String(), func(t *testing.T) {
			findFailure(t, knobTree, liar(), treeKnobs{trustRoot: true, lies: []lie{tc.lie}}, tc.want)
		})
	}
}

// TestTreeBackwardReference: the rule that a reference never moves back is
// a second guard. Validators without it let backward references become
// final, and the executor, which applies what follows its last applied
// nonce, applies nothing twice; an executor that applies what parent
// heights (h1, h2] queued instead is safe only thanks to the rule, and
// without it applies messages again.
func TestTreeBackwardReference(t *testing.T) {
	t.Parallel()
	back := []lie{lieBackwards}
	// Long enough for honest blocks to move the reference forward again.
	sc := knobTree
	sc.Heights = 7
	var final bool
	for seed := uint64(0); seed < knobSeeds && !final; seed++ {
		res, err := runKnobbed(seed, sc, liar(), treeKnobs{allowBackwards: true, lies: back})
		if err != nil {
			t.Fatalf("seed %d: backward references with a nonce-keeping executor: %v", seed, err)
		}
		final = res.Lies[lieBackwards.String()].Final > 0
	}
	if !final {
		t.Fatalf("no backward reference became final below seed %d with the rule off", knobSeeds)
	}
	seed := findFailure(t, sc, liar(), treeKnobs{allowBackwards: true, byHeights: true, lies: back}, ErrAppliedTwice)
	if _, err := runKnobbed(seed, sc, liar(), treeKnobs{byHeights: true, lies: back}); err != nil {
		t.Fatalf("seed %d: the by-heights executor with the rule in place: %v", seed, err)
	}
}

// TestTreeCatchesReapply: a child application that applies the last message
// of the previous range again must fail exactly-once, though every node
// agrees on it.
func TestTreeCatchesReapply(t *testing.T) {
	t.Parallel()
	sc := knobTree
	sc.Byzantine = 0
	findFailure(t, sc, BFT(), treeKnobs{reapply: true}, ErrAppliedTwice)
}

// lagTree is knobTree, honest, with crashes and partitions, so that nodes
// commit child blocks while their own parent chain lags behind.
var lagTree = TreeScenario{
	Scenario: Scenario{Name: "tree-lag", Nodes: 4, Crashes: 2, Partitions: true, Isolate: true, MinDelay: 1, MaxDelay: 4, Heights: 4},
	Chains:   knobTree.Chains,
}

// TestTreeCatchesLaggingExecutor: an executor that applies what its own
// parent chain holds instead of what the reference gives computes another
// state than the block's, which the state-root comparison at commit
// reports; without that comparison, nodes apply different messages at one
// height.
func TestTreeCatchesLaggingExecutor(t *testing.T) {
	t.Parallel()
	findFailure(t, lagTree, BFT(), treeKnobs{lagExec: true}, ErrValidity)
	findFailure(t, lagTree, BFT(), treeKnobs{lagExec: true, noRootCompare: true}, ErrSameHeight)
}

// TestTreeCatchesStuckReference: proposers that never move the reference
// leave every queued message unapplied.
func TestTreeCatchesStuckReference(t *testing.T) {
	t.Parallel()
	sc := knobTree
	sc.Byzantine, sc.MaxTicks = 0, 100
	findFailure(t, sc, BFT(), treeKnobs{stuckRef: true}, ErrNeverApplied)
}

// TestTreeByzantineSeats: byzantine physical nodes stay under a third of
// every chain's validators, every node that can be byzantine gets its turn
// over the seeds, and a tree where no node can be byzantine is refused.
func TestTreeByzantineSeats(t *testing.T) {
	t.Parallel()
	sc := TreeScenario{Scenario: Scenario{Nodes: 7, Byzantine: 2}, Chains: []Chain{
		{Subnet: "/r", Parent: -1, Validators: []int{0, 1, 2, 3, 4, 5, 6}},
		{Subnet: "/r/a", Parent: 0, Validators: []int{0, 1, 2, 3}},
		{Subnet: "/r/b", Parent: 0, Validators: []int{3, 4, 5, 6}},
	}}
	seated := map[int]bool{}
	for seed := uint64(0); seed < 50; seed++ {
		byz, err := drawByzantine(sc, rand.New(rand.NewPCG(seed, seed)))
		if err != nil || len(byz) != sc.Byzantine {
			t.Fatalf("seed %d: %v byzantine, err %v; want %d", seed, byz, err, sc.Byzantine)
		}
		for _, ch := range sc.Chains {
			n := 0
			for _, v := range ch.Validators {
				if byz[v] {
					n++
				}
			}
			if 3*n >= len(ch.Validators) {
				t.Fatalf("seed %d: %d of %s's %d validators byzantine", seed, n, ch.Subnet, len(ch.Validators))
			}
		}
		for p := range byz {
			seated[p] = true
		}
	}
	// Node 3 validates both children: with it byzantine, no second node
	// keeps both under a third (a greedy draw taking it first got stuck).
	if len(seated) != sc.Nodes-1 || seated[3] {
		t.Fatalf("over 50 seeds nodes %v were byzantine; want all but 3", seated)
	}
	sc.Byzantine = 1
	sc.Chains[1].Validators, sc.Chains[2].Validators = []int{0, 1, 2}, []int{3, 4, 5, 6}
	sc.Chains = append(sc.Chains, Chain{Subnet: "/r/c", Parent: 0, Validators: []int{4, 5, 6}})
	sc.Chains[2].Validators = []int{3, 4}
	if _, err := drawByzantine(sc, rand.New(rand.NewPCG(1, 1))); !errors.Is(err, ErrScenario) {
		t.Fatalf("every node validates a chain of two or three: got %v, want ErrScenario", err)
	}
}
