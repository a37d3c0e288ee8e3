package optimistic

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
)

type seeded struct{ r *rand.Rand }

func (s seeded) intn(n int) int { return s.r.Intn(n) }

// run does steps random operations from seed under r, then checks every
// node in up to 64 branches.
func run(seed int64, r rules, steps int, seen map[EventKind]int) error {
	c := seeded{rand.New(rand.NewSource(seed))}
	w := newWorld(r)
	for i := range steps {
		if err := w.step(c); err != nil {
			return fmt.Errorf("seed %d, step %d: %w", seed, i, err)
		}
	}
	if err := w.check(64, c); err != nil {
		return fmt.Errorf("seed %d: %w", seed, err)
	}
	for _, n := range w.nodes {
		for k, v := range n.seen {
			seen[k] += v
		}
	}
	return nil
}

func seeds(t *testing.T) int64 {
	if v := os.Getenv("OPTIMISTIC_SEEDS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("OPTIMISTIC_SEEDS: %v", err)
		}
		return n
	}
	return 30
}

// TestProperties runs random operation sequences on three subnets and
// checks conservation per dependency branch, single creation per receipt,
// order independence of verdicts, cascading deletion, single restoration,
// the budget and eventual completion (see branch).
func TestProperties(t *testing.T) {
	seen := map[EventKind]int{}
	for seed := int64(1); seed <= seeds(t); seed++ {
		if err := run(seed, rules{}, 200, seen); err != nil {
			t.Fatal(err)
		}
	}
	// The runs must reach every outcome, or the checks above prove little.
	for _, k := range []EventKind{EvDeleted, EvRestored, EvFrozenDestroyed, EvSettled, EvClaimExpired} {
		if seen[k] == 0 {
			t.Errorf("no run produced event kind %d", k)
		}
	}
	t.Logf("events of system work: %v", seen)
}

// TestMutations switches off one rule at a time and requires the property
// test to catch it within a few seeds: each rule is needed.
func TestMutations(t *testing.T) {
	for name, r := range map[string]rules{
		"union of dependencies on merge": {noUnion: true},
		"freeze of smaller merge inputs": {noFreeze: true},
		"restore on a false claim":       {noRestore: true},
		"idempotent receive":             {noIdempotent: true},
		"no conditional move":            {moveConditional: true},
		"per-block budget":               {noBudget: true},
	} {
		t.Run(name, func(t *testing.T) {
			for seed := int64(1); seed <= 200; seed++ {
				if err := run(seed, r, 200, map[EventKind]int{}); err != nil {
					t.Logf("caught: %v", err)
					return
				}
			}
			t.Fatalf("200 seeds without the rule %q passed the property test", name)
		})
	}
}
