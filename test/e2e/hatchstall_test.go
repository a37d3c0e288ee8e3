package e2e

import (
	"context"
	"encoding/json"
	"math/big"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
)

// TestHatchStall: the escape hatch's stall path with real processes. On a
// 4-validator root at 200 ms blocks, /devnet/games (solo, sequenced by
// node2 alone) is created with a stall window of 40 root blocks. Idle, it
// stays live: its heartbeats come often enough that checkpoints keep
// landing inside the window (two more commit with no transaction, and the
// root never calls it frozen). Then node2 is killed — every validator of
// games is gone, the root keeps going on three — and once 40 root blocks
// pass without a checkpoint the root freezes games: an account funded
// there claims its balance on the root from the snapshot it kept, the
// root's books for games shrink by it, and a second claim and a forged
// proof are refused. Its tokens too: a ChildToken (docs/examples/hatchtoken)
// on games whose BridgedToken on the root registered its balance slot pays,
// through hatchPay, the 600 tokens the account held there, once.
func TestHatchStall(t *testing.T) {
	t.Parallel()
	n := startBFT(t)
	home := func(i int) string { return filepath.Join(n.home, "node"+strconv.Itoa(i)) }
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const games, window = "/devnet/games", 40
	aspen(t, "subnet", "create", games, "--engine", "solo", "--min-validators", "1", "--min-collateral", "1", "--block-time", "200ms",
		"--checkpoint-period", "3", "--stall-window", strconv.Itoa(window), "--home", home(0), "--json")
	aspen(t, "subnet", "join", games, "--collateral", "1", "--home", home(2), "--json")
	waitFor(t, "node2 to sequence "+games, time.Minute, func() bool {
		return servedSubnets(t, n.m.Nodes[2].RPC)[games] == "validator"
	})
	rootURL := n.m.Nodes[0].RPC
	root := n.clients[0]
	g, err := client.DialGateway(ctx, rootURL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	frozen := func() bool {
		out, err := g.Call(ctx, "claimRoot", games)
		if err != nil {
			t.Fatalf("claimRoot(%s): %v", games, err)
		}
		return out[0].(bool)
	}

	who := common.HexToAddress("0x00000000000000000000000000000000005a11ed")
	three := new(big.Int).Mul(big.NewInt(3), big.NewInt(1e18))
	aspen(t, "xfer", "fund", games, "--to", who.Hex(), "--value", "3", "--home", home(1), "--json")
	child, err := ethclient.DialContext(ctx, n.m.Nodes[2].RPC+games)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the fund to reach "+games, time.Minute, func() bool {
		b, err := child.BalanceAt(ctx, who, nil)
		return err == nil && b.Cmp(three) == 0
	})
	// A token on games, 600 of it held by who; its bridged form on the
	// root registers for the escape hatch.
	dev, devAddr := n.m.Accounts[0].PrivateKey, n.m.Accounts[0].Address
	aspen(t, "xfer", "fund", games, "--to", devAddr.Hex(), "--value", "1", "--home", home(1), "--json")
	waitFor(t, "the dev account's fund on "+games, time.Minute, func() bool {
		b, err := child.BalanceAt(ctx, devAddr, nil)
		return err == nil && b.Sign() > 0
	})
	ks := loadContracts(t, "../../docs/examples/hatchtoken/HatchToken.json")
	childToken := deployContract(t, child, dev, ks["ChildToken"], big.NewInt(1000))
	funded := callContract(t, child, dev, ks["ChildToken"], childToken, "transfer", who, big.NewInt(600)).BlockNumber.Uint64()
	bridged := deployContract(t, root, dev, ks["BridgedToken"])
	callContract(t, root, dev, ks["BridgedToken"], bridged, "registerHatch", games, childToken, big.NewInt(1000))
	// Idle from here on: only heartbeat blocks carry the checkpoints.
	var last uint64
	for i := range 3 {
		waitFor(t, "checkpoint "+strconv.Itoa(i+1)+" of the idle "+games+" past the fund", time.Minute, func() bool {
			if frozen() {
				t.Fatalf("the root froze %s while its sequencer ran (idle heartbeats too rare for a %d-block window)", games, window)
			}
			h := subnetInfo(t, rootURL, games).LastCheckpointHeight
			if h >= funded && h > last {
				last = h
				return true
			}
			return false
		})
	}

	snap, tokenSnap := filepath.Join(t.TempDir(), "games.json"), filepath.Join(t.TempDir(), "games-token.json")
	exported := keepExporting(t, games, home(2), who, snap)
	tokenExported := keepExporting(t, games, home(2), who, tokenSnap, "--token", bridged.Hex())
	n.kill(t, 2, n.m.Nodes[2].PID)
	exported()
	tokenExported()
	stalledAt, err := root.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the root to freeze "+games, time.Minute, frozen)
	if now, _ := root.BlockNumber(ctx); now < stalledAt+window/2 {
		t.Fatalf("the root froze %s at block %d, %d blocks after its sequencer died; its window is %d blocks", games, now, now-stalledAt, window)
	}
	before := subnetInfo(t, rootURL, games)
	if gateway.Status(before.Status) != gateway.StatusActive {
		t.Fatalf("%s has status %d; a stalled subnet stays active, only frozen", games, before.Status)
	}

	claimThree(t, nativeClaim{root: root, rootURL: rootURL, subnet: games, before: before, dev: dev, who: who, snap: snap,
		homes: [2]string{home(1), home(3)}})

	// The token: paid by BridgedToken's hatchPay, once.
	var tres struct {
		Amount     *hexutil.Big   `json:"amount"`
		ChildToken common.Address `json:"childToken"`
		ProofBytes int            `json:"proofBytes"`
		Tx         common.Hash    `json:"tx"`
	}
	out := aspen(t, "xfer", "claim", games, "--token", bridged.Hex(), "--home", home(1), "--key", dev, "--account", who.Hex(), "--snapshot", tokenSnap, "--json")
	if err := json.Unmarshal([]byte(out), &tres); err != nil {
		t.Fatalf("token claim output %q: %v", out, err)
	}
	if tres.ChildToken != childToken || tres.Amount.ToInt().Int64() != 600 {
		t.Fatalf("token claim %+v; want 600 of %s", tres, childToken)
	}
	if got := viewUint(t, root, ks["BridgedToken"], bridged, "balanceOf", who); got.Int64() != 600 {
		t.Fatalf("%s holds %v BridgedToken on the root after its claim, want 600", who, got)
	}
	if r, err := root.TransactionReceipt(ctx, tres.Tx); err == nil {
		t.Logf("token claim from the stalled %s: %d gas, proof %d bytes", games, r.GasUsed, tres.ProofBytes)
	}
	if out, err := exec.Command(aspenBin, "xfer", "claim", games, "--token", bridged.Hex(), "--home", home(3), "--key", dev, "--account", who.Hex(), "--snapshot", tokenSnap).CombinedOutput(); err == nil || !strings.Contains(string(out), "already claimed 600 of token") {
		t.Fatalf("second token claim: %v\n%s\nwant a refusal saying it was claimed", err, out)
	}
	if got := viewUint(t, root, ks["BridgedToken"], bridged, "totalSupply"); got.Int64() != 600 {
		t.Fatalf("BridgedToken's supply is %v after one claim of 600", got)
	}
}
