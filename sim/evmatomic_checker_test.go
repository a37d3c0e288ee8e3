package sim

import (
	"errors"
	"math/big"
	"testing"

	"github.com/aspen-chain/aspen/gateway"
)

// TestEVMAtomicCatchesLostRefund: a quorum that leaves a refund out of its
// checkpoint keeps an aborted leg's escrow from its submitter, on the real
// gateway; the checker must report it. The same seed without the knob is
// TestEVMAtomicSeeds/1-atomic-compromised-stall-byzantine, which passes.
func TestEVMAtomicCatchesLostRefund(t *testing.T) {
	t.Parallel()
	const seed = 1
	tr, err := newEVMTree(seed, atomicRotation[seed], t.TempDir(), powKnobs{}, atomicKnobs{dropRefund: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.close()
	_, err = tr.run()
	if tr.atom.stats.Landed["drop-refund"] != 1 || !errors.Is(err, ErrAtomicEscrow) {
		t.Fatalf("seed %d, a refund left out (landed %v): got %v, want ErrAtomicEscrow", seed, tr.atom.stats.Landed, err)
	}
	var fail *Failure
	if !errors.As(err, &fail) || fail.Seed != seed {
		t.Fatalf("the failure does not name its seed: %v", err)
	}
	t.Logf("found: %v", err)
}

// TestAtomicOutcomeRules breaks one rule of a settled plan at a time and
// checks planOutcome.check names it: the end-to-end runs cannot make the
// real gateway mix outcomes or count a vote from another subnet, so the
// rules are shown to fail here, on outcomes as the checker reads them.
func TestAtomicOutcomeRules(t *testing.T) {
	wei := func(n int64) *big.Int { return big.NewInt(n) }
	good := func() planOutcome {
		return planOutcome{
			status: gateway.AtomicCommitted,
			votes:  []gateway.AtomicVote{gateway.VoteYes, gateway.VoteYes, gateway.VoteYes},
			legs: []legOutcome{
				{subnet: "/sim/a", honest: true, state: gateway.LegCommitted, value: wei(3), paid: wei(3), yesSeen: true},
				{subnet: "/sim/b", honest: true, state: gateway.LegCommitted, value: wei(4), paid: wei(4), yesSeen: true},
				{subnet: "/sim", honest: true, local: true, state: gateway.LegCommitted, value: wei(5), paid: wei(5)},
			},
			balance: wei(100), want: wei(100),
		}
	}
	aborted := func() planOutcome {
		o := good()
		o.status = gateway.AtomicAborted
		o.votes[1] = gateway.VoteLate
		for j := range o.legs {
			o.legs[j].state, o.legs[j].paid = gateway.LegAborted, wei(0)
		}
		return o
	}
	if err := good().check(); err != nil {
		t.Fatalf("a committed plan: %v", err)
	}
	if err := aborted().check(); err != nil {
		t.Fatalf("an aborted plan: %v", err)
	}
	for _, tc := range []struct {
		name   string
		break_ func(*planOutcome)
		want   error
	}{
		{"undecided", func(o *planOutcome) { o.status = gateway.AtomicPreparing }, ErrAtomicity},
		{"mixed", func(o *planOutcome) { o.legs[1].state, o.legs[1].paid = gateway.LegAborted, wei(0) }, ErrAtomicity},
		{"unfinished", func(o *planOutcome) { o.legs[0].state = gateway.LegPrepared }, ErrAtomicity},
		{"commit-without-yes", func(o *planOutcome) { o.votes[2] = gateway.VoteLate }, ErrAtomicity},
		{"yes-never-sent", func(o *planOutcome) { o.legs[1].yesSeen = false }, ErrAtomicVote},
		{"paid-twice", func(o *planOutcome) { o.legs[0].paid = wei(6) }, ErrAtomicEscrow},
		{"refund-missing", func(o *planOutcome) { o.want = wei(101) }, ErrAtomicEscrow},
		{"stalled-committed", func(o *planOutcome) { o.stalled = true }, ErrAtomicDeadline},
	} {
		o := good()
		tc.break_(&o)
		if err := o.check(); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	o := aborted()
	o.legs[2].paid = wei(5) // an aborted leg paid its target
	if err := o.check(); !errors.Is(err, ErrAtomicEscrow) {
		t.Errorf("paid on abort: got %v, want ErrAtomicEscrow", err)
	}
	// A compromised subnet's own yes is its to give: not held to the rule.
	o = good()
	o.legs[0].honest, o.legs[0].yesSeen = false, false
	if err := o.check(); err != nil {
		t.Errorf("a compromised leg's early yes: %v", err)
	}
}
