package sim

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// treeRotation is the scenario TestTreeSeeds runs for each seed: seed % len.
var treeRotation = []TreeScenario{
	{Scenario: Scenario{Name: "tree-honest", Nodes: 5, MinDelay: 1, MaxDelay: 3, Heights: 4}},
	{Scenario: Scenario{Name: "tree-lossy", Nodes: 5, Loss: 0.1, Dup: 0.1, MinDelay: 1, MaxDelay: 6, Relay: true, Heights: 4}},
	{Scenario: Scenario{Name: "tree-crash", Nodes: 5, Crashes: 2, MinDelay: 1, MaxDelay: 4, Heights: 4}},
	{Scenario: Scenario{Name: "tree-partition", Nodes: 5, Partitions: true, Loss: 0.05, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 4}},
}

func replayTree(seed uint64) string {
	return fmt.Sprintf("replay: go test ./sim -run TestTreeSeeds -seed %d", seed)
}

// TestTreeSeeds runs a tree of bft chains (root, two children, a
// grandchild) with top-down messages through the rotation: 40 seeds by
// default, ASPEN_SIM_TREE_SEEDS=N for N, -seed N for one.
func TestTreeSeeds(t *testing.T) {
	var seeds []uint64
	switch {
	case *seedFlag >= 0:
		seeds = append(seeds, uint64(*seedFlag))
	default:
		n := 40
		if v := os.Getenv("ASPEN_SIM_TREE_SEEDS"); v != "" {
			var err error
			if n, err = strconv.Atoi(v); err != nil || n < 1 {
				t.Fatalf("ASPEN_SIM_TREE_SEEDS=%q: want a positive number of seeds", v)
			}
		}
		for i := 0; i < n; i++ {
			seeds = append(seeds, uint64(i))
		}
	}
	// Runs of a few heights may apply nothing yet; all of them together must.
	var applied atomic.Uint64
	t.Cleanup(func() {
		t.Logf("%d seeds: %d top-down messages applied (summed over child chains)", len(seeds), applied.Load())
		if applied.Load() == 0 && len(seeds) > 1 {
			t.Errorf("no child applied any top-down message in %d runs", len(seeds))
		}
	})
	for _, seed := range seeds {
		sc := treeRotation[seed%uint64(len(treeRotation))]
		t.Run(fmt.Sprintf("%d-%s", seed, sc.Name), func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res, err := RunTree(seed, sc, BFT())
			if err != nil {
				t.Fatalf("%v\n%s", err, replayTree(seed))
			}
			for c, r := range res.Chains {
				if r.MinHonestHeight() < sc.Heights {
					t.Fatalf("chain %d ended with heights %v below %d\n%s", c, r.Heights, sc.Heights, replayTree(seed))
				}
			}
			for c := range res.Chains {
				if res.Applied[c] > res.Queued[c] {
					t.Fatalf("chain %d applied %d top-down messages, only %d queued\n%s", c, res.Applied[c], res.Queued[c], replayTree(seed))
				}
				applied.Add(res.Applied[c])
			}
			if *seedFlag >= 0 {
				t.Logf("%d ticks in %v; queued %v applied %v", res.Ticks, time.Since(start), res.Queued, res.Applied)
				for c, r := range res.Chains {
					t.Logf("chain %d: heights %v, %d delivered, %d lost, %d crashes, %d syncs", c, r.Heights, r.Delivered, r.Lost, r.Crashes, r.Syncs)
				}
			}
		})
	}
}

// TestTreeCatchesReapply: a child application that applies the last message
// of the previous range again must fail exactly-once, though every node
// agrees on it.
func TestTreeCatchesReapply(t *testing.T) {
	tr, err := newTree(2, treeRotation[0], BFT())
	if err != nil {
		t.Fatal(err)
	}
	tr.reapply = true
	_, err = tr.run()
	if !errors.Is(err, ErrExactlyOnce) {
		t.Fatalf("re-applying child: got %v, want ErrExactlyOnce", err)
	}
	var fail *Failure
	if !errors.As(err, &fail) || fail.Seed != 2 {
		t.Fatalf("failure does not name its seed: %v", err)
	}
}

// TestTreeDeterministic: one seed replays exactly.
func TestTreeDeterministic(t *testing.T) {
	a, errA := RunTree(7, treeRotation[1], BFT())
	b, errB := RunTree(7, treeRotation[1], BFT())
	if fmt.Sprint(errA) != fmt.Sprint(errB) || a.Ticks != b.Ticks || fmt.Sprint(a.Applied) != fmt.Sprint(b.Applied) {
		t.Fatalf("two runs of seed 7 differ: %d %v %v vs %d %v %v", a.Ticks, a.Applied, errA, b.Ticks, b.Applied, errB)
	}
	for c := range a.Chains {
		if a.Chains[c].Trace != b.Chains[c].Trace {
			t.Fatalf("chain %d: traces differ", c)
		}
	}
}
