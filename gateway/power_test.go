package gateway

import (
	"math/big"
	"testing"
)

// TestPowerIsCapped (issue 19, defect 3): whatever the collateral, a full
// subnet's power stays below 2^62 (consensus.MaxTotalPower), so its engine
// and checkpoint quorums can count it. Each seat used to weigh up to 2^56-1:
// MaxValidators whales overflowed 64 bits.
func TestPowerIsCapped(t *testing.T) {
	huge := new(big.Int).Lsh(big.NewInt(1), 255)
	for _, c := range []*big.Int{huge, new(big.Int).Mul(big.NewInt(MaxPower+1), big.NewInt(1e9)), new(big.Int).Lsh(big.NewInt(1), 100)} {
		if p := PowerOf(c); p != MaxPower {
			t.Errorf("PowerOf(%s) = %d, want the cap %d", c, p, uint64(MaxPower))
		}
	}
	total := new(big.Int).Mul(big.NewInt(MaxValidators), new(big.Int).SetUint64(PowerOf(huge)))
	if limit := new(big.Int).Lsh(big.NewInt(1), 62); total.Cmp(limit) > 0 {
		t.Fatalf("%d seats of the largest power weigh %s, above 2^62", MaxValidators, total)
	}
	for _, tc := range []struct {
		wei  *big.Int
		want uint64
	}{{nil, 1}, {big.NewInt(0), 1}, {big.NewInt(1), 1}, {big.NewInt(5e9), 5}, {new(big.Int).Mul(big.NewInt(MaxPower), big.NewInt(1e9)), MaxPower}} {
		if p := PowerOf(tc.wei); p != tc.want {
			t.Errorf("PowerOf(%v) = %d, want %d", tc.wei, p, tc.want)
		}
	}
}
