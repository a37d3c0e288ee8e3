package sim

import (
	"fmt"
	"os"
	"strconv"
	"testing"
)

// juryChild is the jury runs' tree: one child of the root's five nodes,
// validated by four of them (a second child would double the run's time
// and test nothing the first does not).
var juryChild = []Chain{{Subnet: "/sim/a", Parent: 0, Validators: []int{0, 1, 2, 3}}}

// juryRotation is the scenario TestEVMJurySeeds runs for each seed: seed % len.
var juryRotation = []EVMScenario{
	{Scenario: Scenario{Name: "jury-forged-liar", Nodes: 5, MinDelay: 1, MaxDelay: 3, Heights: 10}, Children: juryChild, Jury: &JuryParams{Forge: true, Liar: true}},
	{Scenario: Scenario{Name: "jury-honest", Nodes: 5, MinDelay: 1, MaxDelay: 3, Heights: 10}, Children: juryChild, Jury: &JuryParams{Liar: true}},
	{Scenario: Scenario{Name: "jury-forged-lossy", Nodes: 5, Loss: 0.05, Dup: 0.05, Relay: true, MinDelay: 1, MaxDelay: 4, Heights: 10}, Children: juryChild, Jury: &JuryParams{Forge: true}},
}

// liarSeed is a seed whose forged checkpoint's jury seats the lying juror
// (about 5 seeds in 6 do), which attests it valid before the proof lands.
const liarSeed = 3

func replayJury(seed uint64) string {
	return fmt.Sprintf("replay: go test ./sim -run TestEVMJurySeeds -seed %d", seed)
}

// TestEVMJurySeeds runs an EVM tree whose root nodes are all jurors of its
// child's checkpoints. With a forging child quorum (evm.FaultMint on every
// child validator) no payout of a checkpoint covering the forged block may
// ever be made on an honest root node, the fraud proof must land, the
// child be frozen, its signers and every juror who attested it valid lose
// their stake; with an honest child every checkpoint is released exactly
// once. 3 seeds by default (one per scenario), ASPEN_SIM_JURY_SEEDS=N for
// N (seeds 1..N), -seed N for one.
func TestEVMJurySeeds(t *testing.T) {
	var seeds []uint64
	switch {
	case *seedFlag >= 0:
		seeds = append(seeds, uint64(*seedFlag))
	default:
		n := len(juryRotation)
		if v := os.Getenv("ASPEN_SIM_JURY_SEEDS"); v != "" {
			var err error
			if n, err = strconv.Atoi(v); err != nil || n < 1 {
				t.Fatalf("ASPEN_SIM_JURY_SEEDS=%q: want a positive number of seeds", v)
			}
		}
		for i := 1; i <= n; i++ { // from 1: seed 3 seats the lying juror
			seeds = append(seeds, uint64(i))
		}
	}
	for _, seed := range seeds {
		sc := juryRotation[seed%uint64(len(juryRotation))]
		t.Run(fmt.Sprintf("%d-%s", seed, sc.Name), func(t *testing.T) {
			t.Parallel()
			res, err := RunEVMTree(seed, sc, t.TempDir())
			if err != nil {
				t.Fatalf("%v\n%s", err, replayJury(seed))
			}
			j := res.Jury
			switch {
			case j.Held == 0 || (!sc.Jury.Forge && j.Attested == 0):
				t.Fatalf("the jury held %d checkpoints, %d attestations landed: it never judged\n%s", j.Held, j.Attested, replayJury(seed))
			case sc.Jury.Forge && (j.ForgedAt == 0 || !j.Proven):
				t.Fatalf("forged at child height %d, fraud proven %v: want both\n%s", j.ForgedAt, j.Proven, replayJury(seed))
			case seed == liarSeed && !j.LiarSlashed:
				t.Fatalf("seed %d seats the lying juror on the forged checkpoint's jury: want it slashed, got %+v\n%s", seed, j, replayJury(seed))
			case !sc.Jury.Forge && (j.Released != j.Held || res.Paid[1] != res.Sent[1] || res.Sent[1] != evmUsers):
				t.Fatalf("held %d released %d; up sent %d paid %d: want every checkpoint released, both releases paid\n%s", j.Held, j.Released, res.Sent[1], res.Paid[1], replayJury(seed))
			}
			t.Logf("%d ticks, root height %d, child height %d; jury: %+v", res.Ticks, res.Chains[0].MinHonestHeight(), res.Chains[1].MinHonestHeight(), j)
		})
	}
}
