package sim

import (
	"errors"
	"fmt"
	"io"
)

// Errors naming the invariant a run violated; test them with errors.Is on
// Run's error (a *Failure).
var (
	ErrAgreement     = errors.New("sim: agreement violated: two honest nodes finalized different blocks at one height")
	ErrValidity      = errors.New("sim: validity violated: a final block was not built by an application, does not extend the previous final block, or its commit does not verify")
	ErrDoubleSign    = errors.New("sim: honest validator signed two different votes for one height, round and type")
	ErrProgress      = errors.New("sim: progress violated: an honest node did not reach the required heights in the tick budget after the last fault ended")
	ErrNoEvidence    = errors.New("sim: byzantine equivocation reached an honest node but no honest engine or final block holds evidence of it")
	ErrFalseEvidence = errors.New("sim: evidence accuses an honest validator")
	// ErrScenario reports a scenario the simulator cannot run.
	ErrScenario = errors.New("sim: invalid scenario")
)

// Scenario describes one simulated network and the faults it suffers. Zero
// fields take the defaults documented beside them.
type Scenario struct {
	Name      string
	Nodes     int // validators, one node each, equal power
	Byzantine int // validators whose output the simulator corrupts; 3*Byzantine < Nodes

	Loss, Dup          float64 // probability a message copy is lost / delivered twice
	MinDelay, MaxDelay uint64  // delivery delay in ticks, uniform in [MinDelay, MaxDelay]; reordering follows

	Partitions bool // split the network in two for a while, then heal
	Isolate    bool // partitions cut off one node only, so the rest keep a quorum
	Crashes    int  // honest-node crashes, each followed by a restart

	Heights  uint64 // every honest node must finalize at least this many heights
	Progress uint64 // and at least this many after the last fault ended (default 2)
	MaxTicks uint64 // budget in ticks after the last fault ended (default 300 + 100 per height)

	// ProposalsOnly limits byzantine nodes to conflicting proposals; their
	// votes are their engine's own. Off, they equivocate on votes too.
	ProposalsOnly bool
	// Relay makes honest nodes forward every broadcast they receive for the
	// first time to all other nodes, as gossipsub does: a message one honest
	// node got reaches every connected honest node, including both halves of
	// a byzantine equivocation. Messages lost in a partition stay lost.
	Relay bool
	// StatusSync makes every node, every SyncInterval ticks, block-sync from
	// a reachable honest peer that is ahead, as a p2p status exchange would,
	// whether or not its engine asked with SyncTo. Off, only SyncTo and
	// restarts trigger block sync, which tests the engine's own catch-up.
	StatusSync bool
	// SyncInterval is how often, in ticks, a node behind its SyncTo or
	// recently restarted looks for a peer to block-sync from (default 10).
	SyncInterval uint64
	// MsPerTick converts the virtual clock to block timestamps (default 100).
	MsPerTick uint64
	// Log, when set, gets one line per event of the run: faults, sends,
	// deliveries, commits, syncs. For debugging one seed.
	Log io.Writer
}

func (sc Scenario) withDefaults() Scenario {
	if sc.Progress == 0 {
		sc.Progress = 2
	}
	if sc.MaxTicks == 0 {
		sc.MaxTicks = 300 + 100*sc.Heights
	}
	if sc.SyncInterval == 0 {
		sc.SyncInterval = 10
	}
	if sc.MsPerTick == 0 {
		sc.MsPerTick = 100
	}
	if sc.MaxDelay < sc.MinDelay {
		sc.MaxDelay = sc.MinDelay
	}
	if sc.Name == "" {
		sc.Name = fmt.Sprintf("nodes=%d byz=%d", sc.Nodes, sc.Byzantine)
	}
	return sc
}

func (sc Scenario) validate() error {
	switch {
	case sc.Nodes < 1:
		return fmt.Errorf("%w: %d nodes; run at least one", ErrScenario, sc.Nodes)
	case sc.Byzantine < 0 || 3*sc.Byzantine >= sc.Nodes:
		return fmt.Errorf("%w: %d byzantine of %d nodes; keep them under a third", ErrScenario, sc.Byzantine, sc.Nodes)
	case sc.Loss < 0 || sc.Loss >= 1 || sc.Dup < 0 || sc.Dup >= 1:
		return fmt.Errorf("%w: loss %v and dup %v must be in [0, 1)", ErrScenario, sc.Loss, sc.Dup)
	case sc.Crashes < 0:
		return fmt.Errorf("%w: negative crash count", ErrScenario)
	case sc.Heights == 0:
		return fmt.Errorf("%w: zero heights; ask for at least one", ErrScenario)
	case sc.Partitions && sc.Nodes < 2:
		return fmt.Errorf("%w: a partition needs at least two nodes", ErrScenario)
	case sc.Crashes > 0 && sc.Nodes-sc.Byzantine < 1:
		return fmt.Errorf("%w: crashes need an honest node", ErrScenario)
	}
	return nil
}

// Failure is the error Run returns when an invariant fails: it names the seed,
// the scenario and the virtual time, and wraps one of the ErrX above.
type Failure struct {
	Seed     uint64
	Scenario string
	Tick     uint64
	Err      error
}

func (f *Failure) Error() string {
	return fmt.Sprintf("seed %d, scenario %q, tick %d: %v", f.Seed, f.Scenario, f.Tick, f.Err)
}

func (f *Failure) Unwrap() error { return f.Err }

// Result is what a run did.
type Result struct {
	Seed     uint64
	Scenario Scenario
	Heights  []uint64 // final height of each node's committed chain
	Honest   []bool   // which nodes were honest
	Ticks    uint64   // virtual time the run took
	Stable   uint64   // tick at which the last fault ended
	// Delivered, Lost and Duplicated count message copies.
	Delivered, Lost, Duplicated uint64
	Crashes, Syncs              int
	// Equivocations counts the conflicting messages byzantine nodes sent;
	// EvidenceDue whether both halves of one reached an honest node.
	Equivocations int
	EvidenceDue   bool
	EvidenceSeen  bool
	// Trace is a digest of every event of the run: two runs from one seed
	// must give the same Trace.
	Trace [32]byte
	Err   error // the *Failure, when an invariant failed
}

// MinHonestHeight is the lowest height an honest node reached.
func (r *Result) MinHonestHeight() uint64 {
	var m uint64
	first := true
	for i, h := range r.Heights {
		if r.Honest[i] && (first || h < m) {
			m, first = h, false
		}
	}
	return m
}
