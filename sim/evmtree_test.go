package sim

import (
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"testing"
)

// evmRotation is the scenario TestEVMTreeSeeds runs for each seed: seed % len.
var evmRotation = []EVMScenario{
	{Scenario: Scenario{Name: "evm-honest", Nodes: 5, MinDelay: 1, MaxDelay: 3, Heights: 10}},
	{Scenario: Scenario{Name: "evm-lossy", Nodes: 5, Loss: 0.05, Dup: 0.05, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 10}},
	{Scenario: Scenario{Name: "evm-crash", Nodes: 5, Crashes: 1, MinDelay: 1, MaxDelay: 3, Heights: 10}},
	{Scenario: Scenario{Name: "evm-byzantine", Nodes: 5, Byzantine: 1, ProposalsOnly: true, MinDelay: 1, MaxDelay: 3, Heights: 10}},
	{Scenario: Scenario{Name: "evm-partition", Nodes: 5, Partitions: true, Isolate: true, Loss: 0.05, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 10}},
	{Scenario: Scenario{Name: "evm-byzantine-votes-crash", Nodes: 5, Byzantine: 1, Crashes: 1, Loss: 0.05, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 10}},
}

func replayEVM(seed uint64) string {
	return fmt.Sprintf("replay: go test ./sim -run TestEVMTreeSeeds -seed %d", seed)
}

// TestEVMTreeSeeds runs a root and two children on the real executor and gateway
// (each node its own Pebble store), the real bft engines and drivers:
// top-down funds, bottom-up releases paid through checkpoints that
// xnet.Build assembles and the root's gateway verifies. 6 seeds by default
// (one per scenario), ASPEN_SIM_EVM_SEEDS=N for N, -seed N for one.
func TestEVMTreeSeeds(t *testing.T) {
	t.Parallel()
	var seeds []uint64
	switch {
	case *seedFlag >= 0:
		seeds = append(seeds, uint64(*seedFlag))
	default:
		n := len(evmRotation)
		if v := os.Getenv("ASPEN_SIM_EVM_SEEDS"); v != "" {
			var err error
			if n, err = strconv.Atoi(v); err != nil || n < 1 {
				t.Fatalf("ASPEN_SIM_EVM_SEEDS=%q: want a positive number of seeds", v)
			}
		}
		for i := 0; i < n; i++ {
			seeds = append(seeds, uint64(i))
		}
	}
	for _, seed := range seeds {
		sc := evmRotation[seed%uint64(len(evmRotation))]
		t.Run(fmt.Sprintf("%d-%s", seed, sc.Name), func(t *testing.T) {
			t.Parallel()
			res, err := RunEVMTree(seed, sc, t.TempDir())
			if err != nil {
				t.Fatalf("%v\n%s", err, replayEVM(seed))
			}
			for c := 1; c < len(res.Chains); c++ {
				if res.Applied[c] != res.Queued[c] || res.Queued[c] < 2 || res.Paid[c] != res.Sent[c] || res.Sent[c] != evmUsers || res.Checkpoints[c] == 0 {
					t.Fatalf("chain %d: queued %d applied %d top-down; sent %d paid %d up; checkpoints to %d: want all applied, both releases paid\n%s",
						c, res.Queued[c], res.Applied[c], res.Sent[c], res.Paid[c], res.Checkpoints[c], replayEVM(seed))
				}
			}
			var heights []uint64
			for _, r := range res.Chains {
				heights = append(heights, r.MinHonestHeight())
			}
			t.Logf("%d ticks; lowest honest heights %v; top-down applied %v, up paid %v, checkpoints to %v", res.Ticks, heights, res.Applied, res.Paid, res.Checkpoints)
		})
	}
}

// runForged runs sc with a compromised child whose validators all sign a
// checkpoint paying forge(circulating) more than its first message carries.
func runForged(t *testing.T, seed uint64, sc EVMScenario, forge func(*big.Int) *big.Int) (*EVMResult, bool, error) {
	tr, err := newEVMTree(seed, sc, t.TempDir(), powKnobs{}, atomicKnobs{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	tr.forge = forge
	res, err := tr.run()
	return res, tr.forged, err
}

// TestEVMTreeCompromisedChild: every validator of the child signs a
// checkpoint that pays a release more than it burned. A little more is
// within the gateway's bound, so the root's real gateway pays it, and the
// run must fail the firewall invariant (the child's balances now exceed its
// circulating supply on the root: value was created); more than the circulating supply is refused by the
// gateway's firewall, so the run passes with every release paid exactly once.
func TestEVMTreeCompromisedChild(t *testing.T) {
	t.Parallel()
	sc := evmRotation[0]
	t.Run("inflate", func(t *testing.T) {
		t.Parallel()
		const seed = 1
		_, forged, err := runForged(t, seed, sc, func(*big.Int) *big.Int { return big.NewInt(1e17) })
		if !forged || !errors.Is(err, ErrFirewall) {
			t.Fatalf("seed %d, inflated checkpoint (submitted %v): got %v, want ErrFirewall", seed, forged, err)
		}
		var fail *Failure
		if !errors.As(err, &fail) || fail.Seed != seed {
			t.Fatalf("failure does not name its seed: %v", err)
		}
		t.Logf("found at seed %d: %v", seed, err)
		if _, err := RunEVMTree(seed, sc, t.TempDir()); err != nil {
			t.Fatalf("seed %d with an honest child: %v", seed, err)
		}
	})
	t.Run("overpay", func(t *testing.T) {
		t.Parallel()
		const seed = 1
		res, forged, err := runForged(t, seed, sc, func(circ *big.Int) *big.Int {
			// Above what the supply can grow to before the checkpoint lands
			// (every fund of the run is a few ether): over the firewall then too.
			return new(big.Int).Add(circ, eth(100))
		})
		if !forged || err != nil {
			t.Fatalf("seed %d, checkpoint over the circulating supply (submitted %v): %v; want it refused and the run to pass", seed, forged, err)
		}
		for c := 1; c < len(res.Chains); c++ {
			if res.Paid[c] != res.Sent[c] || res.Sent[c] != evmUsers {
				t.Fatalf("seed %d chain %d: sent %d paid %d up messages after the forged checkpoint was refused", seed, c, res.Sent[c], res.Paid[c])
			}
		}
	})
}
