package main

import (
	"bytes"
	"context"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
)

// TestJuryArguments: bad arguments are refused before any node is asked
// (the --rpc port is closed: reaching it would fail differently).
func TestJuryArguments(t *testing.T) {
	rpc := "http://127.0.0.1:1"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"jury", "join", "--bond", "0.5", "--bls-key", "01", "--rpc", rpc}, "at least 1 coin"},
		{[]string{"jury", "join", "--bond", "x", "--rpc", rpc}, "is not an amount of coins"},
		{[]string{"jury", "join", "--rpc", rpc}, "no BLS key"},
		{[]string{"jury", "list", "--chain", "devnet", "--rpc", rpc}, "--chain \"devnet\""},
		{[]string{"jury", "show", "/devnet", "--rpc", rpc}, "root chain"},
		{[]string{"subnet", "jury", "/devnet/games", "22", "--rpc", rpc}, "0 (no jury) to 21"},
		{[]string{"subnet", "jury", "/devnet/games", "-1", "--rpc", rpc}, "unknown shorthand flag"},
		{[]string{"subnet", "create", "/devnet/games", "--jury", "22", "--rpc", rpc}, "at most 21 seats"},
		{[]string{"subnet", "create", "/devnet/games", "--engine", "pow", "--jury", "3", "--rpc", rpc}, "has no jury"},
	} {
		_, err := runAspen(context.Background(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("aspen %s: %v, want an error mentioning %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

func TestCreateParamsJury(t *testing.T) {
	seats := func(n uint32) *uint32 { return &n }
	o := createOptions{engine: "pow", minCollateral: "1", blockTime: 1e9}
	o.jury = seats(0)
	if _, err := o.params(); err != nil {
		t.Errorf("pow with --jury 0: %v", err)
	}
	o.engine, o.jury = "bft", seats(21)
	if _, err := o.params(); err != nil {
		t.Errorf("bft with --jury 21: %v", err)
	}
	if n, err := parseJurySeats("0"); err != nil || n != 0 {
		t.Errorf("parseJurySeats(0) = %d, %v", n, err)
	}
}

// TestJurorsView: each entry's state follows its leave, its bond and the
// unbonding delay; only bonded jurors count towards the bonded total.
func TestJurorsView(t *testing.T) {
	coin := gateway.MinJuryBond
	entries := []client.JurorEntry{
		{Account: common.HexToAddress("0x1"), Bond: new(big.Int).Mul(coin, big.NewInt(2))},
		{Account: common.HexToAddress("0x2"), Bond: coin, LeftAt: 100},
		{Account: common.HexToAddress("0x3"), Bond: coin, LeftAt: 10},
		{Account: common.HexToAddress("0x4"), Bond: new(big.Int), LeftAt: 50},
	}
	head := uint64(10 + gateway.JuryUnbonding + 1)
	res := jurorsView("/devnet", head, entries)
	want := []string{"bonded", "leaving", "withdrawable", "slashed"}
	for i, j := range res.Jurors {
		if j.State != want[i] {
			t.Errorf("juror %d: state %s, want %s", i, j.State, want[i])
		}
	}
	if res.Bonded != "2" || res.Jurors[1].WithdrawableFrom != 100+gateway.JuryUnbonding+1 || res.Jurors[0].WithdrawableFrom != 0 {
		t.Errorf("view = %+v", res)
	}
	var b bytes.Buffer
	printJurors(&b, res)
	for _, s := range []string{"4 entries, 2 coins bonded", "leaving since block 100, withdrawable from block 100101", "slashed in block 50"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("printJurors lacks %q:\n%s", s, b.String())
		}
	}
	b.Reset()
	printJurors(&b, jurorsView("/devnet", 5, nil))
	if !strings.Contains(b.String(), "Nobody is bonded") {
		t.Errorf("an empty pool: %s", b.String())
	}
}

func TestPrintJuryShow(t *testing.T) {
	a, c := common.HexToAddress("0xa"), common.HexToAddress("0xc")
	hash := common.HexToHash("0xcafe")
	res := juryShowResult{ID: "/devnet/games", Parent: "/devnet", Seats: 3, JurorsBonded: 2, LastCheckpointHeight: 20, Held: []heldView{
		{heldSummary: heldSummary{Height: 10, CheckpointHash: &hash, CommittedAt: 39, State: "pending"}, Round: 1,
			Seats: []common.Address{a, a, c}, Votes: []voteView{{a, true}}, SeatsValid: 2},
		{heldSummary: heldSummary{Height: 20, CommittedAt: 49}, Note: "jury: drawn from a later block"},
	}}
	var b bytes.Buffer
	printJuryShow(&b, res)
	for _, s := range []string{"jury of 3 seats, drawn from 2 jurors bonded on /devnet", "2 checkpoints held", "height 10  committed in block 39  pending  round 1: 2 of 3 seats valid",
		hash.Hex(), a.Hex() + " ×2, " + c.Hex(), "attested   " + a.Hex() + " valid", "drawn from a later block"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("printJuryShow lacks %q:\n%s", s, b.String())
		}
	}
	b.Reset()
	printJuryShow(&b, juryShowResult{ID: "/devnet/games", Parent: "/devnet", Seats: 5})
	if !strings.Contains(b.String(), "nobody is bonded on /devnet") || !strings.Contains(b.String(), "no checkpoint held") {
		t.Errorf("no jurors: %s", b.String())
	}
}

// TestHeldMessage: a message is said to wait for a jury only when its
// checkpoint is committed and something is held.
func TestHeldMessage(t *testing.T) {
	held := client.HeldCheckpoint{Height: 10, CommittedAt: 39}
	if s := heldMessage("/devnet/games", 3, 10, client.HeldCheckpoint{}, nil); s != "" {
		t.Errorf("nothing held: %q", s)
	}
	if s := heldMessage("/devnet/games", 13, 10, held, nil); s != "" {
		t.Errorf("the message's checkpoint is not committed yet: %q", s)
	}
	r := &client.JuryRound{Round: 1, Seats: []common.Address{{1}, {2}, {3}}, Votes: []gateway.JuryVote{{Account: common.Address{2}, Valid: true}}}
	s := heldMessage("/devnet/games", 3, 10, held, r)
	for _, want := range []string{"held for the jury of /devnet/games", "held from height 10, committed in block 39", "pending, round 1, 1 of 3 seats valid", "aspen jury show /devnet/games"} {
		if !strings.Contains(s, want) {
			t.Errorf("heldMessage lacks %q: %s", want, s)
		}
	}
}

func TestPrintSubnetJury(t *testing.T) {
	var b bytes.Buffer
	printSubnetJury(&b, subnetView{ID: "/devnet/games"})
	if b.Len() != 0 {
		t.Errorf("a view without the jury read: %q", b.String())
	}
	seats := uint32(5)
	printSubnetJury(&b, subnetView{ID: "/devnet/games", JurySeats: &seats, HeldCheckpoint: &heldSummary{Height: 20, CommittedAt: 77, State: "agreed"}})
	for _, s := range []string{"jury                5 seats", "from checkpoint 20 (committed in block 77, agreed)"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("printSubnetJury lacks %q:\n%s", s, b.String())
		}
	}
}
