package consensus

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func set(t *testing.T, powers ...uint64) *ValidatorSet {
	vs := make([]Validator, len(powers))
	for i, p := range powers {
		vs[i] = Validator{Address: common.BigToAddress(big.NewInt(int64(i + 1))), Power: p}
	}
	s, err := NewValidatorSet(vs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestQuorumIsMoreThanTwoThirds(t *testing.T) {
	cases := []struct {
		powers []uint64
		quorum uint64
	}{
		{[]uint64{1, 1, 1, 1}, 3},
		{[]uint64{1, 1, 1}, 3},
		{[]uint64{1}, 1},
		{[]uint64{10, 10, 10, 1}, 21},
		{[]uint64{1, 1, 1, 1, 1, 1}, 5},
	}
	for _, c := range cases {
		s := set(t, c.powers...)
		if s.Quorum() != c.quorum {
			t.Errorf("powers %v: quorum %d, want %d", c.powers, s.Quorum(), c.quorum)
		}
		if 3*s.Quorum() <= 2*s.TotalPower() || 3*(s.Quorum()-1) > 2*s.TotalPower() {
			t.Errorf("powers %v: quorum %d is not the least power above 2/3 of %d", c.powers, s.Quorum(), s.TotalPower())
		}
	}
}

func TestProposerIsStakeWeighted(t *testing.T) {
	s := set(t, 1, 3, 6)
	counts := make([]int, 3)
	const n = 30000
	for h := uint64(0); h < n; h++ {
		counts[s.Proposer(h, 0)]++
	}
	want := []float64{0.1, 0.3, 0.6}
	for i, c := range counts {
		got := float64(c) / n
		if got < want[i]-0.02 || got > want[i]+0.02 {
			t.Errorf("validator %d proposed %.3f of heights, want about %.1f", i, got, want[i])
		}
	}
	if s.Proposer(7, 0) != s.Proposer(7, 0) {
		t.Fatal("proposer is not deterministic")
	}
	moved := 0
	for r := uint32(0); r < 20; r++ {
		if s.Proposer(7, r) != s.Proposer(7, 0) {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("a new round never changes the proposer")
	}
}

func TestRejectsBadSets(t *testing.T) {
	a := common.HexToAddress("0x1")
	for _, vs := range [][]Validator{
		nil,
		{{Address: a, Power: 0}},
		{{Address: a, Power: 1}, {Address: a, Power: 1}},
		{{Address: a, Power: ^uint64(0)}, {Address: common.HexToAddress("0x2"), Power: 2}},
	} {
		if _, err := NewValidatorSet(vs); err == nil {
			t.Errorf("accepted %+v", vs)
		}
	}
}

// TestQuorumDoesNotWrap (issue 19, defect 3): the quorum of a set near 2^63
// is more than two thirds of it. total*2/3+1 wrapped there, so one validator
// holding a quarter of the power was a quorum alone; a set so large is now
// refused instead, and no set NewValidatorSet accepts has a wrapping quorum.
func TestQuorumDoesNotWrap(t *testing.T) {
	a, b, c := common.HexToAddress("0x1"), common.HexToAddress("0x2"), common.HexToAddress("0x3")
	vs, err := NewValidatorSet([]Validator{{Address: a, Power: 1 << 62}, {Address: b, Power: 1 << 62}, {Address: c, Power: 3}})
	if err == nil && vs.HasQuorum(1<<62) {
		t.Fatalf("one validator of power 2^62 out of %d is a quorum (quorum %d)", vs.TotalPower(), vs.Quorum())
	}
	if err == nil {
		t.Fatalf("accepted a set of total power %d above MaxTotalPower", vs.TotalPower())
	}
	if !errors.Is(err, ErrInvalidValidatorSet) {
		t.Fatalf("error %v does not wrap ErrInvalidValidatorSet", err)
	}
	// At the cap, the quorum is exact.
	top, err := NewValidatorSet([]Validator{{Address: a, Power: 1<<62 - 2}, {Address: b, Power: 1}, {Address: c, Power: 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := new(big.Int).Mul(new(big.Int).SetUint64(top.TotalPower()), big.NewInt(2))
	want.Div(want, big.NewInt(3)).Add(want, big.NewInt(1))
	if top.Quorum() != want.Uint64() {
		t.Fatalf("quorum of %d is %d, want %s", top.TotalPower(), top.Quorum(), want)
	}
}

// TestTotalPowerOverflowIsAnError: a set whose powers overflow 64 bits is an
// error, never a panic or a wrapped total.
func TestTotalPowerOverflowIsAnError(t *testing.T) {
	vs := []Validator{{Address: common.HexToAddress("0x1"), Power: ^uint64(0)}, {Address: common.HexToAddress("0x2"), Power: ^uint64(0)}}
	if s, err := NewValidatorSet(vs); !errors.Is(err, ErrInvalidValidatorSet) {
		t.Fatalf("set of two validators of power 2^64-1: %v (total %v)", err, s)
	}
}
