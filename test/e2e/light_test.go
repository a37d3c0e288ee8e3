package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/gateway"
)

type lightBalance struct {
	Balance    string         `json:"balance"`
	Height     uint64         `json:"height"`
	RootHeight uint64         `json:"rootHeight"`
	ProofBytes map[string]int `json:"proofBytes"`
	BytesRead  int            `json:"bytesRead"`
	Millis     int64          `json:"millis"`
}

// proof is the proof's size, without the transport's hex and JSON.
func (b lightBalance) proof() int {
	return b.ProofBytes["headers"] + b.ProofBytes["checkpoints"] + b.ProofBytes["state"]
}

// deep is the depth-3 subnet TestLightClientOnTheDefaultTree creates.
const deep = "/devnet/alpha/one/deep"

// TestLightClientOnTheDefaultTree: trusting only the root's genesis file,
// `aspen light balance` proves a dev account's balance on the grandchild
// /devnet/alpha/one, and it is what the subnet's own node says at that
// height; a second run resumes from the headers it verified; `aspen light
// serve` answers eth_getBalance for a wallet with the same proven value.
// A solo subnet created below alpha/one at runtime (deep) gives the tree a
// depth 3, where subtest ProofSizes measures the proofs.
func TestLightClientOnTheDefaultTree(t *testing.T) {
	t.Parallel()
	d := startDevnet(t, t.TempDir(), "--block-time", "200ms", "--checkpoint-period", "2",
		"--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t)))
	const subnet = "/devnet/alpha/one"
	node := d.m.Nodes[0] // validates alpha and alpha/one, so it serves their checkpoints
	gen := filepath.Join(node.Home, "genesis.json")
	lightHome := t.TempDir()
	acct := d.m.Accounts[0].Address

	run := func() (lightBalance, error) {
		out, err := exec.Command(aspenBin, "light", "balance", acct.Hex(), "--subnet", subnet, "--rpc", node.RPC,
			"--genesis", gen, "--home", lightHome, "--json").CombinedOutput()
		var b lightBalance
		if err != nil {
			return b, fmt.Errorf("aspen light balance: %v: %s", err, out)
		}
		return b, json.Unmarshal(out, &b)
	}
	// depth 3: a solo subnet below alpha/one, created, sequenced and
	// funded by node0 (it validates alpha/one).
	home0 := filepath.Join(d.home, "node0")
	owner := common.HexToAddress(strings.TrimSpace(jsonField(t, aspen(t, "keys", "show", "--home", home0, "--json"), "account")))
	aspen(t, "subnet", "create", deep, "--engine", "solo", "--min-validators", "1", "--min-collateral", "1", "--block-time", "200ms",
		"--checkpoint-period", "2", "--home", home0, "--json")
	aspen(t, "subnet", "join", deep, "--collateral", "1", "--home", home0, "--json")
	aspen(t, "xfer", "fund", deep, "--to", owner.Hex(), "--value", "3", "--home", home0, "--json")

	// Idle subnets rest, so move the tree along: a release from
	// alpha/one, applied on alpha through one's checkpoint, then a send
	// from deep to the root, applied there through a checkpoint of each
	// level, each covering the state that committed the one below (and
	// alpha's the state that applied the release).
	var up1, up2 sentMsg
	to := "0x00000000000000000000000000000000000a1a01"
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "release", subnet, "--to", to, "--value", "1", "--home", home0, "--json")), &up1); err != nil {
		t.Fatal(err)
	}
	followMsg(t, home0, up1)
	deepRPC, err := ethclient.Dial(node.RPC + deep)
	if err != nil {
		t.Fatal(err)
	}
	defer deepRPC.Close()
	waitFor(t, "the fund on "+deep, time.Minute, func() bool {
		b, err := deepRPC.BalanceAt(context.Background(), owner, nil)
		return err == nil && b.Sign() > 0
	})
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "send", "/devnet", "--src", deep, "--to", to, "--value", "1", "--home", home0, "--json")), &up2); err != nil {
		t.Fatal(err)
	}
	if hops := followMsg(t, home0, up2); len(hops) != 4 || hops[3].State != "applied" {
		t.Fatalf("send from %s to the root: %+v", deep, hops)
	}

	var first lightBalance
	var lastErr error
	waitFor(t, "a proof of /devnet/alpha/one's state reaching the root", 60*time.Second, func() bool {
		var err error
		if first, err = run(); err != nil && (lastErr == nil || err.Error() != lastErr.Error()) {
			t.Log(err)
		}
		lastErr = err
		return err == nil
	})
	if lastErr != nil {
		t.Fatal(lastErr)
	}
	sub, err := gethrpc.Dial(node.RPC + subnet)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var want hexutil.Big
	if err := sub.Call(&want, "eth_getBalance", acct, hexutil.Uint64(first.Height)); err != nil {
		t.Fatal(err)
	}
	if first.Balance != want.ToInt().String() || want.ToInt().Sign() == 0 {
		t.Fatalf("light balance %s at height %d, the node says %s", first.Balance, first.Height, want.ToInt())
	}
	t.Logf("first sync: %+v", first)

	second, err := run()
	if err != nil {
		t.Fatal(err)
	}
	var saved struct{ Height uint64 }
	if data, err := os.ReadFile(filepath.Join(lightHome, "light.json")); err != nil || json.Unmarshal(data, &saved) != nil || saved.Height < second.RootHeight || second.RootHeight < first.RootHeight {
		t.Fatalf("the client kept no verified root block (%v): %+v, then %+v", err, first, second)
	}
	t.Logf("steady state: %+v", second)
	t.Run("ProofSizes", func(t *testing.T) {
		proofSizes(t, node.RPC, gen, owner, deepRPC)
	})

	// The release from alpha/one is proven committed by alpha.
	var msg struct {
		ID         common.Hash `json:"id"`
		Checkpoint uint64      `json:"checkpoint"`
		Parent     string      `json:"parent"`
	}
	if err := json.Unmarshal([]byte(aspen(t, "light", "msg", up1.MsgID.Hex(), "--rpc", node.RPC, "--genesis", gen, "--home", lightHome, "--json")), &msg); err != nil {
		t.Fatal(err)
	}
	if msg.ID != up1.MsgID || msg.Parent != "/devnet/alpha" || msg.Checkpoint == 0 {
		t.Fatalf("light msg proved %+v", msg)
	}

	// serve: a wallet's eth_getBalance, cold then warm.
	port := freePort(t)
	srv := exec.Command(aspenBin, "light", "serve", "--port", strconv.Itoa(port), "--rpc", node.RPC, "--genesis", gen,
		"--home", lightHome, "--fresh", "1m")
	stdout, _ := srv.StdoutPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	if !bufio.NewScanner(stdout).Scan() {
		t.Fatal("light serve printed nothing")
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port) + subnet
	ask := func() ([]json.RawMessage, time.Duration) {
		body := `[{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["` + acct.Hex() + `","latest"]},` +
			`{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber","params":[]}]`
		start := time.Now()
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		took := time.Since(start)
		var rs []struct {
			Result json.RawMessage `json:"result"`
			Error  *struct{ Message string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&rs); err != nil || len(rs) != 2 {
			t.Fatalf("light serve answered %v %v", rs, err)
		}
		for _, r := range rs {
			if r.Error != nil {
				t.Fatalf("light serve: %s", r.Error.Message)
			}
		}
		return []json.RawMessage{rs[0].Result, rs[1].Result}, took
	}
	cold, coldTook := ask()
	warm, warmTook := ask()
	var bal hexutil.Big
	var height hexutil.Uint64
	if err := json.Unmarshal(warm[0], &bal); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(warm[1], &height); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cold[0], warm[0]) {
		t.Logf("balance moved between the cold and the warm answer: %s, %s", cold[0], warm[0])
	}
	if err := sub.Call(&want, "eth_getBalance", acct, height); err != nil {
		t.Fatal(err)
	}
	if bal.ToInt().Cmp(want.ToInt()) != 0 {
		t.Fatalf("light serve says %s at %d, the node %s", bal.ToInt(), height, want.ToInt())
	}
	t.Logf("light serve eth_getBalance: cold %v, warm %v", coldTook, warmTook)

	// eth_call, run locally on proven state: the gateway's views. subnetId()
	// names the subnet; children() of /devnet/alpha reads the gateway's
	// storage, and is what alpha's own node answers at the proven height.
	gwABI, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	lightCall := func(path, method string) ([]byte, uint64) {
		t.Helper()
		data, err := gwABI.Pack(method)
		if err != nil {
			t.Fatal(err)
		}
		body := `[{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"` + gateway.Address.Hex() + `","data":"` + hexutil.Encode(data) + `"},"latest"]},` +
			`{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber","params":[]}]`
		resp, err := http.Post("http://127.0.0.1:"+strconv.Itoa(port)+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rs []struct {
			Result json.RawMessage `json:"result"`
			Error  *struct{ Message string }
		}
		if err := json.NewDecoder(resp.Body).Decode(&rs); err != nil || len(rs) != 2 {
			t.Fatalf("light serve answered eth_call %v %v", rs, err)
		}
		for _, r := range rs {
			if r.Error != nil {
				t.Fatalf("light serve eth_call %s on %s: %s", method, path, r.Error.Message)
			}
		}
		var ret hexutil.Bytes
		var at hexutil.Uint64
		if err := json.Unmarshal(rs[0].Result, &ret); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(rs[1].Result, &at); err != nil {
			t.Fatal(err)
		}
		return ret, uint64(at)
	}
	ret, _ := lightCall(subnet, "subnetId")
	if out, err := gwABI.Unpack("subnetId", ret); err != nil || out[0].(string) != subnet {
		t.Fatalf("light serve eth_call subnetId() on %s: %x (%v)", subnet, ret, err)
	}
	start := time.Now()
	ret, at := lightCall("/devnet/alpha", "children")
	callTook := time.Since(start)
	alpha, err := gethrpc.Dial(node.RPC + "/devnet/alpha")
	if err != nil {
		t.Fatal(err)
	}
	defer alpha.Close()
	data, _ := gwABI.Pack("children")
	var nodeRet hexutil.Bytes
	if err := alpha.Call(&nodeRet, "eth_call", map[string]any{"to": gateway.Address, "data": hexutil.Bytes(data)}, hexutil.Uint64(at)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ret, nodeRet) || !bytes.Contains(ret, []byte("one")) {
		t.Fatalf("light serve eth_call children() on /devnet/alpha at %d: %x, the node %x", at, ret, nodeRet)
	}
	t.Logf("light serve eth_call children() on /devnet/alpha: %v", callTook)

	// A method it cannot verify is an error, never a forwarded answer.
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_gasPrice","params":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Result *big.Int
		Error  *struct{ Message string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if r.Error == nil {
		t.Fatalf("light serve answered eth_gasPrice: %v", r.Result)
	}
}

// proofSizes: the full proof of owner's account at depths 1, 2 and 3
// (root headers, the checkpoint chain, the account proof), from a client
// that trusts only the genesis (first sync) and from the same client again
// once the root has moved on (steady state). Each level down adds one
// checkpoint with its parent gateway's storage proof; the depth-3 proof
// stays under 10 KB (issue 14) and its balance is the subnet's own.
func proofSizes(t *testing.T, rpc, gen string, owner common.Address, deepRPC *ethclient.Client) {
	root, err := ethclient.Dial(rpc)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	balance := func(home, id string) lightBalance {
		t.Helper()
		out := aspen(t, "light", "balance", owner.Hex(), "--subnet", id, "--rpc", rpc, "--genesis", gen, "--home", home, "--json")
		var b lightBalance
		if err := json.Unmarshal([]byte(out), &b); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		return b
	}
	var last lightBalance
	prevCheckpoints := 0
	for depth, id := range []string{"/devnet/alpha", "/devnet/alpha/one", deep} {
		home := t.TempDir()
		first := balance(home, id)
		waitFor(t, "three more root blocks", 30*time.Second, func() bool {
			h, err := root.BlockNumber(context.Background())
			return err == nil && h >= first.RootHeight+3
		})
		steady := balance(home, id)
		if steady.RootHeight <= first.RootHeight {
			t.Fatalf("%s: the second query verified root block %d, the first %d", id, steady.RootHeight, first.RootHeight)
		}
		if steady.ProofBytes["checkpoints"] <= prevCheckpoints {
			t.Fatalf("%s: %d bytes of checkpoints, not more than the %d one level up", id, steady.ProofBytes["checkpoints"], prevCheckpoints)
		}
		prevCheckpoints = steady.ProofBytes["checkpoints"]
		t.Logf("depth %d %s: first sync %v = %d bytes (%d read), steady state %v = %d bytes (%d read)",
			depth+1, id, first.ProofBytes, first.proof(), first.BytesRead, steady.ProofBytes, steady.proof(), steady.BytesRead)
		last = steady
	}
	if last.proof() >= 10<<10 {
		t.Fatalf("the depth-3 proof is %d bytes, over 10 KB", last.proof())
	}
	want, err := deepRPC.BalanceAt(context.Background(), owner, new(big.Int).SetUint64(last.Height))
	if err != nil {
		t.Fatal(err)
	}
	if last.Balance != want.String() || want.Sign() == 0 {
		t.Fatalf("light balance on %s: %s at height %d, the node says %s", deep, last.Balance, last.Height, want)
	}
}
