package sim

import (
	"fmt"
	"testing"
)

// atomicRotation is the scenario TestEVMAtomicSeeds runs for each seed:
// seed % len. The two default seeds run the first two, which between them
// reach every check: crashes, partitions and loss (0), and a stalled leg
// subnet beside a compromised one under a byzantine proposer (1). The
// last two run each of those features alone (ASPEN_SIM_ATOMIC_SEEDS=4).
var atomicRotation = []EVMScenario{
	{Scenario: Scenario{Name: "atomic-crash-partition", Nodes: 5, Crashes: 1, Partitions: true, Isolate: true, Loss: 0.03, Relay: true, MinDelay: 1, MaxDelay: 3, Heights: 10}, Plans: 4},
	{Scenario: Scenario{Name: "atomic-compromised-stall-byzantine", Nodes: 5, Byzantine: 1, ProposalsOnly: true, MinDelay: 1, MaxDelay: 3, Heights: 10}, Plans: 3, Stall: true, Compromised: true},
	{Scenario: Scenario{Name: "atomic-stall", Nodes: 5, MinDelay: 1, MaxDelay: 3, Heights: 10}, Plans: 3, Stall: true},
	{Scenario: Scenario{Name: "atomic-compromised", Nodes: 5, MinDelay: 1, MaxDelay: 3, Heights: 10}, Plans: 4, Compromised: true},
}

// atomicDefaultSeeds is how many seeds TestEVMAtomicSeeds runs by default.
const atomicDefaultSeeds = 2

func replayAtomic(seed uint64) string {
	return fmt.Sprintf("replay: go test ./sim -run TestEVMAtomicSeeds -seed %d", seed)
}

// TestEVMAtomicSeeds runs atomic plans of 2–3 legs across a root and its two
// children on the real executor, gateway, bft engines and drivers, under
// crashes, partitions, a leg subnet stalled past a plan's deadline and a
// leg subnet whose quorum forges messages between gateways, and checks
// every plan: all legs committed or all aborted, each paid out or refunded
// exactly once, a stalled leg's plan aborted, only yeses the leg subnets
// sent counted, conservation and the firewall. 2 seeds by default (the
// first two scenarios), ASPEN_SIM_ATOMIC_SEEDS=N for N, -seed N for one.
func TestEVMAtomicSeeds(t *testing.T) {
	t.Parallel()
	for _, seed := range seedList(t, atomicDefaultSeeds, "ASPEN_SIM_ATOMIC_SEEDS") {
		sc := atomicRotation[seed%uint64(len(atomicRotation))]
		t.Run(fmt.Sprintf("%d-%s", seed, sc.Name), func(t *testing.T) {
			t.Parallel()
			res, err := RunEVMTree(seed, sc, t.TempDir())
			if err != nil {
				t.Fatalf("%v\n%s", err, replayAtomic(seed))
			}
			a := res.Atomic
			if a.Plans != sc.Plans || a.Committed+a.Aborted != a.Plans {
				t.Fatalf("%+v: want %d plans, each decided\n%s", a, sc.Plans, replayAtomic(seed))
			}
			if sc.Stall && (a.Aborted == 0 || a.LateOrMissing == 0) {
				t.Fatalf("%+v: the stalled subnet's plan did not abort by its deadline\n%s", a, replayAtomic(seed))
			}
			for c := 1; c < len(res.Chains); c++ {
				if res.Applied[c] != res.Queued[c] || res.Paid[c] != res.Sent[c] {
					t.Fatalf("chain %d: queued %d applied %d top-down; sent %d paid %d up\n%s", c, res.Queued[c], res.Applied[c], res.Sent[c], res.Paid[c], replayAtomic(seed))
				}
			}
			t.Logf("%d ticks; %d plans of %d legs: %d committed, %d aborted, %d votes late or missing; forged %v, landed %v; up paid %v",
				res.Ticks, a.Plans, a.Legs, a.Committed, a.Aborted, a.LateOrMissing, a.Forged, a.Landed, res.Paid)
		})
	}
}
