package config

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

const validGenesis = `{
  "subnetId": "/devnet",
  "chainId": 31337,
  "gasLimit": 30000000,
  "baseFee": "0x3b9aca00",
  "timestampMs": 1700000000000,
  "engine": "solo",
  "blockTimeMs": 500,
  "validators": [{"address": "0x00000000000000000000000000000000000000aa", "blsPublicKey": ""}],
  "alloc": {
    "0x00000000000000000000000000000000000000bb": {"balance": "1000000000000000000000"},
    "0x00000000000000000000000000000000000000cc": {"balance": "0x10", "nonce": "0x2", "code": "0x6000",
      "storage": {"0x0000000000000000000000000000000000000000000000000000000000000001": "0x00000000000000000000000000000000000000000000000000000000000000ff"}}
  }
}`

func TestParseGenesis(t *testing.T) {
	g, err := ParseGenesis([]byte(validGenesis))
	if err != nil {
		t.Fatal(err)
	}
	if g.ID() != "/devnet" || g.ChainID != 31337 || g.BlockTimeMs != 500 || g.TimestampMs != 1700000000000 {
		t.Fatalf("parsed %+v", g)
	}
	if g.BaseFeeWei().Cmp(big.NewInt(1e9)) != 0 {
		t.Fatalf("base fee %s", g.BaseFeeWei())
	}
	bb := g.Alloc[common.HexToAddress("0xbb")]
	want, _ := new(big.Int).SetString("1000000000000000000000", 10)
	if (*big.Int)(bb.Balance).Cmp(want) != 0 {
		t.Fatalf("decimal balance = %s", (*big.Int)(bb.Balance))
	}
	cc := g.Alloc[common.HexToAddress("0xcc")]
	if (*big.Int)(cc.Balance).Int64() != 16 || cc.Nonce != 2 || len(cc.Code) != 2 || cc.Storage[common.BigToHash(big.NewInt(1))] != common.BigToHash(big.NewInt(255)) {
		t.Fatalf("account cc = %+v", cc)
	}
	if got := g.SortedAlloc(); len(got) != 2 || got[0] != common.HexToAddress("0xbb") {
		t.Fatalf("SortedAlloc = %v", got)
	}
}

func TestGenesisDefaults(t *testing.T) {
	g, err := ParseGenesis([]byte(`{"subnetId":"/devnet","chainId":5,"validators":[{"address":"0x00000000000000000000000000000000000000aa"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if g.BaseFeeWei().Cmp(big.NewInt(DefaultGenesisBaseFee)) != 0 || g.GasLimit != DefaultGenesisGasLimit ||
		g.BlockTimeMs != DefaultGenesisBlockTimeMs || g.Engine != "solo" {
		t.Fatalf("defaults not applied: %+v", g)
	}
}

func TestGenesisHashStable(t *testing.T) {
	a, err := ParseGenesis([]byte(validGenesis))
	if err != nil {
		t.Fatal(err)
	}
	// The same values written differently (decimal base fee and balance, keys
	// in another order) must hash the same.
	other := strings.Replace(validGenesis, `"0x3b9aca00"`, `"1000000000"`, 1)
	other = strings.Replace(other, `"balance": "0x10"`, `"balance": "16"`, 1)
	b, err := ParseGenesis([]byte(other))
	if err != nil {
		t.Fatal(err)
	}
	ha, _ := a.Hash()
	hb, _ := b.Hash()
	if ha != hb {
		t.Fatalf("equal genesis hash differently: %s %s", ha, hb)
	}
	b.ChainID++
	if hc, _ := b.Hash(); hc == ha {
		t.Fatal("a different chain ID hashes the same")
	}
	// Encode then parse again is a fixed point.
	enc, err := a.Encode()
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseGenesis(enc)
	if err != nil {
		t.Fatalf("re-parsing the canonical encoding: %v", err)
	}
	if hc, _ := c.Hash(); hc != ha {
		t.Fatal("canonical encoding does not round-trip")
	}
}

func TestGenesisInvalid(t *testing.T) {
	tests := []struct {
		name    string
		replace [2]string
		want    string
	}{
		{"bad subnet", [2]string{`"/devnet"`, `"devnet"`}, "subnetId"},
		{"child-style uppercase", [2]string{`"/devnet"`, `"/DevNet"`}, "subnetId"},
		{"zero chain id", [2]string{`"chainId": 31337`, `"chainId": 0`}, "chainId"},
		{"chain id too big", [2]string{`"chainId": 31337`, `"chainId": 9007199254740992`}, "2^53"},
		{"gas limit too low", [2]string{`"gasLimit": 30000000`, `"gasLimit": 100`}, "gasLimit"},
		{"negative base fee", [2]string{`"0x3b9aca00"`, `"-1"`}, "baseFee"},
		{"unknown engine", [2]string{`"engine": "solo"`, `"engine": "raft"`}, "engine \"raft\""},
		{"solo two validators", [2]string{`"blsPublicKey": ""}]`, `"blsPublicKey": ""},{"address":"0x00000000000000000000000000000000000000ab"}]`}, "exactly one"},
		{"zero validator", [2]string{`0x00000000000000000000000000000000000000aa`, `0x0000000000000000000000000000000000000000`}, "validators[0]: address"},
		{"short bls key", [2]string{`"blsPublicKey": ""`, `"blsPublicKey": "0x1234"`}, "48"},
		{"bft without bls", [2]string{`"engine": "solo"`, `"engine": "bft"`}, "needs a blsPublicKey"},
		{"unknown field", [2]string{`"engine": "solo"`, `"engnie": "solo"`}, "engnie"},
		{"bad balance", [2]string{`"1000000000000000000000"`, `"lots"`}, "lots"},
		// Issue 19, defect 3: a total above 2^62 would make quorum arithmetic
		// overflow; genesis refuses it instead of starting a chain that cannot count.
		{"power above the cap", [2]string{`"blsPublicKey": ""}]`, `"blsPublicKey": "", "power": 4611686018427387905}]`}, "takes the total above"},
		{"subnet with a block reward", [2]string{`"subnetId": "/devnet"`, `"subnetId": "/devnet/games", "blockReward": "1"`}, "blockReward is for roots only"},
		{"negative block reward", [2]string{`"engine": "solo"`, `"engine": "solo", "blockReward": "-1"`}, "blockReward must be"},
		{"confirmations too deep", [2]string{`"engine": "solo"`, `"engine": "solo", "confirmations": 1001`}, "confirmations 1001"},
		{"power of 2^64-1", [2]string{`"blsPublicKey": ""}]`, `"blsPublicKey": "", "power": 18446744073709551615}]`}, "takes the total above"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(validGenesis, tt.replace[0], tt.replace[1], 1)
			if src == validGenesis {
				t.Fatalf("replacement %q did not apply", tt.replace[0])
			}
			_, err := ParseGenesis([]byte(src))
			if !errors.Is(err, ErrInvalidGenesis) {
				t.Fatalf("err = %v, want ErrInvalidGenesis", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestLoadGenesis(t *testing.T) {
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(path, []byte(validGenesis), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadGenesis(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadGenesis(path + ".missing"); !errors.Is(err, ErrInvalidGenesis) {
		t.Fatalf("missing file: %v", err)
	}
}
