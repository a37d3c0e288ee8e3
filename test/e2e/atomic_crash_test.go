package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/gateway"
)

// testAtomicCrashedLeg: a plan with a leg on /devnet/alpha while alpha
// cannot vote: node0 is killed (SIGKILL) before the plan is submitted, and
// alpha's bft, three validators, stops without it (the root's, four, goes
// on). The plan's deadline passes with no vote from alpha; decide aborts;
// beta's leg returns its escrow to the submitter on /devnet while node0 is
// still down. Restarted, node0 brings alpha back: alpha applies the
// prepare, votes late, applies the abort once and returns its escrow. At
// the end the submitter has lost exactly the submit's fee, nobody was paid,
// and alpha emitted one AtomicFinished for the leg, also after a later
// checkpoint of alpha (a release) reached /devnet.
func testAtomicCrashedLeg(t *testing.T, n *atomicNet) {
	node0 := n.d.m.Nodes[0]
	var alphaVals []string
	for _, nd := range n.d.m.Nodes {
		if slices.Contains(nd.ValidatorOf, "/devnet/alpha") {
			alphaVals = append(alphaVals, nd.Name)
		}
		if nd.Name == node0.Name && slices.Contains(nd.ValidatorOf, "/devnet/beta") {
			t.Fatal("node0 validates /devnet/beta: killing it would stop both legs")
		}
	}
	if len(alphaVals) != 3 || !slices.Contains(alphaVals, node0.Name) {
		t.Fatalf("/devnet/alpha is validated by %v; the test needs three with node0 (bft stops without one of three)", alphaVals)
	}
	if err := syscall.Kill(node0.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 node0 (pid %d): %v", node0.PID, err)
	}
	waitFor(t, "node0 to die", 10*time.Second, func() bool { return processGone(node0.PID) })

	sub, decider := n.d.m.Accounts[4], n.d.m.Accounts[3]
	x, y := common.HexToAddress("0xa1a1"), common.HexToAddress("0xb2b2")
	before := n.balance(t, "/devnet", sub.Address)
	plan := writePlan(t, n.dir, "crash.json", 25, x, y, "2", "3")
	start := time.Now()
	sent := atomicCLI(t, "submit", plan, "--no-wait", "--rpc", n.rpc, "--key", sub.PrivateKey, "--json")
	if sent.Status != "preparing" {
		t.Fatalf("submit --no-wait: %+v", sent)
	}
	fee := submitFee(t, n, sent.ID)

	// Anyone decides; the command waits for every leg, so for alpha too.
	decide := exec.Command(aspenBin, "atomic", "decide", sent.ID.Hex(), "--mediator", "/devnet", "--rpc", n.rpc,
		"--key", decider.PrivateKey, "--json", "--wait", "100s")
	var out bytes.Buffer
	decide.Stdout, decide.Stderr = &out, &out
	if err := decide.Start(); err != nil {
		t.Fatal(err)
	}
	decided := make(chan error, 1)
	go func() { decided <- decide.Wait() }()
	t.Cleanup(func() { _ = decide.Process.Kill() })

	// beta's 3 coins come back while alpha's 2 stay escrowed (alpha is down).
	escrowed := new(big.Int).Sub(new(big.Int).Sub(before, fee), coinsOf(2))
	waitFor(t, "beta's escrow back on /devnet", 45*time.Second, func() bool {
		return n.balance(t, "/devnet", sub.Address).Cmp(escrowed) >= 0
	})
	if got := n.balance(t, "/devnet", sub.Address); got.Cmp(escrowed) != 0 {
		t.Fatalf("with alpha down the submitter holds %s, want %s (before %s, fee %s, alpha's 2 coins escrowed)", got, escrowed, before, fee)
	}
	betaBack := time.Since(start)
	st := atomicCLI(t, "status", sent.ID.Hex(), "--rpc", n.rpc, "--json")
	if st.Status != "aborted" || st.Legs[0].Vote != "none" || st.Legs[1].Vote != "yes" || st.Legs[1].State != "aborted" {
		t.Fatalf("with alpha down: %+v; want aborted, no vote from alpha, beta's yes and beta aborted", st)
	}
	select {
	case err := <-decided:
		t.Fatalf("decide returned (%v) while alpha cannot have finished its leg:\n%s", err, out.String())
	default:
	}

	startProcess(t, node0.Restart, filepath.Join(n.dir, "node0-restart.log"))
	restarted := time.Now()
	select {
	case err := <-decided:
		if err != nil {
			t.Fatalf("decide: %v\n%s", err, out.String())
		}
	case <-time.After(100 * time.Second):
		t.Fatalf("decide did not finish after node0 came back:\n%s", out.String())
	}
	var res atomicRun
	if err := json.Unmarshal(bytes.TrimSpace(out.Bytes()), &res); err != nil {
		t.Fatalf("decide printed %q: %v", out.String(), err)
	}
	if res.Status != "aborted" || res.Legs[0].State != "aborted" || res.Legs[1].State != "aborted" || res.Legs[0].Vote == "yes" {
		t.Fatalf("after node0's restart: %+v; want both legs aborted, alpha's vote not counted", res)
	}
	back := new(big.Int).Sub(before, fee)
	waitFor(t, "alpha's escrow back on /devnet", 45*time.Second, func() bool {
		return n.balance(t, "/devnet", sub.Address).Cmp(back) >= 0
	})

	t.Logf("alpha down: beta's escrow back %s after submit; node0 restarted: alpha's escrow back %s later",
		betaBack.Round(time.Millisecond), time.Since(restarted).Round(time.Millisecond))

	// A release from alpha sent now reaches /devnet in a checkpoint after
	// the one that carried the refund: a second refund would be in by then.
	z := common.HexToAddress("0xc3c3")
	aspen(t, "xfer", "release", "/devnet/alpha", "--to", z.Hex(), "--value", "1", "--key", decider.PrivateKey, "--rpc", n.rpc, "--json")
	waitFor(t, "a later release from alpha on /devnet", 45*time.Second, func() bool {
		return n.balance(t, "/devnet", z).Cmp(coinsOf(1)) == 0
	})
	if got := n.balance(t, "/devnet", sub.Address); got.Cmp(back) != 0 {
		t.Fatalf("the submitter holds %s at the end, want %s: before %s less the submit's fee %s", got, back, before, fee)
	}
	if a, b := n.balance(t, "/devnet/alpha", x), n.balance(t, "/devnet/beta", y); a.Sign() != 0 || b.Sign() != 0 {
		t.Fatalf("an aborted plan paid: %s on alpha, %s on beta", a, b)
	}
	if k := finishedEvents(t, n, "/devnet/alpha", sent.ID); k != 1 {
		t.Fatalf("alpha emitted AtomicFinished %d times for the plan, want once", k)
	}
}

// submitFee is what the atomicSubmit transaction of plan id cost its sender.
func submitFee(t *testing.T, n *atomicNet, id common.Hash) *big.Int {
	t.Helper()
	ctx := context.Background()
	gw, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	c := n.clients["/devnet"]
	logs, err := c.FilterLogs(ctx, ethereum.FilterQuery{Addresses: []common.Address{gateway.Address},
		Topics: [][]common.Hash{{gw.Events["AtomicSubmitted"].ID}, {id}}})
	if err != nil || len(logs) != 1 {
		t.Fatalf("AtomicSubmitted logs of %s: %d (%v), want 1", id, len(logs), err)
	}
	rec, err := c.TransactionReceipt(ctx, logs[0].TxHash)
	if err != nil {
		t.Fatal(err)
	}
	return new(big.Int).Mul(new(big.Int).SetUint64(rec.GasUsed), rec.EffectiveGasPrice)
}

// finishedEvents counts the AtomicFinished events of plan id on chain.
func finishedEvents(t *testing.T, n *atomicNet, chain string, id common.Hash) int {
	t.Helper()
	gw, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	logs, err := n.clients[chain].FilterLogs(context.Background(), ethereum.FilterQuery{Addresses: []common.Address{gateway.Address},
		Topics: [][]common.Hash{{gw.Events["AtomicFinished"].ID}, {id}}})
	if err != nil {
		t.Fatal(err)
	}
	return len(logs)
}
