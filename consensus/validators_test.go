package consensus

import (
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
