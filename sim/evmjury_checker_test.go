package sim

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// TestEVMJuryCatchesForgedPayout breaks the jury end to end on the seed
// whose honest run is TestEVMJurySeeds/3-jury-forged-liar (which passes):
// with nobody bonded no jury is in effect and the root pays the forged
// checkpoint at its commit; with every juror lying the jury releases it.
// Either way the forged value reaches the root and the checker must say so.
func TestEVMJuryCatchesForgedPayout(t *testing.T) {
	for _, tc := range []struct {
		name  string
		knobs juryKnobs
	}{
		{"nobody-bonded", juryKnobs{noBond: true}},
		{"every-juror-lies", juryKnobs{lieAll: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const seed = liarSeed
			sc := juryRotation[seed%uint64(len(juryRotation))]
			p := *sc.Jury
			p.knobs = tc.knobs
			sc.Jury = &p
			_, err := RunEVMTree(seed, sc, t.TempDir())
			if !errors.Is(err, ErrForgedPayout) {
				t.Fatalf("seed %d, %s: got %v, want ErrForgedPayout", seed, tc.name, err)
			}
			var fail *Failure
			if !errors.As(err, &fail) || fail.Seed != seed {
				t.Fatalf("the failure does not name its seed: %v", err)
			}
			t.Logf("found: %v", err)
		})
	}
}

// TestJuryOutcomeRules breaks one rule of a settled jury at a time and
// checks juryOutcome.check names it: the real gateway cannot be made to
// skip a slash or pay a checkpoint twice, so the rules are shown to fail
// here, on outcomes as the checker reads them from a node's state.
func TestJuryOutcomeRules(t *testing.T) {
	wei := func(n int64) *big.Int { return big.NewInt(n) }
	liar, honest := common.Address{0x11}, common.Address{0x22}
	k4, k8 := ckptKey{2, 4}, ckptKey{2, 8}
	forged := func() juryOutcome {
		return juryOutcome{
			forgedAt: 5, proven: true, frozen: true, stake: wei(0), forgedSubnet: "/sim/a",
			committed: []ckptKey{k4, k8}, paid: map[ckptKey]int{k4: 1, k8: 1},
			jurors:        []jurorBond{{liar, wei(1), wei(0)}, {honest, wei(2), wei(2)}},
			attestedValid: map[common.Address]bool{liar: true},
			subnet:        func(int) string { return "/sim/b" },
		}
	}
	honestRun := func() juryOutcome {
		o := forged()
		o.forgedAt, o.proven, o.frozen = 0, false, false
		o.jurors[0].left, o.attestedValid = wei(1), map[common.Address]bool{}
		return o
	}
	if err := forged().check(); err != nil {
		t.Fatalf("a punished fraud: %v", err)
	}
	if err := honestRun().check(); err != nil {
		t.Fatalf("an honest run: %v", err)
	}
	for _, tc := range []struct {
		name   string
		break_ func(*juryOutcome)
		want   error
	}{
		{"not-proven", func(o *juryOutcome) { o.proven = false }, ErrFraudUnpunished},
		{"not-frozen", func(o *juryOutcome) { o.frozen = false }, ErrFraudUnpunished},
		{"signers-keep-stake", func(o *juryOutcome) { o.stake = wei(10) }, ErrFraudUnpunished},
		{"liar-keeps-bond", func(o *juryOutcome) { o.jurors[0].left = wei(1) }, ErrFraudUnpunished},
		{"honest-juror-slashed", func(o *juryOutcome) { o.jurors[1].left = wei(0) }, ErrJuryWithheld},
		{"honest-checkpoint-withheld", func(o *juryOutcome) { o.paid[k8] = 0 }, ErrJuryWithheld},
		{"honest-checkpoint-paid-twice", func(o *juryOutcome) { o.paid[k4] = 2 }, ErrJuryWithheld},
		{"still-held", func(o *juryOutcome) { o.held = 1 }, ErrJuryWithheld},
	} {
		o := forged()
		tc.break_(&o)
		if err := o.check(); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}
