package e2e

import (
	"context"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// subnetInfoVia reads subnet(id) from the gateway of the chain c is connected to.
func subnetInfoVia(t *testing.T, c *ethclient.Client, id string) *gateway.ABISubnetInfo {
	t.Helper()
	g, err := client.NewGateway(c.Client(), "the test's chain", client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := g.Subnet(context.Background(), types.SubnetID(id))
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// testSlashDoubleVote (TestSharedRoot/SlashDoubleVote): on a 4-node root,
// node0-3 validate a child; node3's BLS key signs two conflicting prevotes
// for one child height, and a dev account that is no validator submits them to the root's gateway. node3's
// 10 coins of collateral are burned (the gateway's balance drops by them
// and node3 never gets them back), its seat goes with a new config, the
// child applies the change and keeps finalizing without node3's vote, and
// the same evidence submitted again changes nothing. It runs before any
// other child exists on the shared root, so nothing but the slash moves the
// gateway's balance in the slash's block.
func testSlashDoubleVote(t *testing.T, n *bftNet) {
	n.waitHeight(t, 2, time.Minute, 0, 1, 2, 3)
	home := func(i int) string { return filepath.Join(n.home, "node"+strconv.Itoa(i)) }
	games := "/devnet/games"
	coin := big.NewInt(1e18)
	ten := new(big.Int).Mul(big.NewInt(10), coin)

	aspen(t, "subnet", "create", games, "--engine", "bft", "--min-validators", "3", "--min-collateral", "30", "--block-time", "200ms", "--checkpoint-period", "5", "--home", home(0), "--json")
	for i := 0; i < 4; i++ {
		aspen(t, "subnet", "join", games, "--collateral", "10", "--home", home(i), "--json")
	}
	for i := 0; i < 4; i++ {
		waitFor(t, "node"+strconv.Itoa(i)+" to validate "+games, time.Minute, func() bool {
			return servedSubnets(t, n.m.Nodes[i].RPC)[games] == "validator"
		})
	}

	// node3's BLS key, read from its home as the node reads it.
	cfg, err := config.LoadNode(home(3))
	if err != nil {
		t.Fatal(err)
	}
	key3, err := crypto.LoadBLSKey(cfg.Path(cfg.Keys.Validator))
	if err != nil {
		t.Fatal(err)
	}
	owner3 := common.HexToAddress(strings.TrimSpace(jsonField(t, aspen(t, "keys", "show", "--home", home(3), "--json"), "account")))

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	root := n.clients[0]
	before := subnetInfoVia(t, root, games)
	if len(before.Validators) != 4 {
		t.Fatalf("%s has %d validators before the slash, want 4", games, len(before.Validators))
	}

	// Two prevotes of node3's key for one height and round, different blocks.
	a := bft.Vote{Type: bft.Prevote, Height: 3, Round: 0, BlockHash: common.Hash{0x0a}}
	b := bft.Vote{Type: bft.Prevote, Height: 3, Round: 0, BlockHash: common.Hash{0x0b}}
	bft.SignVote(key3, types.SubnetID(games), &a)
	bft.SignVote(key3, types.SubnetID(games), &b)
	evidence := gateway.EncodeEngineEvidence(bft.EncodeDoubleVote(bft.DoubleVote{Key: key3.PublicKey().Bytes(), A: a, B: b}))

	submitter := n.m.Accounts[1]
	skey, _ := submitter.Key()
	gwc, err := client.NewGateway(root.Client(), "/devnet", client.Options{Key: skey, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	gw := gwc.ABI()
	submit := func() *gethtypes.Receipt {
		t.Helper()
		tx, err := gwc.Transact(ctx, "submitEvidence", nil, games, evidence)
		if err != nil {
			t.Fatalf("submitEvidence: %v", err)
		}
		return tx.Receipt
	}
	r := submit()

	// ValidatorSlashed names node3's account and its 10 coins.
	slashed := gw.Events["ValidatorSlashed"]
	var found bool
	for _, l := range r.Logs {
		if l.Address != gateway.Address || l.Topics[0] != slashed.ID {
			continue
		}
		out := map[string]any{}
		if err := slashed.Inputs.UnpackIntoMap(out, l.Data); err != nil {
			t.Fatal(err)
		}
		if common.BytesToAddress(l.Topics[1].Bytes()) != owner3 || out["id"] != games || out["collateralSlashed"].(*big.Int).Cmp(ten) != 0 {
			t.Fatalf("ValidatorSlashed %v for %s", out, common.BytesToAddress(l.Topics[1].Bytes()))
		}
		found = true
	}
	if !found {
		t.Fatalf("no ValidatorSlashed in %d logs", len(r.Logs))
	}

	// Burned: across the slash's block the gateway lost exactly the 10
	// coins, and node3's account gained none of them (tips aside).
	at, prev := r.BlockNumber, new(big.Int).Sub(r.BlockNumber, big.NewInt(1))
	gwAt, _ := root.BalanceAt(ctx, gateway.Address, at)
	gwPrev, _ := root.BalanceAt(ctx, gateway.Address, prev)
	if d := new(big.Int).Sub(gwPrev, gwAt); d.Cmp(ten) != 0 {
		t.Fatalf("the gateway's balance fell by %v in the slash's block, want 10 coins", d)
	}
	o3At, _ := root.BalanceAt(ctx, owner3, at)
	o3Prev, _ := root.BalanceAt(ctx, owner3, prev)
	if gain := new(big.Int).Sub(new(big.Int).Sub(o3At, o3Prev), tipsTo(t, root, owner3, at.Uint64())); gain.Sign() != 0 {
		t.Fatalf("node3's account gained %v in the slash's block (tips aside), want nothing", gain)
	}

	// The seat is gone at once, with a new config.
	after := subnetInfoVia(t, root, games)
	if after.ConfigNumber != before.ConfigNumber+1 || len(after.Validators) != 3 {
		t.Fatalf("after the slash: config %d (was %d), %d validators", after.ConfigNumber, before.ConfigNumber, len(after.Validators))
	}
	for _, v := range after.Validators {
		if v.Owner == owner3 {
			t.Fatalf("subnet() still lists node3 (%s)", owner3)
		}
	}

	// The child applies the change: node3 stops voting there, and the
	// other three keep finalizing: a fund sent now is applied.
	waitFor(t, "node3 to stop validating "+games, time.Minute, func() bool {
		return servedSubnets(t, n.m.Nodes[3].RPC)[games] != "validator"
	})
	dest := common.HexToAddress("0x00000000000000000000000000000000005a1a5e")
	aspen(t, "xfer", "fund", games, "--to", dest.Hex(), "--value", "1", "--home", home(0), "--json")
	for i := 0; i < 3; i++ {
		ci, err := ethclient.Dial(n.m.Nodes[i].RPC + games)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the fund on "+games+" at node"+strconv.Itoa(i), time.Minute, func() bool {
			bal, err := ci.BalanceAt(ctx, dest, nil)
			return err == nil && bal.Cmp(coin) == 0
		})
		if servedSubnets(t, n.m.Nodes[i].RPC)[games] != "validator" {
			t.Fatalf("node%d lost its seat in %s", i, games)
		}
	}

	// The same evidence again: success, no event, nothing changes.
	r2 := submit()
	if len(r2.Logs) != 0 || r2.GasUsed*5 > r.GasUsed {
		t.Fatalf("repeated evidence: %d logs, %d gas (first %d)", len(r2.Logs), r2.GasUsed, r.GasUsed)
	}
	if again := subnetInfoVia(t, root, games); again.ConfigNumber != after.ConfigNumber || len(again.Validators) != 3 {
		t.Fatalf("repeated evidence changed the subnet: config %d, %d validators", again.ConfigNumber, len(again.Validators))
	}
	// Nothing was ever paid back to node3 for its seat.
	left, err := root.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: at, Addresses: []common.Address{gateway.Address},
		Topics: [][]common.Hash{{gw.Events["ValidatorLeft"].ID}, {common.BytesToHash(owner3.Bytes())}}})
	if err != nil || len(left) != 0 {
		t.Fatalf("ValidatorLeft for node3 after the slash: %v, %v", left, err)
	}
	t.Logf("gas used on the root: slash %d, repeated evidence %d", r.GasUsed, r2.GasUsed)
}
