package sim

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// treeRotation is the scenario TestTreeSeeds runs for each seed: seed % len.
// In the byzantine ones one physical node equivocates on every chain it
// validates and lies in the child blocks it proposes. Only scenarios the
// bft engine passes on every seed run so far belong here; treePending
// lists the rest.
var treeRotation = []TreeScenario{
	{Scenario: Scenario{Name: "tree-honest", Nodes: 5, MinDelay: 1, MaxDelay: 3, Heights: 4}},
	{Scenario: Scenario{Name: "tree-lossy", Nodes: 5, Loss: 0.1, Dup: 0.1, MinDelay: 1, MaxDelay: 6, Relay: true, Heights: 4}},
	{Scenario: Scenario{Name: "tree-crash", Nodes: 5, Crashes: 2, MinDelay: 1, MaxDelay: 4, Heights: 4}},
	{Scenario: Scenario{Name: "tree-partition", Nodes: 5, Partitions: true, Loss: 0.05, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 4}},
	{Scenario: Scenario{Name: "tree-byzantine", Nodes: 5, Byzantine: 1, ProposalsOnly: true, MinDelay: 1, MaxDelay: 4, Heights: 4}},
	{Scenario: Scenario{Name: "tree-byzantine-lossy", Nodes: 5, Byzantine: 1, ProposalsOnly: true, Crashes: 1, Loss: 0.05, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 4}},
	{Scenario: Scenario{Name: "tree-byzantine-votes", Nodes: 5, Byzantine: 1, MinDelay: 1, MaxDelay: 4, Heights: 4}},
	{Scenario: Scenario{Name: "tree-byzantine-votes-crash", Nodes: 5, Byzantine: 1, Crashes: 1, Loss: 0.05, Dup: 0.05, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 4}},
}

// treePending are tree scenarios the bft engine does not pass on every seed
// yet; ASPEN_SIM_PENDING=1 runs them in TestTreeSeeds instead of the
// rotation. Empty: the two with full vote equivocation joined the rotation
// once a validator lagging its parent chain stopped refusing child blocks
// it could not judge yet (consensus/driver defers the verdict; seeds 112,
// 262, 298, 38 and 50 used to stall a grandchild).
var treePending = []TreeScenario{}

func replayTree(seed uint64) string {
	env := ""
	if os.Getenv("ASPEN_SIM_PENDING") != "" {
		env = "ASPEN_SIM_PENDING=1 "
	}
	return fmt.Sprintf("replay: %sgo test ./sim -run TestTreeSeeds -seed %d", env, seed)
}

// TestTreeSeeds runs a tree of bft chains (root, two children, a
// grandchild) with top-down messages and checkpoints through the rotation: 40 seeds by
// default (five per scenario), ASPEN_SIM_TREE_SEEDS=N for N, -seed N for one;
// ASPEN_SIM_PENDING=1 runs treePending instead.
func TestTreeSeeds(t *testing.T) {
	t.Parallel()
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
	// Runs of a few heights may apply nothing yet, and a byzantine node
	// proposes only a few child blocks per run; all runs together must apply
	// messages and tell, and refuse, every kind of lie.
	var applied, upApplied atomic.Uint64
	var lies struct {
		sync.Mutex
		byKind map[string]LieCount
		runs   int
	}
	lies.byKind = map[string]LieCount{}
	t.Cleanup(func() {
		t.Logf("%d seeds: %d top-down messages applied (summed over child chains)", len(seeds), applied.Load())
		if applied.Load() == 0 && len(seeds) > 1 {
			t.Errorf("no child applied any top-down message in %d runs", len(seeds))
		}
		t.Logf("%d seeds: %d up messages applied by parents", len(seeds), upApplied.Load())
		if upApplied.Load() == 0 && len(seeds) > 1 {
			t.Errorf("no parent applied any up message in %d runs", len(seeds))
		}
		t.Logf("lies in %d byzantine runs: %+v", lies.runs, lies.byKind)
		if lies.runs < 12 {
			return
		}
		for k := lieNone + 1; k < numAllLies; k++ {
			if k == numLies {
				continue
			}
			if c := lies.byKind[k.String()]; c.Built == 0 || c.Refused == 0 {
				t.Errorf("lie %q: built %d times, refused %d times in %d byzantine runs; want both", k, c.Built, c.Refused, lies.runs)
			}
		}
	})
	scenarios := treeRotation
	if os.Getenv("ASPEN_SIM_PENDING") != "" {
		if len(treePending) == 0 {
			t.Skip("no tree scenario is pending")
		}
		scenarios = treePending
	}
	for _, seed := range seeds {
		sc := scenarios[seed%uint64(len(scenarios))]
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
				upApplied.Add(res.UpApplied[c])
			}
			for name, c := range res.Lies {
				// A pending parent block may become final before the child
				// block that references it does: then it is no lie.
				if c.Final > 0 && name != lieUnfinal.String() {
					t.Fatalf("%d child blocks lying %q became final: honest validators must refuse them\n%s", c.Final, name, replayTree(seed))
				}
			}
			if sc.Byzantine > 0 {
				lies.Lock()
				lies.runs++
				for name, c := range res.Lies {
					all := lies.byKind[name]
					all.Built, all.Refused, all.Final = all.Built+c.Built, all.Refused+c.Refused, all.Final+c.Final
					lies.byKind[name] = all
				}
				lies.Unlock()
			}
			if *seedFlag >= 0 {
				t.Logf("%d ticks in %v; queued %v applied %v; up messages applied %v, checkpoints to height %v", res.Ticks, time.Since(start), res.Queued, res.Applied, res.UpApplied, res.Checkpoints)
				for c, r := range res.Chains {
					t.Logf("chain %d: heights %v, %d delivered, %d lost, %d crashes, %d syncs", c, r.Heights, r.Delivered, r.Lost, r.Crashes, r.Syncs)
				}
			}
		})
	}
}

// TestTreeDeterministic: one seed replays exactly, with a lossy network, a
// crash and a byzantine node drawing its lies from the seed.
func TestTreeDeterministic(t *testing.T) {
	t.Parallel()
	sc := treeRotation[5]
	a, errA := RunTree(7, sc, BFT())
	b, errB := RunTree(7, sc, BFT())
	if fmt.Sprint(errA) != fmt.Sprint(errB) || a.Ticks != b.Ticks || fmt.Sprint(a.Applied) != fmt.Sprint(b.Applied) || fmt.Sprint(a.UpApplied) != fmt.Sprint(b.UpApplied) || fmt.Sprint(a.Lies) != fmt.Sprint(b.Lies) {
		t.Fatalf("two runs of seed 7 differ: %d %v %v %v vs %d %v %v %v", a.Ticks, a.Applied, a.Lies, errA, b.Ticks, b.Applied, b.Lies, errB)
	}
	var told int
	for _, c := range a.Lies {
		told += c.Built
	}
	if told == 0 {
		t.Fatalf("seed 7 of %s told no lies; pick a seed that does", sc.Name)
	}
	for c := range a.Chains {
		if a.Chains[c].Trace != b.Chains[c].Trace {
			t.Fatalf("chain %d: traces differ", c)
		}
	}
}
