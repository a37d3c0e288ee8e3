package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"math/big"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

// swapState is what aspen swap prints with --json: the party's state file.
type swapState struct {
	Role      string      `json:"role"`
	Hashlock  common.Hash `json:"hashlock"`
	SrcID     common.Hash `json:"srcId"`
	DstID     common.Hash `json:"dstId"`
	SrcStatus string      `json:"srcStatus"`
	DstStatus string      `json:"dstStatus"`
	Txs       map[string]struct {
		Chain   string   `json:"chain"`
		GasUsed uint64   `json:"gasUsed"`
		Fee     *big.Int `json:"fee"`
	} `json:"txs"`
}

// fees is what the party paid in fees on chain.
func (s swapState) fees(chain string) *big.Int {
	sum := new(big.Int)
	for _, tx := range s.Txs {
		if tx.Chain == chain {
			sum.Add(sum, tx.Fee)
		}
	}
	return sum
}

// swapRun runs aspen swap with the party's flags and decodes its state.
func swapRun(t *testing.T, party []string, args ...string) swapState {
	t.Helper()
	out := strings.TrimSpace(aspen(t, append(append([]string{"swap"}, args...), party...)...))
	lines := strings.Split(out, "\n")
	var st swapState
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &st); err != nil {
		t.Fatalf("aspen swap %s: %q: %v", strings.Join(args, " "), out, err)
	}
	return st
}

// testSwapBetweenSiblings (TestSharedTree/SwapBetweenSiblings): on the
// default devnet, a maker on /devnet/alpha and a taker on /devnet/beta swap
// 5 alpha coins for 3 beta coins with aspen swap: an unsafe counter-lock is refused, the taker's claim survives
// Ctrl-C, and every balance moves by exactly the swap and the fees. Then a
// swap nobody claims is refunded on both sides after its timeouts.
func testSwapBetweenSiblings(t *testing.T, d *devnet) {
	rpc := d.m.Nodes[1].RPC // node1 validates both alpha and beta
	const alpha, beta = "/devnet/alpha", "/devnet/beta"
	mk, tk := d.m.Accounts[8], d.m.Accounts[9]
	dir := t.TempDir()
	maker := []string{"--rpc", rpc, "--key", mk.PrivateKey, "--state-dir", filepath.Join(dir, "maker"), "--json"}
	taker := []string{"--rpc", rpc, "--key", tk.PrivateKey, "--state-dir", filepath.Join(dir, "taker"), "--json"}
	ctx := context.Background()
	clients := map[string]*ethclient.Client{}
	for _, c := range []string{alpha, beta} {
		ec, err := ethclient.Dial(rpc + c)
		if err != nil {
			t.Fatal(err)
		}
		defer ec.Close()
		clients[c] = ec
	}
	balance := func(chain string, a common.Address) *big.Int {
		b, err := clients[chain].BalanceAt(ctx, a, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	coins := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	type book struct{ ma, ta, mb, tb *big.Int }
	books := func() book {
		return book{balance(alpha, mk.Address), balance(alpha, tk.Address), balance(beta, mk.Address), balance(beta, tk.Address)}
	}
	check := func(what string, got, want *big.Int) {
		t.Helper()
		if got.Cmp(want) != 0 {
			t.Fatalf("%s: %s wei, want %s", what, got, want)
		}
	}

	before := books()
	start := time.Now()
	offer := swapRun(t, maker, "offer", "--src", alpha, "--dst", beta, "--give", "5", "--want", "3", "--taker", tk.Address.Hex(), "--lock-time", "60s", "--margin", "10s")
	// A counter-lock ending within the margin of the offer's timeout is refused.
	unsafe := exec.Command(aspenBin, append([]string{"swap", "take", offer.SrcID.Hex(), "--src", alpha, "--dst", beta, "--give", "3", "--want", "5", "--margin", "10s", "--lock-time", "55s"}, taker...)...)
	if out, err := unsafe.CombinedOutput(); err == nil || !strings.Contains(string(out), "unsafe timeouts") {
		t.Fatalf("take with a 55 s lock against a 60 s offer: %v\n%s\nwant a refusal naming unsafe timeouts", err, out)
	}
	take := swapRun(t, taker, "take", offer.SrcID.Hex(), "--src", alpha, "--dst", beta, "--give", "3", "--want", "5", "--margin", "10s")
	if take.Hashlock != offer.Hashlock || take.DstID == (common.Hash{}) {
		t.Fatalf("take %+v does not continue offer %+v", take, offer)
	}

	// The taker waits for the secret; Ctrl-C stops it, and running it again
	// goes on from the state file.
	waiting := exec.Command(aspenBin, append([]string{"swap", "claim", offer.Hashlock.Hex()}, taker...)...)
	outPipe, err := waiting.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	waiting.Stderr = waiting.Stdout
	if err := waiting.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(outPipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var waitOut strings.Builder
	for line := range lines { // until it says it waits: its signal handler is in place
		waitOut.WriteString(line + "\n")
		if strings.HasPrefix(line, "waiting for secret") {
			break
		}
	}
	_ = waiting.Process.Signal(syscall.SIGINT)
	for line := range lines {
		waitOut.WriteString(line + "\n")
	}
	if err := waiting.Wait(); err == nil || !strings.Contains(waitOut.String(), "interrupted") {
		t.Fatalf("interrupted taker claim: %v\n%s", err, waitOut.String())
	}

	makerDone := swapRun(t, maker, "claim", offer.Hashlock.Hex())
	takerDone := swapRun(t, taker, "claim", offer.Hashlock.Hex())
	elapsed := time.Since(start)
	after := books()
	check("maker on alpha", after.ma, new(big.Int).Sub(new(big.Int).Sub(before.ma, coins(5)), makerDone.fees(alpha)))
	check("taker on alpha", after.ta, new(big.Int).Sub(new(big.Int).Add(before.ta, coins(5)), takerDone.fees(alpha)))
	check("maker on beta", after.mb, new(big.Int).Sub(new(big.Int).Add(before.mb, coins(3)), makerDone.fees(beta)))
	check("taker on beta", after.tb, new(big.Int).Sub(new(big.Int).Sub(before.tb, coins(3)), takerDone.fees(beta)))
	st := swapRun(t, maker, "status", offer.Hashlock.Hex())
	if st.SrcStatus != "claimed" || st.DstStatus != "claimed" {
		t.Fatalf("status after the swap: %+v", st)
	}
	t.Logf("swap end to end (offer to both claims): %s; gas: lock %d, maker claim %d, taker claim %d",
		elapsed.Round(time.Millisecond), makerDone.Txs["lock"].GasUsed, makerDone.Txs["claim"].GasUsed, takerDone.Txs["claim"].GasUsed)

	// Nobody claims: both take their coins back after their timeouts.
	before = books()
	offer = swapRun(t, maker, "offer", "--src", alpha, "--dst", beta, "--give", "2", "--want", "1", "--taker", tk.Address.Hex(), "--lock-time", "15s", "--margin", "5s")
	swapRun(t, taker, "take", offer.SrcID.Hex(), "--src", alpha, "--dst", beta, "--give", "1", "--want", "2", "--margin", "5s")
	takerBack := swapRun(t, taker, "refund", offer.Hashlock.Hex())
	makerBack := swapRun(t, maker, "refund", offer.Hashlock.Hex())
	after = books()
	check("maker on alpha after refund", after.ma, new(big.Int).Sub(before.ma, makerBack.fees(alpha)))
	check("taker on beta after refund", after.tb, new(big.Int).Sub(before.tb, takerBack.fees(beta)))
	check("maker on beta after refund", after.mb, before.mb)
	check("taker on alpha after refund", after.ta, before.ta)
	t.Logf("refund gas: maker %d, taker %d", makerBack.Txs["refund"].GasUsed, takerBack.Txs["refund"].GasUsed)
	var listed []swapState
	if err := json.Unmarshal([]byte(aspen(t, append([]string{"swap", "status"}, maker...)...)), &listed); err != nil || len(listed) != 2 {
		t.Fatalf("the maker's swap list: %v, %+v; want the two swaps", err, listed)
	}
}
