package crypto

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
)

// The accounts every Hardhat and Anvil user knows.
func TestDeriveDevKey(t *testing.T) {
	for _, tc := range []struct {
		index uint32
		addr  string
		priv  string
	}{
		{0, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"},
		{1, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", ""},
		{2, "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", ""},
	} {
		key, err := DeriveDevKey(DevMnemonic, tc.index)
		if err != nil {
			t.Fatalf("index %d: %v", tc.index, err)
		}
		if got := gethcrypto.PubkeyToAddress(key.PublicKey); got != common.HexToAddress(tc.addr) {
			t.Errorf("index %d: address %s, want %s", tc.index, got, tc.addr)
		}
		if tc.priv != "" {
			if got := hexutil.Encode(gethcrypto.FromECDSA(key)); got != tc.priv {
				t.Errorf("index %d: private key %s, want %s", tc.index, got, tc.priv)
			}
		}
	}
}

func TestDeriveDevKeyBadMnemonic(t *testing.T) {
	// Valid words, wrong checksum.
	bad := "test test test test test test test test test test test test"
	if _, err := DeriveDevKey(bad, 0); !errors.Is(err, ErrMnemonic) {
		t.Fatalf("got %v, want ErrMnemonic", err)
	}
	if _, err := DeriveDevKey("not a mnemonic", 0); !errors.Is(err, ErrMnemonic) {
		t.Fatalf("got %v, want ErrMnemonic", err)
	}
}
