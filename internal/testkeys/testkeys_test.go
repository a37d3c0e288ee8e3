package testkeys

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestDevKeyIsTheStandardAccount(t *testing.T) {
	if got, want := DevAddress(0), common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"); got != want {
		t.Fatalf("dev account 0 = %s, want %s", got, want)
	}
	if got, want := DevAddress(1), common.HexToAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"); got != want {
		t.Fatalf("dev account 1 = %s, want %s", got, want)
	}
}

// TestKeysAreDeterministicAndDistinct: the same index gives the same key
// every time, different indexes different keys.
func TestKeysAreDeterministicAndDistinct(t *testing.T) {
	seenBLS, seenAcct := map[string]int{}, map[common.Address]int{}
	for i := 0; i < 300; i++ {
		if BLS(i).PublicKey().String() != BLS(i).PublicKey().String() || Address(i) != Address(i) {
			t.Fatalf("key %d differs between calls", i)
		}
		pk := BLS(i).PublicKey().String()
		if j, dup := seenBLS[pk]; dup {
			t.Fatalf("BLS(%d) = BLS(%d)", i, j)
		}
		seenBLS[pk] = i
		if j, dup := seenAcct[Address(i)]; dup {
			t.Fatalf("Account(%d) = Account(%d)", i, j)
		}
		seenAcct[Address(i)] = i
	}
	if len(BLSKeys(4)) != 4 || BLSKeys(4)[3].PublicKey().String() != BLS(3).PublicKey().String() {
		t.Fatal("BLSKeys(4) is not BLS(0..3)")
	}
}
