package e2e

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// aspen runs the CLI with args and returns its stdout; it fails the test
// with the output when the command fails.
func aspen(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, aspenBin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("aspen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

type subnetStatus struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

func servedSubnets(t *testing.T, rpcURL string) map[string]string {
	c, err := gethrpc.Dial(rpcURL)
	if err != nil {
		return nil
	}
	defer c.Close()
	var subs []subnetStatus
	if err := c.Call(&subs, "aspen_subnets"); err != nil {
		return nil
	}
	out := map[string]string{}
	for _, s := range subs {
		out[s.ID] = s.Role
	}
	return out
}

// TestSubnetLifecycle: a subnet created from the CLI on a 4-validator root,
// funded before activation, joined by three nodes, activates; exactly those
// three start it, agree on its blocks and serve it to ethers-like clients;
// it survives a restart; a second subnet killed by its creator disappears
// from every node, storage included, and its collateral comes back; so does
// games once it has burned fees (subtest KillAfterTraffic).
func TestSubnetLifecycle(t *testing.T) {
	t.Parallel()
	n := startBFT(t)
	n.waitHeight(t, 2, time.Minute, 0, 1, 2, 3)
	home := func(i int) string { return filepath.Join(n.home, "node"+string(rune('0'+i))) }
	games := "/devnet/games"
	user := n.m.Accounts[0]

	aspen(t, "subnet", "create", games, "--engine", "bft", "--min-validators", "3", "--min-collateral", "30", "--block-time", "200ms", "--home", home(0), "--json")
	aspen(t, "xfer", "fund", games, "--to", user.Address.Hex(), "--value", "5", "--home", home(0), "--json")
	for i := 0; i < 3; i++ {
		aspen(t, "subnet", "join", games, "--collateral", "10", "--home", home(i), "--json")
	}
	for i := 0; i < 3; i++ {
		waitFor(t, "node"+string(rune('0'+i))+" to validate "+games, time.Minute, func() bool {
			return servedSubnets(t, n.m.Nodes[i].RPC)[games] == "validator"
		})
	}
	if _, ok := servedSubnets(t, n.m.Nodes[3].RPC)[games]; ok {
		t.Fatalf("node3 holds no seat in %s but serves it", games)
	}

	// Transact on the child with the funds sent before activation.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := ethclient.DialContext(ctx, n.m.Nodes[0].RPC+games)
	if err != nil {
		t.Fatal(err)
	}
	chainID, err := c.ChainID(ctx)
	if err != nil || chainID.Uint64() != gateway.ChainIDFor(types.SubnetID(games)) {
		t.Fatalf("chain ID of %s: %v (err %v), want %d", games, chainID, err, gateway.ChainIDFor(types.SubnetID(games)))
	}
	bal, err := c.BalanceAt(ctx, user.Address, nil)
	if err != nil || bal.Cmp(new(big.Int).Mul(big.NewInt(5), big.NewInt(1e18))) != 0 {
		t.Fatalf("balance on %s: %v (err %v), want 5 coins from fund", games, bal, err)
	}
	key, _ := user.Key()
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	tx, _ := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
		ChainID: chainID, Nonce: 0, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(50e9), Gas: 21000, To: &to, Value: big.NewInt(777),
	})
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send on %s: %v", games, err)
	}
	var rcpt *gethtypes.Receipt
	waitFor(t, "the receipt on "+games, time.Minute, func() bool {
		rcpt, err = c.TransactionReceipt(ctx, tx.Hash())
		return err == nil
	})
	for i := 1; i < 3; i++ {
		ci, _ := ethclient.Dial(n.m.Nodes[i].RPC + games)
		waitFor(t, "node"+string(rune('0'+i))+" to have the block", time.Minute, func() bool {
			h, err := ci.BlockNumber(ctx)
			return err == nil && h >= rcpt.BlockNumber.Uint64()
		})
		if got := blockHash(t, ci, rcpt.BlockNumber.Uint64()); got != rcpt.BlockHash {
			t.Fatalf("node%d has %s at height %d of %s, node0 has %s", i, got, rcpt.BlockNumber, games, rcpt.BlockHash)
		}
	}

	// Top-down: a fund after activation reaches the child once its blocks
	// reference a parent block that holds it, on every node, exactly once.
	dest := common.HexToAddress("0x00000000000000000000000000000000000f00d5")
	var funded struct {
		MsgID common.Hash `json:"msgId"`
	}
	if err := json.Unmarshal([]byte(aspen(t, "xfer", "fund", games, "--to", dest.Hex(), "--value", "2", "--home", home(3), "--json")), &funded); err != nil {
		t.Fatal(err)
	}
	two := new(big.Int).Mul(big.NewInt(2), big.NewInt(1e18))
	applied := crossMsgApplied(t)
	for i := 0; i < 3; i++ {
		ci, _ := ethclient.Dial(n.m.Nodes[i].RPC + games)
		waitFor(t, "the fund to reach "+games+" on node"+string(rune('0'+i)), time.Minute, func() bool {
			b, err := ci.BalanceAt(ctx, dest, nil)
			return err == nil && b.Sign() > 0
		})
		// The child says so with CrossMsgApplied, found by eth_getLogs.
		logs, err := ci.FilterLogs(ctx, ethereum.FilterQuery{Addresses: []common.Address{gateway.Address}, Topics: [][]common.Hash{{applied}, {funded.MsgID}}})
		if err != nil || len(logs) != 1 || logs[0].TxHash != types.SystemTxHash(logs[0].BlockHash) {
			t.Fatalf("node%d: CrossMsgApplied(%s) logs on %s: %+v, %v; want exactly one system log", i, funded.MsgID, games, logs, err)
		}
	}
	// Later funds to another account move the reference further (an idle
	// subnet makes blocks only for work); none may apply the first again.
	other := common.HexToAddress("0x00000000000000000000000000000000000f00d6")
	for k := 0; k < 3; k++ {
		aspen(t, "xfer", "fund", games, "--to", other.Hex(), "--value", "1", "--home", home(3), "--json")
	}
	three := new(big.Int).Mul(big.NewInt(3), big.NewInt(1e18))
	for i := 0; i < 3; i++ {
		ci, _ := ethclient.Dial(n.m.Nodes[i].RPC + games)
		waitFor(t, "three more funds on "+games+" on node"+string(rune('0'+i)), time.Minute, func() bool {
			b, err := ci.BalanceAt(ctx, other, nil)
			return err == nil && b.Cmp(three) == 0
		})
		if b, _ := ci.BalanceAt(ctx, dest, nil); b.Cmp(two) != 0 {
			t.Fatalf("node%d: %s holds %v on %s, want exactly 2 coins", i, dest, b, games)
		}
	}

	// One connection per peer pair, whatever the subnets shared.
	rc, _ := gethrpc.Dial(n.m.Nodes[0].RPC)
	var info struct {
		Peers []struct {
			PeerID      string   `json:"peerId"`
			Connections int      `json:"connections"`
			Subnets     []string `json:"subnets"`
		} `json:"peers"`
	}
	if err := rc.Call(&info, "aspen_nodeInfo"); err != nil {
		t.Fatal(err)
	}
	sharesGames := 0
	for _, p := range info.Peers {
		if p.Connections != 1 {
			t.Fatalf("node0 holds %d connections to %s, want 1", p.Connections, p.PeerID)
		}
		for _, s := range p.Subnets {
			if s == games {
				sharesGames++
			}
		}
	}
	if sharesGames != 2 {
		t.Fatalf("node0 shares %s with %d peers, want 2: %+v", games, sharesGames, info.Peers)
	}

	// A restarted node resumes its subnets.
	pid1 := n.m.Nodes[1].PID
	_ = syscall.Kill(pid1, syscall.SIGTERM)
	waitFor(t, "node1 to stop", 30*time.Second, func() bool { return processGone(pid1) })
	n.restart(t, 1)
	waitFor(t, "node1 to serve "+games+" again", time.Minute, func() bool {
		return servedSubnets(t, n.m.Nodes[1].RPC)[games] == "validator"
	})

	// A fourth validator joins the Active subnet: the child applies the
	// config change, node3 starts, catches up and votes. Then 3 of the 4
	// seats must be enough: with node1 stopped the child still applies a
	// fund, which the original 2 of 3 could not have decided.
	aspen(t, "subnet", "join", games, "--collateral", "10", "--home", home(3), "--json")
	waitFor(t, "node3 to validate "+games+" after joining", time.Minute, func() bool {
		return servedSubnets(t, n.m.Nodes[3].RPC)[games] == "validator"
	})
	for i := 0; i < 3; i++ {
		if servedSubnets(t, n.m.Nodes[i].RPC)[games] != "validator" {
			t.Fatalf("node%d lost its seat in %s when node3 joined", i, games)
		}
	}
	pid1 = n.m.Nodes[1].PID
	_ = syscall.Kill(pid1, syscall.SIGTERM)
	waitFor(t, "node1 to stop", 30*time.Second, func() bool { return processGone(pid1) })
	late := common.HexToAddress("0x00000000000000000000000000000000000f00d7")
	aspen(t, "xfer", "fund", games, "--to", late.Hex(), "--value", "1", "--home", home(3), "--json")
	for _, i := range []int{0, 2, 3} {
		ci, _ := ethclient.Dial(n.m.Nodes[i].RPC + games)
		waitFor(t, "a fund decided by 3 of 4 seats on node"+string(rune('0'+i)), time.Minute, func() bool {
			b, err := ci.BalanceAt(ctx, late, nil)
			return err == nil && b.Sign() > 0
		})
	}
	n.restart(t, 1)
	waitFor(t, "node1 to serve "+games+" again", time.Minute, func() bool {
		return servedSubnets(t, n.m.Nodes[1].RPC)[games] == "validator"
	})

	// node3 leaves again: its seat goes at once, its 10 coins of collateral
	// only once a checkpoint of games shows the child applied the change.
	owner3 := common.HexToAddress(strings.TrimSpace(jsonField(t, aspen(t, "keys", "show", "--home", home(3), "--json"), "account")))
	rootc, _ := ethclient.Dial(n.m.Nodes[0].RPC)
	before3, _ := rootc.BalanceAt(ctx, owner3, nil)
	var left struct {
		PendingConfig uint64      `json:"pendingConfig"`
		Tx            common.Hash `json:"tx"`
	}
	if err := json.Unmarshal([]byte(aspen(t, "subnet", "leave", games, "--home", home(3), "--json")), &left); err != nil {
		t.Fatal(err)
	}
	if left.PendingConfig == 0 {
		t.Fatalf("leave of an active subnet names no pending config: %+v", left)
	}
	rcpt3, err := rootc.TransactionReceipt(ctx, left.Tx)
	if err != nil {
		t.Fatal(err)
	}
	fee := new(big.Int).Mul(new(big.Int).SetUint64(rcpt3.GasUsed), rcpt3.EffectiveGasPrice)
	ten := new(big.Int).Mul(big.NewInt(10), big.NewInt(1e18))
	if b, _ := rootc.BalanceAt(ctx, owner3, rcpt3.BlockNumber); b.Cmp(new(big.Int).Sub(before3, fee)) > 0 && new(big.Int).Sub(b, new(big.Int).Sub(before3, fee)).Cmp(ten) >= 0 {
		t.Fatalf("node3 got its collateral back in the leave's own block (%v -> %v)", before3, b)
	}
	waitFor(t, "node3's collateral back after games' checkpoint", time.Minute, func() bool {
		b, err := rootc.BalanceAt(ctx, owner3, nil)
		return err == nil && new(big.Int).Sub(b, new(big.Int).Sub(before3, fee)).Cmp(ten) >= 0
	})
	waitFor(t, "node3 to stop validating "+games, time.Minute, func() bool {
		return servedSubnets(t, n.m.Nodes[3].RPC)[games] != "validator"
	})

	// Kill: a second, unfunded subnet.
	temp := "/devnet/temp"
	aspen(t, "subnet", "create", temp, "--engine", "bft", "--min-validators", "3", "--min-collateral", "3", "--block-time", "200ms", "--home", home(0), "--json")
	for i := 0; i < 3; i++ {
		aspen(t, "subnet", "join", temp, "--collateral", "1", "--home", home(i), "--json")
	}
	for i := 0; i < 3; i++ {
		waitFor(t, "node"+string(rune('0'+i))+" to start "+temp, time.Minute, func() bool {
			return servedSubnets(t, n.m.Nodes[i].RPC)[temp] == "validator"
		})
	}
	root, _ := ethclient.Dial(n.m.Nodes[2].RPC + n.m.Network)
	owner2 := common.HexToAddress(strings.TrimSpace(jsonField(t, aspen(t, "keys", "show", "--home", home(2), "--json"), "account")))
	killOut := aspen(t, "subnet", "kill", temp, "--home", home(0), "--json")
	for i := 0; i < 3; i++ {
		waitFor(t, "node"+string(rune('0'+i))+" to drop "+temp, time.Minute, func() bool {
			_, served := servedSubnets(t, n.m.Nodes[i].RPC)[temp]
			_, statErr := os.Stat(filepath.Join(home(i), "subnets", "devnet.temp"))
			return !served && os.IsNotExist(statErr)
		})
	}
	// Across the kill's block node2's account gains its collateral, plus the
	// tips of that block if node2 happened to propose it.
	var kill struct {
		Block uint64 `json:"block"`
	}
	if err := json.Unmarshal([]byte(killOut), &kill); err != nil || kill.Block == 0 {
		t.Fatalf("kill output %q: %v", killOut, err)
	}
	at := new(big.Int).SetUint64(kill.Block)
	before, _ := root.BalanceAt(ctx, owner2, new(big.Int).Sub(at, big.NewInt(1)))
	after, _ := root.BalanceAt(ctx, owner2, at)
	gain := new(big.Int).Sub(after, before)
	gain.Sub(gain, tipsTo(t, root, owner2, kill.Block))
	if gain.Cmp(big.NewInt(1e18)) != 0 {
		t.Fatalf("node2's account got %v back on kill (tips aside), want its 1-coin collateral", gain)
	}

	// games has had traffic: it burned base fees, so its circulating supply
	// never reaches zero; it can be killed all the same (kill_test.go).
	t.Run("KillAfterTraffic", func(t *testing.T) { testKillAfterTraffic(t, n, games, home) })
}

func jsonField(t *testing.T, out, field string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not JSON: %q", out)
	}
	s, _ := m[field].(string)
	return s
}

// tipsTo is what the block's proposer earned in tips, if it is who.
func tipsTo(t *testing.T, c *ethclient.Client, who common.Address, height uint64) *big.Int {
	t.Helper()
	var b struct {
		Miner   common.Address `json:"miner"`
		BaseFee *hexutil.Big   `json:"baseFeePerGas"`
	}
	if err := c.Client().Call(&b, "eth_getBlockByNumber", hexutil.Uint64(height), false); err != nil {
		t.Fatal(err)
	}
	tips := new(big.Int)
	if b.Miner != who {
		return tips
	}
	var rs []*gethtypes.Receipt
	if err := c.Client().Call(&rs, "eth_getBlockReceipts", hexutil.Uint64(height)); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		tip := new(big.Int).Sub(r.EffectiveGasPrice, b.BaseFee.ToInt())
		tips.Add(tips, tip.Mul(tip, new(big.Int).SetUint64(r.GasUsed)))
	}
	return tips
}

// crossMsgApplied is the topic of IGateway's CrossMsgApplied event.
func crossMsgApplied(t *testing.T) common.Hash {
	gw, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	return gw.Events["CrossMsgApplied"].ID
}
