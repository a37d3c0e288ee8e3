package sim

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// powRotation is the scenario TestPowSeeds runs for each seed: seed % len.
// A single pow chain on the real executor (no children), five miners.
var powRotation = []EVMScenario{
	{Scenario: Scenario{Name: "pow-honest", Nodes: 5, MinDelay: 1, MaxDelay: 3, Heights: 12}, Children: []Chain{}, Pow: &PowParams{}},
	{Scenario: Scenario{Name: "pow-lossy", Nodes: 5, Loss: 0.05, Dup: 0.05, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 12}, Children: []Chain{}, Pow: &PowParams{}},
	// Blocks slow enough that the majority finalizes no block above the
	// fork point before the partition heals (see TestPowLongPartition).
	{Scenario: Scenario{Name: "pow-partition", Nodes: 5, Partitions: true, Isolate: true, Loss: 0.02, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 12}, Children: []Chain{}, Pow: &PowParams{BlockTicks: 25}},
	{Scenario: Scenario{Name: "pow-split", Nodes: 4, Partitions: true, MinDelay: 1, MaxDelay: 3, Heights: 12}, Children: []Chain{}, Pow: &PowParams{BlockTicks: 30, Confirmations: 8}},
}

// powTreeRotation is TestPowTreeSeeds': a pow root under two bft children.
var powTreeRotation = []EVMScenario{
	{Scenario: Scenario{Name: "powtree-honest", Nodes: 5, MinDelay: 1, MaxDelay: 3, Heights: 10}, Pow: &PowParams{BlockTicks: 8}},
	{Scenario: Scenario{Name: "powtree-partition", Nodes: 5, Partitions: true, Isolate: true, Loss: 0.02, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 10}, Pow: &PowParams{BlockTicks: 25}},
}

func replayPow(seed uint64) string {
	return fmt.Sprintf("replay: go test ./sim -run TestPowSeeds -seed %d", seed)
}

// seedList is -seed N, or n seeds (env, when set, overrides n).
func seedList(t *testing.T, n int, env string) []uint64 {
	if *seedFlag >= 0 {
		return []uint64{uint64(*seedFlag)}
	}
	if v := os.Getenv(env); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number of seeds", env, v)
		}
	}
	var seeds []uint64
	for i := 0; i < n; i++ {
		seeds = append(seeds, uint64(i))
	}
	return seeds
}

// TestPowSeeds runs a single pow chain: the real pow engine through the
// real driver on the real executor, five miners with virtual sealers,
// partitions that heal into reorgs. Checked: agreement, finality never
// rewinds, final chains on the heaviest chain, every transaction of a
// dropped block final in the end, conservation of value. 3 seeds by
// default, ASPEN_SIM_POW_SEEDS=N for N, -seed N for one.
func TestPowSeeds(t *testing.T) {
	t.Parallel()
	for _, seed := range seedList(t, len(powRotation), "ASPEN_SIM_POW_SEEDS") {
		sc := powRotation[seed%uint64(len(powRotation))]
		t.Run(fmt.Sprintf("%d-%s", seed, sc.Name), func(t *testing.T) {
			t.Parallel()
			res, err := RunEVMTree(seed, sc, t.TempDir())
			if err != nil {
				t.Fatalf("%v\n%s", err, replayPow(seed))
			}
			t.Logf("%d ticks; lowest honest height %d; %s", res.Ticks, res.Chains[0].MinHonestHeight(), res.Pow)
		})
	}
}

// TestPowTreeSeeds runs a pow root (the real pow engine, five miners) with
// two bft children on the real executor and gateway: children reference
// only final root blocks (checked on every child block), top-down funds
// applied exactly once, releases paid exactly once through checkpoints
// whose submissions reorgs may drop, conservation and the firewall. 2
// seeds by default, ASPEN_SIM_POWTREE_SEEDS=N for N, -seed N for one.
func TestPowTreeSeeds(t *testing.T) {
	t.Parallel()
	for _, seed := range seedList(t, len(powTreeRotation), "ASPEN_SIM_POWTREE_SEEDS") {
		sc := powTreeRotation[seed%uint64(len(powTreeRotation))]
		t.Run(fmt.Sprintf("%d-%s", seed, sc.Name), func(t *testing.T) {
			t.Parallel()
			res, err := RunEVMTree(seed, sc, t.TempDir())
			if err != nil {
				t.Fatalf("%v\nreplay: go test ./sim -run TestPowTreeSeeds -seed %d", err, seed)
			}
			for c := 1; c < len(res.Chains); c++ {
				if res.Applied[c] != res.Queued[c] || res.Queued[c] < 2 || res.Paid[c] != res.Sent[c] || res.Sent[c] != evmUsers || res.Checkpoints[c] == 0 {
					t.Fatalf("chain %d: queued %d applied %d top-down; sent %d paid %d up; checkpoints to %d: want all applied, both releases paid (seed %d)",
						c, res.Queued[c], res.Applied[c], res.Sent[c], res.Paid[c], res.Checkpoints[c], seed)
				}
			}
			var heights []uint64
			for _, r := range res.Chains {
				heights = append(heights, r.MinHonestHeight())
			}
			t.Logf("%d ticks; lowest honest heights %v; top-down applied %v, up paid %v; root: %s", res.Ticks, heights, res.Applied, res.Paid, res.Pow)
		})
	}
}
