package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/node"
)

// TestSubnetCLIAgainstNode runs the subnet and xfer commands against a real
// solo root chain in-process: create, fund, three joins to Active, show,
// list, and the gateway's refusals (taken name, leave below the minimum,
// kill with funds circulating, unknown subnet) surfacing with their reasons.
func TestSubnetCLIAgainstNode(t *testing.T) {
	type joiner struct {
		key, bls string
		addr     common.Address
		blsPub   string
	}
	joiners := make([]joiner, 3)
	var fund []common.Address
	for i := range joiners {
		k, _ := gethcrypto.GenerateKey()
		b, err := crypto.GenerateBLSKey()
		if err != nil {
			t.Fatal(err)
		}
		joiners[i] = joiner{hex.EncodeToString(gethcrypto.FromECDSA(k)), hex.EncodeToString(b.Bytes()), gethcrypto.PubkeyToAddress(k.PublicKey), b.PublicKey().String()}
		fund = append(fund, joiners[i].addr)
	}
	cfg, keys, err := initSoloHome(initOptions{
		Home: filepath.Join(t.TempDir(), "root"), Network: "devnet", ChainID: 31337, RPCListen: "127.0.0.1:0",
		BlockTime: 20 * time.Millisecond, IdleInterval: time.Second, GasLimit: 30_000_000, Fund: fund,
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := node.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node: %v", err)
		}
	})
	rpcURL := "http://" + n.RPCAddr()
	run := func(args ...string) map[string]any {
		t.Helper()
		out, err := runAspen(ctx, append(args, "--home", cfg.Home, "--rpc", rpcURL, "--json")...)
		if err != nil {
			t.Fatalf("aspen %s: %v", strings.Join(args, " "), err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("aspen %s printed %q: %v", strings.Join(args, " "), out, err)
		}
		return m
	}
	fails := func(want string, args ...string) {
		t.Helper()
		out, err := runAspen(ctx, append(args, "--home", cfg.Home, "--rpc", rpcURL, "--json")...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("aspen %s = %q, %v; want an error with %q", strings.Join(args, " "), out, err, want)
		}
	}
	const games = "/devnet/games"

	created := run("subnet", "create", games, "--engine", "bft", "--min-validators", "3", "--min-collateral", "30", "--block-time", "500ms")
	if created["id"] != games || created["status"] != "registered" || created["engine"] != "bft" ||
		created["chainId"] != float64(gateway.ChainIDFor(games)) || created["block"].(float64) < 1 {
		t.Fatalf("create = %v", created)
	}
	fails("execution reverted: gateway: /devnet/games already exists", "subnet", "create", games, "--min-validators", "3")

	to := common.HexToAddress("0x00000000000000000000000000000000000000f0")
	funded := run("xfer", "fund", games, "--to", to.Hex(), "--value", "0.5")
	if funded["msgId"] != gateway.MsgID("/devnet", 1).Hex() || funded["nonce"] != float64(1) || funded["src"] != "/devnet" ||
		funded["value"] != "0.5" || common.HexToAddress(funded["from"].(string)) != keys.Account {
		t.Fatalf("fund = %v", funded)
	}

	for i, j := range joiners {
		joined := run("subnet", "join", games, "--collateral", "10", "--key", j.key, "--bls-key", j.bls,
			"--p2p-addr", fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/12D3KooWtest%d", 4000+i, i))
		if common.HexToAddress(joined["validator"].(string)) != j.addr || joined["blsPublicKey"] != j.blsPub || joined["collateral"] != "10" {
			t.Fatalf("join %d = %v", i, joined)
		}
		if last := i == len(joiners)-1; joined["activated"] != last {
			t.Fatalf("join %d: activated = %v, want %v", i, joined["activated"], last)
		}
	}
	fails("already holds a seat", "subnet", "join", games, "--collateral", "1", "--bls-key", joiners[0].bls, "--p2p-addr", "/ip4/127.0.0.1/tcp/1/p2p/X")

	out, err := runAspen(ctx, "subnet", "show", games, "--rpc", rpcURL, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var shown subnetView
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.ID != games || shown.Status != "active" || shown.Creator != keys.Account || shown.ChainID != gateway.ChainIDFor(games) ||
		shown.CirculatingSupply != "0.5" || shown.ConfigNumber != 1 || shown.TotalCollateral != "30" ||
		shown.Params.MinCollateral != "30" || shown.Params.BlockTimeMs != 500 || shown.Params.Engine != "bft" || len(shown.Validators) != 3 {
		t.Fatalf("show = %+v", shown)
	}
	for i, v := range shown.Validators {
		if v.Owner != joiners[i].addr || v.BLSPublicKey.String() != joiners[i].blsPub || v.Collateral != "10" || !strings.HasSuffix(v.P2PAddr, fmt.Sprintf("test%d", i)) {
			t.Errorf("validator %d = %+v", i, v)
		}
	}

	listed := run("subnet", "list")
	children := listed["children"].([]any)
	if listed["parent"] != "/devnet" || len(children) != 1 || children[0].(map[string]any)["status"] != "active" {
		t.Fatalf("list = %v", listed)
	}

	fails("below its minValidators 3", "subnet", "leave", games, "--key", joiners[0].key)
	fails("/devnet/nope does not exist", "subnet", "kill", "/devnet/nope")
	fails("/devnet/nope does not exist", "subnet", "show", "/devnet/nope")
	fails("unknown subnet /devnet/games", "subnet", "show", "/devnet/games/deeper") // its parent is not running here

	// A subnet nobody funded can be killed by its creator; the collateral goes back.
	run("subnet", "create", "/devnet/temp", "--engine", "solo", "--min-collateral", "1")
	run("subnet", "join", "/devnet/temp", "--collateral", "2", "--key", joiners[1].key, "--bls-key", joiners[1].bls, "--p2p-addr", "/ip4/127.0.0.1/tcp/1/p2p/X")
	killed := run("subnet", "kill", "/devnet/temp")
	if killed["action"] != "kill" || killed["id"] != "/devnet/temp" {
		t.Fatalf("kill = %v", killed)
	}
	if v := run("subnet", "show", "/devnet/temp"); v["status"] != "killed" || len(v["validators"].([]any)) != 0 {
		t.Fatalf("show after kill = %v", v)
	}

	// A send from a child to a sibling that does not exist (or was killed)
	// is refused before anything is sent: the common ancestor's registry
	// (here the root's) shows it missing. games itself is not served here,
	// so only that check can answer.
	fails("send: client: no such destination subnet: /devnet/nope does not exist (/devnet has no child /devnet/nope",
		"xfer", "send", "/devnet/nope", "--src", games, "--to", to.Hex(), "--value", "1")
	fails("/devnet/temp was killed, so /devnet/temp/x cannot receive messages",
		"xfer", "send", "/devnet/temp/x", "--src", games, "--to", to.Hex(), "--value", "1")
}
