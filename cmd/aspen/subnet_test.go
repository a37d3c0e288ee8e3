package main

import (
	"context"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

func TestParseCoins(t *testing.T) {
	wei := func(s string) *big.Int { v, _ := new(big.Int).SetString(s, 10); return v }
	for _, tc := range []struct {
		in   string
		want *big.Int // nil: rejected
	}{
		{"5", wei("5000000000000000000")},
		{"0.5", wei("500000000000000000")},
		{"30", wei("30000000000000000000")},
		{"1e-18", wei("1")},
		{"1.5e3", wei("1500000000000000000000")},
		{"0.000000000000000001", wei("1")},
		{"0", wei("0")},
		{" 2 ", wei("2000000000000000000")},
		{"123456789.123456789123456789", wei("123456789123456789123456789")},
		{"1e-19", nil},                 // a tenth of a wei
		{"0.0000000000000000001", nil}, // same, without an exponent
		{"abc", nil},
		{"", nil},
		{"-1", nil},
		{"1/2", nil}, // big.Rat would take it; a coin amount is decimal
		{"0x10", nil},
		{"1e999999999", nil}, // would make big.Rat compute 10^999999999
		{"NaN", nil},
		{"5 coins", nil},
	} {
		got, err := parseCoins(tc.in)
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("parseCoins(%q) = %s, want an error", tc.in, got)
		case tc.want != nil && err != nil:
			t.Errorf("parseCoins(%q): %v", tc.in, err)
		case tc.want != nil && got.Cmp(tc.want) != 0:
			t.Errorf("parseCoins(%q) = %s wei, want %s", tc.in, got, tc.want)
		}
	}
}

func TestFormatCoins(t *testing.T) {
	for _, tc := range []struct{ wei, want string }{
		{"0", "0"}, {"1", "0.000000000000000001"}, {"500000000000000000", "0.5"},
		{"5000000000000000000", "5"}, {"1234500000000000000000", "1234.5"}, {"-1500000000000000000", "-1.5"},
	} {
		v, _ := new(big.Int).SetString(tc.wei, 10)
		if got := formatCoins(v); got != tc.want {
			t.Errorf("formatCoins(%s) = %q, want %q", tc.wei, got, tc.want)
		}
		if v.Sign() >= 0 {
			back, err := parseCoins(tc.want)
			if err != nil || back.Cmp(v) != 0 {
				t.Errorf("parseCoins(formatCoins(%s)) = %v, %v", tc.wei, back, err)
			}
		}
	}
}

func TestChildID(t *testing.T) {
	for _, tc := range []struct {
		in, err string
	}{
		{"/devnet/games", ""},
		{"/devnet/a/b", ""},
		{"/devnet", "root chain"},
		{"devnet/games", "/devnet/games"},
		{"/devnet/Games!", "subnet ID"},
	} {
		id, err := childID(tc.in)
		if tc.err == "" {
			if err != nil || string(id) != tc.in {
				t.Errorf("childID(%q) = %q, %v", tc.in, id, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("childID(%q) error = %v, want one mentioning %q", tc.in, err, tc.err)
		}
	}
}

func TestCreateParams(t *testing.T) {
	o := createOptions{engine: "BFT", minValidators: 3, minCollateral: "30.5", blockTime: 500 * time.Millisecond, checkpointPeriod: 10, gasLimit: 20_000_000}
	p, err := o.params()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := new(big.Int).SetString("30500000000000000000", 10)
	if p.Engine != uint8(gateway.EngineBFT) || p.MinValidators != 3 || p.MinCollateral.Cmp(want) != 0 ||
		p.BlockTimeMs != 500 || p.CheckpointPeriod != 10 || p.GasLimit != 20_000_000 {
		t.Fatalf("params = %+v", p)
	}
	for _, bad := range []createOptions{
		{engine: "raft", minCollateral: "1", blockTime: time.Second},
		{engine: "bft", minCollateral: "x", blockTime: time.Second},
		{engine: "bft", minCollateral: "1", blockTime: 1500 * time.Microsecond},
		{engine: "bft", minCollateral: "1", blockTime: 0},
	} {
		if _, err := bad.params(); err == nil {
			t.Errorf("params(%+v) accepted", bad)
		}
	}
}

func TestChainURL(t *testing.T) {
	for _, tc := range []struct{ rpc, chain, want string }{
		{"http://127.0.0.1:8545", "/devnet", "http://127.0.0.1:8545/devnet"},
		{"http://127.0.0.1:8545/", "/devnet/games", "http://127.0.0.1:8545/devnet/games"},
		{"http://127.0.0.1:8545/devnet", "/devnet/games", "http://127.0.0.1:8545/devnet"}, // the user named the chain
		{"http://127.0.0.1:8545", "", "http://127.0.0.1:8545"},
	} {
		f := gwFlags{rpcURL: tc.rpc}
		got, err := f.chainURL(nil, types.SubnetID(tc.chain))
		if err != nil || got != tc.want {
			t.Errorf("chainURL(%q, %q) = %q, %v; want %q", tc.rpc, tc.chain, got, err, tc.want)
		}
	}
	if _, err := (&gwFlags{rpcURL: "127.0.0.1:8545"}).chainURL(nil, "/devnet"); err == nil {
		t.Error("a URL without a scheme was accepted")
	}
	if _, err := (&gwFlags{}).chainURL(nil, "/devnet"); err == nil || !strings.Contains(err.Error(), "--home") {
		t.Errorf("no home and no --rpc: %v", err)
	}
	if got := dialable("0.0.0.0:8545"); got != "127.0.0.1:8545" {
		t.Errorf("dialable(0.0.0.0:8545) = %s", got)
	}
}

// TestDecodeSubnet packs a SubnetInfo with the IGateway ABI, as the gateway
// answers subnet(id), and checks every field of the decoded view.
func TestDecodeSubnet(t *testing.T) {
	parsed, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	coins := func(s string) *big.Int { v, _ := parseCoins(s); return v }
	info := gateway.ABISubnetInfo{
		Id:                   "/devnet/games",
		Params:               gateway.ABIParams{Engine: 1, MinValidators: 3, MinCollateral: coins("30"), BlockTimeMs: 500, CheckpointPeriod: 10, GasLimit: 30_000_000},
		Status:               1,
		Creator:              common.HexToAddress("0xc0ffee0000000000000000000000000000000001"),
		ChainId:              gateway.ChainIDFor("/devnet/games"),
		CirculatingSupply:    coins("5.25"),
		LastCheckpointHeight: 7,
		LastCheckpointHash:   common.HexToHash("0xabc"),
		ConfigNumber:         4,
	}
	info.Validators = append(info.Validators, struct {
		Owner        common.Address
		BlsPublicKey []byte
		P2pAddr      string
		Collateral   *big.Int
	}{common.HexToAddress("0x1"), []byte{1, 2, 3}, "/ip4/127.0.0.1/tcp/1/p2p/X", coins("10")}, struct {
		Owner        common.Address
		BlsPublicKey []byte
		P2pAddr      string
		Collateral   *big.Int
	}{common.HexToAddress("0x2"), []byte{4, 5}, "/ip4/127.0.0.1/tcp/2/p2p/Y", coins("20.5")})
	packed, err := parsed.Methods["subnet"].Outputs.Pack(info)
	if err != nil {
		t.Fatal(err)
	}
	out, err := parsed.Unpack("subnet", packed)
	if err != nil {
		t.Fatal(err)
	}
	v, err := decodeSubnet(out)
	if err != nil {
		t.Fatal(err)
	}
	if v.ID != "/devnet/games" || v.Status != "active" || v.Creator != info.Creator || v.ChainID != info.ChainId ||
		v.CirculatingSupply != "5.25" || v.LastCheckpointHeight != 7 || v.LastCheckpointHash != info.LastCheckpointHash ||
		v.ConfigNumber != 4 || v.TotalCollateral != "30.5" {
		t.Errorf("view = %+v", v)
	}
	if (v.Params != paramsView{Engine: "bft", MinValidators: 3, MinCollateral: "30", BlockTimeMs: 500, CheckpointPeriod: 10, GasLimit: 30_000_000}) {
		t.Errorf("params = %+v", v.Params)
	}
	if len(v.Validators) != 2 || v.Validators[1].Owner != common.HexToAddress("0x2") || v.Validators[1].Collateral != "20.5" ||
		v.Validators[1].P2PAddr != "/ip4/127.0.0.1/tcp/2/p2p/Y" || string(v.Validators[0].BLSPublicKey) != "\x01\x02\x03" {
		t.Errorf("validators = %+v", v.Validators)
	}
	if _, err := decodeSubnet([]any{"not a tuple"}); err == nil {
		t.Error("a string decoded as a SubnetInfo")
	}
}

func TestUnreachableNode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = runAspen(context.Background(), "subnet", "list", "--rpc", "http://"+addr)
	if err == nil || !strings.Contains(err.Error(), "is the node running?") {
		t.Fatalf("error = %v, want advice to start the node", err)
	}
}
